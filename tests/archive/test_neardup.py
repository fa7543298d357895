"""Tests of near-duplicate detection: shingles, signatures, the SQLite MinHash index, reindex."""

from __future__ import annotations

import logging
import random
import sqlite3
import unicodedata
from typing import TYPE_CHECKING

import numpy as np
import pytest
from datasketch import MinHash

import archive.neardup
from archive import (
    DEFAULT_PARAMS,
    MinHashIndex,
    MinHashParams,
    NearDupIndex,
    SchemaError,
    normalize_text,
    open_archive,
    reindex,
)
from archive.migrations import MIGRATIONS
from archive.neardup import (
    SHINGLING,
    band_keys,
    jaccard,
    shingle_hashes,
    shingle_text,
    shingles,
    signature,
)
from archive.sqlite import SqliteStore
from tests.archive import texts
from tests.archive.texts import DISCIPLINE, RURAL, SAFETY

if TYPE_CHECKING:
    from pathlib import Path

BAINA = "https://www.baina.example/fanwen/1.html"
JUYOU = "https://www.juyou.example/a/2.html"
HUIWEN = "https://www.huiwen.example/doc/3.html"
JIANBIAO = "https://www.jianbiao.example/a/4.html"


def _doc(url: str, text: str, site: str = "baina", when: str = "2024-03-01T08:00:00Z") -> dict:
    return {"url": url, "site": site, "title": "讲话", "text": text, "crawled_at": when}


# -- shingling and signatures ----------------------------------------------------------------


def test_shingles_drop_whitespace_punctuation_and_symbols() -> None:
    assert shingle_text("同志们：\n  一是，xx同志……＋＊★") == "同志们一是xx同志"
    assert shingles("一二三，四五\u3000六") == {"一二三四五", "二三四五六"}
    assert shingles("不忘初心、牢记使命", k=4) == {
        "不忘初心", "忘初心牢", "初心牢记", "心牢记使", "牢记使命"
    }
    # Full-width letters and digits fold to ASCII (NFKC), as in the content hash.
    assert shingles("ＡＢＣ１２３") == shingles("ABC123")


def test_short_texts_are_one_shingle_and_punctuation_only_texts_keep_it() -> None:
    assert shingles("通知") == {"通知"}
    assert shingles("一二三四五") == {"一二三四五"}
    assert shingles("！！！") == {"!!!"}
    assert shingles("？？？") != shingles("！！！")
    assert len(shingle_hashes("通知")) == 1


def test_no_punctuation_or_symbol_above_plane_1() -> None:
    # shingle_text's lookup table stops at U+1FFFF; this checks the assumption for this Python.
    above = [cp for cp in range(0x20000, 0x110000) if unicodedata.category(chr(cp))[0] in "PS"]
    assert above == []


def test_shingle_hashes_hash_exactly_the_shingles() -> None:
    for text in (SAFETY, RURAL, "同志们好", "。"):
        expected = {int(shingle_hashes(s)[0]) for s in shingles(text)}
        assert set(shingle_hashes(text).tolist()) == expected


def test_signature_is_datasketch_minhash_bit_for_bit() -> None:
    for text in (SAFETY, DISCIPLINE * 8, "通知", "短文。"):
        reference = MinHash(num_perm=128, seed=1, scheme="affine32", hashfunc=lambda v: v)
        reference.update_batch(shingle_hashes(text).tolist())
        assert np.array_equal(signature(text), reference.hashvalues)
        assert signature(text).dtype == np.uint32


