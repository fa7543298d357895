"""Tests of the first-copy rule (which copy of a document is its root) and of same-host aliases."""

from __future__ import annotations

import io
import itertools
import json
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from archive import Archive, Capture, open_archive, reindex
from archive.dedup import first_copy_key
from tests.archive import texts
from tests.archive.texts import RURAL, SAFETY

if TYPE_CHECKING:
    import sqlite3
    from pathlib import Path

# Four copies of one speech from two sites. JUYOU_DATED is published first, so it is the root
# however the four arrive; JUYOU_UNDATED has the same text on the same host under another title
# (a separate record); BAINA_NEAR has a few characters changed (a near duplicate).
BAINA_DATED = "https://www.baina.example/fanwen/101.html"
BAINA_NEAR = "https://www.baina.example/fanwen/102.html"
JUYOU_DATED = "https://www.juyou.example/a/201.html"
JUYOU_UNDATED = "https://www.juyou.example/a/202.html"
NEAR_TEXT = SAFETY.replace("十二家", "十五家").replace("每月通报", "每周通报")
COPIES: dict[str, dict[str, Any]] = {
    BAINA_DATED: {"site": "baina", "title": "全县安全生产工作会议讲话", "published_at": "2023-05-10",
                  "text": SAFETY},
    JUYOU_DATED: {"site": "juyou", "title": "在全县安全生产工作会议上的讲话",
                  "published_at": "2023-04-24T09:30:00+08:00", "text": SAFETY},
    JUYOU_UNDATED: {"site": "juyou", "title": "安全生产讲话稿", "published_at": None, "text": SAFETY},
    BAINA_NEAR: {"site": "baina", "title": "全县安全生产工作会议讲话", "published_at": "2023-06-01",
                 "text": NEAR_TEXT},
}


def _copy(source: str, when: str = "2024-03-01T08:00:00Z", **overrides: Any) -> dict[str, Any]:
    """The copy of ``COPIES[source]``, at its URL unless ``url`` is overridden."""
    return {"url": source, **COPIES[source], "crawled_at": when, **overrides}


def _doc(url: str, text: str, *, title: str = "讲话", published_at: str | None = None,
         when: str = "2024-03-01T08:00:00Z") -> dict[str, Any]:
    return {"url": url, "site": "baina", "title": title, "published_at": published_at, "text": text,
            "crawled_at": when}


def _links(archive: Archive) -> dict[str, str | None]:
    """Every record's URL -> the URL of its dup_of."""
    records = list(archive.iter_records())
    url_of = {r.id: r.url for r in records}
    return {r.url: url_of.get(r.dup_of) if r.dup_of else None for r in records}


def _minhash_roots(archive: Archive) -> dict[str, str]:
    """URL of every indexed record -> URL of the root its signature row names."""
    rows = archive.store.conn.execute(
        "SELECT r.url, root.url FROM minhash m JOIN records r ON r.seq = m.seq "
        "JOIN records root ON root.seq = m.root"
    )
    return dict(rows.fetchall())


# -- the rule --------------------------------------------------------------------------------


def test_the_key_orders_by_publication_then_url() -> None:
    a, b = "https://a.example/1", "https://b.example/1"
    ordered = [
        first_copy_key("2022-12-31T23:59:59+08:00", b),
        first_copy_key("2023-04-24", b),  # a bare date is the start of its day
        first_copy_key("2023-04-24T00:00:00+08:00", a),
        first_copy_key("2023-04-24T08:00:00+08:00", a),
        first_copy_key("2023-04-24T01:00:00Z", a),  # 09:00 in Beijing: converted, not compared as written
        first_copy_key("2023-04-24T09:00:00+08:00", b),
        first_copy_key(None, a),  # undated after every dated copy, then by URL
        first_copy_key("", b),
    ]
    assert ordered == sorted(ordered)
    assert first_copy_key("2023-04-24", a) < first_copy_key("2023-04-24", b)
    assert first_copy_key("2023-04-24 08:00", a) == first_copy_key("2023-04-24T08:00:00", a)
    assert first_copy_key("2023年4月24日", a) == (False, "2023年4月24日", a)  # not ISO: as written
    # Code-point order, not locale or case folding: "B" (U+0042) sorts before "a" (U+0061).
    assert first_copy_key(None, "https://x.example/B") < first_copy_key(None, "https://x.example/a")


# -- the same root whatever the order --------------------------------------------------------


