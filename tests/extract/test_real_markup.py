"""What real pages do that our own fixtures did not: one test per failure class of the real set.

Each page here is written for its test, in the shape the real page had (bench/data/real holds
the real pages, for measuring only).
"""

from __future__ import annotations

from datetime import datetime

from crawler.extract import Skipped, extract_page
from crawler.extract.dates import SHANGHAI, parse_date
from crawler.sites import GENERIC

URL = "http://127.0.0.1/news/2023/0425/1001.html"
ARTICLE = (
    "<p>4月25日上午，全市优化营商环境工作推进会召开，会议总结了一季度工作，部署了下一阶段任务。</p>"
    "<p>会议指出，各地各部门要坚持问题导向，聚焦企业反映强烈的审批难、融资难等问题，拿出务实管用的举措。</p>"
    "<p>会议强调，要压实工作责任，强化督查考核，确保各项任务按期完成，以营商环境之优促进发展之进。</p>"
)
PARAGRAPHS = [
    "4月25日上午，全市优化营商环境工作推进会召开，会议总结了一季度工作，部署了下一阶段任务。",
    "会议指出，各地各部门要坚持问题导向，聚焦企业反映强烈的审批难、融资难等问题，拿出务实管用的举措。",
    "会议强调，要压实工作责任，强化督查考核，确保各项任务按期完成，以营商环境之优促进发展之进。",
]
TITLE = "全市优化营商环境工作推进会召开"


def page(body: str, title: str = f"{TITLE}_新闻中心_某某市人民政府") -> str:
    return f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>"


def article(extra_before: str = "", extra_after: str = "", inner: str = ARTICLE) -> str:
    return page(
        f"{extra_before}<div class='main'><h1>{TITLE}</h1><div class='info'>发布时间：2023-04-25 10:20</div>"
        f"<div class='content'>{inner}</div></div>{extra_after}"
    )


def text_of(html: str, url: str = URL) -> str:
    result = extract_page(html, url, GENERIC)
    assert result.documents, getattr(result, "reason", "")
    return result.documents[0].text


def test_a_sidebar_login_box_does_not_make_an_article_a_login_page() -> None:
    sidebar = (
        "<div class='side'><form action='/login' method='post'><p>用户名：<input name='u'></p>"
        "<p>密码：<input type='password' name='p'></p><input type='submit' value='登录'></form></div>"
    )
    assert text_of(article(extra_after=sidebar)) == "\n".join(PARAGRAPHS)


def test_a_page_that_is_a_login_form_is_still_login() -> None:
    login = page(
        "<div class='main'><h2>会员登录</h2><form action='/login' method='post'><p>用户名：<input name='u'></p>"
        "<p>密码：<input type='password' name='p'></p><p>还没有账号？请联系管理员开通。</p></form></div>"
        "<div class='footer'>版权所有 某某网</div>", title="会员登录_某某网",
    )
    assert extract_page(login, "http://127.0.0.1/member/login.php", GENERIC).reason == "login"


def test_an_article_wrapped_in_a_form_is_kept() -> None:
    # VSB and similar CMSs put the whole article inside <form name="_newscontent_fromname">.
    html = page(
        f"<form name='_newscontent_fromname'><h1>{TITLE}</h1><div class='info'>发布时间：2023-04-25</div>"
        f"<div id='vsb_content'>{ARTICLE}</div></form>"
        "<form action='/search'><input name='q'><input type='submit' value='搜索'></form>"
    )
    assert text_of(html) == "\n".join(PARAGRAPHS)


def test_a_stray_closing_html_tag_does_not_lose_the_article() -> None:
    html = (
        "<html><head><meta charset='utf-8'><title>" + TITLE + "_新闻中心</title></head><body>"
        "<div class='top'>网站首页 新闻中心</div></html>"
        f"<div class='main'><h1>{TITLE}</h1><div class='content'>{ARTICLE}</div></div></body></html>"
    )
    assert text_of(html) == "\n".join(PARAGRAPHS)


def test_a_footer_of_plain_text_urls_does_not_outscore_the_article() -> None:
    links = "".join(
        f"<li>某某单位第{n}网站 http://www.unit{n}.example/index.html</li>" for n in range(40)
    )
    html = article(extra_after=f"<div class='friend'><ul>{links}</ul></div>")
    assert text_of(html) == "\n".join(PARAGRAPHS)


