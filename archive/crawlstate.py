"""What the crawler asks the archive between runs: page state for revisits, and the run log.

SQLite-specific, like the near-duplicate index: these read and write the store's own tables
(``captures``, ``sightings``, ``runs``) through its connection.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping

# Record URLs of a compilation page's parts: PAGE#part-1 … sort between these bounds.
_PART = "#part-"
_PART_END = "#part-\U0010ffff"

#: The counters a run keeps, in the order `python -m archive runs` prints them.
RUN_COUNTS = ("pages", "new", "changed", "duplicate", "unchanged", "skipped", "errors")


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
    """One crawl run: who, when, how it ended and what it did."""

    run_id: str
    spider: str
    started_at: str
    finished_at: str | None
    finish_reason: str | None
    counts: dict[str, Any] = field(default_factory=dict)


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


def start_run(conn: sqlite3.Connection, run_id: str, spider: str, started_at: str) -> None:
    """Log the start of a crawl run."""
    conn.execute(
        "INSERT INTO runs (run_id, spider, started_at) VALUES (?, ?, ?)", (run_id, spider, started_at)
    )


def finish_run(
    conn: sqlite3.Connection, run_id: str, finished_at: str, finish_reason: str, counts: Mapping[str, Any]
) -> None:
    """Log the end of a crawl run with its counters."""
    conn.execute(
        "UPDATE runs SET finished_at = ?, finish_reason = ?, counts = ? WHERE run_id = ?",
        (finished_at, finish_reason, json.dumps(dict(counts), ensure_ascii=False), run_id),
    )


def list_runs(conn: sqlite3.Connection, *, spider: str | None = None, limit: int | None = None) -> list[Run]:
    """Runs, newest first."""
    sql = "SELECT run_id, spider, started_at, finished_at, finish_reason, counts FROM runs"
    args: list[Any] = []
    if spider:
        sql += " WHERE spider = ?"
        args.append(spider)
    sql += " ORDER BY started_at DESC, rowid DESC"
    if limit:
        sql += " LIMIT ?"
        args.append(limit)
    return [
        Run(row[0], row[1], row[2], row[3], row[4], json.loads(row[5] or "{}"))
        for row in conn.execute(sql, args).fetchall()
    ]
