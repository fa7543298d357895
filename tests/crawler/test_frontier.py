"""The shared frontier on a real redis-server: workers of one run, a SIGKILLed worker, a re-run,
and per-host limits held across workers, measured from the served site's request log.

Every worker is its own `python -m scrapy crawl baina` process, run with deprecation warnings
turned into errors (Scrapy's and Python's): scrapy-redis as adapted here must not rely on any.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from archive import ArchiveNotFound, open_archive
from crawler.checks import check_settings
from crawler.frontier import missing_driver
from samples.serve import _make_handler, load_site_config
from samples.synthetic import build_site
from tests.conftest import ROOT
from tests.servers import redis_server, running_redis

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

__all__ = ["redis_server"]  # the fixture, imported for this module's tests

DOCUMENTS = 60
# The scheduler and the workers need the drivers; the settings checks do not.
needs_drivers = pytest.mark.skipif(
    missing_driver() is not None, reason=f'{missing_driver()} is not installed (pip install -e ".[distributed]")'
)
DOCUMENT_PATH = re.compile(r"^/fanwen/\d+\.html$")


class LoggedSite:
    """A synthetic 百纳-style site on 127.0.0.1 that logs (start, end, path) of every request.

    `latency` seconds pass inside each request, so that requests sent together overlap. While
    `open` is clear, requests wait (up to a minute) before they are answered.
    """

    def __init__(self, root: Path, documents: int, latency: float, host: str = "127.0.0.1") -> None:
        build_site(root, documents)
        handler_cls: Any = _make_handler(root, load_site_config(root))
        self.log: list[tuple[float, float, str]] = []
        self.open = threading.Event()
        self.open.set()
        lock = threading.Lock()
        log, is_open = self.log, self.open

        class Handler(handler_cls):  # type: ignore[misc, valid-type]
            def _handle(self, head: bool) -> None:
                is_open.wait(60)
                start = time.time()
                time.sleep(latency)
                super()._handle(head)
                with lock:
                    log.append((start, time.time(), self.path))

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://{host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def since(self, mark: int) -> list[tuple[float, float, str]]:
        return sorted(self.log[mark:])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoggedSite]:
    served = LoggedSite(tmp_path_factory.mktemp("frontier-site"), DOCUMENTS, latency=0.03)
    try:
        yield served
    finally:
        served.close()


def start_together(site: LoggedSite, frontier: str, count: int, start: Callable[[], list[Any]]) -> list[Any]:
    """Start workers with the site held shut until `count` of them have joined one run.

    A worker starts in 1-3 s (more on a loaded machine): without this, the first could finish
    a small site before the last one joins.
    """
    import redis

    server = redis.Redis.from_url(frontier)
    site.open.clear()
    try:
        processes = start()
        deadline = time.monotonic() + 60
        while max((server.hlen(key) for key in server.keys("fanwen:frontier:*:workers")), default=0) < count:
            assert all(p.poll() is None for p in processes), "a worker ended before the others joined"
            assert time.monotonic() < deadline, "the workers did not join one run"
            time.sleep(0.05)
    finally:
        site.open.set()
    return processes


def archive_uri(archive: Path | str) -> str:
    """The URI of an archive: a SQLite file's path, or any archive URI (postgresql://...) as it is."""
    return archive if isinstance(archive, str) else f"sqlite:///{archive}"


def worker(base: str, archive: Path | str, frontier: str, log: Path, *settings: str) -> subprocess.Popen[bytes]:
    """Start one worker process of the crawl of `base`; its log (INFO, with stats) goes to `log`.

    `archive`: a SQLite file, or an archive URI (its environment is this process's: a
    PostgreSQL archive's `ARCHIVE_WARC_DIR` included).
    """
    args = [sys.executable, "-W", "error::DeprecationWarning",
            "-W", "error::scrapy.exceptions.ScrapyDeprecationWarning",
            "-m", "scrapy", "crawl", "baina", "-a", f"start_urls={base}/",
            "-s", f"ARCHIVE_URI={archive_uri(archive)}", "-s", f"FRONTIER_URI={frontier}",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "EXTRACT_WORKERS=0", "-s", "FRONTIER_HEARTBEAT=2",
            "-s", "LOG_LEVEL=INFO"]
    for setting in settings:
        args += ["-s", setting]
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("wb"))


