"""Fault benchmark: a real `scrapy crawl generic` against each fault of the local fault site.

    python bench/faults.py                            # every kind, this checkout
    python bench/faults.py --kinds hang,gzip_bomb     # some kinds (clean always runs: the baseline)
    python bench/faults.py --project /work/before     # measure another checkout (its crawler/archive)
    python bench/faults.py --json rows.json --kind-timeout 600

For each kind, in a fresh temp dir, `tests.faults.site` serves only that kind and the crawl runs
in a child process (cwd and PYTHONPATH = the project, so its `crawler` and `archive` are the ones
imported) with the project's settings except LOG_LEVEL=INFO, AUTOTHROTTLE_ENABLED=False and
DOWNLOAD_DELAY=0. Measured per kind: exit code, wall time, the child's peak RSS (os.wait4), the
finish reason and counts (`python -m archive runs --json`, else the log's stats dump), the records
stored (sqlite3 on a copy of the archive), records holding bad content (a fault page that must not
be stored, or any page of the other port), requests that reached the other port and ftp
connection attempts, and the stats that counted the fault.

Three archive faults crawl the clean kind:
- disk_full: the archive on a 2 MB tmpfs that a filler file leaves `--disk-free-kb` free (a clean
  crawl's archive peaks near 650 KB, so 2 MB alone never fills); without root, RLIMIT_FSIZE of the
  same size instead (writes fail with EFBIG). The notes say which, and whether every WARC file
  reads to its end with warcio.
- read_only: a first crawl creates the archive, then its folder is made read-only (a read-only
  bind mount as root, where chmod stops nothing; chmod 0555 otherwise) and the crawl runs again.
- damaged: a first crawl, then 32 KB in the middle of the .db zeroed, then a crawl with
  INCREMENTAL_ENABLED=False.
For those the notes also say whether `python -m archive stats` prints a one-line error or a
traceback.

A kind still running after `--kind-timeout` seconds is killed and shown as `timeout`. Every child
runs under an address-space cap (`--max-memory-mb`, RLIMIT_AS) so that a bomb cannot take the
machine down; a child that hits it fails with MemoryError (the notes say so).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults.site import KINDS, FaultSite, serve_faults  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

ARCHIVE_KINDS = ("disk_full", "read_only", "damaged")
ALL_KINDS = (*KINDS, *ARCHIVE_KINDS)
DISK_MB = 2
DAMAGE_BYTES = 32 * 1024

# Stats that may count a fault, per kind (prefixes). Whatever is non-zero is printed.
_ALWAYS = ("crawl/", "scope/", "log_count/ERROR", "spider_exceptions/", "item_dropped_count",
           "extract/skipped/too_large", "extract/skipped/too_deep", "memusage/limit_reached")
_EXC = "downloader/exception_type_count/"
_STATUS = "downloader/response_status_count/"
_RELEVANT: dict[str, tuple[str, ...]] = {
    "scope": ("offsite/", _EXC, "retry/", "redirect/", "generic/sitemap_urls"),
    "retry_after": ("backoff/", "retry/", _STATUS + "503"),
    "http500": ("retry/", "httperror/", _STATUS + "500"),
    "hang": (_EXC, "retry/"),
    "truncated": (_EXC, "retry/"),
    "redirect_loop": ("redirect/", "dupefilter/filtered", _STATUS + "302", "retry/"),
    "robots": ("robotstxt/forbidden",),
    "empty": ("extract/skipped/",),
    "gzip_bomb": (_EXC, "httpcompression/", "extract/skipped/", "downloader/response_bytes"),
    "huge_page": (_EXC, "extract/skipped/", "downloader/response_bytes"),
    "deep_dom": ("extract/skipped/",),
    "url_variants": ("dedup/", "archive/duplicate", "canonical/", "dupefilter/filtered"),
    "disk_full": ("archive/", "item_dropped_reasons_count/"),
    "read_only": ("archive/", "item_dropped_reasons_count/", "incremental/"),
    "damaged": ("archive/", "item_dropped_reasons_count/"),
}


@dataclass
class Crawl:
    """One crawl child: how it ended and what it cost."""

    exit: int | None  # None: killed at the kind timeout
    wall: float
    rss_kib: int
    log: str
    stats: dict[str, Any]


@dataclass
class Row:
    """The measurements of one kind (the --json output is a list of these)."""

    kind: str
    exit: int | None = None
    finish: str = ""
    wall: float = 0.0
    rss_mb: float = 0.0
    records: int | None = None
    record_urls: list[str] = field(default_factory=list)
    bad_stored: list[str] = field(default_factory=list)
    other_requests: list[str] = field(default_factory=list)
    ftp_connections: int = 0
    counted: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    run: dict[str, Any] | None = None
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Project:
    """The checkout measured and the interpreter that runs it."""

    root: Path
    python: str
    kind_timeout: float
    max_memory_mb: int

    def env(self) -> dict[str, str]:
        """The environment of a child: the project first on the import path, no ARCHIVE_URI."""
        env = dict(os.environ)
        env.pop("ARCHIVE_URI", None)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.root), env.get("PYTHONPATH", "")) if p)
        return env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the project's Python with these arguments in the project."""
        return subprocess.run([self.python, *args], cwd=self.root, env=self.env(), capture_output=True,
                              text=True, timeout=300, check=False)


