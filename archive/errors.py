"""Exceptions raised by the archive, and the one place that names a failure of its environment.

Every message is one line that names the problem and then, after a semicolon, the fix, so
the CLI can print it as-is (``error: <problem>; <fix>``). Every class has a ``reason``: the
finish-reason name a crawl that stopped on it reports (``archive_disk_full``, ...).

``archive_error_from`` turns a ``sqlite3`` or OS error met while reading or writing the store
into the named error (full disk, read-only, locked, damaged, I/O failure); the store calls it
for every operation, so callers never see a raw ``sqlite3.Error`` or ``OSError``.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
from pathlib import Path

logger = logging.getLogger(__name__)

__all__ = [
    "ArchiveError",
    "ArchiveFull",
    "ArchiveIOError",
    "ArchiveLocked",
    "ArchiveNotFound",
    "ArchiveReadOnly",
    "BadFilter",
    "CorruptArchive",
    "ExportError",
    "InvalidURI",
    "RecordNotFound",
    "SchemaError",
    "UnknownScheme",
    "archive_error_from",
    "read_only_problem",
    "recover_hint",
]


class ArchiveError(Exception):
    """Base class of every error the archive raises on purpose."""

    #: The finish reason of a crawl stopped by this error.
    reason: str = "archive_error"


class ArchiveNotFound(ArchiveError):
    """The archive does not exist and the caller asked not to create it."""

    reason = "archive_not_found"


class RecordNotFound(ArchiveError):
    """No record (or capture) has the requested id."""

    reason = "record_not_found"


class SchemaError(ArchiveError):
    """The store has a schema this code cannot use (newer version, or not an archive)."""

    reason = "archive_schema"


class CorruptArchive(ArchiveError):
    """The store or one of its raw-capture files is damaged (or is not an archive at all)."""

    reason = "archive_damaged"


class ArchiveFull(ArchiveError):
    """A write failed for lack of space: disk or quota full, or the file size limit reached."""

    reason = "archive_disk_full"


class ArchiveReadOnly(ArchiveError):
    """The archive file, its folder or its file system is not writable (or was opened read-only)."""

    reason = "archive_read_only"


class ArchiveLocked(ArchiveError):
    """Another connection held the archive's write lock for longer than the busy timeout."""

    reason = "archive_locked"


class ArchiveIOError(ArchiveError):
    """The operating system failed a read or write for another reason (I/O error, missing folder)."""

    reason = "archive_io_error"


class UnknownScheme(ArchiveError, ValueError):
    """The archive URI names a storage scheme that has no backend."""

    reason = "archive_uri"


class InvalidURI(ArchiveError, ValueError):
    """The archive URI is malformed (for example ``sqlite://host/path``)."""

    reason = "archive_uri"


class BadFilter(ArchiveError, ValueError):
    """A record filter is invalid: unknown site, unparsable date, ``since`` after ``until``."""

    reason = "bad_filter"


class ExportError(ArchiveError):
    """The export output cannot be written (missing directory, permission, not a file)."""

    reason = "export_failed"


# SQLite primary result codes (the low byte of ``sqlite3.Error.sqlite_errorcode``).
_SQLITE_PERM = 3
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26

# Python builds without ``sqlite_errorcode`` (or errors re-raised without it) are classified by
# SQLite's fixed English messages instead.
_SQLITE_MESSAGES = (
    ("database or disk is full", _SQLITE_FULL),
    ("readonly database", _SQLITE_READONLY),
    ("unable to open database file", _SQLITE_CANTOPEN),
    ("database is locked", _SQLITE_BUSY),
    ("database table is locked", _SQLITE_LOCKED),
    ("malformed", _SQLITE_CORRUPT),
    ("file is not a database", _SQLITE_NOTADB),
    ("disk i/o error", _SQLITE_IOERR),
)

_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_READ_ONLY_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}

# Below this much free space a SQLite "disk I/O error" is taken for a full disk: SQLite reports
# ENOSPC on some paths (the -shm file, a short write) as an I/O error, not as SQLITE_FULL.
_NEARLY_FULL_BYTES = 1 << 20


def recover_hint(path: str | os.PathLike[str]) -> str:
    """The fix for a damaged SQLite archive: restore a backup, or salvage the readable rows."""
    return f'restore a backup, or salvage what is readable with: sqlite3 {path} ".recover" | sqlite3 NEW.db'


def archive_error_from(
    exc: BaseException, path: str | os.PathLike[str], *, busy_timeout: float | None = None
) -> ArchiveError:
    """Name the failure of the environment behind an error met on the archive file ``path``.

    Args:
        exc: A ``sqlite3.Error`` or ``OSError`` (an ``ArchiveError`` is returned unchanged).
        path: The file the operation was on: the database, or a WARC file.
        busy_timeout: The busy timeout in force, in seconds, named by ``ArchiveLocked``.

    Returns:
        ``ArchiveFull``, ``ArchiveReadOnly``, ``ArchiveLocked``, ``CorruptArchive`` or
        ``ArchiveIOError``; a plain ``ArchiveError`` for a SQLite error that is none of these
        (a schema this code does not expect, a bug). Raise it ``from exc``.

    Example:
        >>> error = archive_error_from(OSError(28, "No space left on device"), "data/archive.db")
        >>> type(error).__name__, error.reason
        ('ArchiveFull', 'archive_disk_full')
    """
    if isinstance(exc, ArchiveError):
        return exc
    target = Path(path)
    if isinstance(exc, OSError):
        return _from_os_error(exc, target)
    if isinstance(exc, sqlite3.Error):
        return _from_sqlite_error(exc, target, busy_timeout)
    return ArchiveError(f"unexpected failure on archive {target} ({exc!r}); report it with the command that failed")


