"""`ExtractionPool` with real worker processes: same results as in-process, and a lost worker
(crashed, stuck, killed while idle) costs at most its own page, never a hung crawl.

The pool reports to the thread that owns its Deferreds; here that is the test's own thread,
draining a queue, instead of a reactor.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from twisted.python.failure import Failure

from archive import Capture, open_archive
from crawler.extract import Extracted, extract_page
from crawler.sites import SITES
from crawler.workers import ExtractionFailed, ExtractionPool
from samples.serve import serve_site
from samples.synthetic import build_site
from tests.conftest import ROOT, load_cases, page_file
from tests.crawler.test_spiders import scrapy_crawl, stat

if TYPE_CHECKING:
    from collections.abc import Iterator

    from twisted.internet.defer import Deferred

    from crawler.extract import ExtractResult


def _crashy(body: bytes, url: str, page: dict[str, Any]) -> Any:
    """Dies on /crash, hangs on /hang, tells its pid otherwise (runs in a worker)."""
    if url.endswith("/crash"):
        os.kill(os.getpid(), signal.SIGKILL)
    if url.endswith("/hang"):
        time.sleep(60)
    return os.getpid()


class Harness:
    """A pool whose results are handed to this thread, and a way to wait for one."""

    def __init__(self, **kwargs: Any) -> None:
        self.calls: queue.Queue[tuple[Any, tuple[Any, ...]]] = queue.Queue()
        self.pool = ExtractionPool(
            SITES["baina"], {}, call_from_thread=lambda f, *a: self.calls.put((f, a)), **kwargs
        )

    def result(self, deferred: Deferred[Any], timeout: float = 30) -> Any:
        outcome: list[Any] = []
        deferred.addBoth(outcome.append)
        deadline = time.monotonic() + timeout
        while not outcome:
            function, args = self.calls.get(timeout=max(0.01, deadline - time.monotonic()))
            function(*args)
        if isinstance(outcome[0], Failure):
            outcome[0].raiseException()
        return outcome[0]

    def extract(self, url: str) -> Any:
        return self.result(self.pool.extract(b"", url))


@pytest.fixture
def crashy() -> Iterator[Harness]:
    harness = Harness(workers=2, timeout=2, function=_crashy)
    yield harness
    harness.pool.close()


def test_pages_extracted_in_workers_equal_in_process_extraction() -> None:
    harness = Harness(workers=2, timeout=30)
    try:
        cases = [case for case in load_cases() if not case.skip][:12]
        assert cases
        pending = []
        for case in cases:
            body = page_file(case.site, case.path).read_bytes()
            pending.append((case, body, harness.pool.extract(body, "http://127.0.0.1" + case.path)))
        results: list[ExtractResult] = []
        for case, body, deferred in pending:
            result, capture = harness.result(deferred)
            assert capture is None, "no capture was sent"
            results.append(result)
            # The pool's profile is baina's: compare with the same call in this process.
            assert results[-1] == extract_page(body, "http://127.0.0.1" + case.path, SITES["baina"]), case.path
        assert any(isinstance(result, Extracted) for result in results)
    finally:
        harness.pool.close()


def test_a_document_page_comes_back_with_its_warc_records_packed(tmp_path: Path) -> None:
    case = next(c for c in load_cases() if c.site == "baina" and c.records and not c.skip)
    url = "http://127.0.0.1" + case.path
    body = page_file(case.site, case.path).read_bytes()
    sent = Capture(url=url, status=200, headers=[("Content-Type", "text/html")], body=body,
                   fetched_at="2026-12-02T10:00:00Z", request_headers=[("User-Agent", "t")])
    harness = Harness(workers=1, timeout=30)
    try:
        result, capture = harness.result(harness.pool.extract(body, url, capture=sent))
        listing, unpacked = harness.result(harness.pool.extract(b"<html><body><p>x</p></body></html>",
                                                                 "http://127.0.0.1/", capture=sent))
    finally:
        harness.pool.close()
    assert isinstance(result, Extracted) and capture == sent and capture.packed is not None
    assert not isinstance(listing, Extracted) and unpacked is not None and unpacked.packed is None
    # What the worker packed is what the archive writes, and reads back as the capture sent.
    with open_archive(f"sqlite:///{tmp_path / 'a.db'}") as archive:
        added = archive.add(result.documents[0].record_fields(), [capture])
        assert archive.captures(added.record.id) == [sent]


def test_a_crashing_page_fails_alone_and_its_worker_is_replaced(crashy: Harness) -> None:
    before = crashy.extract("http://h/1")
    with pytest.raises(ExtractionFailed) as failed:
        crashy.extract("http://h/crash")
    assert failed.value.kind == "crashed"
    after = {crashy.extract(f"http://h/{n}") for n in range(20)}
    assert after and all(isinstance(pid, int) for pid in after)
    assert before != os.getpid()


def test_a_stuck_page_times_out_and_the_pool_goes_on(crashy: Harness) -> None:
    started = time.monotonic()
    with pytest.raises(ExtractionFailed) as failed:
        crashy.extract("http://h/hang")
    assert failed.value.kind == "timeout"
    assert time.monotonic() - started < 30, "the stuck worker was not stopped"
    assert isinstance(crashy.extract("http://h/2"), int)


def test_a_worker_killed_while_idle_costs_no_page(crashy: Harness) -> None:
    # pebble stops its whole pool when an idle worker dies; the pool starts a fresh one.
    pids = {crashy.extract(f"http://h/{n}") for n in range(10)}
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    assert isinstance(crashy.extract("http://h/after"), int)


class _Unloadable:
    """A profile no worker can unpickle: every worker dies as it starts."""

    def __reduce__(self) -> Any:
        return (_refuse, ())


def _refuse() -> None:
    raise RuntimeError("this object cannot be loaded in a worker")


def test_workers_that_cannot_start_fail_as_broken_not_a_hang() -> None:
    harness = Harness(workers=1, timeout=5, function=_crashy)
    harness.pool._initargs = (_Unloadable(), {})  # type: ignore[assignment]
    harness.pool._pool.stop()  # type: ignore[no-untyped-call]
    harness.pool._pool = harness.pool._new_pool()
    try:
        with pytest.raises(ExtractionFailed) as failed:
            harness.result(harness.pool.extract(b"", "http://h/1"), timeout=60)
        assert failed.value.kind == "broken"
    finally:
        harness.pool.close()


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        ExtractionPool(SITES["baina"], {}, workers=0, timeout=1)


# --- Through the real engine ------------------------------------------------------------------


def _records(archive: Path) -> list[dict[str, Any]]:
    with open_archive(f"sqlite:///{archive}", create=False, near_dup=False) as store:
        rows = [record.to_dict() for record in store.iter_records()]
    for row in rows:
        row.pop("crawled_at")
    return sorted(rows, key=lambda row: row["url"])


@pytest.mark.slow
@pytest.mark.parametrize("site", ["baina", "juyou", "huiwen"])
def test_a_crawl_with_workers_stores_what_an_in_process_crawl_stores(
    site: str, sample_sites: dict[str, str], tmp_path: Path
) -> None:
    stored = {}
    for workers in ("2", "0"):
        folder = tmp_path / workers
        folder.mkdir()
        _, log = scrapy_crawl(site, sample_sites[site] + "/", folder, f"EXTRACT_WORKERS={workers}")
        assert stat(log, "extract/documents") > 0, log[-2000:]
        stored[workers] = _records(folder / "archive.db")
    assert stored["2"] == stored["0"]


def _descendants(pid: int) -> list[int]:
    children = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return children + [grandchild for child in children for grandchild in _descendants(child)]


def _worker_pids(crawl: int) -> list[int]:
    # The crawl's fork server's children; the server itself is a child of the crawl process.
    found = []
    for pid in _descendants(crawl):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
        if b"forkserver" in cmdline and parent != crawl:
            found.append(pid)
    return found


@pytest.mark.slow
def test_a_worker_killed_mid_crawl_costs_at_most_its_page(tmp_path: Path) -> None:
    root = tmp_path / "site"
    documents = 300
    build_site(root, documents)
    server, base = serve_site(root)
    archive = tmp_path / "archive.db"
    try:
        args = [sys.executable, "-m", "scrapy", "crawl", "baina", "-a", f"start_urls={base}/",
                "-s", f"ARCHIVE_URI=sqlite:///{archive}", "-s", "AUTOTHROTTLE_ENABLED=False",
                "-s", "DOWNLOAD_DELAY=0", "-s", "EXTRACT_WORKERS=2", "-s", "LOG_LEVEL=INFO",
                # A short timeout: a page the pool never answers for fails after 2x it + 30 s.
                "-s", "EXTRACT_TIMEOUT=5"]
        crawl = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        killed = []
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline and crawl.poll() is None:
            workers = _worker_pids(crawl.pid)
            if len(workers) == 2:
                os.kill(workers[0], signal.SIGKILL)
                killed.append(workers[0])
            time.sleep(0.05)
        _, log = crawl.communicate(timeout=180)
        assert killed, "no worker process was found to kill"
        assert crawl.returncode in (0, 1), log[-3000:]
        lost = stat(log, "extract/failed/crashed")
        # The log's tail goes with a failure: this test failed once in CI (0 of 300 records)
        # and never since, in isolation or under load; the stats will say what happened.
        assert len(_records(archive)) == documents - lost, f"killed {killed}:\n{log[-3000:]}"
        assert lost <= 1, log[-3000:]
        # The lost page is not in the archive, so the next run fetches it.
        again = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=180)
        assert again.returncode == 0, again.stderr[-3000:]
        assert len(_records(archive)) == documents
    finally:
        server.shutdown()
        server.server_close()
