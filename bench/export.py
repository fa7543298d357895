"""`python -m archive export` against a plain `sqlite3` json_object dump of the same records.

    python bench/export.py                                  # builds a 20,000-document archive, 3 rounds
    python bench/export.py --archive /tmp/w/archive.db      # an existing archive (e.g. bench/memory.py --keep)
    python bench/export.py --documents 5000 --rounds 5 --keep /tmp/export-bench

Without --archive, an archive of N documents is written through `Archive.add` (near-duplicate
index off, one sighting per record, as a first crawl stores them) from the texts of
`samples.synthetic` (the documents bench/crawl.py and bench/memory.py crawl, with their titles,
dates and 网友投稿 source), in a temp dir (about 15 s for 20,000).

Each round runs, alternating, in this order (round 2 starts with the second, ...):

  export   `python -m archive export --archive sqlite:///A -o OUT` (default: one line per
           distinct document with its sightings), a child process: wall time, start-up included;
  sqlite3  `sqlite3 A "SELECT json_object('id', id, ..., 'extra', json(extra)) FROM records ORDER
           BY seq" > OUT` (the record schema's fields, keywords and extra as JSON), wall time;
  library  `archive.export.export_to_path` in this process (archive opened and checked, imports
           done): the export without process start-up;
  idle     `sqlite3 A "SELECT 1"` and `python -m archive --help`: the two start-ups alone;
  baseline with --baseline DIR: `python -m archive export` run from DIR, another checkout (its
           output must be byte-identical).

Printed: the median and min-max of each, the ratio export/sqlite3 with start-up, and without it
(library / (sqlite3 - sqlite3 idle)). Issue 12's target: export <= 2x the sqlite3 dump.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import open_archive  # noqa: E402
from archive.export import export_to_path  # noqa: E402
from archive.sqlite import SqliteStore  # noqa: E402
from samples.synthetic import _document  # noqa: E402

DUMP_SQL = (
    "SELECT json_object('id', id, 'url', url, 'site', site, 'title', title, 'published_at', published_at, "
    "'text', text, 'category', category, 'source', source, 'keywords', json(keywords), "
    "'truncated', json(CASE WHEN truncated THEN 'true' ELSE 'false' END), 'content_hash', content_hash, "
    "'dup_of', dup_of, 'crawled_at', crawled_at, 'collection', collection, 'extra', json(extra)) "
    "FROM records ORDER BY seq"
)


def build_archive(path: Path, documents: int) -> None:
    """Write ``documents`` synthetic documents into a new archive at ``path``."""
    rng = random.Random(7)  # build_site's seed: the same texts as the crawled site
    with open_archive(path, near_dup=False) as archive:
        store = archive.store
        assert isinstance(store, SqliteStore)
        for start in range(1, documents + 1, 1000):
            with store.transaction():
                for number in range(start, min(documents, start + 999) + 1):
                    title, stamp, paragraphs = _document(number, rng)
                    archive.add({
                        "url": f"http://127.0.0.1:8000/fanwen/{100000 + number}.html", "site": "baina",
                        "title": title, "published_at": stamp.replace(" ", "T") + "+08:00",
                        "text": "\n".join(paragraphs), "category": "讲话稿", "source": "网友投稿",
                        "keywords": ["讲话"], "crawled_at": f"2026-12-01T{number // 3600 % 24:02d}:"
                        f"{number // 60 % 60:02d}:{number % 60:02d}Z",
                    })


def timed(command: list[str], out: Path | None = None, cwd: Path = ROOT) -> float:
    started = time.perf_counter()
    with (out.open("wb") if out else open(os.devnull, "wb")) as sink:  # noqa: PTH123
        subprocess.run(command, stdout=sink, stderr=subprocess.DEVNULL, check=True, cwd=cwd)
    return time.perf_counter() - started


def in_process(archive_path: Path, out: Path) -> float:
    with open_archive(archive_path, create=False, near_dup=False) as archive:
        assert isinstance(archive.store, SqliteStore)
        archive.store.check()  # as the CLI does, outside the timing
        started = time.perf_counter()
        export_to_path(archive, out)
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=Path, help="an existing archive database (default: build one)")
    parser.add_argument("--documents", type=int, default=20_000, help="documents of the archive built")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (archive, outputs)")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="also time `python -m archive export` run from DIR (another checkout, e.g. "
                             "`git archive HEAD | tar -x -C DIR`) and check its output is byte-identical")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    archive_path = args.archive
    if archive_path is None:
        archive_path = work / f"archive-{args.documents}.db"
        if not archive_path.exists():
            started = time.perf_counter()
            build_archive(archive_path, args.documents)
            print(f"built {archive_path} ({args.documents} documents) in {time.perf_counter() - started:.0f} s")
    env_python = [sys.executable, "-m", "archive"]
    variants = {
        "export": lambda: timed([*env_python, "export", "--archive", f"sqlite:///{archive_path}", "-o",
                                 str(work / "export.jsonl")]),
        "sqlite3": lambda: timed(["sqlite3", str(archive_path), DUMP_SQL], work / "sqlite3.jsonl"),
        **({"baseline": lambda: timed([*env_python, "export", "--archive", f"sqlite:///{archive_path}", "-o",
                                        str(work / "baseline.jsonl")], cwd=args.baseline)} if args.baseline else {}),
        "library": lambda: in_process(archive_path, work / "library.jsonl"),
        "sqlite3 idle": lambda: timed(["sqlite3", str(archive_path), "SELECT 1"]),
        "python -m archive --help": lambda: timed([*env_python, "--help"]),
    }
    names = list(variants)
    times: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # one untimed pass: the file in the OS cache, pyc files written
        variants[name]()
    for round_no in range(args.rounds):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(variants[name]())
        print(f"round {round_no + 1}: " + ", ".join(f"{n} {times[n][-1]:.3f} s" for n in names), flush=True)
    outputs = ["export", "sqlite3", "library", *(["baseline"] if args.baseline else [])]
    lines = {name: sum(1 for _ in (work / f"{name}.jsonl").open(encoding="utf-8")) for name in outputs}
    export_bytes = (work / "export.jsonl").read_bytes()
    same = export_bytes == (work / "library.jsonl").read_bytes()
    print(f"\narchive {archive_path}: {archive_path.stat().st_size / 1e6:.0f} MB; lines: {lines}; "
          f"CLI and library output identical: {same}")
    if args.baseline:
        print(f"baseline output byte-identical to this checkout's: {export_bytes == (work / 'baseline.jsonl').read_bytes()}")
    med = {name: statistics.median(values) for name, values in times.items()}
    print("\n| run | median s | min-max s |\n|---|---:|---:|")
    for name in names:
        print(f"| {name} | {med[name]:.3f} | {min(times[name]):.3f}-{max(times[name]):.3f} |")
    with_start = med["export"] / med["sqlite3"]
    dump = med["sqlite3"] - med["sqlite3 idle"]
    without = med["library"] / dump if dump > 0 else float("nan")
    print(f"\nexport / sqlite3, start-up included: {with_start:.2f}x (per round "
          f"{', '.join(f'{e / s:.2f}' for e, s in zip(times['export'], times['sqlite3'], strict=True))}); "
          f"target <= 2x: {'met' if with_start <= 2 else 'NOT met'}")
    print(f"export / sqlite3, start-up excluded (library / (sqlite3 - idle)): {without:.2f}x")
    if args.baseline:
        print(f"baseline / sqlite3, start-up included: {med['baseline'] / med['sqlite3']:.2f}x; "
              f"export / baseline: {med['export'] / med['baseline']:.2f}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
