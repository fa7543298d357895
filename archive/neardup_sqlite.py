"""``MinHashIndex``: the near-duplicate index kept in the archive's own SQLite file.

Signatures sit beside the records (``minhash``), the parameters in ``archive_meta``: that is all
that persists. The first lookup loads the signatures into a ``BandTable`` (LSH buckets and 16-bit
signatures in memory, 528 bytes per document; their band keys are computed again from the
signatures, never from the texts), and every later one first reads the signatures stored since
(by another process, or by this one). A lookup then reads nothing from disk unless it matches;
a match reads its document's current root from ``minhash`` (which ``Archive.add`` re-points
when a copy takes over as root), never the root the table was loaded with.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from archive.dedup import first_copy_key
from archive.errors import ArchiveError, RecordNotFound, SchemaError
from archive.neardup import (
    DEFAULT_PARAMS,
    MinHashParams,
    Sketch,
    band_key_matrix,
    band_keys,
    signature,
)
from archive.neardup_memory import BandTable, Batch, release_free_memory

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from contextlib import AbstractContextManager

    from archive.core import Archive

logger = logging.getLogger(__name__)

__all__ = ["IndexedStore", "MinHashIndex", "SqlConnection", "reindex"]


class SqlCursor(Protocol):
    """The cursor methods the index uses (``sqlite3.Cursor`` and psycopg's have them)."""

    def fetchone(self) -> Any:
        """The next row, or None."""
        ...

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        ...

    def fetchmany(self, size: int = ..., /) -> list[Any]:
        """Up to ``size`` more rows."""
        ...


class SqlConnection(Protocol):
    """A connection taking SQLite's ``?`` placeholders: SQLite's own, or ``PostgresStore``'s adapter."""

    def execute(self, sql: str, parameters: Any = ..., /) -> SqlCursor:
        """Run one statement."""
        ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Any:
        """Run one statement for each parameter set."""
        ...


class IndexedStore(Protocol):
    """What the index needs of a store: its connection and its transactions."""

    location: str

    @property
    def conn(self) -> SqlConnection:
        """The store's connection (the index's statements are portable SQL)."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """One atomic write."""
        ...

    @property
    def transaction_id(self) -> int | None:
        """The transaction block in progress (None outside one)."""
        ...

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Call ``undo`` if the block in progress rolls back."""
        ...


class MinHashIndex:
    """MinHash LSH over character shingles, stored in the archive's SQLite file.

    ``open_archive`` attaches one by default (``near_dup=True``). The parameters are stored with
    the index on first use and read back on every open, never mixed: asking for different ones
    raises until the index is rebuilt (``reindex``).

    Args:
        store: The archive's store; the index uses its connection and transactions.
        params: Parameters to use; None means the stored ones (or ``DEFAULT_PARAMS`` for a new
            index).
        rebuild: Open for ``rebuild()``: stored parameters that differ from ``params`` or that
            this code cannot read do not raise (the rebuild replaces them).

    Raises:
        SchemaError: ``params`` differ from the stored ones, or the stored ones are unreadable
            (not raised with ``rebuild``).
    """

    def __init__(
        self, store: IndexedStore, params: MinHashParams | None = None, *, rebuild: bool = False
    ) -> None:
        """Open the index; see the class docstring."""
        self.store = store
        self.conn: SqlConnection = store.conn
        unreadable = False
        try:
            stored = MinHashParams.from_meta(_read_meta(self.conn))
        except SchemaError:
            if not rebuild:
                raise
            stored, unreadable = None, True
        self.params: MinHashParams = params or stored or DEFAULT_PARAMS
        # True until rebuild(): the rows on disk were made with other (or unknown) parameters.
        self._stale = unreadable or (stored is not None and stored != self.params)
        if stored is None and not rebuild:
            with store.transaction():
                _write_params(self.conn, self.params)
        elif stored is not None and self._stale and not rebuild:
            raise SchemaError(_mismatch_message(store.location, stored, self.params))
        self._dtype = np.dtype("<u4")
        self._table: BandTable | None = None  # loaded by the first lookup
        self._table_generation: str | None = None  # the rebuild count the table was loaded at
        self._undo_for: tuple[int, int] | None = None  # (transaction, table) with an undo hook
        if not rebuild and (pending := self.pending()):
            logger.warning(
                "archive %s: %d record(s) are not in the near-duplicate index (stored before it "
                "existed or without it); run `python -m archive reindex --missing` to add them",
                store.location,
                pending,
            )

    def __repr__(self) -> str:
        """Name the archive and the parameters."""
        return f"<MinHashIndex {self.store.location} {self.params}>"

    def sketch(self, text: str) -> Sketch:
        """Return the signature and band keys of ``text`` (the only place texts are hashed)."""
        sig = signature(text, self.params)
        return Sketch(sig, band_keys(sig, self.params))

    def find(self, sketch: Sketch, *, url: str) -> str | None:
        """Return the root id of the indexed document near ``sketch`` whose root comes first, or None.

        Candidates share at least one band key with ``sketch``; a candidate matches when at
        least ``params.min_agree`` of its signature values equal the sketch's (estimated Jaccard
        >= ``params.threshold``). A match whose record is at ``url``, or whose document is rooted
        at ``url``, is ignored. Of the documents left, the one whose root has the smallest
        ``first_copy_key`` wins: the rule that picks a document's root also picks among
        documents, so the answer does not depend on the order they were stored in. Keys are
        equal only for two versions of one page with one date, each the root of a document: the
        version stored first wins.

        Args:
            sketch: From ``sketch(text)``.
            url: The URL being added.

        Returns:
            The id of that root as ``records`` has it now, or None.
        """
        self._check_fresh()
        table = self._sync()
        seqs = sorted({seq for _, seq in table.matches(sketch.signature, sketch.keys)})
        if not seqs:
            return None
        # The roots from disk, not the table's: another process (or this one) may have re-pointed
        # a document since its signatures were loaded. One query for every match (at most
        # MAX_CANDIDATES, usually one), by primary keys; no text is read.
        marks = ", ".join("?" * len(seqs))
        rows = self.conn.execute(_MATCHES_SQL.format(marks=marks), seqs).fetchall()
        roots = {
            (first_copy_key(published_at, root_url), root_seq, root_id)
            for record_url, root_seq, root_id, root_url, published_at in rows
            if url not in (record_url, root_url)
        }
        return str(min(roots)[2]) if roots else None

    def load(self) -> BandTable:
        """Load the stored signatures into memory (else done by the first lookup); return the table.

        A crawl calls it as it opens, so that its first document does not stall it.
        """
        return self._sync()

    def _sync(self) -> BandTable:
        # Signatures stored since the last call (all of them the first time), in seq order, so
        # positions in the table follow seqs. Rows this transaction wrote are read too; if it
        # rolls back, the table forgets them with it.
        started = time.perf_counter()
        newest, generation = self.conn.execute(_STATE_SQL).fetchone()
        newest = newest or 0
        table = self._table
        if table is None or generation != self._table_generation:
            # First use, or another process rebuilt the index (rows may have seqs below ours).
            table = self._table = BandTable(self.params)
            self._table_generation = generation
        txn = self.store.transaction_id
        if txn is not None and self._undo_for != (txn, id(table)):
            self._undo_for = (txn, id(table))
            self.store.on_rollback(functools.partial(table.truncate, len(table)))
        before = len(table)
        if newest <= table.last_seq:
            return table
        cursor = self.conn.execute(_SINCE_SQL, (table.last_seq,))
        batches = (self._batch(rows) for rows in iter(lambda: cursor.fetchmany(_LOAD_BATCH), []))
        if newest - table.last_seq <= _LOAD_BATCH:
            for batch in batches:
                table.append(*batch)
            return table
        # A load: seqs are an upper bound of the count (exact duplicates have no signature).
        table.load(batches, expected=newest - table.last_seq)
        release_free_memory()
        logger.info(
            "near-duplicate index of %s: loaded %d signatures in %.1f s (%.0f MB in memory)",
            self.store.location,
            len(table) - before,
            time.perf_counter() - started,
            table.nbytes / 1e6,
        )
        return table

    def _batch(self, rows: list[tuple[int, int, bytes]]) -> Batch:
        sigs = np.frombuffer(b"".join(row[2] for row in rows), dtype=self._dtype)
        sigs = sigs.reshape(len(rows), self.params.num_perm)
        seqs, roots = [row[0] for row in rows], [row[1] for row in rows]
        return seqs, roots, sigs, band_key_matrix(sigs, self.params)

    def add(self, record_id: str, sketch: Sketch | None) -> None:
        """Index the stored record ``record_id`` (call inside the transaction that inserted it).

        Args:
            record_id: The record's id.
            sketch: From ``sketch(record.text)``; None for an exact duplicate of an indexed text
                (only marked as indexed).

        Raises:
            RecordNotFound: No record has that id.
        """
        self._check_fresh()
        if sketch is None:
            row = self.conn.execute("SELECT seq FROM records WHERE id = ?", (record_id,)).fetchone()
        else:
            row = self.conn.execute(_ADD_SQL, (self._blob(sketch), record_id)).fetchone()
        if row is None:
            raise RecordNotFound(f"no record with id {record_id!r} to index; insert it first")
        self.conn.execute("DELETE FROM minhash_pending WHERE seq = ?", (row[0],))
        table = self._table
        synced_here = table is not None and self._undo_for == (self.store.transaction_id, id(table))
        if sketch is not None and table is not None and synced_here and row[0] > table.last_seq:
            # Synced in this transaction, which holds the write lock: no other writer's row can
            # come between, so the table takes this one as it is, without reading it back.
            sigs = sketch.signature[None, :]
            table.append([row[0]], [row[1]], sigs, band_key_matrix(sigs, self.params))

    def _blob(self, sketch: Sketch) -> bytes:
        return sketch.signature.astype(self._dtype, copy=False).tobytes()

    def _insert(self, seq: int, root: int, sketch: Sketch | None) -> None:
        if sketch is not None:
            self.conn.execute(
                "INSERT INTO minhash (seq, root, signature) VALUES (?, ?, ?) "
                "ON CONFLICT (seq) DO UPDATE SET root = excluded.root, signature = excluded.signature",
                (seq, root, self._blob(sketch)),
            )
        self.conn.execute("DELETE FROM minhash_pending WHERE seq = ?", (seq,))

    def pending(self) -> int:
        """Return how many records are not indexed yet (stored without the index)."""
        return int(self.conn.execute("SELECT count(*) FROM minhash_pending").fetchone()[0])

    def size(self) -> int:
        """Return how many signatures the index holds."""
        return int(self.conn.execute("SELECT count(*) FROM minhash").fetchone()[0])

    def rebuild(
        self,
        *,
        missing_only: bool = False,
        batch_size: int = 500,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """(Re)build the index from the stored texts, the only place that reads them.

        Commits every ``batch_size`` records, so an interrupted rebuild resumes with
        ``missing_only``. Exact duplicates of an earlier record are marked, not hashed.

        Args:
            missing_only: Index only the records not indexed yet; ignored (everything is
                rebuilt) when the parameters changed.
            batch_size: Records per transaction.
            progress: Called with the running count after each batch.

        Returns:
            The number of records processed.
        """
        if not missing_only or self._stale:
            with self.store.transaction():
                for statement in (
                    "DELETE FROM minhash",
                    "DELETE FROM minhash_pending",
                    "INSERT INTO minhash_pending (seq) SELECT seq FROM records",
                ):
                    self.conn.execute(statement)
                _write_params(self.conn, self.params)
                self.conn.execute(_BUMP_GENERATION_SQL)
            self._stale = False
        # Rebuilt rows may take seqs below the loaded ones: load them all again on next use.
        self._table = None
        done = 0
        while True:
            with self.store.transaction():
                rows = self.conn.execute(_PENDING_SQL, (batch_size,)).fetchall()
                for seq, root, text in rows:
                    self._insert(seq, root, self.sketch(text) if text is not None else None)
            if not rows:
                break
            done += len(rows)
            if progress is not None:
                progress(done)
        if done:
            with self.store.transaction():
                # Rows below other processes' loaded seqs: tell them to load again.
                self.conn.execute(_BUMP_GENERATION_SQL)
        logger.info("near-duplicate index of %s: indexed %d record(s)", self.store.location, done)
        return done

    def _check_fresh(self) -> None:
        if self._stale:
            raise SchemaError(
                f"the near-duplicate index of {self.store.location} has other parameters than "
                f"{self.params}; call rebuild() first"
            )


def reindex(
    archive: Archive,
    params: MinHashParams | None = None,
    *,
    missing_only: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """(Re)build the near-duplicate index of ``archive`` and attach it.

    Args:
        archive: An open SQLite archive (any ``near_dup`` setting).
        params: New parameters; None keeps the stored ones (``DEFAULT_PARAMS`` when none are
            stored or they are unreadable).
        missing_only: Only index the records not indexed yet (unless the parameters change).
        progress: Called as ``progress(done, total)`` after each batch: the records indexed so
            far, and how many this rebuild indexes (one COUNT query, made only for a callback).

    Returns:
        The number of records indexed.

    Raises:
        ArchiveError: The archive is not a SQLite archive.

    Example:
        >>> with open_archive("sqlite:///data/archive.db", near_dup=False) as a:  # doctest: +SKIP
        ...     reindex(a, MinHashParams.tuned(0.6))
    """
    # Imported here: both stores' modules are heavier than this one, and the PostgreSQL one is optional.
    from archive.postgres import PostgresStore
    from archive.sqlite import SqliteStore

    if not isinstance(archive.store, SqliteStore | PostgresStore):
        raise ArchiveError(
            f"{archive.store.location} has no near-duplicate index to rebuild; use a sqlite archive"
        )
    index = MinHashIndex(archive.store, params, rebuild=True)
    report = None
    if progress is not None:
        # What rebuild() will index: every record, unless only the missing ones (and the
        # parameters stay, else it rebuilds everything).
        if missing_only and not index._stale:
            total = index.pending()
        else:
            total = int(index.conn.execute("SELECT count(*) FROM records").fetchone()[0])
        callback = progress

        def report(done: int) -> None:
            callback(done, total)

    count = index.rebuild(missing_only=missing_only, progress=report)
    archive.near_index = index
    return count


# An exact duplicate (an earlier record has the same content hash) gets no text: nothing to hash.
_PENDING_SQL = """
SELECT p.seq, coalesce(root.seq, r.seq),
       CASE WHEN EXISTS (SELECT 1 FROM records e WHERE e.content_hash = r.content_hash
                         AND e.seq < r.seq) THEN NULL ELSE r.text END
FROM minhash_pending p
JOIN records r ON r.seq = p.seq
LEFT JOIN records root ON root.id = r.dup_of
ORDER BY p.seq
LIMIT ?
"""


# The signature of a record just inserted, with its root's seq, in one statement.
_ADD_SQL = (
    "INSERT INTO minhash (seq, root, signature) SELECT r.seq, coalesce(root.seq, r.seq), ? FROM records r "
    "LEFT JOIN records root ON root.id = r.dup_of WHERE r.id = ? "
    "ON CONFLICT (seq) DO UPDATE SET root = excluded.root, signature = excluded.signature RETURNING seq, root"
)
_SINCE_SQL = "SELECT seq, root, signature FROM minhash WHERE seq > ? ORDER BY seq"
# A rebuild counts itself in archive_meta, so that processes holding a table load it again.
_STATE_SQL = (
    "SELECT (SELECT max(seq) FROM minhash), "
    "(SELECT value FROM archive_meta WHERE key = 'minhash.generation')"
)
# Portable SQL (SQLite >= 3.24 and PostgreSQL both have this upsert): the index runs on both stores.
_BUMP_GENERATION_SQL = (
    "INSERT INTO archive_meta (key, value) VALUES ('minhash.generation', '1') ON CONFLICT (key) "
    "DO UPDATE SET value = CAST(CAST(archive_meta.value AS INTEGER) + 1 AS TEXT)"
)
_LOAD_BATCH = 20_000

_MATCHES_SQL = (
    "SELECT r.url, root.seq, root.id, root.url, root.published_at FROM minhash m "
    "JOIN records r ON r.seq = m.seq JOIN records root ON root.seq = m.root "
    "WHERE m.seq IN ({marks})"
)


def _read_meta(conn: SqlConnection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM archive_meta").fetchall())


def _write_params(conn: SqlConnection, params: MinHashParams) -> None:
    conn.execute("DELETE FROM archive_meta WHERE key LIKE 'neardup.%'")
    conn.executemany(
        "INSERT INTO archive_meta (key, value) VALUES (?, ?)", sorted(params.to_meta().items())
    )


def _mismatch_message(location: str, stored: MinHashParams, wanted: MinHashParams) -> str:
    old, new = asdict(stored), asdict(wanted)
    diff = ", ".join(f"{k}={old[k]} (asked {new[k]})" for k in old if old[k] != new[k])
    return (
        f"the near-duplicate index of {location} was built with {diff}; rebuild it with "
        f"`python -m archive reindex --archive {location} --threshold {wanted.threshold} "
        f"--num-perm {wanted.num_perm}`, or open it without parameters to use the stored ones"
    )
