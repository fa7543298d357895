"""``python -m archive``: export and inspect the archive from the command line.

A thin boundary: each sub-command parses its arguments, calls the library, and turns library
errors into one ``error: <problem>; <fix>`` line on stderr with exit code 1.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveError, BadFilter
from archive.export import export_jsonl, export_to_path
from archive.store import DEFAULT_URI, open_archive

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import IO

logger = logging.getLogger(__name__)

__all__ = ["build_parser", "cmd_export", "cmd_stats", "main"]


def _archive_uri(args: argparse.Namespace) -> str:
    return str(args.archive or os.environ.get("ARCHIVE_URI") or DEFAULT_URI)


def _parse_day(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        # The length check refuses the compact 20230101 that fromisoformat also accepts.
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise BadFilter(f"bad {flag} date {value!r}; expected YYYY-MM-DD")


@contextmanager
def _utf8_stdout() -> Iterator[IO[str]]:
    # The JSON keeps Chinese unescaped, so stdout must be UTF-8 whatever the locale says.
    out = sys.stdout
    if (out.encoding or "").lower().replace("-", "") == "utf8" or not hasattr(out, "buffer"):
        yield out
        out.flush()
        return
    out.flush()
    wrapper = io.TextIOWrapper(out.buffer, encoding="utf-8", newline="\n")
    try:
        yield wrapper
        wrapper.flush()
    finally:
        wrapper.detach()  # leave sys.stdout's buffer open


def cmd_export(args: argparse.Namespace) -> int:
    """Export records as JSON lines to a file (atomically) or to stdout (``-o -``)."""
    since = _parse_day(args.since, "--since")
    until = _parse_day(args.until, "--until")
    if since and until and since > until:
        raise BadFilter(f"--since {since} is after --until {until}; swap the two dates")
    filters: dict[str, Any] = {
        "site": args.site,
        "since": since,
        "until": until,
        "date_field": args.date_field,
        "latest_only": args.latest_only,
    }
    with open_archive(_archive_uri(args), create=False) as archive:
        if args.output == "-":
            try:
                with _utf8_stdout() as out:
                    count = export_jsonl(archive, out, **filters)
            except BrokenPipeError:
                # The reader (e.g. `| head`) went away: not an error. Point stdout at devnull so
                # the interpreter's final flush does not raise again.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 0
        else:
            count = export_to_path(archive, args.output, **filters)
    print(f"exported {count} records", file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """Print record counts per site and per month of publication."""
    with open_archive(_archive_uri(args), create=False) as archive:
        stats = archive.stats()
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        print(format_stats(stats))
    return 0


def format_stats(stats: dict[str, Any]) -> str:
    """Render ``Archive.stats()`` as two plain-text tables with aligned columns."""
    site_rows = [
        [site, str(c["records"]), str(c["duplicates"]), str(c["truncated"]), str(c["urls"])]
        for site, c in stats["sites"].items()
    ]
    total = stats["total"]
    site_rows.append(
        [
            "total",
            str(total["records"]),
            str(total["duplicates"]),
            str(total["truncated"]),
            str(total["urls"]),
        ]
    )
    month_rows = [[month, str(count)] for month, count in stats["months"].items()]
    parts = [
        _table(["site", "records", "duplicates", "truncated", "urls"], site_rows),
        _table(["month", "records"], month_rows),
        f"captures: {total['captures']}",
    ]
    return "\n\n".join(parts)


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """Return the ``python -m archive`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m archive", description="Export and inspect the document archive."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    archive_help = f"archive URI (default: $ARCHIVE_URI, else {DEFAULT_URI})"
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    export = sub.add_parser("export", help="write records as JSON lines")
    export.add_argument(
        "-o", "--output", required=True, metavar="PATH", help="output file, or - for stdout"
    )
    export.add_argument("--archive", metavar="URI", help=archive_help)
    export.add_argument("--site", help="only this site key")
    export.add_argument(
        "--since", metavar="YYYY-MM-DD", help="only records dated on or after this day"
    )
    export.add_argument(
        "--until", metavar="YYYY-MM-DD", help="only records dated on or before this day"
    )
    export.add_argument(
        "--date-field",
        choices=("crawled", "published"),
        default="crawled",
        help="which date --since/--until compare (default: crawled)",
    )
    export.add_argument(
        "--latest-only", action="store_true", help="per URL, only its current version"
    )
    export.set_defaults(func=cmd_export)

    stats = sub.add_parser("stats", help="count records per site and per month")
    stats.add_argument("--archive", metavar="URI", help=archive_help)
    stats.add_argument("--json", action="store_true", help="print the counts as JSON")
    stats.set_defaults(func=cmd_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        The exit code: 0 on success, 1 on an archive error (one line on stderr), 2 on a usage error.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