def test_a_hidden_second_copy_of_the_article_is_not_doubled() -> None:
    copy = f"<div class='print-version' style='display:none'>{ARTICLE}</div>"
    assert text_of(article(inner=ARTICLE + copy)) == "\n".join(PARAGRAPHS)


def test_a_hidden_half_is_still_shown() -> None:
    more = "<p>会议要求，各级领导干部要带头深入一线，现场解决企业困难，让企业真正感受到服务的温度。</p>"
    inner = ARTICLE + f"<div class='hidecontent' style='display:none'>{more}</div>"
    assert text_of(article(inner=inner)).endswith("让企业真正感受到服务的温度。")


def test_old_portal_leaks_are_dropped() -> None:
    inner = (
        "<p>【新春走基层】</p>" + ARTICLE
        + "<p>（责任编辑：张三）</p><p>文章来源：某某日报</p><p>首页 上一页 1 2 3 下一页 尾页</p>"
        "<p>发表评论</p><p>反侵权公告：本网站所刊载信息，不代表本站观点。</p>"
        "<p>· 市政府召开常务会议 (2005-04-26)</p><p>· 全市安全生产工作会议召开 (2005-04-20)</p>"
    )
    assert text_of(article(inner=inner)) == "\n".join(PARAGRAPHS)


def test_related_reports_block_is_pruned() -> None:
    related = (
        "<div><h3>相关报道</h3><p>市政府召开常务会议研究部署重点工作，会议由市长主持。2005-04-26</p></div>"
    )
    assert text_of(article(inner=ARTICLE + related)) == "\n".join(PARAGRAPHS)


def test_footer_contact_lines_are_never_a_document() -> None:
    html = page(
        "<div class='list'></div><div class='foot'><p>主办单位：某某市人民政府办公室 承办单位：某某市大数据发展管理局</p>"
        "<p>地址：某某市某某区人民大道中段一号市民中心行政大楼 邮编：100000 电话：010-12345678</p>"
        "<p>技术支持：某某市信息中心网络运维部，如有问题请联系网站管理员</p>"
        "<p>网站标识码：1100000001</p><p>京公网安备 11010502000001号</p></div>",
        title="通知公告_某某市人民政府",
    )
    assert isinstance(extract_page(html, "http://127.0.0.1/tzgg/index.html", GENERIC), Skipped)


def test_real_date_formats() -> None:
    now = datetime(2022, 10, 5, 12, tzinfo=SHANGHAI)
    assert parse_date("06/02/2022 - 13:48") == "2022-06-02T13:48:00+08:00"
    assert parse_date("更新时间：2019-01-02T10:11:12+08:00") == "2019-01-02T10:11:12+08:00"
    assert parse_date("09-30", now=now) == "2022-09-30"
    assert parse_date("12-25", now=now) == "2021-12-25"  # a later day is last year's
    assert parse_date("发布时间：09-30 14:20", now=now) == "2022-09-30T14:20:00+08:00"
    assert parse_date("第3-5条", now=now) is None


def test_title_keeps_its_own_dash_and_drops_the_site_suffix() -> None:
    title = "2023-2025年数字政府建设规划"
    html = page(
        f"<div class='article-title'>{title}</div><div class='content'>{ARTICLE}</div>",
        title=f"{title}_政策文件_某某市人民政府",
    )
    assert extract_page(html, URL, GENERIC).documents[0].title == title


def test_a_section_heading_in_the_title_is_not_the_title() -> None:
    html = page(
        f"<h2>新闻动态</h2><div class='arti_title'>{TITLE}</div><div class='content'>{ARTICLE}</div>",
        title=f"{TITLE}-新闻动态-某某大学",
    )
    assert extract_page(html, URL, GENERIC).documents[0].title == TITLE


def test_article_title_metadata_beats_a_cut_title_tag() -> None:
    html = (
        "<html><head><meta charset='utf-8'><title>1</title>"
        f"<meta name='ArticleTitle' content='{TITLE}'></head><body>"
        f"<div class='content'>{ARTICLE}</div></body></html>"
    )
    assert extract_page(html, URL, GENERIC).documents[0].title == TITLE
