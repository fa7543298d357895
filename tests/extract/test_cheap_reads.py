"""The cheaper ways of reading a page give what the costly ones gave.

Extraction reads element texts only as far as it needs (crawler.extract.treetext), parses
numeric dates itself, skips links that cannot be further pages before resolving them, and finds
chrome blocks and hidden elements without testing every element. Each shortcut is checked here
against the plain computation it replaces, on the labelled fixture pages and on made-up markup.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import lxml.html
import pytest

from crawler.extract import Skipped, extract_page, parse_html
from crawler.extract import dates as dates_module
from crawler.extract import pages as pages_module
from crawler.extract.boilerplate import BLOCK_STARTS, TRAILER_MARKERS, find_trailer
from crawler.extract.classify import is_listing
from crawler.extract.cleanup import _chrome_headed, _first_text, prune, unhide
from crawler.extract.meta import spaced_text
from crawler.extract.text import TextKeys, compact_len, norm_key
from crawler.extract.treetext import equal_to, opening_with, short_spaced_text, texts_from
from crawler.sites import GENERIC, SITES

FIXTURES = Path(__file__).parents[1] / "fixtures" / "generic" / "pages"
PAGES = sorted(FIXTURES.glob("*/*/page.html"))


def seeded(seed: object) -> random.Random:
    return random.Random(str(seed))  # noqa: S311 - reproducible test data, not security


def fixture_tree(path: Path) -> lxml.html.HtmlElement:
    tree = parse_html(path.read_bytes())
    assert tree is not None
    return tree


@pytest.mark.parametrize("path", PAGES[::3], ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_text_readers_match_their_xpaths(path: Path) -> None:
    tree = fixture_tree(path)
    body = tree.body
    rng = seeded(path.parent.name)
    elements = [e for e in body.iter() if isinstance(e.tag, str)]
    for starts in [("推荐访问", "关键词", "标签"), ("当前位置",), ("时间",), *[(t,) for t in ("a", "同志们")]]:
        xpath = ".//*[" + " or ".join(f"starts-with(normalize-space(.), $s{i})" for i in range(len(starts))) + "]"
        assert opening_with(body, starts) == body.xpath(xpath, **{f"s{i}": s for i, s in enumerate(starts)})
    for element in rng.sample(elements, 8):
        text = element.xpath("normalize-space(.)")
        if text:
            assert equal_to(body, text) == body.xpath(".//*[normalize-space()=$t]", t=text)
        for limit in (10, 120):
            full = spaced_text(element)
            assert short_spaced_text(element, limit) == (full if len(full) <= limit else None)
        expected = [(str(t), t.getparent().getparent() if t.is_tail else t.getparent())
                    for t in element.xpath(".//text()|following::text()")]
        assert list(texts_from(element)) == expected


def test_text_keys_fold_once_like_norm_key() -> None:
    keys = TextKeys()
    texts = ["同志们：", " ２０２３年 ４月 ", "同志们：", "ｶﾞ\u3000x"]
    assert [keys(t) for t in texts] == [norm_key(t) for t in texts] == ["同志们:", "2023年4月", "同志们:", "ガx"]
    assert keys.length(texts) == sum(len(norm_key(t)) for t in texts)
    assert [compact_len(t) for t in (None, "", " \n", " a b\u3000c ")] == [0, 0, 0, 3]


def numeric_tokens() -> list[str]:
    rng = seeded(7)
    separators = [("-", "-", ""), ("/", "/", ""), (".", ".", ""), ("年", "月", "日"), ("年", "月", ""),
                  (" - ", " - ", ""), ("年 ", "月 ", "日 "), ("-", "/", ""), ("年", "-", "日")]
    times = ["", " 8:05", "  15:10:05", "T08:21", "15:30", " 24:00", " 12:60", " 15：30", " 9:5", "\u3000 8:05"]
    tokens = []
    for (first, second, last), time in itertools.product(separators, times):
        year = rng.choice([1990, 1999, 2012, 2023, 2024, 2099])
        month, day = rng.randint(0, 13), rng.randint(0, 32)
        tokens.append(f"{year}{first}{month:02d}{second}{day}{last}{time}")
    return tokens


def test_numeric_dates_read_directly_agree_with_dateparser() -> None:
    direct = 0
    for token in numeric_tokens():
        found = dates_module._numeric(token)
        if found is not None:
            direct += 1
            assert found == dates_module._parse_token(token, None, False), token
    assert direct > 20
    # Out-of-range parts are dateparser's to answer.
    assert dates_module._numeric("2023-13-05") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The summers of 1986-1991, when the tz database gives Asia/Shanghai summer time.
        ("1990年7月1日", "1990-07-01"),
        ("发布日期：1988-06-15", "1988-06-15"),
        ("发布时间：1991年8月3日 00:30", "1991-08-03T00:30:00+08:00"),
        ("1990年7月1日 下午3:00", "1990-07-01T15:00:00+08:00"),
        ("1901年7月1日", "1901-07-01"),  # local mean time, in the tz database
        ("1990年7月1号", "1990-07-01"),  # not numeric: dateparser's own path
    ],
)
def test_dates_before_1992_are_the_dates_printed(text: str, expected: str) -> None:
    assert dates_module.parse_date(text) == expected


@pytest.mark.parametrize(
    "url", ["http://h/a/123.html", "http://h/a/123_1.html", "http://h/a/123", "http://h/a/123/", "http://h/a/?page=1"]
)
def test_links_skipped_before_urljoin_could_never_be_pages(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    hrefs = ["123_2.html", " 123_3.html", "12\n3_4.html", "http:123_5.html", "./123_6.html", "../a/123_7.html",
             "?page=2", "", "#top", ".", "..", "/a/123_8.html", "//h/a/123_9.html", "HTTP://h:80/a/123_10.html",
             "https://h/a/123_11.html?x=1#y", "/a/123.html/2", "2", "123/3", "javascript:;", "/other/9_2.html",
             "mailto:x@h", "http://h", "124_2.html"]
    page = lxml.html.fromstring("<html><body>" + "".join(f"<a href='{h}'>2</a>" for h in hrefs) + "</body></html>")
    found = pages_module.find_next_pages(page, url)
    monkeypatch.setattr(pages_module, "_may_be_a_page", lambda href, stem: True)
    assert found == pages_module.find_next_pages(page, url)


def test_the_trailer_found_is_the_first_marker() -> None:
    rng = seeded(3)
    markers = [*TRAILER_MARKERS, "只看楼主"]
    for _ in range(200):
        paragraph = "".join(rng.choice(["正文。", " ", *markers]) for _ in range(rng.randint(0, 6)))
        positions = [p for m in markers if (p := paragraph.find(m)) >= 0]
        assert find_trailer(paragraph, ("只看楼主",)) == (min(positions) if positions else -1)


def test_unhide_touches_every_hidden_element_and_only_those() -> None:
    tree = lxml.html.fragment_fromstring(
        "<div style='display:none'><p class='intro'>一</p>"
        "<div class='HideContent' style='color:red'><p>二</p></div>"
        "<span hidden>三</span><p class='folded'>四</p><p class='x' style='VISIBILITY: hidden'>五</p></div>"
    )
    unhide(tree)
    markup = lxml.html.tostring(tree, encoding="unicode")
    assert markup == (
        '<div><p class="intro">一</p><div class="" style="color:red"><p>二</p></div>'
        '<span>三</span><p class="folded">四</p><p class="x">五</p></div>'
    )


def test_a_chrome_block_inside_a_chrome_block_goes_with_it() -> None:
    article = "<p>" + "今天召开会议，部署全年工作，大家要认真抓好落实。" * 6 + "</p>"
    tree = lxml.html.fragment_fromstring(
        f"<div>{article}<div class='rel'> 相关推荐<div>热门文章<ul><li><a href='/1'>第一篇</a></li></ul></div>"
        "</div><div>  温馨提示：本站文章均来自网络</div></div>"
    )
    prune(tree, SITES["baina"])
    assert lxml.html.tostring(tree, encoding="unicode") == f"<div>{article}</div>"


@pytest.mark.parametrize("path", PAGES[1::3], ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_chrome_blocks_are_the_elements_whose_first_text_opens_with_a_heading(path: Path) -> None:
    body = fixture_tree(path).body
    every = {e for e in body.iterdescendants() if isinstance(e.tag, str) and _first_text(e).startswith(BLOCK_STARTS)}
    found = _chrome_headed(body)
    assert set(found) == every
    depth = [sum(1 for _ in e.iterancestors()) for e in found]
    assert depth == sorted(depth)


def test_a_list_of_links_is_a_listing_before_extraction() -> None:
    entries = "".join(f"<li><a href='/fanwen/{n}.html'>第{n}篇会议讲话稿范文</a><span>2023-04-{n:02d}</span></li>"
                      for n in range(1, 21))
    html = f"<html><body><h1>讲话稿</h1><ul>{entries}</ul><div>第1页 下一页</div></body></html>"
    assert extract_page(html, "http://127.0.0.1/fanwen/", GENERIC) == Skipped("listing", "no sentences outside links")
    # At an address naming one item the page gets a full extraction (and is still no document).
    assert extract_page(html, "http://127.0.0.1/fanwen/1203.html", GENERIC).reason == "listing"


def test_no_labelled_document_is_told_a_listing_before_extraction() -> None:
    for path in PAGES:
        url = json.loads((path.parent / "meta.json").read_text(encoding="utf-8"))["url"]
        assert not is_listing(fixture_tree(path), url), path
