"""Splitting 篇一…篇N compilation pages."""

from __future__ import annotations

from crawler.extract.compilation import chinese_number, split_compilation


def test_parts_split_at_numbered_headings() -> None:
    paragraphs = ["在日常学习…", "会议篇一", "甲1", "甲2", "会议篇二", "乙1", "会议篇三", "丙1"]
    parts = split_compilation(paragraphs)
    assert [h for h, _ in parts] == ["会议篇一", "会议篇二", "会议篇三"]
    assert parts[0][1] == ["甲1", "甲2"]


def test_a_single_or_unordered_heading_is_not_a_compilation() -> None:
    assert split_compilation(["会议篇一", "甲"]) == []
    assert split_compilation(["会议篇二", "甲", "会议篇五", "乙"]) == []


def test_long_paragraphs_ending_in_pian_are_not_headings() -> None:
    long = "这是一个很长的段落" * 10 + "篇一"
    assert split_compilation([long, "甲", "会议篇二", "乙"]) == []


def test_chinese_numbers() -> None:
    assert [chinese_number(n) for n in ("一", "十", "十二", "二十", "二十一", "7")] == [1, 10, 12, 20, 21, 7]
