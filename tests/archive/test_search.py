"""Full-text search: the bigram index returns what a substring scan returns, and follows the latest versions."""

from __future__ import annotations

import json
import random
import sqlite3
from typing import TYPE_CHECKING

import pytest

from archive import open_archive
from archive.cli import main
from archive.search import (
    BadQuery,
    match_expression,
    normalize_for_search,
    query_terms,
    snippet,
    tokens,
)
from tests.archive.conftest import make_doc

if TYPE_CHECKING:
    from pathlib import Path

    from archive import Archive


def test_tokens_are_overlapping_pairs_with_ascii_moved_out_of_the_tokenizers_way() -> None:
    assert tokens("乡村振兴") == "乡村 村振 振兴"
    assert tokens("振") == "振"
    pairs = tokens("G20 峰会").split(" ")
    assert len(pairs) == len("g20 峰会") - 1
    assert all(not any(ord(c) < 128 for c in pair) for pair in pairs)


def test_normalisation_folds_width_case_and_spaces() -> None:
    assert normalize_for_search("Ｇ２０\u3000\n 峰会 ") == "g20 峰会"


def test_query_terms_split_words_and_keep_quoted_phrases() -> None:
    assert query_terms('振兴  "工作 会议" ABC') == ["振兴", "工作 会议", "abc"]
    assert match_expression("振兴 讲话") == '"振兴" AND "讲话"'


@pytest.mark.parametrize("query", ["", "   ", '""', "振", "振兴 党"])
def test_queries_without_a_two_character_term_are_refused(query: str) -> None:
    with pytest.raises(BadQuery):
        query_terms(query)


def test_snippet_marks_every_term_near_the_first_match() -> None:
    text = "开头的话。" * 20 + "推进乡村振兴战略,讲话精神。" + "结尾。" * 20
    cut = snippet(text, ["乡村振兴", "讲话"], width=30)
    assert "[乡村振兴]" in cut and "[讲话]" in cut
    assert cut.startswith("…") and cut.endswith("…")


def test_snippet_of_a_long_text_is_cut_from_its_normalised_form() -> None:
    # Only the passage around the match is normalised: white space inside it still collapses,
    # and the ellipses still say whether text was left out on either side.
    text = "前文。" * 2000 + "推进 \n\u3000 乡村振兴" + "后文。" * 2000
    assert snippet(text, ["乡村振兴"], width=12) == "…。推进 [乡村振兴]后文。后…"
    assert snippet("推进乡村振兴", ["乡村振兴"], width=12) == "推进[乡村振兴]"


def test_snippet_finds_a_term_stored_only_in_another_form() -> None:
    # "Ｇ２０" (full-width) and "G20" are the term "g20" once normalised, as the index matches them.
    text = "前文。" * 500 + "出席Ｇ２０峰会" + "后文。" * 500
    cut = snippet(text, ["g20"], width=12)
    assert "[g20]峰会" in cut and cut.startswith("…") and cut.endswith("…")


# -- through the archive --------------------------------------------------------------------

_WORDS = ["振兴", "讲话", "党建", "工作", "乡村", "发展", "会议", "同志们", "安全生产", "G20", "2023年", "xx市"]


def _random_text(rng: random.Random) -> str:
    parts = [rng.choice(_WORDS) for _ in range(rng.randint(3, 25))]
    seps = ["", "", ",", "。", " ", "\n", "\u3000"]
    return "".join(p + rng.choice(seps) for p in parts)


def _scan(archive: Archive, query: str) -> set[str]:
    # The oracle: a plain substring test of every term on the latest version of each URL.
    terms = query_terms(query)
    found = set()
    for record in archive.iter_records(latest_only=True):
        title, text = normalize_for_search(record.title), normalize_for_search(record.text)
        if all(term in title or term in text for term in terms):
            found.add(record.id)
    return found


def _queries(rng: random.Random, texts: list[str], n: int) -> list[str]:
    found = []
    for _ in range(n):
        flat = normalize_for_search(rng.choice(texts))
        # Up to 10 characters: long phrases as well as words.
        length = rng.randint(2, 10)
        if len(flat) <= length:
            continue
        start = rng.randrange(len(flat) - length)
        piece = flat[start : start + length].strip().replace('"', "")
        if len(piece) >= 2:
            found.append(f'"{piece}"' if " " in piece else piece)
    found += ["振兴", "讲话 党建", "同志们", "g20", "２０２３年", "兴讲", "不存在的词"]
    return found


