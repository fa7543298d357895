#!/usr/bin/env python3
"""Generate the held-out extraction set (bench/data/heldout/<markup>/<case>/).

Written without looking at crawler/extract or crawler/sites. Run once; the generated files are committed.

    python bench/data/heldout/build.py
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import texts as T  # noqa: E402

BASE = "http://127.0.0.1:8000"
FETCHED = "2024-03-10T12:00:00+08:00"
e = html.escape


def write_case(markup, case, url, encoding, content_type, note, pages, records, must_not_contain):
    """pages: [(url, html_str)], the first is page.html."""
    folder = HERE / markup / case
    folder.mkdir(parents=True, exist_ok=True)
    codec = "gbk" if encoding == "gbk" else "utf-8"
    for i, (_purl, s) in enumerate(pages):
        name = "page.html" if i == 0 else f"page_{i + 1}.html"
        (folder / name).write_bytes(s.encode(codec))
    meta = {"url": url, "encoding": encoding, "content_type": content_type, "fetched_at": FETCHED,
            "markup": markup, "note": note}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    exp = {"records": records, "must_not_contain": must_not_contain}
    if len(pages) > 1:
        exp["pages"] = [{"url": u, "file": f"page_{i + 2}.html"} for i, (u, _) in enumerate(pages[1:])]
    (folder / "expected.json").write_text(json.dumps(exp, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    # sanity: boilerplate must not be in any expected text; every expected paragraph is on a page
    alltext = "\n".join(r["text"] for r in records)
    for s in must_not_contain:
        assert s not in alltext, (markup, case, s)
    page_text = "".join(html.unescape(p) for _, p in pages)
    for r in records:
        for para in r["text"].split("\n"):
            assert para in page_text, (markup, case, para[:30])


def rec(title, date, paras, truncated=False, suffix="", collection=None):
    return {"url_suffix": suffix, "title": title, "published_at": date, "text": "\n".join(paras),
            "truncated": truncated, "collection": collection}


# =====================================================================================
# markup 1: zwgk_table_gbk — government-portal-like table layout, GBK declared only in the HTTP header
# =====================================================================================

GOV_SITE = "××县公文参考网"
GOV_LATEST = [
    ("关于印发《2023年全县重点工作任务分解方案》的通知", "2023-04-24"),
    ("县人民政府关于调整部分行政许可事项的决定", "2023-04-21"),
    ("2023年第一季度全县经济运行情况分析", "2023-04-18"),
    ("关于进一步加强城市燃气安全管理工作的通知", "2023-04-12"),
    ("全县春季植树造林工作情况通报", "2023-04-06"),
]
GOV_RELATED = [
    ("关于开展2022年度政务公开工作考核的通知", "2022-12-08"),
    ("县人民政府办公室2022年工作要点落实情况报告", "2023-01-16"),
    ("关于做好2023年防汛抗旱工作的通知", "2023-03-29"),
    ("在全县优化营商环境工作会议上的讲话", "2023-02-27"),
]


def gov_page(title, info_html, body_paras, *, pager="", after_body="", headings=()):
    latest = "\n".join(
        f'<tr><td class="dot">·</td><td class="lt"><a href="/zwgk/tzgg/202304/t2023041{i}_63{i}001.html" title="{e(t)}">{e(t)}</a></td>'
        f'<td class="rq">[{d}]</td></tr>' for i, (t, d) in enumerate(GOV_LATEST))
    related = "\n".join(
        f'<li><a href="/zwgk/gzdt/202301/t2023011{i}_61{i}222.html">{e(t)}</a><span class="rq">{d}</span></li>'
        for i, (t, d) in enumerate(GOV_RELATED))
    body = []
    for p in body_paras:
        if p in headings:
            body.append(f'<p style="text-indent:2em;line-height:2em;"><font face="黑体" size="4">{e(p)}</font></p>')
        elif (p.startswith("××") and len(p) < 20) or (p.startswith("20") and p.endswith("日") and len(p) < 14):
            body.append(f'<p style="text-align:right;line-height:2em;"><font face="仿宋_GB2312" size="4">{e(p)}</font></p>')
        else:
            body.append(f'<p style="text-indent:2em;line-height:2em;"><font face="仿宋_GB2312" size="4">{e(p)}</font></p>')
    body_html = "\n".join(body)
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="X-UA-Compatible" content="IE=EmulateIE7" />
<title>{e(title)}-政务公开-{GOV_SITE}</title>
<meta name="SiteName" content="{GOV_SITE}" />
<meta name="ColumnName" content="政务公开" />
<link href="/images/zwgk_style.css" rel="stylesheet" type="text/css" />
<script type="text/javascript" src="/images/jquery.min.js"></script>
</head>
<body>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="top">
  <tr><td height="30" class="top-links">今天是：<span id="today"></span>&nbsp;&nbsp;<a href="/">设为首页</a> | <a href="/">加入收藏</a> | <a href="/wza/">无障碍浏览</a></td></tr>
  <tr><td height="140" class="banner"><img src="/images/banner.jpg" width="1000" height="140" alt="{GOV_SITE}" /></td></tr>
</table>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="nav">
  <tr>
    <td><a href="/">首&nbsp;&nbsp;页</a></td><td><a href="/zwgk/">政务公开</a></td><td><a href="/zwgk/tzgg/">通知公告</a></td>
    <td><a href="/zwgk/ldjh/">领导讲话</a></td><td><a href="/zwgk/gzzj/">工作总结</a></td><td><a href="/hdjl/">互动交流</a></td><td><a href="/bsfw/">办事服务</a></td>
  </tr>
</table>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="location">
  <tr><td height="32">&nbsp;<img src="/images/home.gif" />&nbsp;当前位置：<a href="/">首页</a>&nbsp;&gt;&nbsp;<a href="/zwgk/">政务公开</a>&nbsp;&gt;&nbsp;<a href="/zwgk/tzgg/">公文范文</a></td>
  <td align="right"><form action="/search/" method="get"><input type="text" name="searchword" value="请输入关键字" class="ss-input" /><input type="submit" value="检索" class="ss-btn" /></form></td></tr>
</table>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="main">
  <tr>
    <td width="240" valign="top" class="left">
      <table width="100%" border="0" cellspacing="0" cellpadding="0" class="lbox">
        <tr><td class="lbox-tit">栏目导航</td></tr>
        <tr><td class="lbox-con"><a href="/zwgk/tzgg/">通知公告</a><br /><a href="/zwgk/ldjh/">领导讲话</a><br /><a href="/zwgk/gzzj/">工作总结</a><br /><a href="/zwgk/gzjh/">工作计划</a></td></tr>
      </table>
      <table width="100%" border="0" cellspacing="0" cellpadding="0" class="lbox">
        <tr><td class="lbox-tit" colspan="3">最新公开</td></tr>
{latest}
      </table>
    </td>
    <td width="20"></td>
    <td width="740" valign="top" class="right">
{info_html}
      <table width="100%" border="0" cellspacing="0" cellpadding="0" class="art-body">
        <tr><td class="zoom" id="zoom">
<div class="TRS_Editor">
{body_html}
</div>
        </td></tr>
      </table>
{pager}{after_body}
      <table width="100%" border="0" cellspacing="0" cellpadding="0" class="art-tools">
        <tr><td class="share">分享到：<a href="javascript:;" class="wx">微信</a> <a href="javascript:;" class="wb">新浪微博</a> <a href="javascript:;" class="qz">QQ空间</a></td>
        <td align="right">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】【<a href="/jiucuo/">我要纠错</a>】</td></tr>
      </table>
      <div class="xgxx"><div class="xgxx-tit">相关信息</div><ul>
{related}
      </ul></div>
    </td>
  </tr>
</table>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="footer">
  <tr><td align="center" height="30"><a href="/about/">关于本站</a> | <a href="/sitemap/">网站地图</a> | <a href="/contact/">联系我们</a></td></tr>
  <tr><td align="center" class="copyright">主办单位：{GOV_SITE}编辑部&nbsp;&nbsp;版权所有：{GOV_SITE}&nbsp;&nbsp;未经许可禁止转载<br />
  备案号：<a href="https://beian.miit.gov.cn/">豫ICP备13012345号-2</a>&nbsp;&nbsp;豫公网安备 41010202000123号&nbsp;&nbsp;建议使用1024×768分辨率浏览</td></tr>
</table>
</body>
</html>
"""


