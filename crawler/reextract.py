"""The crawler's extraction applied to stored captures, for ``python -m archive reextract``.

A record is read again as the crawl read it: the same site profile, the same extraction
(`extract_page`), the pages of a split article joined in order (`merge_pages`), a compilation's
part picked by its `#part-N` URL, the site's repeated paragraphs dropped (`RepeatedBlocks`, fed
in the order the records were stored, as the crawl fed it in the order it fetched), and the
fields normalised as `NormalizePipeline` does. No Scrapy: this runs inside the archive's CLI.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from archive.crawlstate import header
from archive.reextract import ReextractFailed
from crawler.extract import extract_page, merge_pages
from crawler.extract.document import Document, Extracted
from crawler.extract.fields import normalize_fields
from crawler.extract.repeated import RepeatedBlocks, drop_repeated
from crawler.settings import (
    EXTRACT_FAVOR_PRECISION,
    EXTRACT_MAX_BYTES,
    EXTRACT_MAX_DEPTH,
    EXTRACT_REPEATED_MIN_PAGES,
)
from crawler.sites import GENERIC, SITES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from archive.records import Capture, Record
    from crawler.extract.document import ExtractResult
    from crawler.sites.profile import SiteProfile

__all__ = ["Reextractor"]


class Reextractor:
    """Reads a record's captures again; one per re-extraction run (it keeps the site memory).

    Args:
        favor_precision, max_bytes, max_depth, repeated_min_pages: The crawl's `EXTRACT_*`
            settings of the same names; the defaults are the project's.
    """

    def __init__(
        self,
        *,
        favor_precision: bool = EXTRACT_FAVOR_PRECISION,
        max_bytes: int = EXTRACT_MAX_BYTES,
        max_depth: int = EXTRACT_MAX_DEPTH,
        repeated_min_pages: int = EXTRACT_REPEATED_MIN_PAGES,
    ) -> None:
        """See the class docstring."""
        self.options: dict[str, Any] = {
            "favor_precision": favor_precision,
            "max_bytes": max_bytes,
            "max_depth": max_depth,
        }
        self.repeated_min_pages = repeated_min_pages
        # One memory per site, as each spider of a crawl has its own.
        self._memory: dict[str, RepeatedBlocks] = {}
        # The parts of a compilation share one capture: it is read once for all of them.
        self._last: tuple[tuple[str, str, bool], ExtractResult] | None = None

    def __call__(self, record: Record, captures: Sequence[Capture]) -> dict[str, Any]:
        """The record's fields as the current extraction reads its captures.

        Raises:
            ReextractFailed: No capture was stored (``no_capture``), the site is unknown
                (``unknown_site``), the page is no document now (``skipped/<reason>``), or a
                compilation no longer has the record's part (``part_missing``).
        """
        if not captures:
            raise ReextractFailed("no_capture", "stored without its raw response (ARCHIVE_KEEP_RAW was off)")
        profile = SITES.get(record.site) or (GENERIC if record.site == GENERIC.key else None)
        if profile is None:
            raise ReextractFailed("unknown_site", f"no site profile {record.site!r} in crawler.sites")
        result = self._page(captures[0], profile, continuation=False)
        if not isinstance(result, Extracted):
            raise ReextractFailed(f"skipped/{result.reason}", result.detail)
        document = _part(result, record)
        if document.next_pages:
            document = merge_pages(document, self._further_pages(document, captures[1:], profile))
        fields = document.record_fields()
        del fields["url"], fields["site"]
        return normalize_fields(fields)[0]

    def _page(self, capture: Capture, profile: SiteProfile, *, continuation: bool) -> ExtractResult:
        key = (capture.url, capture.fetched_at, continuation)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        try:
            body = capture.decoded_body()
        except ValueError as exc:
            raise ReextractFailed("undecodable", str(exc)) from None
        result = extract_page(
            body,
            capture.url,
            profile,
            content_type=header(capture.headers, "Content-Type"),
            continuation=continuation,
            now=datetime.strptime(capture.fetched_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
            **self.options,
        )
        memory = self._site_memory(profile.key)
        if memory is not None:
            result = drop_repeated(result, capture.url, memory)
        self._last = (key, result)
        return result

    def _further_pages(self, first: Document, captures: Sequence[Capture], profile: SiteProfile) -> list[Document]:
        # As the spider does: a page that is missing or gives no text marks the article truncated.
        stored = {capture.url: capture for capture in captures}
        parts = []
        for url in first.next_pages:
            capture = stored.get(url)
            result = self._page(capture, profile, continuation=True) if capture is not None else None
            if isinstance(result, Extracted):
                parts.append(result.documents[0])
            else:
                parts.append(Document(url=url, site=first.site, title="", text="", truncated=True))
        return parts

    def _site_memory(self, site: str) -> RepeatedBlocks | None:
        if self.repeated_min_pages <= 0:
            return None
        return self._memory.setdefault(site, RepeatedBlocks(min_pages=self.repeated_min_pages))


def _part(result: Extracted, record: Record) -> Document:
    """The document of the page that is this record: its compilation part, or the page's one."""
    if "#part-" not in record.url:
        if len(result.documents) == 1:
            return result.documents[0]
        parts = len(result.documents)
        raise ReextractFailed("split", f"the page now splits into {parts} parts; crawl it again to store them")
    for document in result.documents:
        if document.url == record.url:
            return document
    part = record.url.rpartition("#")[2]
    raise ReextractFailed("part_missing", f"the page no longer splits into a part {part}")
