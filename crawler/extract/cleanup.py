"""Prepare the body container for extraction, and clean the paragraphs that come out.

DOM side: unhide what a "show all" button hides (trafilatura silently drops hidden elements),
remove the profile's pruned elements and chrome blocks (温馨提示, related lists).
Text side: drop boilerplate paragraphs, the repeated title, and a paywall trailer.
"""

from __future__ import annotations

import re
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
from crawler.extract.text import compact_len, norm_key

if TYPE_CHECKING:
    from collections.abc import Iterator

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
    # Only a hidden element with text enough to be a copy needs the shown text to compare with.
    copies = [(e, own) for e in topmost if len(own := norm_key(e.text_content())) >= MIN_HIDDEN_COPY]
    if copies:
        shown = norm_key(_shown_text(container, {node for e in topmost for node in e.iter()}))
        for element, own in copies:
            if own in shown:
                drop(element)
    # Only hidden elements (and the container) carry what makes an element hidden.
    for element in (container, *hidden):
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


def text_sizes(root: HtmlElement) -> dict[HtmlElement, tuple[int, int]]:
    """(text length, link text length) of every element below `root`, in one pass.

    Whitespace does not count. Computing these per element with text_content() would read
    the page once per element.
    """
    sizes: dict[HtmlElement, tuple[int, int]] = {}

    def visit(element: HtmlElement, in_link: bool) -> tuple[int, int]:
        link = in_link or element.tag == "a"
        total = compact_len(element.text) if isinstance(element.tag, str) else 0
        linked = total if link else 0
        for child in element:
            child_total, child_linked = visit(child, link)
            tail = compact_len(child.tail)
            total += child_total + tail
            linked += child_linked + (tail if link else 0)
        sizes[element] = (total, linked)
        return total, linked

    visit(root, False)
    return sizes


def _text_size(element: HtmlElement, root: HtmlElement) -> tuple[int, int]:
    """`text_sizes(root)[element]`, for one element: read in C, not by a walk of the whole root."""
    total = compact_len(element.xpath("string()"))
    if any(node.tag == "a" for node in _up_to(element, root)):
        return total, total
    # Anchors never nest in a parsed page; were they nested, the outer one holds the text.
    anchors = list(element.iterdescendants("a"))
    inner = {nested for anchor in anchors for nested in anchor.iterdescendants("a")}
    return total, sum(compact_len(a.xpath("string()")) for a in anchors if a not in inner)


def _up_to(element: HtmlElement, root: HtmlElement) -> Iterator[HtmlElement]:
    """`element` and its ancestors up to `root`, both included."""
    node: HtmlElement | None = element
    while node is not None:
        yield node
        if node is root:
            return
        node = node.getparent()


def link_share(element: HtmlElement) -> float:
    """Share of an element's text that sits inside links."""
    total, linked = text_sizes(element)[element]
    return linked / total if total else 0.0


def _first_text(element: HtmlElement) -> str:
    return next((t.strip() for t in element.itertext() if t.strip()), "")


def _chrome_headed(container: HtmlElement) -> list[HtmlElement]:
    """The elements below the container whose first text opens with a chrome heading, outer first.

    Such an element's first text opens with one of BLOCK_STARTS, and so does that of every
    element between it and that text: walking up from each such text finds them all, without
    reading every element's first text.
    """
    found: dict[HtmlElement, int] = {}

    def walk_up(element: HtmlElement | None) -> None:
        while element is not None and element is not container and element not in found:
            if not _first_text(element).startswith(BLOCK_STARTS):
                return
            found[element] = sum(1 for _ in element.iterancestors())
            element = element.getparent()

    for node in container.iterdescendants():
        if isinstance(node.tag, str) and node.text and node.text.lstrip().startswith(BLOCK_STARTS):
            walk_up(node)
        if node.tail and node.tail.lstrip().startswith(BLOCK_STARTS):
            walk_up(node.getparent())  # a tail is text of its element's parent
    # Outer blocks first, as in document order: a block inside a dropped one goes with it.
    return sorted(found, key=found.__getitem__)


def prune_link_blocks(container: HtmlElement) -> None:
    """Remove link-dense blocks (menus, tag clouds, related lists) below the container."""
    sizes = text_sizes(container)
    for element in list(container.iterdescendants(*_LIST_BLOCKS)):
        total, linked = sizes[element]
        if total < MIN_LINK_BLOCK or linked <= MAX_LINK_SHARE * total:
            continue
        if element.getparent() is not None and _attached(element, container) and not _holds_a_paragraph(element):
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
    blocks = _chrome_headed(container)
    if blocks:
        # Sizes as they are before any block goes, as whole-page pruning has always measured them.
        whole = compact_len(container.xpath("string()"))
        sizes = [_text_size(element, container) for element in blocks]
        for element, (total, linked) in zip(blocks, sizes, strict=True):
            if not _attached(element, container):
                continue
            # A chrome block is short or a list of links, and never most of the page: a layout
            # table whose first cell happens to be 热门文章 also holds the document.
            if total < min(_BLOCK_MAX_LEN, whole / 2) and (
                total < _SHORT_BLOCK or linked >= _BLOCK_LINK_SHARE * total
            ):
                drop(element)
    prune_link_blocks(container)


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
    title_key = norm_key(title)
    while kept and title_key and norm_key(kept[0]) == title_key:
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
