"""`python -m crawler`: run the site spiders from a shell, cron or a systemd timer.

Examples: `python -m crawler crawl-all --start-urls baina=https://HOST/ --concurrency 2`, and
`python -m crawler demo` (the bundled sample sites, offline).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from archive import open_archive
from archive.export import export_to_path
from crawler.runner import failed_sites, run_crawls, summary_table

logger = logging.getLogger(__name__)

DEMO_SETTINGS = {
    # Local sample sites answer in microseconds: politeness delays would only slow the demo.
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "LOG_LEVEL": "WARNING",
}


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """`-s NAME=VALUE` options as a dict."""
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"bad -s {pair!r}; expected NAME=VALUE")
        settings[name] = value
    return settings


def parse_start_urls(pairs: list[str], file: str | None, known: set[str]) -> dict[str, list[str]]:
    """Start URLs per site from `--start-urls SITE=URL[,URL]` and/or a JSON file {site: [urls]}."""
    urls: dict[str, list[str]] = {}
    if file:
        try:
            loaded = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read --start-urls-file {file}: {exc}") from None
        if not isinstance(loaded, dict):
            raise ValueError(f"--start-urls-file {file} must hold a JSON object {{site: [urls]}}")
        for site, value in loaded.items():
            urls.setdefault(site, []).extend([value] if isinstance(value, str) else list(value))
    for pair in pairs:
        site, sep, value = pair.partition("=")
        if not sep or not value:
            raise ValueError(f"bad --start-urls {pair!r}; expected SITE=URL[,URL...]")
        urls.setdefault(site, []).extend(u for u in value.split(",") if u)
    unknown = sorted(set(urls) - known)
    if unknown:
        raise ValueError(f"unknown site {unknown[0]!r}; expected one of {', '.join(sorted(known))}")
    return urls


def cmd_crawl_all(args: argparse.Namespace) -> int:
    """Crawl every configured site; exit 1 if a spider failed."""
    from crawler.sites import SITES

    try:
        settings = parse_settings(args.set)
        start_urls = parse_start_urls(args.start_urls, args.start_urls_file, {*SITES, "generic"})
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.site:
        start_urls = {s: u for s, u in start_urls.items() if s in args.site}
    if not start_urls:
        print(
            "error: no site has start URLs; pass --start-urls SITE=URL or --start-urls-file FILE",
            file=sys.stderr,
        )
        return 2
    missing = sorted(set(SITES) - set(start_urls))
    if missing and not args.site:
        print(f"not crawled (no start URL): {', '.join(missing)}", file=sys.stderr)
    stats = run_crawls(start_urls, settings, concurrency=args.concurrency)
    print(summary_table(stats))
    failed = failed_sites(stats)
    if failed:
        print(f"error: spiders did not finish: {', '.join(failed)}; see the log above", file=sys.stderr)
        return 1
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the sample sites, crawl them all into the archive, export it, print a summary."""
    from crawler.sites import SITES
    from samples.serve import serve_all

    archive_uri = args.archive or os.environ.get("ARCHIVE_URI", "sqlite:///data/archive.db")
    # Fixed ports keep the URLs stable, so a second demo run finds its pages in the archive.
    with contextlib.ExitStack() as stack:
        try:
            urls = stack.enter_context(serve_all(port_base=args.port_base))
        except OSError as exc:
            last = args.port_base + len(SITES) - 1
            print(f"error: cannot serve the sample sites on ports {args.port_base}-{last} ({exc.strerror}); "
                  "pass --port-base N for other ports, or 0 for any free ones", file=sys.stderr)
            return 2
        print("serving the sample sites:", ", ".join(f"{k} {u}" for k, u in sorted(urls.items())))
        start_urls = {site: [urls[site] + "/"] for site in sorted(SITES)}
        stats = run_crawls(start_urls, {**DEMO_SETTINGS, "ARCHIVE_URI": archive_uri}, concurrency=len(start_urls))
    output = Path(args.output)
    with open_archive(archive_uri, create=False) as archive:
        count = export_to_path(archive, output)
        total = sum(1 for _ in archive.iter_records())
    print()
    print(summary_table(stats))
    print()
    print(f"archive: {archive_uri} ({total} records)")
    print(f"export:  {output} ({count} distinct documents, with their sightings)")
    failed = failed_sites(stats)
    if failed:
        print(f"error: spiders did not finish: {', '.join(failed)}; see the log above", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run a `python -m crawler` sub-command; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    crawl = sub.add_parser("crawl-all", help="run every site spider that has start URLs, then print a summary")
    crawl.add_argument("--start-urls", action="append", default=[], metavar="SITE=URL[,URL]",
                       help="start URLs of one site (repeatable)")
    crawl.add_argument("--start-urls-file", metavar="FILE", help='JSON file {"site": ["url", ...]}')
    crawl.add_argument("--site", action="append", help="only this site (repeatable)")
    crawl.add_argument("--concurrency", type=int, default=1, help="spiders running at once (default 1)")
    crawl.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                       help="a Scrapy setting, as with scrapy crawl -s (repeatable)")
    crawl.set_defaults(func=cmd_crawl_all)

    demo = sub.add_parser("demo", help="crawl the bundled sample sites into an archive and export it")
    demo.add_argument("--archive", help="archive URI (default: $ARCHIVE_URI or sqlite:///data/archive.db)")
    demo.add_argument("-o", "--output", default="data/records.jsonl", help="JSON lines export path")
    demo.add_argument("--port-base", type=int, default=18101, help="serve the sites on this port and up (0: any)")
    demo.set_defaults(func=cmd_demo)

    args = parser.parse_args(argv)
    result: Any = args.func(args)
    return int(result)


if __name__ == "__main__":
    sys.exit(main())
