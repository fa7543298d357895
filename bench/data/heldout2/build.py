#!/usr/bin/env python3
"""Generate the second held-out extraction set (bench/data/heldout2/<markup>/<case>/).

Written without looking at crawler/ (extractor, site profiles) or tests/quality/. No network, no reads
outside this folder; deterministic. Run once; the generated files are what counts.

    python bench/data/heldout2/build.py
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


def _visible(page):
    return html.unescape(page)


def write_case(markup, case, url, encoding, content_type, note, pages, records, must_not_contain):
    """pages: [(url, html_str)], the first is page.html; records: see rec()."""
    folder = HERE / markup / case
    folder.mkdir(parents=True, exist_ok=True)
    codec = "gbk" if encoding == "gbk" else "utf-8"
    for i, (_purl, s) in enumerate(pages):
        name = "page.html" if i == 0 else f"page_{i + 1}.html"
        (folder / name).write_bytes(s.encode(codec))  # strict: a non-GBK character fails the build
    meta = {"url": url, "encoding": encoding, "content_type": content_type, "fetched_at": FETCHED,
            "markup": markup, "note": note}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    exp = {"records": records, "must_not_contain": must_not_contain}
    if len(pages) > 1:
        exp["pages"] = [{"url": u, "file": f"page_{i + 2}.html"} for i, (u, _) in enumerate(pages[1:])]
    (folder / "expected.json").write_text(json.dumps(exp, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    # sanity checks: boilerplate is on the page and in no expected text; every expected line is on a page
    alltext = "\n".join(r["text"] for r in records)
    page_text = "".join(_visible(p) for _, p in pages)
    assert len(set(must_not_contain)) == len(must_not_contain), (markup, case, "duplicate must_not_contain")
    for s in must_not_contain:
        assert s not in alltext, (markup, case, s)
        assert s in page_text, (markup, case, "not on page", s)
    for r in records:
        assert r["title"] in page_text, (markup, case, r["title"])
        for line in r["text"].split("\n"):
            assert line, (markup, case, "empty line")
            assert line == line.strip(), (markup, case, line[:30])
            if line not in page_text:  # a table row: each cell is on the page
                assert all(c in page_text for c in line.split(" ")), (markup, case, line[:30])


def rec(title, date, paras, truncated=False, suffix="", collection=None):
    return {"url_suffix": suffix, "title": title, "published_at": date, "text": "\n".join(T.lines(paras)),
            "truncated": truncated, "collection": collection}


def flat(pages):
    return [p for page in pages for p in page]


def uniq(items):
    out = []
    for s in items:
        if s not in out:
            out.append(s)
    return out


# =====================================================================================
# markup 1: wechat_reprint — a site that reprints WeChat official-account articles, utf-8
# =====================================================================================

WX_SITE = "公文素材汇"
WX_HOT = [
    ("2023年度组织生活会个人发言材料", "05-30"),
    ("机关干部作风建设学习心得", "05-28"),
    ("在全县招商引资工作推进会上的讲话", "05-27"),
    ("乡镇上半年工作总结及下半年工作计划", "05-25"),
    ("主题党日活动方案（通用模板）", "05-22"),
]
WX_RELATED = [
    ("年轻干部如何写好心得体会", "心得体会不是简单的流水账，关键要写出真情实感、写出思考深度，下面分享几个实用的小技巧……", "2023-05-19"),
    ("党支部书记抓党建述职报告写作要点", "述职报告要突出“述”，重点讲清楚做了什么、效果如何、存在哪些问题，切忌空话套话……", "2023-05-11"),
    ("“三会一课”会议记录参考范本", "为规范支部组织生活，现整理“三会一课”会议记录范本一份，供各支部参考使用……", "2023-04-28"),
]
WX_COMMENTS = [
    ("清风徐来", "写得实在，学习了！"),
    ("山间明月", "收藏了，正好要写类似的材料。"),
    ("老周", "感谢分享，期待更多干货。"),
]
WX_PAST = [
    "2023年组织生活会发言材料汇编",
    "公文写作中常见的十个错误",
    "领导讲话稿的开头怎么写？",
]
WX_CT = "text/html; charset=utf-8"

WX_GUIDE_TOP = ('<section style="text-align: center;margin-bottom: 10px;"><img class="rich_pages wxw-img" '
                'data-src="/mp/img/guanzhu.gif" data-type="gif" style="width: 100%;"><p><span style="color: rgb(136, 136, 136);'
                'font-size: 12px;">点击蓝字　关注我们</span></p></section>')


def wx_guide_bottom():
    past = "".join(f'<p style="line-height: 2em;"><a href="/mp/{8100 + i}.html" target="_blank" '
                   f'data-linktype="2"><span style="font-size: 14px;color: rgb(0, 82, 255);">◆ {e(t)}</span></a></p>'
                   for i, t in enumerate(WX_PAST))
    return ('<section style="text-align: center;margin-top: 30px;"><p><span style="color: rgb(178, 178, 178);'
            'font-size: 12px;">- END -</span></p></section>\n'
            '<section style="margin-top: 20px;border-top: 1px dashed rgb(204, 204, 204);padding-top: 10px;">'
            '<p><strong><span style="font-size: 15px;">往期推荐</span></strong></p>' + past + '</section>\n'
            '<section style="text-align: center;margin-top: 20px;"><img class="rich_pages wxw-img" data-src="/mp/img/qrcode.jpg" '
            'style="width: 40%;"><p><span style="font-size: 12px;color: rgb(136, 136, 136);">长按识别二维码　关注我们</span></p>'
            '<p><span style="font-size: 12px;color: rgb(136, 136, 136);">觉得不错，点个“在看”吧</span></p></section>')


def wx_body(paras, *, heads=(), right=(), style="p", badge_heads=()):
    """Render paragraphs the way WeChat editors do (nested <section>s, styled <span>s, empty <p><br></p>)."""
    out = []
    for p in paras:
        if p in badge_heads:
            out.append('<section style="text-align: center;margin: 28px 0 16px;"><section style="display: inline-block;'
                       'background-color: rgb(178, 34, 34);padding: 4px 14px;border-radius: 4px;">'
                       f'<p style="color: rgb(255, 255, 255);font-size: 16px;"><strong>{e(p)}</strong></p></section></section>')
        elif p in heads:
            out.append('<section style="margin: 24px 0 12px;"><section style="display: inline-block;border-left: 4px solid '
                       'rgb(178, 34, 34);padding-left: 8px;"><p style="font-size: 16px;line-height: 1.75em;"><strong>'
                       f'<span style="color: rgb(178, 34, 34);">{e(p)}</span></strong></p></section></section>')
        elif p in right:
            out.append(f'<p style="text-align: right;line-height: 1.75em;"><span style="font-size: 15px;">{e(p)}</span></p>')
        elif style == "section":
            out.append('<section style="text-indent: 2em;line-height: 1.75em;margin-bottom: 14px;font-size: 15px;'
                       f'letter-spacing: 1px;color: rgb(63, 63, 63);">{e(p)}</section>')
        elif style == "leaf":
            out.append(f'<p style="text-indent: 2em;line-height: 1.75em;margin-bottom: 12px;"><span leaf="">{e(p)}</span></p>')
            out.append('<p><br  /></p>')
        else:
            out.append('<p style="text-indent: 2em;line-height: 1.75em;margin-bottom: 12px;"><span style="font-size: 15px;'
                       f'letter-spacing: 1px;color: rgb(62, 62, 62);">{e(p)}</span></p>')
    return "\n".join(out)


def wx_page(title, *, aid, author, mp_name, mp_id, date, content, cat, original=False, hidden=False,
            cmt_dates=None, reads="1.2万", likes=86, wows=35, prev, nxt, tags):
    cats = {"xinde": "心得体会", "tongzhi": "通知方案", "jianghua": "讲话发言", "cailiao": "事迹材料"}
    badge = ('<span id="copyright_logo" class="wx_tap_link js_wx_tap_highlight rich_media_meta icon_appmsg_tag '
             'appmsg_title_tag weui-wa-hotarea">原创</span>\n') if original else ""
    author_html = f'<span class="rich_media_meta rich_media_meta_text">{e(author)}</span>\n' if author else ""
    hot = "\n".join(f'<li><span class="num">{i + 1}</span><a href="/mp/{8000 + i}.html">{e(t)}</a><em>{d}</em></li>'
                    for i, (t, d) in enumerate(WX_HOT))
    related = "\n".join(f'<li><a href="/mp/{7900 + i}.html" class="r-tit">{e(t)}</a><p class="r-sum">{e(s)}</p>'
                        f'<span class="r-date">{d}</span></li>' for i, (t, s, d) in enumerate(WX_RELATED))
    cmt = ""
    if cmt_dates:
        items = "\n".join(
            f'<li class="discuss_item"><div class="user_info"><img class="avatar" src="/mp/img/avatar{i}.png">'
            f'<strong class="nickname">{e(n)}</strong></div><div class="discuss_message"><div class="discuss_message_content">'
            f'{e(c)}</div></div><div class="discuss_extra_info">{d}<span class="discuss_opr"><span class="praise_num">'
            f'{12 - 4 * i}</span></span></div></li>' for i, ((n, c), d) in enumerate(zip(WX_COMMENTS, cmt_dates, strict=True)))
        cmt = f"""  <div class="rich_media_area_extra">
   <div class="discuss_container" id="js_cmt_area">
    <div class="discuss_title"><span>精选留言</span><a class="discuss_write" href="javascript:;">写留言</a></div>
    <ul class="discuss_list" id="js_cmt_list">
{items}
    </ul>
   </div>
  </div>"""
    tag_html = " ".join(f'<a href="/tag/{e(t)}/">{e(t)}</a>' for t in tags)
    vis = "hidden" if hidden else "visible"
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1.0,maximum-scale=1.0,user-scalable=0">
<title>{e(title)} - {WX_SITE}</title>
<meta name="keywords" content="{e(",".join(tags))}">
<meta property="og:title" content="{e(title)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{WX_SITE}">
<link rel="stylesheet" href="/static/css/mp_style.css?v=20230301">
</head>
<body id="activity-detail" class="zh_CN wx_wap_page">
<div class="site-top"><div class="w1100"><a class="site-logo" href="/">{WX_SITE}</a>
<ul class="site-nav"><li><a href="/">首页</a></li><li><a href="/mp/jianghua/">讲话发言</a></li><li><a href="/mp/xinde/">心得体会</a></li><li><a href="/mp/zongjie/">工作总结</a></li><li><a href="/mp/tongzhi/">通知方案</a></li><li><a href="/gzh/">公众号大全</a></li></ul>
<div class="site-user"><a href="/login/">登录</a> | <a href="/reg/">注册</a></div></div></div>
<div class="w1100 crumbs">当前位置：<a href="/">首页</a> &gt; <a href="/mp/">公众号文章</a> &gt; <a href="/mp/{cat}/">{cats[cat]}</a> &gt; 正文</div>
<div class="w1100 clearfix">
<div class="main-left">
<div id="js_article" class="rich_media">
 <div id="js_top_ad_area" class="top_banner"></div>
 <div class="rich_media_inner">
  <div id="page-content" class="rich_media_area_primary">
   <div class="rich_media_area_primary_inner">
    <div id="img-content" class="rich_media_wrp">
     <h1 class="rich_media_title " id="activity-name">
            {e(title)}
          </h1>
     <div id="meta_content" class="rich_media_meta_list">
{badge}{author_html}<span class="rich_media_meta rich_media_meta_nickname" id="profileBt"><a href="javascript:void(0);" class="wx_tap_link js_wx_tap_highlight weui-wa-hotarea" id="js_name">{e(mp_name)}</a></span>
<span id="meta_content_hide_info"><em id="publish_time" class="rich_media_meta rich_media_meta_text">{date}</em></span>
     </div>
     <div class="rich_media_content js_underline_content autoTypeSetting24psection" id="js_content" style="visibility: {vis};">
{content}
     </div>
     <div class="rich_media_tool" id="js_toobar3">
      <div class="media_tool_meta"><a id="js_view_source" href="/mp/source/{aid}.html">阅读原文</a></div>
      <div class="media_tool_meta meta_primary">阅读 <span id="readNum3">{reads}</span></div>
      <div class="media_tool_meta like_btn"><i class="icon_praise_gray"></i>赞 <em id="likeNum3">{likes}</em></div>
      <div class="media_tool_meta like_btn"><i class="icon_wow_gray"></i>在看 <em id="wowNum3">{wows}</em></div>
     </div>
    </div>
   </div>
  </div>
{cmt}
 </div>
</div>
<div class="reprint-note">本文转载自微信公众号「{e(mp_name)}」，版权归原作者所有，如有侵权请联系删除。</div>
<div class="mp-tags">标签：{tag_html}</div>
<div class="mp-prenext"><p>上一篇：<a href="/mp/{aid - 1}.html">{e(prev)}</a></p><p>下一篇：<a href="/mp/{aid + 1}.html">{e(nxt)}</a></p></div>
<div class="related-box"><h3>相关文章</h3><ul>
{related}
</ul></div>
</div>
<div class="main-right">
 <div class="gzh-card"><img class="gzh-avatar" src="/mp/img/gzh_{mp_id}.png"><p class="gzh-name">{e(mp_name)}</p><p class="gzh-id">微信号：{mp_id}</p>
 <p class="gzh-intro">功能介绍：分享公文写作技巧与优秀范文，助力机关干部提升写作能力。</p><img class="gzh-qr" src="/mp/img/qr_{mp_id}.jpg"><p>扫码关注公众号</p></div>
 <div class="side-box"><h3>热门文章</h3><ul class="hot-list">
{hot}
 </ul></div>
</div>
</div>
<div class="site-foot"><div class="w1100"><p><a href="/about/">关于我们</a> | <a href="/mianze/">免责声明</a> | <a href="/contact/">联系我们</a> | <a href="/sitemap/">网站地图</a></p>
<p>本站内容来源于微信公众号，仅供学习交流，版权归原作者所有。</p>
<p>Copyright &copy; 2019-2024 {WX_SITE} 浙ICP备2020034567号-1</p></div></div>
<script type="text/javascript" src="/static/js/jquery.min.js"></script>
<script type="text/javascript">
var ct = document.getElementById("js_content"); if (ct) {{ ct.style.visibility = "visible"; }}
var imgs = document.querySelectorAll("img[data-src]"); for (var i = 0; i < imgs.length; i++) {{ imgs[i].src = imgs[i].getAttribute("data-src"); }}
</script>
</body>
</html>
"""