def test_fast_normalisation_equals_nfkc() -> None:
    rng = random.Random(0)  # noqa: S311 - test data
    alphabet = [chr(c) for c in [*range(0x20, 0x250), *range(0x2000, 0x2100), *range(0x3000, 0x3100),
                                 *range(0xFE00, 0xFFFF), 0x301, 0x1100, 0x1161, 0xAC00, 0x1F600,
                                 # combining marks, Hangul jamo, enclosed and compatibility CJK,
                                 # Kangxi radicals, and ideographs to split the text at
                                 *range(0x300, 0x370), *range(0x1100, 0x1200), *range(0x3200, 0x3400),
                                 *range(0x2F00, 0x2FE0), *range(0xF900, 0xFB00), 0x4E00, 0x4E00, 0x9FFF, 0x4E8C]]
    samples = [SAFETY, RURAL, "第一条\u3000ＡＢＣ……", "会议Ⅲ①\u0301㈠㎡第\u0301二", *(
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(5000)
    )]
    for text in samples:
        assert normalize_text(text) == "".join(unicodedata.normalize("NFKC", text).split())


def test_band_keys_are_stable_ints_per_band() -> None:
    sig = signature(SAFETY)
    keys = band_keys(sig)
    assert len(keys) == DEFAULT_PARAMS.bands
    assert all(isinstance(k, int) and -(2**63) <= k < 2**63 for k in keys)
    changed = sig.copy()
    changed[5] += 1  # band 1 holds values 4-7
    assert [a == b for a, b in zip(keys, band_keys(changed), strict=True)].count(False) == 1


# -- parameters ------------------------------------------------------------------------------


def test_default_parameters_are_the_tuned_ones() -> None:
    tuned = MinHashParams.tuned(0.5, 128)
    assert (tuned.bands, tuned.rows) == (32, 4)
    assert tuned == DEFAULT_PARAMS
    assert DEFAULT_PARAMS.min_agree == 64
    assert MinHashParams.from_meta(DEFAULT_PARAMS.to_meta()) == DEFAULT_PARAMS
    assert MinHashParams.from_meta({}) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bands": 40, "rows": 4}, "exceeds num_perm"),
        ({"threshold": 0.0}, "threshold"),
        ({"scheme": "legacy"}, "affine32"),
        ({"rows": 0}, "positive"),
    ],
)
def test_bad_parameters(kwargs, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MinHashParams(**kwargs)


def test_unknown_shingling_recipe_is_refused() -> None:
    meta = {**DEFAULT_PARAMS.to_meta(), "neardup.shingling": "something-else"}
    with pytest.raises(SchemaError, match="python -m archive reindex"):
        MinHashParams.from_meta(meta)
    with pytest.raises(SchemaError, match="unreadable"):
        MinHashParams.from_meta({"neardup.num_perm": "x"})


# -- linking documents -----------------------------------------------------------------------


def test_variants_on_other_sites_link_to_the_earliest_root(archive) -> None:
    assert isinstance(archive.near_index, NearDupIndex)
    root = archive.add(_doc(BAINA, SAFETY)).record
    filled = archive.add(_doc(JUYOU, texts.fill_masks(SAFETY), "juyou"))
    dropped = archive.add(_doc(HUIWEN, texts.drop_paragraph(SAFETY, 3), "huiwen"))
    reworded = archive.add(
        _doc(JIANBIAO, texts.replace_paragraph(SAFETY, 1, texts.SAFETY_INTRO_REWORDED), "jianbiao")
    )
    for result in (filled, dropped, reworded):
        assert (result.status, result.match, result.record.dup_of) == ("duplicate", "near", root.id)
    # A copy of a copy (masks filled, then a paragraph dropped) still names the root. Every copy
    # is undated, so the root is the smallest URL: BAINA's, which this one sorts after.
    other = "https://www.other.example/5"
    both = archive.add(_doc(other, texts.drop_paragraph(texts.fill_masks(SAFETY), 2)))
    assert (both.match, both.record.dup_of) == ("near", root.id)
    sightings = archive.document_sightings(root.id)
    assert {s.url for s in sightings} == {BAINA, JUYOU, HUIWEN, JIANBIAO, other}


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: texts.swap_paragraphs(t, 2, 3),
        texts.with_boilerplate,
        lambda t: texts.edit_sentences(t, 0.1),
        lambda t: texts.drop_paragraph(texts.fill_masks(t), 2),
    ],
)
def test_small_edits_of_every_speech_are_near_duplicates(archive, edit) -> None:
    for n, speech in enumerate((SAFETY, RURAL, DISCIPLINE)):
        root = archive.add(_doc(f"{BAINA}?{n}", speech)).record
        copy = archive.add(_doc(f"{JUYOU}?{n}", edit(speech), "juyou"))
        assert (copy.match, copy.record.dup_of) == ("near", root.id)


