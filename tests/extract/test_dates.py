"""Dates from the page's own date line."""

from __future__ import annotations

import lxml.html
import pytest

from crawler.extract.dates import parse_date
from crawler.extract.meta import date_line, read_published
from crawler.sites import GENERIC


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


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("成文日期：2023-04-20", None),  # a 公文's signing date, not its publication
        ("会议时间：2023年5月6日 9:00", None),
        ("成文日期：2023-04-20 发布日期：2023-04-25", "2023-04-25"),
        ("日期：2023/4/25", "2023-04-25"),
        ("注册时间: 2019-05-12", None),  # a forum user card
        ("发表于: 2023-07-06 10:20", "2023-07-06T10:20:00+08:00"),  # PHPWind's colon after 于
    ],
)
def test_only_publication_labels_count(line: str, expected: str | None) -> None:
    assert parse_date(line, labelled_only=True) == expected


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        # The title in a table cell, not a heading; the date line below it.
        ('<table><tr><td class="bt">关于做好防汛工作的通知</td></tr>'
         "<tr><td>发布时间：2023年06月09日 10:20 信息来源：县应急局</td></tr></table>", "2023-06-09T10:20:00+08:00"),
        # 信息公开 table: label and value in separate cells, above the title.
        ("<table><tr><td>成文日期：</td><td>2023-04-20</td><td>发布日期：</td><td>2023-04-25</td></tr></table>"
         "<div>关于做好防汛工作的通知</div>", "2023-04-25"),
    ],
)
def test_date_line_without_a_heading(page: str, expected: str) -> None:
    body = ("各乡镇人民政府，县直各单位：为切实做好今年防汛工作，确保人民群众生命财产安全，"
            "现将有关事项通知如下，请认真贯彻落实。")
    tree = lxml.html.fromstring(f"<html><body>{page}<p>{body}</p><ul><li>2024-01-01 其他通知</li></ul></body></html>")
    line = date_line(tree, GENERIC, "关于做好防汛工作的通知")
    assert read_published(line) == expected


def test_forum_post_date_above_the_subject_wins_over_a_body_line_below() -> None:
    # The post's 发表于 line sits above its subject; a notice's own 时间：… line below it is body.
    page = (
        "<table><tr><td><ul><li>注册时间: 2019-05-12</li><li>最后登录: 2024-03-09</li></ul></td>"
        '<td><div><span>楼主</span><span>发表于: 2023-09-08 15:42</span></div>'
        "<h1>关于举办培训班的通知</h1><div><p>各单位：</p><p>一、培训时间和地点</p>"
        "<p>时间：2023年9月19日至20日，19日上午8:30前报到。</p><p>地点：县行政中心。</p>"
        f"<p>{'请各单位高度重视，按时组织人员参加培训，确保培训取得实效。' * 4}</p></div></td></tr></table>"
    )
    tree = lxml.html.fromstring(f"<html><body>{page}</body></html>")
    assert read_published(date_line(tree, GENERIC, "关于举办培训班的通知")) == "2023-09-08T15:42:00+08:00"
