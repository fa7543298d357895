"""Duplicate detection: the exact content hash, and the interface of a near-duplicate index."""

from __future__ import annotations

import hashlib
import logging
from typing import Protocol, runtime_checkable

from archive.normalize import normalize_text

logger = logging.getLogger(__name__)

__all__ = ["NearDupIndex", "content_hash"]


def content_hash(text: str) -> str:
    r"""Return the exact-duplicate key of a document text.

    Args:
        text: The record text.

    Returns:
        The sha256 hex digest of ``normalize_text(text)`` (UTF-8).

    Example:
        >>> content_hash("第一条\u3000\uff21\uff22\uff23\n\uff11\uff12\uff13")[:16]
        '5bbd5203a15cf132'
    """
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


@runtime_checkable
class NearDupIndex(Protocol):
    """An index of stored texts that can name a near-duplicate of a new text.

    ``Archive`` asks ``find`` for every record that has no exact duplicate and calls ``add`` for
    every record it stores (after the write has committed). A MinHash-LSH implementation
    (``DEDUP_NEAR_THRESHOLD``, ``DEDUP_NUM_PERM``) is to plug in here; it should shingle
    ``normalize_text(text)`` so it agrees with ``content_hash``.
    """

    def find(self, text: str) -> str | None:
        """Return the id of a stored record whose text is a near-duplicate of ``text``, or None."""
        ...

    def add(self, record_id: str, text: str) -> None:
        """Index the text of the stored record ``record_id``."""
        ...
