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

from crawler.checks import LOG_LEVELS, check_path_creatable, check_settings, check_start_url
from crawler.runner import crawl_error, project_settings, run_crawls, summary_table

logger = logging.getLogger(__name__)

DEMO_SETTINGS = {
    # Local sample sites answer in microseconds: politeness delays would only slow the demo.
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "LOG_LEVEL": "WARNING",
}
DEMO_OUTPUT = "data/records.jsonl"


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
    """Start URLs per site from `--start-urls SITE=URL[,URL]` and/or a JSON file {site: [urls]}.

    Every URL is checked (`check_start_url`): ValueError (one line) on the first bad one.
    """
    urls: dict[str, list[str]] = {}
    if file:
        shape = 'expected a JSON object {"site": ["url", ...]}'
        try:
            loaded = json.loads(Path(file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"cannot read --start-urls-file {file} ({exc.strerror}); pass an existing file") from None
        except ValueError as exc:
            raise ValueError(f"--start-urls-file {file} is not JSON ({exc}); {shape}") from None
        if not isinstance(loaded, dict):
            raise ValueError(f"--start-urls-file {file} holds no JSON object; {shape}")
        for site, value in loaded.items():
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(isinstance(u, str) for u in values):
                raise ValueError(f"--start-urls-file {file}: {site!r} holds no URL; {shape}")
            urls.setdefault(site, []).extend(u.strip() for u in values if u.strip())
    for pair in pairs:
        site, sep, value = pair.partition("=")
        if not sep or not value:
            raise ValueError(f"bad --start-urls {pair!r}; expected SITE=URL[,URL...]")
        urls.setdefault(site, []).extend(u.strip() for u in value.split(",") if u.strip())
    unknown = sorted(set(urls) - known)
    if unknown:
        raise ValueError(f"unknown site {unknown[0]!r}; expected one of {', '.join(sorted(known))}")
    for site, site_urls in sorted(urls.items()):
        if not site_urls:
            raise ValueError(f"no start URL given for {site}; pass --start-urls {site}=URL")
        for url in site_urls:
            check_start_url(url)
    return urls


def concurrency(value: str) -> int:
    """The --concurrency value: a whole number of spiders >= 1 (an argparse type)."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of spiders; expected a whole number >= 1")
    return number


def port_base(value: str) -> int:
    """The --port-base value: 0 (any free ports), or a first port leaving room for every site."""
    from samples.serve import site_dirs

    last = 65536 - len(site_dirs())
    try:
        port = int(value)
    except ValueError:
        port = -1
    if port != 0 and not 1 <= port <= last:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a usable first port; expected 0 (any free ports) or 1-{last} "
            f"({len(site_dirs())} sites from there)"
        )
    return port


def check_output(path: Path) -> None:
    """Raise ValueError (one line) unless an export can be written at `path` after the crawl."""
    if path.is_dir():
        raise ValueError(f"cannot write -o {path}: it is a folder; pass a file path")
    if not path.parent.is_dir():
        raise ValueError(
            f"cannot write -o {path}: the folder {path.parent} does not exist; create it or pass another -o"
        )
    try:
        check_path_creatable(path, folder=False)
    except ValueError as exc:
        raise ValueError(f"cannot write -o {path}: {exc}; pass another -o") from None


def report(stats: dict[str, dict[str, Any]]) -> int:
    """Print the summary, then one error line per crawl that did not succeed; the exit code."""
    print(summary_table(stats))
    errors = [e for site, s in sorted(stats.items()) if (e := crawl_error(site, s.get("finish_reason")))]
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0


def cmd_crawl_all(args: argparse.Namespace) -> int:
    """Crawl every configured site; exit 1 if a spider did not finish."""
    from crawler.sites import SITES

    try:
        settings = parse_settings(args.set)
        start_urls = parse_start_urls(args.start_urls, args.start_urls_file, {*SITES, "generic"})
        if args.site:
            without = sorted(set(args.site) - set(start_urls))
            if without:
                raise ValueError(f"no start URL for --site {without[0]}; pass --start-urls {without[0]}=URL")
            start_urls = {s: u for s, u in start_urls.items() if s in args.site}
        if not start_urls:
            raise ValueError("no site has start URLs; pass --start-urls SITE=URL or --start-urls-file FILE")
        if args.log_level:
            settings["LOG_LEVEL"] = args.log_level
        if args.frontier:
            settings["FRONTIER_URI"] = args.frontier
        checked = project_settings(settings)
        check_settings(checked)
        stats_file = checked.get("STATS_FILE")
        if stats_file and len(start_urls) > 1 and "{spider}" not in str(stats_file):
            raise ValueError(f"STATS_FILE={stats_file} would hold only the last spider's stats; "
                             "put {spider} in it (e.g. stats/{spider}.json) for one file per spider")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    missing = sorted(set(SITES) - set(start_urls))
    if missing and not args.site:
        print(f"not crawled (no start URL): {', '.join(missing)}", file=sys.stderr)
    return report(run_crawls(start_urls, settings, concurrency=args.concurrency))


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the sample sites, crawl them all into the archive, export it, print a summary."""
    from archive import ArchiveError, open_archive
    from archive.export import export_to_path
    from crawler.sites import SITES
    from samples.serve import serve_all

    archive_uri = args.archive or os.environ.get("ARCHIVE_URI", "sqlite:///data/archive.db")
    output = Path(args.output or DEMO_OUTPUT)
    settings = {**DEMO_SETTINGS, "ARCHIVE_URI": archive_uri}
    try:
        if not archive_uri:
            raise ValueError("the demo needs an archive and ARCHIVE_URI is empty; pass --archive URI")
        check_settings(project_settings(settings))
        if args.output is None:
            # The default folder (data/, beside the default archive) is the demo's own to make.
            try:
                output.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ValueError(f"cannot create {output.parent} ({exc.strerror}); pass -o PATH") from None
        check_output(output)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
        stats = run_crawls(start_urls, settings, concurrency=len(start_urls))
    try:
        with open_archive(archive_uri, create=False) as archive:
            count = export_to_path(archive, output)
            total = sum(1 for _ in archive.iter_records())
    except ArchiveError as exc:
        print()
        report(stats)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print()
    code = report(stats)
    print()
    print(f"archive: {archive_uri} ({total} records)")
    print(f"export:  {output} ({count} distinct documents, with their sightings)")
    return code


def build_parser() -> argparse.ArgumentParser:
    """The `python -m crawler` argument parser (bad values are usage errors: exit 2)."""
    from crawler.sites import SITES

    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    crawl = sub.add_parser("crawl-all", help="run every site spider that has start URLs, then print a summary")
    crawl.add_argument("--start-urls", action="append", default=[], metavar="SITE=URL[,URL]",
                       help="start URLs of one site (repeatable)")
    crawl.add_argument("--start-urls-file", metavar="FILE", help='JSON file {"site": ["url", ...]}')
    crawl.add_argument("--site", action="append", choices=sorted([*SITES, "generic"]),
                       help="only this site (repeatable)")
    crawl.add_argument("--concurrency", type=concurrency, default=1, help="spiders running at once (default 1)")
    crawl.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                       help="a Scrapy setting, as with scrapy crawl -s (repeatable)")
    crawl.add_argument("--frontier", metavar="URI",
                       help="shared frontier (redis://host:port/db): every host running this command "
                            "works on the same runs (docs/frontier.md)")
    crawl.add_argument("-L", "--log-level", choices=LOG_LEVELS, type=str.upper,
                       help="log level (default INFO: no per-request lines; DEBUG logs every request and item)")
    crawl.set_defaults(func=cmd_crawl_all)

    demo = sub.add_parser("demo", help="crawl the bundled sample sites into an archive and export it")
    demo.add_argument("--archive", help="archive URI (default: $ARCHIVE_URI or sqlite:///data/archive.db)")
    demo.add_argument("-o", "--output", help=f"JSON lines export path, in an existing folder (default: {DEMO_OUTPUT})")
    demo.add_argument("--port-base", type=port_base, default=18101,
                      help="serve the sites on this port and up (0: any free ports)")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a `python -m crawler` sub-command; returns the exit code.

    0: every crawl finished; 1: a crawl did not (one `error:` line per crawl); 2: a bad
    argument or setting, found before anything was crawled.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        result: Any = args.func(args)
    except KeyboardInterrupt:  # Ctrl-C outside a crawl (a crawl handles its own signals)
        print("error: interrupted; run the command again", file=sys.stderr)
        return 130
    return int(result)


if __name__ == "__main__":
    sys.exit(main())
