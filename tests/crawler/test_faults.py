"""Every fault of the fault site (tests/faults/site.py), crawled through the real engine.

Each kind is served alone and crawled with `scrapy crawl generic` in a subprocess, at the
project's defaults except where a default would only make the test slow (a 2 s download
timeout for the hanging server, a 1 s cap on Retry-After): what is asserted is the outcome —
what was stored, what was requested, what was counted — never how long it took. The figures
at the real defaults (wall time, peak RSS) are bench/faults.py's.
"""

from __future__ import annotations

import json
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.archive.test_faults import assert_warcs_read_to_the_end
from tests.conftest import ROOT
from tests.crawler.test_spiders import stat
from tests.faults.site import DOCUMENTS, FaultSite, serve_faults

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow


@dataclass
class Crawl:
    """What one crawl of one fault kind did."""

    site: FaultSite
    kind: str
    returncode: int
    log: str
    records: list[str]
    peak_rss_mb: float
    archive: Path

    def stat(self, key: str) -> int:
        return stat(self.log, key)

    def requested(self, path: str) -> int:
        return sum(1 for r in self.site.requests() if r.path.split("?")[0].lower() == path.lower())


Crawler = Callable[..., Crawl]


@pytest.fixture
def crawl(tmp_path: Path) -> Crawler:
    """crawl(kind, *settings): serve that kind alone and crawl it at the project's defaults."""

    def run(kind: str, *settings: str, archive: Path | None = None, file_limit: int = 0) -> Crawl:
        archive = archive or tmp_path / "archive.db"
        with serve_faults(tmp_path, kinds=[kind]) as site:
            command = [
                sys.executable, "-m", "scrapy", "crawl", "generic", "-a", f"start_urls={site.url(kind)}",
                "-s", f"ARCHIVE_URI=sqlite:///{archive}", "-s", "AUTOTHROTTLE_ENABLED=False",
                "-s", "DOWNLOAD_DELAY=0",
            ]
            for setting in settings:
                command += ["-s", setting]
            process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                       text=True, preexec_fn=_limit_files(file_limit) if file_limit else None)
            try:
                _, log = process.communicate(timeout=240)
            finally:
                process.kill()
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            records = []
            if archive.exists():
                # Read-only and closed again: a test may remount the archive's disk next.
                try:
                    with closing(sqlite3.connect(f"file:{archive}?mode=ro", uri=True)) as conn:
                        records = [url for (url,) in conn.execute("SELECT url FROM records ORDER BY seq")]
                except sqlite3.DatabaseError:
                    # A file a test damaged on purpose: whether the records table is readable
                    # depends on where the damage fell; such a test reads none.
                    records = []
            return Crawl(site, kind, process.returncode, log, records, usage.ru_maxrss / 1024, archive)

    return run


def _limit_files(size: int) -> Callable[[], None]:
    def limit() -> None:
        # Writes past the limit then fail with EFBIG instead of killing the crawl (SIGXFSZ).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def _check_common(result: Crawl) -> None:
    # Whatever the fault: the run finished, stayed on its origin, stored nothing bad.
    assert result.returncode == 0, result.log[-3000:]
    assert "'finish_reason': 'finished'" in result.log
    assert result.site.other_requests() == []
    assert result.site.ftp_connections() == 0
    assert not set(result.records) & set(result.site.bad_urls(result.kind))
    assert "Traceback" not in result.log


def test_clean_site_is_archived_whole(crawl: Crawler) -> None:
    result = crawl("clean")
    _check_common(result)
    assert sorted(result.records) == sorted(result.site.expected_urls("clean"))
    assert result.stat("crawl/page_error") == 0


def test_scope_is_scheme_host_and_port_for_links_sitemaps_and_redirects(crawl: Crawler) -> None:
    result = crawl("scope")
    _check_common(result)
    assert sorted(result.records) == sorted(result.site.document_urls("scope"))
    # A link and two sitemap entries on the other port, and the 302 to it.
    assert result.stat("scope/offsite") >= 4
    assert result.requested("/scope/moved.html") == 1


