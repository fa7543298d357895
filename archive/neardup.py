"""Near-duplicate detection: character shingles, MinHash signatures and their LSH band keys.

The index (``MinHashIndex``: signatures in the archive's own SQLite file, LSH buckets in memory)
is in ``archive.neardup_sqlite`` and ``archive.neardup_memory``; the parameters and the
measurements behind them are in ``docs/neardup.md``.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from archive.errors import SchemaError
from archive.normalize import normalize_text

if TYPE_CHECKING:
    from numpy.typing import NDArray

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_PARAMS",
    "SHINGLING",
    "MinHashParams",
    "Sketch",
    "band_key_matrix",
    "band_keys",
    "jaccard",
    "shingle_hashes",
    "shingle_text",
    "shingles",
    "signature",
    "sketch",
]

#: Name of the text-to-shingle-hash recipe: ``normalize_text``, punctuation and symbols (Unicode
#: P* and S*) removed, k-code-point shingles hashed by ``_poly_hash``, band keys by ``band_keys``.
#: Stored with every index; change it whenever any of those steps changes.
SHINGLING = "nfkc-nows-nops/cp-poly64/bandkey-poly64-v1"

# Unicode assigns no P*/S* character above plane 1 (true up to Unicode 15.1, checked by a test
# against the running Python): the table covers planes 0-1, code points above are kept.
_TABLE_LIMIT = 0x20000
# Odd 64-bit multipliers (golden ratio; MurmurHash3 fmix64 constants) of the polynomial hashes.
_POLY = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_S32 = np.uint64(32)
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
_MAX32 = np.uint32(0xFFFFFFFF)
# Shingle hashes per block of the (hashes x num_perm) product: bounds the temporary to 1 MB.
_BLOCK = 2048


@dataclass(frozen=True)
class MinHashParams:
    """The parameters of a near-duplicate index; stored with it, never mixed.

    Attributes:
        num_perm: MinHash permutations (signature length).
        bands: LSH bands; a record is a candidate when all ``rows`` values of one band agree.
        rows: Values per band (``bands * rows <= num_perm``).
        shingle_size: Characters per shingle.
        threshold: Estimated Jaccard similarity at or above which a candidate is a near-duplicate.
        scheme: datasketch permutation scheme; ``affine32`` (uint32 values) is the one
            implemented.
        seed: datasketch permutation seed.
        shingling: The ``SHINGLING`` recipe the signatures were made with.

    Raises:
        ValueError: Inconsistent values.
    """

    num_perm: int = 128
    bands: int = 32
    rows: int = 4
    shingle_size: int = 5
    threshold: float = 0.5
    scheme: Literal["affine32"] = "affine32"
    seed: int = 1
    shingling: str = SHINGLING

    def __post_init__(self) -> None:
        """Validate the parameters."""
        if self.scheme != "affine32":
            raise ValueError(f"scheme {self.scheme!r} is not implemented; use affine32")
        if min(self.num_perm, self.bands, self.rows, self.shingle_size) < 1:
            raise ValueError("num_perm, bands, rows and shingle_size must be positive")
        if self.bands * self.rows > self.num_perm:
            raise ValueError(
                f"bands * rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}; "
                "lower bands or rows"
            )
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold {self.threshold} is not in (0, 1]")

    @classmethod
    def tuned(cls, threshold: float = 0.5, num_perm: int = 128) -> MinHashParams:
        """Return parameters whose bands and rows suit ``threshold``.

        Bands and rows come from datasketch's ``_optimal_param`` with a false-negative weight of
        0.9: every candidate is confirmed by its estimated Jaccard, so a false positive of the
        LSH step costs one comparison while a false negative loses a duplicate.

        Args:
            threshold: The near-duplicate threshold (estimated Jaccard).
            num_perm: MinHash permutations.

        Returns:
            The parameters (``tuned(0.5, 128)`` gives 32 bands of 4 rows, the defaults).
        """
        # Imported here: only parameter tuning needs it (and it pulls in scipy when present).
        from datasketch.lsh import _optimal_param  # type: ignore[import-untyped, unused-ignore]

        bands, rows = _optimal_param(threshold, num_perm, 0.1, 0.9)
        return cls(num_perm=num_perm, bands=bands, rows=rows, threshold=threshold)

    @property
    def min_agree(self) -> int:
        """How many of ``num_perm`` signature values must agree to reach ``threshold``."""
        return int(np.ceil(self.threshold * self.num_perm - 1e-9))

    def to_meta(self) -> dict[str, str]:
        """Return the parameters as ``archive_meta`` rows (``neardup.<field>`` -> text)."""
        return {f"neardup.{name}": str(value) for name, value in asdict(self).items()}

    @classmethod
    def from_meta(cls, meta: dict[str, str]) -> MinHashParams | None:
        """Read parameters stored by ``to_meta``; None when none are stored.

        Raises:
            SchemaError: The stored parameters are incomplete, invalid, or use a shingling
                recipe this code does not implement.
        """
        values = {k.removeprefix("neardup."): v for k, v in meta.items() if k.startswith("neardup.")}
        if not values:
            return None
        try:
            parsed: dict[str, Any] = {}
            for spec in fields(cls):
                raw = values[spec.name]
                parsed[spec.name] = (
                    int(raw) if spec.type == "int" else float(raw) if spec.type == "float" else raw
                )
            params = cls(**parsed)
        except (KeyError, ValueError) as exc:
            raise SchemaError(
                f"the near-duplicate parameters stored in the archive are unreadable ({exc}); "
                "rebuild the index with `python -m archive reindex`"
            ) from None
        if params.shingling != SHINGLING:
            raise SchemaError(
                f"the near-duplicate index was built with shingling {params.shingling!r}, this "
                f"code computes {SHINGLING!r}; rebuild it with `python -m archive reindex`"
            )
        return params


#: The parameters new indexes get (see ``docs/neardup.md`` for the measurements behind them).
DEFAULT_PARAMS = MinHashParams()


@dataclass(frozen=True)
class Sketch:
    """What the index needs of one text, computed once per ``Archive.add``.

    Attributes:
        signature: The MinHash hash values (``params.num_perm`` uint32).
        keys: One LSH key per band (signed 64-bit ints).
    """

    signature: NDArray[np.uint32]
    keys: list[int]


@functools.cache
def _punct_mask() -> NDArray[np.bool_]:
    mask = np.zeros(_TABLE_LIMIT, dtype=np.bool_)
    for cp in range(_TABLE_LIMIT):
        if unicodedata.category(chr(cp))[0] in "PS":
            mask[cp] = True
    return mask


def _code_points(text: str) -> NDArray[np.uint32]:
    points = np.frombuffer(normalize_text(text).encode("utf-32-le"), dtype="<u4")
    # Index _TABLE_LIMIT - 1 (unassigned, so False) stands for every code point above the table.
    kept = points[~_punct_mask()[np.minimum(points, _TABLE_LIMIT - 1)]]
    return kept if len(kept) else points


def shingle_text(text: str) -> str:
    r"""Return the text that is shingled: ``normalize_text``, then punctuation and symbols removed.

    A text made only of punctuation keeps it (so that it is not everyone's duplicate).

    Example:
        >>> shingle_text("同志们：\n  一是，xx同志……")
        '同志们一是xx同志'
    """
    return _code_points(text).tobytes().decode("utf-32-le")


def shingles(text: str, k: int = 5) -> set[str]:
    """Return the set of ``k``-character shingles of ``shingle_text(text)``.

    Args:
        text: Any text.
        k: Shingle length in characters (code points).

    Returns:
        Every substring of length ``k``; a text shorter than ``k`` is one shingle of itself.

    Example:
        >>> sorted(shingles("不忘初心、牢记使命", k=5))
        ['不忘初心牢', '初心牢记使', '心牢记使命', '忘初心牢记']
    """
    s = shingle_text(text)
    if len(s) <= k:
        return {s}
    return {s[i : i + k] for i in range(len(s) - k + 1)}


def _poly_hash(values: NDArray[np.uint64], width: int) -> NDArray[np.uint64]:
    # h = (((v0 * P + v1) * P + v2) ...) mod 2**64 over each window of ``width`` values, then the
    # MurmurHash3 64-bit finalizer so that every output bit depends on every input value.
    n = len(values) - width + 1
    h = np.zeros(n, dtype=np.uint64)
    for j in range(width):
        h *= _POLY
        h += values[j : j + n]
    h ^= h >> _S33
    h *= _MIX1
    h ^= h >> _S33
    h *= _MIX2
    h ^= h >> _S33
    return h


def shingle_hashes(text: str, k: int = 5) -> NDArray[np.uint32]:
    """Return a 32-bit hash of every shingle of ``text`` (as ``shingles``; repeats possible).

    The hash of a shingle is the ``_poly_hash`` of its code points folded to its high 32 bits:
    numpy computes all of them at once, about 100 times faster than hashing each shingle string.

    Args:
        text: Any text.
        k: Shingle length.

    Returns:
        One uint32 per shingle position (one value for a text of at most ``k`` characters).
    """
    points = _code_points(text).astype(np.uint64)
    width = min(k, len(points)) or 1
    if not len(points):
        points = np.zeros(1, dtype=np.uint64)
    return (_poly_hash(points, width) >> _S32).astype(np.uint32)


@functools.cache
def _permutations(num_perm: int, seed: int) -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
    # Imported on first use: datasketch pulls in scipy, most of every archive command's start-up,
    # and commands that compute no signature (stats, show, runs, export) never pay for it.
    from datasketch import MinHash  # type: ignore[import-untyped, unused-ignore]

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def prepare(params: MinHashParams = DEFAULT_PARAMS) -> None:
    """Do the first signature's one-off work now (import datasketch, draw the permutations: ~0.8 s)."""
    _permutations(params.num_perm, params.seed)


def _fmix32(h: NDArray[np.uint32]) -> NDArray[np.uint32]:
    s1, m1, s2, m2 = _FMIX32
    h = h ^ (h >> s1)
    h *= m1
    h ^= h >> s2
    h *= m2
    h ^= h >> s1
    return h


def signature(text: str, params: MinHashParams = DEFAULT_PARAMS) -> NDArray[np.uint32]:
    """Return the MinHash signature of ``text``'s shingles.

    The values are exactly those of datasketch's ``MinHash(num_perm, seed=seed,
    scheme="affine32")`` after ``update_batch`` over ``shingle_hashes(text)`` with the identity
    as hash function (a test checks it bit for bit): the same permutations and arithmetic
    (MurmurHash3 fmix32, then ``a * h + b`` mod 2**32, minimum per permutation), computed in
    place in blocks, which takes half the time of ``update_batch`` (its per-value Python call and
    full-size temporaries): 0.5 ms instead of 1.2 ms for 5,000 characters.

    Args:
        text: Any text.
        params: The index parameters.

    Returns:
        ``params.num_perm`` uint32 values.

    Example:
        >>> signature("同志们，大家好").shape
        (128,)
    """
    a, b = _permutations(params.num_perm, params.seed)
    hashes = _fmix32(shingle_hashes(text, params.shingle_size))
    result = np.full(params.num_perm, _MAX32, dtype=np.uint32)
    block = np.empty((min(_BLOCK, len(hashes)), params.num_perm), dtype=np.uint32)
    for start in range(0, len(hashes), _BLOCK):
        chunk = hashes[start : start + _BLOCK]
        product = block[: len(chunk)]
        np.multiply(chunk[:, None], a, out=product)
        product += b
        np.minimum(result, product.min(axis=0), out=result)
    return result


def band_keys(sig: NDArray[np.uint32], params: MinHashParams = DEFAULT_PARAMS) -> list[int]:
    """Return the LSH key of each band of ``sig``: a signed 64-bit hash of its ``rows`` values.

    Args:
        sig: A signature from ``signature``.
        params: The index parameters.

    Returns:
        ``params.bands`` ints, band ``i`` made of values ``i * rows`` to ``(i + 1) * rows - 1``.
    """
    keys: list[int] = band_key_matrix(sig[None, :], params)[0].tolist()
    return keys


def band_key_matrix(sigs: NDArray[np.uint32], params: MinHashParams = DEFAULT_PARAMS) -> NDArray[np.int64]:
    """Return ``band_keys`` of every row of ``sigs`` (``(n, num_perm)``) as an ``(n, bands)`` array.

    The index loads stored signatures this way: their keys are computed again, never stored.
    """
    n = len(sigs)
    used = sigs[:, : params.bands * params.rows].astype(np.uint64).reshape(n, params.bands, params.rows)
    h = np.zeros((n, params.bands), dtype=np.uint64)
    for j in range(params.rows):
        h *= _POLY
        h += used[:, :, j]
    h ^= h >> _S33
    h *= _MIX1
    h ^= h >> _S33
    keys: NDArray[np.int64] = h.view(np.int64)
    return keys


def sketch(text: str, params: MinHashParams = DEFAULT_PARAMS) -> Sketch:
    """Return the signature and band keys of ``text``."""
    sig = signature(text, params)
    return Sketch(sig, band_keys(sig, params))


def jaccard(a: str, b: str, k: int = 5) -> float:
    """Return the exact Jaccard similarity of the shingle sets of two texts.

    Example:
        >>> round(jaccard("一二三四五六七", "一二三四五六八"), 2)
        0.5
    """
    sa, sb = shingles(a, k), shingles(b, k)
    return len(sa & sb) / len(sa | sb)
