"""Item pipelines: validate, normalise, then store in the archive (which deduplicates).

Exact deduplication happens inside `Archive.add`, in the same transaction as the write, so two
copies can never both become "first"; the pipeline reports what the archive decided. Near
duplicates plug in behind the archive's `NearDupIndex` interface, not here.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured
from scrapy.settings import SETTINGS_PRIORITIES
from twisted.internet.task import LoopingCall

from archive import Archive, ArchiveError, Capture, open_archive
from archive.neardup import prepare as prepare_sketches
from archive.neardup_sqlite import MinHashIndex
from archive.store import NEAR_DUP_INDEXES, parse_uri
from crawler.extract.fields import normalize_fields
from crawler.stopping import stop_crawl

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

class _CountingPipeline:
    """A pipeline that only needs the crawl's stats collector."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)


class ValidationPipeline(_CountingPipeline):
    """Drops items that cannot become records, with a logged reason and a counted stat.

    Always on: an item without a URL, a site or body text is a bug or an empty page.
    """

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for name in ("url", "site", "text"):
            if not str(adapter.get(name) or "").strip():
                self.stats.inc_value(f"validate/dropped/no_{name}")
                raise DropItem(f"no {name}: {adapter.get('url')}")
        if not str(adapter.get("title") or "").strip():
            self.stats.inc_value("validate/no_title")
            logger.warning("document without a title: %s", adapter.get("url"))
        return item


class NormalizePipeline(_CountingPipeline):
    """Puts every field in its canonical form (`crawler.extract.fields.normalize_fields`).

    A published_at that does not parse is nulled and counted (`normalize/bad_date`).
    """

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        names = ("text", "title", "keywords", "published_at")
        fields, bad_date = normalize_fields({name: adapter.get(name) for name in names})
        if bad_date:
            self.stats.inc_value("normalize/bad_date")
        for name in names:
            adapter[name] = fields[name]
        return item


def commit_items(uri: str, settings: BaseSettings) -> int:
    """Items per archive commit: ARCHIVE_COMMIT_ITEMS, but 1 on PostgreSQL unless given above the project's.

    On PostgreSQL a batch holds the archive-wide write lock until it commits, so every other
    worker's add waits for it: one worker held it 90% of the time with batches of 50, and 53%
    committing each item (bench/distributed.py). `-s ARCHIVE_COMMIT_ITEMS=N` still gets batches.
    """
    items = settings.getint("ARCHIVE_COMMIT_ITEMS", 50)
    shared = uri.split(":", 1)[0] in ("postgresql", "postgres")
    if shared and (settings.getpriority("ARCHIVE_COMMIT_ITEMS") or 0) <= SETTINGS_PRIORITIES["project"]:
        return 1
    return items


