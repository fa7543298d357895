r"""Extraction: page bytes + URL + site profile in, documents (or a reasoned skip) out.

Pure functions with no Scrapy in sight, so every rule can be tested on a fixture file:

>>> from crawler.sites import SITES
>>> page = ("<html><head><title>会议讲话_百纳范文网</title></head><body><h1>会议讲话</h1>"
...         "<div class='info'>时间:2022-09-15 15:10:05 来源:网友投稿</div>"
...         "<div class='content'><p>下面是小编为大家整理的会议讲话,供大家参考。</p>"
...         "<p>同志们:</p><p>今天召开会议。</p></div></body></html>")
>>> result = extract_page(page, "http://127.0.0.1/fanwen/1.html", SITES["baina"])
>>> doc = result.documents[0]
>>> doc.title, doc.published_at, doc.source, doc.text
('会议讲话', '2022-09-15T15:10:05+08:00', '网友投稿', '同志们:\n今天召开会议。')
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from lxml import etree
from lxml import html as lxml_html
from selectolax.lexbor import LexborHTMLParser

from crawler.extract.body import extract_paragraphs
from crawler.extract.boilerplate import find_trailer
from crawler.extract.classify import classify, is_document, is_listing, prose_share
from crawler.extract.cleanup import (
    MIN_CUT_PARAGRAPH,
    clean_paragraphs,
    ends_in_cut_marker,
    ends_mid_sentence,
    prune,
    unhide,
)
from crawler.extract.compilation import split_compilation
from crawler.extract.container import find_container
from crawler.extract.document import Document, Extracted, ExtractResult, Skipped
from crawler.extract.encoding import decode_html, looks_binary
from crawler.extract.meta import (
    first_match,
    read_canonical,
    read_category,
    read_date_line,
    read_docinfo,
    read_keywords,
    read_source,
    read_title,
)
from crawler.extract.pages import find_next_pages, merge_pages
from crawler.extract.repeated import drop_repeated
from crawler.extract.text import TextKeys
from crawler.urls import canonical_of

if TYPE_CHECKING:
    from datetime import datetime

    from lxml.html import HtmlElement

    from crawler.extract.document import SkipReason
    from crawler.extract.repeated import RepeatedBlocks
    from crawler.sites.profile import SiteProfile

__all__ = [
    "Document",
    "ExtractResult",
    "Extracted",
    "Skipped",
    "extract_page",
    "merge_pages",
    "parse_html",
]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: Elements nested deeper than this are unwrapped (libxml2 stops reading at about 255 levels).
MAX_DEPTH = 200
# Tags that carry the text's structure: kept when a too-deep subtree is flattened.
_STRUCTURE = frozenset({"p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "table", "tr", "td", "th"})


def parse_html(
    html: bytes | str, content_type: str | None = None, hint: str | None = None, *, max_depth: int = MAX_DEPTH
) -> HtmlElement | None:
    """Decode (once) and parse a page; None when there is nothing to parse.

    Subtrees nested deeper than `max_depth` (0: no limit) lose their wrapper elements and keep
    their text, paragraphs and tables, which lxml would otherwise drop altogether.
    """
    if isinstance(html, bytes):
        charset = None
        if content_type and "charset=" in content_type.lower():
            charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
        html, _ = decode_html(html, charset, hint)
    # Control characters are not XML: lxml parses them into text it then refuses to edit.
    html = _CONTROL.sub("", html)
    if not html.strip():
        return None
    try:
        # Lexbor builds the tree a browser builds; libxml2 alone stops at a stray </html> and
        # drops the article after it. Its serialisation is well-formed, which lxml then reads
        # faithfully (0.2 ms a page more than lxml alone).
        parsed = LexborHTMLParser(html)
        if max_depth:
            _flatten_deep(parsed, max_depth)
        return lxml_html.document_fromstring(parsed.html or "")
    except (etree.ParserError, ValueError):
        return None


def _flatten_deep(tree: LexborHTMLParser, max_depth: int) -> None:
    """Unwrap the non-structural elements below `max_depth`."""
    # An explicit stack: the page's depth is what is in question, so no recursion.
    too_deep = []
    stack = [(tree.root, 1)] if tree.root is not None else []
    while stack:
        node, depth = stack.pop()
        if depth == max_depth:
            too_deep.append(node)
            continue
        child = node.child
        while child is not None:
            if child.tag != "-text":
                stack.append((child, depth + 1))
            child = child.next
    for node in too_deep:
        for inner in list(node.traverse(include_text=False))[1:]:
            if inner.tag not in _STRUCTURE:
                inner.unwrap()


def extract_page(
    html: bytes | str,
    url: str,
    profile: SiteProfile,
    *,
    content_type: str | None = None,
    favor_precision: bool = False,
    continuation: bool = False,
    now: datetime | None = None,
    repeated: RepeatedBlocks | None = None,
    max_bytes: int = 0,
    max_depth: int = MAX_DEPTH,
) -> ExtractResult:
    """Extract the documents of one page.

    Args:
        html: the raw body (decoded here, GBK included) or already-decoded text.
        url: the page URL; compilation parts get `#part-N` appended.
        profile: the site's profile (`crawler.sites.SITES[...]`, or `GENERIC`).
        content_type: the Content-Type header, for its charset.
        favor_precision: passed to trafilatura.
        continuation: the page is page 2…N of an article whose first page was a document
            page; its URL need not look like a document's, and it reports no further pages.
        now: when the page was fetched, for relative dates (3天前); default: now.
        repeated: the crawl's memory of paragraphs repeated across a site's pages; those
            seen on several pages are dropped as template from the documents found
            (`drop_repeated`: stateful, the spider owns it).
        max_bytes: a larger page is skipped as `too_large` before parsing (0: no limit).
        max_depth: see `parse_html`.

    Returns:
        `Extracted` with one document (several for a compilation), or `Skipped` with a reason.
        It never returns None and raises only on programmer errors.
    """
    if max_bytes and len(html) > max_bytes:
        return Skipped("too_large", f"{len(html)} bytes, over {max_bytes}")
    if isinstance(html, bytes) and looks_binary(html):
        return Skipped("not_html", "binary body")
    if content_type and not any(t in content_type.lower() for t in ("html", "xml", "text/plain")):
        return Skipped("not_html", content_type)
    tree = parse_html(html, content_type, profile.encoding_hint, max_depth=max_depth)
    if tree is None or tree.body is None:
        return Skipped("empty_body", "no HTML to parse")
    reason = classify(tree, url, profile, continuation=continuation)
    if reason is not None:
        return Skipped(reason)
    decide = profile.decide == "page" and not continuation
    if decide and is_listing(tree, url):
        return Skipped("listing", "no sentences outside links")

    # Every comparison of texts on this page folds each text once; the memo goes with the page.
    keys = TextKeys()
    title = read_title(tree, profile)
    paragraphs, truncated = _body(tree, profile, title, favor_precision, keys)
    reason = _not_a_document(tree, url, paragraphs, decide, keys)
    # Profiled sites know where their body is; the net is for the pages nobody has profiled.
    if decide and (reason is not None or _chars(paragraphs) < SAFETY_NET_CHARS):
        rescued = _safety_net(tree, title, profile, favor_precision)
        better = reason is not None or _chars(rescued) >= SAFETY_NET_GAIN * _chars(paragraphs)
        if (
            better
            and prose_share(rescued) >= MIN_PROSE_SHARE
            and not _not_a_document(tree, url, rescued, decide, keys)
        ):
            paragraphs, truncated, reason = rescued, False, None
    if reason is not None:
        return Skipped(reason, "no text left after removing boilerplate" if reason == "empty_body" else "")

    line = read_date_line(tree, profile, title, now)
    fetched_url = url
    if not continuation:
        # Filed under its canonical link when that names this very page (a case or share variant).
        url = canonical_of(url, read_canonical(tree))
    base = Document(
        url=url,
        site=profile.key,
        title=title,
        text="\n".join(paragraphs),
        published_at=line.published,
        category=read_category(tree, profile, title),
        source=read_source(line.text),
        keywords=read_keywords(tree, profile),
        truncated=truncated,
        extra=read_docinfo(tree, profile) if profile.extra == "docinfo" else {},
        next_pages=find_next_pages(tree, url) if profile.paginate == "page_n" and not continuation else (),
    )
    parts = split_compilation(paragraphs) if profile.split == "compilation" and not continuation else []
    result = Extracted((base,))
    if parts:
        page = url.split("#", 1)[0]
        result = Extracted(tuple(
            replace(base, url=f"{page}#part-{n}", title=heading, text="\n".join(body), collection=title)
            for n, (heading, body) in enumerate(parts, start=1)
        ))
    return drop_repeated(result, fetched_url, repeated, keys) if repeated is not None else result


# The safety net: a body shorter than this is checked against trafilatura's reading of the whole
# page, and replaced when trafilatura finds this many times more (or ours was no document).
SAFETY_NET_CHARS = 200
SAFETY_NET_GAIN = 4.0
# trafilatura keeps list entries too (it rejected none of the real set's list pages): what it
# finds replaces ours only when this share of it is in punctuated sentences.
MIN_PROSE_SHARE = 0.3


def _chars(paragraphs: list[str]) -> int:
    return sum(len(p) for p in paragraphs)


def _not_a_document(
    tree: HtmlElement, url: str, paragraphs: list[str], decide: bool, keys: TextKeys
) -> SkipReason | None:
    if not paragraphs:
        return "empty_body"
    return is_document(tree, url, paragraphs, keys) if decide else None


def _safety_net(tree: HtmlElement, title: str, profile: SiteProfile, favor_precision: bool) -> list[str]:
    """The whole page's paragraphs as trafilatura reads them, for when our path lost the article.

    Our path prunes and picks one container before trafilatura sees the page; when that goes
    wrong (a container of comments, an article pruned away) trafilatura alone, on the whole
    page, still finds the text a reader sees.
    """
    body = copy.deepcopy(tree.body)
    for element in body.xpath(".//script|.//style|.//noscript"):
        element.drop_tree()
    extracted = extract_paragraphs(body, favor_precision=favor_precision, whole_page=True)
    return clean_paragraphs(extracted, title, profile)[0]


# Text nodes after the body container searched for a paywall trailer.
TRAILER_WINDOW = 12


def _body(
    tree: HtmlElement, profile: SiteProfile, title: str, favor_precision: bool, keys: TextKeys
) -> tuple[list[str], bool]:
    """The body paragraphs of a page, cleaned, and whether the page is only a preview."""
    found = first_match(tree, profile.body_xpaths)
    container = copy.deepcopy(found if found is not None else tree.body)
    unhide(container)
    prune(container, profile, whole_page=found is None)
    if found is None:
        container = find_container(container)
    whole_page = container.tag == "body"
    extracted = extract_paragraphs(container, favor_precision=favor_precision, whole_page=whole_page, keys=keys)
    paragraphs, truncated = clean_paragraphs(extracted, title, profile)
    if paragraphs and not truncated:
        # A "剩余2页未读" bar just below the body, outside its container, also says preview.
        after = " ".join(container.xpath(f"following::text()[position() <= {TRAILER_WINDOW}]"))
        truncated = find_trailer(after, profile.trailer_markers) >= 0
    if paragraphs and not truncated:
        truncated = ends_in_cut_marker(paragraphs) or ends_mid_sentence(
            paragraphs, 0 if profile.preview else MIN_CUT_PARAGRAPH
        )
    return paragraphs, truncated
