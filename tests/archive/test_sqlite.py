"""Tests of archive.sqlite and archive.store: opening, migrations, foreign files, URIs."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest

from archive import (
    ArchiveNotFound,
    CorruptArchive,
    InvalidURI,
    SchemaError,
    UnknownScheme,
    open_archive,
)
from archive.migrations import MIGRATIONS
from archive.sqlite import SqliteStore
from archive.store import parse_uri

if TYPE_CHECKING:
    from pathlib import Path


def test_new_archive_has_schema_wal_and_foreign_keys(db_path: Path) -> None:
    store = SqliteStore(db_path)
    try:
        assert db_path.is_file()
        assert store.schema_version == len(MIGRATIONS) >= 1
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        tables = {
            r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        assert {"records", "sightings", "captures", "record_captures"} <= tables
    finally:
        store.close()


def test_reopening_keeps_data_and_does_not_migrate_again(db_path: Path, doc) -> None:
    with open_archive(str(db_path)) as archive:
        first = archive.add(doc()).record
    with open_archive(str(db_path), create=False) as archive:
        assert archive.get(first.id) == first
        assert archive.store.schema_version == len(MIGRATIONS)  # type: ignore[attr-defined]


def test_create_false_on_missing_file_raises_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "archive.db"
    with pytest.raises(
        ArchiveNotFound, match=r"no archive at .*; run a crawl first or pass --archive URI"
    ):
        open_archive(f"sqlite:///{path}", create=False)
    assert not path.parent.exists()


def test_non_sqlite_file_is_corrupt_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    content = b"this is a JSON lines file, not SQLite\n" * 20
    path.write_bytes(content)
    with pytest.raises(CorruptArchive, match="not a SQLite archive"):
        open_archive(str(path))
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive.db"]


def test_newer_schema_version_is_refused_and_left_untouched(db_path: Path) -> None:
    SqliteStore(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(SchemaError, match="upgrade"):
        open_archive(str(db_path))
    assert db_path.read_bytes() == before


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaError, match="not an archive"):
        open_archive(str(path))
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]
    conn.close()


def test_directory_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CorruptArchive, match="directory"):
        open_archive(str(tmp_path))


@pytest.mark.sqlite_only
def test_failed_transaction_rolls_back_everything(archive, doc) -> None:
    store = archive.store

    def add_then_fail() -> None:
        with store.transaction():
            archive.add(doc())  # joins the outer transaction
            raise RuntimeError

    with pytest.raises(RuntimeError):
        add_then_fail()
    assert not store.conn.in_transaction
    assert store.conn.execute("SELECT count(*) FROM records").fetchone()[0] == 0
    assert store.conn.execute("SELECT count(*) FROM sightings").fetchone()[0] == 0
    assert archive.add(doc()).status == "new"


def test_rollback_callbacks_run_only_when_the_transaction_rolls_back(archive, doc) -> None:
    store = archive.store
    undone: list[int] = []
    with pytest.raises(RuntimeError, match=r"inside store\.transaction"):
        store.on_rollback(lambda: undone.append(0))
    assert store.transaction_id is None
    with store.transaction():
        first = store.transaction_id
        store.on_rollback(lambda: undone.append(1))
    with pytest.raises(ValueError), store.transaction():  # noqa: PT012 - the block is the test
        assert store.transaction_id not in (None, first)
        store.on_rollback(lambda: undone.append(2))
        store.on_rollback(lambda: undone.append(3))
        raise ValueError
    assert undone == [3, 2]  # the committed one never runs; the others newest first
    with store.transaction():
        pass
    assert undone == [3, 2]  # and they do not leak into the next transaction


def test_foreign_keys_are_enforced(db_path: Path) -> None:
    store = SqliteStore(db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError), store.transaction():
            store.add_sighting("no-such-record", "https://e.com/", "2024-01-01T00:00:00Z")
    finally:
        store.close()


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("sqlite:///data/archive.db", ("sqlite", "data/archive.db")),
        ("sqlite:////srv/archive.db", ("sqlite", "/srv/archive.db")),
        ("data/archive.db", ("sqlite", "data/archive.db")),
        ("/srv/archive.db", ("sqlite", "/srv/archive.db")),
        ("C:\\data\\archive.db", ("sqlite", "C:\\data\\archive.db")),
    ],
)
def test_parse_uri(uri: str, expected: tuple[str, str]) -> None:
    assert parse_uri(uri) == expected


def test_unknown_scheme_names_the_known_ones() -> None:
    with pytest.raises(UnknownScheme) as info:
        open_archive("mysql:///archive")
    assert str(info.value) == "unknown archive scheme 'mysql'; expected one of postgres, postgresql, sqlite"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("uri", ["sqlite://data/archive.db", "sqlite:data.db", "sqlite:///", ""])
def test_malformed_uri(uri: str) -> None:
    with pytest.raises(InvalidURI):
        parse_uri(uri)


def test_relative_uri_resolves_against_cwd_and_creates_parents(
    tmp_path: Path, monkeypatch, doc
) -> None:
    monkeypatch.chdir(tmp_path)
    with open_archive("sqlite:///nested/dir/archive.db") as archive:
        archive.add(doc())
    assert (tmp_path / "nested" / "dir" / "archive.db").is_file()


def test_two_processes_opening_a_new_archive_migrate_it_once(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The race of two spiders (or a spider and a reader) opening a new archive at once: the
    # second read user_version 0, then the first migrated and committed before the second took
    # the write lock.
    real_migrate = SqliteStore._migrate
    other: list[SqliteStore] = []

    def migrate_after_another(self: SqliteStore, version: int) -> None:
        if not other:
            monkeypatch.setattr(SqliteStore, "_migrate", real_migrate)
            other.append(SqliteStore(db_path))  # migrates and commits first
        real_migrate(self, version)

    monkeypatch.setattr(SqliteStore, "_migrate", migrate_after_another)
    store = SqliteStore(db_path)
    assert store.schema_version == len(MIGRATIONS) == other[0].schema_version
    store.close()
    other[0].close()