WX_MNC = ["当前位置", "首页", "公众号文章", "正文", "讲话发言", "工作总结", "公众号大全", "登录", "注册",
          "阅读原文", "在看", "精选留言", "写留言", "本文转载自微信公众号", "版权归原作者所有", "如有侵权请联系删除",
          "标签：", "上一篇", "下一篇", "相关文章", "热门文章", "微信号", "功能介绍", "扫码关注公众号", "关于我们",
          "免责声明", "联系我们", "网站地图", "仅供学习交流", "Copyright", "ICP备", WX_SITE] \
         + [t for t, _ in WX_HOT] + [t for t, _, _ in WX_RELATED] + [s for _, s, _ in WX_RELATED] \
         + [c for _, c in WX_COMMENTS] + [n for n, _ in WX_COMMENTS]
WX_GUIDE_MNC = ["往期推荐", "- END -", "长按识别二维码", "觉得不错，点个“在看”吧", *WX_PAST]


def build_wx():
    m = "wechat_reprint"

    # 1. 原创 badge, author, js_content with visibility:hidden (made visible by script), guides top and bottom
    aid = 8231
    url = f"{BASE}/mp/{aid}.html"
    title = T.WX_TRAIN_TITLE
    content = WX_GUIDE_TOP + "\n" + wx_body(T.WX_TRAIN, heads=T.WX_TRAIN_HEADS) + "\n" + wx_guide_bottom()
    page = wx_page(title, aid=aid, author="江南笔客", mp_name="基层党建微课堂", mp_id="jcdj_wkt", date="2023-04-25 10:20",
                   content=content, cat="xinde", original=True, hidden=True,
                   prev="机关党支部“三会一课”实施细则", nxt="新任党支部书记履职能力提升心得",
                   cmt_dates=["2023-04-25", "2023-04-26", "2023-04-28"],
                   tags=["心得体会", "党务工作", "培训"])
    write_case(m, "original_hidden_visibility", url, "utf-8", WX_CT,
               "WeChat article structure reprinted on an aggregator: h1#activity-name (title padded with whitespace), "
               "原创 badge, author, 公众号 name (a#js_name), em#publish_time 2023-04-25 10:20. div#js_content carries "
               "style=\"visibility: hidden;\" (a script makes it visible, as on WeChat): it IS the body. Guides inside "
               "js_content (点击蓝字 关注我们 at the top; - END -, 往期推荐, 长按识别二维码, 点个在看 at the bottom) are not body. "
               "Headings in nested <section>s.",
               [(url, page)], [rec(title, "2023-04-25T10:20:00+08:00", T.WX_TRAIN)],
               uniq([*WX_MNC, *WX_GUIDE_MNC, "点击蓝字", "原创", "江南笔客", "基层党建微课堂", "jcdj_wkt",
                     "机关党支部“三会一课”实施细则", "新任党支部书记履职能力提升心得"]))

    # 2. compilation with badge headings 篇一：…; filler before 篇一; date only
    aid = 8377
    url = f"{BASE}/mp/{aid}.html"
    col = T.WX_SURVEY_TITLE
    heads = [h for h, _ in T.WX_SURVEY_PARTS]
    paras = [T.WX_SURVEY_INTRO]
    for h, ps in T.WX_SURVEY_PARTS:
        paras += [h, *ps]
    content = wx_body(paras, badge_heads=heads, style="section") + "\n" + wx_guide_bottom()
    page = wx_page(col, aid=aid, author="", mp_name="公文写作参考", mp_id="gwxzck", date="2023-12-28",
                   content=content, cat="xinde", cmt_dates=["2023-12-28", "2023-12-29", "2024-01-03"],
                   prev="关于调查研究的十句金句", nxt="调研报告的基本结构和写法",
                   tags=["调查研究", "心得体会"], reads="3.5万", likes=212, wows=97)
    recs = [rec(h, "2023-12-28", ps, suffix=f"#part-{i + 1}", collection=col)
            for i, (h, ps) in enumerate(T.WX_SURVEY_PARTS)]
    write_case(m, "compilation_badge_parts", url, "utf-8", WX_CT,
               "Compilation (精选3篇): parts headed by centred badge <section>s 篇一：…/篇二：…/篇三：…, paragraphs as bare "
               "<section> text (no <p>); the filler paragraph before 篇一 and the bottom guides are dropped. No author "
               "span, date only 2023-12-28. One record per part (#part-N), title = part heading as shown, collection = "
               "page title.",
               [(url, page)], recs,
               uniq([*WX_MNC, *WX_GUIDE_MNC, "公文写作参考", "gwxzck", "为方便大家学习参考", "一起来看看吧",
                     "关于调查研究的十句金句", "调研报告的基本结构和写法", col]))

    # 3. relative date 昨天 14:20, 一是/二是 items, a one-line theme paragraph
    aid = 9012
    url = f"{BASE}/mp/{aid}.html"
    title = T.WX_LEIFENG_TITLE
    content = WX_GUIDE_TOP + "\n" + wx_body(T.WX_LEIFENG, heads=T.WX_LEIFENG_HEADS, style="leaf")
    page = wx_page(title, aid=aid, author="社区宣传员", mp_name="幸福里社区", mp_id="xfl_sq", date="昨天 14:20",
                   content=content, cat="tongzhi", cmt_dates=["昨天", "10小时前", "3小时前"],
                   prev="关于开展“三八”妇女节系列活动的通知",
                   nxt="社区2024年网格化服务管理工作要点", tags=["学雷锋", "志愿服务", "活动方案"], reads="865", likes=14, wows=6)
    write_case(m, "relative_yesterday_yishi", url, "utf-8", WX_CT,
               "Relative date 昨天 14:20 in em#publish_time, fetched 2024-03-10 12:00 -> 2024-03-09T14:20:00+08:00. "
               "Newer WeChat markup (<p><span leaf> with <p><br></p> spacers); 一是/二是/三是/四是 items as paragraphs; "
               "the one-line theme 传承雷锋精神，共建美好家园。 and the date line 2024年3月1日至3月31日。 ARE body. "
               "The 精选留言 dates (昨天, 10小时前, 3小时前) and 热门文章 MM-DD dates are not the page's.",
               [(url, page)], [rec(title, "2024-03-09T14:20:00+08:00", T.WX_LEIFENG)],
               uniq([*WX_MNC, "点击蓝字", "社区宣传员", "幸福里社区", "xfl_sq", "昨天 14:20",
                     "关于开展“三八”妇女节系列活动的通知", "社区2024年网格化服务管理工作要点"]))

    # 4. no date of its own (empty em#publish_time); body ends with its own 落款 and date
    aid = 8502
    url = f"{BASE}/mp/{aid}.html"
    title = T.WX_SAFEMONTH_TITLE
    right = ("××镇安全生产委员会办公室", "2023年5月26日")
    content = wx_body(T.WX_SAFEMONTH, heads=T.WX_SAFEMONTH_HEADS, right=right) + "\n" + wx_guide_bottom()
    page = wx_page(title, aid=aid, author="镇安委办", mp_name="平安××镇", mp_id="pa_zhen", date="",
                   content=content, cat="tongzhi", cmt_dates=["2023-05-29", "2023-05-30", "2023-06-02"],
                   prev="防汛安全知识十问十答", nxt="关于做好端午节期间安全防范工作的提示",
                   tags=["安全生产月", "通知"], reads="2317", likes=31, wows=12)
    write_case(m, "no_date_luokuan_comments", url, "utf-8", WX_CT,
               "No date of its own: em#publish_time is empty. 精选留言 (2023-05-29, 2023-05-30, 2023-06-02), 相关文章 "
               "(YYYY-MM-DD) and 热门文章 (MM-DD) carry dates; the body ends with its own 落款 (××镇安全生产委员会办公室 / "
               "2023年5月26日, right-aligned), which IS body but is not the page's date line. published_at null.",
               [(url, page)], [rec(title, None, T.WX_SAFEMONTH)],
               uniq([*WX_MNC, *WX_GUIDE_MNC, "镇安委办", "平安××镇", "pa_zhen", "防汛安全知识十问十答",
                     "关于做好端午节期间安全防范工作的提示"]))

    # 5. title repeated at the top of js_content; 来源/编辑/审核 footer inside js_content
    aid = 8760
    url = f"{BASE}/mp/{aid}.html"
    title = T.WX_FARMER_TITLE
    foot = ('<section style="margin-top: 30px;font-size: 13px;color: rgb(136, 136, 136);line-height: 1.8em;">'
            '<p>来源：××县融媒体中心</p><p>编辑：陈××　审核：周××</p></section>')
    content = (f'<p style="text-align: center;line-height: 1.75em;"><strong><span style="font-size: 18px;">{e(title)}'
               '</span></strong></p>\n<p><br  /></p>\n' + wx_body(T.WX_FARMER, heads=T.WX_FARMER_HEADS) + "\n" + foot)
    page = wx_page(title, aid=aid, author="县委组织部", mp_name="××组工", mp_id="xx_zugong", date="2023-10-17 07:45",
                   content=content, cat="cailiao", original=True, cmt_dates=["2023-10-17", "2023-10-18", "2023-10-21"],
                   prev="优秀党务工作者事迹材料",
                   nxt="最美基层干部推荐材料", tags=["先进事迹", "优秀共产党员"], reads="5611", likes=143, wows=58)
    write_case(m, "title_repeat_editor_footer", url, "utf-8", WX_CT,
               "The first line of js_content repeats the title (centred bold, dropped); the article ends inside "
               "js_content with 来源：××县融媒体中心 / 编辑：陈××　审核：周×× (editorial byline, not body). Title with an "
               "em dash ——. Date 2023-10-17 07:45.",
               [(url, page)], [rec(title, "2023-10-17T07:45:00+08:00", T.WX_FARMER)],
               uniq([*WX_MNC, "来源：××县融媒体中心", "编辑：陈××", "审核：周××", "××组工", "xx_zugong", "原创",
                     "优秀党务工作者事迹材料", "最美基层干部推荐材料"]))

    # 6. an aggregator ad inside js_content; short one-line paragraphs that are content
    aid = 9188
    url = f"{BASE}/mp/{aid}.html"
    title = T.WX_GALA_TITLE
    ad = ('<div class="article-gg" style="margin: 16px 0;text-align: center;"><span class="gg-lab">广告</span>'
          '<a href="/ad/click/?id=27" target="_blank" rel="nofollow"><img src="/static/ad/xiezuo_vip.jpg" alt="">'
          '<p>公文写作训练营 · 限时优惠报名中 &gt;&gt;</p></a></div>')
    content = wx_body(T.WX_GALA_A) + "\n" + ad + "\n" + wx_body(T.WX_GALA_B)
    page = wx_page(title, aid=aid, author="", mp_name="企业文稿汇", mp_id="qywgh", date="2024-02-04 09:30",
                   content=content, cat="jianghua", prev="2024年公司年会主持词", nxt="优秀员工获奖感言",
                   tags=["年会致辞", "讲话稿"], reads="9876", likes=65, wows=20)
    write_case(m, "inline_ad_short_lines", url, "utf-8", WX_CT,
               "An aggregator ad block (广告 / 公文写作训练营 · 限时优惠报名中) inserted inside js_content between body "
               "paragraphs; short one-line paragraphs 大家晚上好！ and 谢谢大家！ ARE body. No comments block. Date "
               "2024-02-04 09:30.",
               [(url, page)], [rec(title, "2024-02-04T09:30:00+08:00", T.WX_GALA_A + T.WX_GALA_B)],
               uniq([*[s for s in WX_MNC if s not in ("精选留言", "写留言") and s not in [c for _, c in WX_COMMENTS]
                       and s not in [n for n, _ in WX_COMMENTS]],
                     "广告", "公文写作训练营", "限时优惠报名中", "企业文稿汇", "qywgh", "2024年公司年会主持词", "优秀员工获奖感言"]))


