"""Tests of ``BandTable``, the in-memory LSH buckets of the near-duplicate index."""

from __future__ import annotations

import platform

import numpy as np
import pytest

import archive.neardup_memory
from archive.neardup import DEFAULT_PARAMS, band_key_matrix, signature
from archive.neardup_memory import BUCKET_LIMIT, BandTable, bucket_keys, release_free_memory
from tests.archive import texts
from tests.archive.texts import DISCIPLINE, RURAL, SAFETY


def _append(table: BandTable, seqs: list[int], roots: list[int], sigs: np.ndarray) -> None:
    table.append(seqs, roots, sigs, band_key_matrix(sigs, DEFAULT_PARAMS))


def _sig(text: str) -> np.ndarray:
    return signature(text, DEFAULT_PARAMS)


def test_bucket_keys_differ_per_band_for_the_same_key() -> None:
    same = np.full((1, 32), 123456789, dtype=np.int64)
    assert len(set(bucket_keys(same)[0].tolist())) == 32
    assert int(bucket_keys(same).max()) < 2**32


def test_matches_name_root_and_seq_earliest_root_first() -> None:
    table = BandTable(DEFAULT_PARAMS)
    sigs = np.stack([_sig(SAFETY), _sig(RURAL), _sig(texts.fill_masks(SAFETY))])
    _append(table, [10, 11, 12], [10, 11, 10], sigs)
    query = _sig(texts.drop_paragraph(SAFETY, 2))
    keys = band_key_matrix(query[None, :], DEFAULT_PARAMS)[0].tolist()
    assert table.matches(query, keys) == [(10, 10), (10, 12)]
    assert table.last_seq == 12
    assert len(table) == 3
    unrelated = _sig(DISCIPLINE)
    assert table.matches(unrelated, band_key_matrix(unrelated[None, :])[0].tolist()) == []


def test_truncate_forgets_later_documents() -> None:
    table = BandTable(DEFAULT_PARAMS)
    _append(table, [1], [1], _sig(RURAL)[None, :])
    _append(table, [2], [2], _sig(SAFETY)[None, :])
    table.truncate(1)
    query = _sig(texts.fill_masks(SAFETY))
    assert table.matches(query, band_key_matrix(query[None, :])[0].tolist()) == []
    assert (len(table), table.last_seq) == (1, 1)
    _append(table, [3], [3], _sig(SAFETY)[None, :])  # the position is reused
    assert table.matches(query, band_key_matrix(query[None, :])[0].tolist()) == [(3, 3)]


def test_buckets_keep_the_earliest_members_and_rank_by_shared_bands(monkeypatch) -> None:
    monkeypatch.setattr(archive.neardup_memory, "_RECENT_LIMIT", 64)  # force merges
    table = BandTable(DEFAULT_PARAMS)
    rng = np.random.default_rng(7)
    n = 3 * BUCKET_LIMIT
    sigs = rng.integers(0, 2**32, size=(n, 128), dtype=np.uint32)
    keys = np.zeros((n, 32), dtype=np.int64)
    keys[:, 0] = 42  # every document shares band 0's key
    keys[n - 1, :5] = 42 + np.arange(5)  # the last one shares five bands with the query
    for start in range(0, n, 10):
        table.append(list(range(start + 1, min(start + 11, n + 1))), list(range(start + 1, min(start + 11, n + 1))),
                     sigs[start : start + 10], keys[start : start + 10])
    query = [42, 43, 44, 45, 46] + [7] * 27
    found = table.candidates(query)
    assert found[0] == n - 1  # most shared bands first
    assert sorted(found[1:].tolist()) == list(range(BUCKET_LIMIT))  # band 0: the earliest 32
    everything = table.candidates(query, bucket_limit=None, max_candidates=None)
    assert len(everything) == n


@pytest.mark.parametrize("rows", [1, 1000])
def test_memory_per_document_is_the_compact_layout(rows: int) -> None:
    table = BandTable(DEFAULT_PARAMS)
    rng = np.random.default_rng(1)
    sigs = rng.integers(0, 2**32, size=(rows, 128), dtype=np.uint32)
    _append(table, list(range(1, rows + 1)), list(range(1, rows + 1)), sigs)
    used = 32 * 8 + 128 * 2 + 2 * 8  # entries, 16-bit signature, seq and root
    assert table.nbytes <= used * rows + 1024 * (128 * 2 + 16)  # plus the columns' spare room


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_free_memory_is_handed_back_on_glibc() -> None:
    assert archive.neardup_memory._malloc_trim() is not None
    assert isinstance(release_free_memory(), bool)


@pytest.mark.parametrize("expected", [5, 40, 400])  # too few (the array grows), exact, spare room
def test_load_gives_the_table_append_gives(expected: int) -> None:
    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 2**32, size=(40, 128), dtype=np.uint32)
    keys = rng.integers(0, 4, size=(40, 32), dtype=np.int64)  # few keys: crowded buckets
    appended, loaded = BandTable(DEFAULT_PARAMS), BandTable(DEFAULT_PARAMS)
    for table in (appended, loaded):  # a few documents already there, still in the small array
        table.append([1, 2], [1, 1], sigs[:2], keys[:2])
    appended.append(list(range(3, 41)), list(range(3, 41)), sigs[2:], keys[2:])
    batches = [(list(range(s + 1, s + 11)), list(range(s + 1, s + 11)), sigs[s : s + 10], keys[s : s + 10])
               for s in range(2, 40, 10)]
    batches[-1] = tuple(part[:8] for part in batches[-1])  # 38 documents in 4 batches
    loaded.load(batches, expected=expected)
    assert (len(loaded), loaded.last_seq) == (40, 40)
    for query in keys[:10]:
        assert loaded.candidates(query).tolist() == appended.candidates(query).tolist()
        # Full buckets keep their earliest members, whichever array they came from.
        assert (
            loaded.candidates(query, bucket_limit=3).tolist() == appended.candidates(query, bucket_limit=3).tolist()
        )
        assert (
            loaded.candidates(query, bucket_limit=None, max_candidates=None).tolist()
            == appended.candidates(query, bucket_limit=None, max_candidates=None).tolist()
        )
    assert loaded.matches(sigs[5], keys[5].tolist()) == [(6, 6)]


def test_merge_is_np_insert_into_arrays_of_their_own_when_large() -> None:
    from archive.neardup_memory import _OWN_MAPPING, _empty, _merge

    rng = np.random.default_rng(5)
    for n, k in [(10, 3), (1000, 1000), (200_000, 300_000)]:
        a = np.sort(rng.integers(0, 1000, n).astype(np.uint64))  # repeated values too
        b = np.sort(rng.integers(0, 1000, k).astype(np.uint64))
        merged = _merge(a, b)
        assert np.array_equal(merged, np.insert(a, np.searchsorted(a, b), b))
        assert np.array_equal(_merge(a, b, allocate=np.empty), merged)
    import mmap

    large = _empty(_OWN_MAPPING // 8, np.uint64)
    base = large
    while isinstance(base, np.ndarray):
        base = base.base
    assert large.flags.writeable and isinstance(base, memoryview) and isinstance(base.obj, mmap.mmap)
    assert _empty(16, np.uint64).base is None  # small: numpy's own (the heap)
