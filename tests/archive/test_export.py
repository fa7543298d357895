"""Tests of archive.export: JSON lines content and the all-or-nothing file write."""

from __future__ import annotations

import io
import os
from datetime import date
from typing import TYPE_CHECKING

import pytest

from archive import Archive, BadFilter, ExportError, Record
from archive.export import export_to_path

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
    assert archive.export_jsonl(out) == 3
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


def test_export_to_path_writes_utf8_atomically(archive: Archive, doc, tmp_path: Path) -> None:
    archive.add(doc())
    target = tmp_path / "out.jsonl"
    assert export_to_path(archive, target) == 1
    assert "关于开展" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out.jsonl"]


def test_failed_export_keeps_the_old_file_and_leaves_no_temp(
    archive: Archive, doc, tmp_path: Path, monkeypatch
) -> None:
    archive.add(doc())
    archive.add(doc(url="https://a/2", text="二"))
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")

    def explode(self: Record) -> str:
        if self.text == "二":
            raise RuntimeError("boom")
        return "{}"

    monkeypatch.setattr(Record, "to_json", explode)
    with pytest.raises(RuntimeError, match="boom"):
        export_to_path(archive, target)
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
