"""Tests of raw captures: WARC files beside the database, byte-identical round trips, sharing.

A capture is the response as the server sent it: the body still in its Content-Encoding, the
headers framing it (no Transfer-Encoding, a Content-Length that is its length).
"""

from __future__ import annotations

import gzip
import zlib
from typing import TYPE_CHECKING, Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import Archive, Capture, CorruptArchive, RecordNotFound, pack_capture
from archive.sqlite import SqliteStore

if TYPE_CHECKING:
    from pathlib import Path

PAGE = "https://www.example.com/fanwen/1.html"
GBK_HTML = (
    "<html><meta charset=gbk><p>关于开展安全生产检查的通知</p>\r\n\r\n<p>尾</p></html>".encode(
        "gbk"
    )
)


def capture(url: str = PAGE, page: bytes = GBK_HTML, **overrides: Any) -> Capture:
    """The capture of ``page`` served gzipped, as it arrived."""
    body = overrides.pop("body", None)
    body = gzip.compress(page, mtime=0) if body is None else body
    values: dict[str, Any] = {
        "url": url,
        "status": 200,
        "headers": [
            ("Content-Type", "text/html; charset=gbk"),
            ("Content-Encoding", "gzip"),
            ("Content-Length", str(len(body))),
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
    assert got.body == gzip.compress(GBK_HTML, mtime=0)  # as sent: not gunzipped on the way
    assert got.decoded_body() == GBK_HTML
    assert got.decoded_body().decode("gbk").startswith("<html>")
    assert got.headers[5][1].encode("latin-1").decode("gbk").endswith('范文.doc"')
    warc_dir = db_path.parent / "archive.warc"
    assert [p.name for p in warc_dir.iterdir()] == ["captures-00001.warc.gz"]


def test_warc_payload_is_the_body_as_sent_and_warcio_decodes_it(archive: Archive, doc, db_path: Path) -> None:
    sent = capture()
    archive.add(doc(), [sent])
    path = db_path.parent / "archive.warc" / "captures-00001.warc.gz"
    for read in ("raw_stream", "content_stream"):
        with path.open("rb") as fh:
            response = next(r for r in ArchiveIterator(fh) if r.rec_type == "response")
            assert response.http_headers.get_header("Content-Length") == str(len(sent.body))
            stream = response.raw_stream if read == "raw_stream" else response.content_stream()
            # The payload is the gzip the server sent; warcio undoes its Content-Encoding.
            assert stream.read() == (sent.body if read == "raw_stream" else GBK_HTML)


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", lambda b: gzip.compress(b)),
        ("x-gzip", lambda b: gzip.compress(b)),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
        ("identity", lambda b: b),
        ("GZip", lambda b: gzip.compress(b)),
    ],
)
def test_decoded_body_undoes_the_content_coding(coding: str, encode) -> None:
    assert capture(headers=[("Content-Encoding", coding)], body=encode(GBK_HTML)).decoded_body() == GBK_HTML


def test_decoded_body_of_br_and_of_codings_applied_in_turn() -> None:
    brotli = pytest.importorskip("brotli")
    body = brotli.compress(gzip.compress(GBK_HTML))
    assert capture(headers=[("Content-Encoding", "gzip, br")], body=body).decoded_body() == GBK_HTML
    assert capture(headers=[("Content-Encoding", "gzip"), ("Content-Encoding", "br")], body=body).decoded_body() == (
        GBK_HTML
    )


def test_decoded_body_leaves_an_unknown_coding_applied_as_scrapy_does() -> None:
    # Scrapy decodes from the last coding applied and stops at the first it does not know.
    body = gzip.compress(b"compressed-by-lzw")
    assert capture(headers=[("Content-Encoding", "compress, gzip")], body=body).decoded_body() == b"compressed-by-lzw"
    assert capture(headers=[("Content-Encoding", "sdch")], body=b"raw").decoded_body() == b"raw"
    assert capture(headers=[], body=b"plain").decoded_body() == b"plain"


def test_decoded_body_of_a_capture_stored_before_bodies_were_kept_as_sent() -> None:
    # Such archives hold Scrapy's decoded body under the compressed response's headers.
    legacy = capture(headers=[("Content-Encoding", "gzip"), ("Content-Length", "12")], body=GBK_HTML)
    assert legacy.decoded_body() == GBK_HTML
    chunked = capture(headers=[("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")], body=GBK_HTML)
    assert chunked.decoded_body() == GBK_HTML
    damaged = capture(body=b"\x1f\x8b not gzip")
    with pytest.raises(ValueError, match="not valid gzip"):
        damaged.decoded_body()


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([("Content-Encoding", "gzip"), ("Content-Length", "1644")], "Content-Length: 1644 for a body of"),
        ([("Transfer-Encoding", "chunked")], "Transfer-Encoding: chunked"),
    ],
)
def test_a_capture_whose_headers_do_not_frame_its_body_is_refused(
    archive: Archive, doc, headers: list[tuple[str, str]], message: str
) -> None:
    # A replay frames the body by them: pywb stopped at byte 1,644 of a 3,241-byte page.
    bad = capture(headers=headers, body=GBK_HTML)
    with pytest.raises(ValueError, match=message):
        pack_capture(bad)
    with pytest.raises(ValueError, match=message):
        archive.add(doc(), [bad])
    assert archive.store.stats()["total"]["captures"] == 0


def test_a_304_may_keep_the_content_length_of_what_it_validates(archive: Archive, doc) -> None:
    not_modified = capture(status=304, headers=[("Content-Length", "3241")], body=b"")
    record = archive.add(doc(), [not_modified]).record
    assert archive.captures(record.id) == [not_modified]


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
    result = archive.add(doc(), [capture(fetched_at="2024-03-08T08:00:00Z", page=GBK_HTML + b" ")])
    assert result.status == "unchanged"
    assert archive.store.stats()["total"]["captures"] == 1


def test_new_body_for_same_url_is_a_new_capture(archive: Archive, doc) -> None:
    first = archive.add(doc(), [capture()]).record
    second = archive.add(
        doc(text="新的正文"), [capture(page=b"<p>new</p>", fetched_at="2024-04-01T00:00:00Z")]
    ).record
    assert archive.captures(first.id)[0].decoded_body() == GBK_HTML
    assert archive.captures(second.id)[0].decoded_body() == b"<p>new</p>"


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