def finish(processes: list[subprocess.Popen[bytes]], logs: list[Path], timeout: float = 90) -> list[dict[str, Any]]:
    """Wait for the workers; assert each ended 0 with no warning turned error; their final stats."""
    stats = []
    for process, log in zip(processes, logs, strict=True):
        process.wait(timeout=timeout)
        text = log.read_text(encoding="utf-8", errors="replace")
        assert process.returncode == 0, text[-3000:]
        assert "DeprecationWarning" not in text, text[-3000:]
        stats.append(final_stats(text))
    return stats


def final_stats(text: str) -> dict[str, Any]:
    """The integer stats Scrapy dumps as the spider closes."""
    dump = text[text.rfind("Dumping Scrapy stats:"):]
    return {key: int(value) for key, value in re.findall(r"'([\w/.-]+)': (\d+),?\n", dump)}


def archived(archive: Path | str) -> list[str]:
    try:
        with open_archive(archive_uri(archive), create=False, near_dup=False) as store:
            return [r.url for r in store.iter_records()]
    except ArchiveNotFound:
        return []


def documents_fetched(log: list[tuple[float, float, str]]) -> list[str]:
    return [path for _, _, path in log if DOCUMENT_PATH.match(path)]


def frontier_keys(frontier: str) -> list[bytes]:
    """The frontier's keys left in Redis for good (host grants and heartbeats expire by themselves)."""
    import redis

    server = redis.Redis.from_url(frontier)
    hosts = server.keys("fanwen:frontier:host:*")
    assert all(server.pttl(key) > 0 for key in hosts), "every host grant has a lease"
    return sorted(key for key in server.keys("fanwen:frontier:*") if server.pttl(key) == -1)


# --- settings -----------------------------------------------------------------------------------


def test_a_missing_driver_is_one_line_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from scrapy.settings import Settings

    import crawler.frontier

    monkeypatch.setattr(crawler.frontier, "DRIVERS", {"no_such_module_for_the_test": "scrapy-redis"})
    with pytest.raises(ValueError, match=r"scrapy-redis is not installed\); pip install -e \"\.\[distributed\]\"$"):
        check_settings(Settings({"FRONTIER_URI": "redis://127.0.0.1:6379/0"}))
    with pytest.raises(ValueError, match="not a Redis URI"):
        check_settings(Settings({"FRONTIER_URI": "http://127.0.0.1/"}))
    check_settings(Settings({"FRONTIER_URI": ""}))


def test_the_cli_refuses_a_bad_frontier_before_crawling(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crawler", "crawl-all", "--start-urls", "baina=http://127.0.0.1:9/",
         "--frontier", "http://not-redis/", "-s", f"ARCHIVE_URI=sqlite:///{tmp_path / 'a.db'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: bad setting FRONTIER_URI='http://not-redis/'")
    assert not (tmp_path / "a.db").exists()


@needs_drivers
def test_the_addon_puts_the_scheduler_and_the_host_gate_in_place(redis_server: str, tmp_path: Path) -> None:
    from crawler.addons import CassetteAddon, FrontierAddon
    from crawler.runner import project_settings

    def settings(**extra: Any) -> Any:
        # What Scrapy's AddonManager does with settings.ADDONS, in their order.
        values = project_settings(extra)
        for addon in (CassetteAddon(), FrontierAddon()):
            addon.update_settings(values)
        return values

    plain = settings()
    assert plain["SCHEDULER"] == "crawler.scheduler.KillSafeScheduler"
    assert not plain.getdict("DOWNLOAD_HANDLERS")
    shared = settings(FRONTIER_URI=redis_server)
    assert settings(FRONTIER_URI=redis_server, SCHEDULER="my.Scheduler")["SCHEDULER"] == "my.Scheduler"
    assert shared["SCHEDULER"] == "crawler.frontier.scheduler.FrontierScheduler"
    assert shared.getdict("DOWNLOAD_HANDLERS") == dict.fromkeys(("http", "https"),
                                                                "crawler.frontier.hosts.FrontierDownloadHandler")
    assert shared.getdict("FRONTIER_WRAPPED_HANDLERS")["https"].endswith("HTTP11DownloadHandler")
    replay = settings(FRONTIER_URI=redis_server, CASSETTE_PATH=str(tmp_path / "c.yaml"))
    assert replay.getdict("FRONTIER_WRAPPED_HANDLERS")["http"] == "crawler.cassette.CassetteDownloadHandler"
    unshared = settings(FRONTIER_URI=redis_server, FRONTIER_HOST_LIMITS=False)
    assert not unshared.getdict("DOWNLOAD_HANDLERS")


