"""Shared fixtures of the archive tests: a fresh archive in ``tmp_path`` and a document factory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from archive import Archive, open_archive

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "archive.db"


@pytest.fixture
def archive(db_path: Path) -> Iterator[Archive]:
    with open_archive(str(db_path)) as opened:
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
