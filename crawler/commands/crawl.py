"""`scrapy crawl` that checks the spider's arguments before the engine starts.

Scrapy builds a spider inside the running crawl, so a bad `-a start_urls=...` surfaces as a
traceback from a Deferred. Checked here, it is one usage error and exit code 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCrawl):
    """Scrapy's crawl command, with the project spiders' `check_arguments` run first."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            try:
                spider = self.crawler_process.spider_loader.load(args[0])
            except KeyError:
                spider = None
            check = getattr(spider, "check_arguments", None)
            if check is not None:
                try:
                    check(**opts.spargs)
                except ValueError as exc:
                    raise UsageError(str(exc), print_help=False) from None
        super().run(args, opts)