@needs_drivers
def test_an_unreachable_frontier_is_one_line() -> None:
    from crawler.frontier.scheduler import connect
    from tests.servers import free_port

    uri = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(RuntimeError, match=r"^cannot reach the frontier at FRONTIER_URI=redis://127\.0\.0\.1:\d+/0 \("):
        connect(uri)
    from scrapy.settings import Settings

    with pytest.raises(ValueError, match=r"\(no Redis answers there: .*\); start Redis there or pass another"):
        check_settings(Settings({"FRONTIER_URI": uri}))


# --- the run in Redis, without Scrapy -------------------------------------------------------------


@needs_drivers
def test_a_dead_workers_requests_go_back_and_the_run_ends_when_nobody_has_work(redis_server: str) -> None:
    import redis

    from crawler.frontier.run import RunFrontier

    server = redis.Redis.from_url(redis_server)
    crawl = "test:frontier:unit"
    a = RunFrontier(server, crawl, heartbeat=0.3)
    b = RunFrontier(server, crawl, heartbeat=30)
    first = a.join()
    assert first.created
    assert b.join().run == first.run and not b.join().created
    for number, priority in ((1, 0), (2, 0), (3, 1)):
        a.push(b"request-%d" % number, priority)
    popped = [a.pop(), a.pop()]
    assert [RunFrontier.payload(m) for m in popped if m] == [b"request-3", b"request-1"], "priority, then order"
    assert a.in_flight() == 2 and a.queued() == 1
    a.ack(popped[:1])
    assert a.in_flight() == 1
    assert b.idle() == ("work", 0), "a request is queued"
    assert b.pop() is not None and b.pop() is None
    b.ack(m for m in [])  # nothing
    assert b.idle()[0] == "busy", "a has a request in flight, b still one"
    time.sleep(0.4)  # a's heartbeat lapses: it was SIGKILLed
    state, requeued = b.idle()
    assert (state, requeued) == ("work", 1)
    member = b.pop()
    assert member is not None and RunFrontier.payload(member) == b"request-1"
    assert b.idle()[0] == "busy", "b's own two requests are in flight"
    b.ack([member])
    b.ack(server.hkeys(b.key(f"inflight:{b.worker}")))
    assert b.idle() == ("ended", 0)
    assert server.keys(f"{crawl}:*") == []
    again = RunFrontier(server, crawl, heartbeat=30).join()
    assert again.created and again.run != first.run, "the next start gets fresh keys"


@needs_drivers
def test_the_host_gate_shares_concurrency_and_the_gap(redis_server: str) -> None:
    import redis

    from crawler.frontier.hosts import HostGate

    server = redis.Redis.from_url(redis_server)
    a = HostGate(server, "test:gate", lease=30)
    b = HostGate(server, "test:gate", lease=30)
    first, _ = a.try_grant("h", concurrency=2, delay=0)
    second, _ = b.try_grant("h", concurrency=2, delay=0)
    assert first and second and first != second
    assert b.try_grant("h", concurrency=2, delay=0)[0] is None, "both of h's slots are held"
    assert a.try_grant("other", concurrency=2, delay=0)[0] is not None, "hosts are apart"
    a.release(first)
    third, _ = b.try_grant("h", concurrency=2, delay=0.3)
    assert third is not None
    b.release(third)
    b.release(second)
    grant, wait = a.try_grant("h", concurrency=2, delay=0.3)
    assert grant is None and 0.2 < wait <= 0.3, "the delay is the gap key's TTL"
    time.sleep(wait + 0.01)
    grant, _ = a.try_grant("h", concurrency=2, delay=0)
    assert grant is not None
    a.release(grant)
    a.hold("h", 0.5)  # a 429: every worker waits
    assert 0.4 < b.try_grant("h", concurrency=2, delay=0)[1] <= 0.5
    server.delete(*server.keys("test:gate:*"))


