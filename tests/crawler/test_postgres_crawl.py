"""Crawls into a PostgreSQL archive end to end (issue 14): the same crawl exports the same records
from PostgreSQL as from SQLite, and two frontier workers writing one PostgreSQL archive store every
document once, as one worker into SQLite stores it.

Every crawl is a `python -m scrapy crawl` process through the real engine, against a real
PostgreSQL (`postgres_uri`, tests/postgres_server.py) and, for the workers, a real redis-server
(`redis_server`, tests/servers.py); without them the tests are skipped with the reason. The
PostgreSQL archives are read back through `python -m archive export | runs | reextract`
processes, the SQLite references through the same CLI (`archive.cli.main`) in this process (a
second of interpreter start-up less for each).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import socket
from typing import TYPE_CHECKING, Any

import pytest

from archive import open_archive
from archive.cli import main
from samples.serve import DEFAULT_SITES_ROOT, serve_site
from tests.crawler.test_frontier import (
    LoggedSite,
    archived,
    documents_fetched,
    finish,
    frontier_keys,
    needs_drivers,
    start_together,
    worker,
)
from tests.crawler.test_reextract import run_cli
from tests.crawler.test_spiders import scrapy_crawl, stat
from tests.servers import redis_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from archive.records import Capture

__all__ = ["redis_server"]  # the fixture, imported for this module's tests

pytestmark = pytest.mark.slow

# --- comparing two archives -------------------------------------------------------------------------

# What two crawls of the same pages may store differently; every other field must be equal:
# - crawled_at (records) and seen_at (sightings): when each crawl stored the page, seconds apart;
# - the order of the lines (insertion order: which of 4 concurrent downloads finished first) and
#   of a document's sightings (by seen_at): compared as sets, by record id and by (url, id);
# - a run's run_id (random), started_at / finished_at (clock) and pid (the crawl's process), and
#   its "skipped" count: it includes incremental/skipped_fresh, which also counts a link met again
#   (a sidebar's) on a later page of the same crawl if that page's record is committed by then
#   (a batch commits after ARCHIVE_COMMIT_SECONDS): 0, 1 or 2 here by timing alone, on either
#   store; the pages no document came from (extract/skipped/*) are compared instead;
# - a capture's fetched_at and its response's Date header (the clock); where its bytes are
#   (warc_file and offsets) is not exported, and read back through the archive instead.
RECORD_CLOCK = "crawled_at"
SIGHTING_KEYS = {"url", "seen_at", "id"}
RUN_UNEQUAL = ("run_id", "started_at", "finished_at", "pid")
RUN_COUNTS_UNEQUAL = "skipped"


def archive_cli(uri: str, *args: str) -> str:
    """`python -m archive ARGS --archive URI`: its stdout. A process for PostgreSQL, in this one for SQLite."""
    if not uri.startswith("sqlite:"):
        return run_cli(*args, "--archive", uri)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([*args, "--archive", uri]) == 0
    return out.getvalue()


def exported(uri: str, out: Path, *flags: str) -> dict[str, dict[str, Any]]:
    """`python -m archive export --archive URI` into `out`; its lines by record id."""
    archive_cli(uri, "export", "-o", str(out), "-q", *flags)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_id = {line["id"]: line for line in lines}
    assert len(by_id) == len(lines), "one line per record"
    return by_id


def comparable(line: dict[str, Any]) -> dict[str, Any]:
    values = {name: value for name, value in line.items() if name != RECORD_CLOCK}
    if "sightings" in values:
        assert all(set(s) == SIGHTING_KEYS for s in values["sightings"])
        values["sightings"] = sorted((s["url"], s["id"]) for s in values["sightings"])
    return values


def assert_same_export(ours: dict[str, dict[str, Any]], theirs: dict[str, dict[str, Any]]) -> None:
    assert sorted(ours) == sorted(theirs), "the same record ids"
    for record_id, line in ours.items():
        assert RECORD_CLOCK in line and RECORD_CLOCK in theirs[record_id]
        assert comparable(line) == comparable(theirs[record_id]), record_id


def both_exports(uri: str, folder: Path) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Every record (the record schema, with dup_of), and the distinct documents with their sightings."""
    folder.mkdir(exist_ok=True)
    records = exported(uri, folder / "records.jsonl", "--include-duplicates", "--all-versions")
    documents = exported(uri, folder / "documents.jsonl")
    return records, documents


def runs(uri: str) -> list[dict[str, Any]]:
    """`python -m archive runs --archive URI --json`: the run log, newest first."""
    return [json.loads(line) for line in archive_cli(uri, "runs", "--json").splitlines()]


def comparable_run(run: dict[str, Any]) -> dict[str, Any]:
    assert all(run[name] for name in RUN_UNEQUAL)
    values = {name: value for name, value in run.items() if name not in RUN_UNEQUAL}
    values["counts"] = {name: n for name, n in run["counts"].items() if name != RUN_COUNTS_UNEQUAL}
    return values


