"""Each site spider end to end through the real Scrapy engine, replaying its cassette.

The crawl runs as `scrapy crawl` in a subprocess (Twisted's reactor cannot restart inside one
pytest process); downloads come from the vcrpy cassette through `CassetteDownloadHandler`, so
robots.txt, redirects, HTTP errors and every other middleware run as on a live site.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from archive import open_archive
from crawler.sites import SITES
from tests.conftest import CASSETTES, ROOT, load_cases, recorded_base

if TYPE_CHECKING:
    from pathlib import Path


def scrapy_crawl(
    site: str, start_url: str, tmp_path: Path, *settings: str, archive: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Crawl into `archive` (default: tmp_path/archive.db); the feed and the log come back."""
    out = tmp_path / "out.jsonl"
    archive = archive or f"sqlite:///{tmp_path / 'archive.db'}"
    command = [
        sys.executable, "-m", "scrapy", "crawl", site,
        "-a", f"start_urls={start_url}",
        "-s", f"ARCHIVE_URI={archive}",
        "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "DOWNLOAD_DELAY=0",
        "-s", "LOG_LEVEL=INFO",
        "-O", str(out),
    ]
    for setting in settings:
        command += ["-s", setting]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
    return [json.loads(line) for line in lines], done.stderr


def stat(log: str, key: str) -> int:
    match = re.search(rf"'{re.escape(key)}': (\d+)", log)
    return int(match.group(1)) if match else 0


def expected_records(site: str, base: str) -> dict[str, dict[str, Any]]:
    expected = {}
    for case in load_cases():
        if case.site == site and not case.skip:
            for record in case.records:
                expected[base + case.path + record.get("url_suffix", "")] = record
    return expected


@pytest.mark.parametrize("site", sorted(SITES))
def test_spider_replays_its_cassette(site: str, tmp_path: Path) -> None:
    base = recorded_base(site)
    records, log = scrapy_crawl(site, base + "/", tmp_path, f"CASSETTE_PATH={CASSETTES / (site + '.yaml')}")

    expected = expected_records(site, base)
    assert sorted(r["url"] for r in records) == sorted(expected), "every document page gives exactly one record"
    for record in records:
        want = expected[record["url"]]
        for name in ("title", "text", "truncated", "published_at", "keywords", "extra"):
            assert record[name] == want[name], name
        assert record["site"] == site and record["id"] and record["crawled_at"]
    assert stat(log, "cassette/played") > 0
    assert stat(log, "cassette/miss") == 0
    assert stat(log, "log_count/ERROR") == 0
    # Bad pages are logged and counted, and the crawl goes on: every sample site links an
    # empty document page, a Word file behind a document URL and a broken (404) link.
    assert stat(log, "extract/skipped/empty_body") == 1
    assert stat(log, "extract/skipped/not_html") == 1
    assert stat(log, "crawl/page_error") == 1

    # The feed export and the archive hold the same records.
    with open_archive(f"sqlite:///{tmp_path / 'archive.db'}", create=False) as archive:
        archived = sorted((r.to_dict() for r in archive.iter_records()), key=lambda r: r["url"])
        assert archived == sorted(records, key=lambda r: r["url"])
        for record in archived:
            assert archive.captures(record["id"]), "the raw response is kept"


def test_a_missing_cassette_entry_is_an_error_not_a_network_call(tmp_path: Path) -> None:
    records, log = scrapy_crawl(
        "baina", "http://127.0.0.1:9/", tmp_path, f"CASSETTE_PATH={CASSETTES / 'baina.yaml'}"
    )
    assert records == []
    assert stat(log, "cassette/miss") >= 1


def test_scrapy_list_shows_the_site_spiders() -> None:
    command = [sys.executable, "-m", "scrapy", "list"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.split() == sorted([*SITES, "generic"])


def test_crawl_without_start_urls_says_how_to_fix_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "baina", "-s", f"ARCHIVE_URI=sqlite:///{tmp_path}/a.db"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode != 0
    assert "pass -a start_urls=URL" in done.stderr


@pytest.mark.parametrize("site", ["juyou", "huiwen"])
def test_crawl_of_a_served_site_matches_the_archive(site: str, sample_sites: dict[str, str], tmp_path: Path) -> None:
    """`scrapy crawl SITE -a start_urls=http://127.0.0.1:PORT/ -O out.jsonl` over real HTTP."""
    base = sample_sites[site]
    records, log = scrapy_crawl(site, base + "/", tmp_path)
    assert sorted(r["url"] for r in records) == sorted(expected_records(site, base))
    assert stat(log, "robotstxt/request_count") == 1
    with open_archive(f"sqlite:///{tmp_path / 'archive.db'}", create=False) as archive:
        assert sorted((r.to_dict() for r in archive.iter_records()), key=lambda r: r["url"]) == sorted(
            records, key=lambda r: r["url"]
        )


def test_demo_crawls_all_sites_and_exports(tmp_path: Path) -> None:
    output = tmp_path / "records.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "crawler", "demo", "--archive", f"sqlite:///{tmp_path / 'a.db'}", "-o", str(output),
         "--port-base", "0"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"^total\s+\d+", done.stdout, re.M), done.stdout
    documents = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    # One line per distinct document; together their sightings are every page crawled.
    sighted = sorted(s["url"].split(":", 2)[2].split("/", 1)[1] for d in documents for s in d["sightings"])
    expected = sorted(
        url.split("/", 1)[1] for site in SITES for url in expected_records(site, "http://h")
        for url in [url.split("://", 1)[1]]
    )
    assert sighted == expected
    assert len(documents) < len(expected), "republished bodies are one document"
    assert all(d["dup_of"] is None for d in documents)
    with open_archive(f"sqlite:///{tmp_path / 'a.db'}", create=False) as archive:
        records = [r.to_dict() for r in archive.iter_records()]
    assert len(records) == len(expected)
    assert {r["site"] for r in records} == set(SITES)
    assert any(r["dup_of"] for r in records), "the body republished on two sites is linked to its first copy"
    by_id = {r["id"]: r for r in records}
    near = [r for r in records if r["dup_of"] and by_id[r["dup_of"]]["content_hash"] != r["content_hash"]]
    assert any(r["site"] != by_id[r["dup_of"]]["site"] for r in near), "edited copies on another site are linked"
    for record in records:
        for phrase in ("小编为大家整理", "推荐访问", "预览阅读已结束", "此文档下载收益归作者所有", "Copyright"):
            assert phrase not in record["text"]


def test_demo_on_a_busy_port_is_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "crawler", "demo", "--archive", f"sqlite:///{tmp_path / 'a.db'}",
             "-o", str(tmp_path / "out.jsonl"), "--port-base", str(port)],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--port-base" in done.stderr, done.stderr
    assert not (tmp_path / "a.db").exists() and not (tmp_path / "out.jsonl").exists()
