"""Dates from the page's own date line."""

from __future__ import annotations

import pytest

from crawler.extract.dates import parse_date


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("时间:2022-09-15 15:10:05 来源:网友投稿", "2022-09-15T15:10:05+08:00"),
        ("时间:2023-04-25 13:50:06 公文范文 来源:网友投稿", "2023-04-25T13:50:06+08:00"),
        ("ID:1999872 大小:24.06KB 页数:13页 格式:DOCX 时间:2023-04-24", "2023-04-24"),
        ("发布时间：2023年04月25日", "2023-04-25"),
        ("上传时间: 2023/4/25 8:05", "2023-04-25T08:05:00+08:00"),
        ("| 来源:网友投稿", None),
        ("时间:2023-13-45", None),
    ],
)
def test_parse_date(line: str, expected: str | None) -> None:
    assert parse_date(line) == expected


def test_labelled_date_wins_over_an_earlier_unlabelled_one() -> None:
    assert parse_date("ID:2019-01-01 时间:2023-04-24") == "2023-04-24"