def test_different_speeches_sharing_stock_phrases_are_not_linked(archive) -> None:
    for phrase in ("同志们", "一是", "二是", "三是", "不忘初心、牢记使命", "习近平新时代中国特色社会主义思想"):
        assert all(phrase in speech for speech in (SAFETY, RURAL, DISCIPLINE))
    assert max(jaccard(SAFETY, RURAL), jaccard(SAFETY, DISCIPLINE), jaccard(RURAL, DISCIPLINE)) < 0.1
    for url, speech in ((BAINA, SAFETY), (JUYOU, RURAL), (HUIWEN, DISCIPLINE)):
        result = archive.add(_doc(url, speech))
        assert (result.status, result.match, result.record.dup_of) == ("new", None, None)
    # Their variants still find their own originals, not each other. (Undated copies: JIANBIAO
    # sorts before JUYOU, so the variant becomes the root of RURAL's document.)
    result = archive.add(_doc(JIANBIAO, texts.fill_masks(RURAL)))
    assert (result.match, result.previous_root) == ("near", archive.versions(JUYOU)[0].id)


def test_a_new_version_of_the_same_url_is_not_its_own_duplicate(archive) -> None:
    v1 = archive.add(_doc(BAINA, SAFETY, when="2024-01-01T00:00:00Z")).record
    copy = archive.add(_doc(JUYOU, texts.fill_masks(SAFETY), "juyou")).record
    v2 = archive.add(_doc(BAINA, texts.edit_sentences(SAFETY, 0.1), when="2024-02-01T00:00:00Z"))
    # Near v1 (same URL) and near its copy, whose document is rooted at this URL: a new version.
    assert (v2.status, v2.match, v2.record.dup_of) == ("changed", None, None)
    assert copy.dup_of == v1.id
    elsewhere = archive.add(_doc(HUIWEN, texts.with_boilerplate(SAFETY), "huiwen"))
    assert elsewhere.record.dup_of == v1.id  # the earliest root wins over v2


def test_the_exact_duplicate_of_a_near_duplicate_names_the_root(archive) -> None:
    root = archive.add(_doc(BAINA, SAFETY)).record
    filled = texts.fill_masks(SAFETY)
    archive.add(_doc(JUYOU, filled, "juyou"))
    exact = archive.add(_doc(HUIWEN, filled, "huiwen"))
    assert (exact.match, exact.record.dup_of) == ("exact", root.id)


# -- the index in the archive ----------------------------------------------------------------


