"""``Archive``: hashes, deduplicates, versions and stores documents over an ``ArchiveStore``."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Self

from archive import crawlstate
from archive.dedup import content_hash
from archive.errors import ArchiveError, RecordNotFound
from archive.export import export_jsonl as _export_jsonl
from archive.records import UTC_TIMESTAMP, Record, RecordQuery, record_id

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterator, Mapping, Sequence
    from datetime import date
    from types import TracebackType
    from typing import IO

    from archive.crawlstate import PageState, Run
    from archive.dedup import NearDupIndex
    from archive.records import Capture, DateField, Sighting
    from archive.store import ArchiveStore

logger = logging.getLogger(__name__)

__all__ = ["DOC_FIELDS", "AddResult", "AddStatus", "Archive", "MatchKind"]

AddStatus = Literal["new", "duplicate", "changed", "unchanged"]
MatchKind = Literal["exact", "near"]

#: Keys ``Archive.add`` accepts, with the default used when a key is absent. ``url``, ``site``
#: and ``text`` are required; ``crawled_at`` defaults to now.
DOC_FIELDS: dict[str, Any] = {
    "url": None,
    "site": None,
    "title": "",
    "published_at": None,
    "text": None,
    "category": None,
    "source": None,
    "keywords": (),
    "truncated": False,
    "collection": None,
    "extra": None,
    "crawled_at": None,
}


@dataclass(frozen=True)
class AddResult:
    """What ``Archive.add`` did.

    Attributes:
        record: The stored record, or for ``"unchanged"`` the existing one.
        status: ``"new"``; ``"duplicate"`` (another URL has the same or, via the near-duplicate
            index, a near text: ``record.dup_of`` is set); ``"changed"`` (a new version of a known
            URL; ``dup_of`` set when the text matches another URL's); ``"unchanged"`` (the URL
            already holds this text: only a sighting was added).
        match: How ``record.dup_of`` was found: ``"exact"`` (same normalised text) or ``"near"``
            (the near-duplicate index); None when ``dup_of`` is null or for ``"unchanged"``.
    """

    record: Record
    status: AddStatus
    match: MatchKind | None = None


class Archive:
    """A dated, deduplicating archive of extracted documents.

    Get one with ``open_archive(uri)``. Not thread-safe: use one per thread.

    Args:
        store: The storage backend.
        near_index: Asked for a near-duplicate when a record has no exact one; every stored
            record is added to it in the transaction of its write.
    """

    def __init__(self, store: ArchiveStore, *, near_index: NearDupIndex | None = None) -> None:
        """Wrap ``store``; see the class docstring."""
        self.store = store
        self.near_index = near_index

    def __repr__(self) -> str:
        """Name the store location."""
        return f"<Archive {self.store.location}>"

    def add(self, doc: Mapping[str, Any], captures: Sequence[Capture] = ()) -> AddResult:
        r"""Store one extracted document, as a new record, a new version, or a sighting.

        Everything happens in one transaction: a record with the same URL and content hash
        gets a sighting only; otherwise a new record is stored, with ``dup_of`` pointing at the
        root of the earliest record with the same normalised text or, failing that, at the
        earliest near-duplicate document the index knows (not one first seen at this URL); the
        captures are written (each ``(url, body)`` once) and linked to it, and the record is
        added to the near-duplicate index. The text is sketched (MinHash) once, and not at all
        for an exact duplicate.

        Args:
            doc: Keys of ``DOC_FIELDS``: url, site, title, published_at, text, category,
                source, keywords, truncated, collection, extra and optionally crawled_at.
            captures: The raw HTTP responses the document was extracted from.

        Returns:
            The record and what happened to it.

        Raises:
            ValueError: ``url``/``site`` missing, ``text`` empty, an unknown key, or a bad value.

        Example:
            >>> result = archive.add({"url": "https://example.com/1.html", "site": "generic",
            ...                       "title": "通知", "text": "第一段\n第二段"})  # doctest: +SKIP
            >>> result.status  # doctest: +SKIP
            'new'
        """
        values = _doc_values(doc)
        chash = content_hash(values["text"])
        rid = record_id(values["url"], chash)
        seen_at = values.pop("crawled_at")
        with self.store.transaction():
            existing = self.store.find(values["url"], chash)
            if existing is not None:
                self.store.add_sighting(existing.id, existing.url, seen_at)
                logger.debug("unchanged %s (%s)", existing.url, existing.id)
                return AddResult(existing, "unchanged")
            changed = self.store.has_url(values["url"])
            dup_of = self._exact_dup(chash)
            match: MatchKind | None = "exact" if dup_of else None
            sketch = None
            if self.near_index is not None and dup_of is None:
                sketch = self.near_index.sketch(values["text"])
                # A new version of a page is naturally close to its old version: the index
                # ignores this URL's records, so that is not a duplicate.
                dup_of = self.near_index.find(sketch, url=values["url"])
                match = "near" if dup_of else None
            record = Record(id=rid, content_hash=chash, dup_of=dup_of, crawled_at=seen_at, **values)
            self.store.insert(record)
            self.store.add_sighting(rid, record.url, seen_at)
            if captures:
                self.store.add_captures(rid, captures)
            if self.near_index is not None:
                self.near_index.add(rid, sketch)
        status: AddStatus = "changed" if changed else "duplicate" if dup_of else "new"
        logger.debug("%s %s (%s, dup_of=%s, %s)", status, record.url, rid, dup_of, match)
        return AddResult(record, status, match)

    def _root(self, record: Record) -> Record:
        # Follow dup_of to the record that is not itself a duplicate. One hop is the invariant;
        # the loop (bounded against cycles) keeps it true even for hand-edited stores.
        seen = {record.id}
        while record.dup_of is not None and record.dup_of not in seen:
            parent = self.store.get(record.dup_of)
            if parent is None:
                break
            seen.add(parent.id)
            record = parent
        return record

    def _exact_dup(self, chash: str) -> str | None:
        first = self.store.first_with_hash(chash)
        return self._root(first).id if first is not None else None

    def get(self, record_id: str) -> Record:
        """Return the record with id ``record_id``.

        Raises:
            RecordNotFound: No record has that id.
        """
        record = self.store.get(record_id)
        if record is None:
            raise RecordNotFound(
                f"no record with id {record_id!r}; list ids with `python -m archive export`"
            )
        return record

    def versions(self, url: str) -> list[Record]:
        """Return every stored version of ``url``, oldest first (empty when unknown)."""
        return self.store.versions(url)

    def latest(self, url: str) -> Record | None:
        """Return the version ``url`` was most recently seen with (None when unknown)."""
        return self.store.latest(url)

    def sightings(self, record_id: str) -> list[tuple[str, str]]:
        """Return ``(url, seen_at)`` for every time the record was added, oldest first.

        Raises:
            RecordNotFound: No record has that id.
        """
        self.get(record_id)
        return self.store.sightings(record_id)

    def duplicates(self, record_id: str) -> list[Record]:
        """Return the records whose ``dup_of`` is ``record_id`` (its document's copies), oldest first.

        Raises:
            RecordNotFound: No record has that id.
        """
        self.get(record_id)
        return self.store.duplicates(record_id)

    def document_sightings(self, record_id: str) -> list[Sighting]:
        """Return every place and time the document of ``record_id`` was seen.

        The document is the record's root (the record itself unless it has ``dup_of``) with all
        its exact and near duplicates, on any site.

        Args:
            record_id: The root, or any of its duplicates.

        Returns:
            ``Sighting(url, seen_at, record_id)`` of the root and of every duplicate, ordered by
            ``seen_at`` (then by when they were stored).

        Raises:
            RecordNotFound: No record has that id.
        """
        root = self._root(self.get(record_id))
        return self.store.document_sightings(root.id)

    def _sql(self) -> sqlite3.Connection:
        # Crawl state lives in SQLite tables beside the records (see archive.crawlstate).
        conn: sqlite3.Connection | None = getattr(self.store, "conn", None)
        if conn is None:
            raise ArchiveError(f"{self.store.location} keeps no crawl state; use a sqlite:// archive")
        return conn

    def page_state(self, url: str) -> PageState | None:
        """What the archive knows of a fetched page (its records' last sighting, validators).

        A compilation page is known by its parts' records (``PAGE#part-N``).
        """
        return crawlstate.page_state(self._sql(), url)

    def touch(self, url: str, seen_at: str | None = None) -> int:
        """Record that a page was seen unchanged (a 304): a sighting of each of its latest records.

        Returns:
            How many records got a sighting (0 for a page the archive does not hold).
        """
        when = seen_at or _now()
        with self.store.transaction():
            latest = [self.store.latest(record_url) for record_url in crawlstate.record_urls(self._sql(), url)]
            for record in latest:
                if record is not None:
                    self.store.add_sighting(record.id, record.url, when)
        return sum(record is not None for record in latest)

    def start_run(self, spider: str, started_at: str | None = None) -> str:
        """Log the start of a crawl run; returns its run id."""
        run_id = crawlstate.new_run_id()
        with self.store.transaction():
            crawlstate.start_run(self._sql(), run_id, spider, started_at or _now())
        return run_id

    def finish_run(self, run_id: str, finish_reason: str, counts: Mapping[str, Any]) -> None:
        """Log how a crawl run ended and what it did (see ``crawlstate.RUN_COUNTS``)."""
        with self.store.transaction():
            crawlstate.finish_run(self._sql(), run_id, _now(), finish_reason, counts)

    def runs(self, *, spider: str | None = None, limit: int | None = None) -> list[Run]:
        """Crawl runs, newest first."""
        return crawlstate.list_runs(self._sql(), spider=spider, limit=limit)

    def captures(self, record_id: str) -> list[Capture]:
        """Return the raw captures of a record, byte-identical to what was added, in order.

        Raises:
            RecordNotFound: No record has that id.
            CorruptArchive: A WARC file is missing or damaged.
        """
        self.get(record_id)
        return self.store.captures(record_id)

    def iter_records(
        self,
        *,
        site: str | None = None,
        since: date | None = None,
        until: date | None = None,
        date_field: DateField = "crawled",
        latest_only: bool = False,
        distinct: bool = False,
    ) -> Iterator[Record]:
        """Stream records in insertion order, optionally filtered (bounds are inclusive days).

        Args:
            site: Only this site key.
            since: Only records dated on or after this day.
            until: Only records dated on or before this day.
            date_field: ``"crawled"`` (UTC day of ``crawled_at``) or ``"published"`` (the page's
                own day; records without ``published_at`` are excluded when a bound is given).
            latest_only: Per URL, only the version it was most recently seen with.
            distinct: Instead of the matching records, their documents' roots (each once, in
                insertion order): one record per distinct document with a matching copy.

        Raises:
            BadFilter: Unknown ``date_field`` or ``since`` after ``until``.
        """
        query = RecordQuery(site, since, until, date_field, latest_only, distinct)
        return self.store.iter_records(query)

    def sites(self) -> list[str]:
        """Return the site keys the archive holds records of, sorted."""
        return self.store.sites()

    def stats(self) -> dict[str, Any]:
        """Return record counts per site, per month of publication and in total.

        Returns:
            ``{"sites": {site: {"records", "duplicates", "truncated", "urls"}}, "months":
            {"YYYY-MM" or "unknown": records}, "total": {the site keys and "captures"}}``.
        """
        return self.store.stats()

    def export_jsonl(
        self,
        fp: IO[str],
        *,
        site: str | None = None,
        since: date | None = None,
        until: date | None = None,
        date_field: DateField = "crawled",
        distinct: bool = True,
        all_versions: bool = False,
    ) -> int:
        """Write one JSON line per distinct document (or per record) to ``fp``.

        See ``archive.export.export_jsonl`` for the options.

        Returns:
            The number of lines written.

        Raises:
            BadFilter: ``site`` is not in the archive, or an invalid date filter.
        """
        return _export_jsonl(
            self,
            fp,
            site=site,
            since=since,
            until=until,
            date_field=date_field,
            distinct=distinct,
            all_versions=all_versions,
        )

    def close(self) -> None:
        """Close the underlying store."""
        self.store.close()

    def __enter__(self) -> Self:
        """Return the archive itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the archive."""
        self.close()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _doc_values(doc: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(doc) - set(DOC_FIELDS))
    if unknown:
        raise ValueError(
            f"unknown document key(s) {', '.join(unknown)}; pass only {', '.join(DOC_FIELDS)}"
            " (id, content_hash and dup_of are computed)"
        )
    values = {key: doc.get(key, default) for key, default in DOC_FIELDS.items()}
    for key in ("url", "site"):
        if not isinstance(values[key], str) or not values[key]:
            raise ValueError(f"document has no {key}; every document needs url, site and text")
    if not isinstance(values["text"], str) or not values["text"].strip():
        raise ValueError(
            f"document {values['url']} has empty text; skip it instead of archiving it"
        )
    if values["crawled_at"] is None:
        values["crawled_at"] = _now()
    elif not isinstance(values["crawled_at"], str) or not UTC_TIMESTAMP.fullmatch(
        values["crawled_at"]
    ):
        raise ValueError(
            f"crawled_at {values['crawled_at']!r} is not UTC ISO 8601; "
            "use the form 2026-11-23T17:31:24Z"
        )
    keywords = values["keywords"] if values["keywords"] is not None else ()
    if isinstance(keywords, str) or not all(isinstance(k, str) for k in keywords):
        raise ValueError("keywords must be a list of str; split the tag line first")
    values["keywords"] = list(dict.fromkeys(keywords))
    values["extra"] = dict(values["extra"] or {})
    try:
        json.dumps(values["extra"])
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"document extra is not JSON-serialisable ({exc}); use str/int/list/dict values"
        ) from None
    values["truncated"] = bool(values["truncated"])
    if values["title"] is None:
        values["title"] = ""
    for key in ("title", "published_at", "category", "source", "collection"):
        if values[key] is not None and not isinstance(values[key], str):
            raise ValueError(
                f"document field {key} must be str or None, got {type(values[key]).__name__}"
            )
    return values