def comparable_captures(captures: list[Capture]) -> list[tuple[Any, ...]]:
    return [
        (c.url, c.status, c.body, [(k, v) for k, v in c.headers if k.lower() != "date"], c.request_headers)
        for c in captures
    ]


# --- one crawl, once into each store ----------------------------------------------------------------

DOCS = "/fanwendaquan/gongwenfanwen/"
SPEECH = DOCS + "186650.html"  # a one-page speech
EXACT = DOCS + "186651.html"  # added: its text under another title, dated later (exact duplicate)
NEAR = DOCS + "186652.html"  # added: its text with three edits, dated earlier (near duplicate, the root)
SPLIT = DOCS + "186601.html"  # an article over three pages: one record of three captures
COMPILATION = DOCS + "186523.html"  # five parts: five records of one capture
RECORDS = [SPEECH, EXACT, NEAR, SPLIT, *(f"{COMPILATION}#part-{n}" for n in range(1, 6))]


def build_copies_site(root: Path) -> Path:
    """The juyou sample site with two copies of its speech, linked from list page 2."""
    shutil.copytree(DEFAULT_SITES_ROOT / "juyou", root)
    docs = root / "www" / DOCS.strip("/")
    page = (docs / "186650.html").read_text(encoding="utf-8")
    title, stamp = "2023年在机关作风建设专题会议上的讲话", "时间:2023-06-02 14:03:55"
    copies = {
        EXACT: ("机关作风建设专题会议讲话稿", "2023-06-10 09:00:00", {}),
        NEAR: ("在机关作风建设会议上的讲话", "2023-05-30 10:00:00",
               {"x个科室": "5个科室", "每月一次": "每两周一次", "机关纪委要": "机关纪检组要"}),
    }
    entries = ""
    for path, (new_title, new_stamp, edits) in copies.items():
        # Another title: the same text and title on one host would be an alias of the speech.
        copy = page.replace(title, new_title).replace(stamp, f"时间:{new_stamp}")
        for old, new in edits.items():
            assert old in copy
            copy = copy.replace(old, new)
        assert copy != page
        (docs / path.rsplit("/", 1)[1]).write_text(copy, encoding="utf-8")
        entries += f'<li><a class="t" href="{path}">{new_title}</a><span>{new_stamp[:10]}</span></li>\n'
    listing = docs / "index_2.html"
    html = listing.read_text(encoding="utf-8")
    assert html.count('<ul class="list">\n') == 1
    listing.write_text(html.replace('<ul class="list">\n', '<ul class="list">\n' + entries), encoding="utf-8")
    return root