# =====================================================================================
# markup 2: wenku_bootstrap — Bootstrap 4 document-preview ("文库") site, utf-8, charset only in the HTTP header
# =====================================================================================

WK_SITE = "汇智文库"
WK_RELATED = [
    ("2022年度科室工作总结", "2022年，本科室在院领导的正确领导下，认真贯彻落实各项工作部署，圆满完成了年度目标任务……", "2023-02-14"),
    ("个人年度工作总结（通用版）", "时光飞逝，转眼间一年的工作即将结束。回顾这一年来的工作，在领导和同事们的支持帮助下……", "2023-01-09"),
    ("部门年终总结及来年工作计划", "一年来，我部门紧紧围绕公司年度经营目标，团结协作、攻坚克难，各项工作取得了较好成绩……", "2022-12-27"),
]
WK_HOT = [("劳动合同范本（2023版）", "2023-03-02"), ("党员发展流程及材料模板", "2023-02-21"),
          ("小学数学教学反思合集", "2023-02-08"), ("员工请假条模板", "2023-01-30")]
WK_CT = "text/html; charset=UTF-8"


def wk_body(paras, *, heads=(), centre=(), title_line=None):
    out = []
    if title_line:
        out.append('<p style="text-align:center;margin:0 0 12px;"><span style="font-family:方正小标宋简体;font-size:18pt;">'
                   f'{e(title_line)}</span></p>')
    for p in paras:
        if isinstance(p, T.Table):
            rows = []
            for ri, row in enumerate(p):
                tag = "th" if ri == 0 else "td"
                rows.append("<tr>" + "".join(f"<{tag}>{e(c)}</{tag}>" for c in row) + "</tr>")
            out.append('<table class="table table-bordered table-sm doc-table"><tbody>\n' + "\n".join(rows)
                       + "\n</tbody></table>")
        elif p in centre:
            out.append(f'<p style="text-align:center;font-weight:bold;margin:14px 0 8px;">{e(p)}</p>')
        elif p in heads:
            out.append(f'<p style="text-indent:2em;margin:0;"><span style="font-family:黑体;font-size:16pt;">{e(p)}</span></p>')
        else:
            out.append(f'<p style="text-indent:2em;margin:0;"><span style="font-family:仿宋;font-size:16pt;">{e(p)}</span></p>')
    return "\n".join(out)