# --- workers through the real engine --------------------------------------------------------------


@pytest.fixture(scope="module")
def three_workers(
    site: LoggedSite, redis_server: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("three-workers")
    archive = folder / "a.db"
    mark = len(site.log)
    logs = [folder / f"worker-{n}.log" for n in range(3)]
    started = time.monotonic()
    calls = redis_calls(redis_server)
    processes = start_together(
        site, redis_server, 3,
        lambda: [worker(site.base, archive, redis_server, log, "DOWNLOAD_DELAY=0.08") for log in logs],
    )
    stats = finish(processes, logs)
    return {"archive": archive, "stats": stats, "log": site.since(mark), "seconds": time.monotonic() - started,
            "redis_calls": redis_calls(redis_server) - calls}


def redis_calls(frontier: str) -> int:
    """Commands the Redis server has run (a Lua script counts as one, plus the calls it makes)."""
    import redis

    stats = redis.Redis.from_url(frontier).info("commandstats")
    return sum(int(entry["calls"]) for entry in stats.values())


@pytest.mark.slow
@needs_drivers
def test_three_workers_archive_every_document_once_and_share_the_work(
    three_workers: dict[str, Any], redis_server: str
) -> None:
    urls = archived(three_workers["archive"])
    assert len(urls) == DOCUMENTS
    assert len(set(urls)) == len(urls), "no document stored twice"
    fetched = documents_fetched(three_workers["log"])
    assert sorted(fetched) == sorted(set(fetched)), "no document page downloaded twice"
    responses = [s.get("downloader/response_count", 0) for s in three_workers["stats"]]
    items = [s.get("item_scraped_count", 0) for s in three_workers["stats"]]
    assert all(n > 1 for n in responses), f"each worker did part of the work: {responses}"
    assert sum(items) == DOCUMENTS, items
    assert all(s.get("frontier/dequeued", 0) == s.get("frontier/acked", 0) for s in three_workers["stats"])
    assert frontier_keys(redis_server) == [], "the run ended and its keys went"
    # The run log: one run per worker, tied to the frontier run, and a row with their sum.
    def runs(*extra: str) -> str:
        command = [sys.executable, "-m", "archive", "runs", "--archive", str(three_workers["archive"]), *extra]
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True).stdout

    logged = [json.loads(line) for line in runs("--json").splitlines()]
    assert len(logged) == 3 and len({run["counts"]["worker"] for run in logged}) == 3, logged
    (frontier_run,) = {run["counts"]["frontier_run"] for run in logged}
    assert sorted(run["counts"]["pages"] for run in logged) == sorted(responses)
    table = runs()
    total = next(line.split() for line in table.splitlines() if line.startswith(frontier_run))
    # frontier run, spider, workers, started, running, pages, new
    assert (total[2], total[4], int(total[5]), int(total[6])) == ("3", "0", sum(responses), DOCUMENTS), table
    print(f"three workers: responses {responses}, items {items}, {three_workers['seconds']:.1f} s, "
          f"{three_workers['redis_calls'] / sum(responses):.0f} Redis commands a response")


@pytest.mark.slow
@needs_drivers
def test_a_second_run_reads_the_list_pages_again_and_skips_fresh_documents(
    three_workers: dict[str, Any], site: LoggedSite, redis_server: str, tmp_path: Path
) -> None:
    mark = len(site.log)
    logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
    processes = [worker(site.base, three_workers["archive"], redis_server, log) for log in logs]
    stats = finish(processes, logs)
    log = site.since(mark)
    fetched = documents_fetched(log)
    assert len(fetched) <= 0.05 * DOCUMENTS, f"{len(fetched)} of {DOCUMENTS} document pages downloaded again"
    assert any(path.startswith("/zhuanti/jianghuagao/") for _, _, path in log), "a new run: list pages read again"
    assert sum(s.get("incremental/skipped_fresh", 0) for s in stats) >= DOCUMENTS - len(fetched)
    assert len(archived(three_workers["archive"])) == DOCUMENTS
    print(f"second run: {len(fetched)} of {DOCUMENTS} document pages, {len(log)} requests in all: "
          f"{', '.join(sorted(path for _, _, path in log))}")


