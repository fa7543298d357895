"""Memory curve of a long crawl: resident memory of `scrapy crawl baina` against documents stored.

    nice -n 10 python bench/memory.py                     # 100,000 documents, a sample every 1,000
    python bench/memory.py --documents 20000 --every 500 --json curve.json
    python bench/memory.py --documents 30000 --tracemalloc 5000,25000   # what grows, by traceback
    python bench/memory.py --documents 20000 --env MALLOC_ARENA_MAX=2 --trim --set ARCHIVE_NEAR_DUPLICATES=False
    python bench/memory.py --documents 20000 --documents-first       # document requests before list pages

One synthetic 百纳-style site of N documents (`samples.synthetic.build_site`; 100,000 documents
take about 20 s and 600 MB of disk) is served on 127.0.0.1 (`samples.serve.serve_site`, a thread
of this process) and crawled once by the project's `scrapy crawl baina -a start_urls=<site>/`
into a fresh archive, with bench/crawl.py's settings (AUTOTHROTTLE_ENABLED=False,
DOWNLOAD_DELAY=0, CONCURRENT_REQUESTS=16, CONCURRENT_REQUESTS_PER_DOMAIN=16, ROBOTSTXT_OBEY=True,
telnet and remote control off, LOG_LEVEL=INFO) plus any --set.

The crawl runs with a probe extension (bench/memprobe.py, copied to a folder on the child's
PYTHONPATH, added to the project's EXTENSIONS) that writes one JSON line every --every scraped
items: VmRSS/RssAnon of /proc/self/status, the RSS and PSS of the extraction workers (the crawl's
descendants, crawler/workers.py) and what the known per-crawl structures hold (dupefilter
fingerprints, pending requests, the RepeatedBlocks memory, the near-duplicate BandTable,
SQLite's heap, glibc's heap in use and free, Python's allocated blocks). Printed:

- the curve: documents (items scraped) -> RSS MB of the crawl process, with the workers' RSS,
  the total PSS (crawl process + workers) and those structures beside it;
- the peak: VmHWM of the last sample and ru_maxrss of the process (os.wait4);
- the growth after the first 10,000 documents (--after): the least-squares slope of RSS over the
  samples from there to the end, and (end - start) / documents, in KB per document, with the
  same for RSS minus the BandTable (the near-duplicate index grows by design: 528 bytes a
  document, docs/neardup.md).

Issue 12's target: RSS over a 100,000-document crawl <= 400 MB, growing <= 0.3 KB per document
after the first 10,000.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(BENCH))  # last: bench/incremental.py must not shadow the incremental package

from crawl import COMMON  # noqa: E402 - bench/crawl.py's settings

from crawler.settings import EXTENSIONS as PROJECT_EXTENSIONS  # noqa: E402
from samples.serve import serve_site  # noqa: E402
from samples.synthetic import build_site  # noqa: E402


def _stat(log: str, name: str) -> str | None:
    start = log.rfind("Dumping Scrapy stats")
    match = re.search(rf"'{re.escape(name)}': ([^,}}\n]+)", log[start:] if start >= 0 else "")
    return match.group(1).strip().strip("'") if match else None


def crawl(base: str, work: Path, args: argparse.Namespace) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run the crawl child with the probe; return its samples and a summary of the process."""
    samples_path = work / "memory.jsonl"
    settings = {
        **COMMON,
        "ARCHIVE_URI": f"sqlite:///{work / 'archive.db'}",
        "EXTENSIONS": json.dumps({**PROJECT_EXTENSIONS, "memprobe.MemoryProbe": 0}),
        "MEMPROBE_FILE": str(samples_path),
        "MEMPROBE_EVERY": str(args.every),
        "MEMPROBE_TRIM": str(args.trim),
        "MEMPROBE_GC": str(args.gc),
        "MEMPROBE_TRACEMALLOC": args.tracemalloc or "",
        "MEMPROBE_FRAMES": str(args.frames),
    }
    if args.documents_first:
        settings["SPIDER_MIDDLEWARES"] = json.dumps({"memprobe.DocumentsFirst": 1000})
    for setting in args.set:
        name, _, value = setting.partition("=")
        settings[name] = value
    command = [sys.executable, "-m", "scrapy", "crawl", "baina", "-a", f"start_urls={base}/",
               *[arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]]
    env = dict(os.environ)
    for name in ("ARCHIVE_URI", "SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT"):
        env.pop(name, None)
    probe_dir = work / "probe"  # the probe alone: bench/ itself would shadow packages (incremental)
    probe_dir.mkdir(exist_ok=True)
    shutil.copy(BENCH / "memprobe.py", probe_dir / "memprobe.py")
    env["PYTHONPATH"] = os.pathsep.join((str(probe_dir), str(ROOT)))
    for pair in args.env:
        name, _, value = pair.partition("=")
        env[name] = value
    log_path = work / "crawl.log"
    started = time.monotonic()
    with log_path.open("wb") as out:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    samples = [json.loads(line) for line in samples_path.read_text().splitlines()] if samples_path.exists() else []
    summary = {
        "exit": os.waitstatus_to_exitcode(status), "wall_s": time.monotonic() - started,
        "cpu_s": usage.ru_utime + usage.ru_stime, "maxrss_mb": usage.ru_maxrss / 1024,
        "responses": int(_stat(log, "downloader/response_count") or 0),
        "items": int(_stat(log, "item_scraped_count") or 0),
        "new": int(_stat(log, "archive/new") or 0),
        "elapsed_s": float(_stat(log, "elapsed_time_seconds") or 0.0),
        "finish": _stat(log, "finish_reason") or "?",
        "log": str(log_path),
    }
    if summary["exit"] != 0 or not samples:
        print("crawl failed; log tail:\n" + "\n".join(log.splitlines()[-20:]), flush=True)
    return samples, summary


