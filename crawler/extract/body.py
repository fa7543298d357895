"""The one place trafilatura is called: main-body paragraphs of a prepared container.

trafilatura finds the text and drops what is not prose; a recall guard then checks it kept
the container's text, because this genre's bodies are long runs of short paragraphs that its
heuristics sometimes thin out.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import TYPE_CHECKING

import trafilatura
from lxml import html as lxml_html
from trafilatura.settings import use_config

from crawler.extract.boilerplate import find_trailer, is_boilerplate
from crawler.extract.text import TextKeys

if TYPE_CHECKING:
    from configparser import ConfigParser

    from lxml.html import HtmlElement

logger = logging.getLogger(__name__)
# trafilatura warns "discarding data: None" for every page without prose; our Skipped result
# already reports those pages once, with a reason.
logging.getLogger("trafilatura.core").setLevel(logging.ERROR)

_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol table tr td th blockquote section article pre br dd dt".split()
)
_LIST_MARK = re.compile(r"^\s*- ")
_INLINE_SPACE = re.compile(r"[ \t\r\f\v]+")
# fill(): blocks this short before the body are its salutation (同志们:, 各科室:); a block must
# be this long to be found inside one of trafilatura's merged paragraphs; a paywall trailer is
# looked for this many blocks after the body.
SHORT_LEAD = 20
MIN_MATCH = 8
TRAILER_LOOKAHEAD = 4
# Outside these shares of the container's own text, trafilatura's output is not trusted: below,
# it thinned the body out; above, it repeated it (short bodies inside <article> came out twice
# in some releases).
MIN_RECALL = 0.9
MAX_EXPANSION = 1.1


@lru_cache(maxsize=1)
def _config() -> ConfigParser:
    config = use_config()
    # A short speech is still a whole document: without this, bodies under 250 characters take
    # trafilatura's weaker fallback path.
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "10")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "1")
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    return config


def block_paragraphs(container: HtmlElement) -> list[str]:
    """The container's text split at block elements, in document order."""
    out: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        text = _INLINE_SPACE.sub(" ", "".join(buffer)).strip()
        out.extend(line.strip() for line in text.split("\n") if line.strip())
        buffer.clear()

    def walk(element: HtmlElement) -> None:
        is_block = isinstance(element.tag, str) and element.tag in _BLOCK_TAGS
        if is_block:
            flush()
        if isinstance(element.tag, str) and element.text:
            buffer.append(element.text)
        for child in element:
            walk(child)
        if is_block:
            flush()
        if element.tail:
            buffer.append(element.tail)

    walk(container)
    flush()
    return out


def extract_paragraphs(
    container: HtmlElement, *, favor_precision: bool = False, whole_page: bool = False, keys: TextKeys | None = None
) -> list[str]:
    """Body paragraphs of an (already pruned and unhidden) container element.

    Args:
        container: the element holding the document body, or a whole page's `<body>`.
        favor_precision: ask trafilatura to drop more borderline text.
        whole_page: the container is the whole page: trafilatura alone tells the body from the
            chrome, and the recall guard (which trusts the container) is off.
        keys: the page's `TextKeys`, shared with the page's other comparisons.

    Returns:
        Paragraphs in document order, possibly empty.
    """
    page = "<html><body>" + lxml_html.tostring(container, encoding="unicode") + "</body></html>"
    text = trafilatura.extract(
        page,
        output_format="txt",
        include_comments=False,
        include_tables=True,
        include_links=False,
        deduplicate=False,  # not deterministic across runs; the archive deduplicates
        favor_precision=favor_precision,
        favor_recall=not favor_precision,
        config=_config(),
    )
    # trafilatura's txt output marks list items with "- ", which is not the page's text.
    paragraphs = [_LIST_MARK.sub("", p).strip() for p in (text or "").split("\n") if p.strip()]
    if whole_page:
        return paragraphs
    blocks = block_paragraphs(container)
    keys = keys or TextKeys()
    return fill(guard(paragraphs, blocks, keys), blocks, keys)


def fill(extracted: list[str], blocks: list[str], keys: TextKeys | None = None) -> list[str]:
    """The container's blocks from where trafilatura's text starts to where it ends.

    trafilatura decides where the body starts and ends; inside that span every block is kept,
    because it drops short lines (同志们:, …………) that are part of the document. A short opening
    line just before the span, and a paywall trailer just after it, are kept too, so that the
    salutation survives and the trailer can mark the text truncated.

    Args:
        extracted: the paragraphs trafilatura kept (or the blocks themselves).
        blocks: the container's text split at block elements.
        keys: the page's `TextKeys`.

    Returns:
        The blocks of the body, in order.
    """
    key = keys or TextKeys()
    block_keys = [key(block) for block in blocks]
    got = [key(paragraph) for paragraph in extracted]
    wanted = set(got)
    # One string of trafilatura's paragraphs, set off by a character no text holds: a block is
    # looked for inside a merged paragraph once (in C), not once per paragraph.
    merged = "\x00".join(got)
    kept = [
        i for i, block in enumerate(block_keys)
        if block and (block in wanted or (len(block) >= MIN_MATCH and block in merged))
    ]
    if not kept:
        return extracted
    first, last = kept[0], kept[-1]
    while first > 0 and 0 < len(block_keys[first - 1]) <= SHORT_LEAD and not is_boilerplate(blocks[first - 1]):
        first -= 1
    for after in range(last + 1, min(len(blocks), last + 1 + TRAILER_LOOKAHEAD)):
        if find_trailer(blocks[after]) >= 0:
            last = after
            break
    return blocks[first : last + 1]


def guard(extracted: list[str], blocks: list[str], keys: TextKeys | None = None) -> list[str]:
    """Trafilatura's paragraphs, unless they lost or repeated the container's text.

    Args:
        extracted: what trafilatura returned.
        blocks: the container's own text, split at block elements.
        keys: the page's `TextKeys`.

    Returns:
        `extracted`, or `blocks` when `extracted` holds under MIN_RECALL or over
        MAX_EXPANSION of the blocks' characters.
    """
    # Block by block, as fill() reads them (a combining mark never opens a block, so folding
    # the blocks one by one or joined counts the same characters).
    key = keys or TextKeys()
    own = key.length(blocks)
    got = key.length(extracted)
    if own and not MIN_RECALL * own <= got <= MAX_EXPANSION * own:
        logger.debug("trafilatura gave %d of %d characters; using the container's blocks", got, own)
        return blocks
    return extracted
