"""Batched commits (``commit_items`` / ``commit_seconds``) and the WARC file kept open between writes.

A batch is one transaction holding each write as a savepoint: a write that fails undoes only
itself (rows, WARC bytes, the near-duplicate index's memory), a commit that fails undoes the
whole batch, and what is committed never points at WARC bytes that were not fsynced first.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from archive import Archive, ArchiveIOError, ArchiveLocked, open_archive
from archive.sqlite import SqliteStore
from tests.archive import texts
from tests.archive.conftest import make_doc
from tests.archive.test_faults import (
    assert_every_warc_record_is_referenced,
    assert_warcs_read_to_the_end,
    capture,
    doc,
    url,
    warc_files,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


def committed(db: Path) -> list[str]:
    """The record URLs another connection sees (what is committed), in insertion order."""
    with closing(sqlite3.connect(db)) as conn:
        return [row[0] for row in conn.execute("SELECT url FROM records ORDER BY seq")]


@pytest.fixture
def batched(db_path: Path) -> Iterator[Archive]:
    with open_archive(db_path, commit_items=3) as archive:
        yield archive


def test_default_is_one_commit_per_add(archive: Archive, db_path: Path) -> None:
    archive.add(doc(1), [capture(url(1))])
    assert archive.pending == 0
    assert committed(db_path) == [url(1)]
    assert not archive.store.conn.in_transaction  # type: ignore[attr-defined]


def test_a_batch_commits_every_n_writes(batched: Archive, db_path: Path) -> None:
    batched.add(doc(1), [capture(url(1))])
    batched.add(doc(2), [capture(url(2))])
    assert batched.pending == 2
    assert committed(db_path) == []
    assert [r.url for r in batched.iter_records()] == [url(1), url(2)]  # its own connection sees them
    assert batched.captures(batched.latest(url(2)).id) == [capture(url(2))]  # type: ignore[union-attr]
    batched.add(doc(3))
    assert batched.pending == 0
    assert committed(db_path) == [url(1), url(2), url(3)]
    batched.add(doc(4))
    batched.commit()
    assert committed(db_path) == [url(1), url(2), url(3), url(4)]
    batched.commit()  # nothing held: nothing to do


def test_a_write_finding_the_batch_old_commits_it(db_path: Path) -> None:
    with open_archive(db_path, commit_items=1000, commit_seconds=0.2) as archive:
        archive.add(doc(1))
        assert archive.pending == 1
        time.sleep(0.25)
        assert committed(db_path) == []  # nobody wrote: the caller's timer commits (commit())
        archive.add(doc(2))
        assert archive.pending == 0
        assert committed(db_path) == [url(1), url(2)]


def test_close_commits_the_batch(db_path: Path) -> None:
    with open_archive(db_path, commit_items=50) as archive:
        archive.add(doc(1), [capture(url(1))])
    assert committed(db_path) == [url(1)]
    assert_every_warc_record_is_referenced(db_path)


def test_touch_is_a_write_of_the_batch(batched: Archive, db_path: Path) -> None:
    batched.add(doc(1))
    batched.commit()
    assert batched.touch(url(1), "2024-03-09T08:00:00Z") == 1
    assert batched.pending == 1
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("SELECT count(*) FROM sightings").fetchone()[0] == 1
    batched.commit()
    assert len(batched.sightings(batched.latest(url(1)).id)) == 2  # type: ignore[union-attr]


def test_run_rows_commit_at_once_with_the_batch(batched: Archive, db_path: Path) -> None:
    batched.add(doc(1))
    run = batched.start_run("baina")
    assert batched.pending == 0
    assert committed(db_path) == [url(1)]
    batched.add(doc(2))
    batched.finish_run(run, "finished", {"new": 2})
    assert committed(db_path) == [url(1), url(2)]
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("SELECT finish_reason FROM runs").fetchall() == [("finished",)]


def test_bad_commit_settings_are_refused(db_path: Path) -> None:
    with pytest.raises(ValueError, match="items >= 1"):
        open_archive(db_path, commit_items=0)
    with pytest.raises(ValueError, match="seconds >= 0"):
        open_archive(db_path, commit_items=5, commit_seconds=-1)


# -- a write that fails undoes itself only ------------------------------------------------------


def test_a_bad_document_leaves_the_batch_alone(batched: Archive, db_path: Path) -> None:
    batched.add(doc(1))
    with pytest.raises(ValueError, match="empty text"):
        batched.add(make_doc(url(2), text=" "))
    assert batched.pending == 1
    batched.commit()
    assert committed(db_path) == [url(1)]


def test_a_write_failing_mid_add_rolls_back_its_savepoint_and_its_warc_bytes(
    batched: Archive, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batched.add(doc(1), [capture(url(1))])
    (warc,) = warc_files(db_path)
    size = warc.stat().st_size
    store = batched.store
    real_write = store.warc.write  # type: ignore[attr-defined]

    def write_then_fail(c: Any) -> Any:
        real_write(c)
        raise OSError(errno.EIO, "injected")

    monkeypatch.setattr(store.warc, "write", write_then_fail)  # type: ignore[attr-defined]
    with pytest.raises(OSError, match="injected"):
        batched.add(doc(2), [capture(url(2))])
    monkeypatch.undo()
    assert warc.stat().st_size == size  # its bytes are cut off, the batch's stay
    assert batched.pending == 1
    assert [r.url for r in batched.iter_records()] == [url(1)]
    batched.add(doc(3), [capture(url(3))])
    batched.commit()
    assert committed(db_path) == [url(1), url(3)]
    assert_warcs_read_to_the_end(db_path)
    assert_every_warc_record_is_referenced(db_path)


def test_the_near_duplicate_index_forgets_a_failed_write_only(
    batched: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    near = batched.near_index
    assert near is not None
    first = batched.add(make_doc(url(1), text=texts.SAFETY)).record
    real_add = near.add

    def index_then_fail(record_id: str, sketch: Any) -> None:
        real_add(record_id, sketch)  # the signature is in the loaded table now
        raise RuntimeError("after indexing")

    monkeypatch.setattr(near, "add", index_then_fail)
    with pytest.raises(RuntimeError, match="after indexing"):
        batched.add(make_doc(url(2), text=texts.RURAL))
    monkeypatch.undo()
    # The batch's document is still found, the rolled-back one is not.
    copy = batched.add(make_doc(url(3), text=texts.fill_masks(texts.SAFETY)))
    assert (copy.match, copy.record.dup_of) == ("near", first.id)
    other = batched.add(make_doc(url(4), text=texts.fill_masks(texts.RURAL)))
    assert (other.status, other.record.dup_of) == ("new", None)


# -- a commit that fails undoes the batch --------------------------------------------------------


def _failing_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("archive._warc.os.fsync", fsync)


def test_a_failed_commit_rolls_the_batch_back_and_cuts_its_warc_bytes(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_archive(db_path, commit_items=10) as archive:
        archive.add(make_doc(url(1), text=texts.SAFETY), [capture(url(1))])
        archive.commit()
        (warc,) = warc_files(db_path)
        size = warc.stat().st_size
        archive.add(make_doc(url(2), text=texts.RURAL), [capture(url(2))])
        archive.add(doc(3), [capture(url(3))])
        archive.touch(url(1))
        assert archive.pending == 3
        _failing_fsync(monkeypatch)
        with pytest.raises(ArchiveIOError) as info:
            archive.commit()
        monkeypatch.undo()
        assert info.value.reason == "archive_io_error"
        assert "Input/output error" in str(info.value)
        assert archive.pending == 0
        assert not archive.store.conn.in_transaction  # type: ignore[attr-defined]
        assert warc.stat().st_size == size
        assert [r.url for r in archive.iter_records()] == [url(1)]
        assert len(archive.sightings(archive.latest(url(1)).id)) == 1  # type: ignore[union-attr]
        # Still usable, and its near-duplicate index forgot the lost documents.
        again = archive.add(make_doc(url(4), text=texts.fill_masks(texts.RURAL)))
        assert (again.status, again.record.dup_of) == ("new", None)
    assert committed(db_path) == [url(1), url(4)]
    assert_warcs_read_to_the_end(db_path)
    assert_every_warc_record_is_referenced(db_path)


def test_a_commit_that_fails_in_close_still_closes(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = open_archive(db_path, commit_items=10)
    archive.add(doc(1), [capture(url(1))])
    _failing_fsync(monkeypatch)
    with pytest.raises(ArchiveIOError):
        archive.close()
    monkeypatch.undo()
    warc_dir = db_path.parent / "archive.warc"
    assert not [fd for fd in Path("/proc/self/fd").iterdir() if str(warc_dir) in os.path.realpath(fd)]
    assert committed(db_path) == []
    assert warc_files(db_path) == []  # the file the batch started is gone with it


def test_a_batch_holds_the_write_lock_until_it_commits(batched: Archive, db_path: Path) -> None:
    batched.add(doc(1))
    with Archive(SqliteStore(db_path, busy_timeout=0.2)) as other:
        with pytest.raises(ArchiveLocked):
            other.add(doc(2))
        batched.commit()
        assert other.add(doc(2)).status == "new"


# -- the WARC file stays open ---------------------------------------------------------------------


def test_writes_do_not_list_the_warc_folder(archive: Archive, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive.add(doc(0), [capture(url(0))])  # the first write picks the file
    listed: list[Path] = []
    real_iterdir = Path.iterdir

    def iterdir(self: Path) -> Any:
        listed.append(self)
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    for i in range(1, 6):
        archive.add(doc(i), [capture(url(i))])
    assert listed == []


def test_a_warc_file_moved_away_between_writes_is_started_again(archive: Archive, db_path: Path) -> None:
    archive.add(doc(1), [capture(url(1))])
    (warc,) = warc_files(db_path)
    moved = warc.rename(warc.with_name("moved-away.warc.gz"))
    size = moved.stat().st_size
    second = archive.add(doc(2), [capture(url(2))]).record
    assert moved.stat().st_size == size  # not appended to the file that is no longer the archive's
    assert archive.captures(second.id) == [capture(url(2))]
    assert warc_files(db_path) == [warc]


def test_two_writers_take_turns_on_one_warc_file(db_path: Path) -> None:
    # Each keeps the file open; each sees the other's appends by the file's size.
    with open_archive(db_path, near_dup=False) as one, open_archive(db_path, near_dup=False) as two:
        ids = [(one if i % 2 else two).add(doc(i), [capture(url(i))]).record.id for i in range(8)]
        for i, record_id in enumerate(ids):
            assert one.captures(record_id) == [capture(url(i))]
    assert assert_warcs_read_to_the_end(db_path) == 1 + 2 * 8
    assert_every_warc_record_is_referenced(db_path)