def test_every_query_returns_exactly_what_a_substring_scan_returns(archive: Archive) -> None:
    rng = random.Random(5)  # noqa: S311 - test data
    texts = []
    for i in range(300):
        text = _random_text(rng)
        texts.append(text)
        archive.add(make_doc(f"https://a.example/{i % 240}.html", title=f"第{i}号 {rng.choice(_WORDS)}", text=text))
    for query in _queries(rng, texts, 150):
        got = [hit.id for hit in archive.search(query, limit=0, distinct=False)]
        assert len(got) == len(set(got))
        assert set(got) == _scan(archive, query), query


def test_a_long_term_is_not_found_where_only_its_rarest_pairs_are(archive: Archive) -> None:
    # 兴战 and 战略 are the rarest pairs of 乡村振兴战略: the second page holds both, apart.
    for i in range(5):
        archive.add(make_doc(f"https://a.example/{i}.html", title=f"通知{i}", text="乡村振兴,乡村振兴。"))
    archive.add(make_doc("https://a.example/true.html", title="讲话", text="实施乡村振兴战略。"))
    archive.add(make_doc("https://a.example/false.html", title="讲话", text="振兴战线上的乡村,作战略图。"))
    for order in ("rank", "newest"):
        assert [hit.url for hit in archive.search("乡村振兴战略", order=order)] == ["https://a.example/true.html"]
    assert [hit.url for hit in archive.search("乡村振兴战略", limit=0)] == ["https://a.example/true.html"]


def test_top_hits_are_ranked_with_title_matches_first(archive: Archive) -> None:
    for i in range(30):
        archive.add(make_doc(f"https://a.example/{i}.html", title=f"通知{i}", text=f"正文{i},提到一次乡村振兴。"))
    archive.add(make_doc("https://a.example/named.html", title="乡村振兴工作会议讲话", text="乡村振兴的正文。"))
    hits = archive.search("乡村振兴", limit=5)
    assert len(hits) == 5
    assert hits[0].url == "https://a.example/named.html"
    assert "[乡村振兴]" in hits[0].snippet


def test_only_the_latest_version_of_a_url_is_found(archive: Archive) -> None:
    url = "https://a.example/page.html"
    old = archive.add(make_doc(url, text="旧版本说的是乡村振兴。")).record
    new = archive.add(make_doc(url, text="新版本说的是党建工作。")).record
    assert [h.id for h in archive.search("党建")] == [new.id]
    assert archive.search("乡村振兴") == []
    # The page goes back to its old text: an "unchanged" sighting of the old record.
    assert archive.add(make_doc(url, text="旧版本说的是乡村振兴。")).status == "unchanged"
    assert [h.id for h in archive.search("乡村振兴")] == [old.id]
    assert archive.search("党建") == []


def test_copies_of_a_document_are_one_hit_unless_asked_for_each(archive: Archive) -> None:
    text = "这是一篇被多个网站转载的讲话稿,讲到乡村振兴和党建工作。"
    first = archive.add(make_doc("https://a.example/1.html", text=text, published_at="2020-01-01")).record
    copy = archive.add(make_doc("https://b.example/2.html", text=text, title="另一个标题")).record
    assert copy.dup_of == first.id
    (hit,) = archive.search("乡村振兴")
    assert hit.id in {first.id, copy.id}
    assert (hit.dup_of is None) == (hit.id == first.id)
    every = archive.search("乡村振兴", distinct=False)
    assert {h.id for h in every} == {first.id, copy.id}
    assert {h.dup_of for h in every} == {None, first.id}