def gov_title_block(title, line):
    return f"""      <table width="100%" border="0" cellspacing="0" cellpadding="0" class="art-title">
        <tr><td align="center" class="bt">{e(title)}</td></tr>
        <tr><td align="center" class="fbxx">{line}&nbsp;&nbsp;【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】</td></tr>
      </table>"""


GOV_MNC = ["当前位置", "首页", "政务公开", "最新公开", "栏目导航", "相关信息", "分享到", "打印本页", "关闭窗口",
           "我要纠错", "版权所有", "ICP备", "公网安备", "主办单位", "字体", "信息来源", "浏览次数",
           GOV_SITE] + [t for t, _ in GOV_LATEST] + [t for t, _ in GOV_RELATED]
GOV_CT = "text/html; charset=GBK"


def build_gov():
    m = "zwgk_table_gbk"
    headings_notice = ("一、活动时间", "二、主要任务", "三、工作要求")

    # 1. info table (索引号/发布机构/成文日期/发布日期), date only, body signed with an earlier date
    url = f"{BASE}/zwgk/tzgg/202304/t20230425_635120.html"
    title = T.GOV_NOTICE_TITLE
    info = f"""      <table width="100%" border="1" cellspacing="0" cellpadding="0" bordercolor="#d8d8d8" class="xxgk-info">
        <tr><td class="label" width="15%">索 引 号：</td><td width="35%">11410123MB0000001X/2023-00123</td><td class="label" width="15%">主题分类：</td><td width="35%">卫生、体育</td></tr>
        <tr><td class="label">发布机构：</td><td>××县人民政府办公室</td><td class="label">发文字号：</td><td>×政办〔2023〕15号</td></tr>
        <tr><td class="label">名　　称：</td><td colspan="3">{e(title)}</td></tr>
        <tr><td class="label">成文日期：</td><td>2023-04-20</td><td class="label">发布日期：</td><td>2023-04-25</td></tr>
      </table>
      <table width="100%" border="0" cellspacing="0" cellpadding="0" class="art-title">
        <tr><td align="center" class="bt">{e(title)}</td></tr>
      </table>"""
    page = gov_page(title, info, T.GOV_NOTICE, headings=headings_notice)
    write_case(m, "info_table_fabu_riqi", url, "gbk", GOV_CT,
               "信息公开 info table: 成文日期 2023-04-20 and 发布日期 2023-04-25 in separate label/value cells; "
               "published_at = 发布日期 (date only). The body's own 落款 (××县人民政府办公室 / 2023年4月20日) IS body. "
               "GBK with the charset only in the HTTP header (no meta charset).",
               [(url, page)], [rec(title, "2023-04-25", T.GOV_NOTICE)],
               [*GOV_MNC, "索 引 号", "发布机构", "发文字号", "成文日期", "发布日期", "主题分类", "11410123MB0000001X", "×政办〔2023〕15号", "名\u3000\u3000称"])

    # 2. multi-page TRS article t..._634512.html + t..._634512_1.html
    url = f"{BASE}/zwgk/gzzj/202312/t20231228_634512.html"
    url2 = f"{BASE}/zwgk/gzzj/202312/t20231228_634512_1.html"
    title = T.GOV_SUMMARY_TITLE
    line = "发布时间：2023-12-28 16:30:12&nbsp;&nbsp;信息来源：县市场监管局&nbsp;&nbsp;浏览次数：<span id=\"hits\">1326</span>"
    heads = ("一、主要工作成效", "二、存在的问题", "三、2024年工作打算")
    pager1 = """      <table width="100%" border="0" cellspacing="0" cellpadding="0" class="pages"><tr><td align="center">共2页&nbsp;&nbsp;<span class="cur">1</span>&nbsp;<a href="t20231228_634512_1.html">2</a>&nbsp;&nbsp;<a href="t20231228_634512_1.html">下一页</a>&nbsp;<a href="t20231228_634512_1.html">尾页</a></td></tr></table>
"""
    pager2 = """      <table width="100%" border="0" cellspacing="0" cellpadding="0" class="pages"><tr><td align="center">共2页&nbsp;&nbsp;<a href="t20231228_634512.html">首页</a>&nbsp;<a href="t20231228_634512.html">上一页</a>&nbsp;&nbsp;<a href="t20231228_634512.html">1</a>&nbsp;<span class="cur">2</span></td></tr></table>
"""
    p1 = gov_page(title, gov_title_block(title, line), T.GOV_SUMMARY_P1, pager=pager1, headings=heads)
    p2 = gov_page(title, gov_title_block(title, line), T.GOV_SUMMARY_P2, pager=pager2, headings=heads)
    write_case(m, "multipage_trs_underscore1", url, "gbk", GOV_CT,
               "TRS-style multi-page article: t20231228_634512.html then t20231228_634512_1.html (the second page "
               "is _1, not _2); pager 共2页 1 2 下一页 尾页 with relative hrefs. One record, both pages in order.",
               [(url, p1), (url2, p2)],
               [rec(title, "2023-12-28T16:30:12+08:00", T.GOV_SUMMARY_P1 + T.GOV_SUMMARY_P2)],
               [*GOV_MNC, "发布时间", "下一页", "上一页", "尾页", "共2页", "县市场监管局"])

    # 3. speech, Chinese date with time
    url = f"{BASE}/zwgk/ldjh/202306/t20230609_630871.html"
    title = T.GOV_SAFETY_TITLE
    line = "发布时间：2023年06月09日 10:20&nbsp;&nbsp;信息来源：县应急管理局&nbsp;&nbsp;浏览次数：<span id=\"hits\">877</span>"
    heads = tuple(p for p in T.GOV_SAFETY if p[:2] in ("一、", "二、", "三、"))
    page = gov_page(title, gov_title_block(title, line), T.GOV_SAFETY, headings=heads)
    write_case(m, "speech_chinese_datetime", url, "gbk", GOV_CT,
               "Leader's speech; 发布时间：2023年06月09日 10:20 (Chinese date with time) in the centred info line.",
               [(url, page)], [rec(title, "2023-06-09T10:20:00+08:00", T.GOV_SAFETY)],
               [*GOV_MNC, "发布时间", "县应急管理局", "2023年06月09日"])

    # 4. no date at all on the page
    url = f"{BASE}/zwgk/ldjh/202303/t20230317_628004.html"
    title = T.GOV_RURAL_TITLE
    line = "信息来源：县农业农村局&nbsp;&nbsp;作者：县委办&nbsp;&nbsp;浏览次数：<span id=\"hits\">2041</span>"
    page = gov_page(title, gov_title_block(title, line), T.GOV_RURAL)
    write_case(m, "no_date_info_line", url, "gbk", GOV_CT,
               "No date of its own: the info line has only 信息来源/作者/浏览次数; 最新公开 ([YYYY-MM-DD]) and 相关信息 "
               "lists carry dates, and the URL carries 20230317 (not a displayed date). published_at null.",
               [(url, page)], [rec(title, None, T.GOV_RURAL)],
               [*GOV_MNC, "县农业农村局", "作者：", "县委办"])

    # 5. slash date, 以上就是/本文由 outro, 相关推荐 with summaries
    url = f"{BASE}/zwgk/gzzj/202304/t20230425_635188.html"
    title = T.GOV_QUARTER_TITLE
    line = "日期：2023/4/25&nbsp;&nbsp;来源：本站整理&nbsp;&nbsp;浏览次数：<span id=\"hits\">563</span>"
    heads = ("一、主要工作开展情况", "二、存在的问题", "三、下一步工作打算")
    outro = [
        f"以上就是{GOV_SITE}为您整理的{title}的全部内容。",
        f"本文由{GOV_SITE}整理，仅供学习参考，转载请注明出处。",
    ]
    rel = """      <div class="xgtj"><div class="xgtj-tit">相关推荐</div><dl>
        <dt><a href="/zwgk/gzzj/202304/t20230419_634901.html">县财政局2023年第一季度工作总结</a><span>2023-04-19</span></dt>
        <dd>2023年第一季度，县财政局紧紧围绕县委、县政府中心工作，全力组织财政收入，优化支出结构……</dd>
        <dt><a href="/zwgk/gzzj/202304/t20230414_634755.html">县住建局一季度工作总结及二季度工作计划</a><span>2023-04-14</span></dt>
        <dd>一季度以来，县住建局坚持稳中求进工作总基调，扎实推进城市更新和老旧小区改造……</dd>
      </dl></div>
"""
    page = gov_page(title, gov_title_block(title, line), T.GOV_QUARTER + outro, after_body=rel, headings=heads)
    write_case(m, "slash_date_outro", url, "gbk", GOV_CT,
               "日期：2023/4/25 (slash, no padding, date only); 以上就是… / 本文由… paragraphs at the end of the "
               "TRS_Editor div are not body; 相关推荐 with summaries after the body.",
               [(url, page)], [rec(title, "2023-04-25", T.GOV_QUARTER)],
               [*GOV_MNC, "以上就是", "本文由", "仅供学习参考", "相关推荐", "县财政局2023年第一季度工作总结", "县住建局一季度工作总结及二季度工作计划", "日期：", "本站整理"])


