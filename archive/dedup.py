"""Duplicate detection: the exact content hash, and the interface of a near-duplicate index."""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Protocol, runtime_checkable

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
    """An index of stored texts that can name the document a new text is a near-duplicate of.

    ``Archive.add`` runs everything inside the store's write transaction: for a record with no
    exact duplicate it computes ``sketch(text)`` once, asks ``find``, and after inserting the
    record calls ``add`` with the same sketch (with None for an exact duplicate, whose text the
    index already holds). An index that writes should use the store's connection, so that its
    rows commit or roll back with the record. ``archive.neardup_sqlite.MinHashIndex`` is the
    implementation; it shingles ``normalize_text(text)`` so it agrees with ``content_hash``.
    """

    def sketch(self, text: str) -> Any:
        """Return what ``find`` and ``add`` need to know of ``text`` (e.g. a MinHash signature)."""
        ...

    def find(self, sketch: Any, *, url: str) -> str | None:
        """Return the id of the earliest document near ``sketch``, or None.

        Args:
            sketch: From ``sketch(text)``.
            url: The URL being added: its own older versions, and documents first seen at it,
                are not duplicates of it.

        Returns:
            The id of the root record (``dup_of`` null) of the matching document that was stored
            first.
        """
        ...

    def add(self, record_id: str, sketch: Any | None) -> None:
        """Index the just-inserted record ``record_id`` (``sketch`` None: an exact duplicate)."""
        ...
