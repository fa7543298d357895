"""SQLite storage of the archive: opening and migrating the file, queries, and the WARC side-car.

A store that will not open raises (``CorruptArchive``, ``SchemaError``, ``ArchiveReadOnly``, ...);
it is never deleted or recreated. Every statement runs through a connection that turns the
environment's failures (full disk, read-only file, lock held too long, damaged file, I/O error)
into the named ``ArchiveError`` subclasses of ``archive.errors``; a constraint violation or a
misuse of the API (``IntegrityError``, ``ProgrammingError``) is a bug and stays as it is.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, cast

from archive import crawlstate, search
from archive._warc import WARC_MAX_BYTES, WarcDir, WarcLocation, payload_digest
from archive.crawlstate import header
from archive.errors import (
    ArchiveError,
    ArchiveNotFound,
    ArchiveReadOnly,
    CorruptArchive,
    SchemaError,
    archive_error_from,
    read_only_problem,
    recover_hint,
)
from archive.migrations import MIGRATIONS
from archive.records import FIELDS, LOOKUP_SQL, Lookup, Record, Sighting, repoint_statements

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from archive.crawlstate import PageState, Run
    from archive.records import Capture, RecordQuery
    from archive.search import Order, SearchHit

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_BUSY_TIMEOUT", "SqliteStore", "where_clause"]

#: Seconds a write waits for another connection's write lock before ``ArchiveLocked``.
DEFAULT_BUSY_TIMEOUT = 30.0

_COLUMNS = ", ".join(FIELDS)
_SELECT = f"SELECT {_COLUMNS} FROM records"  # noqa: S608 - constant column names
# One statement, so the seq is taken atomically even outside a transaction; max(seq) is one
# step down the seq index, not a scan (taken twice: for the rowid, and the seq itself).
_NEXT_SEQ = "(SELECT coalesce(max(seq), 0) + 1 FROM records)"
_INSERT = (
    f"INSERT INTO records (rowid, seq, {_COLUMNS}) "  # noqa: S608 - constant names
    f"VALUES ({_NEXT_SEQ}, {_NEXT_SEQ}, {', '.join('?' for _ in FIELDS)})"
)

# Raised by SQLite for what the caller did, not for what the disk did: left as they are.
_CALLER_ERRORS = (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)


class _Connection(sqlite3.Connection):
    # Every statement, fetch and commit of the store (and of the near-duplicate index and the
    # crawl state, which share the connection) passes through here, so no raw sqlite3 error
    # about the environment escapes a store call.
    archive_path: Path = Path()
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT

    def named_error(self, exc: sqlite3.Error) -> ArchiveError:
        return archive_error_from(exc, self.archive_path, busy_timeout=self.busy_timeout)

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return self.cursor(_Cursor).execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        return self.cursor(_Cursor).executemany(sql, parameters)

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        return self.cursor(_Cursor).executescript(sql_script)

    def commit(self) -> None:
        try:
            super().commit()
        except _CALLER_ERRORS:
            raise
        except sqlite3.Error as exc:
            raise self.named_error(exc) from exc

    def rollback(self) -> None:
        try:
            super().rollback()
        except _CALLER_ERRORS:
            raise
        except sqlite3.Error as exc:
            raise self.named_error(exc) from exc


class _Cursor(sqlite3.Cursor):
    # SQLite reads pages lazily: a damaged page is met while fetching rows, not at execute().
    def _named(self, exc: sqlite3.Error) -> ArchiveError:
        error = cast("_Connection", self.connection).named_error(exc)  # made only by _Connection
        # The error's traceback keeps this frame, so this cursor, so its statement: unreleased,
        # that keeps the database files open after the store is closed (a disk full stays full).
        try:
            self.close()
        except sqlite3.Error:
            pass
        return error

    def execute(self, sql: str, parameters: Any = (), /) -> Self:
        try:
            return super().execute(sql, parameters)
        except _CALLER_ERRORS:
            raise
        except sqlite3.Error as exc:
            raise self._named(exc) from exc

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> Self:
        try:
            return super().executemany(sql, seq_of_parameters)
        except _CALLER_ERRORS:
            raise
        except sqlite3.Error as exc:
            raise self._named(exc) from exc

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        try:
            return super().executescript(sql_script)
        except _CALLER_ERRORS:
            raise
        except sqlite3.Error as exc:
            raise self._named(exc) from exc

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except _CALLER_ERRORS:
            raise
        except sqlite3.Error as exc:
            raise self._named(exc) from exc

    def fetchmany(self, size: int | None = 1) -> list[Any]:
        try:
            return super().fetchmany(self.arraysize if size is None else size)
        except _CALLER_ERRORS:
            raise
        except sqlite3.Error as exc:
            raise self._named(exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except _CALLER_ERRORS:
            raise
        except sqlite3.Error as exc:
            raise self._named(exc) from exc

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except _CALLER_ERRORS:
            raise
        except sqlite3.Error as exc:
            raise self._named(exc) from exc


class SqliteStore:
    """An archive in one SQLite file, with raw captures in ``<name>.warc/`` beside it.

    Args:
        path: The database file, e.g. ``data/archive.db`` (captures go to ``data/archive.warc/``).
        create: Create the file (and parent directories) when missing; else raise.
        warc_max_bytes: Size at which a new WARC file is started.
        busy_timeout: Seconds a statement waits for another connection's lock before
            ``ArchiveLocked``.
        read_only: True: open for reading only (no migration; a write raises
            ``ArchiveReadOnly``). False: the archive must be writable, else ``ArchiveReadOnly``
            now. None (default): as False when ``create`` is true (a crawl means to write); else
            fall back to reading only when the file, its folder or its file system is not
            writable, so ``stats`` and ``export`` work on an archive on a read-only disk.

    Raises:
        ArchiveNotFound: ``create`` is false (or ``read_only`` true) and there is no file at ``path``.
        ArchiveReadOnly: The archive must be written (see ``read_only``) but cannot be, or it
            cannot even be read read-only (a ``-wal`` file without its ``-shm`` in a read-only
            folder), or it needs a migration while read-only.
        CorruptArchive: The file is damaged, or is not a SQLite database.
        SchemaError: The file is a newer archive than this code, or a SQLite database that is
            not an archive.
        ArchiveLocked, ArchiveFull, ArchiveIOError: Opening (migrating) it failed for that reason.
    """

    #: One file has one writer at a time, and normally one writing process (see ``ArchiveStore``).
    contended = False

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        warc_max_bytes: int = WARC_MAX_BYTES,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        read_only: bool | None = None,
    ) -> None:
        """Open or create the store; see the class docstring."""
        self.path = Path(path)
        self.location = str(self.path)
        self.busy_timeout = busy_timeout
        self.warc = WarcDir(
            self.path.with_name(self.path.stem + ".warc"),
            max_bytes=warc_max_bytes,
            referenced_end=self._referenced_end,
            on_undo=self._on_warc_undo,
        )
        self._depth = 0
        self._transactions = 0
        # Undo hooks of the transaction() block in progress, and, in a batch, of the blocks
        # it already released (run too if the batch is lost).
        self._undo: list[Callable[[], None]] = []
        self._batch_undo: list[Callable[[], None]] = []
        self._commit_items = 1
        self._commit_seconds = 0.0
        self._pending = 0  # blocks released in the open batch (0: none is open)
        self._batch_started = 0.0
        try:
            exists = self.path.exists()
            is_dir = self.path.is_dir()
        except OSError as exc:
            raise archive_error_from(exc, self.path) from exc
        if not exists:
            if not create or read_only:
                raise ArchiveNotFound(
                    f"no archive at {path}; run a crawl first or pass --archive URI"
                )
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise archive_error_from(exc, self.path) from exc
        if is_dir:
            raise CorruptArchive(f"{path} is a directory, not an archive; pass the database file")
        #: Why writes are refused (None: the store is writable).
        self.read_only_reason: str | None = None
        blocked = read_only_problem(self.path)
        if read_only is None:
            read_only = blocked is not None and not create
        if blocked is None and not read_only and self.warc.directory.is_dir():
            # A writer also appends captures: better told now than at its first document.
            blocked = read_only_problem(self.warc.directory / "captures-00001.warc.gz")
        if blocked is not None and not read_only:
            raise ArchiveReadOnly(blocked)
        if read_only:
            self.read_only_reason = blocked or (
                f"archive {path} was opened read-only; open it without read_only=True to write to it"
            )
        self.conn = self._connect()
        try:
            self._open()
        except BaseException:
            self.conn.close()
            raise

    @property
    def read_only(self) -> bool:
        """Whether the store was opened for reading only (writes raise ``ArchiveReadOnly``)."""
        return self.read_only_reason is not None

    def _connect(self) -> _Connection:
        target: str | Path = self.path
        if self.read_only:
            # An unwritable folder means SQLite cannot create the -shm file a WAL reader needs;
            # with no -wal file there is nothing beyond the main file to read and nobody can be
            # writing (a writer needs the -wal), so reading the file as immutable is exact.
            target = self.path.resolve().as_uri() + "?mode=ro"
            if not Path(f"{self.path}-wal").exists() and not os.access(self.path.parent, os.W_OK):
                target += "&immutable=1"
        try:
            conn = sqlite3.connect(
                target,
                isolation_level=None,
                timeout=self.busy_timeout,
                factory=_Connection,
                uri=self.read_only,
            )
        except sqlite3.Error as exc:
            raise archive_error_from(exc, self.path, busy_timeout=self.busy_timeout) from exc
        conn.archive_path = self.path
        conn.busy_timeout = self.busy_timeout
        return conn

    def _open(self) -> None:
        try:
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            tables = self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except ArchiveError as exc:
            wal, shm = Path(f"{self.path}-wal"), Path(f"{self.path}-shm")
            if self.read_only and wal.exists() and not shm.exists():
                raise ArchiveReadOnly(
                    f"cannot read archive {self.path} read-only: its -wal file holds changes and SQLite cannot "
                    f"create the -shm file it needs in the read-only folder {self.path.parent}; make the folder "
                    f"writable, or copy {self.path.name} and {wal.name} to a writable folder and read the copy"
                ) from exc
            raise
        latest = len(MIGRATIONS)
        if version > latest:
            raise SchemaError(
                f"{self.path} has archive schema version {version} "
                f"but this code knows up to {latest}; "
                "upgrade fanwen-archive"
            )
        if version == 0 and tables:
            raise SchemaError(
                f"{self.path} is a SQLite database but not an archive (no schema version); "
                "pass the archive's path"
            )
        self.conn.execute("PRAGMA foreign_keys=ON")
        if self.read_only:
            if version < latest:
                raise ArchiveReadOnly(
                    f"archive {self.path} has schema version {version} and needs migrating to {latest}, "
                    "which cannot be done while it is read-only; make it writable and open it once "
                    "(any crawl or archive command migrates it), or choose another archive path"
                )
            return
        self.conn.execute("PRAGMA journal_mode=WAL")
        self._migrate(version)

    def _migrate(self, version: int) -> None:
        if version >= len(MIGRATIONS):  # versions are 1..n (``migration`` enforces it)
            return
        # SQLite ignores PRAGMA foreign_keys inside a transaction: a step that rebuilds a table
        # others refer to needs enforcement off before BEGIN (see ``Migration``).
        unchecked = any(m.foreign_keys_off for m in MIGRATIONS if m.version > version)
        if unchecked:
            self.conn.execute("PRAGMA foreign_keys=OFF")
        try:
            with self.transaction():
                # Another process may have migrated the file between our read and the write lock
                # (two spiders opening a new archive at once): read the version again under the lock.
                version = self.conn.execute("PRAGMA user_version").fetchone()[0]
                pending = [m for m in MIGRATIONS if m.version > version]
                for step in pending:
                    logger.info(
                        "archive %s: applying migration %d (%s)", self.path, step.version, step.name
                    )
                    step.apply(self.conn)
                if pending:
                    # PRAGMA takes no parameters; the value is an int from MIGRATIONS.
                    self.conn.execute(f"PRAGMA user_version = {pending[-1].version:d}")
                if any(m.foreign_keys_off for m in pending):
                    self._check_foreign_keys(pending[-1].version)
        finally:
            if unchecked:
                self.conn.execute("PRAGMA foreign_keys=ON")

    def _check_foreign_keys(self, version: int) -> None:
        # Run in the migration transaction, so a failure rolls the whole migration back.
        problems = self.conn.execute("PRAGMA foreign_key_check").fetchmany(4)
        if problems:
            found = ", ".join(f"{table} row {rowid} -> {parent}" for table, rowid, parent, _fk in problems[:3])
            more = " and more" if len(problems) > 3 else ""
            raise CorruptArchive(
                f"archive {self.path} has rows that refer to rows that are not there ({found}{more}), so it was "
                f"not migrated to schema version {version} and is unchanged; list them with: "
                f'sqlite3 {self.path} "PRAGMA foreign_key_check", then delete or repair them, '
                f"or {recover_hint(self.path)}"
            )

    @property
    def schema_version(self) -> int:
        """The schema version stored in the file (``PRAGMA user_version``)."""
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block as one atomic write; nested blocks join it.

        Outside a batch (the default) the block is one write transaction
        (``BEGIN IMMEDIATE`` ... ``COMMIT``). In a batch (see ``batch``) it is a savepoint of
        the batch's transaction, which stays open (holding the write lock) until it commits: a
        block that fails rolls back its savepoint only, and the blocks before it stay in the
        batch. Either way the WARC bytes the writes refer to are fsynced before the COMMIT.

        Raises:
            ArchiveReadOnly: The store is read-only (``read_only``).
            ArchiveLocked: Another connection held the write lock past the busy timeout.
            ArchiveFull, ArchiveIOError, CorruptArchive: A write or the commit failed; the
                transaction is rolled back, with the ``on_rollback`` callbacks. In a batch, a
                write fails its own savepoint only, unless SQLite rolled back the whole
                transaction (it does on some full-disk and I/O errors): then, as when the
                COMMIT fails, the batch is lost (``pending`` is 0 again).
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        if self.read_only_reason is not None:
            raise ArchiveReadOnly(self.read_only_reason)
        if self._commit_items > 1:
            with self._savepoint():
                yield
            if self._due():
                self.commit()
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        self._transactions += 1
        try:
            yield
            self._commit()
        except BaseException:
            # Also reached when COMMIT itself fails (e.g. disk full): never leave it open.
            self._roll_back()
            raise
        finally:
            self._depth = 0
            self._undo.clear()

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        if not self._pending:
            self.conn.execute("BEGIN IMMEDIATE")
            self._batch_started = time.monotonic()
        try:
            self.conn.execute("SAVEPOINT archive_write")
        except BaseException:
            if not self._pending:  # never leave an empty batch open: the next BEGIN would fail
                self._roll_back()
            raise
        self._depth = 1
        self._transactions += 1
        try:
            yield
            self.conn.execute("RELEASE archive_write")
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
        # Runs while another error propagates: a failure here is logged, never raised over it.
        # The whole transaction goes when it holds nothing else, or when SQLite rolled it back
        # already (it may, on a full disk or an I/O error).
        if self.conn.in_transaction and self._pending:
            try:
                self.conn.execute("ROLLBACK TO archive_write")
                self.conn.execute("RELEASE archive_write")
            except (ArchiveError, sqlite3.Error) as exc:
                logger.warning("archive %s: ROLLBACK TO SAVEPOINT failed (%s); rolling the batch back", self.path, exc)
            else:
                self._run_undo(self._undo)
                return
        self._roll_back()

    def _due(self) -> bool:
        if self._pending >= self._commit_items:
            return True
        return bool(self._commit_seconds) and time.monotonic() - self._batch_started >= self._commit_seconds

    def batch(self, items: int, seconds: float = 0.0) -> None:
        """Commit writes in batches: every ``items`` ``transaction()`` blocks, or once ``seconds`` old.

        A batch's age is looked at when a block ends: one that nobody writes to waits for
        ``commit()`` (call it from a timer to bound how long a write stays uncommitted) or
        ``close()``. Until it commits, the batch holds the write lock: another connection's
        write waits for it (up to the busy timeout), and a crash loses it (its WARC bytes are
        cut off by the next writer). ``items`` 1 commits each block at once (the default).

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
        """How many ``transaction()`` blocks the open batch holds, done but not committed yet."""
        return self._pending

    def commit(self) -> None:
        """Commit the open batch, if any (its WARC bytes fsynced first).

        Raises:
            RuntimeError: Called inside a ``transaction()`` block.
            ArchiveFull, ArchiveIOError, CorruptArchive, ArchiveReadOnly: The fsync or the
                COMMIT failed: the whole batch is rolled back (its WARC bytes cut off again,
                its ``on_rollback`` callbacks run) and ``pending`` is 0.
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
        self.conn.execute("COMMIT")

    def _roll_back(self) -> None:
        # The whole transaction, with the batch it held. Runs while another error propagates:
        # a failure here is logged, never raised over it.
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except (ArchiveError, sqlite3.Error) as exc:
                logger.error("archive %s: ROLLBACK failed (%s)", self.path, exc)
        if self._pending:
            logger.warning("archive %s: %d uncommitted write(s) of a batch were rolled back", self.path, self._pending)
        self._run_undo([*self._batch_undo, *self._undo])
        self._batch_undo.clear()
        self._pending = 0

    def _run_undo(self, hooks: list[Callable[[], None]]) -> None:
        for undo in reversed(hooks):
            try:
                undo()
            except Exception:
                logger.exception("archive %s: undoing a rolled-back write failed", self.path)

    @property
    def transaction_id(self) -> int | None:
        """A number for the ``transaction()`` block in progress (None outside one).

        Each block of a batch has its own: state kept beside the file is undone per block.
        """
        return self._transactions if self._depth else None

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Call ``undo`` if the ``transaction()`` block in progress rolls back (state kept beside the file).

        In a batch, also if the batch is lost after the block was released (its COMMIT fails).

        Raises:
            RuntimeError: No transaction is in progress.
        """
        if not self._depth:
            raise RuntimeError("on_rollback() needs a transaction; call it inside store.transaction()")
        self._undo.append(undo)

    # -- records -------------------------------------------------------------------------------

    def get(self, record_id: str) -> Record | None:
        """Return the record ``record_id`` or None."""
        row = self.conn.execute(f"{_SELECT} WHERE id = ?", (record_id,)).fetchone()
        return _record(row) if row else None

    def lookup(self, url: str, content_hash: str) -> Lookup:
        """Return what is stored of ``url`` and of ``content_hash`` (see ``Lookup``)."""
        rows = self.conn.execute(LOOKUP_SQL, (url, content_hash, url, content_hash)).fetchall()
        return Lookup.from_rows(rows, _record)

    def insert(self, record: Record) -> None:
        """Store a new record (call inside ``transaction()``).

        Its ``seq`` is one more than the highest stored, and its rowid the same number (see
        migration 7): the write lock the transaction holds keeps two writers from taking the
        same one, and records are never deleted, so a seq is never given twice.
        """
        values = record.to_dict()
        values["keywords"] = json.dumps(record.keywords, ensure_ascii=False)
        values["extra"] = json.dumps(record.extra, ensure_ascii=False, sort_keys=True)
        values["truncated"] = int(record.truncated)
        self.conn.execute(_INSERT, [values[name] for name in FIELDS])

    def add_sighting(self, record_id: str, url: str, seen_at: str) -> None:
        """Note that ``url`` was seen holding record ``record_id`` at ``seen_at``.

        The latest version of a URL is the record it was last seen with, so this is also where
        the search index follows the latest versions (in the same transaction).
        """
        previous = search.latest_record_id(self.conn, url)
        self.conn.execute(
            "INSERT INTO sightings (record_id, url, seen_at) VALUES (?, ?, ?)",
            (record_id, url, seen_at),
        )
        search.follow_sighting(self.conn, record_id, previous)

    def sightings(self, record_id: str) -> list[tuple[str, str]]:
        """Return ``(url, seen_at)`` of every sighting of ``record_id``, oldest first."""
        rows = self.conn.execute(
            "SELECT url, seen_at FROM sightings WHERE record_id = ? ORDER BY rowid", (record_id,)
        )
        return [(url, seen_at) for url, seen_at in rows]

    def latest(self, url: str) -> Record | None:
        """Return the record ``url`` was most recently seen with, or None."""
        row = self.conn.execute(
            f"{_SELECT} WHERE id = (SELECT record_id FROM sightings WHERE url = ? "  # noqa: S608 - constant
            "ORDER BY rowid DESC LIMIT 1)",
            (url,),
        ).fetchone()
        return _record(row) if row else None

    def duplicates(self, record_id: str) -> list[Record]:
        """Return the records whose ``dup_of`` is ``record_id``, oldest first."""
        return [
            _record(row)
            for row in self.conn.execute(
                f"{_SELECT} WHERE dup_of = ? ORDER BY seq", (record_id,)
            )
        ]

    def document_sightings(self, root_id: str) -> list[Sighting]:
        """Return the sightings of ``root_id`` and of its duplicates, by ``seen_at``."""
        rows = self.conn.execute(
            "SELECT s.url, s.seen_at, s.record_id FROM sightings s "
            "WHERE s.record_id = ? OR s.record_id IN (SELECT id FROM records WHERE dup_of = ?) "
            "ORDER BY s.seen_at, s.rowid",
            (root_id, root_id),
        )
        return [Sighting(*row) for row in rows]

    def documents_sightings(self, root_ids: Sequence[str]) -> dict[str, list[Sighting]]:
        """Return ``document_sightings`` of each of ``root_ids`` (roots only), in one query."""
        marks = ", ".join("?" for _ in root_ids)
        rows = self.conn.execute(
            "SELECT coalesce(r.dup_of, r.id), s.url, s.seen_at, s.record_id "  # noqa: S608 - marks only
            f"FROM records r JOIN sightings s ON s.record_id = r.id WHERE r.id IN ({marks}) "
            f"OR r.dup_of IN ({marks}) ORDER BY s.seen_at, s.rowid",
            [*root_ids, *root_ids],
        )
        found: dict[str, list[Sighting]] = {root: [] for root in root_ids}
        for root, *sighting in rows:
            found[root].append(Sighting(*sighting))
        return found

    def versions(self, url: str) -> list[Record]:
        """Return every record of ``url``, oldest first."""
        return [
            _record(row)
            for row in self.conn.execute(f"{_SELECT} WHERE url = ? ORDER BY seq", (url,))
        ]

    def iter_records(self, query: RecordQuery) -> Iterator[Record]:
        """Stream the records matching ``query`` in insertion order.

        Records added after the first one is read are not included, so a caller can store new
        versions while iterating (e.g. re-extraction) without seeing them again.
        """
        last = self.conn.execute("SELECT coalesce(max(seq), 0) FROM records").fetchone()[0]
        where, params = where_clause(query)
        where += " AND seq <= ?" if where else " WHERE seq <= ?"
        if query.distinct:
            # The roots of the matching records, each once: one record per distinct document.
            where = f" WHERE id IN (SELECT coalesce(dup_of, id) FROM records{where})"  # noqa: S608
        sql = f"{_SELECT}{where} ORDER BY seq"
        for row in self.conn.execute(sql, [*params, last]):
            yield _record(row)

    def search(
        self, query: str, where: RecordQuery, *, limit: int = 20, distinct: bool = True, order: Order = "rank"
    ) -> Iterator[SearchHit]:
        """Yield the hits of ``query`` among the records ``where`` selects (see ``Archive.search``)."""
        clause, params = where_clause(where, alias="r")
        return search.find(
            self.conn, query, clause.replace(" WHERE ", " AND ", 1), params, limit=limit, distinct=distinct, order=order
        )

    def rebuild_search(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Empty the search index and index the latest version of every URL again, in one transaction."""
        with self.transaction():
            return search.rebuild(self.conn, progress)

    def sites(self) -> list[str]:
        """Return the site keys that have records, sorted."""
        return [
            site for (site,) in self.conn.execute("SELECT DISTINCT site FROM records ORDER BY site")
        ]

    def stats(self) -> dict[str, Any]:
        """Return counts per site, per month of ``published_at`` and in total."""
        sites: dict[str, dict[str, int]] = {}
        rows = self.conn.execute(
            "SELECT site, count(*), count(dup_of), coalesce(sum(truncated), 0), "
            "count(DISTINCT url) "
            "FROM records GROUP BY site ORDER BY site"
        )
        for site, records, duplicates, truncated, urls in rows:
            sites[site] = {
                "records": records,
                "duplicates": duplicates,
                "truncated": truncated,
                "urls": urls,
            }
        months = dict(
            self.conn.execute(
                "SELECT coalesce(substr(published_at, 1, 7), 'unknown') AS month, count(*) "
                "FROM records GROUP BY month ORDER BY month"
            ).fetchall()
        )
        total = {
            key: sum(s[key] for s in sites.values())
            for key in ("records", "duplicates", "truncated")
        }
        total["urls"] = self.conn.execute("SELECT count(DISTINCT url) FROM records").fetchone()[0]
        total["captures"] = self.conn.execute("SELECT count(*) FROM captures").fetchone()[0]
        return {"sites": sites, "months": months, "total": total}

    # -- documents: roots, aliases, re-rooting --------------------------------------------------
    # What ``Archive.add`` asks beyond records and sightings; indexed lookups only (records.id,
    # records_dup_of, sightings_url, the rowid of minhash and record_captures).

    def root_fields(self, record_id: str) -> tuple[str, str, str | None] | None:
        """Return ``(id, url, published_at)`` of a record, without reading its text (None: unknown)."""
        # Those columns are stored before the text, so its overflow pages are not read (a near
        # match is on the hot path of every crawl).
        row = self.conn.execute("SELECT id, url, published_at FROM records WHERE id = ?", (record_id,)).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def records_with_text(self, content_hash: str, title: str) -> list[tuple[str, str]]:
        """Return ``(id, url)`` of the records with this content hash and title, in storage order."""
        rows = self.conn.execute(
            "SELECT id, url FROM records WHERE content_hash = ? AND title = ? ORDER BY seq", (content_hash, title)
        )
        return [(rid, url) for rid, url in rows]

    def sighted_at(self, record_id: str, url: str) -> bool:
        """Whether ``record_id`` was sighted at ``url``."""
        row = self.conn.execute(
            "SELECT 1 FROM sightings WHERE url = ? AND record_id = ? LIMIT 1", (url, record_id)
        ).fetchone()
        return row is not None

    def repoint(self, old_root: str, new_root: str) -> int:
        """Make ``new_root`` the root of ``old_root``'s document; return how many records moved.

        The old root and every record whose ``dup_of`` was it get ``dup_of`` = ``new_root`` (one
        hop stays the invariant), and their near-duplicate signatures get its seq as their root,
        so that the index names the new root. ``new_root`` may be one of those duplicates (a
        revision dated later than a copy at another URL): it becomes a root itself.
        """
        counts = [self.conn.execute(sql, args).rowcount for sql, args in repoint_statements(old_root, new_root)]
        return int(counts[0] + counts[1])

    def add_more_captures(self, record_id: str, captures: Sequence[Capture]) -> None:
        """Link ``captures`` to a record that has captures already, after them in its order.

        ``add_captures`` numbers a record's captures from 0 (their order is how a multi-page
        document is put together again), so the new links are moved after the existing ones.
        """
        offset = self.conn.execute(
            "SELECT coalesce(max(seq) + 1, 0) FROM record_captures WHERE record_id = ?", (record_id,)
        ).fetchone()[0]
        last_link = self.conn.execute("SELECT coalesce(max(rowid), 0) FROM record_captures").fetchone()[0]
        self.add_captures(record_id, captures)
        if offset:
            self.conn.execute(
                "UPDATE record_captures SET seq = seq + ? WHERE record_id = ? AND rowid > ?",
                (offset, record_id, last_link),
            )

    # -- crawl state and the run log (archive.crawlstate) ---------------------------------------

    def page_state(self, url: str) -> PageState | None:
        """What the archive knows of a fetched page (see ``Archive.page_state``)."""
        return crawlstate.page_state(self.conn, url)

    def page_urls(self, url: str) -> list[str]:
        """The URLs a page's records are at (itself, or its parts), else the URLs it was sighted at."""
        urls = crawlstate.record_urls(self.conn, url)
        if urls:
            return urls
        page = url.split("#", 1)[0]
        rows = self.conn.execute(
            "SELECT DISTINCT url FROM sightings WHERE url = ? OR (url >= ? AND url < ?)",
            (page, page + "#part-", page + "#part-\U0010ffff"),
        ).fetchall()
        return [row[0] for row in rows]

    def start_run(self, run_id: str, spider: str, started_at: str) -> None:
        """Log the start of a crawl run by this process (call inside ``transaction()``)."""
        crawlstate.start_run(self.conn, run_id, spider, started_at)

    def update_run(self, run_id: str, counts: Mapping[str, Any]) -> bool:
        """Store the counts of a run in progress; False if it is unknown or finished."""
        return crawlstate.update_run(self.conn, run_id, counts)

    def finish_run(self, run_id: str, finished_at: str, finish_reason: str, counts: Mapping[str, Any] | None) -> bool:
        """Log the end of a run (None counts: keep the stored ones); False for an unknown run."""
        return crawlstate.finish_run(self.conn, run_id, finished_at, finish_reason, counts)

    def runs(self, *, spider: str | None = None, limit: int | None = None) -> list[Run]:
        """Crawl runs, newest first, a run whose process is gone as ``interrupted``."""
        return crawlstate.list_runs(self.conn, spider=spider, limit=limit)

    # -- captures ------------------------------------------------------------------------------

    def add_captures(self, record_id: str, captures: Sequence[Capture]) -> None:
        """Link ``captures`` to ``record_id``, writing to the WARC only the ones not stored yet.

        Call inside ``transaction()``: the WARC bytes are fsynced before the rows commit, so a
        row never points at bytes that are not on disk; if the transaction rolls back, the bytes
        it appended are cut off again. Called outside one, the bytes are fsynced at once.

        Raises:
            ArchiveFull, ArchiveReadOnly, ArchiveIOError: The WARC append failed; the WARC file
                is as it was before it.
        """
        for seq, capture in enumerate(captures):
            digest = payload_digest(capture.body)
            row = self.conn.execute(
                "SELECT id FROM captures WHERE url = ? AND payload_digest = ?",
                (capture.url, digest),
            ).fetchone()
            if row:
                capture_id = row[0]
            else:
                loc = self.warc.write(capture)
                cursor = self.conn.execute(
                    "INSERT INTO captures (url, fetched_at, status, payload_digest, warc_file, "
                    '"offset", length, request_offset, request_length, etag, last_modified) '
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        capture.url,
                        capture.fetched_at,
                        capture.status,
                        digest,
                        loc.warc_file,
                        loc.offset,
                        loc.length,
                        loc.request_offset,
                        loc.request_length,
                        header(capture.headers, "ETag"),
                        header(capture.headers, "Last-Modified"),
                    ),
                )
                capture_id = cursor.lastrowid
            self.conn.execute(
                "INSERT OR IGNORE INTO record_captures (record_id, capture_id, seq) "
                "VALUES (?, ?, ?)",
                (record_id, capture_id, seq),
            )
        if not self._depth:
            self.warc.sync()

    def captures(self, record_id: str) -> list[Capture]:
        """Read back the captures linked to ``record_id``, in the order they were given."""
        rows = self.conn.execute(
            'SELECT c.url, c.fetched_at, c.warc_file, c."offset", c.length, c.request_offset, '
            "c.request_length, c.payload_digest FROM record_captures rc "
            "JOIN captures c ON c.id = rc.capture_id WHERE rc.record_id = ? ORDER BY rc.seq",
            (record_id,),
        ).fetchall()
        found = []
        for url, fetched_at, warc_file, offset, length, req_offset, req_length, digest in rows:
            capture = self.warc.read(
                WarcLocation(warc_file, offset, length, req_offset, req_length),
                url=url,
                fetched_at=fetched_at,
            )
            if payload_digest(capture.body) != digest:
                raise CorruptArchive(
                    f"WARC file {self.warc.directory / warc_file} is damaged: the capture of {url} at offset "
                    f"{offset} is not the body that was stored (digest mismatch); restore the WARC file from a backup"
                )
            found.append(capture)
        return found

    def _on_warc_undo(self, undo: Callable[[], None]) -> None:
        # WARC appends happen inside a transaction (add_captures); one outside has none to undo.
        if self._depth:
            self._undo.append(undo)

    def _referenced_end(self, warc_file: str) -> int:
        # Captures are appended under the write lock, so the newest row of a file is its last
        # record; its end is where a search for a torn tail starts.
        row = self.conn.execute(
            'SELECT "offset" + length, request_offset + request_length FROM captures '
            "WHERE warc_file = ? ORDER BY id DESC LIMIT 1",
            (warc_file,),
        ).fetchone()
        return max((end for end in row if end is not None), default=0) if row else 0

    def check(self) -> None:
        """Read every page of the database and check its structure (``PRAGMA quick_check``).

        Takes about 0.3 s per GB once the file is in the OS cache; the WARC files are not read.

        Raises:
            CorruptArchive: The database is damaged.
        """
        problems = [row[0] for row in self.conn.execute("PRAGMA quick_check").fetchall() if row[0] != "ok"]
        if problems:
            more = f" and {len(problems) - 1} more problems" if len(problems) > 1 else ""
            raise CorruptArchive(f"archive {self.path} is damaged ({problems[0]}{more}); {recover_hint(self.path)}")

    def close(self) -> None:
        """Commit the open batch (see ``batch``), then close the WARC files and the connection.

        Raises:
            ArchiveFull, ArchiveIOError, CorruptArchive: The batch could not be committed (it is
                rolled back); the store is closed all the same.
        """
        try:
            if not self._depth:
                self.commit()
        finally:
            self.warc.close()
            self.conn.close()


