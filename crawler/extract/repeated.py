"""Boilerplate by structure across pages: a paragraph repeated on many pages of a site.

A site's own slogan, disclaimer or promotion line sits on every page, worded as no shared
phrase list foresees. Once the same paragraph has been seen on `min_pages` different pages of a
host, it is template, not document. Documents republished whole on one site would lose every
paragraph that way, so at most `max_share` of a page's paragraphs are ever removed by it.

The memory is the crawl's one piece of state, so it is applied to a page's finished
documents (`drop_repeated`), after the stateless extraction: that can then run in any worker
process, and whether a page holds a document never depends on the pages crawled before it.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from crawler.extract.document import Extracted, ExtractResult
from crawler.extract.text import TextKeys

# Shorter paragraphs (同志们:, 一、…) repeat in every speech and are document text.
MIN_LENGTH = 12


class RepeatedBlocks:
    """Counts, per host, on how many pages each paragraph was seen (bounded memory).

    Args:
        min_pages: pages a paragraph must be seen on before it counts as boilerplate.
        max_share: the largest share of a page's paragraphs this may remove.
        capacity: paragraphs remembered; the least recently seen are forgotten first.
    """

    def __init__(self, min_pages: int = 3, max_share: float = 0.3, capacity: int = 50_000) -> None:
        self.min_pages = min_pages
        self.max_share = max_share
        self.capacity = capacity
        # hash((host, paragraph)) -> hashes of the first `min_pages` pages it was seen on, the
        # most recently seen last (a dict keeps insertion order). Hashes, not the texts: 7 MB
        # at the 50,000-paragraph cap instead of 39 MB, for the same answers (hash() is
        # 64 bits wide and the memory lives in one process).
        self._pages: dict[int, tuple[int, ...]] = {}

    def filter(self, url: str, paragraphs: list[str], keys: TextKeys | None = None) -> list[str]:
        """Record the page's paragraphs and return them without the site's repeated ones.

        `keys` is the page's `TextKeys` (paragraphs are compared as `norm_key` folds them).

        >>> memory = RepeatedBlocks(min_pages=2)
        >>> footer = "本站文章均来自网友投稿,仅供学习参考使用"
        >>> memory.filter("http://h/1.html", ["第一篇的正文内容很长很长。", footer])
        ['第一篇的正文内容很长很长。', '本站文章均来自网友投稿,仅供学习参考使用']
        >>> memory.filter("http://h/2.html", ["第二篇的正文内容也很长。", footer, "第二段。", "第三段。"])
        ['第二篇的正文内容也很长。', '第二段。', '第三段。']
        """
        parts = urlsplit(url)
        host, page = parts.netloc, parts.path + "?" + parts.query
        repeated = []
        key_of = keys or TextKeys()
        for paragraph in paragraphs:
            key = key_of(paragraph)
            if len(key) < MIN_LENGTH:
                continue
            slot = hash((host, key))
            seen = self._pages.pop(slot, ())
            if len(seen) < self.min_pages and hash(page) not in seen:
                seen = (*seen, hash(page))
            self._pages[slot] = seen
            if len(seen) >= self.min_pages:
                repeated.append(paragraph)
        while len(self._pages) > self.capacity:
            del self._pages[next(iter(self._pages))]
        if not repeated or len(repeated) > self.max_share * len(paragraphs):
            return paragraphs
        drop = set(repeated)
        return [p for p in paragraphs if p not in drop]


def drop_repeated(
    result: ExtractResult, page_url: str, memory: RepeatedBlocks, keys: TextKeys | None = None
) -> ExtractResult:
    """The page's documents without the paragraphs `memory` has seen on other pages of the site.

    All documents of the page (the parts of a compilation) count as one page; a document that
    would be left without text keeps its own. `keys`: the page's `TextKeys`, if it has one.
    """
    if not isinstance(result, Extracted):
        return result
    paragraphs = [line for document in result.documents for line in document.text.split("\n")]
    kept = memory.filter(page_url, paragraphs, keys)
    if len(kept) == len(paragraphs):
        return result
    drop = set(paragraphs).difference(kept)
    documents = []
    for document in result.documents:
        lines = [line for line in document.text.split("\n") if line not in drop]
        documents.append(replace(document, text="\n".join(lines)) if lines else document)
    return Extracted(tuple(documents))
