"""A running crawl says how far it is: progress lines, live counts in the run log, a stats file.

The crawls run as real subprocesses (`scrapy crawl`, `python -m crawler crawl-all`) against a
synthetic site served on 127.0.0.1 whose every page is answered late, so that a crawl lasts a
few seconds and PROGRESS_INTERVAL (set small) fires in the middle of it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from datetime import datetime
from http.server import ThreadingHTTPServer
from threading import Thread
from typing import TYPE_CHECKING

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from archive import open_archive
from crawler.extensions import ProgressExtension, progress_line, stats_file_path, write_json_atomically
from samples.serve import _make_handler, load_site_config
from samples.synthetic import build_site
from tests.conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

DOCUMENTS = 24
PAGE_SECONDS = 0.25
POLITE_OFF = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
PROGRESS = re.compile(r"baina: (\d+) pages fetched \((\d+) pages/min\), (\d+) records stored, (\d+) errors")


@pytest.fixture(scope="module")
def slowed_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A synthetic baina site of DOCUMENTS documents, each page sent after PAGE_SECONDS: its base URL."""
    root = tmp_path_factory.mktemp("slowed-site")
    build_site(root, DOCUMENTS)
    served = _make_handler(root, load_site_config(root))

    class Slowed(served):  # type: ignore[misc, valid-type]
        def do_GET(self) -> None:
            if self.path != "/robots.txt":
                time.sleep(PAGE_SECONDS)
            super().do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slowed)
    server.daemon_threads = True
    Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def scrapy_crawl(base: str, tmp_path: Path, *settings: str) -> list[str]:
    return [sys.executable, "-m", "scrapy", "crawl", "baina", "-a", f"start_urls={base}/",
            "-s", f"ARCHIVE_URI=sqlite:///{tmp_path / 'a.db'}", *POLITE_OFF, *settings]


# --- the parts, without a crawl ------------------------------------------------------------------


def test_the_progress_line_counts_pages_records_errors_and_the_rate() -> None:
    stats = {"downloader/response_count": 30, "archive/new": 10, "archive/changed": 1, "archive/duplicate": 2,
             "archive/unchanged": 5, "crawl/page_error": 1, "spider_exceptions/count": 1}
    assert progress_line("baina", stats, 10, 30.0) == (
        "baina: 30 pages fetched (40 pages/min), 13 records stored, 2 errors"
    )


def test_progress_interval_0_turns_the_lines_off() -> None:
    crawler = get_crawler(settings_dict={"PROGRESS_INTERVAL": 0})
    with pytest.raises(NotConfigured):
        build_from_crawler(ProgressExtension, crawler)


def test_the_stats_file_is_json_with_iso_datetimes_and_appears_whole(tmp_path: Path) -> None:
    target = stats_file_path(str(tmp_path / "stats" / "{spider}.json"), "baina")
    assert target == tmp_path / "stats" / "baina.json"
    write_json_atomically(target, {"finish_reason": "finished", "start_time": datetime(2026, 12, 1, 3, 17)})
    assert json.loads(target.read_text(encoding="utf-8")) == {
        "finish_reason": "finished", "start_time": "2026-12-01T03:17:00"
    }
    assert [p.name for p in target.parent.iterdir()] == ["baina.json"]  # no temporary file left


# --- through the real engine ---------------------------------------------------------------------


@pytest.mark.slow
def test_progress_lines_and_the_stats_file_of_scrapy_crawl(slowed_site: str, tmp_path: Path) -> None:
    stats_file = tmp_path / "out" / "{spider}-stats.json"
    command = scrapy_crawl(slowed_site, tmp_path, "-s", "PROGRESS_INTERVAL=0.5", "-s", f"STATS_FILE={stats_file}")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [tuple(map(int, m.groups())) for m in PROGRESS.finditer(done.stderr)]
    assert len(lines) >= 3, done.stderr[-3000:]
    assert any(0 < pages and rate > 0 and stored > 0 for pages, rate, stored, _ in lines), lines
    assert [line[0] for line in lines] == sorted(line[0] for line in lines)  # counts only grow
    assert "Crawled 0 pages" not in done.stderr, "Scrapy's LogStats is replaced, not doubled"
    stats = json.loads((tmp_path / "out" / "baina-stats.json").read_text(encoding="utf-8"))
    assert stats["finish_reason"] == "finished"
    assert datetime.fromisoformat(stats["start_time"]) < datetime.fromisoformat(stats["finish_time"])
    assert stats["archive/new"] == DOCUMENTS
    assert stats["run/id"]


