"""Scheduled re-runs: only what is new or changed is fetched and stored; runs are logged."""

from __future__ import annotations

import os
import re
import time
from typing import TYPE_CHECKING

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from archive import open_archive
from crawler.items import DocumentItem
from crawler.middlewares import IncrementalMiddleware
from crawler.pipelines import ArchivePipeline
from samples.serve import serve_site
from samples.synthetic import build_site, document_page
from tests.crawler.test_spiders import scrapy_crawl, stat

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

DOCUMENTS = 30


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "site"
    build_site(root, DOCUMENTS)
    server, base = serve_site(root)
    try:
        yield root, base
    finally:
        server.shutdown()
        server.server_close()


def crawl(base: str, tmp_path: Path, *settings: str) -> str:
    # DEBUG logs one "Crawled (200) <GET url>" line per download, which the tests count.
    _, log = scrapy_crawl("baina", base + "/", tmp_path, "LOG_LEVEL=DEBUG", *settings)
    return log


def document_responses(log: str) -> int:
    return len(re.findall(r"Crawled \(200\) <GET http://[^/]+/fanwen/", log))


def test_second_run_downloads_no_document_and_adds_nothing(site: tuple[Path, str], tmp_path: Path) -> None:
    _, base = site
    first = crawl(base, tmp_path)
    assert stat(first, "archive/new") == DOCUMENTS
    assert document_responses(first) == DOCUMENTS

    second = crawl(base, tmp_path)
    assert document_responses(second) == 0
    assert stat(second, "incremental/skipped_fresh") == DOCUMENTS
    # Dropped as links, before they were requests: none was scheduled, none failed.
    assert stat(second, "scheduler/enqueued") == stat(first, "scheduler/enqueued") - DOCUMENTS
    assert stat(second, "crawl/page_error") == 0
    assert stat(second, "item_scraped_count") == 0
    with open_archive(f"sqlite:///{tmp_path / 'archive.db'}", create=False) as archive:
        assert sum(1 for _ in archive.iter_records()) == DOCUMENTS
        runs = archive.runs()
        assert [r.finish_reason for r in runs] == ["finished", "finished"]
        assert runs[0].counts["new"] == 0
        assert runs[1].counts["new"] == DOCUMENTS


def test_a_changed_page_gives_a_new_version_and_the_rest_answer_304(
    site: tuple[Path, str], tmp_path: Path
) -> None:
    root, base = site
    crawl(base, tmp_path)
    changed = root / "www" / "fanwen" / "100003.html"
    changed.write_text(
        document_page(
            3, "在全市第3次工作推进会上的讲话", "2023-04-04 09:03:00", ["同志们:", "这是修订后的讲话全文,内容更新了。"]
        ),
        encoding="utf-8",
    )
    later = time.time() + 5
    os.utime(changed, (later, later))

    log = crawl(base, tmp_path, "INCREMENTAL_REFRESH_DAYS=0")
    assert stat(log, "incremental/conditional") == DOCUMENTS
    assert stat(log, "incremental/not_modified") == DOCUMENTS - 1
    assert stat(log, "archive/changed") == 1
    with open_archive(f"sqlite:///{tmp_path / 'archive.db'}", create=False) as archive:
        versions = archive.versions(base + "/fanwen/100003.html")
        assert [v.text.endswith("内容更新了。") for v in versions] == [False, True]
        unchanged = archive.latest(base + "/fanwen/100004.html")
        assert unchanged is not None
        assert len(archive.sightings(unchanged.id)) == 2, "a 304 is a sighting"


def test_a_new_page_on_list_page_one_is_found(site: tuple[Path, str], tmp_path: Path) -> None:
    root, base = site
    crawl(base, tmp_path)
    new_path = "/fanwen/199999.html"
    (root / "www" / new_path.lstrip("/")).write_text(
        document_page(
            99, "关于新一轮工作部署的讲话", "2024-01-02 10:00:00", ["同志们:", "今天部署新一轮工作,请大家抓好落实。"]
        ),
        encoding="utf-8",
    )
    listing = root / "www" / "zhuanti" / "jianghuagao" / "index.html"
    html = listing.read_text(encoding="utf-8")
    listing.write_text(html.replace("<ul class='list'>", f"<ul class='list'><li><a href='{new_path}'>新讲话</a></li>"),
                       encoding="utf-8")

    log = crawl(base, tmp_path)
    assert stat(log, "archive/new") == 1
    assert document_responses(log) == 1
    with open_archive(f"sqlite:///{tmp_path / 'archive.db'}", create=False) as archive:
        assert archive.latest(base + new_path) is not None


def test_a_304_sighting_joins_the_pipelines_batch(tmp_path: Path) -> None:
    # A connection of its own would wait for the batch's write lock, on the thread that commits it.
    uri = f"sqlite:///{tmp_path / 'archive.db'}"
    url = "http://127.0.0.1/fanwen/1.html"
    crawler = get_crawler(settings_dict={"ARCHIVE_URI": uri, "INCREMENTAL_ENABLED": True,
                                         "ARCHIVE_COMMIT_ITEMS": 100, "ARCHIVE_COMMIT_SECONDS": 0})
    pipeline = build_from_crawler(ArchivePipeline, crawler)
    middleware = IncrementalMiddleware.from_crawler(crawler)
    pipeline.open_spider()
    try:
        pipeline.process_item(DocumentItem(url=url, site="baina", title="讲话", text="同志们:\n今天开会。"))
        assert middleware._state(url) is not None, "it reads the batch it shares"
        request = Request(url, meta={"incremental_conditional": True})
        with pytest.raises(IgnoreRequest, match="304"):
            middleware.process_response(request, Response(url, status=304, request=request))
        assert middleware.archive is None, "no connection of its own"
        assert pipeline.archive is not None and pipeline.archive.pending == 2
        assert crawler.stats.get_value("incremental/not_modified") == 1
    finally:
        pipeline.close_spider()
        middleware.spider_closed()
    with open_archive(uri, create=False) as archive:
        record = archive.latest(url)
        assert record is not None
        assert len(archive.sightings(record.id)) == 2
