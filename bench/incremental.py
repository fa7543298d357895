"""Incremental re-crawl benchmark: a 2,000-document local site crawled twice.

    python bench/incremental.py [--documents 2000] [--set NAME=VALUE ...]

Prints, for the first and the second run side by side: pages downloaded (all, documents),
records stored and wall time. Target: the second run downloads under 5% of the first's pages.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from samples.serve import serve_site  # noqa: E402
from samples.synthetic import build_site  # noqa: E402


def crawl(base: str, archive: Path, settings: list[str]) -> tuple[float, dict[str, int]]:
    command = [
        sys.executable, "-m", "scrapy", "crawl", "baina", "-a", f"start_urls={base}/",
        "-s", f"ARCHIVE_URI=sqlite:///{archive}", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "LOG_LEVEL=DEBUG",
    ]
    for setting in settings:
        command += ["-s", setting]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - started
    log = done.stderr

    def stat(key: str) -> int:
        match = re.search(rf"'{re.escape(key)}': (\d+)", log)
        return int(match.group(1)) if match else 0

    counts = {
        "pages": stat("downloader/response_count"),
        "documents": len(re.findall(r"Crawled \(200\) <GET http://[^/]+/fanwen/", log)),
        "stored": stat("archive/new") + stat("archive/duplicate") + stat("archive/changed"),
        "fresh": stat("incremental/skipped_fresh"),
    }
    return elapsed, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for both runs (repeatable)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        build_site(root, args.documents)
        server, base = serve_site(root)
        try:
            archive = Path(tmp) / "archive.db"
            first = crawl(base, archive, args.set)
            second = crawl(base, archive, args.set)
        finally:
            server.shutdown()
            server.server_close()
    rows = [("first run", *first), ("second run", *second)]
    print(f"{'run':<11} {'pages':>6} {'documents':>9} {'stored':>6} {'skipped fresh':>13} {'wall s':>7}")
    for name, elapsed, c in rows:
        print(f"{name:<11} {c['pages']:>6} {c['documents']:>9} {c['stored']:>6} {c['fresh']:>13} {elapsed:>7.1f}")
    share = second[1]["pages"] / max(1, first[1]["pages"])
    print(f"second run downloads {share:.1%} of the first's pages (target < 5%): {'PASS' if share < 0.05 else 'FAIL'}")
    print(f"wall time ratio second/first: {second[0] / first[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
