"""Validation, normalisation and archive pipelines, built the way Scrapy builds them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from archive import Capture, open_archive
from crawler.items import RECORD_FIELDS, DocumentItem
from crawler.pipelines import ArchivePipeline, NormalizePipeline, ValidationPipeline
from tests.archive import texts

if TYPE_CHECKING:
    from pathlib import Path


def item(url: str = "http://127.0.0.1/fanwen/1.html", text: str = "同志们:\n今天开会。", **kw: object) -> DocumentItem:
    return DocumentItem(url=url, site="baina", title="会议讲话", text=text, **kw)  # type: ignore[arg-type]


def test_validation_drops_empty_bodies_with_a_stat() -> None:
    crawler = get_crawler()
    pipeline = build_from_crawler(ValidationPipeline, crawler)
    with pytest.raises(DropItem, match="no text"):
        pipeline.process_item(item(text="  "))
    assert crawler.stats.get_value("validate/dropped/no_text") == 1
    assert pipeline.process_item(item()) is not None


def test_normalize_trims_paragraphs_and_keeps_masks() -> None:
    pipeline = build_from_crawler(NormalizePipeline, get_crawler())
    out = pipeline.process_item(item(
        text="  同志们:  \n\n xx市长和***同志\u3000\u3000讲话。 ",
        keywords=[" 讲话 ", "讲话", "党工委"],
        published_at="not a date",
    ))
    assert out.text == "同志们:\nxx市长和***同志 讲话。"
    assert out.keywords == ["讲话", "党工委"]
    assert out.published_at is None


def test_archive_pipeline_needs_a_uri() -> None:
    with pytest.raises(NotConfigured):
        build_from_crawler(ArchivePipeline, get_crawler(settings_dict={"ARCHIVE_URI": ""}))


def test_archive_pipeline_stores_and_marks_duplicates(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'a.db'}"
    crawler = get_crawler(settings_dict={"ARCHIVE_URI": uri})
    pipeline = build_from_crawler(ArchivePipeline, crawler)
    pipeline.open_spider()
    capture = Capture(url="http://127.0.0.1/fanwen/1.html", status=200,
                      headers=[("Content-Type", "text/html")], body=b"<p>x</p>", fetched_at="2026-11-23T00:00:00Z")
    first = pipeline.process_item(item(captures=[capture]))
    copy = pipeline.process_item(item(url="http://127.0.0.2/fanwen/2.html"))
    again = pipeline.process_item(item())
    pipeline.close_spider()

    assert first.id and first.content_hash and first.crawled_at and first.dup_of is None
    assert copy.dup_of == first.id
    assert again.id == first.id
    stats = crawler.stats.get_stats()
    counted = ("archive/new", "archive/duplicate", "dedup/exact", "archive/unchanged")
    assert [stats[key] for key in counted] == [1, 1, 1, 1]
    with open_archive(uri, create=False) as archive:
        stored = archive.get(first.id)
        assert {f: getattr(first, f) for f in RECORD_FIELDS} == stored.to_dict()
        assert archive.captures(first.id)[0].body == b"<p>x</p>"


@pytest.mark.parametrize(("near_dup", "expected"), [(True, "near"), (False, None)])
def test_archive_near_duplicates_setting(tmp_path: Path, near_dup: bool, expected: str | None) -> None:
    uri = f"sqlite:///{tmp_path / 'a.db'}"
    settings = {"ARCHIVE_URI": uri, "ARCHIVE_NEAR_DUPLICATES": near_dup}
    crawler = get_crawler(settings_dict=settings)
    pipeline = build_from_crawler(ArchivePipeline, crawler)
    pipeline.open_spider()
    first = pipeline.process_item(item(text=texts.SAFETY))
    edited = pipeline.process_item(item(url="http://127.0.0.1/other/9.html", text=texts.fill_masks(texts.SAFETY)))
    pipeline.close_spider()

    assert edited.dup_of == (first.id if expected else None)
    assert crawler.stats.get_value("dedup/near") == (1 if expected else None)
    with open_archive(uri, create=False) as archive:
        assert archive.near_index is not None
        assert archive.near_index.pending() == (0 if near_dup else 2), "unindexed records wait for reindex"
