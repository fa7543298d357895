"""`scrapy crawl` that checks its input before the engine starts and fails when the crawl did.

Scrapy builds a spider inside the running crawl, so a bad `-a start_urls=...` or an unreadable
`-s` value surfaces as a traceback from a Deferred, after logging and the reactor are set up.
Checked in `process_options` (before Scrapy creates the crawler process), each is one
`error: ...` line on stderr and exit code 2, without Scrapy's usage banner.

Scrapy exits 0 whenever the spider started, whatever its finish reason; here a crawl whose
finish reason is not a success (`crawler.runner.SUCCESS_REASONS`), including `shutdown` after
Ctrl-C or SIGTERM, prints `error: crawl SPIDER ended with REASON; HINT` and exits 1, so cron
and systemd see it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from crawler.checks import check_settings, check_spider_arguments
from crawler.runner import FAILED, crawl_error, finish_reason

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCrawl):
    """Scrapy's crawl command, with the settings and spider arguments checked first."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        # Scrapy's own usage errors, raised here before its crawler process logs its banner.
        if not args:
            raise UsageError
        if len(args) > 1:
            raise UsageError("running 'scrapy crawl' with more than one spider is not supported", print_help=False)
        try:
            self.check(args[0], opts.spargs)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)

    def check(self, spider: str, arguments: dict[str, str]) -> None:
        """Raise ValueError (one line) for an unknown spider, a bad setting or spider argument."""
        # scrapy.cmdline sets the settings before it processes the options.
        assert self.settings is not None  # noqa: S101
        # Settings first: loading the spiders imports the extractor (trafilatura) and the archive.
        check_settings(self.settings)
        loader = get_spider_loader(self.settings)
        try:
            spidercls = loader.load(spider)
        except KeyError:
            raise ValueError(
                f"unknown spider {spider!r}; expected one of {', '.join(sorted(loader.list()))} (scrapy list)"
            ) from None
        check_spider_arguments(spidercls, arguments)
        check = getattr(spidercls, "check_arguments", None)
        if check is not None:
            check(**arguments)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1 or self.crawler_process is None:
            super().run(args, opts)
            return
        # Kept here: the process forgets a crawler once its crawl is over.
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        reason = finish_reason(crawler)
        if self.crawler_process.bootstrap_failed and reason in (None, "finished"):
            reason = FAILED
        error = crawl_error(args[0], reason)
        if error:
            self.exitcode = 1
            print(error, file=sys.stderr)
