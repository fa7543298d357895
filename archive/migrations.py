"""The SQLite archive schema as registered migrations, applied in order by ``SqliteStore``.

Add a step with ``@migration(N)``; each runs in the opening transaction and bumps
``PRAGMA user_version``. Never edit a released step: add a new one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

logger = logging.getLogger(__name__)

__all__ = ["MIGRATIONS", "Migration", "migration"]


@dataclass(frozen=True)
class Migration:
    """One schema step; ``apply`` runs inside the migration transaction."""

    version: int
    name: str
    apply: Callable[[sqlite3.Connection], None]


#: Registered schema migrations, applied in ``version`` order; ``PRAGMA user_version`` is the last.
MIGRATIONS: list[Migration] = []


def migration(
    version: int,
) -> Callable[[Callable[[sqlite3.Connection], None]], Callable[[sqlite3.Connection], None]]:
    """Register ``fn(conn)`` as the migration to schema ``version`` (one more than the last)."""

    def register(
        fn: Callable[[sqlite3.Connection], None],
    ) -> Callable[[sqlite3.Connection], None]:
        if version != len(MIGRATIONS) + 1:
            raise ValueError(
                f"migration {fn.__name__} has version {version}; use {len(MIGRATIONS) + 1}"
            )
        MIGRATIONS.append(Migration(version, fn.__name__, fn))
        return fn

    return register


@migration(1)
def m001_initial(conn: sqlite3.Connection) -> None:
    """Records, sightings, captures and their links."""
    statements = [
        """CREATE TABLE records (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL,
            site TEXT NOT NULL,
            title TEXT NOT NULL,
            published_at TEXT,
            text TEXT NOT NULL,
            category TEXT,
            source TEXT,
            keywords TEXT NOT NULL,
            truncated INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            dup_of TEXT REFERENCES records(id),
            crawled_at TEXT NOT NULL,
            collection TEXT,
            extra TEXT NOT NULL
        )""",
        "CREATE INDEX records_url ON records(url)",
        "CREATE INDEX records_content_hash ON records(content_hash)",
        "CREATE INDEX records_site ON records(site)",
        "CREATE INDEX records_crawled_at ON records(crawled_at)",
        "CREATE INDEX records_published_at ON records(published_at)",
        """CREATE TABLE sightings (
            record_id TEXT NOT NULL REFERENCES records(id),
            url TEXT NOT NULL,
            seen_at TEXT NOT NULL
        )""",
        "CREATE INDEX sightings_record_id ON sightings(record_id)",
        "CREATE INDEX sightings_url ON sightings(url)",
        """CREATE TABLE captures (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            status INTEGER NOT NULL,
            payload_digest TEXT NOT NULL,
            warc_file TEXT NOT NULL,
            "offset" INTEGER NOT NULL,
            length INTEGER NOT NULL,
            request_offset INTEGER,
            request_length INTEGER,
            UNIQUE (url, payload_digest)
        )""",
        """CREATE TABLE record_captures (
            record_id TEXT NOT NULL REFERENCES records(id),
            capture_id INTEGER NOT NULL REFERENCES captures(id),
            seq INTEGER NOT NULL,
            PRIMARY KEY (record_id, capture_id)
        )""",
    ]
    for statement in statements:
        conn.execute(statement)
