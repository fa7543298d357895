"""``Archive.revise`` and ``archive.reextract``: a different reading of stored captures is a new version."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from archive import Archive, Capture, RecordNotFound, open_archive
from archive.cli import main
from archive.reextract import ReextractFailed, reextract
from tests.archive.texts import RURAL, SAFETY

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from archive.records import Record

ROOT = "https://www.juyou.example/a/201.html"
COPY = "https://www.baina.example/fanwen/101.html"


def capture(url: str) -> Capture:
    return Capture(url=url, status=200, headers=[("Content-Type", "text/html; charset=utf-8")],
                   body=f"<html><body>{url}</body></html>".encode(), fetched_at="2024-03-01T08:00:00Z")


def test_a_new_title_is_a_new_version_that_takes_over_as_root(
    archive: Archive, doc: Callable[..., dict[str, Any]]
) -> None:
    root = archive.add(doc(ROOT, site="juyou", text=SAFETY, published_at="2023-04-01"), [capture(ROOT)]).record
    copy = archive.add(doc(COPY, text=SAFETY, published_at="2023-05-01")).record
    assert archive.get(copy.id).dup_of == root.id

    result = archive.revise(root.id, {"title": "在全县安全生产工作会议上的讲话"})

    new = result.record
    assert result.status == "changed"
    assert new.id != root.id and new.content_hash == root.content_hash
    assert new.extra["version_reason"] == "reextract"
    assert new.dup_of is None
    # The old version and its copy now point at the new version: one hop to the root.
    assert archive.get(root.id).dup_of == new.id
    assert archive.get(copy.id).dup_of == new.id
    assert archive.latest(ROOT) == new
    assert [v.id for v in archive.versions(ROOT)] == [root.id, new.id]
    # The captures are linked again, not written twice.
    assert archive.captures(new.id) == archive.captures(root.id)
    assert archive.stats()["total"]["captures"] == 1
    # The search index follows the latest version.
    assert [hit.id for hit in archive.search("讲话")] == [new.id]


def test_revising_a_copy_keeps_its_root(archive: Archive, doc: Callable[..., dict[str, Any]]) -> None:
    root = archive.add(doc(ROOT, site="juyou", text=SAFETY, published_at="2023-04-01")).record
    copy = archive.add(doc(COPY, text=SAFETY, published_at="2023-05-01")).record

    new = archive.revise(copy.id, {"category": "讲话稿"}).record

    assert new.dup_of == root.id
    assert archive.get(root.id).dup_of is None
    assert archive.get(copy.id).dup_of == root.id


def test_a_copy_dated_before_its_root_by_a_revision_takes_over(
    archive: Archive, doc: Callable[..., dict[str, Any]]
) -> None:
    root = archive.add(doc(ROOT, site="juyou", text=SAFETY, published_at="2023-04-01")).record
    copy = archive.add(doc(COPY, text=SAFETY, published_at="2023-05-01")).record

    result = archive.revise(copy.id, {"published_at": "2023-03-01"})  # the page's real date, read better

    new = result.record
    assert (new.dup_of, result.previous_root) == (None, root.id)
    assert archive.get(new.id).dup_of is None
    assert archive.get(root.id).dup_of == new.id
    assert archive.get(copy.id).dup_of == new.id
    # One root for the document, the copy now dated first.
    assert [r.id for r in archive.iter_records() if r.dup_of is None] == [new.id]


def test_a_root_dated_after_a_copy_by_a_revision_hands_over_to_it(
    archive: Archive, doc: Callable[..., dict[str, Any]]
) -> None:
    root = archive.add(doc(ROOT, site="juyou", text=SAFETY, published_at="2023-04-01")).record
    copy = archive.add(doc(COPY, text=SAFETY, published_at="2023-05-01")).record

    result = archive.revise(root.id, {"published_at": "2023-06-01"})

    new = result.record
    assert (new.dup_of, result.previous_root) == (copy.id, new.id)
    assert archive.get(copy.id).dup_of is None
    assert archive.get(new.id).dup_of == copy.id
    assert archive.get(root.id).dup_of == copy.id  # the old version, one hop to the root
    assert [r.id for r in archive.iter_records() if r.dup_of is None] == [copy.id]
    # The near-duplicate index names the new root for a near copy.
    near = archive.add(doc("https://c.example/1.html", text=SAFETY + "\n附件：检查表", published_at="2023-07-01"))
    assert (near.match, near.record.dup_of) == ("near", copy.id)


def test_a_new_text_is_deduplicated_like_a_crawled_one(archive: Archive, doc: Callable[..., dict[str, Any]]) -> None:
    rural = archive.add(doc(ROOT, site="juyou", text=RURAL, published_at="2023-04-01")).record
    page = archive.add(doc(COPY, text=SAFETY + "\n本站声明：转载请注明出处。")).record

    result = archive.revise(page.id, {"text": RURAL})

    assert (result.status, result.match) == ("changed", "exact")
    assert result.record.dup_of == rural.id
    assert result.record.extra["version_reason"] == "reextract"
    assert archive.latest(COPY) == result.record
    assert archive.get(page.id).text.endswith("转载请注明出处。")  # the old version is kept whole


def test_the_same_reading_writes_nothing(archive: Archive, doc: Callable[..., dict[str, Any]]) -> None:
    record = archive.add(doc(ROOT, site="juyou", text=SAFETY)).record
    before = archive.stats()["total"]

    result = archive.revise(record.id, {"title": record.title, "text": record.text, "keywords": record.keywords})

    assert result.status == "unchanged" and result.record == record
    assert archive.stats()["total"] == before


def test_revise_refuses_unknown_fields_and_ids(archive: Archive, doc: Callable[..., dict[str, Any]]) -> None:
    record = archive.add(doc(ROOT, site="juyou", text=SAFETY)).record
    with pytest.raises(ValueError, match="cannot revise url"):
        archive.revise(record.id, {"url": "https://elsewhere.example/"})
    with pytest.raises(ValueError, match="empty text"):
        archive.revise(record.id, {"text": " "})
    with pytest.raises(RecordNotFound):
        archive.revise("0" * 16, {"title": "x"})


def test_a_later_crawl_of_the_same_text_sights_the_revision(
    archive: Archive, doc: Callable[..., dict[str, Any]]
) -> None:
    record = archive.add(doc(ROOT, site="juyou", text=SAFETY)).record
    new = archive.revise(record.id, {"title": "新标题"}).record

    again = archive.add(doc(ROOT, site="juyou", text=SAFETY, title="新标题", crawled_at="2030-01-01T00:00:00Z"))

    assert again.status == "unchanged"
    assert again.record.id == new.id
    assert archive.latest(ROOT) == new


class Retitle:
    """An extractor that reads every title with a prefix, fails on one URL, and keeps the rest."""

    def __init__(self, fail: str = "") -> None:
        self.fail = fail
        self.calls = 0

    def __call__(self, record: Record, captures: Sequence[Capture]) -> dict[str, Any]:
        self.calls += 1
        if record.url == self.fail:
            raise ReextractFailed("skipped/listing")
        title = record.title if record.title.startswith("新版") else "新版" + record.title
        return {"title": title, "text": record.text, "published_at": record.published_at}


def test_reextract_counts_changes_and_failures_and_a_second_run_changes_nothing(
    archive: Archive, doc: Callable[..., dict[str, Any]]
) -> None:
    first = archive.add(doc(ROOT, site="juyou", text=SAFETY)).record
    archive.add(doc(COPY, text=RURAL))

    dry = reextract(archive, Retitle(fail=COPY), dry_run=True)
    assert (dry.unchanged, len(dry.changed), dict(dry.failed)) == (0, 1, {"skipped/listing": 1})
    assert archive.latest(ROOT) == first  # a dry run writes nothing

    done: list[tuple[int, int]] = []
    summary = reextract(archive, Retitle(fail=COPY), progress=lambda n, total: done.append((n, total)))
    assert [c.fields for c in summary.changed] == [("title",)]
    assert summary.changed[0].old_id == first.id
    assert summary.line() == "2 records read: 0 unchanged, 1 changed, 1 failed (skipped/listing 1)"
    assert done == [(1, 2), (2, 2)]
    latest = archive.latest(ROOT)
    assert latest is not None and latest.title == "新版" + first.title

    again = reextract(archive, Retitle(fail=COPY))
    assert (again.unchanged, again.changed) == (1, [])


def test_reextract_selects_by_site_and_id(archive: Archive, doc: Callable[..., dict[str, Any]]) -> None:
    juyou = archive.add(doc(ROOT, site="juyou", text=SAFETY)).record
    archive.add(doc(COPY, text=RURAL))

    assert reextract(archive, Retitle(), site="juyou", dry_run=True).total == 1
    by_id = reextract(archive, Retitle(), ids=[juyou.id])
    assert [c.url for c in by_id.changed] == [ROOT]
    # The id of the old version now selects its URL's latest version, which reads the same.
    assert reextract(archive, Retitle(), ids=[juyou.id]).unchanged == 1


def test_cli_reextract_prints_the_changes_and_the_summary(
    db_path: Path, doc: Callable[..., dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    with open_archive(str(db_path)) as archive:
        record = archive.add(doc(ROOT, site="juyou", text=SAFETY)).record

    assert main(["reextract", "--archive", str(db_path), "--extractor", f"{__name__}:Retitle", "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{record.id} -> (dry run)  {ROOT}  title",
                   "1 records read: 0 unchanged, 1 would change, 0 failed"]

    assert main(["reextract", "--archive", str(db_path), "--extractor", f"{__name__}:Retitle"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 records read: 0 unchanged, 1 changed, 0 failed"


@pytest.mark.parametrize(("spec", "message"), [
    ("nocolon", "is not module:factory"),
    ("no_such_module_xyz:f", "cannot import extractor module"),
    (f"{__name__}:Missing", "has no 'Missing'"),
])
def test_cli_reextract_names_a_bad_extractor(
    db_path: Path, doc: Callable[..., dict[str, Any]], capsys: pytest.CaptureFixture[str], spec: str, message: str
) -> None:
    with open_archive(str(db_path)) as archive:
        archive.add(doc(ROOT, site="juyou", text=SAFETY))
    assert main(["reextract", "--archive", str(db_path), "--extractor", spec]) != 0
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
