"""Real faults of the archive's environment: full disk, torn WARC tail, damage, read-only, lock, kill -9.

Nothing here mocks SQLite or the file system: the disk fills up (a 1 MB tmpfs when root, a file
size limit everywhere), bytes are torn off and zeroed, folders are made read-only, locks are
held by another connection and crawl processes are killed.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import zlib
from contextlib import closing
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from archive import (
    Archive,
    ArchiveFull,
    ArchiveLocked,
    ArchiveReadOnly,
    Capture,
    CorruptArchive,
    crawlstate,
    mark_run_finished,
    open_archive,
)
from archive._warc import whole_records_end
from archive.cli import main
from archive.sqlite import SqliteStore
from tests.archive.conftest import make_doc
from tests.conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator

def capture(url: str, size: int = 2_000, *, seed: int = 0) -> Capture:
    # Random bytes do not compress: the WARC grows by about ``size`` per capture.
    body = random.Random(f"{url}/{seed}").randbytes(size)  # noqa: S311 - test data
    return Capture(
        url,
        200,
        [("Content-Type", "text/html; charset=utf-8"), ("ETag", f'"{seed}"')],
        body,
        "2024-03-01T08:00:00Z",
        [("Host", "www.example.com"), ("User-Agent", "fanwen-archive-test")],
    )


def text(i: int, length: int = 400) -> str:
    rng = random.Random(i)  # noqa: S311 - test data
    return f"第{i}号文件。" + "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(length)) + "。"


def url(i: int) -> str:
    return f"https://www.example.com/fanwen/{i}.html"


def doc(i: int, **overrides: Any) -> dict[str, Any]:
    return make_doc(url(i), text=text(i), **overrides)


def warc_files(db: Path) -> list[Path]:
    return sorted((db.parent / (db.stem + ".warc")).glob("captures-*.warc.gz"))


def assert_warcs_read_to_the_end(db: Path) -> int:
    """Read every WARC file with warcio to its last byte; return the number of records."""
    count = 0
    for path in warc_files(db):
        size = path.stat().st_size
        # warcio stops quietly at some torn tails, so check the gzip members ourselves too.
        assert whole_records_end(path, 0) == size, f"{path} does not end in a whole record"
        end = 0
        with path.open("rb") as fh:
            iterator = ArchiveIterator(fh, no_record_parse=True)
            for record in iterator:
                expected = int(record.rec_headers.get_header("Content-Length"))
                assert len(record.raw_stream.read()) == expected
                end = iterator.get_record_offset() + iterator.get_record_length()
                count += 1
        assert end == size, f"warcio stopped at {end} of {size} bytes in {path}"
        data = path.read_bytes()
        pos = 0
        while pos < size:  # every byte belongs to a complete gzip member
            inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
            inflate.decompress(data[pos:])
            assert inflate.eof
            pos = size - len(inflate.unused_data)
    return count


def assert_every_warc_record_is_referenced(db: Path) -> None:
    """Every response and request record of the WARC files is a capture row's, and each once."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute('SELECT warc_file, "offset", request_offset FROM captures').fetchall()
    referenced = {(name, offset) for name, *offsets in rows for offset in offsets if offset is not None}
    assert len(referenced) == sum(1 for *_, req in rows for _ in (0, 1) if _ == 0 or req is not None)
    found = set()
    for path in warc_files(db):
        with path.open("rb") as fh:
            iterator = ArchiveIterator(fh, no_record_parse=True)
            for record in iterator:
                if record.rec_type != "warcinfo":
                    found.add((path.name, iterator.get_record_offset()))
    assert found == referenced


def one_line(message: str) -> None:
    assert "\n" not in message
    problem, sep, fix = message.partition("; ")
    assert sep and problem and fix, message


def torn_member(target: str) -> bytes:
    """The first half of a real gzipped WARC record: what a kill -9 mid-write leaves."""
    out = BytesIO()
    writer = WARCWriter(out, gzip=True)
    payload = random.Random(target).randbytes(20_000)  # noqa: S311 - test data
    record = writer.create_warc_record(target, "resource", payload=BytesIO(payload), length=len(payload))
    writer.write_record(record)
    member = out.getvalue()
    return member[: len(member) // 2]


# -- a small disk -------------------------------------------------------------------------------


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs (root only), unmounted afterwards."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    done = _run("mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mnt))
    if done.returncode:
        pytest.skip(
            f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}; "
            "test_file_size_limit_cuts_the_warc_back_and_rolls_back covers the same path"
        )
    try:
        yield mnt
    finally:
        if _run("umount", str(mnt)).returncode:
            _run("umount", "-l", str(mnt))


