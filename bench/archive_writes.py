"""Archive write throughput: ``Archive.add`` one commit per document beside batched commits.

    python bench/archive_writes.py                        # 2,000 documents, modes item,batch
    python bench/archive_writes.py --documents 500 --modes item --rounds 3

Each mode adds the same documents to a new archive in a temp folder (``--dir``; put it on the
disk the archive lives on, never on a tmpfs, where fsync costs nothing): one document per
``add``, each with one capture (a ~30 KB generated HTML page, request headers included), the
near-duplicate index on. The documents are the synthetic 百纳 speeches of
``samples.synthetic`` (distinct texts, so nearly every add is ``new`` and is sketched, looked up
and indexed), generated before the clock starts.

  item   ``open_archive(path)``: every add is its own transaction (COMMIT, WAL fsync) and its
         WARC append is fsynced before it: the library's default;
  batch  ``open_archive(path, commit_items=50, commit_seconds=1.0)``: adds run as savepoints
         of a transaction committed every 50 adds or once a second (what the crawl's
         ARCHIVE_COMMIT_ITEMS / ARCHIVE_COMMIT_SECONDS default to).

Measured per mode (the median round of ``--rounds``; a round is one fresh archive): adds per
second and ms per add over the adds and the final ``close()`` (which commits what is left); the
p50 / p95 / max of single ``add`` calls (the max is an add that committed, or that ran SQLite's
WAL checkpoint: the longest the crawl's reactor thread is held by one document); CPU ms per add
(user+sys of this process).
A run on an archive without batch support (older code) reports ``item`` only.
"""

from __future__ import annotations

import argparse
import inspect
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import Capture, open_archive  # noqa: E402
from samples.synthetic import _document, document_page  # noqa: E402

MODES = {"item": {}, "batch": {"commit_items": 50, "commit_seconds": 1.0}}
CAPTURE_BYTES = 30_000


@dataclass(frozen=True)
class Result:
    """One mode's round: its adds, how long they took, and each add's time."""

    mode: str
    documents: int
    seconds: float
    cpu_seconds: float
    add_ms: list[float]

    @property
    def per_second(self) -> float:
        """Adds per second, the final close() included."""
        return self.documents / self.seconds

    def quantile(self, q: float) -> float:
        """The ``q`` quantile of the single adds' times (ms)."""
        ordered = sorted(self.add_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def documents(count: int) -> list[tuple[dict[str, Any], Capture]]:
    """``count`` documents with one ~30 KB capture each, the same on every call."""
    rng = random.Random(12)  # noqa: S311 - test data
    made = []
    for number in range(1, count + 1):
        title, stamp, paragraphs = _document(number, rng)
        url = f"http://127.0.0.1:8000/fanwen/{100000 + number}.html"
        page = document_page(number, title, stamp, paragraphs)
        # Pad with a template's worth of links (sites repeat a big menu on every page).
        links: list[str] = []
        size = len(page.encode())
        while size < CAPTURE_BYTES:
            links.append(f"<li><a href='/fanwen/{rng.randrange(10**6)}.html'>{rng.random():.6f}</a></li>")
            size += len(links[-1])
        body = page.replace("</body>", f"<ul class='menu'>{''.join(links)}</ul></body>").encode()
        capture = Capture(url, 200, [("Content-Type", "text/html; charset=utf-8"), ("ETag", f'"{number}"')],
                          body, "2026-12-02T08:00:00Z", [("Host", "127.0.0.1:8000"), ("User-Agent", "bench")])
        doc = {"url": url, "site": "baina", "title": title, "published_at": stamp[:10],
               "text": "\n".join(paragraphs), "crawled_at": "2026-12-02T08:00:00Z"}
        made.append((doc, capture))
    return made


def run(mode: str, docs: list[tuple[dict[str, Any], Capture]], folder: Path) -> Result:
    db = Path(tempfile.mkdtemp(prefix=f"{mode}-", dir=folder)) / "archive.db"
    archive = open_archive(db, **MODES[mode])
    times = []
    cpu = os.times()
    started = time.perf_counter()
    for doc, capture in docs:
        before = time.perf_counter()
        archive.add(doc, [capture])
        times.append((time.perf_counter() - before) * 1000)
    archive.close()
    seconds = time.perf_counter() - started
    after = os.times()
    return Result(mode, len(docs), seconds, after.user + after.system - cpu.user - cpu.system, times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--modes", default="item,batch", help="comma-separated: item, batch")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None, help="where the temp archives go (default: $TMPDIR)")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(sorted(unknown))}; choose from {', '.join(MODES)}")
    if "commit_items" not in inspect.signature(open_archive).parameters and "batch" in modes:
        print("open_archive has no commit_items: this code has no batches, measuring item only")
        modes = [m for m in modes if m != "batch"]
    docs = documents(args.documents)
    size = statistics.mean(len(c.body) for _, c in docs)
    print(f"{len(docs)} documents, captures {size / 1000:.1f} KB on average; load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-archive-writes-", dir=args.dir) as tmp:
        results: dict[str, list[Result]] = {mode: [] for mode in modes}
        for round_number in range(args.rounds):
            for mode in modes:
                result = run(mode, docs, Path(tmp))
                results[mode].append(result)
                print(f"  round {round_number + 1} {mode}: {result.per_second:.0f} adds/s, "
                      f"max add {max(result.add_ms):.1f} ms")
    print()
    print("| mode  | documents | adds/s | ms/add | add p50 ms | add p95 ms | add max ms | CPU ms/add |")
    print("|-------|-----------|--------|--------|------------|------------|------------|------------|")
    for mode, rounds in results.items():
        r = sorted(rounds, key=lambda x: x.seconds)[len(rounds) // 2]
        print(f"| {mode:<5} | {r.documents:>9} | {r.per_second:>6.0f} | {r.seconds * 1000 / r.documents:>6.2f} "
              f"| {r.quantile(0.5):>10.2f} | {r.quantile(0.95):>10.2f} | {max(r.add_ms):>10.1f} "
              f"| {r.cpu_seconds * 1000 / r.documents:>10.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