def test_retry_after_is_honoured_then_forgotten(crawl: Crawler) -> None:
    result = crawl("retry_after", "BACKOFF_MAX_DELAY=2")
    _check_common(result)
    assert sorted(result.records) == sorted(result.site.expected_urls("retry_after"))
    assert result.stat("backoff/retry") == 1
    assert result.stat("backoff/recovered") == 1
    # The wait is kept (capped at 2 s here): pages already in flight when the 503 came do not
    # count as the host answering again.
    busy = [r.time for r in result.site.requests("retry_after") if r.path.endswith("doc-busy.html")]
    assert len(busy) == 2 and busy[1] - busy[0] >= 1.5


@pytest.mark.parametrize("kind", ["http500", "truncated"])
def test_a_failing_page_is_counted_once_and_not_stored(crawl: Crawler, kind: str) -> None:
    result = crawl(kind)
    _check_common(result)
    assert sorted(result.records) == sorted(result.site.document_urls(kind))
    assert result.stat("crawl/page_error") == 1
    assert _run_errors(result) == 1


def test_a_hanging_server_costs_a_timeout_per_attempt(crawl: Crawler) -> None:
    result = crawl("hang", "DOWNLOAD_TIMEOUT=2", "RETRY_TIMES=1")
    _check_common(result)
    assert sorted(result.records) == sorted(result.site.document_urls("hang"))
    assert result.requested("/hang/doc-hang.html") == 2
    assert result.stat("crawl/page_error") == 1
    timeouts = {k: v for k, v in _stats(result).items() if k.startswith("downloader/exception_type_count/")}
    assert list(timeouts.values()) == [2] and "Timeout" in next(iter(timeouts)), timeouts


def test_a_redirect_loop_ends_counted(crawl: Crawler) -> None:
    result = crawl("redirect_loop")
    _check_common(result)
    assert sorted(result.records) == sorted(result.site.document_urls("redirect_loop"))
    assert result.requested("/redirect_loop/a.html") + result.requested("/redirect_loop/b.html") <= 25
    # a -> b -> a: the dupefilter stops the second a, and names it a loop.
    assert result.stat("crawl/redirect_loop") == 1
    assert result.stat("crawl/page_error") == 1


def test_robots_disallow_is_never_requested(crawl: Crawler) -> None:
    result = crawl("robots")
    _check_common(result)
    assert sorted(result.records) == sorted(result.site.document_urls("robots"))
    assert result.requested("/robots/private/doc-1.html") == 0
    assert result.stat("robotstxt/forbidden") >= 2


def test_empty_and_script_only_pages_are_skipped_with_a_reason(crawl: Crawler) -> None:
    result = crawl("empty")
    _check_common(result)
    assert sorted(result.records) == sorted(result.site.document_urls("empty"))
    skipped = sum(int(v) for k, v in _stats(result).items() if k.startswith("extract/skipped/"))
    assert skipped >= 3  # the index, the empty page and the script page


@pytest.mark.parametrize("kind", ["gzip_bomb", "huge_page"])
def test_a_body_over_the_size_limit_is_refused_and_counted(crawl: Crawler, kind: str) -> None:
    result = crawl(kind)
    _check_common(result)
    assert sorted(result.records) == sorted(result.site.document_urls(kind))
    assert result.stat("crawl/too_large") == 1
    assert result.stat("crawl/page_error") == 1
    # Before the size limit the bomb cost 1.19 GB; a clean crawl peaks near 200 MB.
    assert result.peak_rss_mb < 600


