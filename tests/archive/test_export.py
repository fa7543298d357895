"""Tests of archive.export: JSON lines content and the all-or-nothing file write."""

from __future__ import annotations

import io
import json
import os
from datetime import date
from typing import TYPE_CHECKING

import pytest

from archive import Archive, BadFilter, ExportError, Record, export, record_id
from archive.export import document_line, export_binary, export_to_path
from archive.records import FIELDS

if TYPE_CHECKING:
    from pathlib import Path


def test_add_get_export_from_dict_round_trip(archive: Archive, doc) -> None:
    added = [
        archive.add(
            doc(
                url=f"https://www.example.com/{n}.html",
                text=f"第{n}篇正文",
                keywords=["通知", str(n)],
            )
        ).record
        for n in range(3)
    ]
    out = io.StringIO()
    assert archive.export_jsonl(out, distinct=False) == 3
    lines = out.getvalue().splitlines()
    assert out.getvalue().endswith("\n")
    assert [Record.from_json(line) for line in lines] == added
    assert [archive.get(r.id) for r in added] == added
    assert "第0篇正文" in lines[0]


def test_export_filters_are_passed_through(archive: Archive, doc) -> None:
    archive.add(doc(url="https://a/1", site="baina", text="一", crawled_at="2024-01-01T00:00:00Z"))
    archive.add(doc(url="https://a/2", site="juyou", text="二", crawled_at="2024-02-01T00:00:00Z"))
    out = io.StringIO()
    assert archive.export_jsonl(out, site="juyou") == 1
    out = io.StringIO()
    assert archive.export_jsonl(out, since=date(2024, 1, 15)) == 1


def test_unknown_site_lists_the_known_ones(archive: Archive, doc) -> None:
    archive.add(doc(site="juyou"))
    archive.add(doc(url="https://a/2", site="baina", text="二"))
    with pytest.raises(BadFilter) as info:
        archive.export_jsonl(io.StringIO(), site="x")
    assert str(info.value) == "unknown site 'x'; the archive has: baina, juyou"


@pytest.mark.sqlite_only
def test_export_to_path_writes_utf8_atomically(archive: Archive, doc, tmp_path: Path) -> None:
    archive.add(doc())
    target = tmp_path / "out.jsonl"
    assert export_to_path(archive, target) == 1
    assert "关于开展" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out.jsonl"]


@pytest.mark.sqlite_only
def test_failed_export_keeps_the_old_file_and_leaves_no_temp(
    archive: Archive, doc, tmp_path: Path, monkeypatch
) -> None:
    archive.add(doc())
    archive.add(doc(url="https://a/2", text="二"))
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")

    def explode(store, query):  # the first batch of lines written, then a failure
        yield b"{}\n", 1
        raise RuntimeError("boom")

    monkeypatch.setattr(export, "_sqlite_chunks", explode)
    with pytest.raises(RuntimeError, match="boom"):
        export_to_path(archive, target, distinct=False)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out.jsonl"]