# =====================================================================================
# markup 2: zblog_theme — Z-Blog PHP style blog theme, utf-8
# =====================================================================================

ZB_SITE = "范文大全小站"
ZB_LATEST = [
    ("2023年度组织生活会个人发言提纲", "2023/12/20"),
    ("关于开展冬季消防安全检查的通知", "2023/11/28"),
    ("社区党支部书记抓基层党建工作述职报告", "2023/11/15"),
    ("新入职员工岗前培训心得体会", "2023/10/30"),
    ("在庆祝建党102周年大会上的讲话", "2023/7/1"),
]
ZB_GUESS = [
    ("2023年上半年个人工作总结", "上半年以来，在领导的关心和同事们的帮助下，我立足本职、扎实工作，较好地完成了各项任务……", "2023/6/28"),
    ("主题教育读书班学习心得体会", "按照主题教育安排，我参加了为期一周的读书班，系统学习了相关理论著作……", "2023/5/17"),
    ("在年度工作表彰大会上的讲话", "今天，我们隆重召开年度工作表彰大会，表彰先进、树立典型，激励全体员工……", "2023/2/10"),
]
ZB_COMMENTS = [
    ("访客", "2023/4/26 8:15:02", "写得很好，正好用得上，感谢分享！"),
    ("小李同学", "2023/5/3 21:40:17", "请问有没有word版可以下载？"),
    ("站长", "2023/5/4 9:02:44", "回复小李同学：文章底部有下载链接。"),
]