class ArchivePipeline:
    """Stores every item in the archive at `ARCHIVE_URI` and copies back what it decided.

    Enabled when `ARCHIVE_URI` is set. `ARCHIVE_KEEP_RAW` keeps the raw responses (WARC);
    `ARCHIVE_NEAR_DUPLICATES` off links exact duplicates only (the records wait for
    `python -m archive reindex --missing`).
    Stats: archive/new, archive/duplicate, archive/changed, archive/unchanged, and dedup/exact or
    dedup/near for a record linked to an earlier copy.

    Items are committed in batches (`ARCHIVE_COMMIT_ITEMS` items, or `ARCHIVE_COMMIT_SECONDS`
    after the batch's first: a timer commits a batch nothing else is added to), when the spider
    goes idle, and when it closes, before the run log records the end (`CrawlRunExtension`).
    A crawl killed outright loses its open batch, never part of one: those pages are fetched
    again by the next run (the archive says what is done), and nothing is stored twice.
    The archive is opened once per process (`SharedArchive`): every spider of `crawl-all` and
    IncrementalMiddleware write through the same connection and the same batch.

    An archive that cannot be opened or written (full disk, read-only, damaged, locked) stops
    the crawl at once, with the error's finish reason (`archive_disk_full`, ...): fetching on
    would only fetch pages that cannot be kept. Stats: archive/error, archive/not_stored. A
    batch whose commit fails is lost whole: its items count in archive/not_stored, and the
    archive/<status> and dedup/<match> counts they had added are taken back (a feed export
    written with `-O` still holds them). A commit that fails while the spider closes for
    another reason (`CLOSESPIDER_*`, a signal) stops nothing more: the finish reason stays
    that reason, the error is logged and counted.
    """

    def __init__(
        self,
        uri: str,
        stats: StatsCollector,
        *,
        keep_raw: bool = True,
        near_dup: bool = True,
        commit_items: int = 1,
        commit_seconds: float = 0.0,
        crawler: Crawler | None = None,
    ) -> None:
        self.uri = uri
        self.crawler = crawler
        self.stats = stats
        self.keep_raw = keep_raw
        self.near_dup = near_dup
        self.commit_items = commit_items
        self.commit_seconds = commit_seconds
        self.shared: SharedArchive | None = None
        self.archive: Archive | None = None
        self._timer: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        uri = crawler.settings.get("ARCHIVE_URI")
        if not uri:
            raise NotConfigured("ARCHIVE_URI is empty")
        assert crawler.stats is not None
        settings = crawler.settings
        items = commit_items(uri, settings)
        seconds = settings.getfloat("ARCHIVE_COMMIT_SECONDS", 1.0)
        if items < 1 or seconds < 0:
            raise ValueError(
                f"ARCHIVE_COMMIT_ITEMS={items}, ARCHIVE_COMMIT_SECONDS={seconds}; "
                "pass a whole number of items >= 1 and seconds >= 0"
            )
        pipeline = cls(
            uri,
            crawler.stats,
            keep_raw=settings.getbool("ARCHIVE_KEEP_RAW", True),
            near_dup=settings.getbool("ARCHIVE_NEAR_DUPLICATES", True),
            commit_items=items,
            commit_seconds=seconds,
            crawler=crawler,
        )
        crawler.signals.connect(pipeline.spider_idle, signal=signals.spider_idle)
        if pipeline.near_dup:
            # The first signature's one-off work (importing datasketch: ~0.8 s) before the engine
            # starts, not at the first document: a frontier worker has joined its run by then.
            prepare_sketches()
        return pipeline

    def open_spider(self) -> None:
        try:
            self.shared = SharedArchive.acquire(
                self.uri, commit_items=self.commit_items, commit_seconds=self.commit_seconds
            )
            self.archive = self.shared.view(near_dup=self.near_dup)
        except ArchiveError as exc:
            if self.shared is not None:
                self.shared.release()
                self.shared = None
            self.stats.inc_value("archive/error")
            logger.error("cannot open the archive: %s", exc)
            # Scrapy closes the spider, with this reason, before any request is made.
            raise CloseSpider(exc.reason) from exc
        if self.commit_items > 1 and self.commit_seconds > 0:
            self._timer = LoopingCall(self._commit)
            self._timer.start(self.commit_seconds, now=False)

    def spider_idle(self) -> None:
        # The last items are committed before Scrapy closes the spider as "finished", so that
        # a commit that fails gives the crawl its reason (and exit status), not "finished".
        self._commit()
        reason = self.stats.get_value("crawl/stop_reason")
        if reason is not None:
            raise CloseSpider(str(reason))

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self._timer = None
        if self.shared is not None:
            self._commit()
            self.shared.release()
            self.shared = None
            self.archive = None

    def _commit(self) -> None:
        if self.shared is not None:
            self.shared.commit()

    def process_item(self, item: Any) -> Any:
        assert self.archive is not None, "open_spider was not called"
        assert self.shared is not None
        adapter = ItemAdapter(item)
        fields = {
            name: adapter.get(name)
            for name in ("url", "site", "title", "published_at", "text", "category", "source",
                         "keywords", "truncated", "collection", "extra")
        }
        captures: list[Capture] = list(adapter.get("captures") or ()) if self.keep_raw else []
        try:
            result = self.archive.add(fields, captures)
        except ArchiveError as exc:
            self.shared.failed(exc)  # the batch before it, when the failure lost it
            archive_failed(self.stats, self.crawler, exc)
            # The stop was logged once (ERROR); each item it costs is only counted.
            raise DropItem(f"not stored: {fields['url']}", log_level="DEBUG") from exc
        counted = [f"archive/{result.status}"]
        if result.match:
            counted.append(f"dedup/{result.match}")
        for key in counted:
            self.stats.inc_value(key)
        self.shared.wrote(self.stats, self.crawler, counted, item=True)
        # The item becomes the stored record, so `-O out.jsonl` and the archive agree.
        for name, value in result.record.to_dict().items():
            adapter[name] = value
        if "captures" in adapter:
            adapter["captures"] = []
        return item


def archive_failed(stats: StatsCollector, crawler: Crawler | None, exc: ArchiveError, *, lost: int = 1) -> None:
    """Count `lost` items not stored and one archive error, and stop the crawl (logged once)."""
    if lost:
        stats.inc_value("archive/not_stored", lost)
    if stats.get_value("archive/error") is None:
        stats.inc_value("archive/error")
    if crawler is not None:
        stop_crawl(crawler, exc.reason, f"cannot write the archive: {exc}")


@dataclass(frozen=True)
class _Unsaved:
    # A write of the open batch, and the stats it counted (taken back if the batch is lost).
    stats: StatsCollector
    crawler: Crawler | None
    counted: tuple[str, ...]
    item: bool


