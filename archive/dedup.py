"""Duplicate detection: the exact content hash, the first-copy rule, and the near-duplicate index's interface."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol, runtime_checkable

from archive.normalize import normalize_text

logger = logging.getLogger(__name__)

__all__ = ["CopyKey", "NearDupIndex", "content_hash", "first_copy_key"]

#: ``first_copy_key``'s value: (undated, publication time on the Asia/Shanghai clock, url).
CopyKey = tuple[bool, str, str]

# The extractor writes the sites' times with this offset (crawler.extract.dates); converting any
# other offset to it keeps every dated key on one clock, so that keys compare as strings.
_SITE_CLOCK = timezone(timedelta(hours=8))


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


def first_copy_key(published_at: str | None, url: str) -> CopyKey:
    """Return the sort key of one copy of a document: the copy whose key is smallest is its root.

    The rule (the only place it is defined): the copy with the earliest ``published_at`` comes
    first, since that is the page's own date and an original is published before its
    republications; undated copies come after every dated one; equal dates, and undated copies
    among themselves, are ordered by URL (code-point order). Nothing else counts, neither when a
    copy was crawled nor the order records were added, so the same copies give the same root
    whichever spider reached them first.

    Dates compare on the Asia/Shanghai clock the extractor writes them in
    (``2022-09-15T15:10:05+08:00``): a time with another offset is converted to it, a time
    without one is taken as written, a bare date (``2023-04-24``) is the start of its day, before
    every time on that day. A value that is not ISO 8601 compares as written.

    Args:
        published_at: The copy's ``published_at`` (None or empty: undated).
        url: The copy's URL.

    Returns:
        A tuple to compare with ``<``; equal only for the same date and URL.

    Example:
        >>> first_copy_key("2023-04-24", "https://b.example/1") < first_copy_key(
        ...     "2023-04-24T09:00:00+08:00", "https://a.example/1")
        True
        >>> first_copy_key(None, "https://a.example/1") > first_copy_key("2030-01-01", "https://z.example/")
        True
    """
    if not published_at:
        return (True, "", url)
    return (False, _site_clock(published_at), url)


def _site_clock(published_at: str) -> str:
    if len(published_at) == len("2023-04-24"):
        return published_at
    try:
        moment = datetime.fromisoformat(published_at)
    except ValueError:
        return published_at
    if moment.tzinfo is not None:
        moment = moment.astimezone(_SITE_CLOCK).replace(tzinfo=None)
    return moment.isoformat()


@runtime_checkable
class NearDupIndex(Protocol):
    """An index of stored texts that can name the document a new text is a near-duplicate of.

    ``Archive.add`` runs everything inside the store's write transaction: for a record with no
    exact duplicate it computes ``sketch(text)`` once (on a ``contended`` store, for every text
    and before the transaction, which holds the write lock), asks ``find``, and after inserting the
    record calls ``add`` with the same sketch (with None for an exact duplicate, whose text the
    index already holds). An index that writes should use the store's connection, so that its
    rows commit or roll back with the record. ``archive.neardup_sqlite.MinHashIndex`` is the
    implementation; it shingles ``normalize_text(text)`` so it agrees with ``content_hash``.
    """

    def sketch(self, text: str) -> Any:
        """Return what ``find`` and ``add`` need to know of ``text`` (e.g. a MinHash signature)."""
        ...

    def find(self, sketch: Any, *, url: str) -> str | None:
        """Return the id of the root of the document near ``sketch`` whose root comes first, or None.

        Args:
            sketch: From ``sketch(text)``.
            url: The URL being added: its own older versions, and documents rooted at it, are
                not duplicates of it.

        Returns:
            The id of a root record (``dup_of`` null): of all the matching documents, the one whose
            root has the smallest ``first_copy_key`` (not the one stored first). The root is the
            current one: ``Archive.add`` re-points a document when a copy that sorts before its
            root arrives, and the answer must follow.
        """
        ...

    def add(self, record_id: str, sketch: Any | None) -> None:
        """Index the just-inserted record ``record_id`` (``sketch`` None: an exact duplicate)."""
        ...
