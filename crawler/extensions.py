"""Observability of a crawl: the run log in the archive, progress lines, the final stats file.

`CrawlRunExtension` logs every run in the archive (`python -m archive runs`), with its counts
so far while it runs; `ProgressExtension` logs one progress line per crawl every
PROGRESS_INTERVAL seconds; `StatsFileExtension` writes a run's final stats to STATS_FILE.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.extensions.logstats import LogStats
from twisted.internet.task import LoopingCall

from archive import ArchiveError, open_archive
from crawler.pipelines import commit_shared_archive
from crawler.runner import final_reason

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from archive import Archive

logger = logging.getLogger(__name__)


def run_counts(stats: dict[str, Any]) -> dict[str, int]:
    """The run log's counters from a crawl's stats."""

    def total(prefix: str) -> int:
        return sum(int(v) for k, v in stats.items() if k.startswith(prefix))

    return {
        "pages": int(stats.get("downloader/response_count", 0)),
        "new": int(stats.get("archive/new", 0)),
        "changed": int(stats.get("archive/changed", 0)),
        "duplicate": int(stats.get("archive/duplicate", 0)),
        # Sightings without a new record: the same text again, a 304, another URL of the record.
        "unchanged": int(stats.get("archive/unchanged", 0))
        + int(stats.get("incremental/not_modified", 0))
        + int(stats.get("archive/alias", 0)),
        "skipped": int(stats.get("incremental/skipped_fresh", 0)) + total("extract/skipped/"),
        # Each failure once: a page that could not be fetched (whatever Scrapy also logged about
        # it), a callback that raised, an archive that could not be written.
        "errors": int(stats.get("crawl/page_error", 0))
        + int(stats.get("spider_exceptions/count", 0))
        + int(stats.get("archive/error", 0)),
    }


def run_log_counts(stats: dict[str, Any]) -> dict[str, Any]:
    """What the run log stores of a crawl: its counters and, for a frontier worker, its run and worker id."""
    counts: dict[str, Any] = dict(run_counts(stats))
    if stats.get("frontier/run"):
        counts["frontier_run"] = str(stats["frontier/run"])
        counts["worker"] = str(stats.get("frontier/worker", ""))
    return counts


class CrawlRunExtension:
    """Logs each crawl run (id, spider, start, end, finish reason, counts) in the archive.

    Enabled by CRAWL_RUNS_ENABLED with an archive at ARCHIVE_URI. The run is logged as the
    crawler is built, before the spider opens, so a run killed while starting is logged too; one
    killed outright (SIGKILL) has no end, and the archive shows it as interrupted once its
    process is gone. An archive that cannot be written is the pipeline's to report: the run is
    then not logged, and nothing else is said.

    While the crawl runs, its counts so far are stored every PROGRESS_INTERVAL seconds (0:
    only at the end), so `python -m archive runs` shows a live run with them.

    The run's end is written after the spider's last batch of items is committed (the pipeline
    commits when the spider closes, before `spider_closed`). Each run-log write first commits
    the batch this process's crawls hold (`commit_shared_archive`): its write lock would make
    this connection wait, on the thread that commits it. So a live update also ends the open
    batch early, once per interval: one commit more every 30 s by default.
    """

    def __init__(self, crawler: Crawler, uri: str, *, interval: float = 0.0) -> None:
        self.crawler = crawler
        self.uri = uri
        self.interval = interval
        self.archive: Archive | None = None
        self.run_id: str | None = None
        self._timer: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        uri = crawler.settings.get("ARCHIVE_URI")
        if not crawler.settings.getbool("CRAWL_RUNS_ENABLED") or not uri:
            raise NotConfigured("CRAWL_RUNS_ENABLED is off or ARCHIVE_URI is empty")
        extension = cls(crawler, uri, interval=crawler.settings.getfloat("PROGRESS_INTERVAL", 30.0))
        assert crawler.spidercls is not None
        extension.start(crawler.spidercls.name)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def start(self, spider_name: str) -> None:
        """Log the run's start (best effort: see the class docstring)."""
        try:
            commit_shared_archive(self.uri)  # another spider of this process may hold a batch
            self.archive = open_archive(self.uri, near_dup=False)
            self.run_id = self.archive.start_run(spider_name)
        except ArchiveError as exc:
            logger.debug("run not logged: %s", exc)
            self._close()

    def spider_opened(self, spider: Spider) -> None:
        if self.run_id is None:
            return
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("run/id", self.run_id)
        logger.info("crawl run %s started", self.run_id, extra={"spider": spider})
        if self.interval > 0:
            self._timer = LoopingCall(self.update)
            self._timer.start(self.interval, now=False)

    def update(self) -> None:
        """Store the run's counts so far (best effort: a failure is logged once, the crawl goes on)."""
        if self.archive is None or self.run_id is None:
            return
        assert self.crawler.stats is not None
        commit_shared_archive(self.uri)  # the batch's write lock; a failed commit is the pipeline's to report
        try:
            self.archive.update_run(self.run_id, run_log_counts(self.crawler.stats.get_stats()))
        except ArchiveError as exc:
            # Busy or full now, perhaps fine at the next interval or at the end: said once.
            if not self.crawler.stats.get_value("run/update_error"):
                logger.warning("the run log could not store the counts of run %s so far: %s", self.run_id, exc)
            self.crawler.stats.inc_value("run/update_error")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self._timer = None
        if self.archive is None or self.run_id is None:
            return
        assert self.crawler.stats is not None
        commit_shared_archive(self.uri)  # other spiders' batch; a failure is theirs to report
        try:
            reason = final_reason(reason, self.crawler.stats.get_stats()) or reason
            self.archive.finish_run(self.run_id, reason, run_log_counts(self.crawler.stats.get_stats()))
        except ArchiveError as exc:
            # A disk too full for one more page: the archive will show the run as interrupted.
            logger.warning("the run log could not record that run %s ended with %s: %s", self.run_id, reason, exc)
        self._close()

    def _close(self) -> None:
        if self.archive is not None:
            self.archive.close()
            self.archive = None


