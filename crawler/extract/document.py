"""What extraction returns: documents, or a skip with its reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SkipReason = Literal[
    "listing", "empty_body", "not_html", "login", "error_page", "search", "continuation", "too_large"
]


@dataclass(frozen=True)
class Document:
    """One document found on a page, with the record fields extraction can know.

    The archive adds id, content_hash, dup_of and crawled_at when it stores it.
    `next_pages` lists the further pages of an article split over several pages, in order.
    """

    url: str
    site: str
    title: str
    text: str
    published_at: str | None = None
    category: str | None = None
    source: str | None = None
    keywords: tuple[str, ...] = ()
    truncated: bool = False
    collection: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    next_pages: tuple[str, ...] = ()

    def record_fields(self) -> dict[str, Any]:
        """The fields the archive stores, as plain JSON-ready values."""
        return {
            "url": self.url,
            "site": self.site,
            "title": self.title,
            "published_at": self.published_at,
            "text": self.text,
            "category": self.category,
            "source": self.source,
            "keywords": list(self.keywords),
            "truncated": self.truncated,
            "collection": self.collection,
            "extra": dict(self.extra),
        }


@dataclass(frozen=True)
class Skipped:
    """A page that yields no document, and why (becomes the `extract/skipped/<reason>` stat)."""

    reason: SkipReason
    detail: str = ""


@dataclass(frozen=True)
class Extracted:
    """The documents of one page (several for a compilation)."""

    documents: tuple[Document, ...]


ExtractResult = Extracted | Skipped
