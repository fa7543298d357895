"""An element's text, read only as far as a question about it needs.

Metadata readers ask short questions of many elements: is this ancestor's text still one short
line, does this element's text open with 推荐访问, is it exactly the title. Asked with
`text_content()` or an XPath over `normalize-space(.)`, each question reads the element's
whole subtree, so asking it of every element, or of every ancestor of a node, reads the page
once per element. These read the text nodes in order and stop when the answer is known.

>>> from lxml import html
>>> page = html.fromstring("<div><p> <b>推荐</b>访问：<a>讲话</a></p><p>同志们：</p></div>")
>>> [e.tag for e in opening_with(page, ("推荐访问",))]
['p']
>>> xml_space_start(page, 4)
'推荐访问：'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from lxml.html import HtmlElement

_SPACE = re.compile(r"\s+")
# XPath's normalize-space() folds only these four, not U+3000 or U+00A0.
_XML_SPACE = " \t\r\n"
_XML_SPACES = re.compile(r"[ \t\r\n]+")


def short_spaced_text(element: HtmlElement, limit: int) -> str | None:
    """`spaced_text(element)` (text nodes joined by a space, whitespace folded) if at most `limit` long.

    None when it is longer, found by reading no more than `limit` characters of text.
    """
    parts = []
    seen = 0
    for part in element.itertext():
        parts.append(part)
        # The folded text keeps every non-space character: past the limit in those, it is too long.
        if not part.isspace():
            seen += len("".join(part.split()))
            if seen > limit:
                return None
    text = _SPACE.sub(" ", " ".join(parts)).strip()
    return text if len(text) <= limit else None


def xml_space_start(element: HtmlElement, length: int) -> str:
    """The first `length` + 1 characters of the element's `normalize-space(.)` (fewer if it is shorter).

    One character more than asked, so that a caller can tell "exactly this" from "starts with this".
    """
    parts = []
    seen = 0
    for part in element.itertext():
        parts.append(part)
        seen += len(part) - sum(part.count(c) for c in _XML_SPACE)
        # Once past length + 1 non-space characters, the start cannot change (only a trailing
        # space would, and it is beyond them).
        if seen > length + 1:
            break
    return _XML_SPACES.sub(" ", "".join(parts)).strip(_XML_SPACE)[: length + 1]


def opening_with(root: HtmlElement, starts: Iterable[str]) -> list[HtmlElement]:
    """The elements below `root` whose `normalize-space(.)` starts with one of `starts`, in document order.

    What `root.xpath(".//*[starts-with(normalize-space(.), $s)]")` finds, without computing the
    text of every element. Such an element's first non-space character opens one of its text
    nodes, and so does that of every element between it and that text node: so only the
    ancestors of text nodes that open with a start's first character are read, and only as
    far up as their text keeps opening with one of those characters.
    """
    starts = tuple(starts)
    # A match is a stretch of the root's text: a page without one of the starts (whitespace
    # folded where they hold some) has none, and its elements need not be read.
    text = root.xpath("string()")
    if any(space in start for start in starts for space in _XML_SPACE):
        text = _XML_SPACES.sub(" ", text)
    if not any(start in text for start in starts):
        return []
    firsts = {start[0] for start in starts if start}
    longest = max((len(start) for start in starts), default=0)
    found: set[HtmlElement] = set()
    visited: set[HtmlElement] = set()
    for node in root.iterdescendants():
        owners = []
        if isinstance(node.tag, str) and node.text and node.text.lstrip(_XML_SPACE)[:1] in firsts:
            owners.append(node)
        if node.tail and node.tail.lstrip(_XML_SPACE)[:1] in firsts:
            owners.append(node.getparent())  # a tail is text of its element's parent
        for owner in owners:
            element = owner
            while element is not None and element is not root and element not in visited:
                visited.add(element)
                start = xml_space_start(element, longest)
                if start[:1] not in firsts:
                    break  # its text opens with an earlier text node, read from there
                if start.startswith(starts):
                    found.add(element)
                element = element.getparent()
    return sorted(found, key=_document_order)


def texts_from(element: HtmlElement) -> Iterator[tuple[str, HtmlElement]]:
    """(text, element it is the text of) for the text nodes from `element` on, in document order.

    What `element.xpath(".//text()|following::text()")` lists (a tail is the text of its
    element's parent), one at a time: a reader that stops after a few lines reads no further.
    """
    yield from _texts_in(element)
    node = element
    while (parent := node.getparent()) is not None:
        if node.tail:
            yield node.tail, parent
        for sibling in node.itersiblings():
            yield from _texts_in(sibling)
            if sibling.tail:
                yield sibling.tail, parent
        node = parent


def _texts_in(element: HtmlElement) -> Iterator[tuple[str, HtmlElement]]:
    # The text nodes inside the element (a comment's text is none).
    if not isinstance(element.tag, str):
        return
    if element.text:
        yield element.text, element
    for child in element:
        yield from _texts_in(child)
        if child.tail:
            yield child.tail, element


def equal_to(root: HtmlElement, text: str) -> list[HtmlElement]:
    """The elements below `root` whose `normalize-space(.)` is `text`, in document order."""
    return [e for e in opening_with(root, (text,)) if xml_space_start(e, len(text)) == text]


def _document_order(element: HtmlElement) -> list[int]:
    # The element's position among its siblings, from the root down.
    path = []
    node = element
    while (parent := node.getparent()) is not None:
        path.append(parent.index(node))
        node = parent
    return path[::-1]
