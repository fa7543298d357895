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
    """One schema step; ``apply`` runs inside the migration transaction.

    ``foreign_keys_off``: the step rebuilds a table other tables refer to, which DROP TABLE
    refuses (or cascades) while foreign keys are enforced. SQLite ignores ``PRAGMA foreign_keys``
    inside a transaction, so ``SqliteStore`` switches enforcement off before the migration
    transaction, runs ``PRAGMA foreign_key_check`` before its COMMIT instead, and switches it on
    again after (https://www.sqlite.org/lang_altertable.html#otheralter).
    """

    version: int
    name: str
    apply: Callable[[sqlite3.Connection], None]
    foreign_keys_off: bool = False


#: Registered schema migrations, applied in ``version`` order; ``PRAGMA user_version`` is the last.
MIGRATIONS: list[Migration] = []


def migration(
    version: int,
    *,
    foreign_keys_off: bool = False,
) -> Callable[[Callable[[sqlite3.Connection], None]], Callable[[sqlite3.Connection], None]]:
    """Register ``fn(conn)`` as the migration to schema ``version`` (one more than the last).

    ``foreign_keys_off``: run it with foreign keys not enforced (see ``Migration``).
    """

    def register(
        fn: Callable[[sqlite3.Connection], None],
    ) -> Callable[[sqlite3.Connection], None]:
        if version != len(MIGRATIONS) + 1:
            raise ValueError(
                f"migration {fn.__name__} has version {version}; use {len(MIGRATIONS) + 1}"
            )
        MIGRATIONS.append(Migration(version, fn.__name__, fn, foreign_keys_off))
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


@migration(2)
def m002_near_duplicates(conn: sqlite3.Connection) -> None:
    """The near-duplicate index beside the records, and the lookup of a document's duplicates.

    ``minhash`` holds each indexed record's MinHash signature and the seq of its document's root
    (so a lookup never reads a record's ``dup_of``, stored after its text), ``minhash_bands`` its
    LSH band keys (the only thing a lookup searches), ``minhash_pending`` the records not indexed yet
    (every record, through a trigger, until the index takes it; existing records start there),
    ``archive_meta`` the index parameters. Records are referred to by ``seq``: integer keys keep
    the band table small and give "earliest" without a join.
    """
    statements = [
        "CREATE INDEX records_dup_of ON records(dup_of)",
        """CREATE TABLE archive_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
        """CREATE TABLE minhash (
            seq INTEGER PRIMARY KEY REFERENCES records(seq),
            root INTEGER NOT NULL,
            signature BLOB NOT NULL
        )""",
        """CREATE TABLE minhash_bands (
            band INTEGER NOT NULL,
            key INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (band, key, seq)
        ) WITHOUT ROWID""",
        "CREATE TABLE minhash_pending (seq INTEGER PRIMARY KEY)",
        """CREATE TRIGGER records_minhash_pending AFTER INSERT ON records
        BEGIN
            INSERT INTO minhash_pending (seq) VALUES (NEW.seq);
        END""",
        "INSERT INTO minhash_pending (seq) SELECT seq FROM records",
    ]
    for statement in statements:
        conn.execute(statement)


@migration(3)
def m003_crawl_state(conn: sqlite3.Connection) -> None:
    """What incremental crawls need: each capture's validators, and a log of crawl runs.

    ``captures.etag`` / ``last_modified`` let a revisit send If-None-Match / If-Modified-Since
    without reading the WARC; ``runs`` records every crawl (``python -m archive runs``).
    """
    statements = [
        "ALTER TABLE captures ADD COLUMN etag TEXT",
        "ALTER TABLE captures ADD COLUMN last_modified TEXT",
        """CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            spider TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            finish_reason TEXT,
            counts TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX runs_started_at ON runs(started_at)",
    ]
    for statement in statements:
        conn.execute(statement)


@migration(4)
def m004_band_keys_in_memory(conn: sqlite3.Connection) -> None:
    """Drop ``minhash_bands``: the band keys are computed from the stored signatures on load.

    At a million documents the table took 669 MB and one random page read per band and lookup
    once it no longer fitted the OS cache (p99 3.9 ms, 11.7 ms cold); ``BandTable`` holds the
    buckets in 256 bytes per document instead (``docs/neardup.md``).
    """
    conn.execute("DROP TABLE minhash_bands")


@migration(5)
def m005_run_process(conn: sqlite3.Connection) -> None:
    """Which process ran each crawl, so a run whose process died shows as ``interrupted``.

    ``pid`` and ``host`` name the process; ``process_start`` is an opaque token of when it
    started (Linux: boot id and start tick), so a pid reused by a later process is not taken for
    the run's own. NULL in runs logged before this step: those are left as they are. A column
    already there (a file whose ``user_version`` was set back by hand) is kept.
    """
    present = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    for name, kind in (("pid", "INTEGER"), ("host", "TEXT"), ("process_start", "TEXT")):
        if name not in present:
            conn.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")


