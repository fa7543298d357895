"""What real pages do that our own fixtures did not: one test per failure class of the real set.

Each page here is written for its test, in the shape the real page had (bench/data/real holds
the real pages, for measuring only).
"""

from __future__ import annotations

from datetime import datetime

from crawler.extract import Extracted, Skipped, extract_page
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
        "<p>《某某日报》（2024年05月11日 09版）</p><p>（某某市人民政府网站　张三整理）</p>"
        "<p>Legal Notice: Copyright Some Daily Limited. All rights reserved.</p>"
    )
    assert text_of(article(inner=inner)) == "\n".join(PARAGRAPHS)


def test_related_reports_block_is_pruned() -> None:
    related = (
        "<div><h3>相关报道</h3><p>市政府召开常务会议研究部署重点工作，会议由市长主持。2005-04-26</p></div>"
    )
    assert text_of(article(inner=ARTICLE + related)) == "\n".join(PARAGRAPHS)


def test_footer_contact_lines_are_never_a_document() -> None:
    html = page(
        "<div class='list'></div><div class='foot'>"
        "<p>主办单位：某某市人民政府办公室 承办单位：某某市大数据发展管理局</p>"
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


FORUM_URL = "http://127.0.0.1/forum.php?mod=viewthread&tid=38733"
POST_LINES = [
    "我的电脑分辨率是2560*1440，", "登录游戏以后全屏显示，", "有的地方我看不到了，", "就是把界面放大了那种，",
    "我调了分辨率都没用。", "这是什么问题啊？？",
]


def forum_page(post: str, footer: str = "") -> str:
    return page(
        f"<div id='wp'><h1>游戏全屏显示不全怎么办</h1><table><tr><td class='t_f'>{post}</td></tr></table></div>"
        f"{footer}",
        title="游戏全屏显示不全怎么办 - 技术交流 - 某某论坛",
    )


def test_a_short_post_at_an_item_address_is_a_document() -> None:
    post = "我的电脑全屏显示不全，调了分辨率都没用，这是什么问题啊？"
    assert text_of(forum_page(post), FORUM_URL) == post
    # The same short text at a folder address is a list page's remains, not a document.
    assert extract_page(forum_page(post), "http://127.0.0.1/forum/jishu/", GENERIC).reason == "listing"


def test_a_short_main_text_saying_the_page_is_gone_is_an_error_page() -> None:
    html = page(
        "<div class='box'><h1>提示信息</h1><div class='content'>页面不存在：您访问的信息不存在或已被删除！</div></div>",
        title="提示信息_某某网",
    )
    assert extract_page(html, "http://127.0.0.1/gongwen/5599.html", GENERIC).reason == "error_page"


def test_br_separated_lines_are_one_paragraph_and_a_footer_notice_never_the_body() -> None:
    footer = ("<div id='ft'><p>Valve, Counter-Strike, and Counter-Strike Online are trademarks and/or registered "
              "trademarks of Valve Corporation.</p></div>")
    text = text_of(forum_page("<br>".join(POST_LINES), footer), FORUM_URL)
    assert text.startswith("我的电脑分辨率是2560*1440，")
    assert "Valve" not in text


def test_a_grid_without_sentences_is_not_a_document() -> None:
    cells = "".join(f"<div class='cell'><p>H型钢 {n}号 规格200*200*8*12 Q235B 天津</p></div>" for n in range(12))
    html = page(f"<h1>H型钢产品</h1><div class='grid'>{cells}</div>", title="H型钢产品_某某钢材网")
    assert extract_page(html, "http://127.0.0.1/product/10059513", GENERIC).reason == "listing"


def test_a_wrapper_of_menus_and_the_article_is_not_pruned_as_a_link_block() -> None:
    menu = "".join(f"<a href='/c/{n}'>栏目导航第{n}项</a>" for n in range(40))
    inner = ARTICLE.replace("</p><p>", "") + ARTICLE  # one paragraph of 400 characters, then three
    html = page(f"<div class='wrap'><div class='menu'>{menu}</div><h1>{TITLE}</h1>"
                f"<div class='content'>{inner}</div><div class='menu'>{menu}</div></div>")
    assert text_of(html).endswith(PARAGRAPHS[-1])


def test_lines_of_verse_count_together_against_a_sidebar_sentence() -> None:
    lines = ["夜雨敲窗久未眠，", "孤灯照影到阶前。", "故园千里音书断，", "犹记春风二月天。", "檐下滴声连晓梦，",
             "枕边旧事入新篇。"]
    side = "<div class='box'><p>本站作品均由会员发表，版权归作者所有，转载请注明出处。</p></div>"
    html = page(
        f"<div class='main'><h1>夜雨</h1><div class='poem'>{''.join(f'<p>{x}</p>' for x in lines)}</div></div>{side}",
        title="夜雨_原创诗歌_某某诗歌网",
    )
    assert text_of(html, "http://127.0.0.1/c/2020-01-12/11803576.shtml") == "\n".join(lines)


def test_safety_net_takes_trafilaturas_reading_when_our_container_lost_the_article(monkeypatch) -> None:
    from lxml import html as lxml_html

    import crawler.extract as extract

    # Our container choice going wrong, as it did on real pages (a comment box, a pruned wrapper).
    monkeypatch.setattr(extract, "find_container", lambda body: lxml_html.fragment_fromstring("<div></div>"))
    assert text_of(article()) == "\n".join(PARAGRAPHS)
    # What trafilatura finds on a page of product cells is no document: the net keeps it out.
    cells = "".join(f"<div><p>H型钢 {n}号 规格200*200*8*12 Q235B 天津现货供应</p></div>" for n in range(12))
    html = page(f"<h1>H型钢产品</h1><div class='grid'>{cells}</div>", title="H型钢产品_某某钢材网")
    assert isinstance(extract_page(html, "http://127.0.0.1/product/10059513", GENERIC), Skipped)


def test_dates_on_a_twelve_hour_clock_and_after_a_weekday() -> None:
    assert parse_date("2024年5月22日週三 上午8:21") == "2024-05-22T08:21:00+08:00"
    assert parse_date("2024年 8月 25日 下午10:37") == "2024-08-25T22:37:00+08:00"
    assert parse_date("2024年8月25日 上午12:31") == "2024-08-25T00:31:00+08:00"


def test_a_date_with_its_time_beats_the_same_day_alone() -> None:
    html = article().replace(
        "<div class='info'>发布时间：2023-04-25 10:20</div>",
        "<div class='info'><span>2023-04-25</span></div><div class='share'><span>2023-04-25 10:20</span></div>",
    )
    assert extract_page(html, URL, GENERIC).documents[0].published_at == "2023-04-25T10:20:00+08:00"


def test_a_timed_date_line_below_the_body_is_read() -> None:
    # The header zone ends at the first long paragraph; the date line is below the body.
    inner = "<p>" + "本文记录了全市优化营商环境工作推进会的主要内容，" * 3 + "供参考。</p>" + ARTICLE
    html = article(inner=inner).replace("<div class='info'>发布时间：2023-04-25 10:20</div>", "").replace(
        "</div></div>", "</div><div class='postDesc'>posted @ 2023-04-25 10:20 张三 阅读(430)</div></div>"
    )
    assert extract_page(html, URL, GENERIC).documents[0].published_at == "2023-04-25T10:20:00+08:00"


def test_a_site_name_after_an_unspaced_dash_is_not_the_title() -> None:
    # Guards the dash rule above: only a dash between digits belongs to the title.
    html = page(f"<div class='content'>{ARTICLE}</div>", title=f"{TITLE}-中国科普网")
    assert extract_page(html, URL, GENERIC).documents[0].title == TITLE


_ARTICLE = "".join(
    f"<p>第{i}条 为了加强机关作风建设，进一步提高工作效率，根据上级有关规定，结合本单位实际，制定本办法。</p>"
    for i in range(8)
)


def test_a_body_nested_deeper_than_libxml2_reads_is_kept() -> None:
    # lxml (libxml2) stops at about 255 levels: below them this article was lost (empty_body).
    page = (
        "<html><head><title>关于加强作风建设的通知</title></head><body><div class=nav>首页</div>"
        + "<div>" * 10000 + "<h1>关于加强作风建设的通知</h1><div>发布时间：2024-03-05</div>" + _ARTICLE
        + "</div>" * 10000 + "<div class=footer>版权所有</div></body></html>"
    )
    result = extract_page(page, "http://127.0.0.1/a/1.html", GENERIC)
    assert isinstance(result, Extracted), result
    doc = result.documents[0]
    assert doc.published_at == "2024-03-05"
    assert doc.text.count("第") == 8 and "版权所有" not in doc.text
    assert isinstance(extract_page(page, "http://127.0.0.1/a/1.html", GENERIC, max_depth=0), Skipped)


def test_a_page_over_the_size_limit_is_skipped_before_parsing() -> None:
    page = f"<html><body><h1>通知</h1>{_ARTICLE * 50}</body></html>".encode()
    result = extract_page(page, "http://127.0.0.1/a/1.html", GENERIC, max_bytes=len(page) - 1)
    assert result == Skipped("too_large", f"{len(page)} bytes, over {len(page) - 1}")
    assert isinstance(extract_page(page, "http://127.0.0.1/a/1.html", GENERIC, max_bytes=len(page)), Extracted)