WK_AD = ('<div class="ad-slot text-center my-3"><span class="badge badge-secondary ad-lab">广告</span> '
         '<a href="/vip/?from=preview" class="text-danger">开通VIP会员，全站文档免费下载 &gt;&gt;</a></div>')


def wk_preview(pages_html, first_no, total, *, ads=True):
    boxes = []
    for i, body in enumerate(pages_html):
        n = first_no + i
        boxes.append(f'<div class="page shadow-sm bg-white mb-3" data-page="{n}" id="page{n}"><div class="page-body px-5 py-4">\n'
                     f'{body}\n</div><div class="page-foot text-center text-muted small">第 {n} 页 / 共 {total} 页</div></div>')
        if ads and i == 0 and len(pages_html) > 1:
            boxes.append(WK_AD)
    return "\n".join(boxes)


def wk_page(title, *, did, meta_items, preview_html, pages_total, tags, after_preview="", pager="", cat="工作总结"):
    meta = "".join(f'<li class="list-inline-item">{m}</li>' for m in meta_items)
    tag_html = "".join(f'<a class="badge badge-light mr-1" href="/tag/{e(t)}/">{e(t)}</a>' for t in tags)
    related = "\n".join(
        f'<li class="list-group-item"><a href="/doc/{60000 + i}.html" class="rel-tit">{e(t)}</a>'
        f'<p class="small text-muted mb-1">{e(s)}</p><span class="small text-black-50">{d}</span></li>'
        for i, (t, s, d) in enumerate(WK_RELATED))
    hot = "\n".join(f'<li class="list-group-item d-flex justify-content-between"><a href="/doc/{59000 + i}.html">{e(t)}</a>'
                    f'<small class="text-muted">{d}</small></li>' for i, (t, d) in enumerate(WK_HOT))
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no">
<title>{e(title)}.docx - {WK_SITE}</title>
<meta name="keywords" content="{e(",".join(tags))}">
<link rel="stylesheet" href="/static/bootstrap/4.6.2/css/bootstrap.min.css">
<link rel="stylesheet" href="/static/css/wenku.css?v=1.8">
</head>
<body class="bg-light">
<nav class="navbar navbar-expand-lg navbar-light bg-white border-bottom">
 <div class="container">
  <a class="navbar-brand font-weight-bold" href="/">{WK_SITE}</a>
  <button class="navbar-toggler" type="button" data-toggle="collapse" data-target="#mainNav"><span class="navbar-toggler-icon"></span></button>
  <div class="collapse navbar-collapse" id="mainNav">
   <ul class="navbar-nav mr-auto">
    <li class="nav-item"><a class="nav-link" href="/">首页</a></li><li class="nav-item"><a class="nav-link" href="/fanwen/">范文</a></li>
    <li class="nav-item"><a class="nav-link" href="/zongjie/">工作总结</a></li><li class="nav-item"><a class="nav-link" href="/hetong/">合同协议</a></li>
    <li class="nav-item"><a class="nav-link" href="/jiaoyu/">教育资料</a></li><li class="nav-item"><a class="nav-link text-warning" href="/vip/">VIP会员</a></li>
   </ul>
   <form class="form-inline my-2 my-lg-0" action="/search/"><input class="form-control form-control-sm mr-sm-2" type="search" name="q" placeholder="搜索文档"><button class="btn btn-sm btn-outline-primary" type="submit">搜索</button></form>
   <a class="btn btn-sm btn-link" href="/user/login/">登录</a><a class="btn btn-sm btn-warning" href="/vip/">开通VIP</a>
  </div>
 </div>
