r"""Distributed crawl benchmark (issue 14): 1 worker against 2 workers on one Redis frontier and one PostgreSQL archive.

    python bench/distributed.py                            # 8 sites x 150 documents, 2 rounds, pg1 and pg2
    python bench/distributed.py --configs pg1,pg2,pgb1,pgb2,none1,none2,sqlite1   # the diagnosis below
    python bench/distributed.py --documents 300 --rounds 3 --set ARCHIVE_NEAR_DUPLICATES=False

What runs (everything on this machine, loopback only):

- `--sites` synthetic 百纳-style sites (`samples.synthetic.build_site`, seed k+1 for site k, so no two
  sites share a text), site k on its own address 127.0.0.(2+k), each served by a process of its
  own (a `ThreadingHTTPServer` with `samples.serve`'s handler) that sleeps `--latency` s in each
  request and logs every request's arrival and finish time. Until every worker of a run has
  joined it (registered in Redis), the sites hold their requests, as tests/crawler/test_frontier.py
  does: a worker's start-up (2-3 s of imports) is not counted, and no worker finishes before the
  other has begun.
- one `redis-server` (tests/servers.py `running_redis`: temp folder, free port, no persistence)
  and one PostgreSQL 15 (tests/postgres_server.py `start_server(durable=True)`: fsync and
  synchronous commit ON, so a commit costs what it costs; restarted once with
  `pg_stat_statements` preloaded, to count statements). Neither is pinned, nor are the sites:
  in a deployment they would have machines of their own; here they share the 2 cores with the
  workers, as they would contend anyway. Their CPU per page is measured, and the line "CPU
  ceiling" says what ratio these 2 cores allow once they take their share.
- each worker is what a user runs on each machine (docs/frontier.md):

      taskset -c K python -m crawler crawl-all --start-urls baina=URL1,...,URL8 --frontier redis://... \
          -s ARCHIVE_URI=postgresql://... -s AUTOTHROTTLE_ENABLED=False -s CONCURRENT_REQUESTS=64 \
          -s CONCURRENT_REQUESTS_PER_DOMAIN=2 -s DOWNLOAD_DELAY=0.04 -s STATS_FILE=...

  one `baina` spider with every site's start URL: one crawl, so one set of frontier keys that
  both workers share (one spider per site would make 8 crawls); `crawl-all` rather than
  `scrapy crawl`, because it is the scheduled-run entry point. Worker K is pinned to core K
  (`taskset`, standing in for a machine of its own); its extraction workers inherit the pin
  (EXTRACT_WORKERS defaults to the cores it may use: 1). AutoThrottle is off, so the delay is the
  configured one. The limits: each host may take 25 requests/s and 2 at once, 200/s for the 8,
  well above what a worker does (the per-host rate column shows how far below). CONCURRENT_REQUESTS
  is 64, not Scrapy's 16: Scrapy counts the requests waiting in a host's slot against it, so at
  16 a list page's 20 links of one host filled a worker while the other hosts idled (no archive,
  one worker: 42 pages/s at 16 with its core 69% busy, 60 pages/s at 64 with it 95% busy).
  ARCHIVE_WARC_DIR is a folder of the temp dir, as a shared mount would be. The archive's schema
  is made before the workers start: two processes creating it at once in an empty PostgreSQL
  database can fail (DuplicateTable on archive_meta; 4 of 8 tries here).

Configurations (`--configs`; a name is a family and its number of workers, each family's ratio is
to its 1-worker run), each run on a fresh database (or SQLite file):

  pg1, pg2          the archive on PostgreSQL, the project's defaults (on PostgreSQL: one commit per
                    item, `crawler.pipelines.commit_items`);
  pgb1, pgb2        the same with -s ARCHIVE_COMMIT_ITEMS=50 (batches of 50 items or 1 s, SQLite's
                    default: each batch holds the archive-wide lock until it commits);
  sqlite1, sqlite2  the archive on SQLite (one file in the temp dir);
  none1, none2      no archive (ARCHIVE_URI empty): the frontier and the crawl alone.

Every round runs every configuration once, order rotated (round 2 starts with the second), after a
FLUSHALL and CONFIG RESETSTAT of Redis and pg_stat_statements_reset().

Measured per run:

- pages/s: requests answered by the sites / (last answer's end - first request's arrival), from
  the sites' logs, i.e. from first to last request at the sites: neither start-up nor the ~1 s the
  workers take to see that the run is over is counted ("wall s", gates opened to the last
  worker's exit, is shown beside it). Ratio: median pages/s of the 2-worker run over the
  1-worker run of its family (target >= 1.7), and per round.
- per worker: its `downloader/response_count` (STATS_FILE) over the run's window.
- documents: the archive's records (`open_archive(...).iter_records()`) against the sites'
  documents: lost (a document with no record), doubled (records beyond one per document URL),
  and document pages a site served more than once (fetched twice: not a record, but work).
- per host, from the sites' logs: peak concurrency (against CONCURRENT_REQUESTS_PER_DOMAIN), most
  arrivals within any 1 s (against 1/DOWNLOAD_DELAY, +1 for the window's edges), the smallest
  gap between two arrivals (the worst host of the worst run for these three), and the median
  host's mean rate over its own first-to-last arrival against 1/DOWNLOAD_DELAY (near it: the
  crawl is politeness-bound; well below: it is not).
- CPU: each core's busy share (/proc/stat) over the run; per page, in ms: the workers (their
  process trees, /proc and wait4, less what they used before the gates opened), Redis (INFO cpu),
  PostgreSQL (every server process, reaped backends included), the site processes (getrusage).
  "other load" is the busy CPU (in cores) that none of these nor the bench itself account for:
  another program on the machine. Figures of a run with other load are not clean.
- Redis per page: commands (INFO commandstats, the Lua scripts' inner calls included) and EVALSHA
  calls (the frontier's scripts: push, pop, tick, idle, host grant and release).
- PostgreSQL per page: transactions (pg_stat_database xact_commit + xact_rollback) and statements
  (pg_stat_statements calls) of the run's database.
- the archive lock, sampled every 50 ms from pg_locks: "lock held" the share of samples in which
  a writer holds the archive's advisory lock, "lock wait" the mean share of the workers waiting
  for it. A waiting worker's reactor is blocked: its psycopg calls are synchronous.

Add rate: `bench/archive_postgres.py`'s own functions, `--add-texts` texts (0: skipped), one commit
per add: SQLite file x1, PostgreSQL x1 and x2 writers, on the same PostgreSQL server, after the
crawls. `redis-benchmark` (16 clients) measures the idle Redis. The capacity paragraph printed at
the end is derived from the figures of the same run: Redis from its CPU and commands per page;
PostgreSQL from its CPU per page and from the share of time one worker alone holds the lock
(that share at that rate saturates the lock at rate / share pages/s, however many workers).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import itertools
import json
import multiprocessing
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from samples.serve import _make_handler, load_site_config
from samples.synthetic import build_site
from tests.postgres_server import PostgresServer, find_binaries, start_server, stop_server
from tests.servers import running_redis

if TYPE_CHECKING:
    from collections.abc import Iterator
    from multiprocessing.connection import Connection

DOCUMENT_PATH = re.compile(r"^/fanwen/\d+\.html$")
# name -> (archive, workers, settings of its own). A name is its family and the number of workers;
# a family's ratio is to its 1-worker configuration.
CONFIGS: dict[str, tuple[str, int, dict[str, str]]] = {
    "pg1": ("postgresql", 1, {}),
    "pg2": ("postgresql", 2, {}),
    "pgb1": ("postgresql", 1, {"ARCHIVE_COMMIT_ITEMS": "50"}),
    "pgb2": ("postgresql", 2, {"ARCHIVE_COMMIT_ITEMS": "50"}),
    "sqlite1": ("sqlite", 1, {}),
    "sqlite2": ("sqlite", 2, {}),
    "none1": ("none", 1, {"ARCHIVE_URI": ""}),
    "none2": ("none", 2, {"ARCHIVE_URI": ""}),
}
Entry = tuple[float, float, str]  # (arrival, finish, path) of one request at a site


# --- The sites: one process each, on an address of its own ----------------------------------------
def _serve_site(root: Path, host: str, latency: float, conn: Connection) -> None:
    """A site process: serve `root` on `host`, log every request, answer the bench's commands."""
    handler_cls: Any = _make_handler(root, load_site_config(root))
    log: list[Entry] = []
    lock = threading.Lock()
    gate = threading.Event()

    class Handler(handler_cls):  # type: ignore[misc]
        def _handle(self, head: bool) -> None:
            gate.wait(300)
            start = time.time()
            if latency:
                time.sleep(latency)
            super()._handle(head)
            with lock:
                log.append((start, time.time(), self.path))

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    conn.send(server.server_address[1])
    while True:
        command = conn.recv()
        if command == "open":
            gate.set()
        elif command == "shut":
            gate.clear()
        elif command == "dump":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            with lock:
                conn.send((list(log), usage.ru_utime + usage.ru_stime))
                log.clear()
        else:
            break
    server.shutdown()
    server.server_close()


