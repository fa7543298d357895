r"""JSON-lines export of archived records, to an open file or atomically to a path.

By default one line per distinct document (its root record plus every sighting of the document);
``distinct=False`` gives every record with its ``dup_of``, exactly the record schema.

From a SQLite archive the lines are made by SQLite (``json_object``) and read as UTF-8 bytes,
never decoded into Python strings: ``python -m archive export`` of 20,000 documents took 1.10 s
through ``Record`` and ``json.dumps``, 0.61 s so (0.37 s of it the export itself;
bench/export.py). The bytes are those ``json.dumps(..., ensure_ascii=False, separators=(",",
":"))`` writes: both escape only ``"``, ``\`` and the control characters (``\b \f \n \r \t``,
else ``\u00xx`` in lower case), and ``json(keywords)`` / ``json(extra)`` minify the stored
JSON, which ``json.dumps`` wrote, keeping its tokens as they are. Other stores go through
``Record.to_json`` and ``document_line``.
"""

from __future__ import annotations

import errno
import itertools
import json
import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from archive.errors import BadFilter, ExportError, RecordNotFound
from archive.records import FIELDS, RecordQuery
from archive.sqlite import SqliteStore, where_clause

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from datetime import date
    from typing import IO

    from archive.core import Archive
    from archive.progress import Progress
    from archive.records import DateField, Record, Sighting

logger = logging.getLogger(__name__)

__all__ = ["document_line", "export_binary", "export_jsonl", "export_to_path"]


def _select(
    archive: Archive,
    site: str | None,
    since: date | None,
    until: date | None,
    date_field: DateField,
    distinct: bool,
    all_versions: bool,
) -> Iterator[Record]:
    # Validate every filter before anything is written, so a bad one leaves no output behind.
    if site is not None:
        known = archive.sites()
        if site not in known:
            holds = f"has: {', '.join(known)}" if known else "has no records yet"
            raise BadFilter(f"unknown site {site!r}; the archive {holds}")
    return archive.iter_records(
        site=site,
        since=since,
        until=until,
        date_field=date_field,
        latest_only=not all_versions,
        distinct=distinct,
    )


def document_line(archive: Archive, record: Record, sightings: Sequence[Sighting] | None = None) -> str:
    """Return the distinct-document JSON line of a root record: its schema fields + sightings.

    Args:
        archive: The archive holding ``record``.
        record: A root record (``dup_of`` null).
        sightings: Its document's sightings when the caller has read them already
            (``store.documents_sightings``); else they are read here.

    Returns:
        One JSON object (no newline): the record schema's keys, then ``"sightings"``: a list of
        ``{"url", "seen_at", "id"}`` of the record and of all its duplicates, by ``seen_at``.
    """
    values = record.to_dict()
    if sightings is None:
        sightings = archive.document_sightings(record.id)
    values["sightings"] = [{"url": s.url, "seen_at": s.seen_at, "id": s.record_id} for s in sightings]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


#: Documents whose sightings an export reads in one query.
SIGHTINGS_BATCH = 500


def export_jsonl(
    archive: Archive,
    fp: IO[str],
    *,
    site: str | None = None,
    since: date | None = None,
    until: date | None = None,
    date_field: DateField = "crawled",
    distinct: bool = True,
    all_versions: bool = False,
    progress: Progress | None = None,
) -> int:
    """Write JSON lines to ``fp``: one per distinct document, or one per record.

    The filters select records; with ``distinct`` each selected record stands for its document,
    written once as its root record (the earliest copy) with a ``"sightings"`` list covering the
    root and all its duplicates (see ``document_line``). Lines follow insertion order.

    Args:
        archive: The archive to read.
        fp: A text file open for writing (UTF-8 recommended: the JSON keeps Chinese unescaped).
        site: Only this site key (with ``distinct``: documents with a copy on that site).
        since: Only records dated on or after this day.
        until: Only records dated on or before this day.
        date_field: ``"crawled"`` or ``"published"``; see ``Archive.iter_records``.
        distinct: One line per distinct document (default); false gives every record with its
            ``dup_of`` and no ``sightings`` key (exactly the record schema).
        all_versions: Every version of a URL, not only the one it was most recently seen with.
        progress: Called as ``progress(done, total)`` before the first line and after each
            batch of lines; ``total`` (the lines to write) costs one COUNT query, made only
            when there is a callback.

    Returns:
        The number of lines written.

    Raises:
        BadFilter: ``site`` is not in the archive, ``since`` is after ``until``, or
            ``date_field`` is unknown.

    Example:
        >>> import sys
        >>> export_jsonl(archive, sys.stdout, site="baina")  # doctest: +SKIP
    """
    chunks, total = _plan(archive, site, since, until, date_field, distinct, all_versions)
    return _write(
        chunks, lambda lines: fp.write(lines if isinstance(lines, str) else lines.decode("utf-8")), progress, total
    )


