"""Archive add rate on PostgreSQL beside SQLite, and with several writers on one PostgreSQL archive.

    python bench/archive_postgres.py                      # 2,000 texts, 1 and 2 writers
    python bench/archive_postgres.py --texts 1000 --writers 1,2,4

Starts its own PostgreSQL server (``tests/postgres_server.py``: initdb in a temp folder, run as
``nobody`` when root; fsync left ON here, unlike the tests, so commits cost what they cost) and
times ``Archive.add`` of the concurrency test's texts (``tests/archive/pg_writer.py``: 300
random CJK characters, odd ones with a per-writer tail, so every add is sketched, looked up and
indexed; no captures), one commit per add, near-duplicate index on:

  sqlite       one process, a SQLite file in the temp folder;
  pg x N       N processes at once on one PostgreSQL database, each adding all the texts at URLs
               of its own (so N x texts adds; every text is one document with N copies).

Prints adds/s (all writers together) and ms per add. The texts are made before the clock starts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.postgres_server import find_binaries, start_server, stop_server  # noqa: E402


def _sqlite(texts: int, folder: Path) -> float:
    code = (
        "import sys, time; from archive import open_archive; from tests.archive.pg_writer import variant\n"
        "n = int(sys.argv[2]); docs = [{'url': f'https://w0.example/{i}.html', 'site': 'w0', 'title': f'{i}',"
        " 'text': variant(i, 0)} for i in range(n)]\n"
        "with open_archive(sys.argv[1]) as a:\n"
        "    a.add({'url': 'https://warm.example/', 'site': 'w0', 'text': 'warm up'})\n"
        "    t = time.perf_counter()\n"
        "    for d in docs: a.add(d)\n"
        "    print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(folder / "bench.db"), str(texts)], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return float(out)


def _postgres(uri: str, texts: int, writers: int, folder: Path) -> float:
    go = folder / f"go-{writers}"
    env = {**os.environ, "ARCHIVE_WARC_DIR": str(folder / "warc")}
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.archive.pg_writer", uri, str(k), str(texts), str(go)],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for k in range(writers)
    ]
    time.sleep(1.5)
    started = time.perf_counter()
    go.touch()
    for proc in procs:
        out, _ = proc.communicate()
        json.loads(out)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--writers", default="1,2")
    args = parser.parse_args()
    binaries = find_binaries()
    if binaries is None:
        print("PostgreSQL is not installed", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        seconds = _sqlite(args.texts, folder)
        print(f"sqlite   x1: {args.texts / seconds:7.1f} adds/s  {1000 * seconds / args.texts:6.2f} ms/add")
        server, process = start_server(binaries, durable=True)
        try:
            for writers in (int(w) for w in args.writers.split(",")):
                uri = server.create_database(f"bench_{writers}")
                seconds = _postgres(uri, args.texts, writers, folder)
                adds = writers * args.texts
                print(f"postgres x{writers}: {adds / seconds:7.1f} adds/s  {1000 * seconds / adds:6.2f} ms/add"
                      f"  ({adds} adds in {seconds:.1f} s)")
        finally:
            stop_server(server, process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
