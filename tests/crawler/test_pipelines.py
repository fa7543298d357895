"""Validation, normalisation and archive pipelines, built the way Scrapy builds them."""

from __future__ import annotations

import errno
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from typing import TYPE_CHECKING

import pytest
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from archive import Capture, open_archive
from crawler.extensions import CrawlRunExtension
from crawler.items import RECORD_FIELDS, DocumentItem
from crawler.pipelines import ArchivePipeline, NormalizePipeline, SharedArchive, ValidationPipeline
from crawler.runner import crawl_error, finish_reason
from crawler.spiders.generic import GenericSpider
from tests.archive import texts
from tests.archive.test_faults import assert_every_warc_record_is_referenced, assert_warcs_read_to_the_end
from tests.conftest import ROOT
from tests.crawler.test_spiders import stat
from tests.faults.site import DOCUMENTS as FAULT_DOCUMENTS
from tests.faults.site import serve_faults

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy.crawler import Crawler


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


# -- batched commits -----------------------------------------------------------------------------


def committed(db: Path) -> list[str]:
    """The record URLs another connection sees: what is committed."""
    with closing(sqlite3.connect(db)) as conn:
        return [row[0] for row in conn.execute("SELECT url FROM records ORDER BY seq")]


def batch_pipeline(db: Path, items: int = 3, **settings: object) -> ArchivePipeline:
    crawler = get_crawler(settings_dict={"ARCHIVE_URI": f"sqlite:///{db}", "ARCHIVE_COMMIT_ITEMS": items,
                                         "ARCHIVE_COMMIT_SECONDS": 0, **settings})
    pipeline = build_from_crawler(ArchivePipeline, crawler)
    pipeline.open_spider()
    return pipeline


def doc_url(n: int) -> str:
    return f"http://127.0.0.1/fanwen/{n}.html"