# --- Running a crawl ----------------------------------------------------------------------------
def _limits(max_memory_mb: int, fsize: int | None) -> Callable[[], None]:
    def apply() -> None:
        cap = max_memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return apply


def crawl(project: Project, start_url: str, archive: Path, log: Path, *settings: str,
          fsize: int | None = None) -> Crawl:
    """Run `scrapy crawl generic` on one start URL; wall time and peak RSS from os.wait4."""
    command = [
        project.python, "-m", "scrapy", "crawl", "generic", "-a", f"start_urls={start_url}",
        "-s", f"ARCHIVE_URI=sqlite:///{archive}", "-s", "LOG_LEVEL=INFO",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
    ]
    for setting in settings:
        command += ["-s", setting]
    started = time.monotonic()
    with log.open("wb") as out:
        child = subprocess.Popen(command, cwd=project.root, env=project.env(), stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=subprocess.STDOUT,
                                 preexec_fn=_limits(project.max_memory_mb, fsize))  # noqa: PLW1509
        deadline = started + project.kind_timeout
        timed_out = False
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline and not timed_out:
                timed_out = True
                os.kill(child.pid, signal.SIGKILL)
            time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    wall = time.monotonic() - started
    text = log.read_text(encoding="utf-8", errors="replace")
    return Crawl(None if timed_out else child.returncode, wall, usage.ru_maxrss, text, parse_stats(text))


# The closing line of a traceback: `module.Name: message`.
_EXCEPTION = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Archive|Exit)\b(?::.*)?$", re.MULTILINE)
_STAT_LINE = re.compile(r"^[\s{]*'([^']+)':\s*(.*?),?\}?$")


def parse_stats(log: str) -> dict[str, Any]:
    """The `'name': value` lines of the log's "Dumping Scrapy stats" block."""
    start = log.rfind("Dumping Scrapy stats")
    if start < 0:
        return {}
    stats: dict[str, Any] = {}
    for line in log[start:].splitlines()[1:]:
        match = _STAT_LINE.match(line)
        if not match:
            if stats:
                break
            continue
        name, value = match.groups()
        stats[name] = _number(value.strip().strip("'"))
        if line.rstrip().endswith("}"):
            break
    return stats


def _number(value: str) -> Any:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


# --- Reading the result ---------------------------------------------------------------------------
def list_runs(project: Project, archive: Path) -> tuple[list[dict[str, Any]] | None, str]:
    """The runs `python -m archive runs --json` lists (newest first), or None and why not."""
    done = project.run("-m", "archive", "runs", "--json", "--archive", f"sqlite:///{archive}")
    if done.returncode != 0:
        return None, _one_line(done.stderr) or f"exit {done.returncode}"
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")], ""


def this_run(project: Project, archive: Path, result: Crawl, earlier: set[str]) -> tuple[dict[str, Any] | None, str]:
    """The run of this crawl: the one its stats name, else the newest not logged before it."""
    runs, why = list_runs(project, archive)
    if runs is None:
        return None, why
    run_id = result.stats.get("run/id")
    for run in runs:
        if run["run_id"] == run_id or (run_id is None and run["run_id"] not in earlier):
            return run, ""
    return None, "this crawl logged no run"


