"""JSON-lines export of archived records, to an open file or atomically to a path.

By default one line per distinct document (its root record plus every sighting of the document);
``distinct=False`` gives every record with its ``dup_of``, exactly the record schema.
"""

from __future__ import annotations

import errno
import itertools
import json
import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from archive.errors import BadFilter, ExportError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import date
    from typing import IO

    from archive.core import Archive
    from archive.records import DateField, Record, Sighting

logger = logging.getLogger(__name__)

__all__ = ["document_line", "export_jsonl", "export_to_path"]


def _select(
    archive: Archive,
    site: str | None,
    since: date | None,
    until: date | None,
    date_field: DateField,
    distinct: bool,
    all_versions: bool,
) -> Iterator[Record]:
    # Validate every filter before anything is written, so a bad one leaves no output behind.
    if site is not None:
        known = archive.sites()
        if site not in known:
            holds = f"has: {', '.join(known)}" if known else "has no records yet"
            raise BadFilter(f"unknown site {site!r}; the archive {holds}")
    return archive.iter_records(
        site=site,
        since=since,
        until=until,
        date_field=date_field,
        latest_only=not all_versions,
        distinct=distinct,
    )


def document_line(archive: Archive, record: Record, sightings: Sequence[Sighting] | None = None) -> str:
    """Return the distinct-document JSON line of a root record: its schema fields + sightings.

    Args:
        archive: The archive holding ``record``.
        record: A root record (``dup_of`` null).
        sightings: Its document's sightings when the caller has read them already
            (``store.documents_sightings``); else they are read here.

    Returns:
        One JSON object (no newline): the record schema's keys, then ``"sightings"``: a list of
        ``{"url", "seen_at", "id"}`` of the record and of all its duplicates, by ``seen_at``.
    """
    values = record.to_dict()
    if sightings is None:
        sightings = archive.document_sightings(record.id)
    values["sightings"] = [{"url": s.url, "seen_at": s.seen_at, "id": s.record_id} for s in sightings]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


#: Documents whose sightings an export reads in one query.
SIGHTINGS_BATCH = 500


def export_jsonl(
    archive: Archive,
    fp: IO[str],
    *,
    site: str | None = None,
    since: date | None = None,
    until: date | None = None,
    date_field: DateField = "crawled",
    distinct: bool = True,
    all_versions: bool = False,
) -> int:
    """Write JSON lines to ``fp``: one per distinct document, or one per record.

    The filters select records; with ``distinct`` each selected record stands for its document,
    written once as its root record (the earliest copy) with a ``"sightings"`` list covering the
    root and all its duplicates (see ``document_line``). Lines follow insertion order.

    Args:
        archive: The archive to read.
        fp: A text file open for writing (UTF-8 recommended: the JSON keeps Chinese unescaped).
        site: Only this site key (with ``distinct``: documents with a copy on that site).
        since: Only records dated on or after this day.
        until: Only records dated on or before this day.
        date_field: ``"crawled"`` or ``"published"``; see ``Archive.iter_records``.
        distinct: One line per distinct document (default); false gives every record with its
            ``dup_of`` and no ``sightings`` key (exactly the record schema).
        all_versions: Every version of a URL, not only the one it was most recently seen with.

    Returns:
        The number of lines written.

    Raises:
        BadFilter: ``site`` is not in the archive, ``since`` is after ``until``, or
            ``date_field`` is unknown.

    Example:
        >>> import sys
        >>> export_jsonl(archive, sys.stdout, site="baina")  # doctest: +SKIP
    """
    records = _select(archive, site, since, until, date_field, distinct, all_versions)
    count = 0
    # With distinct, every selected record is a root: their sightings come a batch per query
    # (one query per document was a third of an export).
    while batch := list(itertools.islice(records, SIGHTINGS_BATCH)):
        sightings = archive.store.documents_sightings([r.id for r in batch]) if distinct else {}
        for record in batch:
            fp.write(document_line(archive, record, sightings[record.id]) if distinct else record.to_json())
            fp.write("\n")
            count += 1
    logger.info("exported %d records", count)
    return count


def export_to_path(
    archive: Archive,
    path: str | os.PathLike[str],
    *,
    site: str | None = None,
    since: date | None = None,
    until: date | None = None,
    date_field: DateField = "crawled",
    distinct: bool = True,
    all_versions: bool = False,
) -> int:
    """Export to ``path`` (UTF-8) through a temporary file in the same directory.

    The file appears, or is replaced, only when the whole export succeeded; on any error the
    temporary file is removed and an existing file at ``path`` is left as it was.

    Args:
        archive: The archive to read.
        path: The output file.
        site: See ``export_jsonl``.
        since: See ``export_jsonl``.
        until: See ``export_jsonl``.
        date_field: See ``export_jsonl``.
        distinct: See ``export_jsonl``.
        all_versions: See ``export_jsonl``.

    Returns:
        The number of lines written.

    Raises:
        BadFilter: See ``export_jsonl``.
        ExportError: The directory is missing, not writable, or ``path`` is a directory.
    """
    target = Path(path)
    _select(archive, site, since, until, date_field, distinct, all_versions)
    if target.is_dir():
        raise ExportError(f"cannot write {target}: it is a directory; pass a file path")
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        # os.open with 0o666 lets the umask decide the mode, as for a plainly created file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise _export_error(target, exc) from exc
    try:
        with open(fd, "w", encoding="utf-8", newline="\n") as fh:  # noqa: PTH123 - an fd
            count = export_jsonl(
                archive,
                fh,
                site=site,
                since=since,
                until=until,
                date_field=date_field,
                distinct=distinct,
                all_versions=all_versions,
            )
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _export_error(target, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


def _export_error(target: Path, exc: OSError) -> ExportError:
    parent = target.parent
    if exc.errno == errno.ENOENT and not parent.is_dir():
        return ExportError(
            f"cannot write {target}: directory {parent} does not exist; create it first"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ExportError(f"cannot write {target}: permission denied; choose a writable path")
    return ExportError(f"cannot write {target} ({exc.strerror or exc}); choose another output path")
