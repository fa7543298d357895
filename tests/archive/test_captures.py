"""Tests of raw captures: WARC files beside the database, byte-identical round trips, sharing."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING, Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import Archive, Capture, CorruptArchive, RecordNotFound
from archive.sqlite import SqliteStore

if TYPE_CHECKING:
    from pathlib import Path

PAGE = "https://www.example.com/fanwen/1.html"
GBK_HTML = (
    "<html><meta charset=gbk><p>关于开展安全生产检查的通知</p>\r\n\r\n<p>尾</p></html>".encode(
        "gbk"
    )
)


def capture(url: str = PAGE, body: bytes = GBK_HTML, **overrides: Any) -> Capture:
    values: dict[str, Any] = {
        "url": url,
        "status": 200,
        "headers": [
            ("Content-Type", "text/html; charset=gbk"),
            ("Content-Encoding", "gzip"),
            ("Transfer-Encoding", "chunked"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            # A GBK file name as raw header bytes, decoded latin-1 as documented.
            (
                "Content-Disposition",
                'attachment; filename="' + "范文.doc".encode("gbk").decode("latin-1") + '"',
            ),
            ("X-Empty", ""),
        ],
        "body": body,
        "fetched_at": "2024-03-01T08:00:00Z",
        "request_headers": [("User-Agent", "fanwen-crawler/0.1"), ("Accept-Encoding", "gzip")],
    }
    values.update(overrides)
    return Capture(**values)


def warc_records(directory: Path) -> list:
    found = []
    for path in sorted(directory.glob("captures-*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh, check_digests=True):
                record.content_stream().read()
                found.append((path.name, record.rec_type, record.digest_checker.passed))
    return found


def test_capture_round_trip_is_byte_identical(archive: Archive, doc, db_path: Path) -> None:
    original = capture()
    plain = capture(url=PAGE + "?print=1", body=b"", status=404, headers=[], request_headers=[])
    record = archive.add(doc(), [original, plain]).record
    assert archive.captures(record.id) == [original, plain]
    got = archive.captures(record.id)[0]
    assert got.body == GBK_HTML  # neither gunzipped nor de-chunked despite the headers
    assert got.body.decode("gbk").startswith("<html>")
    assert got.headers[5][1].encode("latin-1").decode("gbk").endswith('范文.doc"')
    warc_dir = db_path.parent / "archive.warc"
    assert [p.name for p in warc_dir.iterdir()] == ["captures-00001.warc.gz"]


def test_warc_file_is_valid_and_one_gzip_member_per_record(
    archive: Archive, doc, db_path: Path
) -> None:
    archive.add(doc(), [capture()])
    warc_dir = db_path.parent / "archive.warc"
    assert warc_records(warc_dir) == [
        ("captures-00001.warc.gz", "warcinfo", True),
        ("captures-00001.warc.gz", "response", True),
        ("captures-00001.warc.gz", "request", True),
    ]
    raw = gzip.decompress((warc_dir / "captures-00001.warc.gz").read_bytes())
    assert b"WARC-Date: 2024-03-01T08:00:00Z" in raw
    assert b"WARC-Target-URI: " + PAGE.encode() in raw
    assert b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=gbk\r\n" in raw
    assert b"GET /fanwen/1.html HTTP/1.1\r\nUser-Agent: fanwen-crawler/0.1\r\n" in raw


def test_compilation_parts_share_one_stored_capture(archive: Archive, doc, db_path: Path) -> None:
    page = capture()
    ids = []
    for n in range(1, 6):
        result = archive.add(
            doc(url=f"{PAGE}#part-{n}", text=f"篇{n}正文", collection="通知5篇"), [page]
        )
        ids.append(result.record.id)
    conn = archive.store.conn  # type: ignore[attr-defined]
    assert conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 1
    assert conn.execute("SELECT count(DISTINCT capture_id) FROM record_captures").fetchone()[0] == 1
    assert all(archive.captures(rid) == [page] for rid in ids)
    assert [t for _, t, _ in warc_records(db_path.parent / "archive.warc")] == [
        "warcinfo",
        "response",
        "request",
    ]


def test_unchanged_readd_stores_no_capture(archive: Archive, doc) -> None:
    archive.add(doc(), [capture()])
    result = archive.add(doc(), [capture(fetched_at="2024-03-08T08:00:00Z", body=GBK_HTML + b" ")])
    assert result.status == "unchanged"
    assert archive.store.stats()["total"]["captures"] == 1


def test_new_body_for_same_url_is_a_new_capture(archive: Archive, doc) -> None:
    first = archive.add(doc(), [capture()]).record
    second = archive.add(
        doc(text="新的正文"), [capture(body=b"<p>new</p>", fetched_at="2024-04-01T00:00:00Z")]
    ).record
    assert archive.captures(first.id)[0].body == GBK_HTML
    assert archive.captures(second.id)[0].body == b"<p>new</p>"


def test_rotation_starts_new_files_and_old_ones_stay_readable(tmp_path: Path, doc) -> None:
    db = tmp_path / "archive.db"
    with Archive(SqliteStore(db, warc_max_bytes=1)) as archive:
        ids = [
            archive.add(
                doc(url=f"{PAGE}?p={n}", text=f"第{n}篇"), [capture(url=f"{PAGE}?p={n}")]
            ).record.id
            for n in range(3)
        ]
        assert sorted(p.name for p in (tmp_path / "archive.warc").iterdir()) == [
            "captures-00001.warc.gz",
            "captures-00002.warc.gz",
            "captures-00003.warc.gz",
        ]
        for n, rid in enumerate(ids):
            assert archive.captures(rid)[0].url == f"{PAGE}?p={n}"


def test_failed_add_leaves_no_capture_row_and_an_orphan_is_harmless(
    archive: Archive, doc, monkeypatch
) -> None:
    store = archive.store
    real_write = store.warc.write  # type: ignore[attr-defined]
    calls = []

    def write_then_fail(c: Capture):
        calls.append(c.url)
        location = real_write(c)
        if len(calls) == 2:
            raise OSError("disk full")
        return location

    monkeypatch.setattr(store.warc, "write", write_then_fail)  # type: ignore[attr-defined]
    with pytest.raises(OSError, match="disk full"):
        archive.add(doc(), [capture(), capture(url=PAGE + "?x")])
    assert store.conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 0  # type: ignore[attr-defined]
    assert list(archive.iter_records()) == []
    monkeypatch.undo()
    record = archive.add(doc(), [capture()]).record
    assert archive.captures(record.id) == [capture()]


def test_missing_warc_file_is_reported(archive: Archive, doc, db_path: Path) -> None:
    record = archive.add(doc(), [capture()]).record
    (db_path.parent / "archive.warc" / "captures-00001.warc.gz").unlink()
    with pytest.raises(CorruptArchive, match="is missing"):
        archive.captures(record.id)


def test_damaged_warc_offset_is_reported(archive: Archive, doc) -> None:
    record = archive.add(doc(), [capture()]).record
    archive.store.conn.execute('UPDATE captures SET "offset" = "offset" + 3')  # type: ignore[attr-defined]
    with pytest.raises(CorruptArchive, match="cannot read the capture"):
        archive.captures(record.id)


def test_captures_of_unknown_record(archive: Archive) -> None:
    with pytest.raises(RecordNotFound):
        archive.captures("0000000000000000")


def test_record_without_captures_has_none_and_creates_no_warc_dir(
    archive: Archive, doc, db_path: Path
) -> None:
    record = archive.add(doc()).record
    assert archive.captures(record.id) == []
    assert not (db_path.parent / "archive.warc").exists()