def zb_page(title, meta_html, content_html, *, prev, nxt, tags, comments=True, extra_after=""):
    latest = "\n".join(f'<li><a href="/post/{1400 + i}.html" title="{e(t)}">{e(t)}</a><span class="date">{d}</span></li>'
                       for i, (t, d) in enumerate(ZB_LATEST))
    guess = "\n".join(
        f'<li><a class="thumb" href="/post/{1300 + i}.html"><img src="/zb_users/upload/2023/0{i + 3}/thumb{i}.jpg" alt="{e(t)}"></a>'
        f'<div class="info"><h4><a href="/post/{1300 + i}.html">{e(t)}</a></h4><p class="excerpt">{e(s)}</p><span class="date">{d}</span></div></li>'
        for i, (t, s, d) in enumerate(ZB_GUESS))
    tag_html = " ".join(f'<a href="/tags-{20 + i}.html" rel="tag">{e(t)}</a>' for i, t in enumerate(tags))
    cmt = ""
    if comments:
        items = "\n".join(
            f'<li class="comment" id="cmt{900 + i}"><div class="comment-avatar"><img src="/zb_users/avatar/0.png"></div>'
            f'<div class="comment-body"><div class="comment-author"><b>{e(a)}</b> <span class="comment-date">{d}</span></div>'
            f'<p>{e(c)}</p><a class="reply" href="javascript:;">回复</a></div></li>'
            for i, (a, d, c) in enumerate(ZB_COMMENTS))
        cmt = f"""<div id="comments" class="comment-box">
 <h3 class="box-title">发表评论</h3>
 <form id="frmSumbit" method="post" action="/zb_system/cmd.php?act=cmt"><input type="text" name="inpName" placeholder="昵称"><input type="text" name="inpEmail" placeholder="邮箱"><textarea name="txaArticle" placeholder="说点什么吧…"></textarea><button type="submit">提交评论</button></form>
 <h3 class="box-title">已有 {len(ZB_COMMENTS)} 位网友发表了看法：</h3>
 <ul class="comment-list">
{items}
 </ul>
</div>"""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="UTF-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Z-BlogPHP 1.7.3">
<title>{e(title)} - {ZB_SITE}</title>
<meta name="keywords" content="{e(",".join(tags))}">
<link rel="stylesheet" href="/zb_users/theme/qingyun/style/style.css" type="text/css" media="all">
<script src="/zb_system/script/jquery-latest.min.js"></script>
<script src="/zb_system/script/zblogphp.js"></script>
</head>
<body class="single">
<header class="site-header">
 <div class="container">
  <div class="logo"><a href="/" title="{ZB_SITE}">{ZB_SITE}</a><span class="site-desc">专注工作总结、心得体会、讲话稿</span></div>
  <nav class="main-nav"><ul>
   <li><a href="/">首页</a></li><li><a href="/category-1.html">工作总结</a></li><li><a href="/category-2.html">心得体会</a></li>
   <li><a href="/category-3.html">讲话致辞</a></li><li><a href="/category-4.html">通知公告</a></li><li><a href="/category-5.html">述职报告</a></li>
  </ul></nav>
  <div class="search-box"><form method="post" action="/zb_system/cmd.php?act=search"><input type="text" name="q" placeholder="输入关键词搜索"><button type="submit">搜索</button></form></div>
 </div>
