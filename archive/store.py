"""The storage interface of the archive and the URI-scheme table that picks a backend.

``open_archive("sqlite:///data/archive.db")`` is the one way callers (pipeline, CLI) get an archive.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any, Protocol

from archive.core import Archive
from archive.errors import InvalidURI, UnknownScheme
from archive.neardup_sqlite import MinHashIndex
from archive.postgres import PostgresStore
from archive.sqlite import SqliteStore

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from contextlib import AbstractContextManager

    from archive.crawlstate import PageState, Run
    from archive.dedup import NearDupIndex
    from archive.neardup import MinHashParams
    from archive.records import Capture, Lookup, Record, RecordQuery, Sighting
    from archive.search import Order, SearchHit

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_URI",
    "NEAR_DUP_INDEXES",
    "STORE_SCHEMES",
    "ArchiveStore",
    "StoreFactory",
    "open_archive",
    "parse_uri",
]

#: Where the archive lives when neither ``--archive`` nor ``ARCHIVE_URI`` says otherwise.
DEFAULT_URI = "sqlite:///data/archive.db"


class ArchiveStore(Protocol):
    """The storage operations ``Archive`` needs; the dedup and versioning rules live in ``Archive``.

    Write methods are called inside ``transaction()``; reads may be called anywhere.
    """

    location: str
    #: Whether many processes write at once, one at a time under the store's write lock: then
    #: ``Archive.add`` does what it can before taking the lock (it sketches every text).
    contended: bool

    def transaction(self) -> AbstractContextManager[None]:
        """Return a context manager running its block as one atomic write (committed, or in a batch)."""
        ...

    def batch(self, items: int, seconds: float = 0.0) -> None:
        """Commit every ``items`` transactions, or once the batch is ``seconds`` old (1: each one)."""
        ...

    def commit(self) -> None:
        """Commit the transactions a batch holds (nothing to do outside a batch)."""
        ...

    @property
    def pending(self) -> int:
        """How many transactions a batch holds, not committed yet."""
        ...

    def get(self, record_id: str) -> Record | None:
        """Return the record ``record_id`` or None."""
        ...

    def lookup(self, url: str, content_hash: str) -> Lookup:
        """Return the URL's newest record with this text, whether the URL is known, and the text's first record."""
        ...

    def insert(self, record: Record) -> None:
        """Store a new record."""
        ...

    def add_sighting(self, record_id: str, url: str, seen_at: str) -> None:
        """Note that ``url`` was seen holding ``record_id`` at ``seen_at``."""
        ...

    def add_captures(self, record_id: str, captures: Sequence[Capture]) -> None:
        """Store the raw captures (once per URL and body) and link them to ``record_id``."""
        ...

    def sightings(self, record_id: str) -> list[tuple[str, str]]:
        """Return ``(url, seen_at)`` pairs, oldest first."""
        ...

    def versions(self, url: str) -> list[Record]:
        """Return every record of ``url``, oldest first."""
        ...

    def latest(self, url: str) -> Record | None:
        """Return the record ``url`` was most recently seen with, or None."""
        ...

    def duplicates(self, record_id: str) -> list[Record]:
        """Return the records whose ``dup_of`` is ``record_id``, oldest first."""
        ...

    def document_sightings(self, root_id: str) -> list[Sighting]:
        """Return the sightings of ``root_id`` and of its duplicates, by ``seen_at``."""
        ...

    def documents_sightings(self, root_ids: Sequence[str]) -> dict[str, list[Sighting]]:
        """Return ``document_sightings`` of each of ``root_ids`` (roots only), by root id."""
        ...

    def captures(self, record_id: str) -> list[Capture]:
        """Return the captures linked to ``record_id`` in the order given."""
        ...

    def iter_records(self, query: RecordQuery) -> Iterator[Record]:
        """Stream the matching records in insertion order."""
        ...

    def search(
        self, query: str, where: RecordQuery, *, limit: int = 20, distinct: bool = True, order: Order = "rank"
    ) -> Iterator[SearchHit]:
        """Yield the hits of ``query`` among the latest versions ``where`` selects, best first."""
        ...

    def rebuild_search(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild the search index from the records (one transaction); return how many it holds."""
        ...

    def sites(self) -> list[str]:
        """Return the site keys that have records, sorted."""
        ...

    def stats(self) -> dict[str, Any]:
        """Return ``{"sites": {...}, "months": {...}, "total": {...}}`` counts."""
        ...

    def root_fields(self, record_id: str) -> tuple[str, str, str | None] | None:
        """Return ``(id, url, published_at)`` of a record (what the first-copy rule needs), or None."""
        ...

    def records_with_text(self, content_hash: str, title: str) -> list[tuple[str, str]]:
        """Return ``(id, url)`` of the records with this content hash and title, in storage order."""
        ...

    def sighted_at(self, record_id: str, url: str) -> bool:
        """Whether ``record_id`` was sighted at ``url``."""
        ...

    def repoint(self, old_root: str, new_root: str) -> int:
        """Make ``new_root`` the root of ``old_root``'s document (records and signatures); return how many moved."""
        ...

    def add_more_captures(self, record_id: str, captures: Sequence[Capture]) -> None:
        """Link ``captures`` to a record after the captures it has already."""
        ...

    def page_state(self, url: str) -> PageState | None:
        """What the archive knows of a fetched page (last sighting, validators), or None."""
        ...

    def page_urls(self, url: str) -> list[str]:
        """The URLs a page's records are at (itself, or its compilation parts), else the URLs it was sighted at."""
        ...

    def start_run(self, run_id: str, spider: str, started_at: str) -> None:
        """Log the start of a crawl run by this process."""
        ...

    def update_run(self, run_id: str, counts: Mapping[str, Any]) -> bool:
        """Store the counts of a run in progress; False if it is unknown or finished."""
        ...

    def finish_run(self, run_id: str, finished_at: str, finish_reason: str, counts: Mapping[str, Any] | None) -> bool:
        """Log the end of a run (None counts: keep the stored ones); False for an unknown run."""
        ...

    def runs(self, *, spider: str | None = None, limit: int | None = None) -> list[Run]:
        """Crawl runs, newest first; a run whose process is gone is ``interrupted``."""
        ...

    def close(self) -> None:
        """Commit what a batch holds, then release the store."""
        ...