def test_a_body_nested_ten_thousand_deep_is_stored(crawl: Crawler, tmp_path: Path) -> None:
    result = crawl("deep_dom")
    _check_common(result)
    assert sorted(result.records) == sorted(result.site.expected_urls("deep_dom"))
    with closing(sqlite3.connect(tmp_path / "archive.db")) as conn:
        query = "SELECT text FROM records WHERE url = ?"
        (text,) = conn.execute(query, (result.site.fault_url("deep_dom"),)).fetchone()
    assert len(text) > 300


def test_url_variants_make_one_record_under_the_clean_url(crawl: Crawler) -> None:
    result = crawl("url_variants")
    _check_common(result)
    assert sorted(result.records) == sorted(result.site.document_urls("url_variants"))
    assert result.stat("urls/cleaned") == 2


def _stats(result: Crawl) -> dict[str, int]:
    return {key: int(value) for key, value in re.findall(r"'([\w/.:-]+)': (\d+)", result.log)}


def _run_errors(result: Crawl) -> int:
    """The run log's error count for the crawl (python -m archive runs --json)."""
    (run,) = _runs(result.archive)
    return int(run["counts"]["errors"])


# -- the archive fails, not the site ------------------------------------------------------------


def _mount(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *options], capture_output=True, text=True, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 400 KB tmpfs (root only): room for the archive's first records, not for all of them."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = _mount("-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mnt))
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs (needs root): {done.stderr.strip()}; the file-size-limit test covers it")
    try:
        yield mnt
    finally:
        if subprocess.run(["umount", str(mnt)], check=False).returncode:
            subprocess.run(["umount", "-l", str(mnt)], check=False)


def _check_stopped(result: Crawl, reasons: set[str]) -> str:
    """The crawl stopped at once, said so in one line, exited 1; returns its finish reason."""
    assert result.returncode == 1, result.log[-3000:]
    assert "Traceback" not in result.log
    errors = [line for line in result.log.splitlines() if "] ERROR:" in line]
    assert len(errors) == 1, errors
    reason = re.search(r"'finish_reason': '(\w+)'", result.log)
    assert reason and reason.group(1) in reasons, result.log[-2000:]
    assert f"error: crawl generic ended with {reason.group(1)}; " in result.log
    assert result.stat("archive/error") == 1
    return reason.group(1)


SMALL_BATCHES = ("ARCHIVE_COMMIT_ITEMS=2", "ARCHIVE_COMMIT_SECONDS=0")


def test_a_full_disk_stops_the_crawl_and_leaves_the_archive_whole(crawl: Crawler, small_disk: Path) -> None:
    archive = small_disk / "archive.db"
    # Small batches: with the default 50 the eight pages' WAL stays small enough to fit.
    result = crawl("clean", *SMALL_BATCHES, archive=archive)
    assert _check_stopped(result, {"archive_disk_full"})
    assert 0 < len(result.records) < DOCUMENTS
    assert_warcs_read_to_the_end(archive)
    # The run's end is logged when SQLite still finds room for one page; else the archive shows
    # it interrupted (its process is gone), and the crawl's own log says why.
    (run,) = _runs(archive)
    if run["finish_reason"] == "interrupted":
        assert "the run log could not record that run" in result.log
    else:
        assert (run["finish_reason"], run["counts"]["errors"]) == ("archive_disk_full", 1)
    # With room again, the next run stores the rest, appending after whole records only.
    assert _mount("-o", "remount,size=8m", str(small_disk)).returncode == 0
    again = crawl("clean", archive=archive)  # served on new ports: its pages are all new
    _check_common(again)
    assert set(again.site.expected_urls("clean")) <= set(again.records)
    assert_warcs_read_to_the_end(archive)