def _open_files() -> list[str]:
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            found.append(str(fd.readlink()))
        except OSError:
            continue  # the descriptor iterdir itself used
    return found


def _fill(archive: Archive, body_size: int) -> tuple[list[str], ArchiveFull]:
    added: list[str] = []
    for i in range(1000):
        try:
            added.append(archive.add(doc(i), [capture(url(i), body_size)]).record.id)
        except ArchiveFull as exc:
            return added, exc
    raise AssertionError("the disk never filled up")


@pytest.mark.parametrize(
    ("body_size", "fails_in"),
    [(150_000, "warc.gz"), (40_000, None)],  # big captures fill it in the WARC, small ones anywhere
)
def test_full_disk_leaves_the_archive_as_it_was(small_disk: Path, body_size: int, fails_in: str | None) -> None:
    db = small_disk / "archive.db"
    with open_archive(db, near_dup=False) as archive:
        added, error = _fill(archive, body_size)
        assert added
        one_line(str(error))
        assert error.reason == "archive_disk_full"
        assert str(error).startswith("no space left for ")
        assert "free space" in str(error)
        if fails_in:
            assert fails_in in str(error)
        assert not archive.store.conn.in_transaction  # type: ignore[attr-defined]
    # Closed, the archive holds no file open, even while the error (and its traceback) lives.
    assert error.__traceback__ is not None
    assert not [fd for fd in _open_files() if str(small_disk) in fd]
    with open_archive(db, near_dup=False) as reopened:
        assert [r.id for r in reopened.iter_records()] == added
        assert reopened.stats()["total"]["captures"] == len(added)
        for i, record_id in enumerate(added):
            assert reopened.captures(record_id) == [capture(url(i), body_size)]
    assert assert_warcs_read_to_the_end(db) == 1 + 2 * len(added)  # warcinfo, response + request each
    # Room again (the operator freed space): the next crawl appends behind whole records only.
    assert _run("mount", "-o", "remount,size=8m", str(small_disk)).returncode == 0
    with open_archive(db, near_dup=False) as later:
        later.add(doc(5000), [capture(url(5000), body_size)])
        assert len(list(later.iter_records())) == len(added) + 1
    assert assert_warcs_read_to_the_end(db) == 1 + 2 * (len(added) + 1)


@pytest.mark.parametrize("body_size", [150_000, 40_000])
def test_full_disk_in_a_batch_loses_that_batch_only(small_disk: Path, body_size: int) -> None:
    # Batched, the disk fills up in a WARC append (the add's savepoint rolls back), in a
    # statement, or at a COMMIT (the batch rolls back): what was committed before stays whole.
    db = small_disk / "archive.db"
    committed: list[str] = []
    with open_archive(db, near_dup=False, commit_items=4) as archive:
        batch: list[str] = []
        error: ArchiveFull | None = None
        for i in range(1000):
            try:
                batch.append(archive.add(doc(i), [capture(url(i), body_size)]).record.id)
            except ArchiveFull as exc:
                error = exc
                break
            if not archive.pending:
                committed, batch = committed + batch, []
        assert error is not None, "the disk never filled up"
        one_line(str(error))
        assert error.reason == "archive_disk_full"
        if archive.pending:  # the add failed alone: the rest of its batch is still held
            with pytest.raises(ArchiveFull):
                archive.commit()
        assert archive.pending == 0
        assert not archive.store.conn.in_transaction  # type: ignore[attr-defined]
    assert committed
    assert not [fd for fd in _open_files() if str(small_disk) in fd]
    with open_archive(db, near_dup=False) as reopened:
        assert [r.id for r in reopened.iter_records()] == committed
    assert assert_warcs_read_to_the_end(db) == 1 + 2 * len(committed)
    assert_every_warc_record_is_referenced(db)


_FSIZE_CHILD = textwrap.dedent(
    """
    import json, resource, signal, sys
    from archive import ArchiveError, open_archive
    from tests.archive.test_faults import capture, doc, url

    db, limit, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    # Ignored, SIGXFSZ no longer kills the process: the write past the limit fails with EFBIG.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    added = []
    with open_archive(db, near_dup=False) as archive:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        try:
            for i in range(1000):
                added.append(archive.add(doc(i), [capture(url(i), size)]).record.id)
        except ArchiveError as exc:
            print(json.dumps({"class": type(exc).__name__, "reason": exc.reason, "message": str(exc),
                              "cause": repr(exc.__cause__), "added": added}))
    """
)


