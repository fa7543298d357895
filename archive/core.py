"""``Archive``: hashes, deduplicates, versions and stores documents over an ``ArchiveStore``."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Self
from urllib.parse import urlsplit

from archive import crawlstate
from archive.dedup import content_hash, first_copy_key
from archive.errors import RecordNotFound
from archive.export import export_jsonl as _export_jsonl
from archive.records import UTC_TIMESTAMP, Record, RecordQuery
from archive.records import record_id as record_id_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from datetime import date
    from types import TracebackType
    from typing import IO

    from archive.crawlstate import PageState, Run
    from archive.dedup import NearDupIndex
    from archive.records import Capture, DateField, Sighting
    from archive.search import Order, SearchHit
    from archive.store import ArchiveStore

logger = logging.getLogger(__name__)

__all__ = ["DOC_FIELDS", "REVISED_FIELDS", "AddResult", "AddStatus", "Archive", "MatchKind"]

AddStatus = Literal["new", "duplicate", "changed", "unchanged", "alias"]
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

#: The fields ``Archive.revise`` may change: what extraction reads from a page.
REVISED_FIELDS: tuple[str, ...] = (
    "title", "published_at", "text", "category", "source", "keywords", "truncated", "collection", "extra",
)


@dataclass(frozen=True)
class AddResult:
    """What ``Archive.add`` did.

    ``"new"``, ``"duplicate"`` and ``"changed"`` store one record each, so their counts add up
    to the records stored; ``"unchanged"`` and ``"alias"`` store none (a sighting only). A copy
    that takes over as its document's root is a ``"duplicate"``, not ``"new"``: the archive then
    holds as many documents as before and one more duplicate (the old root), so ``"new"`` still
    counts the documents added and ``"duplicate"`` the records with ``dup_of`` added.

    Attributes:
        record: The stored record, or for ``"unchanged"`` and ``"alias"`` the existing one.
        status: ``"new"`` (no copy of the document is stored); ``"duplicate"`` (another URL holds the
            same or, via the near-duplicate index, a near text: ``record.dup_of`` is its
            document's root, or null when this copy sorts first and became the root, see
            ``previous_root``); ``"changed"`` (a new version of a known URL, linked the same way
            when its text matches another URL's); ``"unchanged"`` (the URL already holds this
            text: only a sighting was added); ``"alias"`` (a URL never stored, on the same host as
            a record with the same text and title, e.g. an upper-case variant of its path: a
            sighting of that record at this URL, with the captures linked to it; the next time
            the URL is added with that text it is ``"unchanged"``).
        match: How the document was found: ``"exact"`` (same normalised text) or ``"near"`` (the
            near-duplicate index); None for a new document, ``"unchanged"`` and ``"alias"``.
        previous_root: When this record took over as its document's root: the old root's id
            (it and every record that pointed at it now have ``dup_of`` = this record). None
            otherwise.
    """

    record: Record
    status: AddStatus
    match: MatchKind | None = None
    previous_root: str | None = None


class Archive:
    """A dated, deduplicating archive of extracted documents.

    Get one with ``open_archive(uri)``. Not thread-safe: use one per thread.

    Each write (``add``, ``touch``) commits at once, unless ``commit_items`` asks for batches:
    then a write is a savepoint of a transaction that commits every ``commit_items`` writes,
    when a write finds it ``commit_seconds`` old, on ``commit()`` and on ``close()``. A write
    that fails undoes itself only (its rows and WARC bytes), never the writes before it in the
    batch; a batch that cannot commit is rolled back whole (``pending`` is then 0). A batch
    holds the archive's write lock until it commits, and a crash loses it (never half of it).
    Run rows (``start_run``, ``finish_run``) commit at once, with the batch before them.

    Args:
        store: The storage backend.
        near_index: Asked for a near-duplicate when a record has no exact one; every stored
            record is added to it in the transaction of its write.
        commit_items: Writes per commit; 1 (the default) commits each one.
        commit_seconds: Also commit once the batch is this old when a write ends (0: no limit).

    Raises:
        ValueError: ``commit_items`` below 1 or ``commit_seconds`` negative.
    """

    def __init__(
        self,
        store: ArchiveStore,
        *,
        near_index: NearDupIndex | None = None,
        commit_items: int = 1,
        commit_seconds: float = 0.0,
    ) -> None:
        """Wrap ``store``; see the class docstring."""
        self.store = store
        self.near_index = near_index
        if commit_items != 1 or commit_seconds:
            store.batch(commit_items, commit_seconds)

    def __repr__(self) -> str:
        """Name the store location."""
        return f"<Archive {self.store.location}>"

    def add(self, doc: Mapping[str, Any], captures: Sequence[Capture] = ()) -> AddResult:
        r"""Store one extracted document, as a new record, a new version, or a sighting.

        Everything happens in one transaction (in a batch, one savepoint: see the class
        docstring), in this order:

        1. The URL already holds this text (same content hash): a sighting only (``unchanged``).
        2. The URL holds no record, and a record on the same host (scheme aside: same host name
           and port) has the same content hash and the same title: the URL is an alias of that
           record (``/DOC/1.html`` beside ``/doc/1.html``), so a sighting of it at this URL is
           added and the captures are linked to it (``alias``; ``unchanged``, with no captures,
           once the record was sighted at this URL). Of several such records, the one stored
           first; a record keeps the URL it was first stored under.
        3. Otherwise a new record is stored. Its document is the one of the records with the same
           normalised text (``exact``) or, failing that, the near-duplicate document the index
           names (``near``; documents rooted at this URL and this URL's own records are not
           duplicates of it). Each document has one root, its **first copy**: the copy with the
           smallest ``dedup.first_copy_key`` (earliest ``published_at``, the page's own date;
           undated copies after dated ones; then the smaller URL), never the first crawled. Every
           other copy has ``dup_of`` = the root (one hop). A record that sorts after its
           document's root gets ``dup_of`` = the root; one that sorts before it becomes the root,
           and the old root and every record pointing at it are re-pointed to the new record, in
           the same transaction (``previous_root`` names the old root). So the same set of copies
           gives the same root and the same ``dup_of`` whatever order they are added in, as long
           as every copy matches the document (near-duplicates are not transitive, and a record is
           compared only with what is stored when it is added). A new version of a page never
           takes over from a root at the same URL.
        4. The captures are written (each ``(url, body)`` once) and linked to the record, and the
           record is added to the near-duplicate index. The text is sketched (MinHash) once, and
           not at all for an exact duplicate, except on a ``contended`` store (PostgreSQL),
           which sketches every text before it takes the write lock, to hold it shorter.

        Args:
            doc: Keys of ``DOC_FIELDS``: url, site, title, published_at, text, category,
                source, keywords, truncated, collection, extra and optionally crawled_at.
                NUL characters (U+0000) are dropped from every value.
            captures: The raw HTTP responses the document was extracted from.

        Returns:
            The record and what happened to it (see ``AddResult`` for the statuses).

        Raises:
            ValueError: ``url``/``site`` missing, ``text`` empty, an unknown key, or a bad value.
            ArchiveError: The write (or the commit of the batch it ended) failed; see
                ``SqliteStore.transaction`` for what is rolled back.

        Example:
            >>> result = archive.add({"url": "https://example.com/1.html", "site": "generic",
            ...                       "title": "通知", "text": "第一段\n第二段"})  # doctest: +SKIP
            >>> result.status  # doctest: +SKIP
            'new'
        """
        values = _doc_values(doc)
        chash = content_hash(values["text"])
        url = values["url"]
        rid = record_id_of(url, chash)
        seen_at = values.pop("crawled_at")
        # Where writers queue for one lock, the sketch (a few ms of CPU) is made before it, even
        # for a text that turns out to be an exact duplicate and does not need it.
        sketch = None
        if self.near_index is not None and self.store.contended:
            sketch = self.near_index.sketch(values["text"])
        with self.store.transaction():
            existing, changed, first = self.store.lookup(url, chash)
            if existing is not None:
                self.store.add_sighting(existing.id, existing.url, seen_at)
                logger.debug("unchanged %s (%s)", existing.url, existing.id)
                return AddResult(existing, "unchanged")
            if first is not None and not changed:
                alias = self._same_host_record(url, chash, values["title"])
                if alias is not None:
                    # Seen here before: as for any URL that still holds its text, a sighting only.
                    again = self.store.sighted_at(alias.id, url)
                    self.store.add_sighting(alias.id, url, seen_at)
                    if captures and not again:
                        self.store.add_more_captures(alias.id, captures)
                    logger.debug("alias %s of %s (%s, again=%s)", url, alias.url, alias.id, again)
                    return AddResult(alias, "unchanged" if again else "alias")
            root: _Root | None = None
            match: MatchKind | None = None
            if first is not None:
                found = self._root(first)
                root, match = _Root(found.id, found.url, found.published_at), "exact"
            elif self.near_index is not None:
                if sketch is None:
                    sketch = self.near_index.sketch(values["text"])
                # A new version of a page is naturally close to its old version: the index
                # ignores this URL's records, so that is not a duplicate.
                near = self.near_index.find(sketch, url=url)
                if near is not None:
                    root, match = self._root_of(near), "near"
            previous_root = None
            if (
                root is not None
                and root.url != url
                and first_copy_key(values["published_at"], url) < first_copy_key(root.published_at, root.url)
            ):
                previous_root = root.id
            dup_of = root.id if root is not None and previous_root is None else None
            record = Record(id=rid, content_hash=chash, dup_of=dup_of, crawled_at=seen_at, **values)
            self.store.insert(record)
            self.store.add_sighting(rid, url, seen_at)
            if captures:
                self.store.add_captures(rid, captures)
            if previous_root is not None:
                moved = self.store.repoint(previous_root, rid)
                logger.debug("%s sorts before root %s: %d record(s) re-pointed", rid, previous_root, moved)
            if self.near_index is not None:
                # An exact duplicate's text is indexed already: only marked as indexed.
                self.near_index.add(rid, sketch if root is None or match == "near" else None)
        status: AddStatus = "changed" if changed else "duplicate" if root is not None else "new"
        logger.debug("%s %s (%s, dup_of=%s, %s)", status, record.url, rid, dup_of, match)
        return AddResult(record, status, match, previous_root)

    def revise(self, record_id: str, fields: Mapping[str, Any], *, reason: str = "reextract") -> AddResult:
        """Store ``fields`` as a new version of a record's URL, dated now, if they differ from it.

        For a better extraction of what is already stored (``python -m archive reextract``):
        the archive never rewrites a record, so a different reading is a version of its own,
        with ``extra["version_reason"] = reason``, the old version's captures, and a sighting
        now (so it is the URL's latest version, and the search index follows it).

        - Nothing differs (the fields of ``REVISED_FIELDS``; ``extra`` compared without its
          ``version_reason``): nothing is written (``"unchanged"``).
        - The text differs: stored as ``add`` stores a page whose text changed (``"changed"``),
          deduplicated against the other URLs' records; the old version keeps its duplicates
          (their text is the old one's). A text the URL held before comes back as a sighting of
          that version (``"unchanged"``; ``latest`` is then that version).
        - Only metadata differs: a new record with the same text (``"changed"``, its id salted
          with ``reason`` and the time, as ``url`` + hash names the old one). It takes the old
          version's place in its document: the old version's root is its root, and when the old
          version was the root, it becomes the root, and the old version and its duplicates
          point at it. A new ``published_at`` re-sorts the document by the first-copy rule: a
          copy now dated before its root (at another URL) takes over (``previous_root``), and a
          root now dated after a copy at another URL hands over to the first such copy.

        Args:
            record_id: The version to revise (normally its URL's latest).
            fields: New values of ``REVISED_FIELDS``; a field left out keeps the old value.
            reason: Why, stored in ``extra["version_reason"]``.

        Returns:
            What happened, as for ``add``.

        Raises:
            RecordNotFound: No record has that id.
            ValueError: A field that is not in ``REVISED_FIELDS``, or a bad value.
        """
        old = self.get(record_id)
        unknown = sorted(set(fields) - set(REVISED_FIELDS))
        if unknown:
            raise ValueError(f"cannot revise {', '.join(unknown)}; pass only {', '.join(REVISED_FIELDS)}")
        values = _doc_values({
            **{name: getattr(old, name) for name in REVISED_FIELDS},
            **fields,
            "url": old.url,
            "site": old.site,
            "crawled_at": _now(),
        })
        if _same_reading(old, values):
            return AddResult(old, "unchanged")
        values["extra"] = {**values["extra"], "version_reason": reason}
        captures = self.store.captures(old.id)
        chash = content_hash(values["text"])
        if chash != old.content_hash:
            return self.add(values, captures)
        seen_at = values.pop("crawled_at")
        salt = 0
        rid = record_id_of(old.url, f"{chash}\0{reason}\0{seen_at}")
        while self.store.get(rid) is not None:  # a second revision within the same second
            salt += 1
            rid = record_id_of(old.url, f"{chash}\0{reason}\0{seen_at}\0{salt}")
        key = first_copy_key(values["published_at"], old.url)
        with self.store.transaction():
            # A new date re-sorts the document by the first-copy rule, as add would have sorted it.
            dup_of = old.dup_of
            if dup_of is not None:
                root = self._root_of(dup_of)
                if root.url != old.url and key < first_copy_key(root.published_at, root.url):
                    dup_of = None
            record = Record(id=rid, content_hash=chash, dup_of=dup_of, crawled_at=seen_at, **values)
            self.store.insert(record)
            self.store.add_sighting(rid, old.url, seen_at)
            if captures:
                self.store.add_captures(rid, captures)
            previous_root = None
            if old.dup_of is None:
                self.store.repoint(old.id, rid)
                first = min(((first_copy_key(d.published_at, d.url), d.id) for d in self.store.duplicates(rid)
                             if d.url != old.url), default=None)
                if first is not None and first[0] < key:
                    self.store.repoint(rid, first[1])
                    record = replace(record, dup_of=first[1])
                    previous_root = rid
            elif dup_of is None:
                self.store.repoint(old.dup_of, rid)
                previous_root = old.dup_of
            if self.near_index is not None:
                # The text is indexed already (the old version's): only marked as indexed.
                self.near_index.add(rid, None)
        logger.debug("revised %s: %s -> %s (%s)", old.url, old.id, rid, reason)
        return AddResult(record, "changed", "exact" if record.dup_of else None, previous_root=previous_root)

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

    def _root_of(self, record_id: str) -> _Root:
        # Only the columns the first-copy rule needs: they are stored before the text, so its
        # overflow pages are not read (a near match is on the hot path of every crawl).
        row = self.store.root_fields(record_id)
        if row is None:
            raise RecordNotFound(f"the near-duplicate index names {record_id!r}, which is not stored; "
                                 "rebuild it with `python -m archive reindex`")
        return _Root(*row)

    def _same_host_record(self, url: str, chash: str, title: str) -> Record | None:
        host = _host(url)
        if host is None:
            return None
        rows = self.store.records_with_text(chash, title)
        for other_id, other_url in rows:
            if _host(other_url) == host:
                return self.store.get(other_id)
        return None

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

    def page_state(self, url: str) -> PageState | None:
        """What the archive knows of a fetched page (its records' last sighting, validators).

        A compilation page is known by its parts' records (``PAGE#part-N``).
        """
        return self.store.page_state(url)

    def touch(self, url: str, seen_at: str | None = None) -> int:
        """Record that a page was seen unchanged (a 304): a sighting of each of its latest records.

        The sighting is at the page's URL, also for an alias (a URL known only by sightings of
        another URL's record, see ``add``). In a batch it is one of the batch's writes.

        Returns:
            How many records got a sighting (0 for a page the archive does not hold).
        """
        when = seen_at or _now()
        with self.store.transaction():
            urls = self.store.page_urls(url)
            latest = [(page_url, self.store.latest(page_url)) for page_url in urls]
            for page_url, record in latest:
                if record is not None:
                    self.store.add_sighting(record.id, page_url, when)
        return sum(record is not None for _, record in latest)

    def start_run(self, spider: str, started_at: str | None = None) -> str:
        """Log the start of a crawl run (committed at once, with a batch in progress); returns its run id."""
        run_id = crawlstate.new_run_id()
        with self.store.transaction():
            self.store.start_run(run_id, spider, started_at or _now())
        self.store.commit()
        return run_id

    def update_run(self, run_id: str, counts: Mapping[str, Any]) -> bool:
        """Store the counts of a run in progress (committed at once); False if it is unknown or finished."""
        with self.store.transaction():
            updated = self.store.update_run(run_id, counts)
        self.store.commit()
        return updated

    def finish_run(self, run_id: str, finish_reason: str, counts: Mapping[str, Any]) -> None:
        """Log how a crawl run ended and what it did (see ``crawlstate.RUN_COUNTS``), committed at once."""
        with self.store.transaction():
            self.store.finish_run(run_id, _now(), finish_reason, counts)
        self.store.commit()

    def commit(self) -> None:
        """Commit the writes a batch holds (nothing to do outside a batch).

        Raises:
            ArchiveError: The commit failed; the batch is rolled back and ``pending`` is 0.
        """
        self.store.commit()

    @property
    def pending(self) -> int:
        """How many writes (``add``, ``touch``) a batch holds, done but not committed (0: none).

        0 after a commit, and after a failure that lost the batch.
        """
        return self.store.pending

    def runs(self, *, spider: str | None = None, limit: int | None = None) -> list[Run]:
        """Crawl runs, newest first."""
        return self.store.runs(spider=spider, limit=limit)

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

    def search(
        self,
        query: str,
        *,
        site: str | None = None,
        since: date | None = None,
        until: date | None = None,
        date_field: DateField = "crawled",
        limit: int = 20,
        distinct: bool = True,
        order: Order = "rank",
    ) -> list[SearchHit]:
        r"""Search the latest version of every URL for ``query``; best hits first.

        A query is terms of two or more characters (``"quoted phrases"`` keep their spaces); a
        record matches when every term occurs in its title or text, as a substring, after both
        are normalised (``archive.search.normalize_for_search``), so the matches are exactly
        those of a substring scan. Old versions of a page are not searched.

        Args:
            query: E.g. ``乡村振兴 讲话`` or ``"工作 会议"``.
            site: Only records of this site.
            since: Only records dated on or after this day (see ``date_field``).
            until: Only records dated on or before this day.
            date_field: ``"crawled"`` or ``"published"``, as for ``iter_records``.
            limit: At most this many hits; 0: every match, in storage order.
            distinct: One hit per document (its best-ranked matching copy); False: every
                matching record, copies included.
            order: ``"rank"``: by BM25 with title matches weighted 5x (for a query with more than
                ``archive.search.RANK_WINDOW`` matches, among the most recently stored ones);
                ``"newest"``: most recently stored first.

        Returns:
            The hits, in that order.

        Raises:
            BadQuery: No term, or a term of one character.
            BadFilter: An invalid date filter.
        """
        where = RecordQuery(site, since, until, date_field)
        return list(self.store.search(query, where, limit=limit, distinct=distinct, order=order))

    def rebuild_search(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Build the search index again from the stored records; returns how many it holds.

        One transaction: searches see the old index until the new one is committed.
        """
        return self.store.rebuild_search(progress)

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
        """Commit what a batch holds, then close the underlying store (also when the commit fails).

        Raises:
            ArchiveError: The commit failed (the batch is rolled back).
        """
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
    values = {key: _without_nul(doc.get(key, default)) for key, default in DOC_FIELDS.items()}
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


def _without_nul(value: Any) -> Any:
    # PostgreSQL's text and jsonb cannot hold U+0000 (the add failed there, and stored it on
    # SQLite); it carries nothing of a document, so both stores get the value without it.
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, list | tuple):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def _same_reading(old: Record, values: Mapping[str, Any]) -> bool:
    """Whether ``values`` (from ``_doc_values``) say what ``old`` says, the reason for a version aside."""
    for name in REVISED_FIELDS:
        mine, theirs = getattr(old, name), values[name]
        if name == "extra":
            mine = {k: v for k, v in mine.items() if k != "version_reason"}
            theirs = {k: v for k, v in theirs.items() if k != "version_reason"}
        if mine != theirs:
            return False
    return True


class _Root(NamedTuple):
    # What the first-copy rule needs of a document's root.
    id: str
    url: str
    published_at: str | None


def _host(url: str) -> tuple[str, int | None] | None:
    """Return ``(host name, port)`` of ``url`` with the scheme's default port as None (None: no host).

    Scheme aside, so ``http://`` and ``https://`` copies of a page are on one host; the name is
    lower-cased (host names are case-insensitive), and 80/443 count as no port.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    if not parts.hostname:
        return None
    return parts.hostname, None if port in (80, 443) else port