class SharedArchive:
    """The archive this process's crawls write to: one connection, one batch, for all of them.

    A batch holds SQLite's write lock until it commits. Another connection of this process (a
    second spider of `crawl-all --concurrency`, IncrementalMiddleware's 304 sightings, the run
    log) would wait for that lock on the reactor thread, the one thread that can commit the
    batch: for the whole busy timeout, then fail as archive_locked. So they all write through
    the one `SharedArchive` of the archive file, opened by the first pipeline and closed by the
    last (the commit settings are that pipeline's; the near-duplicate index is loaded once, for
    every pipeline that links near-duplicates). Only the reactor thread uses it.

    It also remembers what the writes of the open batch counted, to take it back if the batch
    is lost (`failed`): a batch can hold the items of several crawls.
    """

    _open: ClassVar[dict[Path, SharedArchive]] = {}

    def __init__(self, key: Path, scheme: str, archive: Archive) -> None:
        self.key = key
        self.scheme = scheme
        self.archive = archive
        self.users = 0
        self._views: dict[bool, Archive] = {archive.near_index is not None: archive}
        self._unsaved: list[_Unsaved] = []

    @classmethod
    def acquire(cls, uri: str, *, commit_items: int = 1, commit_seconds: float = 0.0) -> SharedArchive:
        """The shared archive at `uri`, opened (created if missing) by the first caller.

        Raises:
            ArchiveError: It cannot be opened.
            ValueError: `commit_items` below 1 or `commit_seconds` negative.
        """
        key = _archive_key(uri)
        shared = cls._open.get(key)
        if shared is None:
            # Without the index: a view adds it for the pipelines that link near-duplicates.
            archive = open_archive(uri, near_dup=False, commit_items=commit_items, commit_seconds=commit_seconds)
            shared = cls._open[key] = cls(key, parse_uri(uri)[0], archive)
        shared.users += 1
        return shared

    @classmethod
    def find(cls, uri: str) -> SharedArchive | None:
        """The shared archive at `uri` if a crawl of this process has it open."""
        try:
            return cls._open.get(_archive_key(uri))
        except ArchiveError:  # not an archive URI: nobody opened it
            return None

    def view(self, *, near_dup: bool) -> Archive:
        """The archive with or without the near-duplicate index, over the one connection.

        Raises:
            ArchiveError: The near-duplicate index cannot be opened (``SchemaError``, ...).
        """
        if near_dup not in self._views:
            store = self.archive.store
            index = NEAR_DUP_INDEXES[self.scheme](store, None) if near_dup else None
            if isinstance(index, MinHashIndex):
                index.load()  # seconds for a large archive: before the first request, not mid-crawl
            self._views[near_dup] = Archive(store, near_index=index)
            self.archive.commit()  # a new index's parameters: not to be held with the first batch
        return self._views[near_dup]

    def wrote(self, stats: StatsCollector, crawler: Crawler | None, counted: Sequence[str], *, item: bool) -> None:
        """Note a write that succeeded and the stats it counted (nothing to keep once committed)."""
        if self.archive.pending:
            self._unsaved.append(_Unsaved(stats, crawler, tuple(counted), item))
        else:
            self._unsaved.clear()  # it committed the batch, and the writes before it

    def failed(self, exc: ArchiveError) -> None:
        """After a write or commit raised: if it lost the batch, take back what the batch counted.

        Each crawl with items in it counts them in archive/not_stored and stops.
        """
        if self.archive.pending or not self._unsaved:
            return  # only the failed write itself was undone
        lost, self._unsaved = self._unsaved, []
        for unsaved in lost:
            for key in unsaved.counted:
                unsaved.stats.inc_value(key, -1)
        for stats, crawler in {id(u.stats): (u.stats, u.crawler) for u in lost}.values():
            items = sum(u.item for u in lost if u.stats is stats)
            logger.debug("a failed commit lost %d item(s) of this crawl", items)
            archive_failed(stats, crawler, exc, lost=items)

    def commit(self) -> bool:
        """Commit the open batch; False when that failed (the batch is lost: see `failed`)."""
        try:
            self.archive.commit()
        except ArchiveError as exc:
            self.failed(exc)
            return False
        self._unsaved.clear()
        return True

    def release(self) -> None:
        """One user fewer; the last one commits and closes the archive."""
        self.users -= 1
        if self.users > 0:
            return
        del self._open[self.key]
        if self.commit():
            try:
                self.archive.close()
            except ArchiveError as exc:  # nothing is held any more: only closing failed
                logger.warning("closing the archive %s failed: %s", self.key, exc)
        else:
            with contextlib.suppress(ArchiveError):
                self.archive.close()


@functools.lru_cache(maxsize=64)
def _archive_key(uri: str) -> Path:
    # One key per archive file, however its URI is written (relative, absolute, bare path).
    # Cached: the incremental middleware asks for every request, and resolving costs 80 µs.
    return Path(parse_uri(uri)[1]).resolve()


def commit_shared_archive(uri: str) -> None:
    """Commit the batch this process's crawls hold on the archive at `uri`, if they hold one.

    For a writer with its own connection (the run log): the batch holds the write lock that
    writer would otherwise wait for, on the thread that would commit it.
    """
    shared = SharedArchive.find(uri)
    if shared is not None:
        shared.commit()