@pytest.fixture
def stops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The reasons crawls were stopped with (no engine runs here to stop)."""
    reasons: list[str] = []

    def stop_crawl(crawler: Crawler, reason: str, message: str) -> None:
        if crawler.stats.get_value("crawl/stop_reason") is None:
            crawler.stats.set_value("crawl/stop_reason", reason)
            reasons.append(reason)

    monkeypatch.setattr("crawler.pipelines.stop_crawl", stop_crawl)
    return reasons


def test_items_are_committed_in_batches_when_idle_and_at_close(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    pipeline = batch_pipeline(db)
    try:
        for n in range(2):
            pipeline.process_item(item(url=doc_url(n), text=f"第{n}篇。"))
        assert committed(db) == []
        pipeline.process_item(item(url=doc_url(2), text="第2篇。"))
        assert committed(db) == [doc_url(0), doc_url(1), doc_url(2)]
        pipeline.process_item(item(url=doc_url(3), text="第3篇。"))
        pipeline.spider_idle()  # the last items, before Scrapy closes the spider as finished
        assert len(committed(db)) == 4
        pipeline.process_item(item(url=doc_url(4), text="第4篇。"))
    finally:
        pipeline.close_spider()
    assert len(committed(db)) == 5
    assert SharedArchive.find(f"sqlite:///{db}") is None, "the last user closed it"


def test_a_lost_batch_takes_its_counts_back_and_stops_the_crawl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops: list[str]
) -> None:
    db = tmp_path / "a.db"
    pipeline = batch_pipeline(db, items=10)
    stats = pipeline.stats
    try:
        pipeline.process_item(item(url=doc_url(0)))
        pipeline.spider_idle()
        capture = Capture(url=doc_url(1), status=200, headers=[], body=b"<p>y</p>", fetched_at="2026-11-23T00:00:00Z")
        pipeline.process_item(item(url=doc_url(1), text="另一篇。", captures=[capture]))
        pipeline.process_item(item(url="http://127.0.0.2/fanwen/2.html"))  # a copy of doc 0 on another host
        assert [stats.get_value(k) for k in ("archive/new", "archive/duplicate", "dedup/exact")] == [2, 1, 1]

        def fsync(fd: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr("archive._warc.os.fsync", fsync)
        with pytest.raises(CloseSpider) as info:
            pipeline.spider_idle()
        monkeypatch.undo()
    finally:
        pipeline.close_spider()
    assert info.value.reason == "archive_disk_full"
    counts = ("archive/new", "archive/duplicate", "dedup/exact", "archive/not_stored", "archive/error")
    assert [stats.get_value(k) for k in counts] == [1, 0, 0, 2, 1]
    assert stops == ["archive_disk_full"]
    assert committed(db) == [doc_url(0)]
    assert_warcs_read_to_the_end(db)


@pytest.mark.parametrize("closed_as", ["closespider_itemcount", "closespider_timeout"])
def test_a_last_commit_failing_as_the_spider_closes_fails_a_crawl_scrapy_called_a_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops: list[str], closed_as: str
) -> None:
    # CLOSESPIDER_* close the spider without it going idle: its last batch commits in
    # close_spider, after Scrapy has chosen its (successful) finish reason.
    db = tmp_path / "a.db"
    pipeline = batch_pipeline(db, items=10)
    crawler = pipeline.crawler
    assert crawler is not None
    pipeline.process_item(item(url=doc_url(0)))
    pipeline.stats.set_value("finish_reason", closed_as)
    monkeypatch.setattr("archive._warc.os.fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    capture = Capture(url=doc_url(1), status=200, headers=[], body=b"<p>y</p>", fetched_at="2026-11-23T00:00:00Z")
    pipeline.process_item(item(url=doc_url(1), text="另一篇。", captures=[capture]))
    pipeline.close_spider()
    monkeypatch.undo()
    assert stops == ["archive_disk_full"]
    assert finish_reason(crawler) == "archive_disk_full"
    assert crawl_error("generic", finish_reason(crawler)) == (
        "error: crawl generic ended with archive_disk_full; free space on the archive's disk, then run it again")
    assert pipeline.stats.get_value("archive/not_stored") == 2
    assert committed(db) == []


def test_a_commit_failing_inside_an_add_loses_that_item_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops: list[str]
) -> None:
    db = tmp_path / "a.db"
    pipeline = batch_pipeline(db, items=2)
    try:
        pipeline.process_item(item(url=doc_url(0)))
        monkeypatch.setattr("archive._warc.os.fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.EIO, "I/O")))
        capture = Capture(url=doc_url(1), status=200, headers=[], body=b"<p>y</p>", fetched_at="2026-11-23T00:00:00Z")
        with pytest.raises(DropItem, match="not stored"):
            pipeline.process_item(item(url=doc_url(1), text="另一篇。", captures=[capture]))  # the 2nd: commits
        monkeypatch.undo()
    finally:
        pipeline.close_spider()
    stats = pipeline.stats
    assert [stats.get_value(k) for k in ("archive/new", "archive/not_stored", "archive/error")] == [0, 2, 1]
    assert stops == ["archive_io_error"]
    assert committed(db) == []


def test_two_crawls_of_one_process_share_one_connection_and_batch(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    near = batch_pipeline(db, items=100)
    exact_only = batch_pipeline(tmp_path / "." / "a.db", items=100, ARCHIVE_NEAR_DUPLICATES=False)
    try:
        assert near.shared is exact_only.shared
        assert near.archive is not None and near.archive.near_index is not None
        assert exact_only.archive is not None and exact_only.archive.near_index is None
        first = near.process_item(item(url=doc_url(0), text=texts.SAFETY))
        # The other crawl's write joins the batch instead of waiting for its lock.
        exact_only.process_item(item(url=doc_url(1), text=texts.RURAL))
        copy = near.process_item(item(url=doc_url(2), text=texts.fill_masks(texts.SAFETY)))
        assert copy.dup_of == first.id
        assert committed(db) == []
        exact_only.close_spider()  # commits the batch, both crawls' items
        assert len(committed(db)) == 3
        near.process_item(item(url=doc_url(3), text="第3篇。"))
    finally:
        exact_only.close_spider()
        near.close_spider()
    assert len(committed(db)) == 4


def test_the_run_log_commits_the_batch_first_and_never_waits_for_it(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'a.db'}"
    settings = {"ARCHIVE_URI": uri, "CRAWL_RUNS_ENABLED": True, "ARCHIVE_COMMIT_ITEMS": 100,
                "ARCHIVE_COMMIT_SECONDS": 0}
    crawler = get_crawler(GenericSpider, settings)
    extension = CrawlRunExtension.from_crawler(crawler)
    other = get_crawler(GenericSpider, settings)  # another spider of the process, still crawling
    pipeline = build_from_crawler(ArchivePipeline, other)
    pipeline.open_spider()
    try:
        pipeline.process_item(item())
        started = time.monotonic()
        extension.spider_closed(crawler.spider, "finished")  # type: ignore[arg-type]
        assert time.monotonic() - started < 5, "waited for the batch's write lock"
    finally:
        pipeline.close_spider()
    with open_archive(uri, create=False, near_dup=False) as archive:
        (run,) = archive.runs()
        assert run.finish_reason == "finished"
        assert len(list(archive.iter_records())) == 1


@pytest.mark.slow
def test_a_full_disk_at_a_batch_commit_stops_the_crawl_and_counts_what_it_lost(tmp_path: Path) -> None:
    # Batches of 2 on a 400 KB disk: some commit, then one finds no room. (At the default 50 the
    # fault site's 8 documents are one batch, and fit: batches write the -wal file much less.)
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(disk)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs (needs root): {mounted.stderr.strip()}")
    archive = disk / "archive.db"
    try:
        returncode, log = crawl_faults(tmp_path, archive, "ARCHIVE_COMMIT_ITEMS=2", "ARCHIVE_COMMIT_SECONDS=0")
        assert returncode == 1, log[-3000:]
        assert "'finish_reason': 'archive_disk_full'" in log
        assert [line for line in log.splitlines() if "] ERROR:" in line and "no space left" in line], log[-3000:]
        assert len([line for line in log.splitlines() if "] ERROR:" in line]) == 1
        assert "Traceback" not in log
        stored = committed(archive)
        assert 0 < len(stored) < FAULT_DOCUMENTS
        # The lost batches' items are not stored, and their archive/new counts were taken back.
        assert stat(log, "archive/new") == len(stored)
        assert stat(log, "archive/not_stored") >= 1
        assert stat(log, "archive/error") == 1
        assert_warcs_read_to_the_end(archive)
        assert_every_warc_record_is_referenced(archive)
        assert subprocess.run(["mount", "-o", "remount,size=8m", str(disk)], check=False).returncode == 0
        returncode, log = crawl_faults(tmp_path, archive)  # served on new ports: its pages are all new
        assert returncode == 0, log[-3000:]
        assert len(committed(archive)) == len(stored) + FAULT_DOCUMENTS
        assert_warcs_read_to_the_end(archive)
        assert_every_warc_record_is_referenced(archive)
    finally:
        if subprocess.run(["umount", str(disk)], check=False).returncode:
            subprocess.run(["umount", "-l", str(disk)], check=False)


def crawl_faults(tmp_path: Path, archive: Path, *settings: str) -> tuple[int, str]:
    """Crawl the fault site's clean pages into `archive`; returns the exit status and the log."""
    with serve_faults(tmp_path, kinds=["clean"]) as site:
        command = [sys.executable, "-m", "scrapy", "crawl", "generic", "-a", f"start_urls={site.url('clean')}",
                   "-s", f"ARCHIVE_URI=sqlite:///{archive}", "-s", "AUTOTHROTTLE_ENABLED=False",
                   "-s", "DOWNLOAD_DELAY=0"]
        for setting in settings:
            command += ["-s", setting]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
    return done.returncode, done.stderr


