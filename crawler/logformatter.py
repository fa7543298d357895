"""`QuietLogFormatter`: item log lines that name the document, never print it.

Scrapy's default formatter logs every scraped item whole (`Scraped from <200 url>` and the
item's repr), and every dropped or failed one too. Our items carry the document's full text and
its raw captures (every page's body bytes), so at DEBUG one item is a line of hundreds of
kilobytes, and the log becomes a second, unreadable copy of the archive. Here an item is its URL
and title, each cut to about 80 characters, at any level.

Enabled by `LOG_FORMATTER = "crawler.logformatter.QuietLogFormatter"` (crawler/settings.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.logformatter import LogFormatter
from twisted.python.failure import Failure

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.http import Response
    from scrapy.logformatter import LogFormatterResult

# Room for a URL or a title, and for a reader: longer values end in "…".
MAX_CHARS = 80
# An exception's message may quote the item; keep the start of it.
MAX_REASON_CHARS = 200


def shorten(value: Any, limit: int = MAX_CHARS) -> str:
    """`value` as one line of at most `limit` characters (cut ones end in "…")."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_item(item: Any, page_url: str | None = None) -> str:
    """`<url> "title"`: what a log line needs to find the document, and nothing of its body.

    The URL is left out when it is `page_url` (the page the line already names).
    """
    try:
        adapter = ItemAdapter(item)
        url, title = adapter.get("url"), adapter.get("title")
    except TypeError:  # not an item type itemadapter knows: name its type only
        return f"<{type(item).__name__}>"
    parts = [] if url and url == page_url else [f"<{shorten(url or '?')}>"]
    if title:
        parts.append(f'"{shorten(title)}"')
    return " ".join(parts) or "(untitled)"


def _source(response: Response | Failure | None, spider: Spider) -> str:
    if response is None:
        return f"{type(spider).__name__}.start"
    if isinstance(response, Failure):
        return shorten(response.getErrorMessage(), MAX_REASON_CHARS)
    return f"<{response.status} {shorten(response.url)}>"


class QuietLogFormatter(LogFormatter):
    """Scrapy's LogFormatter, with items logged as their URL and title only."""

    def scraped(self, item: Any, response: Response | Failure | None, spider: Spider) -> LogFormatterResult:
        """`Scraped from <200 url>: "title"` at DEBUG (the item's URL too when it differs)."""
        page_url = getattr(response, "url", None)
        return {
            "level": logging.DEBUG,
            "msg": "Scraped from %(src)s: %(item)s",
            "args": {"src": _source(response, spider), "item": describe_item(item, page_url)},
        }

    def dropped(
        self, item: Any, exception: BaseException, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        """`Dropped <url> "title": reason` at the level Scrapy would use."""
        result = super().dropped(item, exception, response, spider)
        return {
            "level": result["level"],
            "msg": "Dropped %(item)s: %(exception)s",
            "args": {"item": describe_item(item), "exception": shorten(exception, MAX_REASON_CHARS)},
        }

    def item_error(
        self, item: Any, exception: BaseException, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        """`Error processing <url> "title"` at ERROR (Scrapy adds the traceback)."""
        return {
            "level": logging.ERROR,
            "msg": "Error processing %(item)s",
            "args": {"item": describe_item(item)},
        }