WORKER_ID = re.compile(r"frontier: (?:started|joined) run (\S+) of (\S+) as worker (\S+)")


@pytest.mark.slow
@needs_drivers
def test_a_worker_killed_mid_run_loses_nothing(site: LoggedSite, redis_server: str, tmp_path: Path) -> None:
    import redis

    archive = tmp_path / "a.db"
    logs = [tmp_path / f"worker-{n}.log" for n in range(3)]
    slow = ("DOWNLOAD_DELAY=0.1",)
    victim = worker(site.base, archive, redis_server, logs[0], *slow)
    survivor = worker(site.base, archive, redis_server, logs[1], *slow)
    deadline = time.monotonic() + 60
    while len(archived(archive)) < DOCUMENTS // 4 or not WORKER_ID.search(logs[0].read_text()):
        assert victim.poll() is None, "the crawl ended before the kill"
        assert time.monotonic() < deadline
        time.sleep(0.1)
    run, crawl, victim_id = WORKER_ID.findall(logs[0].read_text())[0]
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    server = redis.Redis.from_url(redis_server)
    held = server.hlen(f"{crawl}:{run}:inflight:{victim_id}")
    killed_at = len(archived(archive))
    assert killed_at < DOCUMENTS, "killed mid-run"
    # Its successor, started on the same command, joins the same run.
    successor = worker(site.base, archive, redis_server, logs[2], *slow)
    stats = finish([survivor, successor], logs[1:])
    urls = archived(archive)
    assert sorted(urls) == sorted(set(urls)), "no document stored twice"
    assert len(urls) == DOCUMENTS, f"{DOCUMENTS - len(urls)} documents lost"
    assert sum(s.get("frontier/requeued", 0) for s in stats) == held
    assert frontier_keys(redis_server) == []
    print(f"SIGKILL: killed with {killed_at} records archived and {held} requests in flight; "
          f"{len(urls)} records at the end")


@pytest.mark.slow
@needs_drivers
def test_redis_lost_mid_run_stops_nobody_for_good_and_stores_nothing_twice(site: LoggedSite, tmp_path: Path) -> None:
    archive = tmp_path / "a.db"
    logs = [tmp_path / f"worker-{n}.log" for n in range(3)]
    (tmp_path / "redis-1").mkdir()
    (tmp_path / "redis-2").mkdir()
    with running_redis(tmp_path / "redis-1") as (server, uri):
        port = int(uri.rsplit(":", 1)[1].split("/")[0])
        workers = [worker(site.base, archive, uri, log, "DOWNLOAD_DELAY=0.1") for log in logs[:2]]
        deadline = time.monotonic() + 60
        while len(archived(archive)) < DOCUMENTS // 4:
            assert all(w.poll() is None for w in workers), "the crawl ended before Redis went"
            assert time.monotonic() < deadline
            time.sleep(0.1)
        server.kill()  # Redis gone, with the run (no persistence)
        server.wait()
        lost_at = len(archived(archive))
        time.sleep(2)  # the workers meet a Redis that does not answer
        assert all(w.poll() is None for w in workers), "no worker gives up while Redis is away"
    with running_redis(tmp_path / "redis-2", port) as (_, uri):
        finish(workers, logs[:2])  # Redis is back, empty: they finish what they hold and close
        after = archived(archive)
        assert sorted(after) == sorted(set(after)), "no document stored twice"
        finish([worker(site.base, archive, uri, logs[2])], logs[2:])  # the next run
        urls = archived(archive)
        assert len(urls) == DOCUMENTS and len(set(urls)) == DOCUMENTS
        assert frontier_keys(uri) == []
    print(f"Redis lost: {lost_at} records when it went, {len(after)} when its workers closed, "
          f"{len(urls)} after the next run")


