"""Find the element holding a page's document body, for sites with no profile.

Text-density scoring in the manner of readability: every run of prose (not link text) credits
the block it sits in, and less so that block's ancestors; the best-credited element holds the
body. It needs no class names, so it works on table layouts, `<br>`-separated bodies and
`<article>` pages alike.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lxml.html import HtmlElement

_SPACE = re.compile(r"\s+")
_SKIP = frozenset({"script", "style", "noscript", "a", "select", "option", "button", "textarea", "head", "title"})
# Runs shorter than this are labels, menus and dates, not prose.
MIN_RUN = 20
# Sentences have commas and full stops (readability counts commas, GNE measures punctuation
# density); a footer of plain-text URLs, addresses and phone numbers has none, and however
# long it is, it never outscores prose. Only a page with no punctuated run at all is scored
# on its unpunctuated runs.
_PUNCTUATION = re.compile(r"[，。；！？、,;!?]")
# Credit passed up: the block itself, its parent, its grandparent.
DECAY = (1.0, 0.5, 0.25)
_CHROME_TAGS = frozenset({"nav", "aside", "footer", "header"})
# Class and id words of page chrome (readability's "unlikely candidates"): their prose, a footer's
# trademark notice or a comment, never makes them the document.
_UNLIKELY = re.compile(
    r"(?:^|[\s_-])(?:footer|foot|ft|copyright|comments?|sidebar|breadcrumbs?|share)(?:$|[\s_-])", re.I
)
_INLINE = frozenset({"font", "span", "b", "strong", "em", "i", "u", "small", "big"})
# How far up, and with how much text in alike siblings, a container widens.
MAX_WIDEN = 4
WIDEN_SHARE = 0.25


def own_texts(root: HtmlElement) -> Iterator[tuple[HtmlElement, str]]:
    """(element, its own text) for every element outside links, whitespace removed.

    An element's own text is its text and its children's tails, joined: lines a `<br>` separates
    are one run, as a reader sees one paragraph.
    """
    in_link = {node for anchor in root.iter("a") for node in anchor.iter()}
    for node in root.iter():
        if not isinstance(node.tag, str) or node.tag in _SKIP or node in in_link:
            continue
        own = "".join((node.text or "", *(child.tail or "" for child in node)))
        if own:
            yield node, _SPACE.sub("", own)


def prose_runs(root: HtmlElement) -> list[tuple[HtmlElement, int]]:
    """(element holding it, length) of every prose run: text and tails outside links."""
    return [(node, len(text)) for node, text in own_texts(root) if len(text) >= MIN_RUN]


def _block(node: HtmlElement) -> HtmlElement:
    # Inline wrappers (<font>, <span>, <b>) belong to the block around them.
    while node.tag in _INLINE and node.getparent() is not None:
        node = node.getparent()
    return node


def find_container(body: HtmlElement) -> HtmlElement:
    """The element of `body` that holds the document text (`body` itself when unsure).

    Args:
        body: a page's `<body>`, unhidden and pruned of scripts.

    Returns:
        The best-scoring block element.
    """
    scores: dict[HtmlElement, float] = defaultdict(float)
    unpunctuated: dict[HtmlElement, float] = defaultdict(float)
    prose: dict[HtmlElement, int] = defaultdict(int)
    unlikely = {
        node for element in body.iter() if isinstance(element.tag, str)
        and _UNLIKELY.search(f"{element.get('class', '')} {element.get('id', '')}") for node in element.iter()
    }
    # Lines of verse or of a <p>-per-line notice are short, but many of them under one parent
    # are a text like any other: they count together, as one run of their parent's.
    lines: dict[HtmlElement, int] = defaultdict(int)
    runs: list[tuple[HtmlElement, int, bool]] = []
    for node, text in own_texts(body):
        if node in unlikely:
            continue
        if len(text) >= MIN_RUN:
            runs.append((_block(node), len(text), bool(_PUNCTUATION.search(text))))
        elif _PUNCTUATION.search(text) and (parent := _block(node).getparent()) is not None:
            lines[parent] += len(text)
    runs += [(parent, length, True) for parent, length in lines.items() if length >= MIN_RUN]
    for block, length, punctuated in runs:
        for ancestor in (block, *block.iterancestors()):
            prose[ancestor] += length
            if ancestor is body:
                break
        credit = scores if punctuated else unpunctuated
        credited: HtmlElement | None = block
        for weight in DECAY:
            if credited is None:
                break
            if credited.tag not in _CHROME_TAGS:
                credit[credited] += weight * length
            credited = credited.getparent()
    scores = scores or unpunctuated
    if not scores:
        return body
    best = max(scores.items(), key=lambda item: item[1])[0]
    return _widen(best, body, prose)


def _widen(best: HtmlElement, body: HtmlElement, prose: dict[HtmlElement, int]) -> HtmlElement:
    """The parent of `best` when `best` is one of several alike blocks holding prose.

    A docx preview's pages, or paragraphs of equal weight, are siblings of one tag and class:
    the document is all of them, in order.
    """
    chosen = node = best
    for _ in range(MAX_WIDEN):
        parent = node.getparent()
        if parent is None or parent is body:
            break
        alike = sum(
            prose.get(sibling, 0) for sibling in parent
            if sibling is not node and sibling.tag == node.tag and sibling.get("class") == node.get("class")
        )
        # Alike siblings with a real share of text (not one date row of a layout table).
        if alike >= WIDEN_SHARE * prose.get(node, 0):
            chosen = parent
        node = parent
    return chosen