def _counting_signature(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = archive.neardup.signature

    def counting(text: str, params: MinHashParams = DEFAULT_PARAMS) -> np.ndarray:
        calls.append(text)
        return real(text, params)

    monkeypatch.setattr("archive.neardup_sqlite.signature", counting)
    return calls


def test_signature_computed_once_per_add_and_on_sqlite_never_for_an_exact_duplicate(archive, monkeypatch) -> None:
    calls = _counting_signature(monkeypatch)
    archive.add(_doc(BAINA, SAFETY))
    archive.add(_doc(JUYOU, SAFETY, "juyou"))  # exact duplicate
    archive.add(_doc(HUIWEN, texts.fill_masks(SAFETY), "huiwen"))
    archive.add(_doc(HUIWEN, texts.fill_masks(SAFETY), "huiwen"))  # unchanged
    if archive.store.contended:  # PostgreSQL: every add sketches once, before the write lock
        assert calls == [SAFETY, SAFETY, texts.fill_masks(SAFETY), texts.fill_masks(SAFETY)]
    else:
        assert calls == [SAFETY, texts.fill_masks(SAFETY)]
    conn = archive.store.conn
    assert conn.execute("SELECT count(*) FROM minhash").fetchone()[0] == 2
    assert archive.near_index.pending() == 0


def _text_reads(monkeypatch) -> list[str]:
    """Record every statement that reads records.text, on every connection the archive opens."""
    reads: list[str] = []
    real_connect = sqlite3.connect

    def connect(*args, **kwargs) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)

        def authorize(action: int, arg1, arg2, db, trigger) -> int:
            if action == sqlite3.SQLITE_READ and (arg1, arg2) == ("records", "text"):
                reads.append(f"{arg1}.{arg2}")
            return sqlite3.SQLITE_OK

        conn.set_authorizer(authorize)
        return conn

    monkeypatch.setattr("archive.sqlite.sqlite3.connect", connect)
    return reads


def test_reopening_finds_last_sessions_documents_without_reading_texts(db_path: Path, monkeypatch) -> None:
    with open_archive(db_path) as first:
        root = first.add(_doc(BAINA, SAFETY, when="2024-01-01T00:00:00Z")).record
        first.add(_doc(JUYOU, RURAL, "juyou", when="2024-01-01T00:00:00Z"))
    calls = _counting_signature(monkeypatch)
    reads = _text_reads(monkeypatch)
    with open_archive(db_path) as second:
        assert reads == []  # opening reads no text
        assert calls == []  # and computes no signature
        index = second.near_index
        sketch = index.sketch(texts.fill_masks(SAFETY))
        assert index.find(sketch, url=HUIWEN) == root.id
        assert reads == []  # a lookup reads signatures, never texts
        result = second.add(_doc(HUIWEN, texts.fill_masks(SAFETY), "huiwen", when="2024-01-08T00:00:00Z"))
    assert (result.match, result.record.dup_of) == ("near", root.id)
    assert calls == [texts.fill_masks(SAFETY)] * 2  # once for the lookup above, once in add


def _table_reads(conn: sqlite3.Connection) -> list[str]:
    reads: list[str] = []

    def authorize(action: int, arg1, arg2, db, trigger) -> int:
        if action == sqlite3.SQLITE_READ and arg1 in ("records", "minhash"):
            reads.append(arg1)
        return sqlite3.SQLITE_OK

    conn.set_authorizer(authorize)
    return reads


@pytest.mark.sqlite_only
def test_a_lookup_reads_no_record_and_only_new_signatures(archive) -> None:
    root = archive.add(_doc(BAINA, SAFETY)).record
    archive.add(_doc(JUYOU, RURAL, "juyou"))
    index = archive.near_index
    unrelated, near = index.sketch(DISCIPLINE), index.sketch(texts.fill_masks(SAFETY))
    reads = _table_reads(archive.store.conn)
    assert index.find(unrelated, url=HUIWEN) is None
    # The catch-up query on minhash (no row since): nothing of the records, no signature.
    assert set(reads) == {"minhash"}
    reads.clear()
    assert index.find(near, url=HUIWEN) == root.id
    assert "records" in reads  # only a match reads its record (for its URL and id)


def test_documents_stored_by_another_process_are_found(db_path: Path) -> None:
    with open_archive(db_path) as ours, open_archive(db_path) as theirs:
        ours.add(_doc(BAINA, RURAL))  # our index is loaded now
        root = theirs.add(_doc(JUYOU, SAFETY, "juyou")).record
        result = ours.add(_doc(HUIWEN, texts.fill_masks(SAFETY), "huiwen"))
    # Found; and undated, HUIWEN sorts before JUYOU, so the copy takes over as the root.
    assert (result.match, result.previous_root) == ("near", root.id)