def test_every_order_of_four_copies_gives_the_same_root_and_links(tmp_path: Path) -> None:
    expected = {
        JUYOU_DATED: None,
        BAINA_DATED: JUYOU_DATED,
        JUYOU_UNDATED: JUYOU_DATED,
        BAINA_NEAR: JUYOU_DATED,
    }
    probe = texts.fill_masks(SAFETY)
    for n, order in enumerate(itertools.permutations(COPIES)):
        with open_archive(tmp_path / f"{n}.db") as archive:
            statuses = Counter()
            for i, url in enumerate(order):
                statuses[archive.add(_copy(url, when=f"2024-03-0{i + 1}T08:00:00Z")).status] += 1
            assert _links(archive) == expected, order
            # Four records stored: one new document and three copies of it, in every order.
            assert statuses == {"new": 1, "duplicate": 3}, order
            assert set(_minhash_roots(archive).values()) == {JUYOU_DATED}, order
            root = archive.latest(JUYOU_DATED)
            assert archive.near_index.find(archive.near_index.sketch(probe), url="https://x.example/") == root.id
            stats = archive.stats()["total"]
            assert (stats["records"], stats["duplicates"]) == (4, 3)


def test_a_later_copy_published_earlier_takes_over_as_root(archive: Archive) -> None:
    old_root = archive.add(_copy(BAINA_DATED)).record
    exact = archive.add(_copy(JUYOU_UNDATED)).record
    near = archive.add(_copy(BAINA_NEAR))
    assert (exact.dup_of, near.record.dup_of, near.match) == (old_root.id, old_root.id, "near")
    result = archive.add(_copy(JUYOU_DATED))
    assert (result.status, result.match, result.previous_root) == ("duplicate", "exact", old_root.id)
    assert result.record.dup_of is None
    new_root = result.record
    assert _links(archive) == {
        BAINA_DATED: JUYOU_DATED,
        JUYOU_UNDATED: JUYOU_DATED,
        BAINA_NEAR: JUYOU_DATED,
        JUYOU_DATED: None,
    }
    assert [r.url for r in archive.duplicates(new_root.id)] == [BAINA_DATED, JUYOU_UNDATED, BAINA_NEAR]
    assert archive.duplicates(old_root.id) == []
    # The old root's own sightings now belong to the new root's document.
    assert {s.url for s in archive.document_sightings(old_root.id)} == set(COPIES)
    assert archive.document_sightings(old_root.id) == archive.document_sightings(new_root.id)
    # Re-adding a copy is still a sighting, and the next copy links to the new root.
    assert archive.add(_copy(BAINA_DATED, when="2024-04-01T00:00:00Z")).status == "unchanged"
    later = archive.add(_doc("https://www.wenmi.example/9.html", texts.with_boilerplate(SAFETY),
                             published_at="2024-01-01"))
    assert (later.match, later.record.dup_of) == ("near", new_root.id)


def test_a_near_copy_published_earlier_takes_over(archive: Archive) -> None:
    old_root = archive.add(_copy(BAINA_DATED)).record
    archive.add(_copy(JUYOU_UNDATED))
    result = archive.add(_copy(BAINA_NEAR, published_at="2023-01-05"))
    assert (result.status, result.match, result.previous_root) == ("duplicate", "near", old_root.id)
    assert _links(archive) == {BAINA_DATED: BAINA_NEAR, JUYOU_UNDATED: BAINA_NEAR, BAINA_NEAR: None}
    # The index names the new root: from this process, and from a fresh one.
    probe = texts.drop_paragraph(SAFETY, 3)
    index = archive.near_index
    assert index.find(index.sketch(probe), url="https://x.example/") == result.record.id
    assert _minhash_roots(archive) == {BAINA_DATED: BAINA_NEAR, BAINA_NEAR: BAINA_NEAR}
    with open_archive(archive.store.location) as fresh:
        assert fresh.near_index.find(fresh.near_index.sketch(probe), url="https://x.example/") == result.record.id


def test_a_process_that_loaded_the_index_before_a_takeover_finds_the_new_root(db_path: Path) -> None:
    with open_archive(db_path) as ours, open_archive(db_path) as theirs:
        old_root = theirs.add(_copy(BAINA_DATED)).record  # their table: root BAINA_DATED
        taken = ours.add(_copy(JUYOU_DATED))
        assert taken.previous_root == old_root.id
        copy = theirs.add(_doc("https://www.wenmi.example/9.html", texts.fill_masks(SAFETY),
                               published_at="2024-01-01"))
        assert (copy.match, copy.record.dup_of) == ("near", taken.record.id)


