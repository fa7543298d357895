"""``python -m archive``: export and inspect the archive from the command line.

A thin boundary: each sub-command parses its arguments, calls the library, and turns library
errors into one ``error: <problem>; <fix>`` line on stderr with exit code 1. Every command
opens the archive through ``_open``, which checks the database's structure first, so a damaged
archive is reported as such by every command, whichever pages it would have read.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import logging
import os
import sqlite3
import sys
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from archive.crawlstate import RUN_COUNTS
from archive.errors import ArchiveError, BadFilter, archive_error_from
from archive.export import export_binary, export_jsonl, export_to_path
from archive.neardup import DEFAULT_PARAMS, MinHashParams
from archive.neardup_sqlite import MinHashIndex, reindex
from archive.progress import as_callback
from archive.reextract import DEFAULT_EXTRACTOR, load_extractor, reextract
from archive.sqlite import SqliteStore
from archive.store import DEFAULT_URI, open_archive, parse_uri

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import IO

    from archive.core import Archive
    from archive.crawlstate import Run
    from archive.records import Record
    from archive.search import SearchHit

logger = logging.getLogger(__name__)

__all__ = [
    "build_parser", "cmd_export", "cmd_reextract", "cmd_reindex", "cmd_search", "cmd_show", "cmd_stats", "main",
]


_QUIET_HELP = "no progress bar (one is drawn on stderr only when it is a terminal)"


def _archive_uri(args: argparse.Namespace) -> str:
    return str(args.archive or os.environ.get("ARCHIVE_URI") or DEFAULT_URI)


@contextmanager
def _open(args: argparse.Namespace) -> Iterator[Archive]:
    # One way in for every command: an existing archive, no near-duplicate index (reindex
    # attaches its own), and its structure checked, since a query may never touch the damage.
    with open_archive(_archive_uri(args), create=False, near_dup=False) as archive:
        if isinstance(archive.store, SqliteStore):
            archive.store.check()
        yield archive


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
        "distinct": not args.include_duplicates,
        "all_versions": args.all_versions,
    }
    with _open(args) as archive:
        if args.output == "-":
            try:
                with as_callback("exporting", unit="doc", quiet=args.quiet) as progress:
                    count = _export_stdout(archive, filters, progress)
            except BrokenPipeError:
                # The reader (e.g. `| head`) went away: not an error. Point stdout at devnull so
                # the interpreter's final flush does not raise again.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 0
        else:
            with as_callback("exporting", unit="doc", quiet=args.quiet) as progress:
                count = export_to_path(archive, args.output, progress=progress, **filters)
    what = "records" if args.include_duplicates else "documents"
    print(f"exported {count} {what}", file=sys.stderr)
    return 0


def _export_stdout(archive: Archive, filters: dict[str, Any], progress: Callable[[int, int], None]) -> int:
    # UTF-8 bytes straight to stdout's buffer, whatever the locale says (the lines are made as
    # UTF-8 bytes: no decoding and encoding again); a stdout without one gets text.
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        with _utf8_stdout() as out:
            return export_jsonl(archive, out, progress=progress, **filters)
    sys.stdout.flush()
    count = export_binary(archive, buffer, progress=progress, **filters)
    buffer.flush()
    return count


def cmd_show(args: argparse.Namespace) -> int:
    """Print one record with its versions, its sightings and, for a root, its duplicates."""
    with _open(args) as archive:
        shown = describe(archive, args.id)
    if args.json:
        print(json.dumps(shown, ensure_ascii=False, indent=2))
    else:
        print(format_record(shown))
    return 0


def describe(archive: Archive, record_id: str) -> dict[str, Any]:
    """Return what ``show`` prints about a record, as JSON-ready data.

    Returns:
        ``{"record": {schema fields}, "versions": [{"id", "crawled_at", "content_hash",
        "latest"}] (same URL, oldest first), "sightings": [{"url", "seen_at"}],
        "duplicates": [{"id", "url", "site", "crawled_at"}]}`` (duplicates: empty unless the
        record is a root that has some).

    Raises:
        RecordNotFound: No record has that id.
    """
    record = archive.get(record_id)
    latest = archive.latest(record.url)
    return {
        "record": record.to_dict(),
        "versions": [
            {
                "id": v.id,
                "crawled_at": v.crawled_at,
                "content_hash": v.content_hash,
                "latest": latest is not None and v.id == latest.id,
            }
            for v in archive.versions(record.url)
        ],
        "sightings": [
            {"url": url, "seen_at": seen_at} for url, seen_at in archive.sightings(record.id)
        ],
        "duplicates": [_brief(d) for d in archive.duplicates(record.id)],
    }


def _brief(record: Record) -> dict[str, str]:
    return {
        "id": record.id,
        "url": record.url,
        "site": record.site,
        "crawled_at": record.crawled_at,
    }


def format_record(shown: dict[str, Any]) -> str:
    """Render ``describe()`` as plain text: the fields, the text, then the three lists."""
    record = shown["record"]
    fields = [name for name in record if name != "text"]
    width = max(len(name) for name in fields)
    lines = []
    for name in fields:
        value = record[name]
        if not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False) if value is not None else "-"
        lines.append(f"{name.ljust(width)}  {value}")
    lines += ["text:", *(f"  {line}" for line in record["text"].split("\n")), ""]
    lines.append(f"versions of {record['url']} (oldest first):")
    for v in shown["versions"]:
        marks = ["this" if v["id"] == record["id"] else "", "latest" if v["latest"] else ""]
        marks_text = " ".join(m for m in marks if m)
        lines.append(f"  {v['id']}  {v['crawled_at']}  {v['content_hash'][:16]}  {marks_text}")
    lines.append(f"sightings ({len(shown['sightings'])}):")
    lines += [f"  {s['seen_at']}  {s['url']}" for s in shown["sightings"]]
    if shown["duplicates"]:
        lines.append(f"duplicates ({len(shown['duplicates'])}):")
        lines += [
            f"  {d['id']}  {d['crawled_at']}  {d['site']}  {d['url']}" for d in shown["duplicates"]
        ]
    return "\n".join(line.rstrip() for line in lines)


def cmd_reindex(args: argparse.Namespace) -> int:
    """(Re)build the near-duplicate index and the search index from the stored texts."""
    params = None
    if args.threshold is not None or args.num_perm is not None:
        if args.only == "search":
            raise BadFilter("--threshold and --num-perm are near-duplicate parameters; drop --only search")
        threshold = DEFAULT_PARAMS.threshold if args.threshold is None else args.threshold
        num_perm = DEFAULT_PARAMS.num_perm if args.num_perm is None else args.num_perm
        try:
            params = MinHashParams.tuned(threshold, num_perm)
        except ValueError as exc:
            raise BadFilter(f"bad near-duplicate parameters: {exc}; see docs/neardup.md") from None
    with _open(args) as archive:
        if args.only != "search":
            with as_callback("near-duplicate index", unit="record", quiet=args.quiet) as progress:
                count = reindex(archive, params, missing_only=args.missing, progress=progress)
            index = archive.near_index
            used = index.params if isinstance(index, MinHashIndex) else None
            print(f"indexed {count} records; near-duplicate parameters: {used}")
        if args.only != "near-dup":
            with as_callback("search index", unit="record", quiet=args.quiet) as progress:
                searchable = archive.rebuild_search(progress)
            print(f"search index: {searchable} records (the latest version of each URL)")
    return 0


def cmd_reextract(args: argparse.Namespace) -> int:
    """Read the stored captures again with the current extractor; store what now reads differently."""
    since = _parse_day(args.since, "--since")
    until = _parse_day(args.until, "--until")
    ids = [part for value in args.ids for part in value.replace(",", " ").split()]
    extractor = load_extractor(args.extractor)
    # The near-duplicate index is attached: a text that changed is deduplicated like a crawled one.
    with open_archive(_archive_uri(args), create=False) as archive:
        if isinstance(archive.store, SqliteStore):
            archive.store.check()
        with as_callback("re-extracting", unit="record", quiet=args.quiet) as progress:
            summary = reextract(
                archive, extractor, site=args.site, since=since, until=until, ids=ids,
                dry_run=args.dry_run, progress=progress,
            )
    for change in summary.changed:
        new = change.new_id or "(dry run)"
        print(f"{change.old_id} -> {new}  {change.url}  {', '.join(change.fields)}")
    print(summary.line(dry_run=args.dry_run))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """Print the hits of a full-text query, best first (or as JSON lines with --json)."""
    since = _parse_day(args.since, "--since")
    until = _parse_day(args.until, "--until")
    if args.limit < 0:
        raise BadFilter(f"--limit {args.limit} is negative; give a number of hits, or 0 for all")
    query = " ".join(args.query)
    with _open(args) as archive:
        hits = archive.search(
            query,
            site=args.site,
            since=since,
            until=until,
            date_field=args.date_field,
            limit=args.limit,
            distinct=not args.all_copies,
            order=args.order,
        )
    with _utf8_stdout() as out:
        for hit in hits:
            if args.json:
                out.write(json.dumps(hit.to_dict(), ensure_ascii=False) + "\n")
            else:
                out.write(format_hit(hit) + "\n\n")
    if not args.json:
        print(f"{len(hits)} hits", file=sys.stderr)
    return 0


def format_hit(hit: SearchHit) -> str:
    """Render a search hit as four lines: title, site/date/id, URL and the snippet."""
    copy = f"  (copy of {hit.dup_of})" if hit.dup_of else ""
    return "\n".join(
        [
            hit.title or "(no title)",
            f"  {hit.site}  {hit.published_at or '-'}  {hit.id}{copy}",
            f"  {hit.url}",
            f"  {hit.snippet}",
        ]
    )


def cmd_stats(args: argparse.Namespace) -> int:
    """Print record counts per site and per month of publication."""
    with _open(args) as archive:
        stats = archive.stats()
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        print(format_stats(stats))
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """List crawl runs, newest first."""
    with _open(args) as archive:
        runs = archive.runs(spider=args.spider, limit=args.limit)
    if args.json:
        for run in runs:
            print(json.dumps(dataclasses.asdict(run), ensure_ascii=False))
        return 0
    header = ["run", "spider", "started", "finished", "reason", *RUN_COUNTS]
    rows = [
        [run.run_id, run.spider, run.started_at, run.finished_at or "-", run.finish_reason or "running",
         *(str(run.counts.get(name, 0)) for name in RUN_COUNTS)]
        for run in runs
    ]
    if not rows:
        print("no crawl runs recorded yet")
        return 0
    shared = frontier_runs(runs)
    if shared:
        # Each worker logs a run of its own; the column ties it to the frontier run it worked on.
        header.append("frontier run")
        for row, run in zip(rows, runs, strict=True):
            row.append(str(run.counts.get("frontier_run", "-")))
    print(_table(header, rows))
    if shared:
        print()
        print(_table(["frontier run", "spider", "workers", "started", "running", *RUN_COUNTS], shared))
    return 0


def frontier_runs(runs: Sequence[Run]) -> list[list[str]]:
    """One row per shared-frontier run: its workers' runs counted and their counts summed, newest first."""
    groups: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        if run.counts.get("frontier_run"):
            groups.setdefault((str(run.counts["frontier_run"]), run.spider), []).append(run)
    rows = []
    for (frontier_run, spider), workers in groups.items():
        running = sum(run.finish_reason is None for run in workers)
        totals = [str(sum(int(run.counts.get(name, 0)) for run in workers)) for name in RUN_COUNTS]
        started = min(run.started_at for run in workers)
        rows.append([frontier_run, spider, str(len(workers)), started, str(running), *totals])
    return sorted(rows, key=lambda row: row[3], reverse=True)


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
        "--include-duplicates",
        action="store_true",
        help="every record with its dup_of (default: one line per distinct document, with its "
        "sightings)",
    )
    export.add_argument(
        "--all-versions",
        action="store_true",
        help="every version of a URL (default: the one it was most recently seen with)",
    )
    export.add_argument("-q", "--quiet", action="store_true", help=_QUIET_HELP)
    export.set_defaults(func=cmd_export)

    show = sub.add_parser("show", help="print a record, its versions, sightings and duplicates")
    show.add_argument("id", help="record id")
    show.add_argument("--archive", metavar="URI", help=archive_help)
    show.add_argument("--json", action="store_true", help="print as JSON")
    show.set_defaults(func=cmd_show)

    rebuild = sub.add_parser("reindex", help="(re)build the near-duplicate and search indexes from the texts")
    rebuild.add_argument("--archive", metavar="URI", help=archive_help)
    rebuild.add_argument(
        "--missing", action="store_true", help="only index records not indexed yet"
    )
    rebuild.add_argument(
        "--threshold", type=float, help="new near-duplicate threshold (default: keep the stored)"
    )
    rebuild.add_argument(
        "--num-perm", type=int, help="new number of MinHash permutations (default: keep)"
    )
    rebuild.add_argument(
        "--only", choices=("near-dup", "search"), help="rebuild only this index (default: both)"
    )
    rebuild.add_argument("-q", "--quiet", action="store_true", help=_QUIET_HELP)
    rebuild.set_defaults(func=cmd_reindex)

    runs = sub.add_parser("runs", help="list crawl runs, newest first")
    runs.add_argument("--archive", metavar="URI", help=archive_help)
    runs.add_argument("--spider", help="only this spider's runs")
    runs.add_argument("--limit", type=int, help="at most this many runs")
    runs.add_argument("--json", action="store_true", help="one JSON object per run")
    runs.set_defaults(func=cmd_runs)

    find = sub.add_parser("search", help="full-text search of the latest version of each page")
    find.add_argument("query", nargs="+", help='terms of 2+ characters, all must match; "quoted phrase" keeps spaces')
    find.add_argument("--archive", metavar="URI", help=archive_help)
    find.add_argument("--site", help="only this site key")
    find.add_argument("--since", metavar="YYYY-MM-DD", help="only records dated on or after this day")
    find.add_argument("--until", metavar="YYYY-MM-DD", help="only records dated on or before this day")
    find.add_argument("--date-field", choices=("crawled", "published"), default="crawled",
                      help="which date --since/--until compare (default: crawled)")
    find.add_argument("--limit", type=int, default=20, help="at most N hits (default 20; 0: every match)")
    find.add_argument("--order", choices=("rank", "newest"), default="rank",
                      help="rank: BM25, title matches first (default); newest: most recently stored first")
    find.add_argument("--all-copies", action="store_true",
                      help="one hit per matching record (default: one per document, its best copy)")
    find.add_argument(
        "--json", action="store_true", help="JSON lines: id, url, title, site, published_at, snippet, dup_of"
    )
    find.set_defaults(func=cmd_search)

    again = sub.add_parser("reextract", help="re-extract the stored captures; new versions where they read differently")
    again.add_argument("--archive", metavar="URI", help=archive_help)
    again.add_argument("--site", help="only this site key")
    again.add_argument("--since", metavar="YYYY-MM-DD", help="only records crawled on or after this day")
    again.add_argument("--until", metavar="YYYY-MM-DD", help="only records crawled on or before this day")
    again.add_argument("--ids", action="append", default=[], metavar="ID[,ID]",
                       help="only these records (the latest version of their URL); repeatable")
    again.add_argument("--dry-run", action="store_true", help="compare and list the changes, write nothing")
    again.add_argument("--extractor", default=DEFAULT_EXTRACTOR, metavar="MODULE:FACTORY",
                       help=f"what reads a record's captures (default: {DEFAULT_EXTRACTOR})")
    again.add_argument("-q", "--quiet", action="store_true", help=_QUIET_HELP)
    again.set_defaults(func=cmd_reextract)

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
        error = exc
    except BrokenPipeError:
        # The reader of our output (e.g. `| head`) went away: not an error of the archive.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (sqlite3.Error, OSError) as exc:
        # The library names these itself; this keeps a slip from ever reaching the user as a
        # traceback (-v still logs it).
        error = archive_error_from(exc, _archive_path(args))
        logger.info("where the error below came from", exc_info=exc)
    print(f"error: {error}", file=sys.stderr)
    return 1


def _archive_path(args: argparse.Namespace) -> str:
    try:
        return parse_uri(_archive_uri(args))[1]
    except ArchiveError:
        return _archive_uri(args)