# --- The curve ---------------------------------------------------------------------------------
def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value / 1e6:.1f}"


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x (None with fewer than two distinct x)."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else None


def table(samples: list[dict[str, Any]], rows: int) -> str:
    """The curve as a markdown table, at most about ``rows`` rows (first and last always)."""
    step = max(1, -(-len(samples) // rows))
    shown = [s for i, s in enumerate(samples) if i % step == 0 or i >= len(samples) - 2]
    header = ("documents", "s", "RSS MB", "anon MB", "workers RSS MB", "total PSS MB", "fingerprints", "pending", "repeated keys", "BandTable MB",
              "SQLite MB", "malloc used MB", "malloc free MB", "malloc mmap MB", "py blocks k", "trimmed RSS MB")
    lines = []
    for s in shown:
        lines.append((
            str(s["items"]), f"{s['t']:.0f}", f"{s['VmRSS'] / 1024:.1f}", f"{s.get('RssAnon', 0) / 1024:.1f}",
            f"{s.get('children_rss', 0) / 1024:.1f} ({s.get('children', 0)})",
            f"{(s.get('Pss', 0) + s.get('children_pss', 0)) / 1024:.1f}",
            str(s.get("fingerprints", "-")), str(s.get("pending", "-")), str(s.get("repeated_keys", "-")),
            _mb(s.get("bandtable_bytes")), _mb(s.get("sqlite_bytes")), _mb(s.get("malloc_used")),
            _mb(s.get("malloc_free")), _mb(s.get("malloc_mmap")), f"{s['py_blocks'] / 1000:.0f}",
            f"{s['VmRSS_trimmed'] / 1024:.1f}" if "VmRSS_trimmed" in s else "-",
        ))
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]

    def line(values: tuple[str, ...]) -> str:
        return "| " + " | ".join(v.rjust(w) for v, w in zip(values, widths, strict=True)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|", *map(line, lines)])


def growth(samples: list[dict[str, Any]], after: int) -> list[str]:
    """KB per document after ``after`` documents: least squares and end minus start."""
    # Not the sample at spider_closed: the archive (and its BandTable) is closed by then.
    late = [s for s in samples if s["items"] >= after and s.get("event") == ""]
    if len(late) < 2:
        return [f"growth: fewer than two samples after {after} documents"]
    first, last = late[0], late[-1]
    docs = last["items"] - first["items"]
    out = []
    series: tuple[tuple[str, Any], ...] = (
        ("RSS", lambda s: s["VmRSS"] * 1024),
        ("RSS - BandTable", lambda s: s["VmRSS"] * 1024 - s.get("bandtable_bytes", 0)),
        ("workers RSS", lambda s: s.get("children_rss", 0) * 1024),
        ("total PSS", lambda s: (s.get("Pss", 0) + s.get("children_pss", 0)) * 1024),
        ("BandTable", lambda s: s.get("bandtable_bytes", 0)),
        ("fingerprints (count)", lambda s: s.get("fingerprints", 0) * 1000),
        ("malloc used", lambda s: s.get("malloc_used", 0)),
        ("malloc free", lambda s: s.get("malloc_free", 0)),
        ("py blocks (count)", lambda s: s.get("py_blocks", 0) * 1000),
        ("SQLite heap", lambda s: s.get("sqlite_bytes", 0)),
    )
    if "VmRSS_trimmed" in first:
        series += (("RSS after malloc_trim", lambda s: s["VmRSS_trimmed"] * 1024),)
    for name, value in series:
        fit = slope([(s["items"], value(s)) for s in late])
        end_start = (value(last) - value(first)) / docs if docs else None
        unit = "per 1000 documents" if "(count)" in name else "KB/document"
        scale = 1.0 if "(count)" in name else 1 / 1000
        out.append(f"{name:<22} {'-' if fit is None else f'{fit * scale:.3f}'} (fit), "
                   f"{'-' if end_start is None else f'{end_start * scale:.3f}'} (end-start) {unit}, "
                   f"{first['items']}..{last['items']} documents")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=1000, help="a sample every this many documents")
    parser.add_argument("--after", type=int, default=10_000, help="growth is measured from here on")
    parser.add_argument("--rows", type=int, default=25, help="rows of the printed curve (all are in --json)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a Scrapy setting")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable of the crawl (e.g. MALLOC_ARENA_MAX=2)")
    parser.add_argument("--documents-first", action="store_true",
                        help="experiment: document requests one priority above list pages (memprobe.DocumentsFirst)")
    parser.add_argument("--trim", action="store_true", help="also sample RSS after malloc_trim(0)")
    parser.add_argument("--gc", action="store_true", help="also count the objects gc tracks (slow)")
    parser.add_argument("--tracemalloc", metavar="N,M,...", help="tracemalloc snapshots at these documents")
    parser.add_argument("--frames", type=int, default=8, help="tracemalloc traceback depth")
    parser.add_argument("--json", type=Path, help="write the samples and the summary here")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (site, archive, log)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    for stale in ("archive.db", "archive.db-wal", "archive.db-shm", "memory.jsonl", "memory.jsonl.tracemalloc.txt"):
        (work / stale).unlink(missing_ok=True)
    shutil.rmtree(work / "archive.warc", ignore_errors=True)
    started = time.monotonic()
    site = work / "site"
    built = json.loads((site / "_bench.json").read_text()) if (site / "_bench.json").exists() else {}
    if built.get("documents") != args.documents:
        shutil.rmtree(site, ignore_errors=True)
        build_site(site, args.documents)
        (site / "_bench.json").write_text(json.dumps({"documents": args.documents}))
    server, base = serve_site(site)
    print(f"site {base}/: {args.documents} documents (built in {time.monotonic() - started:.0f} s); "
          f"load average {os.getloadavg()[0]:.2f}; work dir {work}", flush=True)
    try:
        samples, summary = crawl(base, work, args)
    finally:
        server.shutdown()
        server.server_close()
    print(f"crawl: exit {summary['exit']}, {summary['finish']}, {summary['responses']} responses, "
          f"{summary['items']} items ({summary['new']} new records) in {summary['elapsed_s']:.0f} s "
          f"({summary['responses'] / max(summary['elapsed_s'], 1e-9):.0f} pages/s), wall {summary['wall_s']:.0f} s, "
          f"CPU {summary['cpu_s']:.0f} s; load average {os.getloadavg()[0]:.2f}")
    if samples:
        print()
        print(table(samples, args.rows))
        print()
        peak = max(s["VmHWM"] for s in samples) / 1024
        print(f"peak RSS: {peak:.1f} MB (VmHWM), {summary['maxrss_mb']:.1f} MB (ru_maxrss); "
              f"at spider open {samples[0]['VmRSS'] / 1024:.1f} MB, at close {samples[-1]['VmRSS'] / 1024:.1f} MB")
        for line in growth(samples, args.after):
            print(line)
        probe_ms = [s["probe_ms"] for s in samples]
        print(f"probe cost per sample: median {sorted(probe_ms)[len(probe_ms) // 2]:.1f} ms")
    if args.tracemalloc:
        report = work / "memory.jsonl.tracemalloc.txt"
        print()
        print(report.read_text(encoding="utf-8") if report.exists() else "tracemalloc: no report written")
    if args.json:
        args.json.write_text(json.dumps({"documents": args.documents, "summary": summary, "samples": samples},
                                        indent=1), encoding="utf-8")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if summary["exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
