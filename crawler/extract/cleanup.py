"""Prepare the body container for extraction, and clean the paragraphs that come out.

DOM side: unhide what a "show all" button hides (trafilatura silently drops hidden elements),
remove the profile's pruned elements and chrome blocks (温馨提示, related lists).
Text side: drop boilerplate paragraphs, the repeated title, and a paywall trailer.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from crawler.extract.boilerplate import (
    BLOCK_STARTS,
    SENTENCE_END,
    compile_lines,
    find_trailer,
    is_boilerplate,
)
from crawler.extract.classify import MIN_DOCUMENT_CHARS
from crawler.extract.container import own_texts, prose_runs

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.sites.profile import SiteProfile

_HIDDEN_CLASS = re.compile(r"\b(?:hide|hidden|hidecontent|content-hide|fold|collapsed?)\b", re.I)
_BLOCK_MAX_LEN = 3000
_SHORT_BLOCK = 400
_BLOCK_LINK_SHARE = 0.2


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# A hidden copy must repeat this much text to be taken for a copy rather than a hidden half.
MIN_HIDDEN_COPY = 20


def _hidden(element: HtmlElement) -> bool:
    return (
        element.get("hidden") is not None
        or bool(_HIDDEN_STYLE.search(element.get("style") or ""))
        or bool(_HIDDEN_CLASS.search(element.get("class") or ""))
    )


def unhide(container: HtmlElement) -> None:
    """Make every element of the container visible, as a reader clicking 'show all' would.

    A hidden element that only repeats text shown elsewhere (a second copy of the article,
    for another layout) is removed instead: unhiding never doubles text.
    """
    hidden = [e for e in container.iter() if isinstance(e.tag, str) and e is not container and _hidden(e)]
    topmost = [e for e in hidden if not any(_hidden(a) for a in e.iterancestors() if a is not container)]
    if topmost:
        shown = _norm(_shown_text(container, {node for e in topmost for node in e.iter()}))
        for element in topmost:
            own = _norm(element.text_content())
            if len(own) >= MIN_HIDDEN_COPY and own in shown:
                drop(element)
    for element in container.iter():
        if not isinstance(element.tag, str):
            continue
        element.attrib.pop("hidden", None)
        style = element.get("style")
        if style and _HIDDEN_STYLE.search(style):
            del element.attrib["style"]
        classes = element.get("class")
        if classes and _HIDDEN_CLASS.search(classes):
            element.set("class", _HIDDEN_CLASS.sub("", classes).strip())


def _shown_text(container: HtmlElement, hidden: set[HtmlElement]) -> str:
    """The container's text outside the hidden elements (their tails are shown)."""
    parts = []
    for node in container.iter():
        if node in hidden or not isinstance(node.tag, str):
            continue
        parts.append(node.text or "")
        parts.extend(child.tail or "" for child in node)
    return "".join(parts)


def drop(element: HtmlElement) -> None:
    """Remove an element but keep its tail text in place."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail and tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


_CHROME_TAGS = ".//nav|.//aside|.//footer|.//header|.//select|.//iframe"
_LIST_BLOCKS = ("ul", "ol", "dl", "table", "div", "section", "aside", "nav", "form")
# A block whose text is mostly link text is a menu, a tag cloud or a related-documents list.
MAX_LINK_SHARE = 0.6
MIN_LINK_BLOCK = 12
# A link-dense block holding a run of unlinked text this long holds the article: it stays.
MIN_KEPT_PARAGRAPH = 150


_SPACE = re.compile(r"\s+")


def _length(text: str | None) -> int:
    return len(_SPACE.sub("", text)) if text else 0


def text_sizes(root: HtmlElement) -> dict[HtmlElement, tuple[int, int]]:
    """(text length, link text length) of every element below `root`, in one pass.

    Whitespace does not count. Computing these per element with text_content() would read
    the page once per element.
    """
    sizes: dict[HtmlElement, tuple[int, int]] = {}

    def visit(element: HtmlElement, in_link: bool) -> tuple[int, int]:
        link = in_link or element.tag == "a"
        total = _length(element.text) if isinstance(element.tag, str) else 0
        linked = total if link else 0
        for child in element:
            child_total, child_linked = visit(child, link)
            tail = _length(child.tail)
            total += child_total + tail
            linked += child_linked + (tail if link else 0)
        sizes[element] = (total, linked)
        return total, linked

    visit(root, False)
    return sizes


def link_share(element: HtmlElement) -> float:
    """Share of an element's text that sits inside links."""
    total, linked = text_sizes(element)[element]
    return linked / total if total else 0.0


def _first_text(element: HtmlElement) -> str:
    return next((t.strip() for t in element.itertext() if t.strip()), "")


