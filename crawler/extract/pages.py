"""Articles split over several pages (page.html, page_2.html … page_N.html, or ?page=N).

Extraction of one page cannot see the others: it reports the further pages, the spider fetches
them, and `merge_pages` joins the parts in page order.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urljoin, urlsplit

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lxml.html import HtmlElement

    from crawler.extract.document import Document

# Page numbers are small: t20231228_634512.html is a document id, not page 634512.
_PAGE_N = re.compile(r"^(?P<stem>.+)_(?P<n>[1-9]\d{0,2})(?P<ext>\.s?html?)$")
MAX_SEGMENT_PAGE = 50
_PAGE_QUERY = re.compile(r"(?:^|&)(?:page|p|pn)=(?P<n>\d+)(?:&|$)")


def _split_page(url: str, *, segment: bool = False) -> tuple[SplitResult, int]:
    """Page 1's URL (parts, no fragment) and the page number of `url`: 1 when it names no page.

    The forms are `?page=N`, `stem_N.html` and, with `segment`, WordPress's `/archives/123/N`.
    Segments are opt-in: as the last segment of a first page's own URL (`/archives/12`), a small
    number is the document's, not a page's. `stem_1.html` comes back as page 1 of `stem.html`
    (TRS sites count further pages from `_1`; callers tell it apart by its path).
    """
    parts = urlsplit(url)._replace(fragment="")
    query = _PAGE_QUERY.search(parts.query)
    if query:
        rest = _PAGE_QUERY.sub("&", parts.query).strip("&")
        return parts._replace(query=rest), int(query["n"])
    match = _PAGE_N.match(parts.path)
    if match:
        return parts._replace(path=f"{match['stem']}{match['ext']}"), int(match["n"])
    parent, _, tail = parts.path.rstrip("/").rpartition("/")
    if segment and parent and (number := _segment_page(tail)):
        return parts._replace(path=parent, query=""), number
    return parts, 1


def _segment_page(segment: str) -> int | None:
    if segment.isdigit() and not segment.startswith("0") and 1 < int(segment) <= MAX_SEGMENT_PAGE:
        return int(segment)
    return None


def _page_key(url: str) -> tuple[str, int]:
    """(the article's first-page key, page number) of `stem_N.html` or `…?page=N` URLs.

    The key holds the host: a link to another site's copy of the article (template sites
    republish each other under the same paths) is none of this article's pages.
    """
    first, number = _split_page(url)
    return f"{first.netloc.lower()}{first.path}?{first.query}", number


def find_next_pages(tree: HtmlElement, url: str) -> tuple[str, ...]:
    """URLs of pages 2…N of the article whose first page is `url`, in order.

    Only a first page reports them, so that pages 2…N never start a document of their own.
    """
    key, number = _page_key(url)
    if number != 1:
        return ()
    # WordPress splits posts as /archives/123/2: page N is a path segment below page 1.
    own = urlsplit(url)
    below = own.path.rstrip("/") + "/"
    stem = _EXTENSION.sub("", _split_page(url)[0].path.rpartition("/")[2])
    pages: dict[int, str] = {}
    for link in tree.xpath("//a[@href]"):
        href = str(link.get("href"))
        if not _may_be_a_page(href, stem):
            continue
        absolute = urljoin(url, href).split("#", 1)[0]
        other_key, other = _page_key(absolute)
        # TRS-style sites count from 0: page 2 of t…_634512.html is t…_634512_1.html, linked
        # as "2" or 下一页 (elsewhere stem_1.html is page 1 itself, linked as "1").
        if other_key == key and (other > 1 or _link_text(link) in _FORWARD_TO_SECOND):
            pages[other] = absolute
            continue
        target = urlsplit(absolute)
        path = target.path
        if target.netloc.lower() != own.netloc.lower():
            continue
        if path.startswith(below) and (segment_page := _segment_page(path[len(below) :].strip("/"))):
            pages[segment_page] = absolute
    return tuple(pages[n] for n in sorted(pages))


_EXTENSION = re.compile(r"\.s?html?$")
_CONTROLS_AND_SPACE = "".join(map(chr, range(0x21)))
# The scheme and host of an absolute or protocol-relative link.
_AUTHORITY = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?//[^/]*")


def _may_be_a_page(href: str, stem: str) -> bool:
    """False for a link that cannot be a further page of the article whose file is `stem`.html.

    A further page's last path segment is `stem`_N.html, page 1's own (with ?page=N), or a
    number (/archives/123/N); urljoin, the costly part, is left for the links that may be one.
    """
    # What urlsplit drops: leading controls and spaces, tabs and newlines anywhere.
    href = href.lstrip(_CONTROLS_AND_SPACE).replace("\t", "").replace("\r", "").replace("\n", "")
    path = href.split("#", 1)[0].split("?", 1)[0]
    if authority := _AUTHORITY.match(path):
        path = path[authority.end() :]
    elif ":" in path:
        return True  # a scheme without a host (http:x.html): only urljoin knows what it means
    segment = path.rstrip("/").rpartition("/")[2]
    return segment in ("", ".", "..") or segment.startswith(stem) or segment.isdigit()


# Link texts that point back to page 1 from page N of an article, and on to page 2 from page 1.
_BACK_TO_FIRST = frozenset({"1", "[1]", "第1页", "首页", "上一页", "上页", "前一页", "«", "‹", "<"})
_FORWARD_TO_SECOND = frozenset({"2", "[2]", "第2页", "下一页", "下页", "后一页", "»", "›", ">"})


def _link_text(link: HtmlElement) -> str:
    return "".join(link.itertext()).strip()


def _first_page_url(url: str) -> str | None:
    """Page 1's URL if `url` has the form of a further page (stem_N.html, ?page=N, /archives/123/N)."""
    first, number = _split_page(url, segment=True)
    # stem_1.html is further (TRS page 2); ?page=1 is page 1 itself.
    further = number > 1 or first.path != urlsplit(url).path
    return first.geturl() if further else None


def first_page_of(tree: HtmlElement, url: str) -> str | None:
    """Page 1's URL when `url` is a further page of an article (page_2.html, ?page=2, /123/2).

    `find_next_pages` reports those pages from page 1; this recognises one reached before its
    first page (from a list, a sitemap or a related link), so that it does not become a document
    of its own. The URL alone cannot tell page 2 from document number 2 (/archives/2,
    /0425_105.html): the page must also link to page 1 as "1", 首页 or the previous page.
    """
    first = _first_page_url(url)
    if first is None:
        return None
    wanted = urlsplit(first)
    for link in tree.xpath("//a[@href]"):
        target = urlsplit(urljoin(url, str(link.get("href"))).split("#", 1)[0])
        same = (target.netloc.lower() == wanted.netloc.lower() and target.path.rstrip("/") == wanted.path.rstrip("/")
                and target.query == wanted.query)
        if same and _link_text(link) in _BACK_TO_FIRST:
            return target.geturl()
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
