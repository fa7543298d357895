"""`python -m crawler demo`: the main job on the bundled sample sites, offline.

Serves the four sample sites on 127.0.0.1, crawls them with the four site spiders into an
archive, exports the archive as JSON lines and prints what happened per site.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from archive import open_archive
from archive.export import export_to_path

logger = logging.getLogger(__name__)

DEMO_SETTINGS = {
    # Local sample sites answer in microseconds: politeness delays would only slow the demo.
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "LOG_LEVEL": "WARNING",
}


def run_crawls(spiders: list[str], start_urls: dict[str, str], settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Run site spiders in one process and return each one's final stats."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    project = get_project_settings()
    project.update(settings, priority="cmdline")
    process = CrawlerProcess(project, install_root_handler=True)
    crawlers = {}
    for name in spiders:
        crawler = process.create_crawler(name)
        crawlers[name] = crawler
        process.crawl(crawler, start_urls=start_urls[name])
    process.start()
    return {name: dict(c.stats.get_stats()) if c.stats else {} for name, c in crawlers.items()}


def summary_table(stats: dict[str, dict[str, Any]]) -> str:
    """The per-site summary the demo prints."""
    columns = ("site", "pages", "records", "new", "duplicates", "unchanged", "changed", "skipped", "errors")
    rows = []
    for site, s in sorted(stats.items()):
        skipped = sum(v for k, v in s.items() if k.startswith("extract/skipped/"))
        errors = s.get("crawl/page_error", 0) + s.get("log_count/ERROR", 0)
        rows.append((
            site,
            s.get("downloader/response_count", 0),
            s.get("item_scraped_count", 0),
            s.get("archive/new", 0),
            s.get("archive/duplicate", 0),
            s.get("archive/unchanged", 0),
            s.get("archive/changed", 0),
            skipped,
            errors,
        ))
    totals = ("total", *(sum(int(r[i]) for r in rows) for i in range(1, len(columns))))
    lines = [columns, *rows, totals]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(columns))]
    return "\n".join(
        "  ".join(
            str(value).ljust(width) if i == 0 else str(value).rjust(width)
            for i, (value, width) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the sample sites, crawl them all into the archive, export it, print a summary."""
    from crawler.sites import SITES
    from samples.serve import serve_all

    archive_uri = args.archive or os.environ.get("ARCHIVE_URI", "sqlite:///data/archive.db")
    spiders = sorted(SITES)
    with serve_all() as urls:
        print("serving the sample sites:", ", ".join(f"{k} {u}" for k, u in sorted(urls.items())))
        stats = run_crawls(spiders, urls, {**DEMO_SETTINGS, "ARCHIVE_URI": archive_uri})
    output = Path(args.output)
    with open_archive(archive_uri, create=False) as archive:
        count = export_to_path(archive, output)
    print()
    print(summary_table(stats))
    print()
    print(f"archive: {archive_uri}  ({count} records exported to {output})")
    failed = [s for s, st in stats.items() if st.get("finish_reason") != "finished"]
    if failed:
        print(f"error: spiders did not finish: {', '.join(failed)}; see the log above", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run a `python -m crawler` sub-command; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="crawl the bundled sample sites into an archive and export it")
    demo.add_argument("--archive", help="archive URI (default: $ARCHIVE_URI or sqlite:///data/archive.db)")
    demo.add_argument("-o", "--output", default="data/records.jsonl", help="JSON lines export path")
    demo.set_defaults(func=cmd_demo)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
