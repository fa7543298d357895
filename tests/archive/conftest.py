"""Shared fixtures of the archive tests: a fresh archive on every store, and a document factory.

``archive`` runs each test that takes it on SQLite (a file in ``tmp_path``) and on PostgreSQL
(a fresh database on the session's server: ``postgres_uri``, from ``tests.postgres_server``
through ``tests/conftest.py``; skipped with the reason when no server can be started). A test
that is about SQLite itself (the file, PRAGMAs, its migrations), or that reopens the archive by
its path, is marked ``sqlite_only``.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import pytest

from archive import Archive, open_archive

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "archive.db"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: the test is about the SQLite store itself; not run on PostgreSQL")


STORES = ["sqlite", "postgresql"]


@pytest.fixture(params=STORES)
def archive_uri(request: pytest.FixtureRequest, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The URI of a fresh, empty archive on each store (its WARC folder in ``tmp_path``)."""
    if request.param == "sqlite":
        return str(db_path)
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("a test of the SQLite store itself")
    if "db_path" in inspect.signature(request.function).parameters:
        # It reads or reopens the archive by its file (sqlite3, SqliteStore, the CLI on a path).
        pytest.skip("the test reaches the archive through its SQLite file (db_path)")
    monkeypatch.setenv("ARCHIVE_WARC_DIR", str(tmp_path / "archive.warc"))
    return str(request.getfixturevalue("postgres_uri"))


@pytest.fixture
def archive(archive_uri: str) -> Iterator[Archive]:
    with open_archive(archive_uri) as opened:
        yield opened


def make_doc(
    url: str = "https://www.example.com/fanwen/1.html", **overrides: Any
) -> dict[str, Any]:
    """A document as the crawler hands it to ``Archive.add``."""
    doc: dict[str, Any] = {
        "url": url,
        "site": "baina",
        "title": "关于开展安全生产检查的通知",
        "published_at": "2023-04-24",
        "text": "各部门：\n为切实做好安全生产工作，现将有关事项通知如下。\n***公司 xx月xx日",
        "category": "专题范文 > 通知",
        "source": "网友投稿",
        "keywords": ["通知", "安全生产"],
        "truncated": False,
        "collection": None,
        "extra": {},
        "crawled_at": "2024-03-01T08:00:00Z",
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def doc() -> Callable[..., dict[str, Any]]:
    return make_doc
