"""The PostgreSQL archive schema as registered migrations, applied in order by ``PostgresStore``.

The same tables as the SQLite schema at its latest version (``archive.migrations``), written for
PostgreSQL: every text column that is compared or sorted is ``COLLATE "C"`` (byte order, as
SQLite's BINARY), so ``PAGE#part-`` ranges and ``ORDER BY url`` mean what they mean on SQLite
whatever the database's locale. The version is kept in ``archive_meta`` (``schema_version``).
A step runs in the migration's transaction, under the archive's write lock.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["PG_MIGRATIONS", "PgMigration"]


class PgMigration(NamedTuple):
    """One schema step: its version (1..n, in order), a name, and its statements."""

    version: int
    name: str
    statements: tuple[str, ...]


_C = 'TEXT COLLATE "C"'

PG_MIGRATIONS: tuple[PgMigration, ...] = (
    PgMigration(
        1,
        "initial schema (as SQLite's migrations 1-7)",
        (
            "CREATE TABLE archive_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            # seq comes from records_seq, taken under the archive's write lock (see
            # PostgresStore.transaction), so seq order is commit order.
            "CREATE SEQUENCE records_seq",
            f"""CREATE TABLE records (
                seq BIGINT NOT NULL UNIQUE,
                id {_C} PRIMARY KEY,
                url {_C} NOT NULL,
                site {_C} NOT NULL,
                title TEXT NOT NULL,
                published_at {_C},
                text TEXT NOT NULL,
                category TEXT,
                source TEXT,
                keywords TEXT NOT NULL,
                truncated INTEGER NOT NULL,
                content_hash {_C} NOT NULL,
                dup_of {_C} REFERENCES records(id),
                crawled_at {_C} NOT NULL,
                collection TEXT,
                extra TEXT NOT NULL
            )""",
            "CREATE INDEX records_url ON records(url, seq)",
            "CREATE INDEX records_content_hash ON records(content_hash, seq)",
            "CREATE INDEX records_site ON records(site)",
            "CREATE INDEX records_dup_of ON records(dup_of)",
            f"""CREATE TABLE sightings (
                id BIGSERIAL PRIMARY KEY,
                record_id {_C} NOT NULL REFERENCES records(id),
                url {_C} NOT NULL,
                seen_at {_C} NOT NULL
            )""",
            "CREATE INDEX sightings_record_id ON sightings(record_id)",
            "CREATE INDEX sightings_url ON sightings(url, id)",
            f"""CREATE TABLE captures (
                id BIGSERIAL PRIMARY KEY,
                url {_C} NOT NULL,
                fetched_at {_C} NOT NULL,
                status INTEGER NOT NULL,
                payload_digest {_C} NOT NULL,
                warc_file {_C} NOT NULL,
                "offset" BIGINT NOT NULL,
                length BIGINT NOT NULL,
                request_offset BIGINT,
                request_length BIGINT,
                etag TEXT,
                last_modified TEXT,
                UNIQUE (url, payload_digest)
            )""",
            "CREATE INDEX captures_warc_file ON captures(warc_file, id)",
            f"""CREATE TABLE record_captures (
                id BIGSERIAL NOT NULL UNIQUE,
                record_id {_C} NOT NULL REFERENCES records(id),
                capture_id BIGINT NOT NULL REFERENCES captures(id),
                seq INTEGER NOT NULL,
                PRIMARY KEY (record_id, capture_id)
            )""",
            """CREATE TABLE minhash (
                seq BIGINT PRIMARY KEY REFERENCES records(seq),
                root BIGINT NOT NULL,
                signature BYTEA NOT NULL
            )""",
            "CREATE TABLE minhash_pending (seq BIGINT PRIMARY KEY)",
            f"""CREATE TABLE runs (
                id BIGSERIAL NOT NULL UNIQUE,
                run_id {_C} PRIMARY KEY,
                spider {_C} NOT NULL,
                started_at {_C} NOT NULL,
                finished_at {_C},
                finish_reason TEXT,
                counts TEXT,
                pid INTEGER,
                host TEXT,
                process_start TEXT
            )""",
            "CREATE INDEX runs_started_at ON runs(started_at)",
            # The search index: the normalised title and text (for the exact substring check)
            # and the set of their character pairs (for the GIN index that finds candidates).
            """CREATE TABLE records_search (
                seq BIGINT PRIMARY KEY REFERENCES records(seq),
                title TEXT NOT NULL,
                body TEXT NOT NULL,
                grams TEXT[] NOT NULL
            )""",
            "CREATE INDEX records_search_grams ON records_search USING gin (grams)",
        ),
    ),
    PgMigration(
        2,
        "search pairs in byte order",
        # The GIN index compares pairs with the column's collation: the database's own, which
        # on a cluster made in a locale other than C is strcoll, not memcmp. Under C.utf8 an add
        # cost 15-25% more server CPU; "C" keeps every locale at the cost of C. The index is
        # rebuilt (ALTER TYPE): minutes on a large archive, once.
        ('ALTER TABLE records_search ALTER COLUMN grams TYPE TEXT[] COLLATE "C"',),
    ),
)