def run_ids(project: Project, archive: Path) -> set[str]:
    runs, _ = list_runs(project, archive)
    return {run["run_id"] for run in runs or ()}


def record_urls(archive: Path) -> tuple[list[str] | None, str]:
    """The URLs of the stored records, read from a copy (the original may be read-only or damaged)."""
    if not archive.exists():
        return [], ""
    with tempfile.TemporaryDirectory(prefix="faults-copy-") as scratch:
        copy = Path(scratch) / archive.name
        for suffix in ("", "-wal", "-shm"):
            source = archive.with_name(archive.name + suffix)
            if source.exists():
                shutil.copyfile(source, copy.with_name(copy.name + suffix))
        try:
            with contextlib.closing(sqlite3.connect(copy)) as conn:
                return [row[0] for row in conn.execute("SELECT url FROM records ORDER BY seq")], ""
        except sqlite3.Error as exc:
            return None, f"sqlite3: {exc}"


def archive_stats(project: Project, archive: Path) -> str:
    """How `python -m archive stats` reacts to the archive: ok, a one-line error, or a traceback."""
    done = project.run("-m", "archive", "stats", "--archive", f"sqlite:///{archive}")
    err = done.stderr.strip()
    if "Traceback (most recent call last)" in err:
        return f"traceback ({_one_line(err.splitlines()[-1])})"
    if done.returncode == 0:
        return "ok"
    lines = err.splitlines()
    shape = "one-line error" if len(lines) == 1 else f"{len(lines)}-line error"
    return f"{shape} (exit {done.returncode}): {_one_line(lines[0] if lines else '')}"


def warc_check(folder: Path) -> str:
    """Whether every WARC file of the archive reads to its end with warcio."""
    from warcio.archiveiterator import ArchiveIterator

    files = sorted(folder.glob("*.warc.gz")) if folder.is_dir() else []
    if not files:
        return "no WARC file"
    total = 0
    for path in files:
        count = 0
        try:
            with path.open("rb") as stream:
                for record in ArchiveIterator(stream):
                    while record.content_stream().read(1 << 16):
                        pass
                    count += 1
        except Exception as exc:  # any failure to read is the finding
            return f"{path.name}: {type(exc).__name__} after {count} records ({_one_line(str(exc))})"
        total += count
    return f"{len(files)} file(s), {total} records, all read to the end"


def _one_line(text: str, width: int = 140) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def counted(kind: str, stats: dict[str, Any]) -> dict[str, Any]:
    """The non-zero stats that may have counted this kind's fault."""
    prefixes = (*_ALWAYS, *_RELEVANT.get(kind, ()))
    return {k: v for k, v in sorted(stats.items())
            if k.startswith(prefixes) and isinstance(v, int | float) and v}


def _finish(row: Row, result: Crawl, run: dict[str, Any] | None, why: str) -> None:
    row.exit, row.wall, row.rss_mb, row.stats, row.run = result.exit, result.wall, result.rss_kib / 1024, \
        result.stats, run
    if result.exit is None:
        row.finish = "timeout"
        # ProgressExtension's line (crawler/extensions.py), which replaced Scrapy's LogStats.
        progress = re.findall(r"(\d+) pages fetched .*?(\d+) records stored", result.log)
        if progress:
            row.notes.append(f"killed at {result.wall:.0f} s, last progress: {progress[-1][0]} pages, "
                             f"{progress[-1][1]} records")
    elif run is not None:
        row.finish = run.get("finish_reason") or "never finished"
    else:
        row.finish = f"{result.stats.get('finish_reason', 'no stats')} (log)"
        row.notes.append(f"runs: {why}")
    row.counted = counted(row.kind, result.stats)
    if "MemoryError" in result.log:
        row.notes.append("MemoryError in the log (the --max-memory-mb cap?)")
    tracebacks = result.log.count("Traceback (most recent call last)")
    if tracebacks:
        last = _EXCEPTION.findall(result.log)
        row.notes.append(f"crawl log: {tracebacks} traceback(s), last {_one_line(last[-1]) if last else '?'}")


