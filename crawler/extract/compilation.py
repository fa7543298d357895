"""Compilation pages: one page holding several documents headed 篇一 … 篇N.

巨优公文网 publishes "(五篇)" pages whose title has nothing to do with the bodies (seed 002);
each part is a separate document and becomes its own record.
"""

from __future__ import annotations

import re

_NUMERALS = "一二三四五六七八九十"
_NUMBER = rf"[{_NUMERALS}]{{1,3}}|\d{{1,2}}"
# 杭州市政协十一届三次会议篇一 (seed 002), 第一篇:…, 【篇一】…, 篇一:…
_HEADING = re.compile(
    rf"^.{{0,60}}?篇(?P<num>{_NUMBER})$"
    rf"|^第(?P<num2>{_NUMBER})篇(?:$|[:：\s].{{0,60}}$)"
    rf"|^[【\[(（]篇(?P<num3>{_NUMBER})[】\])）].{{0,60}}$"
    rf"|^篇(?P<num4>{_NUMBER})[:：\s].{{0,60}}$"
)


def chinese_number(text: str) -> int:
    """1-99 from 一 … 九十九 or digits."""
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if "十" in text:
        tens, _, units = text.partition("十")
        return (_NUMERALS.index(tens) + 1 if tens else 1) * 10 + (
            _NUMERALS.index(units) + 1 if units else 0
        )
    return _NUMERALS.index(text) + 1


def _heading_number(paragraph: str) -> int | None:
    match = _HEADING.match(paragraph.strip())
    if not match:
        return None
    return chinese_number(match["num"] or match["num2"] or match["num3"] or match["num4"])


def split_compilation(paragraphs: list[str]) -> list[tuple[str, list[str]]]:
    """Split paragraphs at 篇一…篇N headings.

    Headings must number 1, 2, 3 … in order; anything else is not a compilation (a speech
    saying 第一篇 once stays whole). Text before the first heading is the page's filler.

    Args:
        paragraphs: the page's cleaned body paragraphs.

    Returns:
        (heading, paragraphs) per part, or [] when the page is not a compilation.

    >>> split_compilation(["前言", "会议篇一", "甲", "会议篇二", "乙"])
    [('会议篇一', ['甲']), ('会议篇二', ['乙'])]
    """
    starts = [(i, n) for i, p in enumerate(paragraphs) if (n := _heading_number(p)) is not None]
    expected = 1
    kept: list[int] = []
    for index, number in starts:
        if number == expected:
            kept.append(index)
            expected += 1
    if len(kept) < 2:
        return []
    parts = []
    for position, start in enumerate(kept):
        end = kept[position + 1] if position + 1 < len(kept) else len(paragraphs)
        body = paragraphs[start + 1 : end]
        if body:
            parts.append((paragraphs[start].strip(), body))
    return parts if len(parts) >= 2 else []
