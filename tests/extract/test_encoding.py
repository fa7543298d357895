"""Decoding GBK / GB2312 / GB18030 pages whatever the header and meta say."""

from __future__ import annotations

import pytest

from crawler.extract.encoding import decode_html, looks_binary, normalize_charset

TEXT = "在2022年全市党群工作务虚会上的讲话范文 同志们:今天是新春假期结束后上班的第一天,镕"
GBK_PAGE = f"<html><head><title>汇文网</title></head><body><p>{TEXT}</p></body></html>".encode("gb18030")
META_PAGE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    f"</head><body><p>{TEXT}</p></body></html>"
).encode("gb18030")


@pytest.mark.parametrize(
    ("body", "header"),
    [
        (GBK_PAGE, "gbk"),  # charset in the HTTP header
        (META_PAGE, None),  # only in a meta tag (declared gb2312, holds a GB18030-only char)
        (GBK_PAGE, None),  # nowhere
        (META_PAGE, "utf-8"),  # the header lies
        (GBK_PAGE, "utf-8"),  # the header lies and there is no meta
    ],
)
def test_gbk_pages_decode(body: bytes, header: str | None) -> None:
    text, codec = decode_html(body, header)
    assert TEXT in text
    assert codec == "gb18030"
    assert "\ufffd" not in text


def test_utf8_stays_utf8() -> None:
    text, codec = decode_html(f"<p>{TEXT}</p>".encode(), None, hint="gb18030")
    assert (TEXT in text, codec) == (True, "utf-8")


def test_declared_gb2312_is_read_as_gb18030() -> None:
    assert normalize_charset("GB2312") == "gb18030"
    assert normalize_charset("no-such-charset") is None


def test_binary_bodies_are_recognised() -> None:
    assert looks_binary(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert not looks_binary(GBK_PAGE)
