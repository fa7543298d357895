"""``python -m archive reextract`` over a real crawl's captures: the same extractor changes nothing,
a different one adds dated versions where it reads differently, and a second run adds none.

The crawl goes through the real engine (`scrapy crawl juyou`) into a SQLite archive with its
WARC captures; the split article (three pages) and the compilation (five parts of one page) are
read back from those captures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from archive import open_archive
from archive.cli import main
from crawler.reextract import Reextractor
from tests.conftest import ROOT
from tests.crawler.test_spiders import scrapy_crawl

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from archive.records import Capture, Record

SITE = "juyou"
SPLIT = "/fanwendaquan/gongwenfanwen/186601.html"
COMPILATION = "/fanwendaquan/gongwenfanwen/186523.html"


class Better(Reextractor):
    """Stands in for a better extractor: it drops the split article's closing paragraph and
    reads the compilation's second part under a fuller title."""

    def __call__(self, record: Record, captures: Sequence[Capture]) -> dict[str, Any]:
        fields = super().__call__(record, captures)
        if record.url.endswith(SPLIT):
            fields["text"] = fields["text"].rsplit("\n", 1)[0]
        if record.url.endswith(COMPILATION + "#part-2"):
            fields["title"] = "范文二：" + fields["title"]
        return fields


@pytest.fixture
def crawled(sample_sites: dict[str, str], tmp_path: Path) -> tuple[str, list[dict[str, Any]]]:
    records, _ = scrapy_crawl(SITE, sample_sites[SITE] + "/", tmp_path)
    return f"sqlite:///{tmp_path / 'archive.db'}", records


def run_cli(*args: str) -> str:
    command = [sys.executable, "-m", "archive", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow  # a subprocess crawl through the real engine
def test_the_crawls_own_extractor_reads_every_capture_the_same(crawled: tuple[str, list[dict[str, Any]]]) -> None:
    uri, records = crawled
    with open_archive(uri, create=False) as archive:
        stored = list(archive.iter_records())
        split = next(r for r in stored if r.url.endswith(SPLIT))
        assert len(archive.captures(split.id)) == 3
        assert sum(r.url.startswith(split.url.replace(SPLIT, COMPILATION) + "#part-") for r in stored) == 5

    out = run_cli("reextract", "--archive", uri)

    assert out.splitlines() == [f"{len(records)} records read: {len(records)} unchanged, 0 changed, 0 failed"]
    with open_archive(uri, create=False) as archive:
        assert [r.id for r in archive.iter_records()] == [r.id for r in stored]


@pytest.mark.slow  # a subprocess crawl through the real engine
def test_a_better_extractor_adds_versions_where_it_reads_differently(
    crawled: tuple[str, list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    uri, records = crawled
    with open_archive(uri, create=False) as archive:
        before = {r.url: r for r in archive.iter_records()}
    extractor = f"{__name__}:Better"

    assert main(["reextract", "--archive", uri, "--extractor", extractor, "--dry-run"]) == 0
    count = len(records)
    summary = f"{count} records read: {count - 2} unchanged, 2 would change, 0 failed"
    assert capsys.readouterr().out.splitlines()[-1] == summary
    with open_archive(uri, create=False) as archive:
        assert {r.url: r for r in archive.iter_records()} == before

    assert main(["reextract", "--archive", uri, "--extractor", extractor]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == f"{count} records read: {count - 2} unchanged, 2 changed, 0 failed"
    assert sorted(line.rsplit("  ", 1)[1] for line in out[:-1]) == ["text", "title"]

    with open_archive(uri, create=False) as archive:
        latest = {r.url: r for r in archive.iter_records(latest_only=True)}
        split_url = next(url for url in latest if url.endswith(SPLIT))
        part_url = next(url for url in latest if url.endswith(COMPILATION + "#part-2"))
        for url, record in latest.items():
            if url in (split_url, part_url):
                assert record.id != before[url].id
                assert record.extra["version_reason"] == "reextract"
                assert record.crawled_at > before[url].crawled_at
                assert [v.id for v in archive.versions(url)] == [before[url].id, record.id]
                assert archive.captures(record.id) == archive.captures(before[url].id)
            else:
                assert record == before[url]
        assert latest[split_url].text == before[split_url].text.rsplit("\n", 1)[0]
        assert latest[part_url].title == "范文二：" + before[part_url].title
        assert [hit.id for hit in archive.search("范文二")] == [latest[part_url].id]

    # Run twice: nothing changes the second time.
    assert main(["reextract", "--archive", uri, "--extractor", extractor]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{count} records read: {count} unchanged, 0 changed, 0 failed"]

    exported = run_cli("export", "--archive", uri, "-o", "-", "--include-duplicates")
    lines = [json.loads(line) for line in exported.splitlines()]
    assert len(lines) == len(records)
    assert {line["id"] for line in lines} == {r.id for r in latest.values()}
