"""Decide, from the page itself, whether it holds a document.

Profiled sites let their URL patterns say which pages are documents. The generic spider has no
patterns: a page is a document when its extracted body reads like prose rather than like a list
of links to other pages (titles and summaries), which survives any markup.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler.extract.container import prose_runs
from crawler.extract.pages import first_page_of
from crawler.extract.text import TextKeys, compact_len

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.extract.document import SkipReason
    from crawler.sites.profile import SiteProfile

# "404" alone is no error: 第404次会议 is a title. It must stand as an error code.
_ERROR = re.compile(
    r"(?:^|[\s:：-])404(?:$|[\s:：-])|404\s*(?:错误|页面|error)|页面不存在|页面未找到|找不到(?:该|此)?页面"
    r"|出错了|Not Found|该文章不存在|已被删除",
    re.I,
)
_SEARCH_URL = re.compile(r"/(?:search|so)(?:[/.?]|$)|[?&](?:q|wd|keyword|keywords|kw)=", re.I)
_SEARCH_TITLE = re.compile(r"搜索结果|的搜索|search results", re.I)

# A document body has this much text at least…
MIN_DOCUMENT_CHARS = 120
# …and at most this share of it is the text of links (titles of other pages).
MAX_LINKED_SHARE = 0.3
# …and some of it is sentences: a product grid, a list of names or domains has no punctuation.
MIN_PROSE = 0.1


def _headings(tree: HtmlElement) -> str:
    return " ".join((tree.findtext(".//title") or "", *(h.text_content() for h in tree.iter("h1"))))


def classify(
    tree: HtmlElement, url: str, profile: SiteProfile, *, continuation: bool = False
) -> SkipReason | None:
    """The reason this page gives no document, or None when it may be a document page.

    Args:
        tree: the parsed page.
        url: its URL.
        profile: the site's profile; with `decide="url"` its document pattern rules.
        continuation: page 2…N of a document: only login and error pages are refused.
    """
    if is_login_page(tree):
        return "login"
    if _ERROR.search(_headings(tree)):
        return "error_page"
    if continuation:
        return None
    if profile.decide == "url":
        return None if profile.is_document(url) else "listing"
    if _SEARCH_URL.search(url) or _SEARCH_TITLE.search(tree.findtext(".//title") or ""):
        return "search"
    if profile.paginate == "page_n" and first_page_of(tree, url) is not None:
        # Page N of an article reached before its first page: page 1 fetches and joins it.
        return "continuation"
    return None


def is_login_page(tree: HtmlElement) -> bool:
    """Whether the page's main content is a login form, not merely a page with a login box.

    A password input anywhere is not enough: portals put a member login box in the sidebar of
    every article. The page is a login page when the prose outside that form is less than a
    document's worth (MIN_DOCUMENT_CHARS).
    """
    fields = tree.xpath("//input[@type='password']")
    if not fields:
        return False
    form = next(fields[0].iterancestors("form"), None)
    inside = set(form.iter()) if form is not None else set()
    outside = sum(length for node, length in prose_runs(tree.body) if node not in inside)
    return outside < MIN_DOCUMENT_CHARS


_ITEM_TAGS = ("li", "dd", "dt", "tr", "article")
_ITEM_CLASS = re.compile(r"item|list|entry|news", re.I)
# A title link: another page's title, not a 下一页 or a tag.
MIN_TITLE_LINK = 6
# An entry is a title and a summary, not a whole article that happens to hold a link.
MAX_ITEM_CHARS = 300


def _listed_texts(tree: HtmlElement, keys: TextKeys) -> list[str]:
    """Texts of list items that link to another page by its title (a list page's entries)."""
    # Only an element holding a link may be an entry: those are the links and their ancestors.
    # The order they are read in does not matter: the texts are only searched.
    linking: set[HtmlElement] = set()
    titles: dict[HtmlElement, bool] = {}
    for anchor in tree.iter("a"):
        titles[anchor] = len(keys(anchor.text_content())) >= MIN_TITLE_LINK
        node: HtmlElement | None = anchor
        while node is not None and node not in linking:
            linking.add(node)
            node = node.getparent()
    texts = []
    for element in linking:
        if element.tag not in _ITEM_TAGS and not _ITEM_CLASS.search(
            f"{element.get('class', '')} {element.get('id', '')}"
        ):
            continue
        text = keys(element.text_content())
        if len(text) > MAX_ITEM_CHARS:
            continue
        if 0 < sum(titles[a] for a in element.iter("a")) <= 2:
            texts.append(text)
    return texts


def linked_share(tree: HtmlElement, paragraphs: list[str], keys: TextKeys | None = None) -> float:
    """Share of the extracted text that sits in list entries linking to other pages.

    On a list or tag page nearly all of it does (titles and their summaries); on a document
    page the body does not, whatever sidebars the page has.
    """
    key = keys or TextKeys()
    # One string of all entries, each set off by a character no text holds: a paragraph is
    # looked for once in it (in C), not once per entry.
    listed = "\x00".join(_listed_texts(tree, key))
    total = key.length(paragraphs) or 1
    linked = sum(len(k) for p in paragraphs if (k := key(p)) and k in listed)
    return linked / total


def is_document(
    tree: HtmlElement, url: str, paragraphs: list[str], keys: TextKeys | None = None
) -> SkipReason | None:
    """For pages the page decides: None for a document, else why not ("listing", "empty_body").

    A list page (or a tag page) also yields text, made of other pages' titles and summaries:
    its text is mostly link text, or short. A short text is a document only at an address that
    names one item (a forum thread's tid=38733, /p/8057560733, /articles/77685): forum posts
    and notices of two lines are documents too.
    """
    keys = keys or TextKeys()
    chars = keys.length(paragraphs)
    if not chars:
        return "empty_body"
    if chars < MIN_DOCUMENT_CHARS:
        # A short main text that says the page is gone is a soft 404, whatever the address.
        if _ERROR.search(" ".join(paragraphs)):
            return "error_page"
        if not names_an_item(url):
            return "listing"
    if prose_share(paragraphs) < MIN_PROSE or linked_share(tree, paragraphs, keys) > MAX_LINKED_SHARE:
        return "listing"
    return None


# A page whose text outside links holds less than this in sentences (only titles, menus, dates
# and labels; a paragraph's worth is MIN_DOCUMENT_CHARS) is a list, told before anything is
# extracted. Measured on the labelled sets: no document page at an address naming no item has
# under 322 such characters; the list pages that get through are left to is_document.
MIN_SENTENCE_CHARS = 20
# Elements whose text is no prose of the page (container._SKIP).
_NOT_PROSE = frozenset({"a", "script", "style", "noscript", "select", "option", "button", "textarea", "head", "title"})


def is_listing(tree: HtmlElement, url: str) -> bool:
    """Whether a page (of a profile that lets pages decide) is obviously a list, before extraction.

    It is when its address names no item (`names_an_item`) and its text outside links holds
    under MIN_SENTENCE_CHARS of sentences: text nodes with sentence punctuation. Such a page has
    no body a document could be made of; a list with summaries has sentences and is told by
    `is_document` from what is extracted.
    """
    if names_an_item(url):
        return False
    body = tree.body
    if body is None:
        return True
    chars = 0
    for node in body.iter():
        if isinstance(node.tag, str) and node.text and SENTENCE.search(node.text) and _in_prose(node):
            chars += compact_len(node.text)
        # A tail is text of the element's parent (the body's own tail is outside it).
        if node is not body and node.tail and SENTENCE.search(node.tail) and _in_prose(node.getparent()):
            chars += compact_len(node.tail)
        if chars >= MIN_SENTENCE_CHARS:
            return False
    return True


def _in_prose(element: HtmlElement | None) -> bool:
    # Inside no link, script or form control.
    while element is not None:
        if element.tag in _NOT_PROSE:
            return False
        element = element.getparent()
    return True


_ITEM_ID = re.compile(r"\d{3,}")
_ITEM_KEYS = re.compile(r"(?:^|_)(?:t?id|aid|docid|articleid|item|p)$", re.I)


# Not the full stop: domain names and file names hold one.
SENTENCE = re.compile(r"[，。！？；,!?;]")


def prose_share(paragraphs: list[str]) -> float:
    """Share of the text in paragraphs holding sentence punctuation (list entries hold none)."""
    total = sum(len(p) for p in paragraphs)
    return sum(len(p) for p in paragraphs if SENTENCE.search(p)) / total if total else 0.0


def names_an_item(url: str) -> bool:
    """Whether the URL addresses one item by its number.

    The number (three digits or more) is in the last path segment, not a folder, or the value
    of an id-like query key.

    >>> names_an_item("https://bbs.example/forum.php?mod=viewthread&tid=38733")
    True
    >>> names_an_item("http://gov.example/WS01/CL1129/"), names_an_item("http://x.example/list_48_2.html")
    (False, False)
    """
    parts = urlsplit(url)
    last = parts.path.rsplit("/", 1)[-1]
    if _ITEM_ID.search(last):
        return True
    return any(
        _ITEM_KEYS.search(key) and _ITEM_ID.fullmatch(value)
        for key, _, value in (pair.partition("=") for pair in parts.query.split("&"))
    )