</header>
<div class="container main-wrap">
 <div class="breadcrumb"><i class="fa fa-home"></i> <a href="/">首页</a> &raquo; <a href="/category-2.html">范文</a> &raquo; 正文</div>
 <div class="content-area">
  <div class="post-single" id="post">
   <h1 class="single-title">{e(title)}</h1>
   <div class="single-meta">{meta_html}</div>
   <div class="single-content">
{content_html}
   </div>
   <div class="single-tags"><i class="fa fa-tags"></i> 标签：{tag_html}</div>
   <div class="share-box"><span>分享到：</span><a class="share-wx" href="javascript:;">微信</a><a class="share-wb" href="javascript:;">微博</a><a class="share-qq" href="javascript:;">QQ</a><a class="share-qz" href="javascript:;">QQ空间</a></div>
   <div class="post-nav"><div class="prev">上一篇：<a href="/post/{prev[0]}.html">{e(prev[1])}</a></div><div class="next">下一篇：<a href="/post/{nxt[0]}.html">{e(nxt[1])}</a></div></div>
  </div>
{extra_after}
  <div class="related-posts"><h3 class="box-title">猜你喜欢</h3><ul>
{guess}
  </ul></div>
{cmt}
 </div>
 <aside class="sidebar">
  <div class="widget widget-new"><h3 class="widget-title">最新文章</h3><ul>
{latest}
  </ul></div>
  <div class="widget widget-tags"><h3 class="widget-title">热门标签</h3><div class="tagcloud"><a href="/tags-1.html">工作总结</a><a href="/tags-2.html">心得体会</a><a href="/tags-3.html">讲话稿</a><a href="/tags-4.html">述职报告</a><a href="/tags-5.html">通知</a></div></div>
  <div class="widget widget-archives"><h3 class="widget-title">文章归档</h3><ul><li><a href="/date-2023-12.html">2023年12月</a></li><li><a href="/date-2023-11.html">2023年11月</a></li><li><a href="/date-2023-10.html">2023年10月</a></li></ul></div>
 </aside>
</div>
<footer class="site-footer">
 <div class="container"><p class="links">友情链接：<a href="/">公文写作网</a> <a href="/">工作总结网</a></p>
 <p>Copyright &copy; 2018-2024 {ZB_SITE} All Rights Reserved. <a href="https://beian.miit.gov.cn/" rel="nofollow">湘ICP备18009876号-1</a></p>
 <p>Powered By <a href="https://www.zblogcn.com/" rel="nofollow">Z-BlogPHP</a> Theme by 青云</p></div>