class Sites:
    """The served sites: `base` URLs, open/shut their gates, collect their logs and CPU."""

    def __init__(self, folder: Path, count: int, documents: int, latency: float) -> None:
        context = multiprocessing.get_context("fork")  # before any thread of the bench starts
        self.hosts = [f"127.0.0.{2 + k}" for k in range(count)]
        self.documents: dict[str, set[str]] = {}
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        self.base: dict[str, str] = {}
        self.cpu = dict.fromkeys(self.hosts, 0.0)
        for k, host in enumerate(self.hosts):
            root = folder / f"site-{k}"
            paths = build_site(root, documents, seed=k + 1)
            ours, theirs = context.Pipe()
            proc = context.Process(target=_serve_site, args=(root, host, latency, theirs), daemon=True)
            proc.start()
            port = ours.recv()
            self.base[host] = f"http://{host}:{port}"
            self.documents[host] = {f"{self.base[host]}{path}" for path in paths}
            self.conns.append(ours)
            self.procs.append(proc)

    def send(self, command: str) -> None:
        """Send `command` (open, shut, dump, stop) to every site."""
        for conn in self.conns:
            conn.send(command)

    def dump(self) -> tuple[dict[str, list[Entry]], float]:
        """Each host's log since the last dump (sorted by arrival), and the sites' CPU seconds since then."""
        logs, cpu = {}, 0.0
        for host, conn in zip(self.hosts, self.conns, strict=True):
            conn.send("dump")
            log, seconds = conn.recv()
            logs[host] = sorted(log)
            cpu += seconds - self.cpu[host]
            self.cpu[host] = seconds
        return logs, cpu

    def close(self) -> None:
        """Stop every site process."""
        with contextlib.suppress(OSError, ValueError):
            self.send("stop")
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