def _records(row: Row, archive: Path, site: FaultSite, kind: str) -> None:
    urls, why = record_urls(archive)
    if urls is None:
        row.notes.append(f"records unreadable: {why}")
        return
    row.records, row.record_urls = len(urls), urls
    bad = set(site.bad_urls(kind))
    row.bad_stored = [u for u in urls if u in bad or u.startswith(site.other)]
    missing = set(site.document_urls(kind)) - set(urls)
    if missing and row.exit is not None:
        row.notes.append(f"{len(missing)} of 8 good documents not stored")
    fault = site.fault_url(kind)
    if KINDS[kind].stores_fault and fault:
        row.notes.append(f"fault page stored: {'yes' if fault in urls else 'no'}")


# --- The kinds ------------------------------------------------------------------------------------
def run_site_kind(project: Project, kind: str, tmp: Path) -> Row:
    row = Row(kind)
    archive = tmp / "archive.db"
    with serve_faults(tmp, kinds=[kind]) as site:
        result = crawl(project, site.url(kind), archive, tmp / "crawl.log")
        row.other_requests = [f"{r.method} {r.path}" for r in site.other_requests()]
        row.ftp_connections = site.ftp_connections()
        run, why = this_run(project, archive, result, set())
        _finish(row, result, run, why)
        _records(row, archive, site, kind)
    return row


def _mount(*args: str) -> bool:
    mount = shutil.which("mount")
    if os.geteuid() != 0 or mount is None:
        return False
    return subprocess.run([mount, *args], capture_output=True, check=False).returncode == 0


def _umount(path: Path) -> None:
    umount = shutil.which("umount") or "/bin/umount"
    if subprocess.run([umount, str(path)], capture_output=True, check=False).returncode != 0:
        # Lazily, should a straggler still hold a file open: never leave a mount behind.
        subprocess.run([umount, "-l", str(path)], capture_output=True, check=False)


@contextlib.contextmanager
def small_disk(folder: Path, free_kb: int) -> Iterator[tuple[str, int | None]]:
    """A folder whose disk is nearly full: (how, RLIMIT_FSIZE to give the crawl or None)."""
    folder.mkdir()
    if not _mount("-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", str(folder)):
        yield f"RLIMIT_FSIZE {free_kb} KB (no tmpfs: not root)", free_kb * 1024
        return
    try:
        with (folder / "filler").open("wb") as out:
            out.write(b"\0" * ((DISK_MB * 1024 - free_kb) * 1024))
        yield f"tmpfs {DISK_MB} MB, {free_kb} KB free", None
    finally:
        _umount(folder)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[str]:
    """Make a folder read-only for the block: a read-only bind mount as root, else chmod 0555."""
    if _mount("--bind", str(folder), str(folder)):
        if _mount("-o", "remount,ro,bind", str(folder)):
            try:
                yield "read-only bind mount"
            finally:
                _umount(folder)
            return
        _umount(folder)
    folder.chmod(0o555)
    try:
        yield "chmod 0555" + (" (root: writes not stopped)" if os.geteuid() == 0 else "")
    finally:
        folder.chmod(0o755)