</footer>
<a href="javascript:;" class="back-top">返回顶部</a>
</body>
</html>
"""


def zb_meta(date_html):
    parts = ['<span class="meta-author"><i class="fa fa-user"></i> 小站编辑</span>']
    if date_html:
        parts.append(f'<span class="meta-date"><i class="fa fa-clock-o"></i> {date_html}</span>')
    parts.append('<span class="meta-cate"><i class="fa fa-folder-open"></i> <a href="/category-2.html">范文</a></span>')
    parts.append('<span class="meta-view"><i class="fa fa-eye"></i> 2156 ℃</span>')
    parts.append('<span class="meta-cmt"><i class="fa fa-comment"></i> 3 评论</span>')
    return "".join(parts)


ZB_MNC = ["首页", "正文", "标签：", "分享到", "上一篇", "下一篇", "猜你喜欢", "发表评论", "网友发表了看法", "最新文章",
          "热门标签", "文章归档", "Copyright", "All Rights Reserved", "ICP备", "Powered By", "Z-BlogPHP", "返回顶部",
          "友情链接", "小站编辑", "提交评论", "回复", ZB_SITE] + [t for t, _ in ZB_LATEST] + [t for t, _, _ in ZB_GUESS] \
         + [c for _, _, c in ZB_COMMENTS]
ZB_CT = "text/html; charset=utf-8"


def zb_p(paras, indent=True, bold=()):
    out = []
    for p in paras:
        if p in bold:
            out.append(f"<p><strong>{e(p)}</strong></p>")
        else:
            out.append(f"<p>{'　　' if indent else ''}{e(p)}</p>")
    return "\n".join(out)


def build_zb():
    m = "zblog_theme"

    # 1. compilation 篇一：/篇二：/篇三： centred strong paragraphs
    url = f"{BASE}/post/1523.html"
    col = T.ZB_COMP_TITLE
    intro = "心得体会是我们在学习、工作中有所收获后写下的感悟文字。那么怎么写好心得体会呢？下面是小编为大家整理的3篇范文，希望对大家有所帮助。"
    parts_html = [f"<p>　　{e(intro)}</p>"]
    for head, paras in T.ZB_COMP_PARTS:
        parts_html.append(f'<p style="text-align: center;"><strong>{e(head)}</strong></p>')
        parts_html.append(zb_p(paras))
    page = zb_page(col, zb_meta("2023/4/25"), "\n".join(parts_html), prev=(1522, "2023年第一季度党建工作总结"),
                   nxt=(1524, "关于开展“五一”劳动节慰问活动的通知"), tags=["心得体会", "二十大"])
    recs = [rec(head, "2023-04-25", paras, suffix=f"#part-{i + 1}", collection=col)
            for i, (head, paras) in enumerate(T.ZB_COMP_PARTS)]
    write_case(m, "compilation_pian_colon", url, "utf-8", ZB_CT,
               "Compilation (精选3篇): parts headed 篇一：…/篇二：…/篇三：… as centred <p><strong>; the 小编 filler before "
               "篇一 is dropped. One record per part (#part-N), title = the part heading as shown, collection = page "
               "title. Date 2023/4/25 (slash, date only).",
               [(url, page)], recs,
               [*ZB_MNC, "小编", "希望对大家有所帮助", "2023年第一季度党建工作总结", "关于开展“五一”劳动节慰问活动的通知", col])

    # 2. no date of its own
    url = f"{BASE}/post/1608.html"
    title = T.ZB_UNION_TITLE
    heads = tuple(p for p in T.ZB_UNION if p[:2] in ("一、", "二、", "三、", "四、"))
    content = "\n".join(
        f'<p><span style="font-size: 16px;"><strong>{e(p)}</strong></span></p>' if p in heads
        else f'<p style="text-indent: 2em;"><span style="font-size: 16px;">{e(p)}</span></p>' for p in T.ZB_UNION)
    page = zb_page(title, zb_meta(None), content, prev=(1607, "工会经费审查委员会工作报告"),
                   nxt=(1609, "2024年职工代表大会工作报告"), tags=["工会", "工作总结"])
    write_case(m, "no_date_comment_dates", url, "utf-8", ZB_CT,
               "No date on the page: the meta line has 作者/分类/浏览/评论 only; 最新文章 (2023/12/20…), 猜你喜欢 and "
               "the comments (2023/4/26 8:15:02…) carry dates. published_at null.",
               [(url, page)], [rec(title, None, T.ZB_UNION)],
               [*ZB_MNC, "工会经费审查委员会工作报告", "2024年职工代表大会工作报告", "2023/4/26"])

    # 3. 以上就是…的全部内容 / 本文由…整理 + Chinese date with time
    url = f"{BASE}/post/1466.html"
    title = T.ZB_CLERK_TITLE
    heads = tuple(p for p in T.ZB_CLERK if p[:2] in ("一、", "二、", "三、", "四、"))
    outro = [f"以上就是小编为大家整理的{title}的全部内容，希望对大家有所帮助。",
             f"本文由{ZB_SITE}整理，转载请注明出处：http://127.0.0.1:8000/post/1466.html"]
    content = zb_p(T.ZB_CLERK, bold=heads) + "\n" + "\n".join(f"<p>　　{e(p)}</p>" for p in outro)
    page = zb_page(title, zb_meta("2023年04月25日 10:20"), content, prev=(1465, "2023年度个人工作计划范文"),
                   nxt=(1467, "办公室主任年度述职报告"), tags=["工作总结", "文秘"])
    write_case(m, "outro_yishang_benwen", url, "utf-8", ZB_CT,
               "以上就是…的全部内容 and 本文由…整理，转载请注明出处 as the last two <p> of the content div (dropped); "
               "date 2023年04月25日 10:20.",
               [(url, page)], [rec(title, "2023-04-25T10:20:00+08:00", T.ZB_CLERK)],
               [*ZB_MNC, "以上就是", "全部内容", "本文由", "转载请注明出处", "2023年度个人工作计划范文", "办公室主任年度述职报告"])

    # 4. 小编 intro + 发布时间： label
    url = f"{BASE}/post/1702.html"
    title = T.ZB_SPRING_TITLE
    intro = f"下面是小编为大家整理的{title}，供大家参考。"
    tip = "温馨提示：本站所有范文仅供学习参考，如需原创定制请联系客服。"
    content = f"<p>　　{e(intro)}</p>\n" + zb_p(T.ZB_SPRING) + f'\n<p class="tips">{e(tip)}</p>'
    page = zb_page(title, zb_meta("发布时间：2024-01-16 09:05"), content, prev=(1701, "2024年元旦致辞"),
                   nxt=(1703, "年终总结表彰大会主持词"), tags=["讲话稿", "团拜会", "新春"])
    write_case(m, "xiaobian_intro_tip", url, "utf-8", ZB_CT,
               "下面是小编为大家整理的…，供大家参考 intro and a 温馨提示 paragraph inside the content (both dropped); "
               "发布时间：2024-01-16 09:05 in the meta line.",
               [(url, page)], [rec(title, "2024-01-16T09:05:00+08:00", T.ZB_SPRING)],
               [*ZB_MNC, "小编", "供大家参考", "温馨提示", "原创定制", "2024年元旦致辞", "年终总结表彰大会主持词", "发布时间"])

    # 5. short notice with *** and ×× masks; slash date with time
    url = f"{BASE}/post/1655.html"
    title = T.ZB_MEETING_TITLE
    heads = ("一、会议地点", "二、参会人员", "三、会议议程", "四、有关要求", "五、其他事项")
    content = zb_p(T.ZB_MEETING, bold=heads).replace(
        "<p>　　××集团有限公司综合办公室</p>", '<p style="text-align: right;">××集团有限公司综合办公室</p>').replace(
        "<p>　　2023年11月3日</p>", '<p style="text-align: right;">2023年11月3日</p>')
    page = zb_page(title, zb_meta("2023/11/3 15:42"), content, prev=(1654, "关于调整公司部分管理人员职务的通知"),
                   nxt=(1656, "关于做好2023年度年终考核工作的通知"), tags=["通知", "会议通知"])
    write_case(m, "short_notice_masks", url, "utf-8", ZB_CT,
               "Short 会议通知 with masks kept as written (***, ××, 138********); date 2023/11/3 15:42 (slash, unpadded, "
               "with time); the body names other dates (2023年11月10日, 11月8日, 落款 2023年11月3日).",
               [(url, page)], [rec(title, "2023-11-03T15:42:00+08:00", T.ZB_MEETING)],
               [*ZB_MNC, "关于调整公司部分管理人员职务的通知", "关于做好2023年度年终考核工作的通知"])


# =====================================================================================
# markup 3: wap_section — mobile-first site with <section> cards, utf-8 (Content-Type without charset)
# =====================================================================================

M_SITE = "范文库"
M_REC = [
    ("教师年度考核个人总结", "本学年，我认真贯彻党的教育方针，热爱教育事业，严格要求自己，认真完成各项教育教学任务……", "2023-04-18"),
    ("师德师风自查报告", "根据学校关于开展师德师风自查自纠工作的通知要求，本人对照准则认真进行了自查……", "2023-03-27"),
    ("新教师入职培训心得体会", "作为一名刚刚走上工作岗位的新教师，参加这次入职培训让我收获颇丰……", "2023-02-15"),
]
M_HOT = [("党员个人对照检查材料", "04-22"), ("疫情防控工作总结", "04-20"), ("安全生产月活动方案", "04-19"),
         ("入党积极分子思想汇报", "04-17")]


def m_page(title, info_html, article_html, *, canonical, after_article="", prev, nxt):
    rec_html = "\n".join(
        f'<li><a href="/wap/fanwen/{7000 + i}.html"><h3>{e(t)}</h3><p class="rec-sum">{e(s)}</p>'
        f'<span class="rec-date">{d}</span></a></li>' for i, (t, s, d) in enumerate(M_REC))
    hot = "\n".join(f'<li><a href="/wap/fanwen/{6000 + i}.html">{e(t)}</a><span>{d}</span></li>'
                    for i, (t, d) in enumerate(M_HOT))
    return f"""<!DOCTYPE html>