class ProgressExtension(LogStats):
    """Logs one line per crawl every PROGRESS_INTERVAL seconds (0: off), in place of Scrapy's LogStats.

    "baina: 120 pages fetched (48 pages/min), 80 records stored, 2 errors": the counts are the
    run log's (`run_counts`; records stored are new, changed and duplicate records), the rate
    is over the last interval. Scrapy's LogStats says only "Crawled N pages (at R pages/min),
    scraped M items", without the spider (which `crawl-all --concurrency` needs), the archive
    or the errors; this subclass keeps its timer and its final `responses_per_minute` and
    `items_per_minute` stats, and replaces its line (LOGSTATS_INTERVAL no longer applies).
    """

    def __init__(self, stats: StatsCollector, interval: float = 30.0) -> None:
        super().__init__(stats, interval)
        self._pages_before = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL", 30.0)
        if interval <= 0:
            raise NotConfigured("PROGRESS_INTERVAL is 0")
        assert crawler.stats is not None
        extension = cls(crawler.stats, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def log(self, spider: Spider) -> None:
        logger.info(progress_line(spider.name, self.stats.get_stats(), self._pages_before, self.interval),
                    extra={"spider": spider})
        self._pages_before = run_counts(self.stats.get_stats())["pages"]


def progress_line(spider: str, stats: dict[str, Any], pages_before: int, seconds: float) -> str:
    """The progress line of a crawl whose stats are `stats`, `pages_before` pages `seconds` ago."""
    counts = run_counts(stats)
    stored = counts["new"] + counts["changed"] + counts["duplicate"]
    rate = (counts["pages"] - pages_before) * 60.0 / seconds if seconds > 0 else 0.0
    return (
        f"{spider}: {counts['pages']} pages fetched ({rate:.0f} pages/min), "
        f"{stored} records stored, {counts['errors']} errors"
    )


class StatsFileExtension:
    """Writes a crawl's final stats to STATS_FILE as one JSON object (empty: off).

    `{spider}` in the path is the spider's name, for one file per spider of `crawl-all`; its
    folder is made if missing. The file appears whole or not at all (a temporary file in the
    same folder, then `os.replace`); datetimes are ISO 8601 strings. Written when the spider
    closes, after Scrapy's own stats (finish_reason, finish_time, elapsed_time_seconds) are set.
    A file that cannot be written is logged; the crawl's outcome does not change (crawler/checks.py
    refuses a path that cannot be made, before the crawl starts).
    """

    def __init__(self, crawler: Crawler, path: str) -> None:
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("STATS_FILE")
        if not path:
            # Off unless asked for; with a message Scrapy would log a warning on every crawl.
            raise NotConfigured
        extension = cls(crawler, str(path))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = final_reason(stats.get("finish_reason", reason), stats)
        target = stats_file_path(self.path, spider.name)
        try:
            write_json_atomically(target, stats)
        except OSError as exc:
            logger.error("cannot write STATS_FILE %s: %s", target, exc, extra={"spider": spider})
        else:
            logger.info("stats written to %s", target, extra={"spider": spider})


def stats_file_path(template: str, spider: str) -> Path:
    """STATS_FILE's path for `spider`: its `{spider}` placeholder replaced by the name."""
    return Path(template.replace("{spider}", spider))


def write_json_atomically(path: Path, values: dict[str, Any]) -> None:
    """Write `values` as JSON at `path`: whole or not at all (temporary file, then os.replace).

    Raises:
        OSError: The folder cannot be made or the file written (nothing is left behind).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(values, default=_jsonable, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)  # os.replace: atomic within the folder
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return str(value)  # nothing else is expected in stats; say what it was rather than fail