@migration(6)
def m006_search(conn: sqlite3.Connection) -> None:
    """The full-text index ``records_search`` (``archive.search``), filled from the stored records.

    It holds the latest version of each URL, as character pairs (``docs/search.md``). Filling it
    takes about 2 ms a record (3 minutes for 100,000), once, in this migration's transaction.
    """
    from archive import search  # the index's layout is defined there, with its queries

    # A table already there (a file whose user_version was set back by hand) is filled again.
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (search.SEARCH_TABLE,)).fetchone()
    if not exists:
        search.create_table(conn)
    count = conn.execute("SELECT count(*) FROM records").fetchone()[0]
    if count:
        logger.warning("building the search index of %d archived records (once; about %d s)", count, 1 + count // 500)
        search.rebuild(conn)


# The records table as migration 7 leaves it (a later step that changes it writes its own).
_RECORDS_BY_ID = """CREATE TABLE records (
    seq INTEGER NOT NULL UNIQUE,
    id TEXT NOT NULL PRIMARY KEY,
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
)"""

_RECORD_COLUMNS = (
    "seq", "id", "url", "site", "title", "published_at", "text", "category", "source", "keywords",
    "truncated", "content_hash", "dup_of", "crawled_at", "collection", "extra",
)  # fmt: skip

_VIEW_NAMES = ("latest_records", "duplicate_groups", "record_versions")

# A URL's latest version is the record of its most recent sighting (SQLite's bare columns of a
# max() aggregate come from the row holding the max), as ``RecordQuery.latest_only`` selects.
# ``seq`` is there for datasette's search (``fts_pk: seq``).
_VIEWS = (
    """CREATE VIEW latest_records AS
    SELECT latest.url AS url, r.id AS id, r.site AS site, r.title AS title,
        r.published_at AS published_at, r.crawled_at AS crawled_at, latest.seen_at AS last_seen_at,
        r.dup_of AS dup_of, r.seq AS seq
    FROM (SELECT url, record_id, seen_at, max(rowid) FROM sightings GROUP BY url) AS latest
    JOIN records AS r ON r.id = latest.record_id
    ORDER BY latest.url""",
    """CREATE VIEW duplicate_groups AS
    SELECT root.id AS root_id, root.url AS url, root.site AS site, root.title AS title,
        root.published_at AS published_at, 1 + count(*) AS copies,
        json_group_array(copy.id) AS duplicate_ids
    FROM (SELECT id, dup_of FROM records WHERE dup_of IS NOT NULL ORDER BY dup_of, seq) AS copy
    JOIN records AS root ON root.id = copy.dup_of
    GROUP BY root.id
    ORDER BY root.seq""",
    """CREATE VIEW record_versions AS
    SELECT r.url AS url, r.id AS id,
        row_number() OVER (PARTITION BY r.url ORDER BY r.seq) AS version,
        count(*) OVER (PARTITION BY r.url) AS versions,
        r.id IS (SELECT s.record_id FROM sightings AS s WHERE s.url = r.url ORDER BY s.rowid DESC LIMIT 1)
            AS is_latest,
        r.crawled_at AS crawled_at, r.content_hash AS content_hash, r.dup_of AS dup_of, r.seq AS seq
    FROM records AS r
    ORDER BY r.url, r.seq""",
)


@migration(7, foreign_keys_off=True)
def m007_records_keyed_by_id(conn: sqlite3.Connection) -> None:
    """Make ``records.id`` the primary key, and add the views ``datasette.yaml`` describes.

    Tools that follow foreign keys to a table's primary key (datasette links ``dup_of`` and
    ``sightings.record_id`` to ``/DB/records/<id>``) found ``seq`` there. ``seq`` stays, with the
    same values and meaning (insertion order; ``minhash``, ``minhash_pending`` and
    ``records_search`` refer to it), as ``NOT NULL UNIQUE``; it is no longer AUTOINCREMENT, so
    ``SqliteStore.insert`` gives each record ``max(seq) + 1`` under the write lock (records are
    never deleted, so no seq is given twice) and sets the row's rowid to its seq: a scan in rowid
    order is still a scan in seq order.

    The table is rebuilt as SQLite prescribes for schema changes ALTER TABLE cannot make
    (https://www.sqlite.org/lang_altertable.html#otheralter): new table, rows copied, old one
    dropped, new one renamed, then its indexes and triggers (``records_minhash_pending``, and
    any index added by hand) created again from their stored SQL. Views are dropped first, as
    the rename checks every view against the schema, and created again after.
    Views: ``latest_records`` (each URL's latest version, as ``RecordQuery.latest_only``),
    ``duplicate_groups`` (each document with copies) and ``record_versions`` (every version of
    each URL, numbered).

    The rebuild took 0.85 s for 10,000 records (a 126 MB file), once. The file grows by the size
    of the records table (the old table's pages become free pages, which later writes reuse;
    ``VACUUM`` gives them back), and the WAL holds the new table until its checkpoint.
    """
    count = conn.execute("SELECT count(*) FROM records").fetchone()[0]
    if count >= 10_000:
        logger.warning("rebuilding the records table of %d records (once; about %d s)", count, 1 + count // 10_000)
    kept = conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'records' AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL ORDER BY type, name"
    ).fetchall()
    views = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'view' AND name NOT IN (?, ?, ?)", _VIEW_NAMES
    ).fetchall()
    for name in (*_VIEW_NAMES, *(name for name, _sql in views)):
        conn.execute(f'DROP VIEW IF EXISTS "{name}"')
    conn.execute(_RECORDS_BY_ID.replace("CREATE TABLE records", "CREATE TABLE records_new", 1))
    columns = ", ".join(_RECORD_COLUMNS)
    conn.execute(
        f"INSERT INTO records_new (rowid, {columns}) SELECT seq, {columns} FROM records ORDER BY seq"  # noqa: S608
    )
    conn.execute("DROP TABLE records")
    conn.execute("ALTER TABLE records_new RENAME TO records")
    for (sql,) in kept:
        conn.execute(sql)
    for sql in _VIEWS:
        conn.execute(sql)
    for _name, sql in views:
        conn.execute(sql)