def test_parameters_are_stored_and_never_mixed(db_path: Path) -> None:
    custom = MinHashParams.tuned(0.6)
    with open_archive(db_path, near_params=custom) as created:
        created.add(_doc(BAINA, SAFETY))
        meta = dict(created.store.conn.execute("SELECT key, value FROM archive_meta"))
    assert meta == custom.to_meta()
    assert meta["neardup.shingling"] == SHINGLING
    assert {"neardup.num_perm", "neardup.bands", "neardup.rows", "neardup.shingle_size",
            "neardup.threshold", "neardup.scheme", "neardup.seed"} <= set(meta)
    with open_archive(db_path) as reopened:  # no parameters asked: the stored ones
        assert reopened.near_index.params == custom
    with pytest.raises(SchemaError) as info:
        open_archive(db_path, near_params=DEFAULT_PARAMS)
    message = str(info.value)
    assert "threshold=0.6 (asked 0.5)" in message
    assert "python -m archive reindex" in message
    with open_archive(db_path, near_dup=False) as exact_only:
        assert exact_only.near_index is None


def test_unreadable_stored_parameters_refuse_to_open_until_reindexed(db_path: Path) -> None:
    with open_archive(db_path) as created:
        root = created.add(_doc(BAINA, SAFETY)).record
        created.store.conn.execute(
            "UPDATE archive_meta SET value = 'v0' WHERE key = 'neardup.shingling'"
        )
    with pytest.raises(SchemaError, match="reindex"):
        open_archive(db_path)
    with open_archive(db_path, near_dup=False) as fixing:
        assert reindex(fixing, missing_only=True) == 1  # unknown recipe: everything rebuilt
    with open_archive(db_path) as fixed:
        assert fixed.add(_doc(JUYOU, texts.fill_masks(SAFETY))).record.dup_of == root.id


def test_exact_only_archive_is_indexed_by_reindex_missing(db_path: Path, caplog) -> None:
    with open_archive(db_path, near_dup=False) as exact_only:
        root = exact_only.add(_doc(BAINA, SAFETY)).record
        late = exact_only.add(_doc(JUYOU, texts.fill_masks(SAFETY), "juyou")).record
        assert late.dup_of is None  # exact-only: not linked
    with caplog.at_level(logging.WARNING), open_archive(db_path) as reopened:
        assert reopened.near_index.pending() == 2
    assert "2 record(s) are not in the near-duplicate index" in caplog.text
    assert "reindex --missing" in caplog.text
    with open_archive(db_path, near_dup=False) as fixing:
        assert reindex(fixing, missing_only=True) == 2
        assert fixing.near_index.pending() == 0
        assert fixing.near_index.size() == 2
        result = fixing.add(_doc(HUIWEN, texts.drop_paragraph(SAFETY, 2), "huiwen"))
    assert result.record.dup_of == root.id


