"""A dated, deduplicating archive of documents crawled from template-document sites.

Storage sits behind ``ArchiveStore`` (SQLite, chosen by URI scheme); raw HTTP captures go to WARC
files beside it, the near-duplicate index's signatures (MinHash LSH, ``MinHashIndex``) into a
table of the same database, its LSH buckets into memory (``BandTable``). This package never
imports Scrapy or ``crawler``.
"""

from __future__ import annotations

import logging

from archive._warc import pack_capture
from archive.core import AddResult, Archive
from archive.crawlstate import mark_run_finished
from archive.dedup import NearDupIndex, content_hash
from archive.errors import (
    ArchiveError,
    ArchiveFull,
    ArchiveIOError,
    ArchiveLocked,
    ArchiveNotFound,
    ArchiveReadOnly,
    BadFilter,
    CorruptArchive,
    ExportError,
    InvalidURI,
    RecordNotFound,
    SchemaError,
    UnknownScheme,
    archive_error_from,
)
from archive.neardup import DEFAULT_PARAMS, MinHashParams
from archive.neardup_sqlite import MinHashIndex, reindex
from archive.normalize import normalize_text
from archive.records import Capture, Record, Sighting, record_id
from archive.store import open_archive

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_PARAMS",
    "AddResult",
    "Archive",
    "ArchiveError",
    "ArchiveFull",
    "ArchiveIOError",
    "ArchiveLocked",
    "ArchiveNotFound",
    "ArchiveReadOnly",
    "BadFilter",
    "Capture",
    "CorruptArchive",
    "ExportError",
    "InvalidURI",
    "MinHashIndex",
    "MinHashParams",
    "NearDupIndex",
    "Record",
    "RecordNotFound",
    "SchemaError",
    "Sighting",
    "UnknownScheme",
    "archive_error_from",
    "content_hash",
    "mark_run_finished",
    "normalize_text",
    "open_archive",
    "pack_capture",
    "record_id",
    "reindex",
]
