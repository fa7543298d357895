"""Progress bars: drawn on a terminal's stderr only, silent otherwise or when quiet; the export and
reindex callbacks get (done, total)."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

from archive.export import export_binary, export_to_path
from archive.neardup_sqlite import reindex
from archive.progress import as_callback, progress_bar

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from archive import Archive


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_is_drawn_on_a_terminal_with_total_rate_and_eta() -> None:
    tty = FakeTerminal()
    with progress_bar(4, "exporting", unit="doc", file=tty) as advance:
        advance(1)
        advance(3)
    drawn = tty.getvalue()
    assert "exporting" in drawn
    assert "4/4" in drawn
    assert "doc/s" in drawn  # the rate
    assert "<" in drawn  # elapsed<remaining


def test_no_bar_when_stderr_is_not_a_terminal() -> None:
    pipe = io.StringIO()
    with progress_bar(4, "exporting", file=pipe) as advance:
        advance(4)
    with as_callback("exporting", file=pipe) as progress:
        progress(4, 4)
    assert pipe.getvalue() == ""


def test_no_bar_when_quiet() -> None:
    tty = FakeTerminal()
    with progress_bar(4, "exporting", quiet=True, file=tty) as advance:
        advance(4)
    with as_callback("exporting", quiet=True, file=tty) as progress:
        progress(4, 4)
    assert tty.getvalue() == ""


def test_the_default_is_stderr_and_stdout_is_never_written(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar(2, "exporting") as advance:
        advance(2)
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")  # pytest's stderr is no terminal


def test_the_callback_moves_to_done_and_takes_the_latest_total() -> None:
    tty = FakeTerminal()
    with as_callback("reindexing", unit="record", file=tty) as progress:
        progress(0, 10)
        progress(5, 10)
        progress(12, 12)  # the total grew
    drawn = tty.getvalue()
    assert "12/12" in drawn
    assert "reindexing" in drawn


def _fill(archive: Archive, doc, count: int) -> None:
    for number in range(count):
        archive.add(doc(url=f"https://a/{number}", text=f"第{number}篇\n" + "内容" * (number + 1)))


def test_export_calls_back_with_done_and_the_counted_total(archive: Archive, doc, tmp_path: Path) -> None:
    _fill(archive, doc, 7)
    archive.add(doc(url="https://b/0", text="第0篇\n内容"))  # an exact duplicate: no line of its own
    calls: list[tuple[int, int]] = []
    count = export_to_path(archive, tmp_path / "out.jsonl", progress=lambda d, t: calls.append((d, t)))
    assert count == 7
    assert calls[0] == (0, 7)
    assert calls[-1] == (7, 7)
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 7 and all(json.loads(line)["id"] for line in lines)
    calls.clear()
    assert export_binary(archive, io.BytesIO(), distinct=False, progress=lambda d, t: calls.append((d, t))) == 8
    assert calls[0] == (0, 8) and calls[-1] == (8, 8)


def test_export_with_a_filter_counts_only_what_it_writes(archive: Archive, doc, tmp_path: Path) -> None:
    _fill(archive, doc, 3)
    archive.add(doc(url="https://c/1", site="juyou", text="别的站点的文章"))
    calls: list[tuple[int, int]] = []
    assert export_to_path(archive, tmp_path / "o.jsonl", site="juyou", progress=lambda d, t: calls.append((d, t))) == 1
    assert calls == [(0, 1), (1, 1)]


def test_reindex_calls_back_with_done_and_total(archive: Archive, doc) -> None:
    _fill(archive, doc, 5)
    calls: list[tuple[int, int]] = []
    assert reindex(archive, progress=lambda d, t: calls.append((d, t))) == 5
    assert calls == [(5, 5)]
    calls.clear()
    assert reindex(archive, missing_only=True, progress=lambda d, t: calls.append((d, t))) == 0
    assert calls == []  # nothing missing: no batch, no call