def test_many_copies_ranked_first_still_leave_room_for_the_next_document(archive: Archive) -> None:
    # 70 copies, with the term in their titles, outrank the other document: the hits read past
    # the first batch of ranked matches looked up (archive.search._LOOKUP_BATCH) to reach it.
    text = "转载很多次的讲话稿,讲到乡村振兴。"
    root = archive.add(make_doc("https://a.example/0.html", text=text, title="乡村振兴讲话")).record
    for i in range(1, 70):
        archive.add(make_doc(f"https://copy{i}.example/{i}.html", text=text, title="乡村振兴讲话"))
    other = archive.add(make_doc("https://b.example/1.html", text="另一篇也提到乡村振兴,但只在正文里。")).record
    hits = archive.search("乡村振兴", limit=20)
    assert [h.dup_of or h.id for h in hits] == [root.id, other.id]
    assert len(archive.search("乡村振兴", limit=100, distinct=False)) == 71


def test_filters_apply_before_the_limit(archive: Archive) -> None:
    for i in range(40):
        site = "baina" if i % 2 else "juyou"
        day = f"2023-{1 + i % 12:02d}-01"
        archive.add(make_doc(f"https://{site}.example/{i}.html", site=site, published_at=day,
                             text=f"第{i}篇,关于党建。"))
    hits = archive.search("党建", site="juyou", limit=100)
    assert len(hits) == 20 and {h.site for h in hits} == {"juyou"}
    from datetime import date

    dated = archive.search("党建", since=date(2023, 11, 1), date_field="published", limit=100)
    assert {h.published_at for h in dated} == {"2023-11-01", "2023-12-01"}


def test_a_rolled_back_add_leaves_the_index_as_it_was(archive: Archive) -> None:
    first = archive.add(make_doc("https://a.example/1.html", text="第一篇讲话。")).record
    def failing_write() -> None:
        with archive.store.transaction():
            archive.add(make_doc("https://a.example/2.html", text="第二篇讲话。"))
            archive.add(make_doc("https://a.example/1.html", text="第一篇的新版本,不再讲那个词。"))
            raise RuntimeError("the write fails after the adds")

    with pytest.raises(RuntimeError):
        failing_write()
    assert [h.id for h in archive.search("讲话", distinct=False)] == [first.id]
    assert archive.search("新版本") == []


def test_rebuild_gives_the_index_the_incremental_updates_built(archive: Archive, db_path: Path) -> None:
    rng = random.Random(9)  # noqa: S311 - test data
    texts = [_random_text(rng) for _ in range(60)]
    for i, text in enumerate(texts):
        archive.add(make_doc(f"https://a.example/{i % 25}.html", text=text))
    before = {q: [h.id for h in archive.search(q, limit=0, distinct=False)] for q in _WORDS}
    assert archive.rebuild_search() == len(list(archive.iter_records(latest_only=True)))
    after = {q: [h.id for h in archive.search(q, limit=0, distinct=False)] for q in _WORDS}
    assert after == before


def test_an_archive_from_before_search_is_indexed_when_migrated(db_path: Path) -> None:
    with open_archive(db_path) as archive:
        archive.add(make_doc("https://a.example/1.html", text="迁移之前存的讲话。"))
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TABLE records_search")
    conn.execute("PRAGMA user_version = 5")  # the schema before search (migration 6)
    conn.commit()
    conn.close()
    with open_archive(db_path) as archive:
        assert [h.url for h in archive.search("讲话")] == ["https://a.example/1.html"]


# -- the command ----------------------------------------------------------------------------


def _filled(db_path: Path) -> None:
    with open_archive(db_path) as archive:
        archive.add(make_doc("https://a.example/1.html", title="乡村振兴讲话", text="全面推进乡村振兴。"))
        archive.add(make_doc("https://a.example/2.html", site="juyou", title="党建", text="抓好党建工作。"))


def test_search_command_prints_hits_and_json_lines(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _filled(db_path)
    assert main(["search", "振兴", "--archive", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert "乡村振兴讲话" in out and "https://a.example/1.html" in out and "[振兴]" in out
    assert main(["search", "党建", "--archive", str(db_path), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["url"] for line in lines] == ["https://a.example/2.html"]
    assert set(lines[0]) >= {"id", "url", "title", "site", "published_at", "snippet"}


def test_search_command_refuses_a_one_character_query(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _filled(db_path)
    assert main(["search", "振", "--archive", str(db_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "two or more" in err[0]