# --- Measuring the servers -------------------------------------------------------------------------
def core_times() -> dict[str, tuple[int, int]]:
    """(busy, total) jiffies of each core, from /proc/stat."""
    cores = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *fields = line.split()
        if re.fullmatch(r"cpu\d+", name):
            values = [int(v) for v in fields]
            idle = values[3] + values[4]  # idle + iowait
            cores[name] = (sum(values[:8]) - idle, sum(values[:8]))
    return cores


def _proc_cpu(pid: int, *, reaped: bool = False) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu(server: PostgresServer) -> float:
    """CPU seconds of the PostgreSQL server: the postmaster, its live children and the reaped ones."""
    pid = int((server.folder / "data" / "postmaster.pid").read_text().split()[0])
    total = _proc_cpu(pid, reaped=True)
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            with contextlib.suppress(OSError, IndexError, ValueError):
                total += _proc_cpu(int(child))
    return total


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process, its reaped children and its live descendants (extraction workers)."""
    try:
        total = _proc_cpu(pid, reaped=True)
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, IndexError, ValueError):
        return 0.0
    return total + sum(tree_cpu(int(child)) for child in children)


def redis_cpu(info: dict[str, Any]) -> float:
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def restart_with_statements(
    server: PostgresServer, process: subprocess.Popen[bytes]
) -> subprocess.Popen[bytes]:
    """Restart the server with pg_stat_statements preloaded (same command line); the new process."""
    import psycopg

    with psycopg.connect(server.uri(), autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    process.terminate()
    process.wait(timeout=30)
    log = (server.folder / "server.log").open("ab")
    restarted = subprocess.Popen(process.args, stdout=subprocess.DEVNULL, stderr=log, cwd=server.folder)
    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(server.uri(), autocommit=True, connect_timeout=2) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            return restarted
        except psycopg.OperationalError:
            if restarted.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not come back with pg_stat_statements") from None
            time.sleep(0.1)


def pg_counts(server: PostgresServer, database: str) -> tuple[int, int]:
    """(transactions, statements) of `database` so far (pg_stat_database, pg_stat_statements)."""
    import psycopg

    with psycopg.connect(server.uri(), autocommit=True) as conn:
        xacts = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", (database,)
        ).fetchone()
        calls = conn.execute(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
            "WHERE d.datname = %s", (database,)
        ).fetchone()
    return int(xacts[0] if xacts else 0), int(calls[0] if calls else 0)


class LockSampler:
    """Samples the archive's advisory lock (pg_locks) of one database every 50 ms, from a thread of its own."""

    def __init__(self, server: PostgresServer, database: str, workers: int) -> None:
        self.server, self.database, self.workers = server, database, workers
        self.samples = 0
        self.waiting = 0  # backends waiting for the advisory lock, summed over the samples
        self.held = 0  # samples in which some backend holds it
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        query = (
            "SELECT count(*) FILTER (WHERE NOT granted), count(*) FILTER (WHERE granted) FROM pg_locks "
            "WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = %s)"
        )
        with psycopg.connect(self.server.uri(), autocommit=True) as conn:
            while not self._stop.wait(0.05):
                row = conn.execute(query, (self.database,)).fetchone()
                if row is None:
                    continue
                self.samples += 1
                self.waiting += int(row[0])
                self.held += int(row[1] > 0)

    @property
    def wait_share(self) -> float | None:
        """Mean share of the workers waiting for the advisory lock."""
        return self.waiting / (self.samples * self.workers) if self.samples else None

    @property
    def held_share(self) -> float | None:
        """Share of the samples in which a writer holds the archive's lock."""
        return self.held / self.samples if self.samples else None


# --- One run -----------------------------------------------------------------------------------------
@dataclass
class Run:
    """One crawl of one configuration in one round."""

    config: str
    round: int
    workers: int
    exits: list[int]
    finish: list[str]
    requests: int
    window_s: float  # first arrival to last answer at the sites
    wall_s: float  # gates opened to the last worker's exit
    responses: list[int]  # per worker, from its stats
    documents: int
    records: int
    lost: int
    doubled: int
    fetched_twice: int
    host_peak: int
    host_busiest: int
    host_mean_rate: float
    host_min_gap_ms: float
    cores_busy: list[float]
    other_cores: float  # CPU (in cores) over the run of nothing the bench started: other load on the machine
    worker_cpu_s: float
    redis_cpu_s: float
    postgres_cpu_s: float
    sites_cpu_s: float
    redis_commands: int
    redis_scripts: int
    pg_transactions: int
    pg_statements: int
    lock_wait: float | None
    lock_held: float | None
    host_waits: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pages_s(self) -> float:
        """Requests answered per second, first to last request at the sites."""
        return self.requests / self.window_s if self.window_s else 0.0

    def per_page(self, value: float) -> float:
        """`value` per request answered."""
        return value / self.requests if self.requests else 0.0


