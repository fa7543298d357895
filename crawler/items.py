"""The item spiders yield: one document, in the record schema, plus its raw captures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The record schema's fields, in order: the feed export writes exactly these (FEED_EXPORT_FIELDS).
RECORD_FIELDS = (
    "id", "url", "site", "title", "published_at", "text", "category", "source", "keywords",
    "truncated", "content_hash", "dup_of", "crawled_at", "collection", "extra",
)


@dataclass
class DocumentItem:
    """A document on its way to the archive.

    id, content_hash, dup_of and crawled_at are filled by `ArchivePipeline` from the stored
    record, so a feed export (`-O out.jsonl`) writes the same records as the archive holds.
    `captures` (raw responses, for the archive's WARC) is not exported.
    """

    url: str
    site: str
    title: str
    text: str
    published_at: str | None = None
    category: str | None = None
    source: str | None = None
    keywords: list[str] = field(default_factory=list)
    truncated: bool = False
    collection: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    content_hash: str | None = None
    dup_of: str | None = None
    crawled_at: str | None = None
    captures: list[Any] = field(default_factory=list)