def test_archive_from_before_the_index_gets_the_tables_and_reindexes(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    MIGRATIONS[0].apply(conn)
    conn.execute(
        "INSERT INTO records (id, url, site, title, text, keywords, truncated, content_hash, "
        "crawled_at, extra) VALUES ('r1', ?, 'baina', '', ?, '[]', 0, 'h', "
        "'2024-01-01T00:00:00Z', '{}')",
        (BAINA, SAFETY),
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with open_archive(db_path, near_dup=False) as migrated:
        assert migrated.store.schema_version == len(MIGRATIONS)
        assert reindex(migrated) == 1
        result = migrated.add(_doc(JUYOU, texts.fill_masks(SAFETY), "juyou"))
    assert result.record.dup_of == "r1"


def test_a_reindex_by_another_process_is_loaded_by_the_next_lookup(db_path: Path) -> None:
    with open_archive(db_path, near_dup=False) as exact_only:
        root = exact_only.add(_doc(BAINA, SAFETY)).record  # seq 1, not indexed
    with open_archive(db_path) as crawl:
        crawl.add(_doc(JUYOU, RURAL, "juyou"))  # seq 2: the crawl's table holds seqs up to 2
        with open_archive(db_path, near_dup=False) as other:
            assert reindex(other, missing_only=True) == 1  # indexes seq 1, below the crawl's
        result = crawl.add(_doc(HUIWEN, texts.fill_masks(SAFETY), "huiwen"))
    assert (result.match, result.record.dup_of) == ("near", root.id)


def test_archive_with_a_band_table_upgrades_and_keeps_finding_its_documents(db_path: Path) -> None:
    with open_archive(db_path) as old:
        root = old.add(_doc(BAINA, SAFETY)).record
    conn = sqlite3.connect(db_path)  # as schema 3 left it: band keys in a table
    conn.execute("CREATE TABLE minhash_bands (band INTEGER, key INTEGER, seq INTEGER)")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    with open_archive(db_path) as upgraded:
        tables = {name for (name,) in upgraded.store.conn.execute("SELECT name FROM sqlite_master")}
        assert "minhash_bands" not in tables
        assert upgraded.store.schema_version == len(MIGRATIONS)
        result = upgraded.add(_doc(JUYOU, texts.fill_masks(SAFETY), "juyou"))
    assert (result.match, result.record.dup_of) == ("near", root.id)


def test_reindex_with_new_parameters_rebuilds_everything(archive) -> None:
    archive.add(_doc(BAINA, SAFETY))
    archive.add(_doc(JUYOU, SAFETY, "juyou"))  # exact: marked, not hashed
    archive.add(_doc(HUIWEN, RURAL, "huiwen"))
    seen: list[tuple[int, int]] = []
    assert reindex(archive, MinHashParams.tuned(0.6), progress=lambda done, total: seen.append((done, total))) == 3
    assert seen[-1] == (3, 3)
    index = archive.near_index
    assert isinstance(index, MinHashIndex)
    assert index.params.threshold == 0.6
    assert (index.size(), index.pending()) == (2, 0)
    result = archive.add(_doc(JIANBIAO, texts.fill_masks(RURAL), "jianbiao"))
    assert result.match == "near"


def test_index_rows_roll_back_with_the_record(archive) -> None:
    store = archive.store
    archive.add(_doc(BAINA, RURAL))  # the index is loaded before the failing transaction

    def add_then_fail() -> None:
        with store.transaction():
            archive.add(_doc(BAINA, SAFETY, when="2024-04-01T00:00:00Z"))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        add_then_fail()
    counts = [
        store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
        for table in ("records", "minhash", "minhash_pending")
    ]
    assert counts == [1, 1, 0]
    # The loaded index forgot the rolled-back document too: its seq is taken by the next record,
    # and a copy of SAFETY must not be linked to that one (or to nothing that exists).
    other = archive.add(_doc(JUYOU, DISCIPLINE, "juyou")).record
    copy = archive.add(_doc(HUIWEN, texts.fill_masks(SAFETY), "huiwen"))
    assert (copy.status, copy.record.dup_of) == ("new", None)
    # (Undated: JIANBIAO sorts before JUYOU, so this copy takes over from DISCIPLINE's root.)
    assert archive.add(_doc(JIANBIAO, texts.fill_masks(DISCIPLINE))).previous_root == other.id


def test_index_on_a_plain_store(db_path: Path) -> None:
    store = SqliteStore(db_path)
    try:
        index = MinHashIndex(store)
        assert index.find(index.sketch(SAFETY), url=BAINA) is None
        assert "MinHashIndex" in repr(index)
        rebuilding = MinHashIndex(store, MinHashParams.tuned(0.7), rebuild=True)
        with pytest.raises(SchemaError, match="rebuild"):
            rebuilding.find(rebuilding.sketch(SAFETY), url=BAINA)
    finally:
        store.close()