def max_overlap(log: list[Entry]) -> int:
    events = sorted([(start, 1) for start, _, _ in log] + [(end, -1) for _, end, _ in log])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def host_limits(log: list[Entry]) -> tuple[int, int, float, float]:
    """Peak concurrency, most arrivals within 1 s, mean arrivals/s, smallest gap (ms) of one host."""
    starts = [start for start, _, _ in log]
    if len(starts) < 2:
        return max_overlap(log), len(starts), 0.0, 0.0
    busiest = max(bisect.bisect_left(starts, start + 1.0) - at for at, start in enumerate(starts))
    gap = min(b - a for a, b in itertools.pairwise(starts))
    return max_overlap(log), busiest, (len(starts) - 1) / (starts[-1] - starts[0]), 1000 * gap


def worker_command(
    core: int, urls: list[str], frontier: str, archive: str, stats: Path, own: dict[str, str],
    args: argparse.Namespace,
) -> list[str]:
    """The worker's command line: pinned to `core`, the configuration's settings, then --set's."""
    taskset = shutil.which("taskset")
    assert taskset, "taskset is not installed (util-linux)"
    settings = {
        "ARCHIVE_URI": archive,
        "AUTOTHROTTLE_ENABLED": "False",
        "CONCURRENT_REQUESTS": str(args.concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(args.per_host),
        "DOWNLOAD_DELAY": str(args.delay),
        "STATS_FILE": str(stats),
        "LOG_LEVEL": "INFO",
        **own,
        **dict(pair.split("=", 1) for pair in args.set),
    }
    command = [taskset, "-c", str(core), sys.executable, "-m", "crawler", "crawl-all",
               "--start-urls", "baina=" + ",".join(urls), "--frontier", frontier]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def wait_for_workers(redis_uri: str, count: int, procs: list[subprocess.Popen[bytes]], timeout: float = 90) -> None:
    """Until `count` workers are registered in one run of the frontier."""
    import redis

    server = redis.Redis.from_url(redis_uri)
    deadline = time.monotonic() + timeout
    while max((server.hlen(k) for k in server.keys("fanwen:frontier:*:workers")), default=0) < count:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("a worker ended before every worker had joined the run")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} workers did not join one run within {timeout:.0f} s")
        time.sleep(0.05)


def archived_urls(uri: str) -> list[str]:
    from archive import open_archive

    with open_archive(uri, create=False, near_dup=False) as store:
        return [record.url for record in store.iter_records()]


