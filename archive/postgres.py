"""PostgreSQL storage of the archive: the same ``ArchiveStore`` as SQLite, for many writers at once.

``open_archive("postgresql://user@host:5432/db")`` picks it. Any number of processes on any
number of machines may write: every write transaction first takes one archive-wide advisory
lock (``pg_advisory_xact_lock``), held to its COMMIT, so writes are serialised exactly as
SQLite's ``BEGIN IMMEDIATE`` serialises them. That is what makes "first copy" happen exactly
once, and what makes ``seq`` (taken under the lock) commit order, so a near-duplicate index that
catches up by seq never misses a row (docs/postgres.md has the design and the measurements).
Raw captures stay WARC: each writer appends to its own folder ``<host>-<pid>/`` under
``ARCHIVE_WARC_DIR``, and the database records the file (relative to that folder) and offset.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from archive import crawlstate
from archive import search_postgres as pgsearch
from archive._warc import WARC_MAX_BYTES, WarcDir, WarcLocation, payload_digest
from archive.crawlstate import INTERRUPTED, PageState, Run, header
from archive.errors import (
    ArchiveError,
    ArchiveFull,
    ArchiveIOError,
    ArchiveLocked,
    ArchiveNotFound,
    ArchiveReadOnly,
    CorruptArchive,
    SchemaError,
)
from archive.migrations_postgres import PG_MIGRATIONS
from archive.records import FIELDS, LOOKUP_SQL, Lookup, Record, Sighting, repoint_statements

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    import psycopg

    from archive.records import Capture, RecordQuery
    from archive.search import Order, SearchHit

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_WARC_DIR", "INSTALL_HINT", "WRITE_LOCK", "PostgresStore"]

#: The one-line fix for a missing driver.
INSTALL_HINT = 'the PostgreSQL archive needs psycopg; install it with pip install -e ".[distributed]"'

#: Where captures go when neither ``warc_dir`` nor ``ARCHIVE_WARC_DIR`` says otherwise.
DEFAULT_WARC_DIR = "data/archive.warc"

#: The advisory lock key every write transaction takes ("arch" in ASCII).
WRITE_LOCK = 0x61726368

_COLUMNS = ", ".join(FIELDS)
_SELECT = f"SELECT {_COLUMNS} FROM records"  # noqa: S608 - constant column names
# One round trip: the record, and its place in the near-duplicate index's queue until the
# index takes it (SQLite does the second with a trigger).
_INSERT = (
    f"WITH r AS (INSERT INTO records (seq, {_COLUMNS}) "  # noqa: S608 - constant names
    f"VALUES (nextval('records_seq'), {', '.join('%s' for _ in FIELDS)}) RETURNING seq) "
    "INSERT INTO minhash_pending (seq) SELECT seq FROM r RETURNING seq"
)
# One round trip: the record the URL was last seen with (the CTE's snapshot is from before the
# insert), and the new sighting.
_SIGHTING = (
    "WITH previous AS (SELECT record_id FROM sightings WHERE url = %s ORDER BY id DESC LIMIT 1), "
    "added AS (INSERT INTO sightings (record_id, url, seen_at) VALUES (%s, %s, %s)) "
    "SELECT record_id FROM previous"
)
_PAGE = 500  # rows per query when streaming records


def _driver() -> Any:
    try:
        import psycopg
    except ImportError:
        raise ArchiveError(INSTALL_HINT) from None
    return psycopg


class _Sql:
    """The store's connection, with SQLite's ``?`` placeholders accepted and errors named.

    The near-duplicate index and the crawl-state helpers are written for SQLite's DB-API style;
    this lets them run their (portable) statements unchanged on PostgreSQL.
    """

    def __init__(self, conn: psycopg.Connection[Any], location: str, busy_timeout: float) -> None:
        self.raw = conn
        self.location = location
        self.busy_timeout = busy_timeout

    # Cursors are typed Any: psycopg types fetchone() as ``Row | None``, and every caller here
    # knows from its statement whether a row comes back (as with sqlite3, which types it Any).
    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        if parameters:
            sql = sql.replace("%", "%%").replace("?", "%s")
        try:
            return self.raw.execute(sql, parameters if parameters else None)
        except _driver().Error as exc:
            raise _named(exc, self.location, self.busy_timeout) from exc

    def pg(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None) -> Any:
        """Run a statement written for PostgreSQL (``%s`` placeholders)."""
        try:
            return self.raw.execute(sql, parameters)
        except _driver().Error as exc:
            raise _named(exc, self.location, self.busy_timeout) from exc

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Any:
        cursor = self.raw.cursor()
        try:
            cursor.executemany(sql.replace("%", "%%").replace("?", "%s"), list(parameters))
        except _driver().Error as exc:
            raise _named(exc, self.location, self.busy_timeout) from exc
        return cursor


def _named(exc: Exception, location: str, busy_timeout: float) -> Exception:
    # The environment's failures as the archive's named errors; a constraint violation or a bad
    # statement is a bug and stays as it is.
    errors = _driver().errors
    if isinstance(exc, errors.DiskFull):
        return ArchiveFull(f"the PostgreSQL server of {location} is out of disk space ({exc}); free space on it")
    if isinstance(exc, errors.ReadOnlySqlTransaction | errors.InsufficientPrivilege):
        return ArchiveReadOnly(f"archive {location} cannot be written ({exc}); connect as a user who may write")
    if isinstance(exc, errors.LockNotAvailable | errors.QueryCanceled):
        return ArchiveLocked(
            f"archive {location} is locked: another writer held its write lock for over {busy_timeout:g} s"
        )
    if isinstance(exc, _driver().OperationalError):
        return ArchiveIOError(f"archive {location}: the PostgreSQL connection failed ({exc}); check the server")
    return exc


def masked_uri(uri: str) -> str:
    """``uri`` with the password of its user part (``user:secret@``) replaced by ``***``.

    Example:
        >>> masked_uri("postgresql://crawler:s3cret@db:5432/fanwen")
        'postgresql://crawler:***@db:5432/fanwen'
    """
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user.split(':', 1)[0]}:***@{host}"))


class PostgresStore:
    """An archive in a PostgreSQL database, with raw captures in WARC files in a shared folder.

    Args:
        location: A libpq URI, ``postgresql://user@host:port/db`` (the database must exist).
        create: Create the archive's tables in an empty database; else raise ``ArchiveNotFound``.
        warc_dir: The folder all writers share for captures (default: ``ARCHIVE_WARC_DIR``, else
            ``data/archive.warc``); this process writes to ``<host>-<pid>/`` in it.
        warc_max_bytes: Size at which a new WARC file is started.
        busy_timeout: Seconds a write waits for another writer's lock before ``ArchiveLocked``.

    Raises:
        ArchiveError: psycopg is not installed (the message names the extra to install).
        ArchiveNotFound: No such database, or no archive in it and ``create`` is false.
        ArchiveIOError: The server cannot be reached.
        SchemaError: The database holds other tables, or a newer archive schema.
    """

    #: Many writers wait for the one write lock: ``Archive.add`` shortens its hold (``ArchiveStore``).
    contended = True

    def __init__(
        self,
        location: str,
        *,
        create: bool = True,
        warc_dir: str | os.PathLike[str] | None = None,
        warc_max_bytes: int = WARC_MAX_BYTES,
        busy_timeout: float = 30.0,
    ) -> None:
        """Connect, and create or migrate the schema; see the class docstring."""
        psycopg = _driver()
        dsn = location if "://" in location else f"postgresql://{location}"
        #: The URI as messages and logs show it: a password in it is masked.
        self.location = masked_uri(dsn)
        self.busy_timeout = busy_timeout
        self.read_only_reason: str | None = None
        root = Path(warc_dir or os.environ.get("ARCHIVE_WARC_DIR") or DEFAULT_WARC_DIR)
        #: This process's own folder of WARC files, relative to the shared one.
        self.writer = f"{socket.gethostname()}-{os.getpid()}"
        self.warc = WarcDir(
            root / self.writer,
            max_bytes=warc_max_bytes,
            referenced_end=self._referenced_end,
            on_undo=self._on_warc_undo,
        )
        self._reader = WarcDir(root)
        self._inserted: tuple[str, int, str, str] | None = None  # (id, seq, title, text) of the last insert
        self._depth = 0
        self._transactions = 0
        self._undo: list[Callable[[], None]] = []
        self._batch_undo: list[Callable[[], None]] = []
        self._commit_items = 1
        self._commit_seconds = 0.0
        self._pending = 0
        self._batch_started = 0.0
        try:
            raw = psycopg.connect(dsn, autocommit=True)
        except psycopg.OperationalError as exc:
            if "does not exist" in str(exc):
                raise ArchiveNotFound(
                    f"no database at {self.location}; create it (createdb) or pass another --archive URI"
                ) from None
            raise ArchiveIOError(f"cannot connect to {self.location}: {str(exc).strip()}") from None
        self.conn = _Sql(raw, self.location, busy_timeout)
        try:
            self.conn.pg(f"SET lock_timeout = '{int(busy_timeout * 1000):d}ms'")
            self._open(create)
        except BaseException:
            raw.close()
            raise

    # -- opening -------------------------------------------------------------------------------

    def _version(self) -> int | None:
        # A scan of pg_tables, not to_regclass(): that reads the backend's catalog cache, which a
        # transaction that waited for the lock while another process made the schema has not
        # refreshed (it saw no archive_meta, and created it again: DuplicateTable).
        exists = self.conn.pg(
            "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'archive_meta')"
        ).fetchone()[0]
        if not exists:
            return None
        row = self.conn.pg("SELECT value FROM archive_meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _open(self, create: bool) -> None:
        latest = len(PG_MIGRATIONS)
        version = self._check_version(self._version(), create, latest)
        if version is not None and version >= latest:
            return
        with self.transaction():
            # Read and checked again under the lock: another process may have made or migrated
            # the schema meanwhile (the first start of workers on an empty database).
            version = self._check_version(self._version(), create, latest) or 0
            for step in PG_MIGRATIONS:
                if step.version <= version:
                    continue
                logger.info("archive %s: applying migration %d (%s)", self.location, step.version, step.name)
                for statement in step.statements:
                    self.conn.pg(statement)
                self.conn.pg(
                    "INSERT INTO archive_meta (key, value) VALUES ('schema_version', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(step.version),),
                )

    def _check_version(self, version: int | None, create: bool, latest: int) -> int | None:
        """``version`` if this code can open (or create) that schema; else the error that says why."""
        if version is None:
            tables = self.conn.pg("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()").fetchone()[0]
            if tables:
                # Made between the two statements (outside the lock)? Then archive_meta is there now.
                if self._version() is not None:
                    return self._check_version(self._version(), create, latest)
                raise SchemaError(
                    f"{self.location} holds tables but no archive (no archive_meta); pass an empty database"
                )
            if not create:
                raise ArchiveNotFound(f"no archive in {self.location}; run a crawl first or pass --archive URI")
        elif version > latest:
            raise SchemaError(
                f"{self.location} has archive schema version {version} but this code knows up to {latest}; "
                "upgrade fanwen-archive"
            )
        return version

    @property
    def schema_version(self) -> int:
        """The schema version stored in the database."""
        return self._version() or 0

    @property
    def read_only(self) -> bool:
        """Always False: a PostgreSQL user who may not write gets ``ArchiveReadOnly`` at the write."""
        return False

    # -- transactions (as SqliteStore's, with the advisory lock for BEGIN IMMEDIATE) ---------------

    def _begin(self) -> None:
        try:
            # One round trip: the lock is the first thing the transaction does.
            self.conn.pg(f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK:d})")
        except BaseException:
            self._rollback_quietly()
            raise

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block as one atomic write under the archive's write lock; nested blocks join it.

        As ``SqliteStore.transaction``: outside a batch one transaction, in a batch a savepoint
        of the batch's transaction (which keeps the lock until it commits); the WARC bytes are
        fsynced before the COMMIT, and cut off again when it rolls back.

        Raises:
            ArchiveLocked: Another writer held the lock past ``busy_timeout``.
            ArchiveFull, ArchiveIOError: A write or the commit failed; rolled back.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        if self._commit_items > 1:
            with self._savepoint():
                yield
            if self._due():
                self.commit()
            return
        self._begin()
        self._depth = 1
        self._transactions += 1
        try:
            yield
            self._commit()
        except BaseException:
            self._roll_back()
            raise
        finally:
            self._depth = 0
            self._undo.clear()

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        if not self._pending:
            self._begin()
            self._batch_started = time.monotonic()
        try:
            self.conn.pg("SAVEPOINT archive_write")
        except BaseException:
            if not self._pending:
                self._roll_back()
            raise
        self._depth = 1
        self._transactions += 1
        try:
            yield
            self.conn.pg("RELEASE archive_write")
        except BaseException:
            self._roll_back_savepoint()
            raise
        else:
            self._batch_undo.extend(self._undo)
            self._pending += 1
        finally:
            self._depth = 0
            self._undo.clear()

    def _roll_back_savepoint(self) -> None:
        if self._pending:
            try:
                self.conn.pg("ROLLBACK TO SAVEPOINT archive_write")
                self.conn.pg("RELEASE archive_write")
            except Exception as exc:  # the connection is gone: the batch with it
                logger.warning(
                    "archive %s: ROLLBACK TO SAVEPOINT failed (%s); rolling the batch back", self.location, exc
                )
            else:
                self._run_undo(self._undo)
                return
        self._roll_back()

    def _due(self) -> bool:
        if self._pending >= self._commit_items:
            return True
        return bool(self._commit_seconds) and time.monotonic() - self._batch_started >= self._commit_seconds

    def batch(self, items: int, seconds: float = 0.0) -> None:
        """Commit writes in batches (see ``SqliteStore.batch``); a batch holds the write lock.

        Raises:
            ValueError: ``items`` below 1 or ``seconds`` negative.
        """
        if items < 1 or seconds < 0:
            raise ValueError(f"commit every {items} writes or {seconds} s? pass items >= 1 and seconds >= 0")
        self.commit()
        self._commit_items = items
        self._commit_seconds = seconds

    @property
    def pending(self) -> int:
        """How many ``transaction()`` blocks the open batch holds, not committed yet."""
        return self._pending

    def commit(self) -> None:
        """Commit the open batch, if any (its WARC bytes fsynced first).

        Raises:
            RuntimeError: Called inside a ``transaction()`` block.
            ArchiveError: The commit failed; the batch is rolled back and ``pending`` is 0.
        """
        if not self._pending:
            return
        if self._depth:
            raise RuntimeError("commit() inside store.transaction(); commit after the block")
        try:
            self._commit()
        except BaseException:
            self._roll_back()
            raise
        self._batch_undo.clear()
        self._pending = 0

    def _commit(self) -> None:
        self.warc.sync()
        self.conn.pg("COMMIT")

    def _rollback_quietly(self) -> None:
        try:
            self.conn.raw.rollback()
        except Exception as exc:  # runs while another error propagates: never raised over it
            logger.error("archive %s: ROLLBACK failed (%s)", self.location, exc)

    def _roll_back(self) -> None:
        self._rollback_quietly()
        if self._pending:
            logger.warning(
                "archive %s: %d uncommitted write(s) of a batch were rolled back", self.location, self._pending
            )
        self._run_undo([*self._batch_undo, *self._undo])
        self._batch_undo.clear()
        self._pending = 0

    def _run_undo(self, hooks: list[Callable[[], None]]) -> None:
        for undo in reversed(hooks):
            try:
                undo()
            except Exception:
                logger.exception("archive %s: undoing a rolled-back write failed", self.location)

    @property
    def transaction_id(self) -> int | None:
        """A number for the ``transaction()`` block in progress (None outside one)."""
        return self._transactions if self._depth else None

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Call ``undo`` if the ``transaction()`` block in progress rolls back.

        Raises:
            RuntimeError: No transaction is in progress.
        """
        if not self._depth:
            raise RuntimeError("on_rollback() needs a transaction; call it inside store.transaction()")
        self._undo.append(undo)

    # -- records -------------------------------------------------------------------------------

    def get(self, record_id: str) -> Record | None:
        """Return the record ``record_id`` or None."""
        row = self.conn.pg(f"{_SELECT} WHERE id = %s", (record_id,)).fetchone()
        return _record(row) if row else None

    def lookup(self, url: str, content_hash: str) -> Lookup:
        """Return what is stored of ``url`` and of ``content_hash`` (see ``Lookup``), in one round trip."""
        rows = self.conn.execute(LOOKUP_SQL, (url, content_hash, url, content_hash)).fetchall()
        return Lookup.from_rows(rows, _record)

    def insert(self, record: Record) -> None:
        """Store a new record (inside ``transaction()``: its seq is taken under the write lock)."""
        values = record.to_dict()
        values["keywords"] = json.dumps(record.keywords, ensure_ascii=False)
        values["extra"] = json.dumps(record.extra, ensure_ascii=False, sort_keys=True)
        values["truncated"] = int(record.truncated)
        seq = self.conn.pg(_INSERT, [values[name] for name in FIELDS]).fetchone()[0]
        # Its first sighting indexes it for search: from here, not from a read of the row back.
        self._inserted = (record.id, seq, record.title, record.text)

    def add_sighting(self, record_id: str, url: str, seen_at: str) -> None:
        """Note that ``url`` was seen holding ``record_id``; the search index follows the latest versions."""
        row = self.conn.pg(_SIGHTING, (url, record_id, url, seen_at)).fetchone()
        previous = row[0] if row else None
        inserted, self._inserted = self._inserted, None
        fresh = inserted[1:] if inserted is not None and inserted[0] == record_id else None
        pgsearch.follow_sighting(self.conn, record_id, previous, fresh=fresh)

    def sightings(self, record_id: str) -> list[tuple[str, str]]:
        """Return ``(url, seen_at)`` of every sighting of ``record_id``, oldest first."""
        rows = self.conn.pg("SELECT url, seen_at FROM sightings WHERE record_id = %s ORDER BY id", (record_id,))
        return [(url, seen_at) for url, seen_at in rows]

    def latest(self, url: str) -> Record | None:
        """Return the record ``url`` was most recently seen with, or None."""
        row = self.conn.pg(
            f"{_SELECT} WHERE id = (SELECT record_id FROM sightings WHERE url = %s ORDER BY id DESC LIMIT 1)",  # noqa: S608
            (url,),
        ).fetchone()
        return _record(row) if row else None

    def duplicates(self, record_id: str) -> list[Record]:
        """Return the records whose ``dup_of`` is ``record_id``, oldest first."""
        return [_record(row) for row in self.conn.pg(f"{_SELECT} WHERE dup_of = %s ORDER BY seq", (record_id,))]

    def document_sightings(self, root_id: str) -> list[Sighting]:
        """Return the sightings of ``root_id`` and of its duplicates, by ``seen_at``."""
        rows = self.conn.pg(
            "SELECT s.url, s.seen_at, s.record_id FROM sightings s "
            "WHERE s.record_id = %s OR s.record_id IN (SELECT id FROM records WHERE dup_of = %s) "
            "ORDER BY s.seen_at, s.id",
            (root_id, root_id),
        )
        return [Sighting(*row) for row in rows]

    def documents_sightings(self, root_ids: Sequence[str]) -> dict[str, list[Sighting]]:
        """Return ``document_sightings`` of each of ``root_ids`` (roots only), in one query."""
        ids = list(root_ids)
        rows = self.conn.pg(
            "SELECT coalesce(r.dup_of, r.id), s.url, s.seen_at, s.record_id "
            "FROM records r JOIN sightings s ON s.record_id = r.id WHERE r.id = ANY(%s) "
            "OR r.dup_of = ANY(%s) ORDER BY s.seen_at, s.id",
            (ids, ids),
        )
        found: dict[str, list[Sighting]] = {root: [] for root in ids}
        for root, *sighting in rows:
            found[root].append(Sighting(*sighting))
        return found

    def versions(self, url: str) -> list[Record]:
        """Return every record of ``url``, oldest first."""
        return [_record(row) for row in self.conn.pg(f"{_SELECT} WHERE url = %s ORDER BY seq", (url,))]

    def iter_records(self, query: RecordQuery) -> Iterator[Record]:
        """Stream the matching records in insertion order, a page at a time (see ``SqliteStore``).

        Records added after the first page is read are not included.
        """
        last = self.conn.pg("SELECT coalesce(max(seq), 0) FROM records").fetchone()[0]
        where, params = _where(query)
        where += " AND seq <= %s" if where else " WHERE seq <= %s"
        params.append(last)
        if query.distinct:
            where = f" WHERE id IN (SELECT coalesce(dup_of, id) FROM records{where})"  # noqa: S608
        after = 0
        while True:
            rows = self.conn.pg(
                f"{_SELECT}{where} AND seq > %s ORDER BY seq LIMIT {_PAGE:d}", [*params, after]
            ).fetchall()
            for row in rows:
                yield _record(row)
            if len(rows) < _PAGE:
                return
            after = self.conn.pg("SELECT seq FROM records WHERE id = %s", (rows[-1][0],)).fetchone()[0]

    def search(
        self, query: str, where: RecordQuery, *, limit: int = 20, distinct: bool = True, order: Order = "rank"
    ) -> Iterator[SearchHit]:
        """Yield the hits of ``query`` among the records ``where`` selects (see ``Archive.search``)."""
        clause, params = _where(where, alias="r")
        return pgsearch.find(
            self.conn, query, clause.replace(" WHERE ", " AND ", 1), params, limit=limit, distinct=distinct, order=order
        )

    def rebuild_search(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Empty the search index and index the latest version of every URL again, in one transaction."""
        with self.transaction():
            return pgsearch.rebuild(self.conn, progress)

    def sites(self) -> list[str]:
        """Return the site keys that have records, sorted."""
        return [site for (site,) in self.conn.pg("SELECT DISTINCT site FROM records ORDER BY site")]

    def stats(self) -> dict[str, Any]:
        """Return counts per site, per month of ``published_at`` and in total."""
        sites: dict[str, dict[str, int]] = {}
        rows = self.conn.pg(
            "SELECT site, count(*), count(dup_of), coalesce(sum(truncated), 0), count(DISTINCT url) "
            "FROM records GROUP BY site ORDER BY site"
        )
        for site, records, duplicates, truncated, urls in rows:
            sites[site] = {"records": records, "duplicates": duplicates, "truncated": int(truncated), "urls": urls}
        months = dict(
            self.conn.pg(
                "SELECT coalesce(substr(published_at, 1, 7), 'unknown') AS month, count(*) "
                "FROM records GROUP BY month ORDER BY month"
            ).fetchall()
        )
        total = {key: sum(s[key] for s in sites.values()) for key in ("records", "duplicates", "truncated")}
        total["urls"] = self.conn.pg("SELECT count(DISTINCT url) FROM records").fetchone()[0]
        total["captures"] = self.conn.pg("SELECT count(*) FROM captures").fetchone()[0]
        return {"sites": sites, "months": months, "total": total}

    # -- documents: roots, aliases, re-rooting --------------------------------------------------

    def root_fields(self, record_id: str) -> tuple[str, str, str | None] | None:
        """Return ``(id, url, published_at)`` of a record, or None."""
        row = self.conn.pg("SELECT id, url, published_at FROM records WHERE id = %s", (record_id,)).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def records_with_text(self, content_hash: str, title: str) -> list[tuple[str, str]]:
        """Return ``(id, url)`` of the records with this content hash and title, in storage order."""
        rows = self.conn.pg(
            "SELECT id, url FROM records WHERE content_hash = %s AND title = %s ORDER BY seq", (content_hash, title)
        )
        return [(rid, url) for rid, url in rows]

    def sighted_at(self, record_id: str, url: str) -> bool:
        """Whether ``record_id`` was sighted at ``url``."""
        row = self.conn.pg(
            "SELECT 1 FROM sightings WHERE url = %s AND record_id = %s LIMIT 1", (url, record_id)
        ).fetchone()
        return row is not None

    def repoint(self, old_root: str, new_root: str) -> int:
        """Make ``new_root`` the root of ``old_root``'s document (see ``SqliteStore.repoint``)."""
        counts = [self.conn.execute(sql, args).rowcount for sql, args in repoint_statements(old_root, new_root)]
        return int(counts[0] + counts[1])

    def add_more_captures(self, record_id: str, captures: Sequence[Capture]) -> None:
        """Link ``captures`` to a record after the captures it has already."""
        offset = self.conn.pg(
            "SELECT coalesce(max(seq) + 1, 0) FROM record_captures WHERE record_id = %s", (record_id,)
        ).fetchone()[0]
        last_link = self.conn.pg("SELECT coalesce(max(id), 0) FROM record_captures").fetchone()[0]
        self.add_captures(record_id, captures)
        if offset:
            self.conn.pg(
                "UPDATE record_captures SET seq = seq + %s WHERE record_id = %s AND id > %s",
                (offset, record_id, last_link),
            )

    # -- crawl state and the run log ---------------------------------------------------------------

    def page_state(self, url: str) -> PageState | None:
        """What the archive knows of a fetched page (see ``Archive.page_state``)."""
        return crawlstate.page_state(self.conn, url)  # type: ignore[arg-type]  # portable SQL

    def page_urls(self, url: str) -> list[str]:
        """The URLs a page's records are at (itself, or its parts), else the URLs it was sighted at."""
        page = url.split("#", 1)[0]
        bounds = (page, page + "#part-", page + "#part-\U0010ffff")
        for table in ("records", "sightings"):
            rows = self.conn.pg(
                f"SELECT DISTINCT url FROM {table} WHERE url = %s OR (url >= %s AND url < %s) ORDER BY url",  # noqa: S608
                bounds,
            ).fetchall()
            if rows:
                return [row[0] for row in rows]
        return []

    def start_run(self, run_id: str, spider: str, started_at: str) -> None:
        """Log the start of a crawl run by this process."""
        crawlstate.start_run(self.conn, run_id, spider, started_at)  # type: ignore[arg-type]  # portable SQL

    def update_run(self, run_id: str, counts: Mapping[str, Any]) -> bool:
        """Store the counts of a run in progress; False if it is unknown or finished."""
        return crawlstate.update_run(self.conn, run_id, counts)  # type: ignore[arg-type]  # portable SQL

    def finish_run(self, run_id: str, finished_at: str, finish_reason: str, counts: Mapping[str, Any] | None) -> bool:
        """Log the end of a run (None counts: keep the stored ones); False for an unknown run."""
        return crawlstate.finish_run(self.conn, run_id, finished_at, finish_reason, counts)  # type: ignore[arg-type]

    def runs(self, *, spider: str | None = None, limit: int | None = None) -> list[Run]:
        """Crawl runs, newest first; a run of this host whose process is gone is ``interrupted``."""
        rows = self.conn.pg(
            "SELECT run_id, pid, process_start FROM runs "
            "WHERE finished_at IS NULL AND finish_reason IS NULL AND pid IS NOT NULL AND host = %s",
            (socket.gethostname(),),
        ).fetchall()
        gone = [run_id for run_id, pid, token in rows if crawlstate.process_gone(pid, token)]
        if gone:
            try:
                with self.transaction():
                    self.conn.pg(
                        "UPDATE runs SET finish_reason = %s WHERE finished_at IS NULL AND finish_reason IS NULL "
                        "AND run_id = ANY(%s)",
                        (INTERRUPTED, gone),
                    )
            except (ArchiveReadOnly, ArchiveLocked, ArchiveFull) as exc:
                logger.info("runs %s are interrupted, but the log cannot be corrected: %s", ", ".join(gone), exc)
        return crawlstate.select_runs(self.conn, set(gone), spider=spider, limit=limit, tiebreak="id")

    # -- captures --------------------------------------------------------------------------------

    def add_captures(self, record_id: str, captures: Sequence[Capture]) -> None:
        """Link ``captures`` to ``record_id``, appending to this writer's WARC only the new ones.

        Raises:
            ArchiveFull, ArchiveReadOnly, ArchiveIOError: The WARC append failed; the WARC file
                is as it was before it.
        """
        for seq, capture in enumerate(captures):
            digest = payload_digest(capture.body)
            row = self.conn.pg(
                "SELECT id FROM captures WHERE url = %s AND payload_digest = %s", (capture.url, digest)
            ).fetchone()
            if row:
                self.conn.pg(
                    "INSERT INTO record_captures (record_id, capture_id, seq) VALUES (%s, %s, %s) "
                    "ON CONFLICT DO NOTHING",
                    (record_id, row[0], seq),
                )
                continue
            loc = self.warc.write(capture)
            # The capture and its link in one round trip (this runs under the write lock).
            self.conn.pg(
                "WITH c AS (INSERT INTO captures (url, fetched_at, status, payload_digest, warc_file, "
                '"offset", length, request_offset, request_length, etag, last_modified) '
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id) "
                "INSERT INTO record_captures (record_id, capture_id, seq) SELECT %s, id, %s FROM c",
                (
                    capture.url, capture.fetched_at, capture.status, digest, f"{self.writer}/{loc.warc_file}",
                    loc.offset, loc.length, loc.request_offset, loc.request_length,
                    header(capture.headers, "ETag"), header(capture.headers, "Last-Modified"),
                    record_id, seq,
                ),
            )
        if not self._depth:
            self.warc.sync()

    def captures(self, record_id: str) -> list[Capture]:
        """Read back the captures linked to ``record_id``, in order, from whichever writer's WARC holds them."""
        rows = self.conn.pg(
            'SELECT c.url, c.fetched_at, c.warc_file, c."offset", c.length, c.request_offset, '
            "c.request_length, c.payload_digest FROM record_captures rc "
            "JOIN captures c ON c.id = rc.capture_id WHERE rc.record_id = %s ORDER BY rc.seq",
            (record_id,),
        ).fetchall()
        found = []
        for url, fetched_at, warc_file, offset, length, req_offset, req_length, digest in rows:
            capture = self._reader.read(
                WarcLocation(warc_file, offset, length, req_offset, req_length), url=url, fetched_at=fetched_at
            )
            if payload_digest(capture.body) != digest:
                raise CorruptArchive(
                    f"WARC file {self._reader.directory / warc_file} is damaged: the capture of {url} at offset "
                    f"{offset} is not the body that was stored (digest mismatch); restore it from a backup"
                )
            found.append(capture)
        return found

    def _on_warc_undo(self, undo: Callable[[], None]) -> None:
        if self._depth:
            self._undo.append(undo)

    def _referenced_end(self, warc_file: str) -> int:
        # Only this writer appends to its folder, under the write lock: its newest row of a file
        # is that file's last committed record.
        row = self.conn.pg(
            'SELECT "offset" + length, request_offset + request_length FROM captures '
            "WHERE warc_file = %s ORDER BY id DESC LIMIT 1",
            (f"{self.writer}/{warc_file}",),
        ).fetchone()
        return max((end for end in row if end is not None), default=0) if row else 0

    def close(self) -> None:
        """Commit the open batch, then close the WARC files and the connection.

        Raises:
            ArchiveError: The batch could not be committed (it is rolled back); closed all the same.
        """
        try:
            if not self._depth:
                self.commit()
        finally:
            self.warc.close()
            self.conn.raw.close()


def _record(row: Sequence[Any]) -> Record:
    values = dict(zip(FIELDS, row, strict=True))
    values["keywords"] = json.loads(values["keywords"])
    values["extra"] = json.loads(values["extra"])
    values["truncated"] = bool(values["truncated"])
    return Record(**values)


def _where(query: RecordQuery, alias: str = "") -> tuple[str, list[Any]]:
    # As archive.sqlite._where, with PostgreSQL placeholders and the latest sighting by id.
    prefix = f"{alias}." if alias else ""
    clauses: list[str] = []
    params: list[Any] = []
    if query.site is not None:
        clauses.append(f"{prefix}site = %s")
        params.append(query.site)
    column = prefix + ("crawled_at" if query.date_field == "crawled" else "published_at")
    if query.since is not None:
        clauses.append(f"{column} >= %s")
        params.append(query.since.isoformat())
    if query.until is not None:
        clauses.append(f"{column} < %s")
        params.append((query.until + timedelta(days=1)).isoformat())
    if query.latest_only:
        clauses.append(
            f"{prefix}id IN (SELECT DISTINCT ON (url) record_id FROM sightings ORDER BY url, id DESC)"  # noqa: S608
        )
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