</nav>
<div class="container mt-3">
 <nav aria-label="breadcrumb"><ol class="breadcrumb bg-transparent px-0">
  <li class="breadcrumb-item"><a href="/">首页</a></li><li class="breadcrumb-item"><a href="/fanwen/">范文</a></li><li class="breadcrumb-item active" aria-current="page">{cat}</li>
 </ol></nav>
 <div class="row">
  <div class="col-lg-8">
   <div class="card doc-head mb-3"><div class="card-body">
    <h1 class="doc-title h4"><i class="icon-file icon-docx"></i>{e(title)}</h1>
    <ul class="list-inline doc-meta text-muted small mb-2">{meta}</ul>
    <div class="doc-tags small mb-2">标签：{tag_html}</div>
    <div class="doc-btns"><a class="btn btn-primary btn-sm" href="/down/{did}.html">下载文档</a> <a class="btn btn-outline-secondary btn-sm" href="javascript:;">收藏</a> <a class="btn btn-outline-secondary btn-sm" href="javascript:;">分享</a></div>
   </div></div>
   <div class="alert alert-warning small tips">温馨提示：1. 本站文档均由用户上传，仅供学习参考，版权归上传者所有。2. 预览效果可能与原文档存在差异，下载后可获得完整格式。3. 如对文档内容有疑问，请联系在线客服。</div>
   <div class="doc-preview" id="docPreview">
{preview_html}
   </div>
{after_preview}{pager}
   <div class="card doc-actions mb-3"><div class="card-body text-center">
    <a class="btn btn-primary btn-lg px-5" href="/down/{did}.html">下载本文档（Word版）</a>
    <p class="small text-muted mt-2 mb-0">本文档共{pages_total}页 · 下载需要5积分 · VIP会员免费</p>
   </div></div>
   <div class="card related mb-3"><div class="card-header">相关文档</div><ul class="list-group list-group-flush">
{related}
   </ul></div>
  </div>
  <div class="col-lg-4">
   <div class="card mb-3"><div class="card-header">文档贡献者</div><div class="card-body small"><img class="rounded-circle" src="/static/img/avatar.png" width="40"> 文库用户a8k2 <p class="mb-0 text-muted">共上传文档 326 份</p></div></div>
   <div class="card mb-3"><div class="card-header">热门文档</div><ul class="list-group list-group-flush small">
{hot}
   </ul></div>
  </div>
 </div>
</div>
<footer class="bg-dark text-white-50 py-4 mt-4 small"><div class="container text-center">
 <p><a class="text-white-50" href="/about/">关于我们</a> | <a class="text-white-50" href="/agreement/">用户协议</a> | <a class="text-white-50" href="/copyright/">版权声明</a> | <a class="text-white-50" href="/kefu/">联系客服</a></p>
 <p>本站文档均由用户上传，如有侵权请联系客服删除。</p>
 <p>Copyright &copy; 2017-2024 {WK_SITE} 版权所有 | 苏ICP备19045678号-2</p>