@pytest.mark.parametrize("setting", [{"ARCHIVE_COMMIT_ITEMS": 0}, {"ARCHIVE_COMMIT_SECONDS": -1}])
def test_bad_commit_settings_are_refused(tmp_path: Path, setting: dict[str, int]) -> None:
    crawler = get_crawler(settings_dict={"ARCHIVE_URI": f"sqlite:///{tmp_path / 'a.db'}", **setting})
    with pytest.raises(ValueError, match=r"ARCHIVE_COMMIT_ITEMS=.* pass a whole number"):
        build_from_crawler(ArchivePipeline, crawler)


def _commit_items(uri: str, **cmdline: object) -> int:
    from scrapy.settings import Settings

    from crawler import settings as project
    from crawler.pipelines import commit_items

    settings = Settings()
    settings.setmodule(project, priority="project")
    settings.update(cmdline, priority="cmdline")  # as `-s NAME=VALUE`
    return commit_items(uri, settings)


def test_a_postgresql_archive_commits_each_item_unless_told_otherwise() -> None:
    assert _commit_items("sqlite:///a.db") == 50
    assert _commit_items("postgresql://crawler@db/fanwen") == 1  # a batch holds the lock every worker waits for
    assert _commit_items("postgresql://crawler@db/fanwen", ARCHIVE_COMMIT_ITEMS=20) == 20
    assert _commit_items("sqlite:///a.db", ARCHIVE_COMMIT_ITEMS=5) == 5