def test_file_size_limit_cuts_the_warc_back_and_rolls_back(tmp_path: Path) -> None:
    db = tmp_path / "data" / "archive.db"
    limit, size = 1_500_000, 200_000
    done = subprocess.run(
        [sys.executable, "-c", _FSIZE_CHILD, str(db), str(limit), str(size)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["class"] == "ArchiveFull", result
    assert result["reason"] == "archive_disk_full"
    assert "File too large" in result["cause"]
    one_line(result["message"])
    assert "captures-00001.warc.gz reached the largest file size allowed" in result["message"]
    assert "ulimit -f" in result["message"]
    added = result["added"]
    assert 0 < len(added) <= limit // size
    (warc,) = warc_files(db)
    assert warc.stat().st_size < limit  # the failed append was cut back
    with open_archive(db, near_dup=False) as archive:
        assert [r.id for r in archive.iter_records()] == added
        assert archive.captures(added[-1]) == [capture(url(len(added) - 1), size)]
        archive.add(doc(9999), [capture(url(9999), size)])  # no limit now
    assert assert_warcs_read_to_the_end(db) == 1 + 2 * (len(added) + 1)


def test_a_failed_commit_cuts_its_warc_append_off_again(tmp_path: Path) -> None:
    db = tmp_path / "data" / "archive.db"
    with open_archive(db, near_dup=False) as archive:
        archive.add(doc(1), [capture(url(1))])
        (warc,) = warc_files(db)
        size = warc.stat().st_size
        store = archive.store
        with pytest.raises(RuntimeError), store.transaction():  # noqa: PT012 - the block is the test
            archive.add(doc(2), [capture(url(2))])  # joins, writes the WARC
            assert warc.stat().st_size > size
            raise RuntimeError
        assert warc.stat().st_size == size
    assert assert_warcs_read_to_the_end(db) == 3


# -- a torn WARC tail ---------------------------------------------------------------------------


def _bytes_read() -> int:
    return int(Path("/proc/self/io").read_text().split("rchar:")[1].split()[0])


def test_torn_tail_is_cut_before_the_next_append(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "data" / "archive.db"
    with open_archive(db, near_dup=False) as archive:
        ids = [archive.add(doc(i), [capture(url(i), 300_000)]).record.id for i in range(8)]
    (warc,) = warc_files(db)
    whole = warc.stat().st_size
    torn = torn_member("https://www.example.com/fanwen/killed.html")
    with warc.open("ab") as fh:
        fh.write(torn)
    assert whole_records_end(warc, 0) == whole
    caplog.set_level(logging.INFO)
    measure = Path("/proc/self/io").exists()
    with open_archive(db, near_dup=False) as archive:
        before = _bytes_read() if measure else 0
        new = archive.add(doc(100), [capture(url(100))]).record.id
        read = _bytes_read() - before if measure else 0
        archive.add(doc(101), [capture(url(101))])  # once per file: no second warning
        for i, record_id in enumerate(ids):
            assert archive.captures(record_id) == [capture(url(i), 300_000)]
        assert archive.captures(new) == [capture(url(100))]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        f"WARC file {warc} ended in a torn record (a crash or a full disk mid-write): "
        f"cut {len(torn)} bytes after offset {whole}"
    ]
    assert assert_warcs_read_to_the_end(db) == 1 + 2 * (len(ids) + 2)
    if measure:
        # The search starts at the end of the last record the database refers to: it reads the
        # torn bytes, not the 2.4 MB before them.
        assert read < whole // 4, read


@pytest.mark.parametrize(
    "tail",
    [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage", b"\0" * 512, b"WARC/1.0\r\nWARC-Type: resp"],
    ids=["gzip-header-then-garbage", "zeros", "uncompressed-text"],
)
def test_any_torn_tail_is_cut(tmp_path: Path, tail: bytes, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "data" / "archive.db"
    with open_archive(db, near_dup=False) as archive:
        first = archive.add(doc(1), [capture(url(1))]).record.id
    (warc,) = warc_files(db)
    with warc.open("ab") as fh:
        fh.write(tail)
    with open_archive(db, near_dup=False) as archive:
        archive.add(doc(2), [capture(url(2))])
        assert archive.captures(first) == [capture(url(1))]
    assert f"cut {len(tail)} bytes" in caplog.text
    assert assert_warcs_read_to_the_end(db) == 5


def test_an_unreferenced_whole_record_after_a_crash_is_cut(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A kill -9 after the WARC write but before COMMIT leaves whole records no row refers to (a
    # batch of them with batched commits). The next writer holds the write lock, so nobody can
    # be about to commit them: they are cut, and the WARC holds only what the database knows.
    db = tmp_path / "data" / "archive.db"
    with open_archive(db, near_dup=False) as archive:
        archive.add(doc(1), [capture(url(1))])
    (warc,) = warc_files(db)
    whole = warc.read_bytes()
    with open_archive(db, near_dup=False) as archive:
        archive.add(doc(2), [capture(url(2))])
    orphaned = warc.read_bytes()
    warc.write_bytes(whole)  # back to one record, as the database of the first run knows it ...
    with open_archive(db, near_dup=False) as archive:
        archive.store.conn.execute(  # type: ignore[attr-defined]
            "DELETE FROM record_captures WHERE capture_id = (SELECT max(id) FROM captures)"
        )
        archive.store.conn.execute("DELETE FROM captures WHERE id = (SELECT max(id) FROM captures)")  # type: ignore[attr-defined]
    torn = torn_member(url(9))
    warc.write_bytes(orphaned + torn)  # ... with the second record's bytes on disk but not in it
    with open_archive(db, near_dup=False) as archive:
        third = archive.add(doc(3), [capture(url(3))]).record.id
        assert archive.captures(third) == [capture(url(3))]
    cut = len(orphaned) + len(torn) - len(whole)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        f"WARC file {warc} ended in records no committed row refers to (a crash before its transaction "
        f"committed, then a torn record): cut {cut} bytes after offset {len(whole)}"
    ]
    assert assert_warcs_read_to_the_end(db) == 5  # warcinfo, then doc 1's and doc 3's records
    assert_every_warc_record_is_referenced(db)


def test_a_file_nothing_refers_to_is_started_again(tmp_path: Path) -> None:
    # Killed before the first COMMIT that used a new file: the file is all orphans, warcinfo too.
    db = tmp_path / "data" / "archive.db"
    with open_archive(db, near_dup=False) as archive:
        archive.add(doc(1))
    warc_dir = db.parent / "archive.warc"
    with Archive(SqliteStore(db)) as archive:
        store = archive.store
        with pytest.raises(RuntimeError), store.transaction():  # noqa: PT012 - the block is the test
            archive.add(doc(2), [capture(url(2))])
            kept = warc_files(db)[0].read_bytes()
            raise RuntimeError
    assert warc_files(db) == []  # a rolled-back first write removes the file it started
    warc_dir.joinpath("captures-00001.warc.gz").write_bytes(kept)
    with open_archive(db, near_dup=False) as archive:
        record = archive.add(doc(3), [capture(url(3))]).record
        assert archive.captures(record.id) == [capture(url(3))]
    assert assert_warcs_read_to_the_end(db) == 3
    assert_every_warc_record_is_referenced(db)


def test_a_full_file_left_with_a_torn_tail_is_cut_when_the_next_file_starts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The torn write pushed the file past the rotation size: nobody appends to it again, so it
    # is repaired when the writer moves on to the next file.
    db = tmp_path / "data" / "archive.db"
    with Archive(SqliteStore(db, warc_max_bytes=100_000)) as archive:
        first = archive.add(doc(1), [capture(url(1), 60_000)]).record.id
    (warc,) = warc_files(db)
    with warc.open("ab") as fh:
        fh.write(torn_member("https://www.example.com/fanwen/killed.html") * 8)
    assert warc.stat().st_size >= 100_000
    with Archive(SqliteStore(db, warc_max_bytes=100_000)) as archive:
        archive.add(doc(2), [capture(url(2), 60_000)])
        assert archive.captures(first) == [capture(url(1), 60_000)]
    assert [p.name for p in warc_files(db)] == ["captures-00001.warc.gz", "captures-00002.warc.gz"]
    assert "ended in a torn record" in caplog.text
    assert assert_warcs_read_to_the_end(db) == 6


def test_a_warc_shorter_than_its_references_is_damaged(tmp_path: Path) -> None:
    db = tmp_path / "data" / "archive.db"
    with open_archive(db, near_dup=False) as archive:
        archive.add(doc(1), [capture(url(1))])
    (warc,) = warc_files(db)
    os.truncate(warc, warc.stat().st_size - 100)
    with open_archive(db, near_dup=False) as archive, pytest.raises(CorruptArchive) as info:
        archive.add(doc(2), [capture(url(2))])
    one_line(str(info.value))
    assert "is damaged" in str(info.value)
    assert "restore the file from a backup" in str(info.value)


# -- a damaged database -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def damaged_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    db = tmp_path_factory.mktemp("damaged") / "archive.db"
    with open_archive(db, near_dup=False) as archive:
        run = archive.start_run("baina")
        first = archive.add(doc(0), [capture(url(0))]).record.id
        for i in range(1, 600):
            archive.add(doc(i, site=("baina", "juyou", "huiwen")[i % 3]))
        archive.finish_run(run, "finished", {"pages": 600})
    # Zeroed in the middle of the records table's pages, which any query of records reads
    # (the middle of the file may hold only the search index's pages).
    conn = sqlite3.connect(db)
    pages = [n for (n,) in conn.execute("SELECT pageno FROM dbstat WHERE name = 'records' ORDER BY pageno")]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(db.read_bytes())
    assert len(data) > 1_000_000
    middle = (pages[len(pages) // 2] - 1) * page_size
    data[middle : middle + 32 * 1024] = bytes(32 * 1024)
    return bytes(data), first


@pytest.fixture
def damaged(damaged_template: tuple[bytes, str], tmp_path: Path) -> tuple[Path, str]:
    """A real archive of 600 records (1.6 MB) with 32 KB zeroed in the middle of its file."""
    data, first = damaged_template
    db = tmp_path / "data" / "archive.db"
    db.parent.mkdir()
    db.write_bytes(data)
    return db, first


@pytest.mark.parametrize(
    "command",
    [["stats"], ["stats", "--json"], ["export", "-o", "-"], ["export", "-o", "OUT"], ["runs"], ["show", "ID"],
     ["reindex"]],
    ids=lambda c: "-".join(c),
)
def test_every_command_reports_damage_in_one_line(
    damaged: tuple[Path, str], command: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db, first = damaged
    argv = [str(tmp_path / "out.jsonl") if a == "OUT" else first if a == "ID" else a for a in command]
    assert main([*argv, "--archive", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"error: archive {db} is damaged (")
    fix = f'restore a backup, or salvage what is readable with: sqlite3 {db} ".recover" | sqlite3 NEW.db'
    assert err.rstrip().endswith(fix)
    assert not (tmp_path / "out.jsonl").exists()


def test_damage_through_python_m_archive_has_no_traceback(damaged: tuple[Path, str]) -> None:
    db, _ = damaged
    done = subprocess.run(
        [sys.executable, "-m", "archive", "stats", "--archive", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: ") and "is damaged" in done.stderr
    assert "Traceback" not in done.stderr


def test_damage_met_by_a_query_is_named_too(damaged: tuple[Path, str]) -> None:
    # The library, without the CLI's check, names what SQLite finds when it reads the page.
    db, _ = damaged
    with open_archive(db, create=False, near_dup=False) as archive, pytest.raises(CorruptArchive) as info:
        list(archive.iter_records())
    assert info.value.reason == "archive_damaged"
    assert "database disk image is malformed" in str(info.value)
    one_line(str(info.value))


def test_a_damaged_header_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "archive.db"
    SqliteStore(db).close()
    with db.open("r+b") as fh:
        fh.write(b"\0" * 100)  # the SQLite header
    assert main(["runs", "--archive", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {db} is not a SQLite archive (file is not a database): it is damaged")
    assert ".recover" in err and err.count("\n") == 1


def test_a_damaged_warc_record_is_named(tmp_path: Path) -> None:
    db = tmp_path / "data" / "archive.db"
    with open_archive(db, near_dup=False) as archive:
        record = archive.add(doc(1), [capture(url(1), 50_000)]).record
        (warc,) = warc_files(db)
        offset = archive.store.conn.execute('SELECT "offset" FROM captures').fetchone()[0]  # type: ignore[attr-defined]
        with warc.open("r+b") as fh:
            fh.seek(offset + 2_000)
            fh.write(b"\0" * 4096)
        with pytest.raises(CorruptArchive) as info:
            archive.captures(record.id)
    assert str(info.value).startswith(f"WARC file {warc} is damaged: cannot read the capture of {url(1)}")
    one_line(str(info.value))


# -- a read-only archive ------------------------------------------------------------------------


def _chmod_stops_writes(tmp_path: Path) -> bool:
    # Root (CAP_DAC_OVERRIDE) passes every permission check; root without it does not.
    probe = tmp_path / "probe"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        (probe / "x").touch()
    except PermissionError:
        return True
    else:
        return False
    finally:
        probe.chmod(0o755)


@pytest.fixture(params=["chmod", "read-only mount"])
def read_only_folder(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, Any]]:
    """A folder for an archive and a function that makes it read-only (returning what then says so)."""
    if request.param == "chmod":
        if not _chmod_stops_writes(tmp_path):
            pytest.skip("this user passes every permission check (root): the read-only mount covers it")
        folder = tmp_path / "ro"
        folder.mkdir()

        def chmod() -> str:
            folder.chmod(0o555)
            return f"archive folder {folder} is not writable"

        try:
            yield folder, chmod
        finally:
            folder.chmod(0o755)
        return
    mnt = tmp_path / "ro"
    mnt.mkdir()
    done = _run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt))
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")

    def remount() -> str:
        assert _run("mount", "-o", "remount,ro", str(mnt)).returncode == 0
        return f"is on a read-only file system (at {mnt}); remount it read-write, or choose another archive path"

    try:
        yield mnt, remount
    finally:
        if _run("umount", str(mnt)).returncode:
            _run("umount", "-l", str(mnt))


def test_read_only_folder_refuses_a_crawl_and_serves_readers(
    read_only_folder: tuple[Path, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder, freeze = read_only_folder
    db = folder / "archive.db"
    with open_archive(db, near_dup=False) as archive:
        run = archive.start_run("baina")
        record = archive.add(doc(1), [capture(url(1))]).record
        archive.add(doc(2))
        archive.finish_run(run, "finished", {"pages": 2})
    assert not Path(f"{db}-wal").exists()  # closed cleanly: nothing beside the file
    said = freeze()

    with pytest.raises(ArchiveReadOnly) as info:
        open_archive(db)  # a crawl opens to write: told now, not at its first item
    assert info.value.reason == "archive_read_only"
    assert said in str(info.value)
    one_line(str(info.value))

    # Readers work: stats, export, runs, show, and the raw captures.
    assert main(["stats", "--json", "--archive", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["records"] == 2
    out = tmp_path / "out.jsonl"
    assert main(["export", "-o", str(out), "--archive", str(db)]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    assert main(["runs", "--archive", str(db)]) == 0
    assert run in capsys.readouterr().out
    assert main(["show", record.id, "--archive", str(db)]) == 0
    with open_archive(db, create=False, near_dup=False) as reader:
        assert reader.store.read_only  # type: ignore[attr-defined]
        assert reader.captures(record.id) == [capture(url(1))]
        with pytest.raises(ArchiveReadOnly) as info:
            reader.add(doc(3))
        assert said in str(info.value)
    capsys.readouterr()
    assert main(["reindex", "--archive", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: archive ") and said in err and err.count("\n") == 1
    with pytest.raises(ArchiveReadOnly):
        mark_run_finished(db, run, "archive_read_only")
    assert sorted(p.name for p in folder.iterdir()) == ["archive.db", "archive.warc"]


_BATCH_THEN_WAIT = textwrap.dedent(
    """
    import sys, time
    from archive import open_archive
    from tests.archive.test_faults import capture, doc, url
    archive = open_archive(sys.argv[1], near_dup=False, commit_items=1000)
    for i in range(10, 15):
        archive.add(doc(i), [capture(url(i))])  # in the WARC, and in a transaction never committed
    print("added", flush=True)
    time.sleep(600)
    """
)


def test_a_writer_killed_inside_a_batch_leaves_nothing_the_next_one_keeps(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with open_archive(db_path, near_dup=False) as archive:
        first = archive.add(doc(1), [capture(url(1))]).record.id
    (warc,) = warc_files(db_path)
    size = warc.stat().st_size
    child = subprocess.Popen(
        [sys.executable, "-c", _BATCH_THEN_WAIT, str(db_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "added\n"
    finally:
        child.kill()
        child.wait()
    orphans = warc.stat().st_size - size
    assert orphans > 5 * 2_000  # five captures' bytes, no row for them
    with open_archive(db_path, near_dup=False) as archive:
        assert [r.id for r in archive.iter_records()] == [first]
        archive.add(doc(10), [capture(url(10))])  # fetched again, stored once
        assert archive.captures(archive.latest(url(10)).id) == [capture(url(10))]  # type: ignore[union-attr]
    assert f"cut {orphans} bytes after offset {size}" in caplog.text
    assert assert_warcs_read_to_the_end(db_path) == 1 + 2 * 2
    assert_every_warc_record_is_referenced(db_path)


_HOLD_OPEN = textwrap.dedent(
    """
    import sys, time
    from archive import open_archive
    from tests.archive.test_faults import doc
    archive = open_archive(sys.argv[1], near_dup=False)
    archive.add(doc(7))  # in the -wal file, not yet in the database file
    print("written", flush=True)
    time.sleep(600)
    """
)


def _killed_writer(db: Path) -> None:
    # A crawl killed outright leaves its -wal and -shm files behind.
    child = subprocess.Popen([sys.executable, "-c", _HOLD_OPEN, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "written\n"
    finally:
        child.kill()
        child.wait()


def test_read_only_folder_with_a_wal_left_by_a_killed_crawl(
    read_only_folder: tuple[Path, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, freeze = read_only_folder
    db = folder / "archive.db"
    with open_archive(db, near_dup=False) as archive:
        archive.add(doc(1))
    _killed_writer(db)
    assert Path(f"{db}-wal").exists() and Path(f"{db}-shm").exists()
    Path(f"{db}-shm").unlink()
    freeze()
    # Without the -shm file SQLite cannot read the -wal, and cannot create the -shm here.
    assert main(["stats", "--archive", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: cannot read archive {db} read-only: its -wal file holds changes")
    assert "copy archive.db and archive.db-wal to a writable folder" in err


def test_read_only_folder_with_a_wal_and_shm_is_read_with_the_wal(
    read_only_folder: tuple[Path, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, freeze = read_only_folder
    db = folder / "archive.db"
    with open_archive(db, near_dup=False) as archive:
        archive.add(doc(1))
    _killed_writer(db)
    freeze()
    assert main(["stats", "--json", "--archive", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["records"] == 2  # the -wal's record too


def test_new_archive_in_a_read_only_folder(read_only_folder: tuple[Path, Any]) -> None:
    folder, freeze = read_only_folder
    said = freeze()
    with pytest.raises(ArchiveReadOnly) as info:
        open_archive(folder / "data" / "archive.db")
    assert said in str(info.value)
    one_line(str(info.value))


def test_read_only_file(tmp_path: Path) -> None:
    if not _chmod_stops_writes(tmp_path):
        pytest.skip("this user passes every permission check (root)")
    db = tmp_path / "archive.db"
    with open_archive(db, near_dup=False) as archive:
        archive.add(doc(1))
    db.chmod(0o444)
    try:
        with pytest.raises(ArchiveReadOnly, match=rf"archive file {db} is not writable"):
            open_archive(db)
        with open_archive(db, create=False, near_dup=False) as reader:
            assert len(list(reader.iter_records())) == 1
    finally:
        db.chmod(0o644)


# -- a locked archive ---------------------------------------------------------------------------


def test_a_held_write_lock_is_named_after_the_busy_timeout(db_path: Path) -> None:
    SqliteStore(db_path).close()
    archive = Archive(SqliteStore(db_path, busy_timeout=0.2))
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        with pytest.raises(ArchiveLocked) as info:
            archive.add(doc(1))
        waited = time.monotonic() - started
        assert 0.2 <= waited < 5
        assert info.value.reason == "archive_locked"
        assert "did not let go within 0.2 s" in str(info.value)
        assert "another process holds it" in str(info.value)
        one_line(str(info.value))
        with pytest.raises(ArchiveLocked):
            archive.start_run("baina")
        other.execute("ROLLBACK")
        assert archive.add(doc(1)).status == "new"
    finally:
        other.close()
        archive.close()
    assert SqliteStore(db_path).busy_timeout == 30.0  # the default


# -- an honest run log --------------------------------------------------------------------------


_START_AND_WAIT = textwrap.dedent(
    """
    import sys, time
    from archive import open_archive
    archive = open_archive(sys.argv[1], near_dup=False)
    print(archive.start_run("juyou"), flush=True)
    time.sleep(600)
    """
)


def _start_run_in_child(db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _START_AND_WAIT, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def _state(pid: int) -> str:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rfind(")") + 2]


def test_a_run_killed_outright_is_interrupted(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open_archive(db_path, near_dup=False) as archive:
        live = archive.start_run("baina")
        child = _start_run_in_child(db_path)
        assert child.stdout is not None
        killed = child.stdout.readline().strip()
        elsewhere = crawlstate.new_run_id()
        with archive.store.transaction():
            crawlstate.start_run(
                archive.store.conn,  # type: ignore[attr-defined]
                elsewhere,
                "huiwen",
                "2024-03-01T08:00:00Z",
                pid=child.pid,
                host="another-host.example",
            )
        runs = {run.run_id: run for run in archive.runs()}
        assert runs[killed].finish_reason is None  # alive: running
        assert (runs[killed].pid, runs[killed].host) == (child.pid, socket.gethostname())
        child.kill()
        child.wait()
        runs = {run.run_id: run for run in archive.runs()}
    assert runs[killed].finish_reason == "interrupted"
    assert runs[killed].finished_at is None  # when it died is not known
    assert runs[live].finish_reason is None  # this process: still running
    assert runs[elsewhere].finish_reason is None  # another host's pid says nothing here
    conn = sqlite3.connect(db_path)
    stored = dict(conn.execute("SELECT run_id, finish_reason FROM runs").fetchall())
    conn.close()
    assert stored == {killed: "interrupted", live: None, elsewhere: None}  # written back
    assert main(["runs", "--archive", str(db_path)]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "interrupted" in lines[killed]
    assert "running" in lines[live] and "running" in lines[elsewhere]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="zombies and pid reuse are read from /proc")
def test_a_zombie_or_a_reused_pid_is_interrupted_too(db_path: Path) -> None:
    with open_archive(db_path, near_dup=False) as archive:
        child = _start_run_in_child(db_path)
        assert child.stdout is not None
        zombie = child.stdout.readline().strip()
        os.kill(child.pid, signal.SIGKILL)
        try:
            deadline = time.monotonic() + 10
            while _state(child.pid) != "Z" and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(child.pid, 0)  # the pid exists: only its state tells it is dead
            assert {r.run_id: r.finish_reason for r in archive.runs()}[zombie] == "interrupted"
        finally:
            child.wait()
        reused = archive.start_run("baina")  # this pid, but "started" by an older process
        archive.store.conn.execute("UPDATE runs SET process_start = 'other-boot:1' WHERE run_id = ?", (reused,))  # type: ignore[attr-defined]
        assert {r.run_id: r.finish_reason for r in archive.runs()}[reused] == "interrupted"


def test_interrupted_runs_show_on_a_read_only_archive(read_only_folder: tuple[Path, Any]) -> None:
    folder, freeze = read_only_folder
    db = folder / "archive.db"
    SqliteStore(db).close()
    child = _start_run_in_child(db)
    assert child.stdout is not None
    killed = child.stdout.readline().strip()
    child.kill()
    child.wait()
    SqliteStore(db).close()  # the last connection to close folds the -wal into the file
    assert not Path(f"{db}-wal").exists()
    freeze()
    with open_archive(db, create=False, near_dup=False) as reader:
        assert {r.run_id: r.finish_reason for r in reader.runs()} == {killed: "interrupted"}
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro&immutable=1", uri=True)
    assert conn.execute("SELECT finish_reason FROM runs").fetchall() == [(None,)]  # not written
    conn.close()


def test_listing_runs_while_a_crawl_holds_the_lock_does_not_wait_for_it(db_path: Path) -> None:
    SqliteStore(db_path).close()
    child = _start_run_in_child(db_path)
    assert child.stdout is not None
    killed = child.stdout.readline().strip()
    child.kill()
    child.wait()
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # a crawl in the middle of a write
        with open_archive(db_path, create=False, near_dup=False) as reader:
            started = time.monotonic()
            assert {r.run_id: r.finish_reason for r in reader.runs()} == {killed: "interrupted"}
            assert time.monotonic() - started < 10  # the correction waits 2 s, not the 30 s timeout
            assert reader.store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000  # type: ignore[attr-defined]
        other.execute("ROLLBACK")
    finally:
        other.close()
    with open_archive(db_path, create=False, near_dup=False) as reader:
        reader.runs()  # now written
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT finish_reason FROM runs").fetchall() == [("interrupted",)]
    conn.close()


def test_finish_run_without_an_archive_open(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with open_archive(db_path, near_dup=False) as archive:
        started = archive.start_run("baina")
        archive.finish_run("no-such-run", "finished", {})  # changes nothing, says so
    assert "no crawl run no-such-run in the archive" in caplog.text
    assert mark_run_finished(f"sqlite:///{db_path}", started, "failed_to_start") is True
    assert mark_run_finished(db_path, "never-opened", "archive_read_only", spider="juyou", counts={"pages": 0})
    assert mark_run_finished(db_path, "unknown", "finished") is False  # no spider: nothing to log
    with open_archive(db_path, near_dup=False) as archive:
        runs = {run.run_id: run for run in archive.runs()}
    assert set(runs) == {started, "never-opened"}
    assert runs[started].finish_reason == "failed_to_start" and runs[started].finished_at
    never = runs["never-opened"]
    assert (never.spider, never.finish_reason, never.counts) == ("juyou", "archive_read_only", {"pages": 0})
    assert never.started_at == never.finished_at
    with pytest.raises(Exception, match="no archive at"):
        mark_run_finished(db_path.with_name("missing.db"), "x", "failed_to_start", spider="juyou")