def one_run(
    config: str, round_no: int, sites: Sites, redis_uri: str, pg: PostgresServer, folder: Path,
    args: argparse.Namespace,
) -> Run:
    import psycopg
    import redis

    kind, workers, own = CONFIGS[config]
    run_dir = folder / f"r{round_no}-{config}"
    run_dir.mkdir()
    database = f"bench_r{round_no}_{config}"
    archive = ""
    if kind == "postgresql":
        archive = pg.create_database(database)
    elif kind == "sqlite":
        archive = f"sqlite:///{run_dir / 'archive.db'}"
    if archive:
        from archive import open_archive

        open_archive(archive).close()  # the schema, made before the clock (and not raced by two workers)
    server = redis.Redis.from_url(redis_uri)
    server.flushall()
    server.config_resetstat()
    if kind == "postgresql":
        with psycopg.connect(pg.uri(), autocommit=True) as conn:
            conn.execute("SELECT pg_stat_statements_reset()")
    sites.dump()  # drop anything logged before (and take the sites' CPU so far)
    sites.send("shut")
    urls = [sites.base[host] + "/" for host in sites.hosts]
    env = {**os.environ, "ARCHIVE_WARC_DIR": str(run_dir / "warc")}
    for name in ("ARCHIVE_URI", "SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT"):
        env.pop(name, None)
    procs, logs, results = [], [], {}
    for k in range(workers):
        log = run_dir / f"worker-{k}.log"
        logs.append(log)
        command = worker_command(k % (os.cpu_count() or 1), urls, redis_uri, archive, run_dir / f"stats-{k}.json",
                                 own, args)
        procs.append(subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                      stdout=log.open("wb"), stderr=subprocess.STDOUT))

    def reap(k: int, proc: subprocess.Popen[bytes]) -> None:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        results[k] = (time.monotonic(), usage.ru_utime + usage.ru_stime)

    try:
        wait_for_workers(redis_uri, workers, procs)
    except RuntimeError:
        sites.send("open")
        for proc in procs:
            proc.kill()
        raise
    startup_cpu = sum(tree_cpu(p.pid) for p in procs)  # imports and joining: not the crawl's
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    before = (redis_cpu(server.info("cpu")), postgres_cpu(pg), core_times(),
              self_usage.ru_utime + self_usage.ru_stime)
    counts_before = pg_counts(pg, database) if kind == "postgresql" else (0, 0)
    last_cpu = [0.0] * workers  # each worker's tree CPU at the last look (wait4 may miss grandchildren)

    def watch() -> None:
        while any(k not in results for k in range(workers)):
            for k, proc in enumerate(procs):
                if k not in results:
                    last_cpu[k] = max(last_cpu[k], tree_cpu(proc.pid))
            time.sleep(0.2)

    reapers = [threading.Thread(target=reap, args=(k, p), daemon=True) for k, p in enumerate(procs)]
    reapers.append(threading.Thread(target=watch, daemon=True))
    for reaper in reapers:
        reaper.start()
    opened = time.monotonic()
    sampler = LockSampler(pg, database, workers) if kind == "postgresql" else contextlib.nullcontext()
    with sampler:
        sites.send("open")
        for reaper in reapers:
            reaper.join(timeout=args.timeout)
            if reaper.is_alive():
                for proc in procs:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                reaper.join(timeout=10)
    cores_after, redis_after, pg_after = core_times(), redis_cpu(server.info("cpu")), postgres_cpu(pg)
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    bench_cpu = self_usage.ru_utime + self_usage.ru_stime - before[3]
    counts_after = pg_counts(pg, database) if kind == "postgresql" else (0, 0)
    commandstats = server.info("commandstats")
    host_logs, sites_cpu = sites.dump()
    wall = max((t for t, _ in results.values()), default=time.monotonic()) - opened

    stats = []
    for k, log in enumerate(logs):
        path = run_dir / f"stats-{k}.json"
        stats.append(json.loads(path.read_text()) if path.exists() else {})
        if procs[k].returncode != 0 or not path.exists():
            tail = "\n    ".join(log.read_text(errors="replace").splitlines()[-15:])
            print(f"  ! {config} round {round_no} worker {k}: exit {procs[k].returncode}; {log}:\n    {tail}",
                  flush=True)
    entries = sorted(e for log in host_logs.values() for e in log)
    window = (max(end for _, end, _ in entries) - entries[0][0]) if entries else 0.0
    fetched = [(host, path) for host, log in host_logs.items() for _, _, path in log if DOCUMENT_PATH.match(path)]
    expected = set().union(*sites.documents.values())
    urls_archived = archived_urls(archive) if archive else []
    limits = [host_limits(log) for log in host_logs.values() if log]
    busy, busy_s, span_s = [], 0.0, 0.0
    for name, (busy_after, total_after) in sorted(cores_after.items()):
        busy_before, total_before = before[2][name]
        busy.append((busy_after - busy_before) / max(1, total_after - total_before))
        busy_s += (busy_after - busy_before) / os.sysconf("SC_CLK_TCK")
        span_s = max(span_s, (total_after - total_before) / os.sysconf("SC_CLK_TCK"))
    worker_cpu = sum(max(results[k][1], last_cpu[k]) for k in results) - startup_cpu
    accounted = worker_cpu + (redis_after - before[0]) + (pg_after - before[1]) + sites_cpu + bench_cpu
    return Run(
        config=config, round=round_no, workers=workers,
        exits=[p.returncode for p in procs], finish=[str(s.get("finish_reason", "?")) for s in stats],
        requests=len(entries), window_s=window, wall_s=wall,
        responses=[int(s.get("downloader/response_count", 0)) for s in stats],
        documents=len(expected) if archive else 0, records=len(urls_archived),
        lost=len(expected - set(urls_archived)) if archive else 0,
        doubled=len(urls_archived) - len(set(urls_archived)),
        fetched_twice=len(fetched) - len(set(fetched)),
        host_peak=max(p for p, _, _, _ in limits), host_busiest=max(b for _, b, _, _ in limits),
        host_mean_rate=statistics.median(r for _, _, r, _ in limits), host_min_gap_ms=min(g for _, _, _, g in limits),
        cores_busy=busy, other_cores=max(0.0, busy_s - accounted) / span_s if span_s else 0.0, worker_cpu_s=worker_cpu,
        redis_cpu_s=redis_after - before[0], postgres_cpu_s=pg_after - before[1], sites_cpu_s=sites_cpu,
        redis_commands=sum(int(v["calls"]) for v in commandstats.values()),
        redis_scripts=int(commandstats.get("cmdstat_evalsha", {}).get("calls", 0)),
        pg_transactions=counts_after[0] - counts_before[0], pg_statements=counts_after[1] - counts_before[1],
        lock_wait=getattr(sampler, "wait_share", None), lock_held=getattr(sampler, "held_share", None),
        host_waits=sum(int(s.get("frontier/host_waits", 0)) for s in stats),
    )


# --- Add rate and Redis's own capacity ----------------------------------------------------------------
def add_rates(pg: PostgresServer, texts: int, folder: Path) -> dict[str, float]:
    """Adds/s of bench/archive_postgres.py's measurement: SQLite x1, PostgreSQL x1 and x2 writers."""
    sys.path.insert(0, str(ROOT / "bench"))
    import archive_postgres  # bench/archive_postgres.py

    from archive import open_archive

    rates = {"sqlite x1": texts / archive_postgres._sqlite(texts, folder)}
    for writers in (1, 2):
        uri = pg.create_database(f"bench_adds_{writers}")
        # Made first: two processes creating the schema of an empty database at once can fail
        # (DuplicateTable on archive_meta; see the report of issue 14's benchmark).
        open_archive(uri).close()
        rates[f"postgresql x{writers}"] = writers * texts / archive_postgres._postgres(uri, texts, writers, folder)
    return rates