def max_overlap(log: list[tuple[float, float, str]]) -> int:
    events = sorted([(start, 1) for start, _, _ in log] + [(end, -1) for _, end, _ in log])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


@pytest.mark.slow
@needs_drivers
def test_two_workers_keep_one_hosts_limits(redis_server: str, tmp_path: Path) -> None:
    # A host of its own: grants are per host name, as Scrapy's slots are, and the SIGKILLed
    # worker above may still hold a lease on 127.0.0.1.
    site = LoggedSite(tmp_path / "site", 30, latency=0.2, host="127.0.0.2")
    try:
        logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
        limits = ("CONCURRENT_REQUESTS_PER_DOMAIN=2", "DOWNLOAD_DELAY=0.1")
        processes = start_together(
            site, redis_server, 2,
            lambda: [worker(site.base, tmp_path / "a.db", redis_server, log, *limits) for log in logs],
        )
        stats = finish(processes, logs)
        log = site.since(0)
    finally:
        site.close()
    responses = [s.get("downloader/response_count", 0) for s in stats]
    assert all(n > 1 for n in responses), f"both workers fetched: {responses}"
    peak, gap, busiest, rate = limits_seen(log)
    assert peak <= 2, "CONCURRENT_REQUESTS_PER_DOMAIN=2 across both workers"
    # One process's own floor: Scrapy spaces a slot's requests 0.5-1.5 x DOWNLOAD_DELAY apart.
    assert gap >= 0.05, f"smallest gap {gap:.3f} s"
    # Grants are 100 ms apart (the gap key's TTL): at most 10 a second, 11 starts in a window.
    assert busiest <= 11, f"{busiest} requests within one second"
    print(f"two workers, one host, shared limits: {len(log)} requests, responses {responses}, peak concurrency "
          f"{peak}, smallest gap {gap * 1000:.0f} ms, at most {busiest} requests in a second, {rate:.1f} requests/s")


def limits_seen(log: list[tuple[float, float, str]]) -> tuple[int, float, int, float]:
    """From the site's log: peak concurrency, smallest gap between two arrivals (s), most
    arrivals within one second, and the mean rate (requests/s)."""
    starts = [start for start, _, _ in log]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    busiest = max(bisect.bisect_left(starts, start + 1.0) - at for at, start in enumerate(starts))
    return max_overlap(log), min(gaps), busiest, (len(starts) - 1) / (starts[-1] - starts[0])


@pytest.mark.slow
@needs_drivers
def test_without_the_host_gate_two_workers_would_break_the_limits(redis_server: str, tmp_path: Path) -> None:
    # The measurement above can fail: each worker alone keeps its own limits, together they do not
    # (0.4 s a request here, so that the two workers' requests overlap however their starts fall).
    site = LoggedSite(tmp_path / "site", 30, latency=0.4, host="127.0.0.3")
    try:
        logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
        limits = ("CONCURRENT_REQUESTS_PER_DOMAIN=2", "DOWNLOAD_DELAY=0.1", "FRONTIER_HOST_LIMITS=False")
        processes = start_together(
            site, redis_server, 2,
            lambda: [worker(site.base, tmp_path / "a.db", redis_server, log, *limits) for log in logs],
        )
        finish(processes, logs)
        log = site.since(0)
    finally:
        site.close()
    peak, gap, busiest, rate = limits_seen(log)
    assert peak > 2 or busiest > 11
    print(f"two workers, one host, limits per worker only: {len(log)} requests, peak concurrency {peak}, "
          f"smallest gap {gap * 1000:.0f} ms, at most {busiest} requests in a second, {rate:.1f} requests/s")


@pytest.mark.slow
@needs_drivers
def test_crawl_all_passes_the_frontier_to_each_spider(site: LoggedSite, redis_server: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crawler", "crawl-all", "--start-urls", f"baina={site.base}/",
         "--frontier", redis_server, "-L", "INFO", "-s", f"ARCHIVE_URI=sqlite:///{tmp_path / 'a.db'}",
         "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "EXTRACT_WORKERS=0"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "frontier: started run" in done.stderr
    assert len(archived(tmp_path / "a.db")) == DOCUMENTS
    assert frontier_keys(redis_server) == []