def _record(row: Sequence[Any]) -> Record:
    values = dict(zip(FIELDS, row, strict=True))
    values["keywords"] = json.loads(values["keywords"])
    values["extra"] = json.loads(values["extra"])
    values["truncated"] = bool(values["truncated"])
    return Record(**values)


def where_clause(query: RecordQuery, alias: str = "") -> tuple[str, list[Any]]:
    """The `` WHERE ...`` clause (empty for no condition) and parameters that select ``query``'s records.

    ``alias``: the name of the records table in the statement, to qualify its columns with.
    Export's fast path builds its own statement over the same selection.
    """
    prefix = f"{alias}." if alias else ""
    clauses: list[str] = []
    params: list[Any] = []
    if query.site is not None:
        clauses.append(f"{prefix}site = ?")
        params.append(query.site)
    # crawled_at is UTC "YYYY-MM-DDTHH:MM:SSZ"; published_at is the page's own local date
    # ("YYYY-MM-DD" or with a time and offset), so both compare as strings by their date prefix.
    # NULL published_at never satisfies a bound, which excludes undated records as documented.
    column = prefix + ("crawled_at" if query.date_field == "crawled" else "published_at")
    if query.since is not None:
        clauses.append(f"{column} >= ?")
        params.append(query.since.isoformat())
    if query.until is not None:
        clauses.append(f"{column} < ?")
        params.append((query.until + timedelta(days=1)).isoformat())
    if query.latest_only:
        # The version a URL was most recently seen with (a page that reverts to an older text is
        # an "unchanged" sighting of that older record, so the highest seq would be wrong).
        clauses.append(
            f"{prefix}id IN (SELECT record_id FROM "  # noqa: S608 - a constant prefix
            "(SELECT record_id, max(rowid) FROM sightings GROUP BY url))"
        )
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