def test_a_rolled_back_takeover_leaves_the_old_root(archive: Archive) -> None:
    old_root = archive.add(_copy(BAINA_DATED)).record
    archive.add(_copy(BAINA_NEAR))

    def take_over_then_fail() -> None:
        with archive.store.transaction():
            archive.add(_copy(JUYOU_DATED))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        take_over_then_fail()
    assert _links(archive) == {BAINA_DATED: None, BAINA_NEAR: BAINA_DATED}
    assert set(_minhash_roots(archive).values()) == {BAINA_DATED}
    index = archive.near_index
    assert index.find(index.sketch(texts.fill_masks(SAFETY)), url="https://x.example/") == old_root.id


def test_choice_among_matching_documents_follows_the_rule(archive: Archive) -> None:
    # Two documents the index both matches (an exact-only archive stored them unlinked); the one
    # whose root sorts first wins, not the one stored first.
    with open_archive(archive.store.location, near_dup=False) as exact_only:
        exact_only.add(_doc("https://www.zzz.example/1", SAFETY, published_at="2023-03-01"))
        first = exact_only.add(_doc("https://www.aaa.example/1", texts.fill_masks(SAFETY),
                                    published_at="2023-02-01")).record
    reindex(archive, missing_only=True)
    probe = texts.drop_paragraph(SAFETY, 2)
    assert archive.near_index.find(archive.near_index.sketch(probe), url="https://q.example/") == first.id


def test_a_new_version_never_takes_over_from_its_own_page(archive: Archive) -> None:
    v1 = archive.add(_doc(BAINA_DATED, RURAL, published_at="2023-05-01")).record
    copy = archive.add(_doc(JUYOU_DATED, texts.fill_masks(RURAL), published_at="2023-06-01")).record
    # The page's next version is the copy's text, dated earlier: still a version of its page,
    # linked to the document as before, and nothing is re-pointed.
    v2 = archive.add(_doc(BAINA_DATED, texts.fill_masks(RURAL), published_at="2023-01-01",
                          when="2024-04-01T00:00:00Z"))
    assert (v2.status, v2.match, v2.previous_root, v2.record.dup_of) == ("changed", "exact", None, v1.id)
    assert archive.get(copy.id).dup_of == v1.id


@pytest.mark.sqlite_only
def test_the_re_pointing_queries_use_indexes(archive: Archive) -> None:
    archive.add(_copy(BAINA_DATED))
    archive.add(_copy(JUYOU_UNDATED))
    archive.add(_copy(BAINA_NEAR))
    conn: sqlite3.Connection = archive.store.conn
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        assert archive.add(_copy(JUYOU_DATED)).previous_root is not None
        archive.add(_copy(JUYOU_DATED, url="https://WWW.JUYOU.example/A/201.html"))  # an alias
    finally:
        conn.set_trace_callback(None)
    scans = []
    for sql in statements:
        if sql.split()[0].upper() not in ("SELECT", "UPDATE", "INSERT", "DELETE"):
            continue
        for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"):
            detail = row[-1]
            # A SCAN of a table (not of a covering index) reads every row of it; a CONSTANT ROW
            # (a SELECT without FROM) reads none.
            if detail.startswith("SCAN") and "INDEX" not in detail and "CONSTANT ROW" not in detail:
                scans.append((sql, detail))
    assert scans == []


# -- same-host aliases -----------------------------------------------------------------------

LOWER = "https://www.baina.example/doc/1.html"
UPPER = "https://www.baina.example/DOC/1.html"


def _capture(url: str, body: bytes, when: str, etag: str) -> Capture:
    return Capture(url=url, status=200, headers=[("Content-Type", "text/html"), ("ETag", etag)],
                   body=body, fetched_at=when)