def test_a_file_size_limit_stops_the_crawl_the_same_way(crawl: Crawler, tmp_path: Path) -> None:
    # Any user can set RLIMIT_FSIZE: writes past it fail (EFBIG) as on a full disk.
    result = crawl("clean", *SMALL_BATCHES, file_limit=300_000)
    reason = _check_stopped(result, {"archive_disk_full", "archive_io_error"})
    assert len(result.records) < DOCUMENTS
    assert_warcs_read_to_the_end(result.archive)
    (run,) = _runs(result.archive)
    # As on a full disk: the run's end is logged only when the files find room for it.
    if run["finish_reason"] == "interrupted":
        assert "the run log could not record that run" in result.log
    else:
        assert run["finish_reason"] == reason


def test_a_damaged_archive_stops_the_crawl_before_it_fetches(crawl: Crawler, tmp_path: Path) -> None:
    first = crawl("clean")
    _check_common(first)
    # Zeroed from the near-duplicate signatures on, which the crawl reads as it opens the archive
    # (the middle of the file may hold only search-index pages, which it never reads).
    conn = sqlite3.connect(first.archive)
    pages = [n for (n,) in conn.execute("SELECT pageno FROM dbstat WHERE name = 'minhash' ORDER BY pageno")]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    size = first.archive.stat().st_size
    with first.archive.open("r+b") as fh:
        fh.seek((pages[0] - 1) * page_size)
        fh.write(bytes(min(32 * 1024, size // 2)))
    result = crawl("clean", "INCREMENTAL_ENABLED=False")
    _check_stopped(result, {"archive_damaged"})
    assert "damaged" in result.log and "restore" in result.log
    assert result.site.requests("clean") == []


def test_a_read_only_archive_is_refused_before_the_crawl(crawl: Crawler, small_disk: Path) -> None:
    archive = small_disk / "archive.db"
    assert _mount("-o", "remount,size=8m", str(small_disk)).returncode == 0
    _check_common(crawl("clean", archive=archive))
    assert _mount("-o", "remount,ro", str(small_disk)).returncode == 0
    result = crawl("clean", "INCREMENTAL_ENABLED=False", archive=archive)
    assert result.returncode == 2
    (line,) = result.log.strip().splitlines()
    assert line == f"error: bad setting ARCHIVE_URI='sqlite:///{archive}' ({archive} is not writable); " \
        "make it writable, or choose another path"
    assert result.site.requests("clean") == []


def _runs(archive: Path) -> list[dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, "-m", "archive", "runs", "--json", "--archive", f"sqlite:///{archive}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_a_crawl_killed_outright_shows_as_interrupted(tmp_path: Path) -> None:
    archive = tmp_path / "archive.db"
    with serve_faults(tmp_path, kinds=["hang"]) as site:
        command = [
            sys.executable, "-m", "scrapy", "crawl", "generic", "-a", f"start_urls={site.url('hang')}",
            "-s", f"ARCHIVE_URI=sqlite:///{archive}",
        ]
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # Killed while it waits for the page that never comes, its run started, never ended.
            for _ in range(300):
                if any(r.path.endswith("doc-hang.html") for r in site.requests("hang")):
                    break
                time.sleep(0.1)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            process.kill()
    (run,) = _runs(archive)
    assert run["finish_reason"] == "interrupted" and run["finished_at"] is None
    assert run["pid"] == process.pid


def test_the_run_is_logged_before_the_spider_opens(tmp_path: Path) -> None:
    from scrapy.utils.test import get_crawler

    from archive import open_archive
    from crawler.extensions import CrawlRunExtension
    from crawler.spiders.generic import GenericSpider

    uri = f"sqlite:///{tmp_path / 'archive.db'}"
    crawler = get_crawler(GenericSpider, {"ARCHIVE_URI": uri, "CRAWL_RUNS_ENABLED": True})
    extension = CrawlRunExtension.from_crawler(crawler)
    try:
        with open_archive(uri, create=False, near_dup=False) as archive:
            (run,) = archive.runs()
        # A kill from here on (pipelines opening, the archive migrating) still leaves this row.
        assert (run.run_id, run.spider, run.finished_at) == (extension.run_id, "generic", None)
    finally:
        extension._close()
