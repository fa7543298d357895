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

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.sites.profile import SiteProfile

_HIDDEN_CLASS = re.compile(r"\b(?:hide|hidden|hidecontent|content-hide|fold|collapsed?)\b", re.I)
_BLOCK_MAX_LEN = 3000


def unhide(container: HtmlElement) -> None:
    """Make every element of the container visible, as a reader clicking 'show all' would."""
    for element in container.iter():
        if not isinstance(element.tag, str):
            continue
        element.attrib.pop("hidden", None)
        style = element.get("style")
        if style and re.search(r"display\s*:\s*none|visibility\s*:\s*hidden", style, re.I):
            del element.attrib["style"]
        classes = element.get("class")
        if classes and _HIDDEN_CLASS.search(classes):
            element.set("class", _HIDDEN_CLASS.sub("", classes).strip())


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
_LIST_BLOCKS = ("ul", "ol", "dl", "table", "div", "section", "aside", "nav")
# A block whose text is mostly link text is a menu, a tag cloud or a related-documents list.
MAX_LINK_SHARE = 0.6
MIN_LINK_BLOCK = 12


def link_share(element: HtmlElement) -> float:
    """Share of an element's text that sits inside links."""
    text = len(re.sub(r"\s+", "", element.text_content()))
    if not text:
        return 0.0
    linked = sum(len(re.sub(r"\s+", "", a.text_content())) for a in element.iter("a"))
    return linked / text


def prune_link_blocks(container: HtmlElement) -> None:
    """Remove link-dense blocks (menus, tag clouds, related lists) below the container."""
    for element in list(container.iterdescendants(*_LIST_BLOCKS)):
        if element.getparent() is None:
            continue
        text = re.sub(r"\s+", "", element.text_content())
        if len(text) >= MIN_LINK_BLOCK and link_share(element) > MAX_LINK_SHARE:
            drop(element)


def prune(container: HtmlElement, profile: SiteProfile, *, whole_page: bool = False) -> None:
    """Remove scripts, the profile's pruned elements and chrome blocks from the container.

    Chrome is found three ways: the profile's XPaths, blocks opening with a chrome heading
    (温馨提示, 相关推荐…), and link-dense blocks. On a whole page (no known container) the
    page's own nav/aside/header/footer elements go too.
    """
    for element in container.xpath(".//script|.//style|.//noscript|.//form|.//button"):
        drop(element)
    if whole_page:
        for element in container.xpath(_CHROME_TAGS):
            drop(element)
    for xpath in profile.prune_xpaths:
        for element in container.xpath(xpath.replace("//", ".//", 1) if xpath.startswith("//") else xpath):
            if element is not container:
                drop(element)
    for element in list(container.iterdescendants()):
        if not isinstance(element.tag, str) or element.getparent() is None:
            continue
        text = element.text_content().strip()
        if text.startswith(BLOCK_STARTS) and len(text) < _BLOCK_MAX_LEN:
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
            head = text[:cut].strip()
            if head and not is_boilerplate(head, pattern):
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
