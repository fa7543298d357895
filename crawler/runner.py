"""Run several site spiders in one process and report what each did.

Used by `python -m crawler crawl-all` (cron, systemd timers) and `python -m crawler demo`.

Every path ends: a spider that fails before it starts, a crawl that finishes, and a signal
(SIGINT / SIGTERM once: the running crawls stop gracefully and the rest never start; twice:
stop now). The old runner chained `reactor.stop()` on a DeferredList of the crawls; when every
crawl failed synchronously (a bad start URL raises while the spider is built) that list fired
before the reactor ran, `reactor.stop()` raised ReactorNotRunning into the Deferred, and the
reactor then ran forever. Here the crawls are one asyncio task the process's `join()` waits
for, so the process stops itself when that task ends, however it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import FrameType

    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)

SUMMARY_COLUMNS = (
    "site", "pages", "records", "new", "duplicates", "unchanged", "changed", "fresh", "skipped", "errors", "finish",
)

# Finish reasons of a crawl that did what it was asked: it ran out of pages, or reached a limit
# the user set (CLOSESPIDER_TIMEOUT / _ITEMCOUNT / _PAGECOUNT). Anything else, including
# `shutdown` (stopped by Ctrl-C or SIGTERM before it was done), is not a success for cron.
SUCCESS_REASONS = frozenset({"finished", "closespider_timeout", "closespider_itemcount", "closespider_pagecount"})
# What to do about a crawl that ended another way.
FINISH_HINTS = {
    "archive_disk_full": "free space on the archive's disk, then run it again",
    "archive_read_only": "make the archive's folder writable or pass another ARCHIVE_URI",
    "archive_damaged": "restore the archive from a backup, or move it aside to start a new one",
    "archive_locked": "another process holds the archive; wait for it to end or stop it, then run again",
    "shutdown": "it was stopped by a signal; run it again (with the same JOBDIR to resume)",
    "failed": "see the spider's error in the log above",
    "not started": "a signal stopped the run before its turn; run it again",
    "interrupted": "a second signal stopped it before it could close; run it again (with the same JOBDIR to resume)",
}
# The summary's finish column for a crawl that never got that far.
NOT_STARTED = "not started"
FAILED = "failed"
INTERRUPTED = "interrupted"


def finish_hint(reason: str | None) -> str:
    """What to do about a crawl that ended with `reason` (None: it never started)."""
    return FINISH_HINTS.get(reason or NOT_STARTED, "see the log above")


def crawl_error(spider: str, reason: str | None) -> str | None:
    """The one-line error for a crawl that did not succeed (None when it did).

    `reason` is the crawl's finish reason: None if it never started, FAILED if it raised while
    starting.
    """
    if reason in SUCCESS_REASONS:
        return None
    if reason is None:
        return f"error: crawl {spider} never started; {finish_hint(reason)}"
    if reason == FAILED:
        return f"error: crawl {spider} failed to start; {finish_hint(reason)}"
    return f"error: crawl {spider} ended with {reason}; {finish_hint(reason)}"


def finish_reason(crawler: Crawler) -> str | None:
    """The crawl's finish reason from its stats, None if it never got stats (never started)."""
    stats = final_stats(crawler)
    return final_reason(stats.get("finish_reason"), stats)


def final_reason(reason: str | None, stats: Mapping[str, Any]) -> str | None:
    """`reason`, Scrapy's finish reason, unless the crawl was stopped for a failure after Scrapy chose it.

    A crawl closed by CLOSESPIDER_TIMEOUT (or _ITEMCOUNT, _PAGECOUNT) commits its last archive
    batch as the spider closes; if that commit fails, the items are lost and the failure's
    reason (`crawl/stop_reason`, e.g. archive_disk_full) is the crawl's, not the success.
    """
    stopped = stats.get("crawl/stop_reason")
    if stopped is not None and reason in SUCCESS_REASONS:
        return str(stopped)
    return str(reason) if reason is not None else None


def final_stats(crawler: Crawler) -> dict[str, Any]:
    """A crawler's stats after its run; empty when it failed before it had any."""
    try:
        return dict(crawler.stats.get_stats())
    except RuntimeError:  # Crawler.stats is set only once the crawl has started
        return {}