</div></footer>
<script src="/static/js/jquery-3.5.1.min.js"></script>
<script src="/static/bootstrap/4.6.2/js/bootstrap.bundle.min.js"></script>
</body>
</html>
"""


def wk_meta(date, pages, size="21.5KB", views="1.3万", downs="326"):
    items = ["上传者：文库用户a8k2"]
    if date:
        items.append(f"上传时间：{date}")
    items += [f"页数：{pages}页", f"大小：{size}", f"浏览：{views}", f"下载：{downs}", "格式：DOCX"]
    return items


WK_MNC = ["首页", "合同协议", "教育资料", "VIP会员", "搜索文档", "登录", "开通VIP", "标签：", "下载文档", "收藏",
          "温馨提示", "本站文档均由用户上传", "仅供学习参考", "下载后可获得完整格式", "在线客服", "下载本文档", "Word版",
          "下载需要5积分", "相关文档", "文档贡献者", "文库用户a8k2", "共上传文档", "热门文档", "关于我们", "用户协议",
          "版权声明", "联系客服", "Copyright", "ICP备", "上传者", "页数：", "大小：", "浏览：", "格式：DOCX", WK_SITE] \
         + [t for t, _, _ in WK_RELATED] + [s for _, s, _ in WK_RELATED] + [t for t, _ in WK_HOT]


def build_wk():
    m = "wenku_bootstrap"

    # 1. dot date, full preview over three boxes with page numbers and an ad between boxes
    did = 58231
    url = f"{BASE}/doc/{did}.html"
    title = T.WK_NURSE_TITLE
    bodies = [wk_body(p, heads=T.WK_NURSE_HEADS) for p in T.WK_NURSE_PAGES]
    done = '   <div class="preview-done text-center text-muted small my-3">—— 全文已展示完毕 ——</div>\n'
    page = wk_page(title, did=did, meta_items=wk_meta("2023.04.25", 3), preview_html=wk_preview(bodies, 1, 3),
                   pages_total=3, tags=["护理", "工作总结", "医院"], after_preview=done)
    write_case(m, "dot_date_full_preview", url, "utf-8", WK_CT,
               "上传时间：2023.04.25 (dotted date, date only). Full preview: three div.page boxes with 第 N 页 / 共 3 页 "
               "footers and an ad slot (广告 / 开通VIP会员…) between box 1 and 2, then 全文已展示完毕 (not a paywall: "
               "truncated false). Content-Type has the charset; no meta charset.",
               [(url, page)], [rec(title, "2023-04-25", flat(T.WK_NURSE_PAGES))],
               uniq([*WK_MNC, "上传时间", "第 1 页", "共 3 页", "广告", "全文已展示完毕", "开通VIP会员，全站文档免费下载"]))

    # 2. paywall preview: two boxes then 试读已结束 trailer
    did = 61407
    url = f"{BASE}/doc/{did}.html"
    title = T.WK_CLEAN_TITLE
    bodies = [wk_body(p, heads=T.WK_CLEAN_HEADS) for p in T.WK_CLEAN_PAGES]
    trailer = ('   <div class="preview-end card card-body text-center mb-3"><div class="fade-mask"></div>'
               '<p class="mb-2">试读已结束，还剩4页未读，下载后可阅读全文</p>'
               f'<a class="btn btn-danger px-5" href="/down/{did}.html">下载全文（8积分）</a>'
               '<a class="btn btn-link" href="/vip/?from=end">加入VIP，免费下载</a></div>\n')
    page = wk_page(title, did=did, meta_items=wk_meta("2023-06-18 21:07:33", 6, "26.8KB", "8426", "97"),
                   preview_html=wk_preview(bodies, 1, 6), pages_total=6, tags=["廉洁文化", "实施方案"],
                   after_preview=trailer, cat="党建资料")
    write_case(m, "paywall_remaining_pages", url, "utf-8", WK_CT,
               "Paywall preview: 2 of 6 pages shown, then div.preview-end 试读已结束，还剩4页未读，下载后可阅读全文 + "
               "下载全文（8积分） / 加入VIP，免费下载 (trailer dropped, truncated=true). 上传时间：2023-06-18 21:07:33 "
               "(seconds).",
               [(url, page)], [rec(title, "2023-06-18T21:07:33+08:00", flat(T.WK_CLEAN_PAGES), truncated=True)],
               uniq([*WK_MNC, "试读已结束", "还剩4页未读", "下载全文", "加入VIP", "上传时间", "共 6 页", "广告"]))

    # 3. multi-page: ?page=2 holds preview boxes 3-4
    did = 65021
    url = f"{BASE}/doc/{did}.html"
    url2 = f"{BASE}/doc/{did}.html?page=2"
    title = T.WK_PEACE_TITLE
    bodies = [wk_body(p, heads=T.WK_PEACE_HEADS) for p in T.WK_PEACE_PAGES]
    pager1 = ('   <nav class="doc-pager" aria-label="分页"><ul class="pagination justify-content-center">'
              '<li class="page-item disabled"><span class="page-link">上一页</span></li>'
              '<li class="page-item active"><span class="page-link">1</span></li>'
              '<li class="page-item"><a class="page-link" href="?page=2">2</a></li>'
              '<li class="page-item"><a class="page-link" href="?page=2">下一页</a></li></ul></nav>\n')
    pager2 = ('   <nav class="doc-pager" aria-label="分页"><ul class="pagination justify-content-center">'
              f'<li class="page-item"><a class="page-link" href="/doc/{did}.html">上一页</a></li>'
              f'<li class="page-item"><a class="page-link" href="/doc/{did}.html">1</a></li>'
              '<li class="page-item active"><span class="page-link">2</span></li>'
              '<li class="page-item disabled"><span class="page-link">下一页</span></li></ul></nav>\n')
    meta = wk_meta("2023年11月2日", 4, "24.1KB", "5102", "211")
    p1 = wk_page(title, did=did, meta_items=meta, preview_html=wk_preview(bodies[:2], 1, 4), pages_total=4,
                 tags=["平安建设", "工作总结", "乡镇"], pager=pager1)
    p2 = wk_page(title, did=did, meta_items=meta, preview_html=wk_preview(bodies[2:], 3, 4), pages_total=4,
                 tags=["平安建设", "工作总结", "乡镇"], pager=pager2)
    write_case(m, "multipage_query_page", url, "utf-8", WK_CT,
               "Multi-page preview: the document URL shows boxes 1-2, ?page=2 (relative href) shows boxes 3-4; Bootstrap "
               ".pagination 上一页 1 2 下一页. One record with both pages in order. 上传时间：2023年11月2日 (Chinese, "
               "unpadded) -> 2023-11-02.",
               [(url, p1), (url2, p2)], [rec(title, "2023-11-02", flat(T.WK_PEACE_PAGES))],
               uniq([*WK_MNC, "上传时间", "上一页", "下一页", "共 4 页", "广告"]))

    # 4. a table inside the body
    did = 66310
    url = f"{BASE}/doc/{did}.html"
    title = T.WK_TRAIN_TITLE
    bodies = [wk_body(p, heads=T.WK_TRAIN_HEADS) for p in T.WK_TRAIN_PAGES]
    page = wk_page(title, did=did, meta_items=wk_meta("2024-01-08 16:30", 2, "30.2KB", "2987", "156"),
                   preview_html=wk_preview(bodies, 1, 2), pages_total=2, tags=["培训计划", "职工教育"],
                   cat="工作计划")
    write_case(m, "table_work_plan", url, "utf-8", WK_CT,
               "A table (序号/培训项目/培训对象/时间/责任部门, 6 rows) inside the body on preview page 2: labelled one line "
               "per row, cells joined by a single space. 上传时间：2024-01-08 16:30. Full preview (truncated false).",
               [(url, page)], [rec(title, "2024-01-08T16:30:00+08:00", flat(T.WK_TRAIN_PAGES))],
               uniq([*WK_MNC, "上传时间", "共 2 页", "广告"]))

    # 5. no date; the first line of the preview repeats the title
    did = 67045
    url = f"{BASE}/doc/{did}.html"
    title = T.WK_PRACTICE_TITLE
    bodies = [wk_body(T.WK_PRACTICE_PAGES[0], heads=T.WK_PRACTICE_HEADS, title_line=title),
              wk_body(T.WK_PRACTICE_PAGES[1], heads=T.WK_PRACTICE_HEADS)]
    page = wk_page(title, did=did, meta_items=wk_meta(None, 2, "18.9KB", "7730", "402"),
                   preview_html=wk_preview(bodies, 1, 2), pages_total=2, tags=["社会实践", "三下乡", "大学生"],
                   cat="实践报告")
    write_case(m, "no_date_title_first_line", url, "utf-8", WK_CT,
               "No 上传时间: the meta list has 上传者/页数/大小/浏览/下载/格式 only; 相关文档 and 热门文档 carry dates. "
               "published_at null. The first line of preview page 1 repeats the title (dropped).",
               [(url, page)], [rec(title, None, flat(T.WK_PRACTICE_PAGES))],
               uniq([*WK_MNC, "共 2 页", "广告"]))

    # 6. compilation 【篇一】… spanning preview boxes; filler before 篇一; dotted date with time
    did = 68822
    url = f"{BASE}/doc/{did}.html"
    col = T.WK_PLANS_TITLE
    heads = [h for h, _ in T.WK_PLANS_PARTS]
    p = T.WK_PLANS_PARTS
    box1 = [T.WK_PLANS_INTRO, heads[0], *p[0][1], heads[1], p[1][1][0]]
    box2 = [*p[1][1][1:], heads[2], *p[2][1][:2]]
    box3 = list(p[2][1][2:])
    assert box1[2:] + box2 + box3 == p[0][1] + [heads[1]] + p[1][1] + [heads[2]] + p[2][1]
    bodies = [wk_body(b, centre=heads) for b in (box1, box2, box3)]
    page = wk_page(col, did=did, meta_items=wk_meta("2023.12.29 10:15", 3, "22.7KB", "1.1万", "538"),
                   preview_html=wk_preview(bodies, 1, 3), pages_total=3, tags=["工作计划", "个人计划"], cat="工作计划")
    recs = [rec(h, "2023-12-29T10:15:00+08:00", ps, suffix=f"#part-{i + 1}", collection=col)
            for i, (h, ps) in enumerate(T.WK_PLANS_PARTS)]
    write_case(m, "compilation_bracket_parts", url, "utf-8", WK_CT,
               "Compilation (精选3篇) inside a document preview: centred bold 【篇一】…/【篇二】…/【篇三】… headings, parts "
               "running across div.page boxes (篇二 starts at the end of box 1); the filler paragraph before 篇一 is "
               "dropped. One record per part (#part-N), title = part heading as shown (with 【】), collection = page "
               "title. 上传时间：2023.12.29 10:15 (dotted, with time).",
               [(url, page)], recs,
               uniq([*WK_MNC, "上传时间", "共 3 页", "广告", "以下是本站为大家整理的", "仅供参考", col]))


# =====================================================================================
# markup 3: phpwind_gbk — PHPWind 8-style forum thread, GBK, charset only in the meta tag
# =====================================================================================

FR_SITE = "笔友公文论坛"
FR_CT = "text/html"
FR_BOARDS = {"zj": ("工作总结", 15), "jh": ("讲话致辞", 16), "tz": ("通知公告", 17), "bg": ("述职报告", 18)}


def fr_user(name, uid, posts, reg):
    return (f'<div class="readName b"><a href="u.php?uid={uid}">{e(name)}</a></div>'
            f'<div class="floot_leftdiv"><a href="u.php?uid={uid}" class="userCard face_img"><img src="images/face/{uid % 9}.jpg" '
            f'width="120" height="120" /></a><div class="honor">初级写手</div>'
            f'<ul class="user-info-list"><li>UID: {uid}</li><li>精华: {posts // 100}</li><li>发帖: {posts}</li>'
            f'<li>威望: {posts // 3} 点</li><li>金钱: {posts * 4} 铜币</li><li>贡献值: {posts // 20} 点</li>'
            f'<li>注册时间: {reg}</li><li>最后登录: 2024-03-09</li></ul></div>')


def fr_floor(fid, floor_name, user_html, when, content_html, *, subject="", signature="", first=False):
    subj = f'<h1 class="read_h1" id="subject_tpc">{e(subject)}</h1>\n' if first else ""
    sig = f'<div class="sigline c"></div><div class="signature" style="max-height:60px;overflow:hidden;">{e(signature)}</div>' \
        if signature else ""
    cid = "read_tpc" if first else f"read_{fid}"
    return f"""<div class="t5 t2" id="t_{fid}">
