"""Articles split over several pages (page.html, page_2.html … page_N.html, or ?page=N).

Extraction of one page cannot see the others: it reports the further pages, the spider fetches
them, and `merge_pages` joins the parts in page order.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lxml.html import HtmlElement

    from crawler.extract.document import Document

_PAGE_N = re.compile(r"^(?P<stem>.+?)_(?P<n>\d+)(?P<ext>\.s?html?)$")
MAX_SEGMENT_PAGE = 50
_PAGE_QUERY = re.compile(r"(?:^|&)(?:page|p|pn)=(?P<n>\d+)(?:&|$)")


def _page_key(url: str) -> tuple[str, int]:
    """(the article's first-page key, page number) of `stem_N.html` or `…?page=N` URLs."""
    parts = urlsplit(url)
    query = _PAGE_QUERY.search(parts.query)
    if query:
        rest = _PAGE_QUERY.sub("&", parts.query).strip("&")
        return f"{parts.path}?{rest}", int(query["n"])
    match = _PAGE_N.match(parts.path)
    if match:
        return f"{match['stem']}{match['ext']}?{parts.query}", int(match["n"])
    return f"{parts.path}?{parts.query}", 1


def page_number(url: str) -> int:
    """1 for a first page, N for `stem_N.html` or `…?page=N`."""
    return _page_key(url)[1]


def find_next_pages(tree: HtmlElement, url: str) -> tuple[str, ...]:
    """URLs of pages 2…N of the article whose first page is `url`, in order.

    Only a first page reports them, so that pages 2…N never start a document of their own.
    """
    key, number = _page_key(url)
    if number != 1:
        return ()
    # WordPress splits posts as /archives/123/2: page N is a path segment below page 1.
    below = urlsplit(url).path.rstrip("/") + "/"
    pages: dict[int, str] = {}
    for href in tree.xpath("//a/@href"):
        absolute = urljoin(url, str(href)).split("#", 1)[0]
        other_key, other = _page_key(absolute)
        if other_key == key and other > 1:
            pages[other] = absolute
            continue
        path = urlsplit(absolute).path
        tail = path[len(below):].strip("/") if path.startswith(below) else ""
        if tail.isdigit() and 1 < int(tail) <= MAX_SEGMENT_PAGE and not tail.startswith("0"):
            pages[int(tail)] = absolute
    return tuple(pages[n] for n in sorted(pages))


# Link texts that point back to page 1 from page N of an article.
_BACK_TO_FIRST = frozenset({"1", "[1]", "上一页", "上页", "前一页", "«", "‹", "<"})


def first_page_of(tree: HtmlElement, url: str) -> str | None:
    """The first page's URL when `url` is page N of a path-segment article (/archives/123/2).

    `find_next_pages` reports those pages from page 1; this recognises one reached before its
    first page (from a list, a sitemap or a related link), so that it does not become a document
    of its own. The URL alone cannot tell page 2 from post number 2 (/archives/2): the page must
    also link to the parent path as page 1 or as the previous page.
    """
    path = urlsplit(url).path.rstrip("/")
    parent, _, tail = path.rpartition("/")
    if not (tail.isdigit() and 1 < int(tail) <= MAX_SEGMENT_PAGE and not tail.startswith("0")) or not parent:
        return None
    for link in tree.xpath("//a[@href]"):
        absolute = urljoin(url, str(link.get("href"))).split("#", 1)[0]
        if urlsplit(absolute).path.rstrip("/") != parent:
            continue
        if "".join(link.itertext()).strip() in _BACK_TO_FIRST:
            return absolute
    return None


def merge_pages(first: Document, rest: Sequence[Document]) -> Document:
    """One document from the first page's and the further pages' documents, in order."""
    text = "\n".join([first.text, *(doc.text for doc in rest if doc.text)])
    return replace(
        first,
        text=text,
        truncated=first.truncated or any(doc.truncated for doc in rest),
        next_pages=(),
    )
