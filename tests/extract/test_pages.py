"""Multi-page articles: finding pages 2…N from page 1, and recognising page N reached first."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from crawler.extract import Extracted, Skipped, extract_page
from crawler.extract.pages import find_next_pages, first_page_of
from crawler.sites import GENERIC

WORDPRESS = Path(__file__).parents[1] / "fixtures/generic/pages/wordpress_cn/multipage_nextpage"
FIRST = "http://127.0.0.1:8000/archives/2031"


def tree(links: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(f"<html><body><p>正文</p>{links}</body></html>")


def test_page_one_reports_its_path_segment_pages() -> None:
    page = lxml.html.fromstring((WORDPRESS / "page.html").read_bytes())
    assert find_next_pages(page, FIRST) == (f"{FIRST}/2",)


def test_page_two_reached_first_is_a_continuation_not_a_document() -> None:
    result = extract_page((WORDPRESS / "page_2.html").read_bytes(), f"{FIRST}/2", GENERIC)
    assert result == Skipped("continuation")


@pytest.mark.parametrize(
    ("url", "links", "expected"),
    [
        ("http://h/archives/88/3", '<a href="/archives/88">上一页</a>', "http://h/archives/88"),
        ("http://h/archives/88/2/", '<a href="../">1</a> <span>2</span>', "http://h/archives/88/"),
        # Post number 2 links to the archive index, not as its page 1.
        ("http://h/archives/2", '<a href="/archives">文章归档</a>', None),
        ("http://h/archives/88/2", '<a href="/archives/87">上一页</a>', None),
        ("http://h/archives/88/99", '<a href="/archives/88">1</a>', None),
        ("http://h/archives/88", '<a href="/archives">1</a>', None),
    ],
)
def test_first_page_of(url: str, links: str, expected: str | None) -> None:
    assert first_page_of(tree(links), url) == expected


def test_a_document_at_a_small_number_is_still_extracted() -> None:
    html = (WORDPRESS / "page.html").read_bytes()
    assert isinstance(extract_page(html, "http://127.0.0.1:8000/archives/2", GENERIC), Extracted)


def test_pages_numbered_from_zero_trs_style() -> None:
    first = "http://h/xxgk/202312/t20231228_634512.html"
    page = tree('<a href="t20231228_634512_1.html">2</a> <a href="t20231228_634512_2.html">3</a>'
                '<a href="t20231228_634512_1.html">下一页</a>')
    assert find_next_pages(page, first) == (
        "http://h/xxgk/202312/t20231228_634512_1.html", "http://h/xxgk/202312/t20231228_634512_2.html"
    )
    second = tree('<a href="t20231228_634512.html">上一页</a> <a href="t20231228_634512.html">1</a>')
    assert first_page_of(second, "http://h/xxgk/202312/t20231228_634512_1.html") == first
    # Page 1 itself linked as "1" under stem_1.html is no further page.
    assert find_next_pages(tree('<a href="123_1.html">1</a><a href="123_2.html">2</a>'), "http://h/a/123.html") == (
        "http://h/a/123_2.html",
    )


def test_a_document_number_is_no_page_number() -> None:
    assert first_page_of(tree('<a href="/list/">首页</a>'), "http://h/html/2023/0425_105.html") is None
    assert first_page_of(tree('<a href="0425.html">1</a>'), "http://h/html/2023/0425_105.html") == (
        "http://h/html/2023/0425.html"
    )
    assert find_next_pages(tree('<a href="t20231228_634513.html">下一篇</a>'), "http://h/t20231228_634512.html") == ()


def test_another_sites_copy_of_the_article_is_none_of_its_pages() -> None:
    # Template sites republish one another under the same paths: a link to the other site's
    # page 2 (or its own /archives/88/2) is not page 2 of this article.
    links = ('<a href="http://mirror.example/a/123_2.html">2</a>'
             '<a href="//mirror.example/archives/88/2">2</a><a href="123_3.html">3</a>')
    assert find_next_pages(tree(links), "http://h/a/123.html") == ("http://h/a/123_3.html",)
    assert find_next_pages(tree(links), "http://h/archives/88") == ()
    assert find_next_pages(tree('<a href="HTTP://H/a/123_2.html">2</a>'), "http://h/a/123.html") == (
        "http://H/a/123_2.html",
    )
    assert first_page_of(tree('<a href="http://mirror.example/archives/88">1</a>'), "http://h/archives/88/2") is None