<table cellspacing="0" cellpadding="0" width="100%" class="floot" style="table-layout:fixed;">
<tr class="vt">
<td class="floot_left">{user_html}</td>
<td class="floot_right" id="td_{fid}">
<div class="tipTop s6"><span class="fr"><a href="read.php?tid={{tid}}&uid=0" class="s3">只看该作者</a> <a class="s2 b" name="{fid}">{floor_name}</a></span><span class="gray" title="{when}">发表于: {when}</span></div>
{subj}<div class="tpc_content"><div class="f14 mb10" id="{cid}">{content_html}</div></div>
{sig}
<div class="tipBottom cc"><span class="fr"><a href="javascript:;">引用</a> | <a href="javascript:;">回复</a> | <a href="javascript:;">举报</a></span></div>
</td>
</tr>
</table>
</div>"""


def fr_text(paras, *, double=True, right=()):
    """Body as text nodes with <br /> separators, full-width-space indents (right-aligned 落款 in a div)."""
    out = []
    sep = "<br /><br />" if double else "<br />"
    for p in paras:
        if isinstance(p, T.Table):
            rows = "".join("<tr>" + "".join(f'<td style="border:1px solid #999;padding:4px;">{e(c)}</td>' for c in row)
                           + "</tr>" for row in p)
            out.append(f'<table class="t_table" cellspacing="0" style="width:90%;border-collapse:collapse;">{rows}</table>')
        elif p in right:
            out.append(f'<div align="right">{e(p)}</div>')
        else:
            out.append(f"　　{e(p)}{sep}")
    return "\n".join(out)


def fr_page(title, *, tid, board, floors_html, hits, replies, tags, extra_top=""):
    bname, fid = FR_BOARDS[board]
    tag_html = " ".join(f'<a href="link.php?action=tag&tagname={e(t)}">{e(t)}</a>' for t in tags)
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gbk" />
<title>{e(title)}|{bname} - {FR_SITE} - Powered by phpwind</title>
<meta name="generator" content="phpwind 8.7" />
<meta name="keywords" content="{e(",".join(tags))}" />
<link rel="stylesheet" type="text/css" href="images/pw_core.css?20120412" />
<link rel="stylesheet" type="text/css" href="images/wind/css/read.css?20120412" />
<script type="text/javascript" src="js/core/core.js"></script>
</head>
<body>
<div id="header">
<div class="top"><div class="wrap cc"><span class="fr"><a href="login.php">登录</a> | <a href="register.php">注册</a> | <a href="mode.php?m=o">个人中心</a></span>您好，欢迎来到{FR_SITE}！</div></div>
<div class="wrap cc"><div id="logo"><a href="index.php"><img src="images/wind/logo.png" alt="{FR_SITE}" /></a></div>
<ul id="nav-main" class="cc"><li><a href="index.php">论坛</a></li><li><a href="portal.php">门户</a></li><li><a href="mode.php?m=o">圈子</a></li><li><a href="faq.php">帮助</a></li></ul></div>
</div>
<div id="main" class="wrap">
<div id="breadCrumb" class="cc"><img src="images/wind/thread/home.gif" align="absmiddle" /> <a href="index.php">{FR_SITE}</a><em>&raquo;</em><a href="thread.php?fid=12">范文交流</a><em>&raquo;</em><a href="thread.php?fid={fid}">{bname}</a><em>&raquo;</em><a href="read.php?tid={tid}">{e(title)}</a></div>
<div class="t3 cc"><span class="fr"><a href="post.php?fid={fid}" class="post">发帖</a> <a href="post.php?action-reply-fid-{fid}-tid-{tid}.html" class="replay">回复</a></span><span class="readTop">查看: {hits} | 回复: {replies}</span></div>
<div class="readTag s6">标签: {tag_html}</div>
{extra_top}<div id="readfloor">
{floors_html.replace("{tid}", str(tid))}
</div>
<div class="t5 t2" id="quickpost"><form name="FORM" method="post" action="post.php?fid={fid}&tid={tid}"><h4>快速回复</h4><textarea name="atc_content" rows="6" cols="80"></textarea><br /><input class="btn" type="submit" value="提 交" /> <span class="gray">按 Ctrl+Enter 直接提交</span></form></div>
</div>
<div id="footer" class="wrap">
<div class="bottom tac"><a href="simple/">手机版</a> | <a href="sendemail.php">联系我们</a> | <a href="archiver/">Archiver</a><br />
Powered by <a href="faq.php?action=about" target="_blank"><b>phpwind v8.7</b></a> Certificate Code &copy; 2003-2024 {FR_SITE} <span class="beian">皖ICP备17023456号-3</span><br />
Total 0.021345(s) query 6, Gzip enabled</div>
</div>
</body>
</html>
"""


FR_REPLIES = [
    ("青灯夜读", 28841, 412, "2020-03-17", "感谢楼主分享，收藏了，正愁不知道怎么写。"),
    ("材料狗一枚", 30125, 96, "2021-08-02", "结构清晰，学习了！楼主辛苦。"),
    ("笔耕不辍", 19870, 1288, "2018-11-25", "顶一个，希望多发一些这样的帖子。"),
]
FR_MNC = ["发表于", "只看该作者", "楼主", "沙发", "板凳", "引用", "回复", "举报", "UID", "精华", "发帖", "威望",
          "金钱", "贡献值", "注册时间", "最后登录", "初级写手", "快速回复", "按 Ctrl+Enter 直接提交", "Powered by",
          "phpwind", "ICP备", "手机版", "联系我们", "Archiver", "个人中心", "欢迎来到", "登录", "注册", "论坛",
          "门户", "圈子", "帮助", "范文交流", "查看:", "标签:", "Total", FR_SITE] \
         + [n for n, _, _, _, _ in FR_REPLIES] + [c for _, _, _, _, c in FR_REPLIES]


def fr_replies(start_fid, dates, names=("沙发", "板凳", "地板"), extra=None):
    out = []
    for i, ((n, uid, posts, reg, c), d) in enumerate(zip(FR_REPLIES[:len(dates)], dates, strict=True)):
        content = e(c) if not extra or i not in extra else extra[i]
        out.append(fr_floor(start_fid + i, names[i], fr_user(n, uid, posts, reg), d, content))
    return "\n".join(out)


