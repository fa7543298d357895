"""Tests of ``python -m archive``: export, stats, and one-line errors that leave no output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archive import Record, open_archive
from archive.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def uri(tmp_path: Path, doc) -> str:
    path = tmp_path / "data" / "archive.db"
    with open_archive(str(path)) as archive:
        archive.add(
            doc(
                url="https://b/1",
                site="baina",
                text="一",
                published_at="2023-04-24",
                crawled_at="2024-01-01T00:00:00Z",
            )
        )
        archive.add(
            doc(
                url="https://j/1",
                site="juyou",
                text="二",
                published_at=None,
                crawled_at="2024-02-01T00:00:00Z",
                truncated=True,
            )
        )
        archive.add(
            doc(
                url="https://j/2",
                site="juyou",
                text="一",
                published_at="2023-05-02T09:00:00+08:00",
                crawled_at="2024-03-01T00:00:00Z",
            )
        )
    return f"sqlite:///{path}"


def _urls(jsonl: str) -> list[str]:
    return [Record.from_json(line).url for line in jsonl.splitlines()]


def _documents(jsonl: str) -> list[dict]:
    return [json.loads(line) for line in jsonl.splitlines()]


def test_export_to_file_gives_one_line_per_document(uri: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.jsonl"
    assert main(["export", "-o", str(out), "--archive", uri]) == 0
    documents = _documents(out.read_text(encoding="utf-8"))
    assert [d["url"] for d in documents] == ["https://b/1", "https://j/1"]
    assert [(s["url"], s["seen_at"]) for s in documents[0]["sightings"]] == [
        ("https://b/1", "2024-01-01T00:00:00Z"),
        ("https://j/2", "2024-03-01T00:00:00Z"),
    ]
    assert "exported 2 documents" in capsys.readouterr().err


def test_export_include_duplicates_to_stdout(uri: str, capsys) -> None:
    args = ["export", "-o", "-", "--archive", uri, "--site", "juyou", "--include-duplicates"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert _urls(out) == ["https://j/1", "https://j/2"]
    assert json.loads(out.splitlines()[1])["dup_of"] is not None
    assert "sightings" not in out


def test_export_all_versions(uri: str, capsys, doc) -> None:
    with open_archive(uri) as archive:
        archive.add(doc(url="https://j/1", site="juyou", text="二改", crawled_at="2024-04-01T00:00:00Z"))
    assert main(["export", "-o", "-", "--archive", uri, "--include-duplicates"]) == 0
    assert _urls(capsys.readouterr().out) == ["https://b/1", "https://j/2", "https://j/1"]
    assert main(["export", "-o", "-", "--archive", uri, "--include-duplicates", "--all-versions"]) == 0
    assert _urls(capsys.readouterr().out) == ["https://b/1", "https://j/1", "https://j/2", "https://j/1"]
    assert main(["export", "-o", "-", "--archive", uri]) == 0
    assert [d["text"] for d in _documents(capsys.readouterr().out)] == ["一", "二改"]
    assert main(["export", "-o", "-", "--archive", uri, "--all-versions"]) == 0
    assert [d["text"] for d in _documents(capsys.readouterr().out)] == ["一", "二", "二改"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--since", "2024-02-01"], ["https://j/1", "https://j/2"]),
        (["--until", "2024-02-01"], ["https://b/1", "https://j/1"]),
        (["--date-field", "published", "--since", "2023-05-01"], ["https://j/2"]),
        (["--date-field", "published", "--until", "2023-12-31"], ["https://b/1", "https://j/2"]),
        (["--site", "baina", "--since", "2024-01-01", "--until", "2024-01-01"], ["https://b/1"]),
    ],
)
def test_export_filters(uri: str, capsys, args: list[str], expected: list[str]) -> None:
    assert main(["export", "-o", "-", "--archive", uri, "--include-duplicates", *args]) == 0
    assert _urls(capsys.readouterr().out) == expected


def test_archive_from_env_and_default(uri: str, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ARCHIVE_URI", uri)
    assert main(["export", "-o", "-"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    monkeypatch.delenv("ARCHIVE_URI")
    monkeypatch.chdir(tmp_path)  # the default is sqlite:///data/archive.db, relative to cwd
    assert main(["stats"]) == 0


def test_stats_table(uri: str, capsys) -> None:
    assert main(["stats", "--archive", uri]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:4] == [
        "site   records  duplicates  truncated  urls",
        "baina        1           0          0     1",
        "juyou        2           1          1     2",
        "total        3           1          1     3",
    ]
    assert "month    records\n2023-04        1\n2023-05        1\nunknown        1" in out
    assert "captures: 0" in out


def test_stats_json(uri: str, capsys) -> None:
    assert main(["stats", "--archive", uri, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["sites"]["juyou"] == {"records": 2, "duplicates": 1, "truncated": 1, "urls": 2}


def _error_case(tmp_path: Path, uri: str, extra: list[str]) -> list[str]:
    return ["export", "-o", str(tmp_path / "out.jsonl"), "--archive", uri, *extra]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--site", "x"], "error: unknown site 'x'; the archive has: baina, juyou"),
        (["--since", "2023-13-01"], "error: bad --since date '2023-13-01'; expected YYYY-MM-DD"),
        (["--until", "20230101"], "error: bad --until date '20230101'; expected YYYY-MM-DD"),
        (
            ["--since", "2024-02-01", "--until", "2024-01-01"],
            "error: --since 2024-02-01 is after --until 2024-01-01; swap the two dates",
        ),
    ],
)
def test_bad_arguments_exit_1_with_one_line_and_no_file(
    uri: str, tmp_path: Path, capsys, extra, message
) -> None:
    assert main(_error_case(tmp_path, uri, extra)) == 1
    captured = capsys.readouterr()
    assert captured.err == message + "\n"
    assert captured.out == ""
    assert not (tmp_path / "out.jsonl").exists()


def test_missing_archive(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "none.db"
    assert main(["export", "-o", str(tmp_path / "out.jsonl"), "--archive", str(missing)]) == 1
    assert capsys.readouterr().err == (
        f"error: no archive at {missing}; run a crawl first or pass --archive URI\n"
    )
    assert not missing.exists()
    assert not (tmp_path / "out.jsonl").exists()
    assert main(["stats", "--archive", f"sqlite:///{missing}"]) == 1


def test_corrupt_archive(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "archive.db"
    bad.write_bytes(b"not sqlite" * 100)
    assert main(["stats", "--archive", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "not a SQLite archive" in err
    assert err.count("\n") == 1
    assert bad.read_bytes() == b"not sqlite" * 100


def test_unknown_scheme(tmp_path: Path, capsys) -> None:
    assert main(["stats", "--archive", "jsonl:///x"]) == 1
    assert (
        capsys.readouterr().err
        == "error: unknown archive scheme 'jsonl'; expected one of postgres, postgresql, sqlite\n"
    )


def test_unwritable_output(uri: str, tmp_path: Path, capsys) -> None:
    target = tmp_path / "missing" / "out.jsonl"
    assert main(["export", "-o", str(target), "--archive", uri]) == 1
    err = capsys.readouterr().err
    problem = f"cannot write {target}: directory {target.parent} does not exist"
    assert err == f"error: {problem}; create it first\n"
    assert not target.parent.exists()


def test_show_prints_fields_versions_sightings_and_duplicates(uri: str, capsys, doc) -> None:
    with open_archive(uri) as archive:
        root = archive.get(next(archive.iter_records()).id)
        copy = archive.duplicates(root.id)[0]
        v2 = archive.add(doc(url="https://b/1", text="一改", crawled_at="2024-05-01T00:00:00Z")).record
    assert main(["show", root.id, "--archive", uri]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"id            {root.id}"
    for name in ("url", "site", "title", "published_at", "category", "source", "keywords",
                 "truncated", "content_hash", "dup_of", "crawled_at", "collection", "extra"):
        assert any(line.startswith(name + " ") for line in lines), name
    assert "dup_of        -" in lines
    assert "text:" in lines
    assert "  一" in lines
    assert f"  {root.id}  2024-01-01T00:00:00Z  {root.content_hash[:16]}  this" in lines
    assert f"  {v2.id}  2024-05-01T00:00:00Z  {v2.content_hash[:16]}  latest" in lines
    assert "sightings (1):" in lines
    assert "  2024-01-01T00:00:00Z  https://b/1" in lines
    assert "duplicates (1):" in lines
    assert f"  {copy.id}  2024-03-01T00:00:00Z  juyou  https://j/2" in lines

    assert main(["show", copy.id, "--archive", uri, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["record"]["dup_of"] == root.id
    assert list(shown["record"]) == list(Record.from_dict(shown["record"]).to_dict())
    assert shown["versions"] == [
        {"id": copy.id, "crawled_at": "2024-03-01T00:00:00Z", "content_hash": copy.content_hash, "latest": True}
    ]
    assert shown["sightings"] == [{"url": "https://j/2", "seen_at": "2024-03-01T00:00:00Z"}]
    assert shown["duplicates"] == []


def test_show_unknown_id(uri: str, capsys) -> None:
    assert main(["show", "nope", "--archive", uri]) == 1
    captured = capsys.readouterr()
    assert captured.err == "error: no record with id 'nope'; list ids with `python -m archive export`\n"
    assert captured.out == ""


def test_reindex(uri: str, capsys) -> None:
    assert main(["reindex", "--archive", uri]) == 0
    out = capsys.readouterr().out
    assert out.startswith("indexed 3 records; near-duplicate parameters: MinHashParams(num_perm=128")
    assert main(["reindex", "--archive", uri, "--missing"]) == 0
    assert capsys.readouterr().out.startswith("indexed 0 records")
    assert main(["reindex", "--archive", uri, "--threshold", "0.7"]) == 0
    out = capsys.readouterr().out
    assert "threshold=0.7" in out
    assert out.startswith("indexed 3 records")
    assert main(["reindex", "--archive", uri, "--threshold", "1.5"]) == 1
    assert capsys.readouterr().err.startswith("error: bad near-duplicate parameters: threshold 1.5")


def test_usage_errors_keep_exit_2(capsys) -> None:
    assert main([]) == 2
    assert main(["export"]) == 2  # -o is required
    assert main(["export", "-o", "-", "--date-field", "modified"]) == 2
    assert "usage:" in capsys.readouterr().err


def _python(*args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        timeout=60,
        check=False,
    )


def test_python_m_archive_runs(uri: str) -> None:
    done = _python("-m", "archive", "export", "-o", "-", "--archive", uri, PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr
    # UTF-8 on stdout even when the locale's encoding is not.
    assert "关于开展".encode() in done.stdout
    done = _python("-m", "archive", "stats", "--archive", uri + ".missing")
    assert done.returncode == 1
    assert done.stderr.startswith(b"error: no archive at")
    assert b"Traceback" not in done.stderr


def test_archive_never_imports_scrapy_or_crawler() -> None:
    code = (
        "import sys, pkgutil, importlib\n"
        "sys.modules['scrapy'] = None\n"
        "sys.modules['crawler'] = None\n"
        "import archive\n"
        "for info in pkgutil.iter_modules(archive.__path__):\n"
        "    importlib.import_module('archive.' + info.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'crawler', 'twisted')"
        " and sys.modules[m] is not None)\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    done = _python("-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == b"ok"