@pytest.mark.slow
def test_the_run_log_shows_a_running_crawl_with_its_counts(slowed_site: str, tmp_path: Path) -> None:
    command = scrapy_crawl(slowed_site, tmp_path, "-s", "PROGRESS_INTERVAL=0.5")
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    live: list[dict[str, int]] = []
    try:
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if (tmp_path / "a.db").exists():
                with open_archive(f"sqlite:///{tmp_path / 'a.db'}", create=False, near_dup=False) as archive:
                    runs = archive.runs()
                if runs and runs[0].finish_reason is None and runs[0].counts.get("pages"):
                    live.append(dict(runs[0].counts))
            time.sleep(0.2)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err[-3000:]
    assert live, "no update of the run's counts was seen while it ran"
    assert any(counts["new"] > 0 for counts in live), live
    assert live[0]["pages"] < DOCUMENTS, "the first counts seen were those of a crawl under way"
    with open_archive(f"sqlite:///{tmp_path / 'a.db'}", create=False, near_dup=False) as archive:
        final = archive.runs()[0]
    assert final.finish_reason == "finished"
    assert final.counts["new"] == DOCUMENTS
    assert final.counts["pages"] >= max(counts["pages"] for counts in live)


@pytest.mark.slow
def test_crawl_all_logs_info_with_progress_and_writes_a_stats_file_per_spider(
    slowed_site: str, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "crawler", "crawl-all", "--start-urls", f"baina={slowed_site}/",
               "-s", f"ARCHIVE_URI=sqlite:///{tmp_path / 'a.db'}", *POLITE_OFF, "-s", "PROGRESS_INTERVAL=0.5",
               "-s", f"STATS_FILE={tmp_path / '{spider}.json'}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    debug = [line for line in done.stderr.splitlines() if re.search(r"\] DEBUG: ", line)]
    assert debug == [], debug[:5]
    assert " INFO: " in done.stderr
    assert PROGRESS.search(done.stderr), done.stderr[-3000:]
    assert json.loads((tmp_path / "baina.json").read_text(encoding="utf-8"))["finish_reason"] == "finished"


@pytest.mark.slow
def test_crawl_all_log_level_debug_is_still_possible(slowed_site: str, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "crawler", "crawl-all", "--start-urls", f"baina={slowed_site}/",
               "-s", f"ARCHIVE_URI=sqlite:///{tmp_path / 'a.db'}", *POLITE_OFF, "--log-level", "debug",
               "-s", "CLOSESPIDER_PAGECOUNT=3"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"\] DEBUG: Crawled \(200\)", done.stderr), done.stderr[-3000:]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{tmp}/a-file/stats.json", "is a file, so"),
        ("{tmp}/", "names a folder"),
    ],
)
def test_a_bad_stats_file_is_one_line_before_the_crawl(value: str, message: str, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    path = value.format(tmp=tmp_path)
    for command in (
        [sys.executable, "-m", "scrapy", "crawl", "baina", "-a", "start_urls=http://127.0.0.1:9/",
         "-s", f"STATS_FILE={path}", "-s", f"ARCHIVE_URI=sqlite:///{tmp_path / 'a.db'}"],
        [sys.executable, "-m", "crawler", "crawl-all", "--start-urls", "baina=http://127.0.0.1:9/",
         "-s", f"STATS_FILE={path}", "-s", f"ARCHIVE_URI=sqlite:///{tmp_path / 'a.db'}"],
    ):
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr[-2000:]
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "STATS_FILE" in errors[0] and message in errors[0], done.stderr[-2000:]
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "a.db").exists(), "nothing is written before the check"


def test_crawl_all_of_several_sites_needs_spider_in_the_stats_file(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "crawler", "crawl-all", "--start-urls", "baina=http://127.0.0.1:9/",
               "--start-urls", "juyou=http://127.0.0.1:9/", "-s", f"STATS_FILE={tmp_path / 'stats.json'}",
               "-s", f"ARCHIVE_URI=sqlite:///{tmp_path / 'a.db'}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "put {spider} in it" in done.stderr