def project_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """The project's settings with `overrides` on top (priority "cmdline", as `-s` gives)."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.update(dict(overrides or {}), priority="cmdline")
    return settings


def run_crawls(
    start_urls: dict[str, list[str]], settings: Mapping[str, Any], *, concurrency: int = 1
) -> dict[str, dict[str, Any]]:
    """Crawl each site from its start URLs, at most `concurrency` at a time.

    Callers check the settings and start URLs first (`crawler.checks`); a spider that still
    fails to start is logged (one error line) and ends as `failed`, and the others run.

    Args:
        start_urls: spider name -> start URLs.
        settings: settings on top of the project's (priority "cmdline", like `-s`). A JOBDIR
            is split per spider (JOBDIR/<spider>): two spiders must never share a job's queue.
        concurrency: how many spiders run at once (1 = one after another).

    Returns:
        spider name -> its final stats. `finish_reason` is "failed" for a spider that raised
        while starting, "interrupted" for one a second signal stopped before it closed, and
        missing for one a signal stopped before its turn.
    """
    from scrapy.crawler import AsyncCrawlerProcess
    from scrapy.settings import SETTINGS_PRIORITIES

    class Process(AsyncCrawlerProcess):
        # The process stops when join() returns: make that "when every crawl has run", not
        # "when no crawl is running", which is also true between two crawls run in turn.
        crawls: asyncio.Future[None] | None = None

        async def join(self) -> None:
            if self.crawls is not None:
                await self.crawls
            await super().join()

    process = Process(project_settings(settings))
    crawlers: dict[str, Crawler] = {}
    for name in start_urls:
        crawler = process.create_crawler(name)
        jobdir = crawler.settings.get("JOBDIR")
        if jobdir:
            # Above "cmdline": process.crawl() merges the process's settings (-s JOBDIR=...,
            # at "cmdline") into the crawler's again, and a tie goes to the merged value.
            crawler.settings.set("JOBDIR", str(Path(jobdir) / name), priority=SETTINGS_PRIORITIES["cmdline"] + 1)
        crawlers[name] = crawler
    run = _Run(process, crawlers, start_urls, max(1, concurrency))
    loop = asyncio.get_event_loop()  # the one AsyncCrawlerProcess installed
    process.crawls = run.task = loop.create_task(run.all())
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, run.on_signal)
    try:
        # Our handlers, not Scrapy's: a signal must also keep the spiders not yet run from
        # starting, which Scrapy's (stop the running crawlers, then the reactor) cannot.
        process.start(install_signal_handlers=False)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    results = {}
    for name, crawler in crawlers.items():
        stats = final_stats(crawler)
        if name in run.failed and stats.get("finish_reason") in (None, "finished"):
            stats["finish_reason"] = FAILED
        elif stats and "finish_reason" not in stats:
            stats["finish_reason"] = INTERRUPTED  # started, and forced to stop before it closed
        elif stats:
            stats["finish_reason"] = final_reason(stats["finish_reason"], stats)
        results[name] = stats
    return results


class _Run:
    """The crawls of one `run_crawls`, gated by a semaphore, and the signals that stop them."""

    def __init__(
        self, process: Any, crawlers: dict[str, Crawler], start_urls: dict[str, list[str]], concurrency: int
    ) -> None:
        self.process = process
        self.crawlers = crawlers
        self.start_urls = start_urls
        self.concurrency = concurrency
        self.stopping = False
        self.signals = 0
        self.failed: dict[str, str] = {}
        self.task: asyncio.Task[None] | None = None
        self.loop = asyncio.get_event_loop()
        self._background: set[asyncio.Task[Any]] = set()

    async def all(self) -> None:
        semaphore = asyncio.Semaphore(self.concurrency)
        await asyncio.gather(*(self.one(name, semaphore) for name in self.crawlers))

    async def one(self, name: str, semaphore: asyncio.Semaphore) -> None:
        async with semaphore:
            if self.stopping:
                return
            crawl = self.process.crawl(self.crawlers[name], start_urls=",".join(self.start_urls[name]))
            try:
                # Shielded: a second signal cancels this run (so the process stops at once), not
                # Scrapy's crawl task, which would get a CancelledError deep in its engine.
                await asyncio.shield(crawl)
            except Exception as exc:  # a spider that fails to start must not stop the others
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.failed[name] = message
                logger.error("spider %s failed to start: %s", name, message)

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        # A signal handler may not log or touch the loop's state: hand over to the loop.
        self.signals += 1
        action = self.graceful if self.signals == 1 else self.force
        with contextlib.suppress(RuntimeError):  # the loop has closed: nothing left to stop
            self.loop.call_soon_threadsafe(action, signum)

    def graceful(self, signum: int) -> None:
        logger.info("received %s: stopping the running crawls; send it again to stop now",
                    signal.Signals(signum).name)
        self.stopping = True
        stop = self.loop.create_task(self.process.stop())
        self._background.add(stop)
        stop.add_done_callback(self._background.discard)

    def force(self, signum: int) -> None:
        logger.info("received %s again: stopping now", signal.Signals(signum).name)
        self.stopping = True
        if self.task is not None:
            self.task.cancel()


def failed_sites(stats: dict[str, dict[str, Any]]) -> list[str]:
    """Sites whose crawl did not succeed (see SUCCESS_REASONS)."""
    return sorted(site for site, s in stats.items() if s.get("finish_reason") not in SUCCESS_REASONS)


def summary_table(stats: dict[str, dict[str, Any]]) -> str:
    """One line per site: pages fetched, records and what the archive made of them.

    "fresh" counts archived pages not fetched again (within their refresh interval), "skipped"
    pages fetched that hold no document.
    """
    # Imported here, like Scrapy itself: a usage error should not wait for Scrapy to load.
    from crawler.extensions import run_counts

    rows: list[tuple[Any, ...]] = []
    for site, s in sorted(stats.items()):
        rows.append((
            site,
            s.get("downloader/response_count", 0),
            s.get("item_scraped_count", 0),
            s.get("archive/new", 0),
            s.get("archive/duplicate", 0),
            s.get("archive/unchanged", 0) + s.get("archive/alias", 0),
            s.get("archive/changed", 0),
            s.get("incremental/skipped_fresh", 0),
            sum(v for k, v in s.items() if k.startswith("extract/skipped/")),
            run_counts(s)["errors"],  # each failure once, as the run log counts it
            s.get("finish_reason", NOT_STARTED),
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
