"""Item pipelines: validate, normalise, then store in the archive (which deduplicates).

Exact deduplication happens inside `Archive.add`, in the same transaction as the write, so two
copies can never both become "first"; the pipeline reports what the archive decided. Near
duplicates plug in behind the archive's `NearDupIndex` interface, not here.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured

from archive import ArchiveError, Capture, open_archive
from crawler.extract.dates import parse_date
from crawler.stopping import stop_crawl

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from archive import Archive

logger = logging.getLogger(__name__)

_INLINE_SPACE = re.compile(r"[ \t\u00a0\u3000]+")


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
    """Puts every field in its canonical form (the schema the archive and exports share).

    Paragraphs are trimmed and empty ones dropped, runs of inline spaces folded (masks such as
    `***` and `xx` are untouched), keywords trimmed and de-duplicated, and a published_at that is
    not ISO 8601 re-parsed or nulled.
    """

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        lines = (unicodedata.normalize("NFC", line).strip() for line in adapter["text"].split("\n"))
        adapter["text"] = "\n".join(_INLINE_SPACE.sub(" ", line) for line in lines if line)
        adapter["title"] = _INLINE_SPACE.sub(" ", str(adapter.get("title") or "")).strip()
        keywords = (str(k).strip() for k in adapter.get("keywords") or ())
        adapter["keywords"] = list(dict.fromkeys(k for k in keywords if k))
        published = adapter.get("published_at")
        if published and parse_date(published) is None:
            self.stats.inc_value("normalize/bad_date")
            adapter["published_at"] = None
        return item


class ArchivePipeline:
    """Stores every item in the archive at `ARCHIVE_URI` and copies back what it decided.

    Enabled when `ARCHIVE_URI` is set. `ARCHIVE_KEEP_RAW` keeps the raw responses (WARC);
    `ARCHIVE_NEAR_DUPLICATES` off links exact duplicates only (the records wait for
    `python -m archive reindex --missing`).
    Stats: archive/new, archive/duplicate, archive/changed, archive/unchanged, and dedup/exact or
    dedup/near for a record linked to an earlier copy.

    An archive that cannot be opened or written (full disk, read-only, damaged, locked) stops
    the crawl at once, with the error's finish reason (`archive_disk_full`, ...): fetching on
    would only fetch pages that cannot be kept. Stats: archive/error, archive/not_stored.
    """

    def __init__(
        self,
        uri: str,
        stats: StatsCollector,
        *,
        keep_raw: bool = True,
        near_dup: bool = True,
        crawler: Crawler | None = None,
    ) -> None:
        self.uri = uri
        self.crawler = crawler
        self.stats = stats
        self.keep_raw = keep_raw
        self.near_dup = near_dup
        self.archive: Archive | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        uri = crawler.settings.get("ARCHIVE_URI")
        if not uri:
            raise NotConfigured("ARCHIVE_URI is empty")
        assert crawler.stats is not None
        settings = crawler.settings
        return cls(
            uri,
            crawler.stats,
            keep_raw=settings.getbool("ARCHIVE_KEEP_RAW", True),
            near_dup=settings.getbool("ARCHIVE_NEAR_DUPLICATES", True),
            crawler=crawler,
        )

    def open_spider(self) -> None:
        try:
            self.archive = open_archive(self.uri, near_dup=self.near_dup)
        except ArchiveError as exc:
            self.stats.inc_value("archive/error")
            logger.error("cannot open the archive: %s", exc)
            # Scrapy closes the spider, with this reason, before any request is made.
            raise CloseSpider(exc.reason) from exc

    def close_spider(self) -> None:
        if self.archive is not None:
            self.archive.close()
            self.archive = None

    def process_item(self, item: Any) -> Any:
        assert self.archive is not None, "open_spider was not called"
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
            self._failed(exc)
            # The stop was logged once (ERROR); each item it costs is only counted.
            raise DropItem(f"not stored: {fields['url']}", log_level="DEBUG") from exc
        self.stats.inc_value(f"archive/{result.status}")
        if result.match:
            self.stats.inc_value(f"dedup/{result.match}")
        # The item becomes the stored record, so `-O out.jsonl` and the archive agree.
        for name, value in result.record.to_dict().items():
            adapter[name] = value
        if "captures" in adapter:
            adapter["captures"] = []
        return item

    def _failed(self, exc: ArchiveError) -> None:
        self.stats.inc_value("archive/not_stored")
        if self.stats.get_value("archive/error") is None:
            self.stats.inc_value("archive/error")
        if self.crawler is not None:
            stop_crawl(self.crawler, exc.reason, f"cannot write the archive: {exc}")