def prune_link_blocks(container: HtmlElement) -> None:
    """Remove link-dense blocks (menus, tag clouds, related lists) below the container."""
    sizes = text_sizes(container)
    for element in list(container.iterdescendants(*_LIST_BLOCKS)):
        if element.getparent() is None or not _attached(element, container):
            continue
        total, linked = sizes[element]
        if total >= MIN_LINK_BLOCK and linked > MAX_LINK_SHARE * total and not _holds_a_paragraph(element):
            drop(element)


def _holds_a_paragraph(element: HtmlElement) -> bool:
    # A wrapper of the article and of long menus is link-dense as a whole; a related list's
    # summaries are cut short, an article paragraph is not.
    return any(len(text) >= MIN_KEPT_PARAGRAPH for _, text in own_texts(element))


def _attached(element: HtmlElement, root: HtmlElement) -> bool:
    # Elements are visited parents first: one whose ancestor was dropped is gone already.
    return any(ancestor is root for ancestor in element.iterancestors())


def prune(container: HtmlElement, profile: SiteProfile, *, whole_page: bool = False) -> None:
    """Remove scripts, the profile's pruned elements and chrome blocks from the container.

    Chrome is found three ways: the profile's XPaths, blocks opening with a chrome heading
    (温馨提示, 相关推荐…), and link-dense blocks. On a whole page (no known container) the
    page's own nav/aside/header/footer elements go too.
    """
    for element in container.xpath(".//script|.//style|.//noscript|.//button|.//select|.//textarea|.//input"):
        drop(element)
    # Search and login boxes are forms, but some CMSs (VSB, on many university and government
    # sites) wrap the whole article in one: a form goes unless it holds a document's prose.
    for form in container.xpath(".//form"):
        if sum(length for _, length in prose_runs(form)) < MIN_DOCUMENT_CHARS:
            drop(form)
    if whole_page:
        for element in container.xpath(_CHROME_TAGS):
            drop(element)
    for xpath in profile.prune_xpaths:
        for element in container.xpath(xpath.replace("//", ".//", 1) if xpath.startswith("//") else xpath):
            if element is not container:
                drop(element)
    sizes = text_sizes(container)
    whole = sizes[container][0]
    for element in list(container.iterdescendants()):
        if not isinstance(element.tag, str) or not _attached(element, container):
            continue
        if not _first_text(element).startswith(BLOCK_STARTS):
            continue
        total, linked = sizes[element]
        # A chrome block is short or a list of links, and never most of the page: a layout
        # table whose first cell happens to be 热门文章 also holds the document.
        if total < min(_BLOCK_MAX_LEN, whole / 2) and (
            total < _SHORT_BLOCK or linked >= _BLOCK_LINK_SHARE * total
        ):
            drop(element)
    prune_link_blocks(container)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def clean_paragraphs(
    paragraphs: list[str], title: str, profile: SiteProfile
) -> tuple[list[str], bool]:
    """Drop boilerplate paragraphs and a paywall trailer.

    Args:
        paragraphs: extracted paragraphs in order.
        title: the page title, whose repetition at the top of the body is template chrome.
        profile: for site-specific boilerplate patterns and trailer markers.

    Returns:
        The kept paragraphs (each stripped) and whether a trailer showed the text truncated.
    """
    pattern = compile_lines(profile.boilerplate)
    kept: list[str] = []
    truncated = False
    for paragraph in paragraphs:
        text = paragraph.strip()
        if not text:
            continue
        cut = find_trailer(text, profile.trailer_markers)
        if cut >= 0:
            truncated = True
            # Text before the marker is kept when it is a finished sentence, not a fragment
            # such as the "剩余9" of "剩余9页未读".
            head = text[:cut].strip()
            if head.endswith(SENTENCE_END) and not is_boilerplate(head, pattern):
                kept.append(head)
            break
        if is_boilerplate(text, pattern):
            continue
        kept.append(text)
    title_key = _norm(title)
    while kept and title_key and _norm(kept[0]) == title_key:
        kept.pop(0)
    return kept, truncated


_CUT_MARKER = re.compile(r"[^\W\d_](?:\.{3,}|…{1,2})$")


# A closing line without punctuation (xx市人民政府, 2023年4月25日) is a signature, not a cut.
MIN_CUT_PARAGRAPH = 30


def ends_mid_sentence(paragraphs: list[str], min_length: int = 0) -> bool:
    """Whether the text stops mid-sentence: the page is a cut preview.

    Only a last paragraph of at least `min_length` characters counts.
    """
    last = paragraphs[-1].rstrip() if paragraphs else ""
    return len(last) >= max(min_length, 1) and not last.endswith(SENTENCE_END)


def ends_in_cut_marker(paragraphs: list[str]) -> bool:
    """True when the text breaks off with '...' straight after a word (真... in seed 003).

    An ellipsis after a word, not after punctuation, is how these sites mark an excerpt.
    """
    return bool(paragraphs) and _CUT_MARKER.search(paragraphs[-1].rstrip()) is not None
