"""The generic spider end to end on two unprofiled sites of different markups (one GBK).

Every document page must give exactly its expected record(s), and no noise page (tag, search,
login, about, error, 404, list pages) any.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from archive import open_archive
from samples.serve import serve_site
from tests.conftest import ROOT
from tests.crawler.test_spiders import scrapy_crawl, stat

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

GENERIC_SITES = ROOT / "samples" / "generic"


@pytest.fixture(scope="module", params=["wenku_a", "gongwen_gbk"])
def generic_site(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, dict[str, Any]]]:
    site_dir = GENERIC_SITES / request.param
    server, base = serve_site(site_dir)
    try:
        yield request.param, base, json.loads((site_dir / "expected.json").read_text(encoding="utf-8"))
    finally:
        server.shutdown()
        server.server_close()


def test_generic_spider_archives_each_document_once(
    generic_site: tuple[str, str, dict[str, Any]], tmp_path: Path
) -> None:
    name, base, expected = generic_site
    records, log = scrapy_crawl("generic", base + "/", tmp_path)

    want = {base + r["path"] + r.get("url_suffix", ""): r for r in expected["records"]}
    got = [r["url"] for r in records]
    assert sorted(got) == sorted(want), f"{name}: one record per document, none for noise pages"
    noise = {base + path for path in expected["noise_paths"]}
    assert not noise & set(got)
    for record in records:
        exp = want[record["url"]]
        for field in ("title", "text", "published_at", "truncated", "collection"):
            assert record[field] == exp.get(field), (record["url"], field)
        assert record["site"] == "generic"
    assert stat(log, "log_count/ERROR") == 0
    assert stat(log, "extract/skipped/login") >= 1
    assert stat(log, "extract/skipped/listing") >= 1
    with open_archive(f"sqlite:///{tmp_path / 'archive.db'}", create=False) as archive:
        assert sorted(r.url for r in archive.iter_records()) == sorted(want)


def test_generic_spider_reads_the_sitemap(tmp_path: Path) -> None:
    site_dir = GENERIC_SITES / "wenku_a"
    server, base = serve_site(site_dir)
    try:
        records, log = scrapy_crawl("generic", base + "/", tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    # /article/1007.html is linked from no page: only sitemap.xml lists it.
    assert base + "/article/1007.html" in {r["url"] for r in records}
    assert stat(log, "generic/sitemap_urls") >= 1


def test_generic_spider_needs_start_urls(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "generic", "-s", f"ARCHIVE_URI=sqlite:///{tmp_path}/a.db"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode != 0
    assert "pass -a start_urls=URL" in done.stderr