def run_archive_kind(project: Project, kind: str, tmp: Path, free_kb: int) -> Row:
    row = Row(kind)
    folder = tmp / "arc"
    archive = folder / "archive.db"
    with serve_faults(tmp, kinds=["clean"]) as site:
        start = site.url("clean")
        if kind == "disk_full":
            with small_disk(folder, free_kb) as (how, fsize):
                row.notes.append(how)
                result = crawl(project, start, archive, tmp / "crawl.log", fsize=fsize)
                _after_archive_fault(project, row, result, archive, site, set())
                row.notes.append("WARC: " + warc_check(folder / "archive.warc"))
            return row
        folder.mkdir()
        first = crawl(project, start, archive, tmp / "first.log")
        row.notes.append(f"first crawl exit {first.exit}")
        earlier = run_ids(project, archive)
        if kind == "read_only":
            with read_only(folder) as how:
                row.notes.append(how)
                result = crawl(project, start, archive, tmp / "crawl.log")
                _after_archive_fault(project, row, result, archive, site, earlier)
            return row
        size = archive.stat().st_size
        offset = max(0, size // 2 - DAMAGE_BYTES // 2)
        with archive.open("r+b") as db:
            db.seek(offset)
            db.write(b"\0" * min(DAMAGE_BYTES, size))
        row.notes.append(f"zeroed {DAMAGE_BYTES // 1024} KB at {offset} of {size} bytes")
        result = crawl(project, start, archive, tmp / "crawl.log", "INCREMENTAL_ENABLED=False")
        _after_archive_fault(project, row, result, archive, site, earlier)
    return row


def _after_archive_fault(project: Project, row: Row, result: Crawl, archive: Path, site: FaultSite,
                         earlier: set[str]) -> None:
    run, why = this_run(project, archive, result, earlier)
    _finish(row, result, run, why)
    _records(row, archive, site, "clean")
    row.notes.append("archive stats: " + archive_stats(project, archive))


# --- The table ------------------------------------------------------------------------------------
_HEADER = ("kind", "exit", "finish", "wall s", "+wall vs clean", "peak RSS MB", "+RSS vs clean", "records",
           "bad stored", "offscope req", "counted stat(s)", "notes")


def _short(name: str) -> str:
    return name.replace(_EXC, "exc/").replace(_STATUS, "status/").replace("twisted.internet.error.", "") \
        .replace("twisted.web._newclient.", "").replace("scrapy.exceptions.", "")


def _value(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def table(rows: Sequence[Row]) -> str:
    """A markdown table with fixed-width columns."""
    clean = next((r for r in rows if r.kind == "clean"), None)

    def delta(value: float, base: float | None) -> str:
        return "-" if base is None else f"{value - base:+.1f}"

    cells = []
    for r in rows:
        offscope = str(len(r.other_requests)) + (f"+{r.ftp_connections}ftp" if r.ftp_connections else "")
        cells.append((
            r.kind, "timeout" if r.exit is None else str(r.exit), r.finish, f"{r.wall:.1f}",
            delta(r.wall, clean.wall if clean else None), f"{r.rss_mb:.0f}",
            delta(r.rss_mb, clean.rss_mb if clean else None),
            "?" if r.records is None else str(r.records), str(len(r.bad_stored)), offscope,
            ", ".join(f"{_short(k)}={_value(v)}" for k, v in r.counted.items()) or "-",
            "; ".join(r.notes) or "-",
        ))
    widths = [max(len(str(c[i])) for c in [_HEADER, *cells]) for i in range(len(_HEADER))]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    return "\n".join([line(_HEADER), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells)])


def imported_from(project: Project) -> str:
    done = project.run("-c", "import crawler, archive; print(crawler.__file__); print(archive.__file__)")
    return " and ".join(done.stdout.split()) or done.stderr.strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kinds", help=f"comma-separated, of: {','.join(ALL_KINDS)} (default: all)")
    parser.add_argument("--project", type=Path, default=ROOT, help="the checkout to crawl with (default: this one)")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the crawls (default: this one)")
    parser.add_argument("--kind-timeout", type=float, default=600.0, help="seconds before a crawl is killed")
    parser.add_argument("--max-memory-mb", type=int, default=8192, help="address-space cap of each crawl")
    parser.add_argument("--disk-free-kb", type=int, default=320, help="room left for the archive in disk_full")
    parser.add_argument("--json", type=Path, help="write the raw rows here")
    parser.add_argument("--keep", action="store_true", help="keep each kind's temp dir (archive, logs)")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in (args.kinds or ",".join(ALL_KINDS)).split(",") if k.strip()]
    unknown = set(kinds) - set(ALL_KINDS)
    if unknown:
        parser.error(f"unknown kinds {sorted(unknown)}; known: {', '.join(ALL_KINDS)}")
    if "clean" not in kinds:
        kinds.insert(0, "clean")  # the baseline of the +wall and +RSS columns
    project = Project(args.project.resolve(), args.python, args.kind_timeout, args.max_memory_mb)
    print(f"project {project.root}: imports {imported_from(project)}", flush=True)
    rows = []
    started = time.monotonic()
    for kind in kinds:
        tmp = Path(tempfile.mkdtemp(prefix=f"faults-{kind}-"))
        try:
            if kind in ARCHIVE_KINDS:
                row = run_archive_kind(project, kind, tmp, args.disk_free_kb)
            else:
                row = run_site_kind(project, kind, tmp)
        finally:
            if args.keep:
                print(f"  kept {tmp}", flush=True)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
        row.notes = [note.replace(str(tmp), "<tmp>") for note in row.notes]
        rows.append(row)
        print(f"  {kind}: exit {row.exit}, {row.finish}, {row.wall:.1f} s", flush=True)
    print()
    print(table(rows))
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
