"""Run several site spiders in one process and report what each did.

Used by `python -m crawler crawl-all` (cron, systemd timers) and `python -m crawler demo`.
"""

from __future__ import annotations

import logging
import os
from typing import Any

logger = logging.getLogger(__name__)

SUMMARY_COLUMNS = (
    "site", "pages", "records", "new", "duplicates", "unchanged", "changed", "fresh", "skipped", "errors", "finish",
)


def run_crawls(
    start_urls: dict[str, list[str]], settings: dict[str, Any], *, concurrency: int = 1
) -> dict[str, dict[str, Any]]:
    """Crawl each site from its start URLs, at most `concurrency` at a time.

    Args:
        start_urls: spider name -> start URLs.
        settings: settings on top of the project's (priority "cmdline", like `-s`).
        concurrency: how many spiders run at once (1 = one after another).

    Returns:
        spider name -> its final stats (`finish_reason` is missing if it never started).
    """
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings
    from twisted.internet.defer import DeferredList, DeferredSemaphore

    project = get_project_settings()
    project.update(settings, priority="cmdline")
    process = CrawlerProcess(project)  # logs to the root handler by default
    semaphore = DeferredSemaphore(max(1, concurrency))
    crawlers = {}
    runs = []
    for name, urls in start_urls.items():
        crawler = process.create_crawler(name)
        crawlers[name] = crawler
        done = semaphore.run(process.crawl, crawler, start_urls=",".join(urls))
        done.addErrback(_failed, name)
        runs.append(done)
    from twisted.internet import reactor  # the one CrawlerProcess installed

    def stop(result: object) -> object:
        reactor.stop()  # type: ignore[misc]
        return result

    DeferredList(runs).addBoth(stop)
    process.start(stop_after_crawl=False)
    return {name: dict(c.stats.get_stats()) if c.stats else {} for name, c in crawlers.items()}


def _failed(failure: Any, name: str) -> None:
    logger.error("spider %s failed: %s", name, failure.getErrorMessage())


def failed_sites(stats: dict[str, dict[str, Any]]) -> list[str]:
    """Sites whose crawl did not finish normally."""
    return sorted(site for site, s in stats.items() if s.get("finish_reason") != "finished")


def summary_table(stats: dict[str, dict[str, Any]]) -> str:
    """One line per site: pages fetched, records and what the archive made of them.

    "fresh" counts archived pages not fetched again (within their refresh interval), "skipped"
    pages fetched that hold no document.
    """
    rows: list[tuple[Any, ...]] = []
    for site, s in sorted(stats.items()):
        rows.append((
            site,
            s.get("downloader/response_count", 0),
            s.get("item_scraped_count", 0),
            s.get("archive/new", 0),
            s.get("archive/duplicate", 0),
            s.get("archive/unchanged", 0),
            s.get("archive/changed", 0),
            s.get("incremental/skipped_fresh", 0),
            sum(v for k, v in s.items() if k.startswith("extract/skipped/")),
            s.get("crawl/page_error", 0) + s.get("log_count/ERROR", 0),
            s.get("finish_reason", "not started"),
        ))
    numeric = range(1, len(SUMMARY_COLUMNS) - 1)
    totals = ("total", *(sum(int(r[i]) for r in rows) for i in numeric), "")
    lines = [SUMMARY_COLUMNS, *rows, totals]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(SUMMARY_COLUMNS))]
    return "\n".join(
        "  ".join(
            str(value).rjust(width) if i in numeric else str(value).ljust(width)
            for i, (value, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    )