def build_fr():
    m = "phpwind_gbk"

    # 1. poster's intro line, edit note at the end of the post, signature, ad above the post
    tid = 23456
    url = f"{BASE}/read.php?tid={tid}"
    title = T.FR_OFFICE_TITLE
    intro = "自己写的上半年总结，已经交上去了，发上来给大家参考，欢迎拍砖~"
    edit = "[ 此帖被小刘写材料在2023-07-07 09:12重新编辑 ]"
    ad = ('<div class="tpc_ads" id="ads_tpc"><a href="ad.php?id=5" target="_blank">【广告】公文写作一对一辅导，'
          '资深笔杆子在线答疑</a></div>')
    body = (f"{ad}　　{e(intro)}<br /><br />\n" + fr_text(T.FR_OFFICE)
            + f'\n<span class="gray" style="font-size:12px;">{e(edit)}</span>')
    first = fr_floor("tpc", "楼主", fr_user("小刘写材料", 10235, 356, "2019-05-12"), "2023-07-06 10:20", body,
                     subject=title, signature="写材料是一场修行，与诸君共勉。", first=True)
    floors = first + "\n" + fr_replies(301, ["2023-07-06 11:02", "2023-07-06 15:47", "2023-07-08 08:30"])
    page = fr_page(title, tid=tid, board="zj", floors_html=floors, hits=2345, replies=3, tags=["工作总结", "办公室"])
    write_case(m, "edit_note_signature", url, "gbk", FR_CT,
               "PHPWind 8 thread: h1#subject_tpc in the first floor, 楼主 发表于: 2023-07-06 10:20. The first post "
               "(div#read_tpc, text nodes + <br /><br />) opens with an in-post ad and the poster's own intro (自己写的…欢迎拍砖~) "
               "and ends with [ 此帖被…在2023-07-07 09:12重新编辑 ]: none of them body. Signature, user card (注册时间 "
               "2019-05-12) and 3 replies with dates are not body either. GBK, charset only in the meta tag.",
               [(url, page)], [rec(title, "2023-07-06T10:20:00+08:00", T.FR_OFFICE)],
               uniq([*FR_MNC, "地板", "自己写的上半年总结", "欢迎拍砖", "重新编辑", "此帖被", "小刘写材料",
                     "写材料是一场修行", "【广告】", "公文写作一对一辅导"]))

    # 2. relative date 3天前; replies with relative dates
    tid = 25110
    url = f"{BASE}/read.php?tid={tid}"
    title = T.FR_SCHOOL_TITLE
    first = fr_floor("tpc", "楼主", fr_user("东篱校长", 21877, 158, "2020-09-01"), "3天前", fr_text(T.FR_SCHOOL),
                     subject=title, first=True)
    floors = first + "\n" + fr_replies(401, ["2天前", "昨天 20:15"])
    page = fr_page(title, tid=tid, board="jh", floors_html=floors, hits=876, replies=2, tags=["开学典礼", "校长讲话"])
    write_case(m, "relative_3days_replies", url, "gbk", FR_CT,
               "Relative date 发表于: 3天前 on the first floor, fetched 2024-03-10 -> 2024-03-07 (date only); the two "
               "replies say 2天前 and 昨天 20:15 (not the page's date). Short one-line paragraphs 大家上午好！ and 谢谢大家！ "
               "ARE body. No signature.",
               [(url, page)], [rec(title, "2024-03-07", T.FR_SCHOOL)],
               uniq([s for s in FR_MNC if s not in ("笔耕不辍", "顶一个，希望多发一些这样的帖子。")]
                    + ["东篱校长", "3天前", "2天前", "昨天 20:15", "讲话致辞"]))

    # 3. a table inside the post; the notice's own 落款 and date; unpadded date with time
    tid = 24603
    url = f"{BASE}/read.php?tid={tid}"
    title = T.FR_FINANCE_TITLE
    right = ("××县财政局", "2023年9月8日")
    first = fr_floor("tpc", "楼主", fr_user("财会小张", 26630, 73, "2021-02-18"), "2023-9-8 15:42",
                     fr_text(T.FR_FINANCE, double=False, right=right), subject=title,
                     signature="会计人，会计魂。", first=True)
    floors = first + "\n" + fr_replies(501, ["2023-9-8 16:10", "2023-9-9 09:05", "2023-9-11 14:22"])
    page = fr_page(title, tid=tid, board="tz", floors_html=floors, hits=1502, replies=3, tags=["培训通知", "财务"])
    write_case(m, "table_schedule_luokuan", url, "gbk", FR_CT,
               "Notice posted with single <br /> line breaks and a table (日期/时间/培训内容/授课人, 5 rows) inside "
               "div#read_tpc: labelled one line per row, cells joined by a single space. Ends with its own 落款 "
               "(××县财政局 / 2023年9月8日 in <div align=right>), which IS body. 发表于: 2023-9-8 15:42 (unpadded) -> "
               "2023-09-08T15:42:00+08:00; reply dates 2023-9-9 etc.",
               [(url, page)], [rec(title, "2023-09-08T15:42:00+08:00", T.FR_FINANCE)],
               uniq([*FR_MNC, "地板", "财会小张", "会计人，会计魂。", "通知公告"]))

    # 4. reply-to-view hidden rest: truncated
    tid = 24120
    url = f"{BASE}/read.php?tid={tid}"
    title = T.FR_PARTY_TITLE
    hide = ('<div class="hide_box" style="border:1px dashed #f60;padding:10px;margin-top:10px;">'
            '<p class="s3">此处隐藏了剩余的 6 段内容，回复本帖后才可以浏览</p>'
            '<p><a href="#quickpost" class="btn_reply">我要回复</a>　<span class="gray">已有 27 人回复后查看</span></p></div>')
    first = fr_floor("tpc", "楼主", fr_user("支部书记老王", 15502, 640, "2019-10-08"), "2023-08-16 07:55:12",
                     fr_text(T.FR_PARTY_SHOWN) + "\n" + hide, subject=title,
                     signature="不忘初心，牢记使命。", first=True)
    floors = first + "\n" + fr_replies(601, ["2023-08-16 09:30:41", "2023-08-17 12:03:09", "2023-08-19 21:44:50"])
    page = fr_page(title, tid=tid, board="bg", floors_html=floors, hits=4310, replies=27, tags=["述职报告", "党建"])
    write_case(m, "reply_to_view_hidden", url, "gbk", FR_CT,
               "Paywall-like forum preview: the first post shows 6 paragraphs, then div.hide_box 此处隐藏了剩余的 6 段内容，"
               "回复本帖后才可以浏览 / 我要回复 (trailer dropped, truncated=true). 发表于: 2023-08-16 07:55:12 (seconds).",
               [(url, page)], [rec(title, "2023-08-16T07:55:12+08:00", T.FR_PARTY_SHOWN, truncated=True)],
               uniq([*FR_MNC, "地板", "此处隐藏了剩余的", "回复本帖后才可以浏览", "我要回复", "已有 27 人回复后查看",
                     "支部书记老王", "不忘初心，牢记使命。", "述职报告"]))

    # 5. a one-line closer that IS content (以上报告，请予审议。), 一是/二是, 落款; a reply quoting the body
    tid = 25877
    url = f"{BASE}/read.php?tid={tid}"
    title = T.FR_VILLAGE_TITLE
    right = ("××村村务监督委员会", "2023年12月18日")
    quote = ('<blockquote class="blockquote"><span class="s3">引用楼主村监委小王于2023-12-20 09:00发表的 '
             f'{e(title)} :</span><br />{e(T.FR_VILLAGE[4][:40])}……</blockquote>学习了，我们村明年也参照这个格式写。')
    first = fr_floor("tpc", "楼主", fr_user("村监委小王", 31206, 12, "2023-06-30"), "2023-12-20 09:00",
                     fr_text(T.FR_VILLAGE, right=right), subject=title, first=True)
    floors = first + "\n" + fr_replies(701, ["2023-12-20 10:41", "2023-12-21 08:17"], extra={1: quote})
    page = fr_page(title, tid=tid, board="bg", floors_html=floors, hits=633, replies=2, tags=["村务监督", "工作报告"])
    write_case(m, "short_closer_quote_reply", url, "gbk", FR_CT,
               "Village report whose last paragraph 以上报告，请予审议。 looks like an 以上… closer but IS content, followed by "
               "its own 落款 (××村村务监督委员会 / 2023年12月18日); 一是/二是 items. The 板凳 reply quotes the start of a body "
               "paragraph in a blockquote (引用楼主…) and adds a comment: not body. 发表于: 2023-12-20 09:00.",
               [(url, page)], [rec(title, "2023-12-20T09:00:00+08:00", T.FR_VILLAGE)],
               uniq([s for s in FR_MNC if s not in ("笔耕不辍", "顶一个，希望多发一些这样的帖子。",
                                                    "结构清晰，学习了！楼主辛苦。")]
                    + ["引用楼主", "学习了，我们村明年也参照这个格式写。", "村监委小王", "述职报告"]))


if __name__ == "__main__":
    build_wx()
    build_wk()
    build_fr()
    n = len(list(HERE.glob("*/*/page.html")))
    print(f"wrote {n} cases under {HERE}")
