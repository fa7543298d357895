"""Re-extraction: read the stored captures again with a (better) extractor, keep what changed.

The archive holds the raw responses so that a better extractor never needs a re-crawl. The
extractor is not the archive's: it is named as ``module:factory`` (the crawler's by default,
``crawler.reextract:Reextractor``) and imported only when a re-extraction runs, so the archive
library depends on no crawler code. ``factory()`` returns a callable taking a record and its
captures, in page order, and returning the record's fields as extraction reads them now
(``REVISED_FIELDS``), or raising ``ReextractFailed``.

Only the latest version of each URL is read again: older versions are history, and a revision
is a new latest version (``Archive.revise``). Records are visited in the order they were stored,
so an extractor that learns a site's template from its pages, as the crawl does, sees them in
the order the crawl did.
"""

from __future__ import annotations

import importlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archive.core import REVISED_FIELDS
from archive.errors import ArchiveError, BadFilter

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from datetime import date

    from archive.core import Archive
    from archive.progress import Progress
    from archive.records import Capture, Record

    Extractor = Callable[[Record, Sequence[Capture]], Mapping[str, Any]]

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_EXTRACTOR", "Change", "ReextractFailed", "Summary", "load_extractor", "reextract"]

#: The crawler's extraction, as ``python -m archive reextract`` uses it unless told otherwise.
DEFAULT_EXTRACTOR = "crawler.reextract:Reextractor"


class ReextractFailed(Exception):
    """A record the extractor cannot read again; ``kind`` is the summary's count key.

    Args:
        kind: A short, stable reason, e.g. ``"no_capture"`` or ``"skipped/listing"``.
        detail: What a user should know, for the log.
    """

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Change:
    """A record that reads differently now: its old id, the new version's id, the fields that differ."""

    old_id: str
    new_id: str | None
    url: str
    fields: tuple[str, ...]


@dataclass
class Summary:
    """What a re-extraction did; ``changed`` holds the changes (planned ones in a dry run)."""

    unchanged: int = 0
    changed: list[Change] = field(default_factory=list)
    failed: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Records read."""
        return self.unchanged + len(self.changed) + sum(self.failed.values())

    def line(self, *, dry_run: bool = False) -> str:
        """One line for a person: the counts, and the failures by reason."""
        verb = "would change" if dry_run else "changed"
        reasons = ", ".join(f"{kind} {count}" for kind, count in sorted(self.failed.items()))
        failed = f"{sum(self.failed.values())} failed" + (f" ({reasons})" if reasons else "")
        return f"{self.total} records read: {self.unchanged} unchanged, {len(self.changed)} {verb}, {failed}"


def load_extractor(spec: str) -> Extractor:
    """Import ``module:factory`` and return ``factory()``.

    Raises:
        BadFilter: The spec is not ``module:factory``, or the module or name does not exist.
    """
    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        raise BadFilter(f"extractor {spec!r} is not module:factory; e.g. {DEFAULT_EXTRACTOR}")
    try:
        factory = getattr(importlib.import_module(module_name), name)
    except ImportError as exc:
        raise BadFilter(
            f"cannot import extractor module {module_name!r} ({exc}); install it or fix --extractor"
        ) from None
    except AttributeError:
        raise BadFilter(f"module {module_name!r} has no {name!r}; fix --extractor") from None
    extractor: Extractor = factory()
    return extractor


def reextract(
    archive: Archive,
    extractor: Extractor,
    *,
    site: str | None = None,
    since: date | None = None,
    until: date | None = None,
    ids: Iterable[str] = (),
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Summary:
    """Read the latest version of each selected URL again; store a new version where it differs.

    Args:
        archive: The archive (each revision is committed as it is made).
        extractor: See the module docstring.
        site: Only this site's records.
        since: Only records crawled on or after this UTC day.
        until: Only records crawled on or before this UTC day.
        ids: Only these records; an id of an older version selects its URL's latest version.
        dry_run: Read and compare, write nothing.
        progress: Called as ``progress(done, total)`` after each record.

    Returns:
        The counts; ``changed`` lists each change.

    Raises:
        RecordNotFound: An id in ``ids`` is not stored.
        ArchiveError: A write failed (the records revised before it stay revised).
    """
    # Ids first, then records one by one: the revisions are added as the loop goes, and a
    # cursor still open on the records table would meet them.
    wanted = _selected(archive, site, since, until, ids)
    summary = Summary()
    for done, record_id in enumerate(wanted, start=1):
        _one(archive, extractor, archive.get(record_id), summary, dry_run)
        if progress is not None:
            progress(done, len(wanted))
    return summary


def _selected(
    archive: Archive, site: str | None, since: date | None, until: date | None, ids: Iterable[str]
) -> list[str]:
    chosen = list(dict.fromkeys(ids))
    if not chosen:
        records = archive.iter_records(site=site, since=since, until=until, latest_only=True)
        return [record.id for record in records]
    latest = []
    for record_id in chosen:
        record = archive.get(record_id)
        current = archive.latest(record.url) or record
        if current.id != record.id:
            logger.info("%s is an older version of %s: reading its latest, %s", record.id, record.url, current.id)
        latest.append(current.id)
    return list(dict.fromkeys(latest))


def _one(archive: Archive, extractor: Extractor, record: Record, summary: Summary, dry_run: bool) -> None:
    try:
        fields = dict(extractor(record, archive.captures(record.id)))
    except ReextractFailed as exc:
        summary.failed[exc.kind] += 1
        logger.warning("cannot re-extract %s (%s): %s", record.url, record.id, exc)
        return
    except ArchiveError as exc:  # a damaged WARC file: the other records may still be read
        summary.failed["capture_unreadable"] += 1
        logger.warning("cannot read the captures of %s (%s): %s", record.url, record.id, exc)
        return
    differs = tuple(name for name in REVISED_FIELDS if name in fields and _differs(record, name, fields[name]))
    if not differs:
        summary.unchanged += 1
        return
    if dry_run:
        summary.changed.append(Change(record.id, None, record.url, differs))
        return
    try:
        result = archive.revise(record.id, {name: fields[name] for name in REVISED_FIELDS if name in fields})
    except ValueError as exc:  # the extractor gave a field the archive refuses (empty text…)
        summary.failed["invalid"] += 1
        logger.warning("re-extraction of %s (%s) is not storable: %s", record.url, record.id, exc)
        return
    if result.record.id == record.id:  # the same reading once the archive normalised it
        summary.unchanged += 1
        return
    summary.changed.append(Change(record.id, result.record.id, record.url, differs))
    logger.info("%s: new version %s (%s)", record.url, result.record.id, ", ".join(differs))


def _differs(record: Record, name: str, value: Any) -> bool:
    mine = getattr(record, name)
    if name == "extra":
        mine = {k: v for k, v in mine.items() if k != "version_reason"}
        value = {k: v for k, v in (value or {}).items() if k != "version_reason"}
    elif name == "keywords":
        value = list(value or ())
    return bool(mine != value)
