"""Articles split over several pages (page.html, page_2.html … page_N.html).

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


def page_number(url: str) -> int:
    """1 for a first page, N for `stem_N.html`."""
    match = _PAGE_N.match(urlsplit(url).path)
    return int(match["n"]) if match else 1


def find_next_pages(tree: HtmlElement, url: str) -> tuple[str, ...]:
    """URLs of pages 2…N of the article whose first page is `url`, in order.

    Only a first page reports them, so that pages 2…N never start a document of their own.
    """
    path = urlsplit(url).path
    if page_number(url) != 1 or "." not in path.rsplit("/", 1)[-1]:
        return ()
    stem, ext = path.rsplit(".", 1)
    pages: dict[int, str] = {}
    for href in tree.xpath("//a/@href"):
        absolute = urljoin(url, str(href)).split("#", 1)[0]
        match = _PAGE_N.match(urlsplit(absolute).path)
        if match and match["stem"] == stem and match["ext"] == "." + ext and int(match["n"]) > 1:
            pages[int(match["n"])] = absolute
    return tuple(pages[n] for n in sorted(pages))


def merge_pages(first: Document, rest: Sequence[Document]) -> Document:
    """One document from the first page's and the further pages' documents, in order."""
    text = "\n".join([first.text, *(doc.text for doc in rest if doc.text)])
    return replace(
        first,
        text=text,
        truncated=first.truncated or any(doc.truncated for doc in rest),
        next_pages=(),
    )