class StoreFactory(Protocol):
    """How ``open_archive`` builds a store from the location part of a URI."""

    def __call__(self, location: str, /, *, create: bool = ...) -> ArchiveStore:
        """Open (or with ``create``, create) the store at ``location``."""
        ...


#: Backends by URI scheme (``postgres:`` is libpq's other spelling of ``postgresql:``).
STORE_SCHEMES: dict[str, StoreFactory] = {
    "sqlite": SqliteStore,
    "postgresql": PostgresStore,
    "postgres": PostgresStore,
}

#: Schemes whose location is the whole URI (a libpq connection URI), not a path.
_URI_SCHEMES = frozenset({"postgresql", "postgres"})


def _minhash_index(store: ArchiveStore, params: MinHashParams | None) -> NearDupIndex:
    # The index's statements are portable SQL; both stores run them on their own connection.
    if not isinstance(store, SqliteStore | PostgresStore):
        raise TypeError(f"a MinHashIndex needs a SqliteStore or PostgresStore, not {type(store).__name__}")
    return MinHashIndex(store, params)


#: The near-duplicate index ``open_archive`` attaches, by URI scheme.
NEAR_DUP_INDEXES: dict[str, Callable[[ArchiveStore, MinHashParams | None], NearDupIndex]] = {
    scheme: _minhash_index for scheme in STORE_SCHEMES
}