def test_missing_directory(archive: Archive, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist; create it first"):
        export_to_path(archive, tmp_path / "missing" / "out.jsonl")
    assert not (tmp_path / "missing").exists()


def test_output_is_a_directory(archive: Archive, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="is a directory"):
        export_to_path(archive, tmp_path)


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions as non-root"
)
def test_unwritable_directory(archive: Archive, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(ExportError, match="permission denied"):
        export_to_path(archive, locked / "out.jsonl")


def test_bad_filter_creates_no_file(archive: Archive, doc, tmp_path: Path) -> None:
    archive.add(doc())
    with pytest.raises(BadFilter):
        export_to_path(archive, tmp_path / "out.jsonl", site="nope")
    assert not (tmp_path / "out.jsonl").exists()


def test_permission_error_message(archive: Archive, tmp_path: Path, monkeypatch) -> None:
    # Runs as root too (where chmod cannot lock a directory): fake the refusal at os.open.
    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("archive.export.os.open", refuse)
    with pytest.raises(ExportError, match="permission denied; choose a writable path"):
        export_to_path(archive, tmp_path / "out.jsonl")


def test_unknown_site_in_an_empty_archive(archive: Archive) -> None:
    with pytest.raises(BadFilter, match=r"^unknown site 'x'; the archive has no records yet$"):
        archive.export_jsonl(io.StringIO(), site="x")


@pytest.fixture
def versions_and_copies(archive: Archive, doc) -> Archive:
    """A (baina) v1 copied exactly by B (juyou); then A changes to v2; C is another document."""
    archive.add(doc(url="https://b/a", text="甲文", crawled_at="2024-01-01T00:00:00Z"))
    archive.add(doc(url="https://j/b", site="juyou", text="甲文", crawled_at="2024-01-02T00:00:00Z"))
    archive.add(doc(url="https://b/a", text="甲文第二版", crawled_at="2024-01-03T00:00:00Z"))
    archive.add(doc(url="https://b/c", text="乙文", crawled_at="2024-01-04T00:00:00Z"))
    archive.add(doc(url="https://j/b", site="juyou", text="甲文", crawled_at="2024-01-05T00:00:00Z"))
    return archive


def _export(archive: Archive, **options) -> list[dict]:
    out = io.StringIO()
    count = archive.export_jsonl(out, **options)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(lines)
    return lines


def test_default_export_is_one_line_per_document_with_its_sightings(versions_and_copies) -> None:
    lines = _export(versions_and_copies)
    assert [(d["url"], d["text"]) for d in lines] == [
        ("https://b/a", "甲文"),  # the root of the document still seen at j/b
        ("https://b/a", "甲文第二版"),
        ("https://b/c", "乙文"),
    ]
    first = lines[0]
    assert list(first) == [*FIELDS, "sightings"]
    assert first["dup_of"] is None
    copy_id = record_id("https://j/b", first["content_hash"])
    assert first["sightings"] == [
        {"url": "https://b/a", "seen_at": "2024-01-01T00:00:00Z", "id": first["id"]},
        {"url": "https://j/b", "seen_at": "2024-01-02T00:00:00Z", "id": copy_id},
        {"url": "https://j/b", "seen_at": "2024-01-05T00:00:00Z", "id": copy_id},
    ]
    assert Record.from_dict({k: v for k, v in first.items() if k != "sightings"}).text == "甲文"


def test_include_duplicates_gives_every_latest_record_exactly_in_the_schema(versions_and_copies) -> None:
    lines = _export(versions_and_copies, distinct=False)
    assert [(d["url"], d["text"]) for d in lines] == [
        ("https://j/b", "甲文"),
        ("https://b/a", "甲文第二版"),
        ("https://b/c", "乙文"),
    ]
    assert all(list(d) == list(FIELDS) for d in lines)
    assert lines[0]["dup_of"] == record_id("https://b/a", lines[0]["content_hash"])


def test_all_versions(versions_and_copies) -> None:
    every = _export(versions_and_copies, distinct=False, all_versions=True)
    assert [d["text"] for d in every] == ["甲文", "甲文", "甲文第二版", "乙文"]
    documents = _export(versions_and_copies, all_versions=True)
    assert [d["text"] for d in documents] == ["甲文", "甲文第二版", "乙文"]


def test_a_document_no_longer_seen_anywhere_drops_out_of_the_default(archive: Archive, doc) -> None:
    archive.add(doc(url="https://b/a", text="旧文", crawled_at="2024-01-01T00:00:00Z"))
    archive.add(doc(url="https://b/a", text="新文", crawled_at="2024-01-02T00:00:00Z"))
    assert [d["text"] for d in _export(archive)] == ["新文"]
    assert [d["text"] for d in _export(archive, all_versions=True)] == ["旧文", "新文"]


def test_distinct_site_filter_selects_documents_with_a_copy_there(versions_and_copies) -> None:
    assert [d["text"] for d in _export(versions_and_copies, site="juyou")] == ["甲文"]
    assert [d["site"] for d in _export(versions_and_copies, site="juyou", distinct=False)] == ["juyou"]


def test_sightings_read_in_batches_match_those_read_one_by_one(versions_and_copies, monkeypatch) -> None:
    from archive import export

    roots = versions_and_copies.iter_records(distinct=True)
    one_by_one = [json.loads(export.document_line(versions_and_copies, r)) for r in roots]
    monkeypatch.setattr(export, "SIGHTINGS_BATCH", 2)  # batches of 2, 1: a boundary inside the export
    assert _export(versions_and_copies) == one_by_one


# Everything JSON escapes, and what it does not: SQLite must write the bytes json.dumps writes.
_TRICKY = "".join(chr(c) for c in range(32)) + '"\\/ \x7f\u2028\u2029\u00e9\U0001f600正文'


@pytest.fixture
def tricky(archive: Archive, doc) -> Archive:
    """Records with every kind of value the schema allows, copies, versions and a second site."""
    archive.add(doc(url="https://b/a", text=f"甲{_TRICKY}\n第二行", title=_TRICKY, keywords=[_TRICKY, "", "x"],
                    extra={"z": [1, 2.5, -0.0, 1e300, True, None], "a": {"嵌套": _TRICKY}, _TRICKY: 3},
                    published_at=None, category=None, source=None, truncated=True, collection="合集"))
    archive.add(doc(url="https://j/b", site="juyou", text=f"甲{_TRICKY}\n第二行", crawled_at="2024-03-02T08:00:00Z"))
    archive.add(doc(url="https://b/a", text="第二版", crawled_at="2024-03-03T08:00:00Z", keywords=[], extra={}))
    archive.add(doc(url="https://b/c", text="乙文", title="", crawled_at="2024-03-04T08:00:00Z",
                    extra={"not JSON SQLite reads": [float("nan"), float("inf")]}))
    archive.add(doc(url="https://j/b", site="juyou", text=f"甲{_TRICKY}\n第二行", crawled_at="2024-03-05T08:00:00Z"))
    return archive


@pytest.mark.sqlite_only
@pytest.mark.parametrize("distinct", [True, False])
@pytest.mark.parametrize("all_versions", [True, False])
@pytest.mark.parametrize("site", [None, "juyou"])
def test_sqlite_lines_are_the_bytes_json_dumps_writes(tricky: Archive, distinct, all_versions, site) -> None:
    records = tricky.iter_records(site=site, latest_only=not all_versions, distinct=distinct)
    expected = "".join((document_line(tricky, r) if distinct else r.to_json()) + "\n" for r in records)
    out = io.BytesIO()
    count = export_binary(tricky, out, site=site, distinct=distinct, all_versions=all_versions)
    assert out.getvalue().decode("utf-8") == expected
    assert count == expected.count("\n") > 0
    text = io.StringIO()
    assert tricky.export_jsonl(text, site=site, distinct=distinct, all_versions=all_versions) == count
    assert text.getvalue() == expected


@pytest.mark.sqlite_only
def test_sqlite_lines_in_batches(tricky: Archive, monkeypatch) -> None:
    whole = io.BytesIO()
    export_binary(tricky, whole)
    monkeypatch.setattr(export, "SIGHTINGS_BATCH", 1)
    batched = io.BytesIO()
    assert export_binary(tricky, batched) == 3
    assert batched.getvalue() == whole.getvalue()
