"""``Archive``: hashes, deduplicates, versions and stores documents over an ``ArchiveStore``."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Self

from archive.dedup import content_hash
from archive.errors import RecordNotFound
from archive.export import export_jsonl as _export_jsonl
from archive.records import UTC_TIMESTAMP, Record, RecordQuery, record_id

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from datetime import date
    from types import TracebackType
    from typing import IO

    from archive.dedup import NearDupIndex
    from archive.records import Capture, DateField
    from archive.store import ArchiveStore

logger = logging.getLogger(__name__)

__all__ = ["DOC_FIELDS", "AddResult", "AddStatus", "Archive"]

AddStatus = Literal["new", "duplicate", "changed", "unchanged"]

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
    """

    record: Record
    status: AddStatus


class Archive:
    """A dated, deduplicating archive of extracted documents.

    Get one with ``open_archive(uri)``. Not thread-safe: use one per thread.

    Args:
        store: The storage backend.
        near_index: Asked for a near-duplicate when a record has no exact one; every stored
            record is added to it after its write commits.
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
        earliest record with the same normalised text (or the near-duplicate index's match),
        and the captures are written (each ``(url, body)`` once) and linked to it.

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
            if dup_of is None:
                dup_of = self._near_dup(values["text"], values["url"])
            record = Record(id=rid, content_hash=chash, dup_of=dup_of, crawled_at=seen_at, **values)
            self.store.insert(record)
            self.store.add_sighting(rid, record.url, seen_at)
            if captures:
                self.store.add_captures(rid, captures)
        if self.near_index is not None:
            self.near_index.add(rid, record.text)
        status: AddStatus = "changed" if changed else "duplicate" if dup_of else "new"
        logger.debug("%s %s (%s, dup_of=%s)", status, record.url, rid, dup_of)
        return AddResult(record, status)

    def _root(self, record: Record) -> str:
        # Follow dup_of to the record that is not itself a duplicate. One hop is the invariant;
        # the loop (bounded against cycles) keeps it true even for hand-edited stores.
        seen = {record.id}
        while record.dup_of is not None and record.dup_of not in seen:
            parent = self.store.get(record.dup_of)
            if parent is None:
                break
            seen.add(parent.id)
            record = parent
        return record.id

    def _exact_dup(self, chash: str) -> str | None:
        first = self.store.first_with_hash(chash)
        return self._root(first) if first is not None else None

    def _near_dup(self, text: str, url: str) -> str | None:
        if self.near_index is None:
            return None
        match_id = self.near_index.find(text)
        match = self.store.get(match_id) if match_id is not None else None
        # A new version of a page is naturally close to its old version: that is not a duplicate.
        if match is None or match.url == url:
            return None
        return self._root(match)

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

    def sightings(self, record_id: str) -> list[tuple[str, str]]:
        """Return ``(url, seen_at)`` for every time the record was added, oldest first.

        Raises:
            RecordNotFound: No record has that id.
        """
        self.get(record_id)
        return self.store.sightings(record_id)

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
    ) -> Iterator[Record]:
        """Stream records in insertion order, optionally filtered (bounds are inclusive days).

        Args:
            site: Only this site key.
            since: Only records dated on or after this day.
            until: Only records dated on or before this day.
            date_field: ``"crawled"`` (UTC day of ``crawled_at``) or ``"published"`` (the page's
                own day; records without ``published_at`` are excluded when a bound is given).
            latest_only: Per URL, only the version it was most recently seen with.

        Raises:
            BadFilter: Unknown ``date_field`` or ``since`` after ``until``.
        """
        query = RecordQuery(site, since, until, date_field, latest_only)
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
        latest_only: bool = False,
    ) -> int:
        """Write the matching records to ``fp``, one ``Record.to_json()`` line each.

        Takes the filters of ``iter_records``; see ``archive.export.export_jsonl``.

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
            latest_only=latest_only,
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