def export_binary(
    archive: Archive,
    fp: IO[bytes],
    *,
    site: str | None = None,
    since: date | None = None,
    until: date | None = None,
    date_field: DateField = "crawled",
    distinct: bool = True,
    all_versions: bool = False,
    progress: Progress | None = None,
) -> int:
    r"""``export_jsonl`` to a binary file: the same lines, UTF-8 encoded, ``\n`` after each.

    Args:
        archive: The archive to read.
        fp: A binary file open for writing (``sys.stdout.buffer``, ``open(path, "wb")``).
        site: See ``export_jsonl``.
        since: See ``export_jsonl``.
        until: See ``export_jsonl``.
        date_field: See ``export_jsonl``.
        distinct: See ``export_jsonl``.
        all_versions: See ``export_jsonl``.
        progress: See ``export_jsonl``.

    Returns:
        The number of lines written.

    Raises:
        BadFilter: See ``export_jsonl``.
    """
    chunks, total = _plan(archive, site, since, until, date_field, distinct, all_versions)
    return _write(
        chunks, lambda lines: fp.write(lines.encode("utf-8") if isinstance(lines, str) else lines), progress, total
    )


def _write(
    chunks: Iterator[tuple[str | bytes, int]],
    write: Callable[[str | bytes], object],
    progress: Progress | None,
    total: Callable[[], int],
) -> int:
    count = lines_total = 0
    if progress is not None:
        # Counted only for a callback: a second pass over the selection (one COUNT query).
        lines_total = total()
        progress(0, lines_total)
    for lines, written in chunks:
        write(lines)
        count += written
        if progress is not None:
            progress(count, lines_total)
    logger.info("exported %d records", count)
    return count


def _plan(
    archive: Archive,
    site: str | None,
    since: date | None,
    until: date | None,
    date_field: DateField,
    distinct: bool,
    all_versions: bool,
) -> tuple[Iterator[tuple[str | bytes, int]], Callable[[], int]]:
    # The lines, and how to count them (called only for a progress callback, before the lines).
    def count() -> int:
        records = _select(archive, site, since, until, date_field, distinct, all_versions)
        if not isinstance(archive.store, SqliteStore):
            return sum(1 for _ in records)
        # The rows the lines are made of, up to the largest seq now: a crawl writing after this
        # and before the lines are read makes a few more lines than counted.
        query = RecordQuery(site, since, until, date_field, not all_versions, distinct)
        clause, params = _sqlite_where(archive.store, query)
        return int(archive.store.conn.execute(f"SELECT count(*) FROM records{clause}", params).fetchone()[0])  # noqa: S608

    return _chunks(archive, site, since, until, date_field, distinct, all_versions), count


def _chunks(
    archive: Archive,
    site: str | None,
    since: date | None,
    until: date | None,
    date_field: DateField,
    distinct: bool,
    all_versions: bool,
) -> Iterator[tuple[str | bytes, int]]:
    # Lines, a batch at a time, with their count. The filters are checked before the first line
    # is made, so a bad one leaves no output behind.
    records = _select(archive, site, since, until, date_field, distinct, all_versions)
    if isinstance(archive.store, SqliteStore):
        query = RecordQuery(site, since, until, date_field, not all_versions, distinct)
        yield from _sqlite_chunks(archive.store, query)
        return
    # With distinct, every selected record is a root: their sightings come a batch per query
    # (one query per document was a third of an export).
    while batch := list(itertools.islice(records, SIGHTINGS_BATCH)):
        sightings = archive.store.documents_sightings([r.id for r in batch]) if distinct else {}
        yield "".join(
            (document_line(archive, record, sightings[record.id]) if distinct else record.to_json()) + "\n"
            for record in batch
        ), len(batch)


# The record schema as SQLite writes it: keys in FIELDS order, keywords and extra (stored as
# JSON) as JSON, truncated as a JSON boolean.
_AS_JSON = {"keywords": "json(keywords)", "extra": "json(extra)",
            "truncated": "json(CASE WHEN truncated THEN 'true' ELSE 'false' END)"}
_RECORD_JSON = "json_object({})".format(
    ", ".join(f"'{name}', {_AS_JSON.get(name, name)}" for name in FIELDS)
)
# Read as bytes: the UTF-8 SQLite made is what is written. NULL when keywords or extra is not
# JSON SQLite reads: json.dumps writes NaN and Infinity, which json() refuses; Python writes
# those lines.
_LINES_SQL = (
    "SELECT id, CASE WHEN json_valid(keywords) AND json_valid(extra) "  # noqa: S608 - constants
    f"THEN CAST({_RECORD_JSON} AS BLOB) END FROM records{{where}} ORDER BY seq"
)
# The sightings of each root's document (its own and its duplicates'), by seen_at.
_SIGHTINGS_SQL = (
    "SELECT d.root, CAST(json_object('url', s.url, 'seen_at', s.seen_at, 'id', s.record_id) AS BLOB) "
    "FROM (SELECT id AS record_id, id AS root FROM records WHERE id IN ({marks}) "
    "UNION ALL SELECT id, dup_of FROM records WHERE dup_of IN ({marks})) d "
    "JOIN sightings s ON s.record_id = d.record_id ORDER BY s.seen_at, s.rowid"
)


