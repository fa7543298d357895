"""`CrawlRunExtension`: every crawl is logged in the archive (`python -m archive runs`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive import ArchiveError, open_archive
from crawler.pipelines import commit_shared_archive

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

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


class CrawlRunExtension:
    """Logs each crawl run (id, spider, start, end, finish reason, counts) in the archive.

    Enabled by CRAWL_RUNS_ENABLED with an archive at ARCHIVE_URI. The run is logged as the
    crawler is built, before the spider opens, so a run killed while starting is logged too; one
    killed outright (SIGKILL) has no end, and the archive shows it as interrupted once its
    process is gone. An archive that cannot be written is the pipeline's to report: the run is
    then not logged, and nothing else is said.

    The run's end is written after the spider's last batch of items is committed (the pipeline
    commits when the spider closes, before `spider_closed`). Each run-log write first commits
    the batch this process's crawls hold (`commit_shared_archive`): its write lock would make
    this connection wait, on the thread that commits it.
    """

    def __init__(self, crawler: Crawler, uri: str) -> None:
        self.crawler = crawler
        self.uri = uri
        self.archive: Archive | None = None
        self.run_id: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        uri = crawler.settings.get("ARCHIVE_URI")
        if not crawler.settings.getbool("CRAWL_RUNS_ENABLED") or not uri:
            raise NotConfigured("CRAWL_RUNS_ENABLED is off or ARCHIVE_URI is empty")
        extension = cls(crawler, uri)
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

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.archive is None or self.run_id is None:
            return
        assert self.crawler.stats is not None
        commit_shared_archive(self.uri)  # other spiders' batch; a failure is theirs to report
        try:
            self.archive.finish_run(self.run_id, reason, run_counts(self.crawler.stats.get_stats()))
        except ArchiveError as exc:
            # A disk too full for one more page: the archive will show the run as interrupted.
            logger.warning("the run log could not record that run %s ended with %s: %s", self.run_id, reason, exc)
        self._close()

    def _close(self) -> None:
        if self.archive is not None:
            self.archive.close()
            self.archive = None
