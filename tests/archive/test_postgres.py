"""Tests of archive.postgres that only PostgreSQL has: many writers at once, per-writer WARC files, the URI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from archive import InvalidURI, open_archive
from archive.postgres import INSTALL_HINT
from archive.records import Capture
from archive.store import parse_uri
from tests.archive.conftest import make_doc
from tests.archive.pg_writer import variant

psycopg = pytest.importorskip("psycopg", reason='psycopg is not installed (pip install -e ".[distributed]")')

ROOT = Path(__file__).resolve().parent.parent.parent


def test_postgresql_uris_are_passed_whole_to_the_driver() -> None:
    assert parse_uri("postgresql://me@db.example:5433/archive") == ("postgresql", "postgresql://me@db.example:5433/archive")
    assert parse_uri("postgres://me@h/a")[0] == "postgres"
    with pytest.raises(InvalidURI):
        parse_uri("postgresql:archive")


def test_a_missing_driver_is_one_line_naming_the_extra() -> None:
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from archive import open_archive\n"
        "try:\n    open_archive('postgresql://u@127.0.0.1:1/x')\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == f"ArchiveError {INSTALL_HINT}"
    assert 'pip install -e ".[distributed]"' in out


def test_a_password_in_the_uri_never_reaches_a_message(postgres_uri: str) -> None:
    from archive.errors import ArchiveError
    from archive.postgres import masked_uri

    assert masked_uri("postgresql://crawler:s3cret@db:5432/fanwen") == "postgresql://crawler:***@db:5432/fanwen"
    assert masked_uri("postgresql://crawler@db/fanwen") == "postgresql://crawler@db/fanwen"
    # A server that is there, a database that is not: the error names the URI, masked.
    host_part = postgres_uri.split("@", 1)[1].rsplit("/", 1)[0]
    user = postgres_uri.split("//", 1)[1].split("@", 1)[0].split(":", 1)[0]
    with pytest.raises(ArchiveError) as raised:
        open_archive(f"postgresql://{user}:s3cret@{host_part}/no_such_db", create=False)
    assert "s3cret" not in str(raised.value) and ":***@" in str(raised.value)


def _capture(url: str, body: bytes) -> Capture:
    return Capture(url, 200, [("Content-Type", "text/html; charset=utf-8")], body, "2026-12-01T00:00:00Z")


def test_each_writer_appends_to_its_own_warc_folder_and_any_reads_them(postgres_uri: str, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_WARC_DIR", str(tmp_path / "warc"))
    body = "<html><body>正文</body></html>".encode()
    with open_archive(postgres_uri) as archive:
        record = archive.add(make_doc(), [_capture(make_doc()["url"], body)]).record
        writer = archive.store.writer  # type: ignore[attr-defined]
    assert writer == f"{socket.gethostname()}-{os.getpid()}"
    assert [p.name for p in (tmp_path / "warc" / writer).iterdir()] == ["captures-00001.warc.gz"]
    with psycopg.connect(postgres_uri) as conn:
        (warc_file,) = conn.execute("SELECT warc_file FROM captures").fetchone()
    assert warc_file == f"{writer}/captures-00001.warc.gz"
    code = (
        "import sys; from archive import open_archive\n"
        "with open_archive(sys.argv[1]) as a:\n    print(a.captures(sys.argv[2])[0].body.decode())\n"
    )
    out = subprocess.run([sys.executable, "-c", code, postgres_uri, record.id], capture_output=True, text=True,
                         cwd=ROOT, check=True, env={**os.environ, "ARCHIVE_WARC_DIR": str(tmp_path / "warc")}).stdout
    assert out.strip() == body.decode()


def test_two_archives_on_one_database_see_each_others_writes(postgres_uri: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_WARC_DIR", str(tmp_path / "warc"))
    with open_archive(postgres_uri) as ours, open_archive(postgres_uri) as theirs:
        first = ours.add(make_doc("https://b.example/1.html")).record
        copy = theirs.add(make_doc("https://c.example/1.html"))
        assert (copy.status, copy.record.dup_of) == ("duplicate", first.id)
        near = theirs.add(make_doc("https://d.example/1.html", text=make_doc()["text"] + "\n附件：检查表"))
        assert near.match == "near"
        # Ours loaded its index before theirs wrote the near copy: it catches up on the next lookup.
        again = ours.add(make_doc("https://e.example/1.html", text=make_doc()["text"] + "\n附件：检查清单"))
        assert (again.match, again.record.dup_of) == ("near", first.id)


WRITERS = 2
TEXTS = 500


def test_concurrent_writers_store_each_text_as_first_copy_exactly_once(postgres_uri: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    env = {**os.environ, "ARCHIVE_WARC_DIR": str(tmp_path / "warc")}
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.archive.pg_writer", postgres_uri, str(k), str(TEXTS), str(go)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
        for k in range(WRITERS)
    ]
    time.sleep(1.0)  # every writer opened its archive and waits
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        results.append(json.loads(out))
    new = sum(r["statuses"].get("new", 0) for r in results)
    assert new == TEXTS  # each document was "new" exactly once, in one of the writers
    assert all(r["statuses"].get("new", 0) > 0 for r in results) or TEXTS < WRITERS
    with psycopg.connect(postgres_uri) as conn:
        rows = conn.execute("SELECT id, url, dup_of, text FROM records").fetchall()
    assert len(rows) == WRITERS * TEXTS
    by_url = {url: (rid, dup_of, text) for rid, url, dup_of, text in rows}
    for i in range(TEXTS):
        root_id, root_dup, _ = by_url[f"https://w0.example/{i}.html"]
        # The first copy is w0's (the smallest URL of undated copies), whoever stored first.
        assert root_dup is None, i
        for k in range(1, WRITERS):
            _, dup_of, stored = by_url[f"https://w{k}.example/{i}.html"]
            assert stored == variant(i, k)
            assert dup_of == root_id, (i, k)  # exact (even i) or near (odd i), across processes
    assert sum(dup_of is None for _, dup_of, _ in by_url.values()) == TEXTS


def test_the_run_log_and_page_state_live_in_the_database(postgres_uri: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.crawlstate import mark_run_finished, new_run_id

    monkeypatch.setenv("ARCHIVE_WARC_DIR", str(tmp_path / "warc"))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead_pid = int(gone.stdout)
    with open_archive(postgres_uri) as archive:
        run = archive.start_run("baina", "2026-12-01T00:00:00Z")
        assert archive.update_run(run, {"pages": 3})
        archive.finish_run(run, "finished", {"pages": 5})
        assert not archive.update_run(run, {"pages": 9})  # a late update keeps the final counts
        with archive.store.transaction():
            archive.store.conn.pg(  # type: ignore[attr-defined]
                "INSERT INTO runs (run_id, spider, started_at, pid, host) VALUES ('dead', 'juyou', "
                "'2026-12-02T00:00:00Z', %s, %s)", (dead_pid, socket.gethostname()))
        url = make_doc()["url"]
        archive.add(make_doc(), [_capture(url, b"<html>1</html>")])
        assert archive.page_state(url).last_seen == make_doc()["crawled_at"]
        assert archive.touch(url, "2026-12-03T00:00:00Z") == 1
        assert archive.page_state(url).last_seen == "2026-12-03T00:00:00Z"
    never_started = new_run_id()
    assert mark_run_finished(postgres_uri, never_started, "failed_to_start", spider="huiwen")
    with open_archive(postgres_uri) as archive:
        runs = {r.run_id: r for r in archive.runs()}
    assert (runs[run].finish_reason, runs[run].counts) == ("finished", {"pages": 5})
    assert runs["dead"].finish_reason == "interrupted"
    assert runs[never_started].finish_reason == "failed_to_start"


def test_processes_creating_one_archive_at_once_all_open_it(postgres_server: Any, tmp_path: Path) -> None:
    # The first start of a distributed crawl: every worker finds an empty database and creates
    # the schema. One does it; the others wait for the lock, then must see it made.
    uri = postgres_server.create_database("archive_race")
    go = tmp_path / "go"
    code = (
        "import sys, time, pathlib\n"
        "from archive import open_archive\n"
        "while not pathlib.Path(sys.argv[2]).exists(): time.sleep(0.001)\n"
        "with open_archive(sys.argv[1]) as a: print(a.store.schema_version)\n"
    )
    env = {**os.environ, "ARCHIVE_WARC_DIR": str(tmp_path / "warc")}
    procs = [subprocess.Popen([sys.executable, "-c", code, uri, str(go)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env) for _ in range(6)]
    time.sleep(1.5)  # every process has imported and waits
    go.touch()
    versions = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-2000:]
        versions.append(int(out))
    assert len(set(versions)) == 1 and versions[0] > 0


def test_an_archive_made_at_schema_1_is_migrated_and_still_searched(postgres_server: Any, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import archive.postgres as archive_postgres
    from archive.migrations_postgres import PG_MIGRATIONS

    postgres_uri = postgres_server.create_database(f"schema_1_{os.getpid()}")  # empty: not the template
    monkeypatch.setenv("ARCHIVE_WARC_DIR", str(tmp_path / "warc"))
    with monkeypatch.context() as patch:
        patch.setattr(archive_postgres, "PG_MIGRATIONS", PG_MIGRATIONS[:1])
        with open_archive(postgres_uri) as old:
            old.add(make_doc("https://b.example/1.html", text="推进乡村振兴的讲话。" * 30))
            assert old.store.schema_version == 1  # type: ignore[attr-defined]
    with open_archive(postgres_uri) as upgraded:
        assert upgraded.store.schema_version == len(PG_MIGRATIONS) == 2  # type: ignore[attr-defined]
        collation = upgraded.store.conn.pg(  # type: ignore[attr-defined]
            "SELECT collation_name FROM information_schema.columns "
            "WHERE table_name = 'records_search' AND column_name = 'grams'"
        ).fetchone()[0]
        assert collation == "C"
        upgraded.add(make_doc("https://c.example/2.html", text="全面从严治党,乡村振兴。" * 30))
        assert sorted(hit.url for hit in upgraded.search("乡村振兴")) == [
            "https://b.example/1.html", "https://c.example/2.html"]
    postgres_server.drop_database(f"schema_1_{os.getpid()}")
