"""The archived record and raw-capture types, and the JSON line codec of the record schema.

The schema (field names, order and meaning) is defined in ``docs/contracts.md``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from archive._codings import CodingUnavailable, UndecodableBody, codings_of, decode
from archive.errors import BadFilter

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger(__name__)

__all__ = [
    "FIELDS", "LOOKUP_SQL", "Capture", "DateField", "Lookup", "Record", "RecordQuery", "Sighting", "record_id",
    "repoint_statements",
]

#: The record schema's keys, in the order every export writes them.
FIELDS: tuple[str, ...] = (
    "id",
    "url",
    "site",
    "title",
    "published_at",
    "text",
    "category",
    "source",
    "keywords",
    "truncated",
    "content_hash",
    "dup_of",
    "crawled_at",
    "collection",
    "extra",
)

# What ``Archive.add`` must know of a page before it decides, in one statement (one round trip
# under PostgreSQL's write lock instead of three), in SQL both stores run: rows tagged
# 'same' (the URL's newest record with this text), 'url' (any record of the URL) and 'text'
# (the earliest record with this text), each of the record's columns after the tag; the 'url'
# row only says the URL is known, so its columns are NULL (a changed page's old text unread).
_BY_ID = "FROM records WHERE id = (SELECT id FROM records WHERE"
_COLS = ", ".join(FIELDS)
_NULLS = ", ".join("NULL" for _ in FIELDS)
LOOKUP_SQL = (
    f"SELECT 'same', {_COLS} {_BY_ID} url = ? AND content_hash = ? ORDER BY seq DESC LIMIT 1) "  # noqa: S608 - constant column lists
    f"UNION ALL SELECT 'url', {_NULLS} WHERE EXISTS (SELECT 1 FROM records WHERE url = ?) "
    f"UNION ALL SELECT 'text', {_COLS} {_BY_ID} content_hash = ? ORDER BY seq LIMIT 1)"
)


def repoint_statements(old_root: str, new_root: str) -> list[tuple[str, tuple[str, ...]]]:
    """The statements of a store's ``repoint`` with their parameters, in SQL both stores run.

    The first two move records (their row counts sum to the records moved); the third makes
    ``new_root`` a root when it was one of ``old_root``'s duplicates; the last re-roots the
    document's near-duplicate signatures.
    """
    return [
        ("UPDATE records SET dup_of = ? WHERE dup_of = ? AND id <> ?", (new_root, old_root, new_root)),
        ("UPDATE records SET dup_of = ? WHERE id = ?", (new_root, old_root)),
        ("UPDATE records SET dup_of = NULL WHERE id = ?", (new_root,)),
        (
            "UPDATE minhash SET root = (SELECT seq FROM records WHERE id = ?) "
            "WHERE seq IN (SELECT seq FROM records WHERE dup_of = ? OR id = ?)",
            (new_root, new_root, new_root),
        ),
    ]


class Lookup(NamedTuple):
    """What the archive holds of a page and its text, before ``Archive.add`` stores it."""

    #: The newest record of the URL with this text (a revision keeps the text: newest wins).
    same: Record | None
    #: Whether any record of the URL is stored (its text changed, when ``same`` is None).
    url_known: bool
    #: The earliest stored record (lowest seq) with this text, at any URL.
    first: Record | None

    @classmethod
    def from_rows(cls, rows: list[Any], to_record: Callable[[Any], Record]) -> Lookup:
        """Read ``LOOKUP_SQL``'s rows, each store's columns turned into a record by ``to_record``."""
        tagged = {row[0]: row[1:] for row in rows}
        same, first = tagged.get("same"), tagged.get("text")
        return cls(
            to_record(same) if same is not None else None,
            "url" in tagged,
            to_record(first) if first is not None else None,
        )

#: ``crawled_at`` / ``fetched_at`` format: ISO 8601 UTC to the second (``2026-11-23T17:31:24Z``).
UTC_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def record_id(url: str, content_hash: str) -> str:
    r"""Return the id of the record holding ``content_hash`` at ``url``.

    Args:
        url: The document URL (a compilation part is ``PAGE#part-N``).
        content_hash: ``content_hash(text)`` of the record's text.

    Returns:
        The first 16 hex characters of ``sha256(url + "\0" + content_hash)``.

    Example:
        >>> record_id("https://example.com/a.html", "0" * 64)
        'de9b5583fe97300c'
    """
    return hashlib.sha256(f"{url}\0{content_hash}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Record:
    """One archived version of one document, with exactly the fields of the record schema.

    ``keywords`` and ``extra`` are a list and a dict so that ``to_dict()`` matches the schema's
    JSON types; treat them as read-only.
    """

    id: str
    url: str
    site: str
    title: str
    published_at: str | None
    text: str
    category: str | None
    source: str | None
    keywords: list[str]
    truncated: bool
    content_hash: str
    dup_of: str | None
    crawled_at: str
    collection: str | None
    extra: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a dict whose keys follow the schema order (``FIELDS``).

        Returns:
            A new dict; ``keywords`` and ``extra`` are copies.
        """
        values = {name: getattr(self, name) for name in FIELDS}
        values["keywords"] = list(self.keywords)
        values["extra"] = dict(self.extra)
        return values

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        """Build a record from a dict holding exactly the schema's keys.

        Args:
            data: A dict as produced by ``to_dict()`` or one parsed JSON export line.

        Returns:
            The record.

        Raises:
            ValueError: When a key is missing or unknown, or a value has the wrong type.
        """
        missing = [name for name in FIELDS if name not in data]
        unknown = sorted(set(data) - set(FIELDS))
        if missing or unknown:
            raise ValueError(
                f"record dict does not match the schema (missing: {', '.join(missing) or '-'}; "
                f"unknown: {', '.join(unknown) or '-'}); see docs/contracts.md"
            )
        _check_types(data)
        return cls(**{name: data[name] for name in FIELDS})

    def to_json(self) -> str:
        """Return the record as one JSON line (no trailing newline), UTF-8 text kept unescaped."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> Record:
        """Parse one line written by ``to_json()``.

        Raises:
            ValueError: When the line is not a JSON object matching the schema.
        """
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("record JSON line is not an object; expected one record per line")
        return cls.from_dict(data)


class Sighting(NamedTuple):
    """One time a document was seen: where, when, and as which record."""

    url: str
    seen_at: str
    record_id: str


_STR_FIELDS = ("id", "url", "site", "title", "text", "content_hash", "crawled_at")
_OPTIONAL_STR_FIELDS = ("published_at", "category", "source", "dup_of", "collection")


def _check_types(data: dict[str, Any]) -> None:
    bad = [name for name in _STR_FIELDS if not isinstance(data[name], str)]
    bad += [
        name
        for name in _OPTIONAL_STR_FIELDS
        if data[name] is not None and not isinstance(data[name], str)
    ]
    keywords = data["keywords"]
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        bad.append("keywords")
    if not isinstance(data["truncated"], bool):
        bad.append("truncated")
    if not isinstance(data["extra"], dict):
        bad.append("extra")
    if bad:
        raise ValueError(
            f"record field(s) with the wrong type: {', '.join(bad)}; see docs/contracts.md"
        )


@dataclass(frozen=True)
class Capture:
    """The raw HTTP response of one fetched page, as it is kept in the WARC files.

    Header names and values are ``str``; decode raw header bytes as latin-1 so the round trip is
    byte-exact (that is how HTTP/1.1 header bytes map to text losslessly). The response is kept
    as it arrived (see docs/contracts.md, "Raw captures"): ``body`` is the payload the server
    sent, still in its Content-Encoding (gzip, br), with only the transfer framing undone, so
    the headers carry no ``Transfer-Encoding`` and a ``Content-Length``, when there is one, is
    ``len(body)`` (``pack_capture`` and the WARC write refuse a capture that breaks this).
    ``decoded_body()`` gives the bytes an extractor reads.

    Attributes:
        url: The URL that was fetched (no ``#part-N`` suffix).
        status: The HTTP status code.
        headers: Response headers in order, repeated names allowed.
        body: The response body bytes as sent: content-coded when Content-Encoding says so.
        fetched_at: When it was fetched, ISO 8601 UTC (``2026-11-23T17:31:24Z``).
        request_headers: The request headers sent, if known; stored as a WARC request record.
        packed: Its WARC records, gzipped, when built ahead of the write (``pack_capture``): a
            crawl builds them in its extraction workers instead of while it holds the archive.
    """

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: str
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    packed: tuple[bytes, bytes | None] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Normalise header and body types; reject what cannot be written to a WARC."""
        # Normalise tuples-of-tuples and bytearrays so equality after a round trip holds;
        # object.__setattr__ is the documented way to do this in a frozen dataclass.
        object.__setattr__(self, "headers", _check_headers(self.headers, "headers"))
        object.__setattr__(
            self, "request_headers", _check_headers(self.request_headers, "request_headers")
        )
        object.__setattr__(self, "body", bytes(self.body))
        if not self.url or any(c in self.url for c in "\r\n "):
            raise ValueError(f"capture url {self.url!r} is empty or has whitespace; pass the URL")
        if not 100 <= self.status <= 999:
            raise ValueError(f"capture status {self.status!r} is not an HTTP status; pass 100-999")
        if not UTC_TIMESTAMP.fullmatch(self.fetched_at):
            raise ValueError(
                f"capture fetched_at {self.fetched_at!r} is not UTC ISO 8601; "
                "use the form 2026-11-23T17:31:24Z"
            )

    def decoded_body(self) -> bytes:
        """The body with its Content-Encoding undone: the page in its own charset (e.g. GBK).

        Codings are undone as Scrapy's HttpCompressionMiddleware undoes them (gzip, deflate, br,
        zstd; an unknown one is left applied), so a re-extraction reads the bytes the crawl's
        extraction read. A body that does not decode, stored with no Content-Length or one
        that is not its length, is returned as it is: archives written before captures were
        kept as sent hold Scrapy's decoded body under the headers of the compressed one.

        Raises:
            ValueError: The body does not decode as its Content-Encoding says, or needs a module
                that is not installed (``brotli`` for br).
        """
        codings = codings_of(self.headers)
        if not codings:
            return self.body
        try:
            return decode(self.body, codings)
        except CodingUnavailable:
            raise
        except UndecodableBody:
            length = next((v for n, v in self.headers if n.lower() == "content-length"), None)
            if length is None or length.strip() != str(len(self.body)):
                return self.body
            raise


def _check_headers(headers: Any, what: str) -> list[tuple[str, str]]:
    checked: list[tuple[str, str]] = []
    for name, value in headers:
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValueError(f"capture {what} must be (str, str) pairs; decode bytes as latin-1")
        text = name + value
        if "\r" in text or "\n" in text or ":" in name or not name:
            raise ValueError(f"capture {what} entry {name!r} is malformed; remove CR/LF and ':'")
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(
                f"capture {what} entry {name!r} has non-latin-1 text; decode raw header bytes "
                "as latin-1"
            ) from None
        checked.append((name, value))
    return checked


#: Which timestamp a date filter applies to: ``crawled_at`` or ``published_at``.
DateField = Literal["crawled", "published"]


@dataclass(frozen=True)
class RecordQuery:
    """A filter over archived records; every bound is optional and inclusive.

    Attributes:
        site: Only records of this site key.
        since: Only records dated on or after this day.
        until: Only records dated on or before this day.
        date_field: ``"crawled"`` compares the UTC day of ``crawled_at``; ``"published"`` the
            page's own day in ``published_at`` (records without one are left out when a bound
            is set).
        latest_only: Per URL, only the version it was most recently seen with.
        distinct: Yield the roots of the matching records' documents (each once) instead.

    Raises:
        BadFilter: On an unknown ``date_field``, a non-date bound, or ``since`` after ``until``.
    """

    site: str | None = None
    since: date | None = None
    until: date | None = None
    date_field: DateField = "crawled"
    latest_only: bool = False
    distinct: bool = False

    def __post_init__(self) -> None:
        """Validate the filter."""
        if self.date_field not in ("crawled", "published"):
            raise BadFilter(f"unknown date field {self.date_field!r}; use 'crawled' or 'published'")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
                raise BadFilter(
                    f"{name} must be a datetime.date, got {value!r}; pass date(Y, M, D)"
                )
        if self.since and self.until and self.since > self.until:
            raise BadFilter(
                f"since date {self.since} is after until date {self.until}; swap the two dates"
            )