def _sqlite_where(store: SqliteStore, query: RecordQuery) -> tuple[str, list[object]]:
    # The WHERE clause (and its parameters) of the rows SqliteStore.iter_records(query) gives.
    last = store.conn.execute("SELECT coalesce(max(seq), 0) FROM records").fetchone()[0]
    where, params = where_clause(query)
    where += " AND seq <= ?" if where else " WHERE seq <= ?"
    # The rows are found by seq, from a list of seqs SQLite walks in order: filtered by id
    # (latest_only) or by site, they came in another order and their lines were sorted, 60 MB
    # of them for 20,000 documents (0.17 s).
    if query.distinct:
        # The roots of the matching records, each once (as iter_records: none for a dup_of that
        # names no record).
        where = (
            " WHERE seq IN (SELECT CASE WHEN m.dup_of IS NULL THEN m.seq ELSE root.seq END FROM "  # noqa: S608
            f"(SELECT seq, dup_of FROM records{where}) m LEFT JOIN records root ON root.id = m.dup_of)"
        )
    else:
        where = f" WHERE seq IN (SELECT seq FROM records{where})"  # noqa: S608 - constants
    return where, [*params, last]


def _sqlite_chunks(store: SqliteStore, query: RecordQuery) -> Iterator[tuple[bytes, int]]:
    # The rows SqliteStore.iter_records(query) gives, as JSON lines, SIGHTINGS_BATCH at a time.
    conn = store.conn
    clause, params = _sqlite_where(store, query)
    rows = conn.execute(_LINES_SQL.format(where=clause), params)
    while batch := rows.fetchmany(SIGHTINGS_BATCH):
        if any(line is None for _, line in batch):
            batch = [(record_id, _python_json(store, record_id) if line is None else line) for record_id, line in batch]
        if not query.distinct:
            yield b"".join(line + b"\n" for _, line in batch), len(batch)
            continue
        ids = [record_id for record_id, _ in batch]
        marks = ", ".join("?" * len(ids))
        sightings: dict[str, list[bytes]] = {record_id: [] for record_id in ids}
        for root, sighting in conn.execute(_SIGHTINGS_SQL.format(marks=marks), [*ids, *ids]):
            sightings[root].append(sighting)
        yield b"".join(
            b"%s,\"sightings\":[%s]}\n" % (line[:-1], b",".join(sightings[record_id])) for record_id, line in batch
        ), len(batch)


def _python_json(store: SqliteStore, record_id: str) -> bytes:
    record = store.get(record_id)
    if record is None:  # the connection reads what it just read: not seen
        raise RecordNotFound(f"record {record_id} went away during the export; export again")
    return record.to_json().encode("utf-8")


def export_to_path(
    archive: Archive,
    path: str | os.PathLike[str],
    *,
    site: str | None = None,
    since: date | None = None,
    until: date | None = None,
    date_field: DateField = "crawled",
    distinct: bool = True,
    all_versions: bool = False,
    progress: Progress | None = None,
) -> int:
    """Export to ``path`` (UTF-8) through a temporary file in the same directory.

    The file appears, or is replaced, only when the whole export succeeded; on any error the
    temporary file is removed and an existing file at ``path`` is left as it was.

    Args:
        archive: The archive to read.
        path: The output file.
        site: See ``export_jsonl``.
        since: See ``export_jsonl``.
        until: See ``export_jsonl``.
        date_field: See ``export_jsonl``.
        distinct: See ``export_jsonl``.
        all_versions: See ``export_jsonl``.
        progress: See ``export_jsonl``.

    Returns:
        The number of lines written.

    Raises:
        BadFilter: See ``export_jsonl``.
        ExportError: The directory is missing, not writable, or ``path`` is a directory.
    """
    target = Path(path)
    _select(archive, site, since, until, date_field, distinct, all_versions)
    if target.is_dir():
        raise ExportError(f"cannot write {target}: it is a directory; pass a file path")
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        # os.open with 0o666 lets the umask decide the mode, as for a plainly created file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise _export_error(target, exc) from exc
    try:
        with open(fd, "wb") as fh:  # noqa: PTH123 - an fd
            count = export_binary(
                archive,
                fh,
                site=site,
                since=since,
                until=until,
                date_field=date_field,
                distinct=distinct,
                all_versions=all_versions,
                progress=progress,
            )
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _export_error(target, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


def _export_error(target: Path, exc: OSError) -> ExportError:
    parent = target.parent
    if exc.errno == errno.ENOENT and not parent.is_dir():
        return ExportError(
            f"cannot write {target}: directory {parent} does not exist; create it first"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ExportError(f"cannot write {target}: permission denied; choose a writable path")
    return ExportError(f"cannot write {target} ({exc.strerror or exc}); choose another output path")
