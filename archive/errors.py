"""Exceptions raised by the archive.

Every message is one line that names the problem and then, after a semicolon, the fix, so
the CLI can print it as-is (``error: <problem>; <fix>``).
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

__all__ = [
    "ArchiveError",
    "ArchiveNotFound",
    "BadFilter",
    "CorruptArchive",
    "ExportError",
    "InvalidURI",
    "RecordNotFound",
    "SchemaError",
    "UnknownScheme",
]


class ArchiveError(Exception):
    """Base class of every error the archive raises on purpose."""


class ArchiveNotFound(ArchiveError):
    """The archive does not exist and the caller asked not to create it."""


class RecordNotFound(ArchiveError):
    """No record (or capture) has the requested id."""


class SchemaError(ArchiveError):
    """The store has a schema this code cannot use (newer version, or not an archive)."""


class CorruptArchive(ArchiveError):
    """The store or one of its raw-capture files cannot be read."""


class UnknownScheme(ArchiveError, ValueError):
    """The archive URI names a storage scheme that has no backend."""


class InvalidURI(ArchiveError, ValueError):
    """The archive URI is malformed (for example ``sqlite://host/path``)."""


class BadFilter(ArchiveError, ValueError):
    """A record filter is invalid: unknown site, unparsable date, ``since`` after ``until``."""


class ExportError(ArchiveError):
    """The export output cannot be written (missing directory, permission, not a file)."""