@pytest.fixture
def copies_site(tmp_path: Path) -> Iterator[str]:
    server, base = serve_site(build_copies_site(tmp_path / "site"))
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def test_postgresql_and_sqlite_archives_of_the_same_crawl_export_the_same_records(
    copies_site: str, postgres_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warc = tmp_path / "warc"
    monkeypatch.setenv("ARCHIVE_WARC_DIR", str(warc))  # the crawl's, the CLI's and this process's
    stores = {"sqlite": f"sqlite:///{tmp_path / 'sqlite' / 'archive.db'}", "postgresql": postgres_uri}
    for name, uri in stores.items():
        (tmp_path / name).mkdir()
        _, log = scrapy_crawl("juyou", copies_site + "/", tmp_path / name, archive=uri)
        counted = [stat(log, key) for key in ("archive/new", "archive/duplicate", "archive/changed",
                                              "archive/unchanged", "dedup/exact", "dedup/near",
                                              "extract/skipped/empty_body", "extract/skipped/not_html")]
        assert counted == [7, 2, 0, 0, 1, 1, 1, 1], f"{name}: {counted}\n{log[-3000:]}"
    exports = {name: both_exports(uri, tmp_path / f"{name}-export") for name, uri in stores.items()}
    records = {name: export[0] for name, export in exports.items()}
    documents = {name: export[1] for name, export in exports.items()}

    assert_same_export(records["postgresql"], records["sqlite"])
    assert_same_export(documents["postgresql"], documents["sqlite"])
    # What both hold: the copies of the speech are one document, rooted at its earliest copy.
    by_path = {line["url"].removeprefix(copies_site): line for line in records["postgresql"].values()}
    assert sorted(by_path) == sorted(RECORDS)
    root = by_path[NEAR]["id"]
    assert by_path[NEAR]["dup_of"] is None
    assert by_path[SPEECH]["dup_of"] == root and by_path[EXACT]["dup_of"] == root
    assert by_path[EXACT]["content_hash"] == by_path[SPEECH]["content_hash"] != by_path[NEAR]["content_hash"]
    assert all(by_path[path]["dup_of"] is None for path in RECORDS if path not in (SPEECH, EXACT))
    assert len(documents["postgresql"]) == 7
    assert sorted(url for url, _ in comparable(documents["postgresql"][root])["sightings"]) == sorted(
        copies_site + path for path in (SPEECH, EXACT, NEAR)
    )

    # The raw captures, read back from PostgreSQL's WARC folder.
    with open_archive(stores["sqlite"], create=False, near_dup=False) as lite, \
            open_archive(postgres_uri, create=False, near_dup=False) as pg:
        for record_id in records["sqlite"]:
            assert comparable_captures(pg.captures(record_id)) == comparable_captures(lite.captures(record_id))
        assert len(pg.captures(by_path[SPLIT]["id"])) == 3

    # The run log: one finished run each, with the same counts.
    logged = {name: runs(uri) for name, uri in stores.items()}
    assert [len(logged["postgresql"]), len(logged["sqlite"])] == [1, 1]
    assert comparable_run(logged["postgresql"][0]) == comparable_run(logged["sqlite"][0])
    run = logged["postgresql"][0]
    assert (run["spider"], run["finish_reason"], run["counts"]["new"], run["counts"]["duplicate"]) == (
        "juyou", "finished", 7, 2)
    table = run_cli("runs", "--archive", postgres_uri).splitlines()
    assert len(table) == 2 and table[1].split()[:2] == [run["run_id"], "juyou"] and " finished " in table[1]
    # The crawl's captures are in its own folder, <host>-<pid>/, the process of its run.
    assert [folder.name for folder in warc.iterdir()] == [f"{socket.gethostname()}-{run['pid']}"]

    # Re-extraction from the PostgreSQL archive's captures, by a process that is not their writer.
    out = run_cli("reextract", "--archive", postgres_uri)
    assert out.splitlines() == [f"{len(RECORDS)} records read: {len(RECORDS)} unchanged, 0 changed, 0 failed"]
    with open_archive(postgres_uri, create=False, near_dup=False) as pg:
        assert [r.to_dict() for r in pg.iter_records()] == list(records["postgresql"].values()), "nothing written"
    assert len(list(warc.iterdir())) == 1, "a reader makes no WARC folder of its own"


# --- two frontier workers, one PostgreSQL archive ----------------------------------------------------

WORKER_DOCUMENTS = 30  # two list pages


@needs_drivers
def test_two_frontier_workers_store_each_document_once_in_postgresql_as_one_worker_in_sqlite(
    redis_server: str, postgres_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARCHIVE_WARC_DIR", str(tmp_path / "warc"))  # the workers' environment
    site = LoggedSite(tmp_path / "site", WORKER_DOCUMENTS, latency=0.03)
    reference = tmp_path / "one-worker.db"
    try:
        logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
        # scrapy crawl baina -a start_urls=URL -s FRONTIER_URI=redis://... -s ARCHIVE_URI=postgresql://...
        processes = start_together(
            site, redis_server, 2,
            lambda: [worker(site.base, postgres_uri, redis_server, log, "DOWNLOAD_DELAY=0.05") for log in logs],
        )
        stats = finish(processes, logs)
        fetched = documents_fetched(site.since(0))
        assert frontier_keys(redis_server) == [], "the run ended and its keys went"
        # The same command, one worker, into SQLite: the next run of the same crawl.
        finish([worker(site.base, reference, redis_server, tmp_path / "one.log", "DOWNLOAD_DELAY=0")],
               [tmp_path / "one.log"])
    finally:
        site.close()

    urls = archived(postgres_uri)
    assert len(urls) == WORKER_DOCUMENTS and len(set(urls)) == WORKER_DOCUMENTS, "every document once"
    assert sorted(fetched) == sorted(set(fetched)) and len(fetched) == WORKER_DOCUMENTS, "each page fetched once"
    responses = [s.get("downloader/response_count", 0) for s in stats]
    items = [s.get("item_scraped_count", 0) for s in stats]
    assert all(n > 1 for n in responses) and all(items), f"both workers did part of it: {responses}, {items}"
    assert sum(items) == WORKER_DOCUMENTS
    assert [s.get("archive/new", 0) for s in stats] == items
    assert all(s.get("frontier/dequeued", 0) == s.get("frontier/acked", 0) for s in stats)

    # Each worker wrote its own captures, into its own WARC folder, and logged its own run.
    import psycopg

    with psycopg.connect(postgres_uri) as conn:
        rows = conn.execute("SELECT split_part(warc_file, '/', 1), count(*) FROM captures GROUP BY 1").fetchall()
    host = socket.gethostname()
    assert dict(rows) == {f"{host}-{p.pid}": n for p, n in zip(processes, items, strict=True)}
    logged = runs(postgres_uri)
    assert sorted(run["pid"] for run in logged) == sorted(p.pid for p in processes)
    assert all(run["finish_reason"] == "finished" for run in logged)
    assert sum(run["counts"]["new"] for run in logged) == WORKER_DOCUMENTS

    ours = both_exports(postgres_uri, tmp_path / "postgresql-export")
    theirs = both_exports(f"sqlite:///{reference}", tmp_path / "sqlite-export")
    assert len(ours[0]) == WORKER_DOCUMENTS
    assert_same_export(ours[0], theirs[0])
    assert_same_export(ours[1], theirs[1])
    print(f"two workers into PostgreSQL: responses {responses}, items {items}, captures {dict(rows)}")
