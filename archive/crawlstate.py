"""What the crawler asks the archive between runs: page state for revisits, and the run log.

Each store calls these through its own methods (``page_state``, ``start_run``, ``runs``, ...):
the statements are portable SQL over the stores' ``captures``, ``sightings`` and ``runs`` tables,
and ``PostgresStore`` runs them through a connection that takes SQLite's placeholders.

The run log is honest about runs that never finished: each run records the process id and host
that started it, and a run whose process is gone (killed outright, out of memory, power cut) is
listed, and written back, as ``interrupted``.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveFull, ArchiveLocked, ArchiveReadOnly, archive_error_from

if TYPE_CHECKING:
    from collections.abc import Mapping

logger = logging.getLogger(__name__)

# Record URLs of a compilation page's parts: PAGE#part-1 … sort between these bounds.
_PART = "#part-"
_PART_END = "#part-\U0010ffff"

#: The counters a run keeps, in the order `python -m archive runs` prints them.
RUN_COUNTS = ("pages", "new", "changed", "duplicate", "unchanged", "skipped", "errors")

#: The finish reason of a run whose process ended without logging its end.
INTERRUPTED = "interrupted"

# Failures that only stop the log from being corrected; the listing itself still works.
_CANNOT_WRITE = (ArchiveReadOnly, ArchiveLocked, ArchiveFull)
_CORRECTION_WAIT_MS = 2000


@dataclass(frozen=True)
class PageState:
    """What the archive knows of one fetched page.

    Attributes:
        url: The page URL.
        last_seen: When a record of it was last stored or confirmed unchanged (UTC ISO).
        etag: The ETag of its latest capture, if the server sent one.
        last_modified: The Last-Modified of its latest capture, if any.
    """

    url: str
    last_seen: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Run:
    """One crawl run: who, when, how it ended and what it did.

    Attributes:
        finished_at: None while running, and for an ``interrupted`` run (its end is not known).
        finish_reason: None while running; ``interrupted`` when its process is gone.
        pid: The process that started it (None in runs logged before pids were).
        host: The host name of that process.
    """

    run_id: str
    spider: str
    started_at: str
    finished_at: str | None
    finish_reason: str | None
    counts: dict[str, Any] = field(default_factory=dict)
    pid: int | None = None
    host: str | None = None


def record_urls(conn: sqlite3.Connection, url: str) -> list[str]:
    """The record URLs a page has: itself, or its compilation parts (PAGE#part-N)."""
    page = url.split("#", 1)[0]
    rows = conn.execute(
        "SELECT DISTINCT url FROM records WHERE url = ? OR (url >= ? AND url < ?)",
        (page, page + _PART, page + _PART_END),
    ).fetchall()
    return [row[0] for row in rows]


def page_state(conn: sqlite3.Connection, url: str) -> PageState | None:
    """The state of a page the archive holds records of, or None."""
    page = url.split("#", 1)[0]
    seen = conn.execute(
        "SELECT max(seen_at) FROM sightings WHERE url = ? OR (url >= ? AND url < ?)",
        (page, page + _PART, page + _PART_END),
    ).fetchone()[0]
    if seen is None:
        return None
    validators = conn.execute(
        "SELECT etag, last_modified FROM captures WHERE url = ? ORDER BY fetched_at DESC, id DESC LIMIT 1",
        (page,),
    ).fetchone()
    etag, modified = validators if validators else (None, None)
    return PageState(page, seen, etag, modified)


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first value of a header, by case-insensitive name."""
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


def new_run_id() -> str:
    """A short random run id."""
    return secrets.token_hex(6)


def start_run(
    conn: sqlite3.Connection,
    run_id: str,
    spider: str,
    started_at: str,
    *,
    pid: int | None = None,
    host: str | None = None,
) -> None:
    """Log the start of a crawl run by process ``pid`` on ``host`` (default: this process)."""
    if pid is None:
        pid = os.getpid()
    if host is None:
        host = socket.gethostname()
    token = _process_start(pid) if host == socket.gethostname() else None
    conn.execute(
        "INSERT INTO runs (run_id, spider, started_at, pid, host, process_start) VALUES (?, ?, ?, ?, ?, ?)",
        (run_id, spider, started_at, pid, host, token),
    )


def update_run(conn: sqlite3.Connection, run_id: str, counts: Mapping[str, Any]) -> bool:
    """Store the counters of a run still in progress, so ``runs`` shows a live run.

    Returns:
        True; False for a run id the log does not hold, or one already finished (a late update
        must not overwrite the final counts).
    """
    cursor = conn.execute(
        "UPDATE runs SET counts = ? WHERE run_id = ? AND finished_at IS NULL",
        (json.dumps(dict(counts), ensure_ascii=False), run_id),
    )
    return cursor.rowcount > 0


def finish_run(
    conn: sqlite3.Connection,
    run_id: str,
    finished_at: str,
    finish_reason: str,
    counts: Mapping[str, Any] | None,
) -> bool:
    """Log the end of a crawl run with its counters (None: keep the ones stored).

    Returns:
        True; False for a run id the log does not hold, which changes nothing (and logs a
        warning): a run is only created by ``start_run`` or ``mark_run_finished``.
    """
    if counts is None:
        cursor = conn.execute(
            "UPDATE runs SET finished_at = ?, finish_reason = ? WHERE run_id = ?",
            (finished_at, finish_reason, run_id),
        )
    else:
        cursor = conn.execute(
            "UPDATE runs SET finished_at = ?, finish_reason = ?, counts = ? WHERE run_id = ?",
            (finished_at, finish_reason, json.dumps(dict(counts), ensure_ascii=False), run_id),
        )
    if cursor.rowcount == 0:
        logger.warning("no crawl run %s in the archive: its end (%s) is not logged", run_id, finish_reason)
        return False
    return True


def mark_run_finished(
    archive: str | os.PathLike[str],
    run_id: str,
    finish_reason: str,
    *,
    spider: str | None = None,
    counts: Mapping[str, Any] | None = None,
    finished_at: str | None = None,
    busy_timeout: float = 30.0,
) -> bool:
    """Log the end of a crawl run without an open ``Archive``, e.g. one whose spider never opened.

    For a crawl that stopped before (or while) its spider opened, with a reason such as
    ``archive_read_only`` or ``failed_to_start``. Opens the archive for this one write and
    closes it again. A run ``start_run`` logged gets its end (and ``counts``, when given); an
    unknown ``run_id`` with ``spider`` given is logged as a run that ended as it started
    (``started_at`` = ``finished_at``), by this process.

    Args:
        archive: The archive URI (``sqlite:///data/archive.db``) or path; it must exist.
        run_id: The run, e.g. from ``new_run_id()`` when it was never started.
        finish_reason: How it ended.
        spider: The spider's name, needed to log a run that was never started.
        counts: The run's counters (None: keep the stored ones, or none).
        finished_at: UTC ISO time (default: now).
        busy_timeout: Seconds to wait for a crawl holding the write lock.

    Returns:
        True when the end was logged; False for an unknown ``run_id`` without ``spider``.

    Raises:
        ArchiveError: The archive cannot be written: ``ArchiveNotFound``, ``ArchiveReadOnly``,
            ``ArchiveFull``, ``ArchiveLocked``, ``CorruptArchive`` ... (nothing is logged then).
    """
    # Imported here: archive.sqlite and archive.store import this module.
    from archive.sqlite import SqliteStore
    from archive.store import STORE_SCHEMES, ArchiveStore, parse_uri

    when = finished_at or _utc_now()
    scheme, location = parse_uri(os.fspath(archive))
    store: ArchiveStore
    if scheme == "sqlite":
        store = SqliteStore(location, create=False, read_only=False, busy_timeout=busy_timeout)
    else:
        store = STORE_SCHEMES[scheme](location, create=False)
    try:
        with store.transaction():
            if store.finish_run(run_id, when, finish_reason, counts):
                return True
            if spider is None:
                return False
            store.start_run(run_id, spider, when)
            return store.finish_run(run_id, when, finish_reason, counts or {})
    finally:
        store.close()


def mark_interrupted_runs(conn: sqlite3.Connection) -> list[str]:
    """Find the unfinished runs of this host whose process is gone, and log them ``interrupted``.

    A run is gone when no process has its pid (``os.kill(pid, 0)`` raises ProcessLookupError),
    the process is a zombie, or the pid now belongs to a process started later. Runs of other
    hosts, and runs logged without a pid, are left as they are. When the archive cannot be
    written (read-only, locked, full) nothing is written, and the ids are still returned.

    Returns:
        The ids of the interrupted runs found.
    """
    rows = conn.execute(
        "SELECT run_id, pid, process_start FROM runs "
        "WHERE finished_at IS NULL AND finish_reason IS NULL AND pid IS NOT NULL AND host = ?",
        (socket.gethostname(),),
    ).fetchall()
    gone = [run_id for run_id, pid, token in rows if not _process_alive(pid, token)]
    if not gone:
        return gone
    marks = ", ".join("?" for _ in gone)
    # A listing must not wait the store's full busy timeout for a crawl's write lock just to
    # correct the log: the next listing will.
    waits = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute(f"PRAGMA busy_timeout = {min(waits, _CORRECTION_WAIT_MS):d}")
    try:
        conn.execute(
            f"UPDATE runs SET finish_reason = ? WHERE finished_at IS NULL AND finish_reason IS NULL "  # noqa: S608
            f"AND run_id IN ({marks})",
            [INTERRUPTED, *gone],
        )
    except sqlite3.Error as exc:  # a plain connection, not the store's
        error = archive_error_from(exc, _db_path(conn))
        if not isinstance(error, _CANNOT_WRITE):
            raise error from exc
        logger.info("runs %s are interrupted, but the log cannot be corrected: %s", ", ".join(gone), error)
    except _CANNOT_WRITE as exc:
        logger.info("runs %s are interrupted, but the log cannot be corrected: %s", ", ".join(gone), exc)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(waits):d}")
    return gone


def list_runs(conn: sqlite3.Connection, *, spider: str | None = None, limit: int | None = None) -> list[Run]:
    """Runs, newest first; a run whose process is gone is ``interrupted`` (see ``mark_interrupted_runs``)."""
    return select_runs(conn, set(mark_interrupted_runs(conn)), spider=spider, limit=limit)


def select_runs(
    conn: Any, gone: set[str], *, spider: str | None = None, limit: int | None = None, tiebreak: str = "rowid"
) -> list[Run]:
    """The runs of the log on ``conn`` (any store's: ``?`` placeholders), newest first; ``gone`` are ``interrupted``.

    ``tiebreak``: the column that orders runs started in the same second (SQLite's rowid,
    PostgreSQL's id).
    """
    sql = "SELECT run_id, spider, started_at, finished_at, finish_reason, counts, pid, host FROM runs"
    args: list[Any] = []
    if spider:
        sql += " WHERE spider = ?"
        args.append(spider)
    sql += f" ORDER BY started_at DESC, {tiebreak} DESC"
    if limit:
        sql += " LIMIT ?"
        args.append(limit)
    return [
        Run(row[0], row[1], row[2], row[3], INTERRUPTED if row[0] in gone else row[4],
            json.loads(row[5] or "{}"), row[6], row[7])
        for row in conn.execute(sql, args).fetchall()
    ]


def process_gone(pid: int, token: str | None) -> bool:
    """Whether the process ``pid`` of this host (started at ``token``) that logged a run is gone."""
    return not _process_alive(pid, token)


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _db_path(conn: sqlite3.Connection) -> str:
    path = getattr(conn, "archive_path", None)
    if path is not None:
        return str(path)
    try:
        return str(conn.execute("PRAGMA database_list").fetchone()[2] or ":memory:")
    except sqlite3.Error:
        return ":memory:"


def _process_alive(pid: int, token: str | None) -> bool:
    if pid <= 0:
        return True  # not a pid os.kill can probe (0 and negatives are process groups)
    if pid != os.getpid():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # it exists, under another user
        except OSError:
            return True  # cannot tell: leave the run as it is
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc: the pid alone decides
    state, start = stat
    if state == "Z":
        return False  # killed, not yet reaped by its parent
    return token is None or token == start


def _process_start(pid: int) -> str | None:
    stat = _proc_stat(pid)
    return stat[1] if stat is not None else None


def _proc_stat(pid: int) -> tuple[str, str] | None:
    # (state, "<boot id>:<start tick>") from Linux's /proc; None elsewhere or when unreadable.
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    fields = raw[raw.rfind(")") + 2 :].split()
    if len(fields) < 20:
        return None
    return fields[0], f"{boot}:{fields[19]}"
