"""The canonical form of a document's fields: what the archive and every export store.

Shared by the crawl (`NormalizePipeline`) and re-extraction (`crawler.reextract`), so that a
stored capture read again gives the fields the crawl gave it, to the character.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from crawler.extract.dates import parse_date

__all__ = ["normalize_fields"]

_INLINE_SPACE = re.compile(r"[ \t\u00a0\u3000]+")


def normalize_fields(fields: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    r"""Return the fields in canonical form, and whether a published_at was dropped as unreadable.

    Paragraphs are NFC-normalised and trimmed and empty ones dropped, runs of inline spaces
    folded (masks such as `***` and `xx` are untouched), the title trimmed, keywords trimmed and
    de-duplicated, and a published_at that does not parse as a date nulled.

    >>> normalize_fields({"text": " 第一段 \n\n第二段\u3000\u3000二", "title": " 通知 ", "keywords": ["a ", "a"]})[0]
    {'text': '第一段\n第二段 二', 'title': '通知', 'keywords': ['a']}
    """
    out = dict(fields)
    lines = (unicodedata.normalize("NFC", line).strip() for line in str(out.get("text") or "").split("\n"))
    out["text"] = "\n".join(_INLINE_SPACE.sub(" ", line) for line in lines if line)
    out["title"] = _INLINE_SPACE.sub(" ", str(out.get("title") or "")).strip()
    keywords = (str(k).strip() for k in out.get("keywords") or ())
    out["keywords"] = list(dict.fromkeys(k for k in keywords if k))
    published = out.get("published_at")
    bad_date = bool(published) and parse_date(str(published)) is None
    if bad_date:
        out["published_at"] = None
    return out, bad_date