def parse_uri(uri: str) -> tuple[str, str]:
    """Split an archive URI into scheme and location.

    ``sqlite:///data/archive.db`` is the relative path ``data/archive.db``, ``sqlite:////srv/a.db``
    the absolute path ``/srv/a.db``, and a bare path (no ``scheme:``) is a SQLite path.
    ``postgresql://user@host:5432/db`` is a PostgreSQL archive; its location is the whole URI.

    Args:
        uri: The archive URI or path.

    Returns:
        ``(scheme, location)``, e.g. ``("sqlite", "data/archive.db")``.

    Raises:
        UnknownScheme: The scheme has no backend in ``STORE_SCHEMES``.
        InvalidURI: The URI is empty or has a host part (``sqlite://data/a.db``).

    Example:
        >>> parse_uri("sqlite:////srv/archive.db")
        ('sqlite', '/srv/archive.db')
    """
    if not uri:
        raise InvalidURI("empty archive URI; pass sqlite:///path/to/archive.db")
    scheme, sep, rest = uri.partition(":")
    # No scheme, or a Windows drive letter ("C:\\data\\a.db"): a plain SQLite path.
    if not sep or len(scheme) == 1 or "/" in scheme or "\\" in scheme:
        return "sqlite", uri
    if scheme not in STORE_SCHEMES:
        raise UnknownScheme(
            f"unknown archive scheme {scheme!r}; expected one of {', '.join(sorted(STORE_SCHEMES))}"
        )
    if scheme in _URI_SCHEMES:
        if not rest.startswith("//") or not rest[2:].strip("/"):
            raise InvalidURI(f"archive URI {uri!r} is not a connection URI; write {scheme}://user@host:5432/dbname")
        return scheme, uri
    if not rest.startswith("//"):
        raise InvalidURI(
            f"archive URI {uri!r} lacks '//'; write {scheme}:///relative/path or {scheme}:////absolute/path"
        )
    host, slash, path = rest[2:].partition("/")
    if host or not slash or not path:
        raise InvalidURI(
            f"archive URI {uri!r} has a host part or no path; "
            f"write {scheme}:///relative/path or {scheme}:////absolute/path"
        )
    return scheme, path


def open_archive(
    uri: str | os.PathLike[str],
    *,
    create: bool = True,
    near_dup: bool = True,
    near_params: MinHashParams | None = None,
    near_index: NearDupIndex | None = None,
    commit_items: int = 1,
    commit_seconds: float = 0.0,
) -> Archive:
    """Open the archive at ``uri`` with the backend its scheme names.

    Args:
        uri: ``sqlite:///relative.db``, ``sqlite:////absolute.db``, a bare path (str or Path), or
            ``postgresql://user@host:5432/db`` (captures then go under ``ARCHIVE_WARC_DIR``).
        create: Create a missing archive (and its parent directories); when false, raise instead.
        near_dup: Attach the archive's own near-duplicate index (``MinHashIndex``); when false,
            ``add`` finds exact duplicates only (its records are indexed by a later
            ``python -m archive reindex --missing``).
        near_params: Parameters for a new near-duplicate index; for an existing one they must
            equal the stored ones (None: use the stored ones).
        near_index: Use this near-duplicate index instead of the archive's own.
        commit_items: Commit writes in batches of this many (1: each write commits at once);
            see ``Archive``.
        commit_seconds: Also commit a batch once it is this old when a write ends (0: no limit).

    Returns:
        The open archive; close it (or use it as a context manager) when done.

    Raises:
        UnknownScheme: See ``parse_uri``.
        InvalidURI: See ``parse_uri``.
        ArchiveNotFound: ``create`` is false and nothing is at the location.
        CorruptArchive: The location holds something that is not an archive store.
        SchemaError: The store was written by a newer version, or ``near_params`` differ from
            the parameters its near-duplicate index was built with.
        ValueError: ``commit_items`` below 1 or ``commit_seconds`` negative.

    Example:
        >>> with open_archive("sqlite:///data/archive.db") as archive:  # doctest: +SKIP
        ...     result = archive.add({"url": "https://example.com/1.html", "site": "generic",
        ...                           "title": "t", "text": "正文"})
    """
    scheme, location = parse_uri(os.fspath(uri))
    store = STORE_SCHEMES[scheme](location, create=create)
    if near_index is None and near_dup:
        try:
            near_index = NEAR_DUP_INDEXES[scheme](store, near_params)
        except BaseException:
            store.close()
            raise
    try:
        archive = Archive(store, near_index=near_index, commit_items=commit_items, commit_seconds=commit_seconds)
    except BaseException:
        store.close()
        raise
    logger.debug("opened archive %s", uri)
    return archive
