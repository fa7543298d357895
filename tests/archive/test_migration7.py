"""Migration 7: ``records`` keyed by ``id`` (``seq`` kept), and the views datasette shows.

An archive of schema 6 is made with the library as it was before the step (its migrations,
and its insert, which let AUTOINCREMENT pick ``seq``), then opened with the current code: every
row, index, trigger and seq must survive, and the archive must go on working.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING, Any

import pytest

from archive import Archive, Capture, CorruptArchive, open_archive
from archive import sqlite as archive_sqlite
from archive.migrations import MIGRATIONS
from archive.sqlite import SqliteStore
from tests.archive import texts
from tests.archive.conftest import make_doc
from tests.archive.texts import DISCIPLINE, RURAL, SAFETY

if TYPE_CHECKING:
    from pathlib import Path

    from archive.records import Record

BEFORE = 6  # the schema version this step migrates from
STEP = next(m for m in MIGRATIONS if m.name == "m007_records_keyed_by_id")

BAINA = "https://www.baina.example/fanwen/{}.html"
JUYOU = "https://www.juyou.example/gongwen/{}.html"
HUIWEN = "https://www.huiwen.example/wen/{}.html"

# Every table the step must leave as it was, with the order that makes a dump comparable
# (rowids included where code reads them: sightings and record_captures are read in rowid order).
TABLES = {
    "records": "SELECT rowid, * FROM records ORDER BY seq",
    "sightings": "SELECT rowid, * FROM sightings ORDER BY rowid",
    "captures": "SELECT * FROM captures ORDER BY id",
    "record_captures": "SELECT rowid, * FROM record_captures ORDER BY rowid",
    "minhash": "SELECT * FROM minhash ORDER BY seq",
    "minhash_pending": "SELECT * FROM minhash_pending ORDER BY seq",
    "archive_meta": "SELECT * FROM archive_meta ORDER BY key",
    "runs": "SELECT * FROM runs ORDER BY run_id",
    "records_search": "SELECT rowid FROM records_search ORDER BY rowid",
}
WORDS = ("安全生产", "乡村振兴", "作风建设", "同志们", "茶叶")


def _insert_before_step(self: SqliteStore, record: Record) -> None:
    # SqliteStore.insert as it was before migration 7: AUTOINCREMENT gave the seq.
    values = record.to_dict()
    values["keywords"] = json.dumps(record.keywords, ensure_ascii=False)
    values["extra"] = json.dumps(record.extra, ensure_ascii=False, sort_keys=True)
    values["truncated"] = int(record.truncated)
    names = list(values)
    self.conn.execute(
        f"INSERT INTO records ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",  # noqa: S608
        [values[name] for name in names],
    )


def _capture(url: str, page: str, fetched_at: str = "2024-03-01T08:00:00Z") -> Capture:
    body = gzip.compress(page.encode(), mtime=0)
    return Capture(
        url=url,
        status=200,
        headers=[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Encoding", "gzip"),
            ("Content-Length", str(len(body))),
            ("ETag", '"v1"'),
        ],
        body=body,
        fetched_at=fetched_at,
    )


def _doc(url: str, text: str, **overrides: Any) -> dict[str, Any]:
    site = url.split(".")[1]
    return make_doc(url, site=site, title=overrides.pop("title", text.split("\n")[1][:12]), text=text, **overrides)


def _fill(archive: Archive) -> None:
    """Records of every kind: new, exact and near duplicates, versions, a revert, an alias, a re-rooting."""
    run = archive.start_run("baina", started_at="2024-03-01T07:59:00Z")
    safety = archive.add(_doc(BAINA.format(1), SAFETY, published_at="2023-05-01"), [_capture(BAINA.format(1), SAFETY)])
    archive.add(_doc(JUYOU.format(7), texts.fill_masks(SAFETY), published_at="2023-06-01"))  # near
    archive.add(_doc(HUIWEN.format(3), SAFETY, published_at="2023-07-01"))  # exact
    archive.add(_doc(BAINA.format(2), RURAL, published_at=None))
    changed = texts.edit_sentences(RURAL, 0.3, seed=4)
    archive.add(_doc(BAINA.format(2), changed, crawled_at="2024-04-01T08:00:00Z"))  # a new version
    archive.add(_doc(BAINA.format(2), RURAL, crawled_at="2024-05-01T08:00:00Z"))  # back to the first
    archive.add(_doc(BAINA.format(1).replace("fanwen", "FANWEN"), SAFETY, published_at="2023-05-01"))  # alias
    # Dated before the root: becomes the document's root, the others are re-pointed to it.
    earlier = archive.add(_doc(JUYOU.format(9), texts.with_boilerplate(SAFETY), published_at="2022-01-01"))
    assert earlier.previous_root == safety.record.id
    archive.add(_doc(HUIWEN.format(5), DISCIPLINE), [_capture(HUIWEN.format(5), DISCIPLINE)])
    archive.finish_run(run, "finished", {"records": 7})


def _make_schema_6(path: Path, fill: Any = _fill) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(archive_sqlite, "MIGRATIONS", MIGRATIONS[:BEFORE])
        patch.setattr(SqliteStore, "insert", _insert_before_step)
        with open_archive(path) as archive:
            assert archive.store.schema_version == BEFORE  # type: ignore[attr-defined]
            fill(archive)


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with closing(sqlite3.connect(path)) as conn:
        return {table: conn.execute(sql).fetchall() for table, sql in TABLES.items()}


def _schema(path: Path, kind: str, table: str = "records") -> dict[str, str]:
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = ? AND tbl_name = ? AND sql IS NOT NULL", (kind, table)
        )
        return dict(rows.fetchall())


def _searches(archive: Archive) -> dict[str, list[str]]:
    return {word: [hit.id for hit in archive.search(word, limit=0, distinct=False)] for word in WORDS}


@pytest.fixture
def old_path(db_path: Path) -> Path:
    _make_schema_6(db_path)
    return db_path


def test_the_schema_6_file_is_what_the_old_code_made(old_path: Path) -> None:
    with closing(sqlite3.connect(old_path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == BEFORE
        assert "AUTOINCREMENT" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'records'").fetchone()[0]
        assert conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'").fetchone()[0] == 7
    dump = _dump(old_path)
    assert len(dump["records"]) == 7 and len(dump["sightings"]) == 9
    assert len(dump["captures"]) == 2 and len(dump["minhash"]) > 0


def test_every_row_seq_index_and_trigger_survives(old_path: Path) -> None:
    before = _dump(old_path)
    indexes, triggers = _schema(old_path, "index"), _schema(old_path, "trigger")
    with open_archive(old_path) as archive:
        assert archive.store.schema_version == len(MIGRATIONS)  # type: ignore[attr-defined]
    assert _dump(old_path) == before  # records' rowid was seq, and still is
    assert _schema(old_path, "index") == indexes
    assert _schema(old_path, "trigger") == triggers == {
        "records_minhash_pending": triggers["records_minhash_pending"]
    }
    assert set(indexes) == {
        "records_url", "records_content_hash", "records_site", "records_crawled_at", "records_published_at",
        "records_dup_of",
    }  # fmt: skip


def test_id_is_the_primary_key_and_the_foreign_keys_point_at_it(old_path: Path) -> None:
    with open_archive(old_path) as archive:
        conn = archive.store.conn  # type: ignore[attr-defined]
        columns = {row[1]: row for row in conn.execute("PRAGMA table_info(records)")}
        assert [name for name, row in columns.items() if row[5]] == ["id"]
        assert columns["seq"][3] == columns["id"][3] == 1  # NOT NULL
        unique = [row for row in conn.execute("PRAGMA index_list(records)") if row[2]]
        unique_columns = {conn.execute(f"PRAGMA index_info({row[1]})").fetchone()[2] for row in unique}
        assert unique_columns == {"id", "seq"}
        assert "AUTOINCREMENT" not in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'records'").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM sqlite_sequence WHERE name = 'records'").fetchone()[0] == 0
        references = {
            (table, row[3], row[2], row[4])
            for table in ("records", "sightings", "record_captures", "minhash")
            for row in conn.execute(f"PRAGMA foreign_key_list({table})")
        }
        assert references >= {
            ("records", "dup_of", "records", "id"),
            ("sightings", "record_id", "records", "id"),
            ("record_captures", "record_id", "records", "id"),
            ("minhash", "seq", "records", "seq"),
        }
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # on again after the step
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            conn.execute("INSERT INTO sightings (record_id, url, seen_at) VALUES ('nope', 'u', 't')")


def test_the_archive_reads_the_same_after_the_step(old_path: Path) -> None:
    def reading(archive: Archive) -> dict[str, Any]:
        records = list(archive.iter_records())
        return {
            "records": records,
            "latest": [r.id for r in archive.iter_records(latest_only=True)],
            "distinct": [r.id for r in archive.iter_records(distinct=True)],
            "versions": archive.versions(BAINA.format(2)),
            "duplicates": {r.id: archive.duplicates(r.id) for r in records},
            "captures": {r.id: archive.captures(r.id) for r in records},
            "search": _searches(archive),
            "stats": archive.stats(),
        }

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(archive_sqlite, "MIGRATIONS", MIGRATIONS[:BEFORE])
        with open_archive(old_path) as archive:
            before = reading(archive)
    with open_archive(old_path) as archive:
        assert reading(archive) == before
    assert before["search"]["安全生产"] and before["captures"] and any(before["duplicates"].values())


def test_records_added_after_the_step_continue_the_seq(old_path: Path) -> None:
    last = max(row[0] for row in _dump(old_path)["records"])
    with open_archive(old_path) as archive:
        near = archive.add(_doc(HUIWEN.format(8), texts.drop_paragraph(SAFETY, 2)))
        tea = "同志们：\n今天我们召开茶叶产业发展推进会，研究部署全县茶叶产业高质量发展。"
        fresh = archive.add(_doc(JUYOU.format(11), tea))
        conn = archive.store.conn  # type: ignore[attr-defined]
        rows = conn.execute("SELECT rowid, seq, id FROM records WHERE seq > ? ORDER BY seq", (last,)).fetchall()
        assert rows == [(last + 1, last + 1, near.record.id), (last + 2, last + 2, fresh.record.id)]
        # The trigger queued them for the near-duplicate index, which took them.
        assert conn.execute("SELECT count(*) FROM minhash_pending").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM minhash WHERE seq > ?", (last,)).fetchone()[0] == 2
        assert (near.status, near.match) == ("duplicate", "near")
        assert near.record.dup_of == archive.get(near.record.dup_of or "").id
        assert [h.id for h in archive.search("茶叶产业")] == [fresh.record.id]
    with open_archive(old_path) as again:  # a second open does not migrate again
        assert again.store.schema_version == len(MIGRATIONS)  # type: ignore[attr-defined]
        assert again.add(_doc(JUYOU.format(12), RURAL + "\n补充一段。")).record.id in {
            r.id for r in again.iter_records()
        }


def test_seq_gaps_are_kept_and_the_next_seq_follows_the_highest(db_path: Path) -> None:
    def gapped(archive: Archive) -> None:
        archive.add(_doc(BAINA.format(1), SAFETY))
        conn = archive.store.conn  # type: ignore[attr-defined]
        conn.execute("UPDATE sqlite_sequence SET seq = 40 WHERE name = 'records'")  # as after lost rows
        archive.add(_doc(BAINA.format(2), RURAL))

    _make_schema_6(db_path, gapped)
    with open_archive(db_path) as archive:
        conn = archive.store.conn  # type: ignore[attr-defined]
        assert conn.execute("SELECT seq FROM records ORDER BY seq").fetchall() == [(1,), (41,)]
        third = archive.add(_doc(HUIWEN.format(1), DISCIPLINE)).record
        assert conn.execute("SELECT rowid, seq FROM records WHERE id = ?", (third.id,)).fetchone() == (42, 42)


def test_views_and_indexes_made_by_hand_survive(db_path: Path) -> None:
    _make_schema_6(db_path)
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("CREATE VIEW my_titles AS SELECT id, title FROM records WHERE site = 'baina'")
        conn.execute("CREATE INDEX my_records_source ON records(source)")
        conn.commit()
        titles = conn.execute("SELECT * FROM my_titles ORDER BY id").fetchall()
    with open_archive(db_path):
        pass
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("SELECT * FROM my_titles ORDER BY id").fetchall() == titles
        assert "my_records_source" in _schema(db_path, "index")


def test_rows_pointing_nowhere_stop_the_step_and_leave_the_file_as_it_was(old_path: Path) -> None:
    with closing(sqlite3.connect(old_path)) as conn:  # foreign keys are off in a plain connection
        conn.execute("INSERT INTO sightings (record_id, url, seen_at) VALUES ('0000000000000000', 'u', 't')")
        conn.commit()
    before = _dump(old_path)
    with pytest.raises(CorruptArchive, match=r"sightings row 10 -> records.*not migrated to schema version") as info:
        open_archive(old_path)
    assert "PRAGMA foreign_key_check" in str(info.value)
    assert _dump(old_path) == before
    with closing(sqlite3.connect(old_path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == BEFORE
        assert "AUTOINCREMENT" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'records'").fetchone()[0]


def test_a_file_set_back_to_schema_6_by_hand_migrates_again(old_path: Path) -> None:
    with open_archive(old_path):
        pass
    before = _dump(old_path)
    with closing(sqlite3.connect(old_path)) as conn:
        conn.execute(f"PRAGMA user_version = {BEFORE}")
        conn.commit()
    with open_archive(old_path) as archive:
        assert archive.store.schema_version == len(MIGRATIONS)  # type: ignore[attr-defined]
    assert _dump(old_path) == before
    assert set(_schema(old_path, "view", "latest_records")) == {"latest_records"}


def test_the_step_is_flagged_to_run_with_foreign_keys_off() -> None:
    assert STEP.foreign_keys_off
    assert not any(m.foreign_keys_off for m in MIGRATIONS if m.version < STEP.version)


# -- the views -----------------------------------------------------------------------------


def _rows(archive: Archive, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    cursor = archive.store.conn.execute(sql, params)  # type: ignore[attr-defined]
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_latest_records_is_the_latest_version_of_each_url(old_path: Path) -> None:
    with open_archive(old_path) as archive:
        rows = _rows(archive, "SELECT * FROM latest_records")
        urls = sorted({url for (url,) in archive.store.conn.execute("SELECT url FROM sightings")})  # type: ignore[attr-defined]
        assert [row["url"] for row in rows] == urls  # one row per URL, in URL order
        for row in rows:
            record = archive.latest(row["url"])
            assert record is not None
            assert row == {
                "url": row["url"], "id": record.id, "site": record.site, "title": record.title,
                "published_at": record.published_at, "crawled_at": record.crawled_at,
                "last_seen_at": archive.store.sightings(record.id)[-1][1]  # type: ignore[attr-defined]
                if row["url"] == record.url else row["last_seen_at"],
                "dup_of": record.dup_of, "seq": row["seq"],
            }  # fmt: skip
        assert {row["id"] for row in rows} == {r.id for r in archive.iter_records(latest_only=True)}
        # The page that went back to its first text shows that text's record, not the newer one.
        (page2,) = (row for row in rows if row["url"] == BAINA.format(2))
        assert page2["id"] == archive.versions(BAINA.format(2))[0].id


def test_duplicate_groups_lists_each_document_with_its_copies(old_path: Path) -> None:
    with open_archive(old_path) as archive:
        rows = _rows(archive, "SELECT * FROM duplicate_groups")
        roots = [r for r in archive.iter_records() if archive.duplicates(r.id)]
        assert [row["root_id"] for row in rows] == [r.id for r in roots]
        for row, root in zip(rows, roots, strict=True):
            copies = [r.id for r in archive.duplicates(root.id)]
            assert json.loads(row["duplicate_ids"]) == copies
            assert row["copies"] == 1 + len(copies)
            assert (row["url"], row["site"], row["title"], row["published_at"]) == (
                root.url, root.site, root.title, root.published_at,
            )  # fmt: skip
        assert rows[0]["url"] == JUYOU.format(9) and rows[0]["copies"] == 4  # the re-rooted document


def test_record_versions_numbers_every_version_of_each_url(old_path: Path) -> None:
    with open_archive(old_path) as archive:
        rows = _rows(archive, "SELECT * FROM record_versions")
        assert len(rows) == len(list(archive.iter_records()))
        for row in rows:
            versions = archive.versions(row["url"])
            latest = archive.latest(row["url"])
            assert row["id"] == versions[row["version"] - 1].id
            assert row["versions"] == len(versions)
            assert row["is_latest"] == int(latest is not None and latest.id == row["id"])
        page2 = [(row["version"], row["is_latest"]) for row in rows if row["url"] == BAINA.format(2)]
        assert page2 == [(1, 1), (2, 0)]
        # Filtering on the URL is pushed into the view: one URL's versions, not a pass over all.
        plan = " ".join(
            row[-1] for row in archive.store.conn.execute(  # type: ignore[attr-defined]
                "EXPLAIN QUERY PLAN SELECT * FROM record_versions WHERE url = ?", (BAINA.format(2),)
            )
        )
        assert "SEARCH r USING INDEX records_url" in plan, plan


def test_two_stores_opening_the_old_file_at_once_migrate_it_once(
    old_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The second read version 6 and switched foreign keys off, then the first migrated before
    # the second took the write lock: nothing is left to do, and enforcement is back on.
    real_migrate = SqliteStore._migrate
    other: list[SqliteStore] = []

    def migrate_after_another(self: SqliteStore, version: int) -> None:
        if not other:
            monkeypatch.setattr(SqliteStore, "_migrate", real_migrate)
            other.append(SqliteStore(old_path))
        real_migrate(self, version)

    before = _dump(old_path)
    monkeypatch.setattr(SqliteStore, "_migrate", migrate_after_another)
    store = SqliteStore(old_path)
    try:
        assert store.schema_version == len(MIGRATIONS) == other[0].schema_version
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert other[0].conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        store.close()
        other[0].close()
    assert _dump(old_path) == before
