"""``BandTable``: the LSH buckets of every indexed signature, held compactly in memory.

A lookup in SQLite tables of band keys costs one random page read per band once the archive
outgrows the OS page cache (p99 3.9 ms at a million documents, 11.7 ms with nothing cached;
``docs/neardup.md``). Here the buckets are one sorted array of 64-bit entries (a 32-bit bucket
key over a 32-bit position), so a lookup is two binary searches over it, and candidates are
confirmed on the low 16 bits of each signature value (b-bit minwise hashing, Li and König 2010).
Per document that is ``bands * 8 + num_perm * 2 + 16`` bytes: 528 with the default parameters.

Pure numpy: ``MinHashIndex`` (``archive.neardup_sqlite``) fills it from the signatures stored in
the archive, the only copy that persists.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math
import mmap
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from numpy.typing import NDArray

    from archive.neardup import MinHashParams

__all__ = ["BUCKET_LIMIT", "MAX_CANDIDATES", "BandTable", "Batch", "release_free_memory"]

#: ``BandTable.append``'s arguments: seqs, root seqs, ``(n, num_perm)`` signatures, ``(n, bands)``
#: band keys.
Batch = tuple["Sequence[int] | NDArray[np.int64]", "Sequence[int] | NDArray[np.int64]",
              "NDArray[np.uint32]", "NDArray[np.int64]"]

#: Stock phrases make some buckets hold thousands of unrelated documents that share one band each;
#: so each bucket contributes at most BUCKET_LIMIT members (the earliest), and the signatures of
#: at most MAX_CANDIDATES documents, those sharing the most bands, are compared. A true
#: near-duplicate shares many bands (about 17 of 32 at Jaccard 0.85), so a full bucket does not
#: hide it.
BUCKET_LIMIT = 32
MAX_CANDIDATES = 64

# New entries go to a small sorted array first (inserting into it copies at most 2 MB); it is
# merged into the large one when it reaches this many entries, so a merge (one copy of the large
# array) happens once per 8,192 documents at 32 bands.
_RECENT_LIMIT = 1 << 18
_LOW32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
# Spreads the band number over the key before it is folded to 32 bits (odd 64-bit constants:
# golden ratio; MurmurHash3 fmix64).
_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
_S29 = np.uint64(29)
# Arrays at least this large get an anonymous mapping of their own (``_empty``).
_OWN_MAPPING = 1 << 20


def bucket_keys(band_keys: NDArray[np.int64]) -> NDArray[np.uint64]:
    """Fold band keys (``(n, bands)`` or ``(bands,)`` signed 64-bit) to 32-bit bucket keys.

    One table holds every band, so the band number is mixed in: the same key in two bands is two
    buckets. Two different keys that fold to one bucket only add a candidate, which the
    signature comparison rejects.
    """
    keys = np.asarray(band_keys, dtype=np.int64).view(np.uint64)
    bands = np.arange(1, keys.shape[-1] + 1, dtype=np.uint64) * _BAND_MIX
    h = keys ^ bands
    h ^= h >> _S29
    h *= _MIX
    result: NDArray[np.uint64] = h >> _S32
    return result


def _empty(shape: int | tuple[int, ...], dtype: Any) -> NDArray[Any]:
    """``np.empty(shape, dtype)``, in an anonymous mapping of its own when it is large.

    The table's arrays only ever grow, and each growth or merge frees the previous, smaller
    array. In glibc's heap (where it puts blocks up to its moving mmap threshold, up to 32 MiB)
    such a freed block is then split by the small allocations of everything else in the process,
    and stays mapped: a 20,000-document crawl held half a kilobyte per document more than the
    table. A mapping of its own is returned to the OS when the array is freed, and pages never
    written (spare capacity) are never resident.
    """
    dims = (shape,) if isinstance(shape, int) else shape
    kind = np.dtype(dtype)
    nbytes = math.prod(dims) * kind.itemsize
    if nbytes < _OWN_MAPPING:
        return np.empty(dims, dtype=kind)
    return np.frombuffer(mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE), dtype=kind).reshape(dims)


class _Column:
    """A numpy array that grows at its end (by a quarter, so appends cost O(1) amortised)."""

    def __init__(self, dtype: type[np.generic], width: int = 0) -> None:
        self._data: NDArray[np.generic] = np.empty((0, width) if width else 0, dtype=dtype)
        self.size = 0

    @property
    def values(self) -> NDArray[np.generic]:
        return self._data[: self.size]

    def extend(self, values: NDArray[np.generic]) -> None:
        needed = self.size + len(values)
        if needed > len(self._data):
            self.reserve(max(needed, len(self._data) * 5 // 4 + 1024))
        self._data[self.size : needed] = values
        self.size = needed

    def truncate(self, size: int) -> None:
        self.size = min(size, self.size)

    def reserve(self, capacity: int) -> None:
        # np.empty maps pages lazily: capacity that is never written never becomes resident.
        if capacity > len(self._data):
            grown = _empty((capacity, *self._data.shape[1:]), self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)


class BandTable:
    """The LSH buckets, 16-bit signatures, seqs and roots of the indexed documents.

    Documents get positions 0, 1, 2, ... in the order they are appended, which callers keep
    equal to the order of their ``seq``: "earliest" is the lowest position. The root of each is
    the one it had when appended; it only orders ``matches``: a document's root changes when a
    copy that sorts before it is stored, so ``MinHashIndex`` reads a match's current root from
    the archive.

    Args:
        params: The index parameters (bands, rows, num_perm, threshold).
    """

    def __init__(self, params: MinHashParams) -> None:
        """Create an empty table; see the class docstring."""
        self.params = params
        self._entries: NDArray[np.uint64] = np.empty(0, dtype=np.uint64)  # sorted
        self._recent: NDArray[np.uint64] = np.empty(0, dtype=np.uint64)  # sorted, newer
        self._seq = _Column(np.int64)
        self._root = _Column(np.int64)
        self._sig = _Column(np.uint16, params.num_perm)

    def __len__(self) -> int:
        """Return the number of documents."""
        return self._seq.size

    @property
    def last_seq(self) -> int:
        """The seq of the last document appended (0 when empty)."""
        return int(self._seq.values[-1]) if len(self) else 0

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (their spare capacity included)."""
        columns = self._seq.nbytes + self._root.nbytes + self._sig.nbytes
        return int(self._entries.nbytes + self._recent.nbytes + columns)

    def append(
        self,
        seqs: Sequence[int] | NDArray[np.int64],
        roots: Sequence[int] | NDArray[np.int64],
        signatures: NDArray[np.uint32],
        band_keys: NDArray[np.int64],
    ) -> None:
        """Add documents (``seqs`` ascending, above ``last_seq``).

        Args:
            seqs: Their seqs.
            roots: The seq of each one's root document.
            signatures: ``(n, num_perm)`` MinHash values.
            band_keys: ``(n, bands)`` keys from ``band_keys``.
        """
        if not len(seqs):
            return
        entries = self._add_columns(seqs, roots, signatures, band_keys)
        # The small array is rebuilt for every document: in the heap, where its blocks are reused.
        self._recent = _merge(self._recent, np.sort(entries, axis=None), allocate=np.empty)
        if len(self._recent) >= _RECENT_LIMIT:
            self._entries, self._recent = _merge(self._entries, self._recent), self._recent[:0]

    def load(self, batches: Iterable[Batch], expected: int) -> None:
        """Add many documents at once (``append``'s arguments, batch by batch).

        Their entries are written unsorted into one array and sorted once, in place: a million
        documents load with one array of entries in memory, not one per merge.

        Args:
            batches: ``(seqs, roots, signatures, band_keys)`` tuples, seqs ascending.
            expected: How many documents, or more (unused room costs no resident memory).
        """
        bands = self.params.bands
        fresh = _empty(expected * bands, np.uint64)
        for column in (self._seq, self._root, self._sig):
            column.reserve(len(self) + expected)
        filled = 0
        for seqs, roots, signatures, band_keys in batches:
            entries = self._add_columns(seqs, roots, signatures, band_keys).ravel()
            if filled + len(entries) > len(fresh):  # more than expected: grow (not expected)
                grown = _empty(len(fresh) + len(fresh) // 4 + len(entries), np.uint64)
                grown[:filled] = fresh[:filled]
                fresh = grown
            fresh[filled : filled + len(entries)] = entries
            filled += len(entries)
        loaded = fresh[:filled]
        loaded.sort()
        # One sorted array again, so that older positions still come first in every bucket.
        self._entries = _merge(_merge(self._entries, self._recent), loaded)
        self._recent = self._recent[:0]

    def _add_columns(
        self,
        seqs: Sequence[int] | NDArray[np.int64],
        roots: Sequence[int] | NDArray[np.int64],
        signatures: NDArray[np.uint32],
        band_keys: NDArray[np.int64],
    ) -> NDArray[np.uint64]:
        # Stores the columns; returns the documents' (n, bands) entries, unsorted.
        start = len(self)
        positions = np.arange(start, start + len(seqs), dtype=np.uint64)
        self._seq.extend(np.asarray(seqs, dtype=np.int64))
        self._root.extend(np.asarray(roots, dtype=np.int64))
        self._sig.extend(_low16(signatures))
        entries: NDArray[np.uint64] = (bucket_keys(band_keys) << _S32) | positions[:, None]
        return entries

    def truncate(self, size: int) -> None:
        """Forget every document from position ``size`` on (their transaction rolled back)."""
        if size >= len(self):
            return
        for name in ("_entries", "_recent"):
            entries = getattr(self, name)
            setattr(self, name, entries[(entries & _LOW32) < np.uint64(size)])
        for column in (self._seq, self._root, self._sig):
            column.truncate(size)

    def candidates(
        self,
        band_keys: Sequence[int],
        *,
        bucket_limit: int | None = BUCKET_LIMIT,
        max_candidates: int | None = MAX_CANDIDATES,
    ) -> NDArray[np.intp]:
        """Return the positions sharing a bucket with ``band_keys``: most shared bands first.

        Args:
            band_keys: One document's band keys.
            bucket_limit: Members taken per bucket, the earliest (None: all).
            max_candidates: Positions returned (None: all).
        """
        queries = bucket_keys(np.asarray(band_keys, dtype=np.int64)) << _S32
        found: list[NDArray[np.uint64]] = []
        room = np.full(len(queries), bucket_limit or len(self) or 1, dtype=np.intp)
        for entries in (self._entries, self._recent):  # older positions first
            lo = np.searchsorted(entries, queries)
            hi = np.minimum(np.searchsorted(entries, queries | _LOW32, side="right"), lo + room)
            for i in np.flatnonzero(hi > lo):
                found.append(entries[lo[i] : hi[i]])
            room -= hi - lo
        if not found:
            return np.empty(0, dtype=np.intp)
        positions, shared = np.unique(np.concatenate(found) & _LOW32, return_counts=True)
        ranked: NDArray[np.intp] = positions[np.lexsort((positions, -shared))][:max_candidates]
        return ranked.astype(np.intp)

    def matches(self, signature: NDArray[np.uint32], band_keys: Sequence[int]) -> list[tuple[int, int]]:
        """Return ``(root seq, seq)`` of the candidates near ``signature``, by root seq as appended.

        A candidate matches when at least ``params.min_agree`` of its 16-bit values equal the
        signature's: two unrelated values agree by chance once in 65,536, so the estimate is the
        32-bit one to within 0.01 of a value on average.
        """
        positions = self.candidates(band_keys)
        if not len(positions):
            return []
        agree = np.count_nonzero(self._sig.values[positions] == _low16(signature), axis=1)
        hits = positions[agree >= self.params.min_agree]
        return sorted(zip(self._root.values[hits].tolist(), self._seq.values[hits].tolist(), strict=True))


def _low16(signatures: NDArray[np.uint32]) -> NDArray[np.uint16]:
    return (np.asarray(signatures) & np.uint32(0xFFFF)).astype(np.uint16)


def _merge(
    a: NDArray[np.uint64], b: NDArray[np.uint64], *, allocate: Callable[[int, Any], NDArray[Any]] = _empty
) -> NDArray[np.uint64]:
    # Both sorted: insert b at its places in a (one copy of a, no sort of it), as np.insert does,
    # into an array from ``allocate``. Arrays are never changed in place once merged, so returning
    # an argument as it is shares nothing that moves.
    if not len(a):
        return b
    if not len(b):
        return a
    merged: NDArray[np.uint64] = allocate(len(a) + len(b), np.uint64)
    at = np.searchsorted(a, b) + np.arange(len(b))  # b[i] goes before the a values >= it
    rest = np.ones(len(merged), dtype=bool)
    rest[at] = False
    merged[at] = b
    merged[rest] = a
    return merged


def release_free_memory() -> bool:
    """Hand the C heap's free pages back to the OS (glibc ``malloc_trim``); False elsewhere.

    Loading a large index frees batch-sized temporaries that glibc keeps mapped for reuse:
    measured at 200,000 documents, the process held 784 bytes per document after a load instead
    of 574. Dask's workers trim memory the same way.
    """
    trim = _malloc_trim()
    return bool(trim is not None and trim(0))


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None
    return trim