<html lang="zh-cmn-Hans">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1.0,maximum-scale=1.0,user-scalable=no">
<meta name="applicable-device" content="mobile">
<meta name="format-detection" content="telephone=no">
<title>{e(title)}_{M_SITE}手机版</title>
<link rel="canonical" href="{canonical}">
<link rel="stylesheet" href="/wap/static/css/m.css?v=3.2">
</head>
<body>
<header class="m-header"><a class="m-back" href="javascript:history.back();">返回</a><a class="m-logo" href="/wap/">{M_SITE}</a><a class="m-search" href="/wap/search/">搜索</a><span class="m-menu-btn">菜单</span></header>
<nav class="m-nav"><a href="/wap/">首页</a><a href="/wap/zongjie/">总结</a><a href="/wap/xinde/">心得</a><a href="/wap/jianghua/">讲话</a><a href="/wap/baogao/">报告</a><a href="/wap/tongzhi/">通知</a></nav>
<section class="m-crumb"><a href="/wap/">首页</a> &gt; <a href="/wap/fanwen/">范文</a> &gt; 正文</section>
<section class="card art-card">
  <h1 class="art-tit">{e(title)}</h1>
  <div class="art-info">{info_html}</div>
  <article class="art-con" id="artCon">
{article_html}
  </article>
{after_article}
  <div class="art-act"><a class="btn-dl" href="/wap/down/">免费下载Word文档</a><a class="btn-copy" href="javascript:;">复制全文</a></div>