def _from_os_error(exc: OSError, path: Path) -> ArchiveError:
    why = exc.strerror or str(exc)
    if exc.errno == errno.EFBIG:
        return ArchiveFull(
            f"{path} reached the largest file size allowed ({why}); "
            "raise the file size limit (ulimit -f) or move the archive to a file system that allows it"
        )
    if exc.errno in _FULL_ERRNOS:
        return ArchiveFull(
            f"no space left for {path} ({why}); free space on its disk or move the archive elsewhere, then run again"
        )
    if exc.errno in _READ_ONLY_ERRNOS:
        return ArchiveReadOnly(_read_only_message(path, why))
    return ArchiveIOError(
        f"the operating system failed an operation on {path} ({why}); "
        "check the disk (dmesg, free space, mount) and run again"
    )


def _sqlite_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    text = str(exc).lower()
    return next((code for fragment, code in _SQLITE_MESSAGES if fragment in text), None)


def _from_sqlite_error(exc: sqlite3.Error, path: Path, busy_timeout: float | None) -> ArchiveError:
    code = _sqlite_code(exc)
    if code == _SQLITE_FULL:
        return ArchiveFull(
            f"no space left for archive {path} ({exc}); free space on its disk or move the archive elsewhere, "
            "then run again"
        )
    if code in (_SQLITE_READONLY, _SQLITE_PERM):
        return ArchiveReadOnly(_read_only_message(path, str(exc)))
    if code == _SQLITE_CANTOPEN:
        if _not_writable(path) is not None:
            return ArchiveReadOnly(_read_only_message(path, str(exc)))
        if not path.parent.is_dir():
            return ArchiveIOError(f"cannot open archive {path}: its folder does not exist; create it or fix the path")
        return ArchiveIOError(
            f"cannot open archive {path} ({exc}); check that it and its -wal and -shm files are readable "
            "and writable by this user"
        )
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        waited = f"{busy_timeout:g} s" if busy_timeout is not None else "the busy timeout"
        return ArchiveLocked(
            f"archive {path} is locked: another process holds it and did not let go within {waited}; "
            "wait for that process (a crawl, a reindex) to finish, or give a longer busy timeout"
        )
    if code == _SQLITE_CORRUPT:
        return CorruptArchive(f"archive {path} is damaged ({exc}); {recover_hint(path)}")
    if code == _SQLITE_NOTADB:
        return CorruptArchive(
            f"{path} is not a SQLite archive ({exc}): it is damaged or another kind of file; "
            f"pass the right archive, or {recover_hint(path)}"
        )
    if code == _SQLITE_IOERR:
        if _free_bytes(path) < _NEARLY_FULL_BYTES:
            return ArchiveFull(
                f"no space left for archive {path} ({exc}, with its disk full); "
                "free space on its disk or move the archive elsewhere, then run again"
            )
        return ArchiveIOError(
            f"disk I/O error on archive {path} ({exc}); check the disk (dmesg, free space, mount) and run again"
        )
    return ArchiveError(
        f"SQLite failed on archive {path} ({exc}); report it with the command that failed"
    )


def _not_writable(path: Path) -> tuple[str, Path, str] | None:
    # What stops a write, from the outside in: the file system, the folder (the nearest one
    # that exists, for a path still to be created), the file, its journal files. os.access
    # honours EROFS even for root, who otherwise passes every permission check.
    folder = next((p for p in path.parents if p.is_dir()), path.parent)
    if on_read_only_fs(folder):
        return "file system", folder, "read-only"
    if not os.access(folder, os.W_OK | os.X_OK):
        return "folder", folder, "not writable"
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if not candidate.is_file():
            continue
        if not os.access(candidate, os.R_OK):
            return "file", candidate, "not readable"
        if not os.access(candidate, os.W_OK):
            return "file", candidate, "not writable"
    return None


def read_only_problem(path: str | os.PathLike[str]) -> str | None:
    """Say why the archive file ``path`` cannot be written, or None when nothing stops it.

    Looks at the file system, the folder, the file and its ``-wal`` / ``-shm`` files.

    Returns:
        An ``ArchiveReadOnly`` message naming what is read-only and the fix, or None.
    """
    target = Path(path)
    return _read_only_message(target, "") if _not_writable(target) is not None else None


def _read_only_message(path: Path, why: str) -> str:
    found = _not_writable(path)
    detail = f" ({why})" if why else ""
    if found is None:
        return (
            f"cannot write archive {path}{detail}; make it and its folder writable by this user, "
            "or choose another archive path"
        )
    kind, where, state = found
    if kind == "file system":
        return (
            f"archive {path} is on a read-only file system (at {where}); remount it read-write, "
            "or choose another archive path"
        )
    return (
        f"archive {kind} {where} is {state}{detail}; make it readable and writable by this user "
        f"(chmod u+rwX {where}, or chown), or choose another archive path"
    )


def on_read_only_fs(folder: Path) -> bool:
    """Whether ``folder`` is on a file system mounted read-only (which root's access() ignores)."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _free_bytes(path: Path) -> int:
    try:
        stat = os.statvfs(path.parent)
    except OSError:
        return 1 << 62  # unknown: do not claim the disk is full
    return stat.f_bavail * stat.f_frsize