def test_an_upper_case_path_on_the_same_host_is_a_sighting_of_the_record(archive: Archive) -> None:
    page = _doc(LOWER, SAFETY, title="安全生产讲话", published_at="2023-04-24", when="2024-03-01T08:00:00Z")
    first = archive.add(page, [_capture(LOWER, b"<p>1</p>", "2024-03-01T08:00:00Z", '"a"')]).record
    alias = archive.add({**page, "url": UPPER, "crawled_at": "2024-03-02T08:00:00Z"},
                        [_capture(UPPER, b"<P>1</P>", "2024-03-02T08:00:00Z", '"b"')])
    assert (alias.status, alias.match, alias.record) == ("alias", None, first)
    assert [r.url for r in archive.iter_records()] == [LOWER]
    assert archive.sightings(first.id) == [(LOWER, "2024-03-01T08:00:00Z"), (UPPER, "2024-03-02T08:00:00Z")]
    # The captures are linked after the record's own, in order.
    assert [c.url for c in archive.captures(first.id)] == [LOWER, UPPER]
    # The crawler's view of the alias URL: through its sightings and its own capture.
    state = archive.page_state(UPPER)
    assert (state.last_seen, state.etag) == ("2024-03-02T08:00:00Z", '"b"')
    assert archive.latest(UPPER) == first
    assert archive.touch(UPPER, "2024-03-09T08:00:00Z") == 1
    assert archive.page_state(UPPER).last_seen == "2024-03-09T08:00:00Z"
    # Seen there again with the same text: a sighting like any unchanged page, no capture link.
    again = archive.add({**page, "url": UPPER, "crawled_at": "2024-03-10T08:00:00Z"},
                        [_capture(UPPER, b"<P>1!</P>", "2024-03-10T08:00:00Z", '"c"')])
    assert (again.status, again.record) == ("unchanged", first)
    assert len(archive.captures(first.id)) == 2
    assert len(archive.sightings(first.id)) == 4


@pytest.mark.parametrize(
    "variant",
    [
        "http://www.baina.example/DOC/1.html",  # scheme aside
        "https://WWW.Baina.example/doc/1.html",  # host names are case-insensitive
        "https://www.baina.example:443/doc/1.html",  # the default port
        "https://www.baina.example/doc/1.html?from=list",  # a tracking leftover
    ],
)
def test_same_host_variants_are_aliases(archive: Archive, variant: str) -> None:
    first = archive.add(_doc(LOWER, SAFETY)).record
    assert (archive.add(_doc(variant, SAFETY)).status, list(archive.iter_records())) == ("alias", [first])


def test_other_host_other_port_or_other_title_is_a_record_of_its_own(archive: Archive) -> None:
    first = archive.add(_doc(LOWER, SAFETY, title="安全生产讲话", published_at="2023-04-24")).record
    cases = [
        _doc("https://www.juyou.example/doc/1.html", SAFETY, title="安全生产讲话", published_at="2023-05-01"),
        _doc("https://www.baina.example:8080/doc/1.html", SAFETY, title="安全生产讲话", published_at="2023-05-01"),
        _doc("https://www.baina.example/doc/2.html", SAFETY, title="安全生产讲话（二）", published_at="2023-05-01"),
    ]
    for case in cases:
        result = archive.add(case)
        assert (result.status, result.match, result.record.dup_of) == ("duplicate", "exact", first.id)
    assert len(list(archive.iter_records())) == 4


def test_a_url_with_records_of_its_own_is_not_an_alias(archive: Archive) -> None:
    first = archive.add(_doc(LOWER, SAFETY, published_at="2023-04-24")).record
    archive.add(_doc(UPPER, RURAL, published_at="2023-05-01"))
    # UPPER's page now holds LOWER's text: a new version of UPPER, a copy of LOWER's document.
    result = archive.add(_doc(UPPER, SAFETY, published_at="2023-05-01"))
    assert (result.status, result.record.dup_of) == ("changed", first.id)


def test_export_has_one_line_per_document_with_every_sighting(archive: Archive) -> None:
    archive.add(_copy(BAINA_DATED, when="2024-03-01T08:00:00Z"))
    archive.add(_copy(BAINA_DATED, url=BAINA_DATED.replace("fanwen", "FANWEN"), when="2024-03-02T08:00:00Z"))
    archive.add(_copy(JUYOU_UNDATED, when="2024-03-03T08:00:00Z"))
    archive.add(_copy(BAINA_NEAR, when="2024-03-04T08:00:00Z"))
    archive.add(_copy(JUYOU_DATED, when="2024-03-05T08:00:00Z"))
    archive.add(_doc("https://www.other.example/x.html", RURAL, when="2024-03-06T08:00:00Z"))
    out = io.StringIO()
    assert archive.export_jsonl(out) == 2
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(line["url"], line["dup_of"]) for line in lines] == [
        (JUYOU_DATED, None),
        ("https://www.other.example/x.html", None),
    ]
    assert [s["url"] for s in lines[0]["sightings"]] == [
        BAINA_DATED,
        BAINA_DATED.replace("fanwen", "FANWEN"),
        JUYOU_UNDATED,
        BAINA_NEAR,
        JUYOU_DATED,
    ]
    everything = io.StringIO()
    assert archive.export_jsonl(everything, distinct=False) == 5  # the alias is no record