</section>
<section class="card share-card"><span class="share-lab">分享到：</span><a href="javascript:;">微信</a><a href="javascript:;">朋友圈</a><a href="javascript:;">QQ</a><a href="javascript:;">微博</a></section>
<section class="card prenext"><p>上一篇：<a href="/wap/fanwen/{prev[0]}.html">{e(prev[1])}</a></p><p>下一篇：<a href="/wap/fanwen/{nxt[0]}.html">{e(nxt[1])}</a></p></section>
<section class="card rec-card"><h2 class="card-tit">相关推荐</h2><ul class="rec-list">
{rec_html}
</ul></section>
<section class="card hot-card"><h2 class="card-tit">猜你喜欢</h2><ul class="hot-list">
{hot}
</ul></section>
<footer class="m-footer"><p><a href="/wap/">手机版</a> | <a href="{BASE}/">电脑版</a> | <a href="/wap/about/">关于我们</a> | <a href="/wap/tousu/">投诉建议</a></p><p>&copy;2024 {M_SITE} 版权所有 京ICP备2021012345号-1</p></footer>
<div class="m-fixbar"><a href="/wap/">首页</a><a href="/wap/fenlei/">分类</a><a href="/wap/down/">下载</a><a href="/wap/user/">我的</a></div>
<script src="/wap/static/js/zepto.min.js"></script>
<script>var ub=document.getElementById('unfoldBtn');if(ub){{ub.onclick=function(){{document.getElementById('artMore').style.display='block';ub.style.display='none';}};}}</script>
</body>
</html>
"""


def m_info(date_text, cate="心得体会"):
    parts = []
    if date_text:
        parts.append(f'<span class="time">{date_text}</span>')
    parts.append(f'<span class="cate">{cate}</span><span class="view">阅读 3.2万</span>')
    return "".join(parts)


def m_p(paras):
    return "\n".join(f"<p>{e(p)}</p>" for p in paras)


M_MNC = ["返回", "搜索", "首页", "正文", "免费下载", "Word文档", "复制全文", "分享到", "朋友圈", "上一篇", "下一篇",
         "相关推荐", "猜你喜欢", "手机版", "电脑版", "关于我们", "投诉建议", "版权所有", "ICP备", "阅读 3.2万",
         M_SITE] + [t for t, _, _ in M_REC] + [s for _, s, _ in M_REC] + [t for t, _ in M_HOT]
M_CT = "text/html"


def build_m():
    m = "wap_section"

    # 1. hidden second half + 展开全文
    url = f"{BASE}/wap/fanwen/xinde/78231.html"
    title = T.M_TEACHER_TITLE
    art = m_p(T.M_TEACHER_SHOWN) + '\n<div class="art-more" id="artMore" style="display:none">\n' + \
        m_p(T.M_TEACHER_HIDDEN) + "\n</div>"
    unfold = ('  <div class="unfold-wrap" id="unfoldBtn"><div class="unfold-mask"></div>'
              '<a href="javascript:;" class="unfold-btn">展开全文<i class="ico-down"></i></a>'
              '<p class="unfold-tip">剩余40%内容，点击展开</p></div>')
    page = m_page(title, m_info("2023年04月25日 10:20"), art, canonical=f"{BASE}/fanwen/xinde/78231.html",
                  after_article=unfold, prev=(78230, "教师个人年度工作总结"), nxt=(78232, "班主任工作心得体会"))
    write_case(m, "hidden_half_zhankai", url, "utf-8", M_CT,
               "Second half inside <div id=artMore style=display:none> (IS body) with a 展开全文 button and "
               "剩余40%内容，点击展开 tip (not body, and not a paywall: truncated false); date 2023年04月25日 10:20; "
               "rel=canonical points at the PC URL.",
               [(url, page)], [rec(title, "2023-04-25T10:20:00+08:00", T.M_TEACHER_SHOWN + T.M_TEACHER_HIDDEN)],
               [*M_MNC, "展开全文", "剩余40%", "点击展开", "教师个人年度工作总结", "班主任工作心得体会"])

    # 2. VIP paywall trailer
    url = f"{BASE}/wap/fanwen/baogao/80412.html"
    title = T.M_REPORT_TITLE
    lock = ('  <div class="vip-lock"><div class="lock-mask"></div>'
            '<p class="lock-tip">剩余70%内容未读，开通VIP会员即可免费阅读全文</p>'
            '<a class="lock-btn" href="/wap/vip/?from=80412">立即开通VIP</a>'
            '<p class="lock-sub">已是会员？<a href="/wap/login/">登录</a>　|　<a href="/wap/down/80412.html">单篇下载 ¥3.00</a></p></div>')
    page = m_page(title, m_info("2023-06-18 21:07", "述职报告"), m_p(T.M_REPORT_SHOWN),
                  canonical=f"{BASE}/fanwen/baogao/80412.html", after_article=lock,
                  prev=(80411, "村党支部书记述职报告"), nxt=(80413, "乡镇长个人述职述廉报告"))
    write_case(m, "vip_paywall", url, "utf-8", M_CT,
               "Paywall preview: 7 paragraphs then div.vip-lock 剩余70%内容未读，开通VIP会员即可免费阅读全文 + 立即开通VIP "
               "(trailer dropped, truncated=true); date 2023-06-18 21:07.",
               [(url, page)], [rec(title, "2023-06-18T21:07:00+08:00", T.M_REPORT_SHOWN, truncated=True)],
               [*M_MNC, "剩余70%", "开通VIP", "免费阅读全文", "已是会员", "单篇下载", "村党支部书记述职报告", "乡镇长个人述职述廉报告"])

    # 3. ad card inside the article body; slash date without time
    url = f"{BASE}/wap/fanwen/jianghua/76650.html"
    title = T.M_TEACHERSDAY_TITLE
    ad = ('<section class="ad-card"><span class="ad-tag">广告</span><a href="/wap/vip/?from=ad">'
          '<img src="/wap/static/img/ad_vip.png" alt="">公文写作不用愁，10万+精品范文一键下载 &gt;</a></section>')
    art = m_p(T.M_TEACHERSDAY_A) + "\n" + ad + "\n" + m_p(T.M_TEACHERSDAY_B)
    page = m_page(title, m_info("2023/9/8", "讲话稿"), art, canonical=f"{BASE}/fanwen/jianghua/76650.html",
                  prev=(76649, "教师节校长致辞"), nxt=(76651, "优秀教师代表发言稿"))
    write_case(m, "inline_ad_card", url, "utf-8", M_CT,
               "A <section class=ad-card> (广告 / 公文写作不用愁…) sits between body paragraphs inside article.art-con; "
               "date 2023/9/8 (date only).",
               [(url, page)], [rec(title, "2023-09-08", T.M_TEACHERSDAY_A + T.M_TEACHERSDAY_B)],
               [*M_MNC, "广告", "公文写作不用愁", "一键下载", "教师节校长致辞", "优秀教师代表发言稿"])

    # 4. relative date 5小时前
    url = f"{BASE}/wap/fanwen/tongzhi/81877.html"
    title = T.M_FIRE_TITLE
    art = m_p(T.M_FIRE[:-2]) + "\n" + "\n".join(f'<p class="tr">{e(p)}</p>' for p in T.M_FIRE[-2:])
    page = m_page(title, m_info("5小时前", "通知"), art, canonical=f"{BASE}/fanwen/tongzhi/81877.html",
                  prev=(81876, "关于开展春季森林防火宣传月活动的通知"), nxt=(81878, "森林防火工作应急预案"))
    write_case(m, "relative_5_hours", url, "utf-8", M_CT,
               "Relative date 5小时前 fetched 2024-03-10 12:00 -> 2024-03-10T07:00:00+08:00; the body ends with 落款 "
               "2024年3月10日 and the 猜你喜欢 list has MM-DD dates.",
               [(url, page)], [rec(title, "2024-03-10T07:00:00+08:00", T.M_FIRE)],
               [*M_MNC, "5小时前", "关于开展春季森林防火宣传月活动的通知", "森林防火工作应急预案"])

    # 5. repeated title line, 小编 intro, 温馨提示 at the end
    url = f"{BASE}/wap/fanwen/xinde/79102.html"
    title = T.M_YOUTH_TITLE
    intro = f"心得体会是我们对一件事情有所感悟时写下的文字。下面是小编为大家收集整理的{title}，欢迎阅读。"
    tip = "温馨提示：本文内容仅供参考学习，请勿直接照搬使用。更多心得体会范文，请关注本站心得体会栏目。"
    art = (f'<p style="text-align:center;"><strong>{e(title)}</strong></p>\n<p>{e(intro)}</p>\n' + m_p(T.M_YOUTH)
           + f'\n<p class="wxts">{e(tip)}</p>')
    page = m_page(title, m_info("发布时间：2023-10-12"), art, canonical=f"{BASE}/fanwen/xinde/79102.html",
                  prev=(79101, "中青年干部培训班学习总结"), nxt=(79103, "年轻干部座谈会发言稿"))
    write_case(m, "title_repeat_intro_tip", url, "utf-8", M_CT,
               "The body starts with a centred bold line repeating the title and a 小编 intro, and ends with a 温馨提示 "
               "paragraph (all dropped); 发布时间：2023-10-12 (date only).",
               [(url, page)], [rec(title, "2023-10-12", T.M_YOUTH)],
               [*M_MNC, "小编", "欢迎阅读", "温馨提示", "仅供参考学习", "中青年干部培训班学习总结", "年轻干部座谈会发言稿", "发布时间"])


if __name__ == "__main__":
    build_gov()
    build_zb()
    build_m()
    n = len(list(HERE.glob("*/*/page.html")))
    print(f"wrote {n} cases under {HERE}")