def redis_benchmark(uri: str) -> dict[str, float]:
    """Requests/s of `redis-benchmark` (16 clients, no pipelining) against the bench's Redis, idle."""
    binary = shutil.which("redis-benchmark")
    if binary is None:
        return {}
    port = uri.rsplit(":", 1)[1].split("/")[0]
    out = subprocess.run([binary, "-h", "127.0.0.1", "-p", port, "-q", "-n", "100000", "-c", "16",
                          "-t", "set,zadd,sadd,hset"], capture_output=True, text=True, timeout=120, check=False)
    rates = {}
    for line in out.stdout.replace("\r", "\n").splitlines():
        match = re.match(r"^(\w+): ([\d.]+) requests per second", line.strip())
        if match:
            rates[match.group(1)] = float(match.group(2))
    return rates


# --- The tables ------------------------------------------------------------------------------------
def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _fmt_range(values: list[float], spec: str = ".0f") -> str:
    if not values:
        return "-"
    return f"{format(_median(values), spec)} ({format(min(values), spec)}-{format(max(values), spec)})"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(values: tuple[str, ...]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def _family(config: str) -> str:
    return config.rstrip("0123456789")


def _speed(runs: list[Run], config: str) -> float:
    return _median([r.pages_s for r in runs if r.config == config])


def ratio_lines(runs: list[Run], configs: list[str]) -> list[str]:
    """`X2/X1 = ...` for every family run with 1 and 2 workers (median, then per round)."""
    lines = []
    for config in configs:
        one = _family(config) + "1"
        if CONFIGS[config][1] != 2 or not _speed(runs, one):
            continue
        per_round = []
        for round_no in sorted({r.round for r in runs}):
            a = [r.pages_s for r in runs if r.round == round_no and r.config == config]
            b = [r.pages_s for r in runs if r.round == round_no and r.config == one]
            if a and b and b[0]:
                per_round.append(f"{a[0] / b[0]:.2f}")
        ratio = _speed(runs, config) / _speed(runs, one)
        lines.append(f"{config}/{one} = {ratio:.2f} (target >= 1.7: {'met' if ratio >= 1.7 else 'NOT met'}; "
                     f"per round {', '.join(per_round)})")
        mine = [r for r in runs if r.config == config]
        worker = 1000 * _median([r.per_page(r.worker_cpu_s) for r in mine])
        servers = 1000 * _median([r.per_page(r.redis_cpu_s + r.postgres_cpu_s + r.sites_cpu_s) for r in mine])
        cores = len(mine[0].cores_busy)
        if worker:
            ceiling = 1000 * cores / (worker + servers)
            lines.append(
                f"  CPU ceiling of {config} on these {cores} cores: {cores} x 1000 / ({worker:.1f} ms worker + "
                f"{servers:.1f} ms Redis, PostgreSQL and sites per page) = {ceiling:.0f} pages/s = "
                f"{ceiling / _speed(runs, one):.2f} x {one}; with the servers on machines of their own, "
                f"{1000 * cores / worker / _speed(runs, one):.2f} x"
            )
    return lines


def tables(runs: list[Run], configs: list[str], args: argparse.Namespace) -> str:
    """The run table, the per-page table and the ratios."""
    rows: list[tuple[str, ...]] = []
    for config in configs:
        mine = [r for r in runs if r.config == config]
        if not mine:
            continue
        kind, workers, own = CONFIGS[config]
        one = _speed(runs, _family(config) + "1")
        speeds = [r.pages_s for r in mine]
        per_worker = [n / r.window_s for r in mine for n in r.responses if r.window_s]
        rows.append((
            config, kind + "".join(f" {k}={v}" for k, v in own.items() if k != "ARCHIVE_URI"), str(workers),
            str(len(mine)), _fmt_range([r.requests for r in mine]), _fmt_range(speeds, ".1f"),
            f"{_median(speeds) / one:.2f}" if one else "-", _fmt_range(per_worker, ".1f"),
            f"{sum(r.records for r in mine)}/{sum(r.documents for r in mine)}" if kind != "none" else "-",
            str(sum(r.lost for r in mine)) if kind != "none" else "-",
            str(sum(r.doubled for r in mine)) if kind != "none" else "-",
            str(sum(r.fetched_twice for r in mine)),
            f"{max(r.host_peak for r in mine)} (<= {args.per_host})",
            f"{max(r.host_busiest for r in mine)} (<= {1 / args.delay + 1:.0f})" if args.delay else "-",
            f"{_median([r.host_mean_rate for r in mine]):.1f} / {1 / args.delay:.0f}" if args.delay else "-",
            f"{min(r.host_min_gap_ms for r in mine):.0f}",
            "/".join(f"{100 * _median([r.cores_busy[i] for r in mine]):.0f}" for i in range(len(mine[0].cores_busy))),
            f"{_median([r.other_cores for r in mine]):.2f}", _fmt_range([r.wall_s for r in mine], ".1f"),
        ))
    main = _table(("config", "archive", "workers", "runs", "requests", "pages/s median (range)", "x 1 worker",
                   "pages/s per worker", "records/docs", "lost", "doubled", "fetched twice", "host peak conc",
                   "host max req in 1 s", "host req/s / limit", "host min gap ms", "core busy %", "other load (cores)", "wall s"), rows)
    rows = []  # the per-page table
    for config in configs:
        mine = [r for r in runs if r.config == config]
        if not mine:
            continue
        pg = CONFIGS[config][0] == "postgresql"

        def med(values: list[float], spec: str = ".2f") -> str:
            return format(_median(values), spec)

        def share(values: list[float | None]) -> str:
            return f"{100 * _median([v for v in values if v is not None]):.0f}%"

        rows.append((
            config,
            med([1000 * r.per_page(r.worker_cpu_s) for r in mine], ".1f"),
            med([1000 * r.per_page(r.redis_cpu_s) for r in mine]),
            med([1000 * r.per_page(r.postgres_cpu_s) for r in mine]) if pg else "-",
            med([1000 * r.per_page(r.sites_cpu_s) for r in mine]),
            med([r.per_page(r.redis_commands) for r in mine], ".1f"),
            med([r.per_page(r.redis_scripts) for r in mine], ".1f"),
            med([r.per_page(r.pg_transactions) for r in mine]) if pg else "-",
            med([r.per_page(r.pg_statements) for r in mine], ".1f") if pg else "-",
            share([r.lock_held for r in mine]) if pg else "-",
            share([r.lock_wait for r in mine]) if pg else "-",
            med([r.per_page(r.host_waits) for r in mine]),
        ))
    per_page = _table(("config", "worker CPU ms/page", "Redis CPU ms/page", "PG CPU ms/page", "sites CPU ms/page",
                       "Redis cmds/page", "Redis scripts/page", "PG xacts/page", "PG stmts/page", "lock held",
                       "lock wait", "host grant waits/page"), rows)
    return "\n".join([main, "", per_page, "", *ratio_lines(runs, configs)])


def capacity(runs: list[Run], adds: dict[str, float], bench: dict[str, float]) -> str:
    """The paragraph: how far one Redis and one PostgreSQL carry, from this run's figures."""

    def med(config: str, value: Any) -> float:
        return _median([value(r) for r in runs if r.config == config])

    shared = next((c for c in ("pg2", "pgb2", "sqlite2", "none2") if med(c, lambda r: r.pages_s)), None)
    alone = next((c for c in ("pg1", "pgb1", "sqlite1", "none1") if med(c, lambda r: r.pages_s)), None)
    if shared is None or alone is None:
        return "Capacity: needs a 1-worker and a 2-worker configuration."
    rate = med(alone, lambda r: r.pages_s)  # what a worker on a machine of its own does
    cmds = med(shared, lambda r: r.per_page(r.redis_commands))
    scripts = med(shared, lambda r: r.per_page(r.redis_scripts))
    redis_ms = 1000 * med(shared, lambda r: r.per_page(r.redis_cpu_s))
    ops = min(bench.values()) if bench else 0.0
    by_cpu = 1000 / redis_ms if redis_ms else 0.0
    by_ops = ops / cmds if ops and cmds else 0.0
    lines = [f"Capacity, from this run ({alone}: {rate:.0f} pages/s for a worker alone on its core; {shared} for "
             "the operations per page):",
             f"- Redis: {cmds:.1f} commands/page ({scripts:.1f} EVALSHA: host grant and release, push, pop; the "
             f"rest inside those scripts, the dupefilter's SADD, acks, ticks, heartbeats), {redis_ms:.2f} ms of Redis "
             f"CPU/page. Redis runs commands on one thread: {by_cpu:.0f} pages/s by its CPU per page"
             + (f", {by_ops:.0f} pages/s by redis-benchmark's slowest simple command ({ops:.0f}/s) over "
                f"{cmds:.1f} commands" if by_ops else "")
             + f"; so one Redis carries about {min(by_cpu, by_ops or by_cpu):.0f} pages/s, "
             f"~{min(by_cpu, by_ops or by_cpu) / rate:.0f} workers at {rate:.0f} pages/s, before it is the limit "
             "(the CPU figure is taken at low load, where each command costs more: a floor)."]
    for family in ("pg", "pgb"):
        one, two = family + "1", family + "2"
        if not med(one, lambda r: r.pages_s):
            continue
        r1 = med(one, lambda r: r.pages_s)
        held = med(one, lambda r: r.lock_held or 0.0)
        pg_ms = 1000 * med(two if med(two, lambda r: r.pages_s) else one, lambda r: r.per_page(r.postgres_cpu_s))
        xacts = med(two if med(two, lambda r: r.pages_s) else one, lambda r: r.per_page(r.pg_transactions))
        stmts = med(two if med(two, lambda r: r.pages_s) else one, lambda r: r.per_page(r.pg_statements))
        serial = r1 / held if held else 0.0
        commits = "batches of 50 (-s ARCHIVE_COMMIT_ITEMS=50)" if family == "pgb" else \
            "the default on PostgreSQL (one commit per item)"
        lines.append(
            f"- PostgreSQL, {commits}: {xacts:.2f} transactions/page, {stmts:.1f} statements/page, {pg_ms:.2f} ms "
            f"of server CPU/page ({1000 / pg_ms:.0f} pages/s per server core, a backend per worker). But every write "
            "transaction holds the one archive-wide advisory lock: one worker alone held it "
            f"{100 * held:.0f}% of the time at {r1:.0f} pages/s, so the lock is saturated at ~{serial:.0f} pages/s "
            f"in all, ~{serial / r1:.1f} workers' worth, however many workers or cores there are."
        )
    if adds.get("postgresql x1"):
        lines.append(
            f"- Adds alone (bench/archive_postgres.py, one commit per add, fsync on): PostgreSQL x1 "
            f"{adds['postgresql x1']:.0f}, x2 {adds.get('postgresql x2', 0):.0f}, SQLite {adds.get('sqlite x1', 0):.0f} "
            "adds/s: a second writer adds nothing under the one lock."
        )
    return "\n".join(lines)


@contextlib.contextmanager
def postgres(folder: Path) -> Iterator[PostgresServer]:
    binaries = find_binaries()
    if binaries is None:
        raise SystemExit("PostgreSQL is not installed (no initdb)")
    server, process = start_server(binaries, durable=True)
    try:
        process = restart_with_statements(server, process)
        yield server
    finally:
        stop_server(server, process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=8, help="sites, each on 127.0.0.(2+k) (at most 250)")
    parser.add_argument("--documents", type=int, default=150, help="documents per site")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--configs", default="pg1,pg2", help=f"comma-separated, of {','.join(CONFIGS)}")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds each request takes at a site")
    parser.add_argument("--concurrency", type=int, default=64, help="CONCURRENT_REQUESTS of each worker")
    parser.add_argument("--per-host", type=int, default=2, help="CONCURRENT_REQUESTS_PER_DOMAIN")
    parser.add_argument("--delay", type=float, default=0.04, help="DOWNLOAD_DELAY (s)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="another setting for every worker (repeatable)")
    parser.add_argument("--add-texts", type=int, default=300, help="texts of the add-rate measurement (0: skip)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds a run may take before it is killed")
    parser.add_argument("--json", type=Path, help="write every run here")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, archives)")
    args = parser.parse_args()
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    if set(configs) - set(CONFIGS):
        parser.error(f"unknown configs {sorted(set(configs) - set(CONFIGS))}; known: {','.join(CONFIGS)}")
    if any("=" not in pair for pair in args.set):
        parser.error("--set takes NAME=VALUE")
    if shutil.which("redis-server") is None:
        print("redis-server is not installed", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    os.environ["ARCHIVE_WARC_DIR"] = str(folder / "warc")  # the bench's own archive opens
    started = time.monotonic()
    sites = Sites(folder, args.sites, args.documents, args.latency)
    runs: list[Run] = []
    adds: dict[str, float] = {}
    bench: dict[str, float] = {}
    print(f"{args.sites} sites x {args.documents} documents on {sites.hosts[0]}..{sites.hosts[-1]}, "
          f"latency {args.latency * 1000:.0f} ms; CONCURRENT_REQUESTS={args.concurrency}, "
          f"CONCURRENT_REQUESTS_PER_DOMAIN={args.per_host}, "
          f"DOWNLOAD_DELAY={args.delay}{''.join(' ' + s for s in args.set)}; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}; temp {folder}", flush=True)
    try:
        (folder / "redis").mkdir()
        with running_redis(folder / "redis") as (_, redis_uri), postgres(folder) as pg:
            for round_no in range(1, args.rounds + 1):
                shift = (round_no - 1) % len(configs)
                for config in configs[shift:] + configs[:shift]:
                    run = one_run(config, round_no, sites, redis_uri, pg, folder, args)
                    runs.append(run)
                    print(f"  round {round_no} {config}: {run.requests} requests in {run.window_s:.1f} s = "
                          f"{run.pages_s:.1f} pages/s (wall {run.wall_s:.1f} s), responses {run.responses}, "
                          f"records {run.records}/{run.documents}, lost {run.lost}, doubled {run.doubled}, "
                          f"host peak {run.host_peak}, max {run.host_busiest}/s, cores "
                          f"{'/'.join(f'{100 * b:.0f}' for b in run.cores_busy)}% (other load {run.other_cores:.2f}), "
                          f"lock held/wait {'-' if run.lock_held is None else f'{100 * run.lock_held:.0f}%'}/"
                          f"{'-' if run.lock_wait is None else f'{100 * run.lock_wait:.0f}%'}, "
                          f"finish {','.join(run.finish)}", flush=True)
            bench = redis_benchmark(redis_uri)
            if args.add_texts:
                adds = add_rates(pg, args.add_texts, folder)
    finally:
        sites.close()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print()
    print(tables(runs, configs, args))
    if adds:
        print()
        print(f"archive add rate, {args.add_texts} texts, one commit per add (bench/archive_postgres.py): "
              + ", ".join(f"{name} {rate:.0f} adds/s" for name, rate in adds.items()))
    if bench:
        print("redis-benchmark (16 clients, no pipelining): "
              + ", ".join(f"{name} {rate:.0f}/s" for name, rate in bench.items()))
    print()
    print(capacity(runs, adds, bench))
    print(f"\nload average (1 min) at the end {os.getloadavg()[0]:.2f}; total {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)}, "adds": adds,
                                         "redis_benchmark": bench,
                                         "runs": [asdict(r) | {"pages_s": r.pages_s} for r in runs]}, indent=1),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
