"""The genre's boilerplate, as one shared and documented list of text patterns.

Template sites wrap every document in the same phrases: a 当前位置 breadcrumb, a 时间/来源 line,
a 下面是小编为大家整理的…供大家参考 intro, a 推荐访问 keyword line, 声明 and ICP footers, docx
preview chrome, paywall trailers. Profiles add site-specific patterns; they never copy these.
Patterns are matched against one paragraph at a time, after whitespace is trimmed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

# Whole paragraphs that are never part of a document. Anchored at the start: a document
# paragraph that merely mentions 版权 or 来源 in its middle is kept.
LINE_PATTERNS: tuple[str, ...] = (
    r"当前位置\s*[:：]",                      # breadcrumb
    r"您的位置\s*[:：]",
    # date line (seed 000); a sentence ending in 。 (a notice's 时间：…报到。) is text
    r"(?:发布|上传|更新)?(?:时间|日期)\s*[:：]\s*\d{4}(?!.*[。；]\s*$)",
    r"[|｜]?\s*来源\s*[:：]\s*\S{0,20}$",     # source line without a date (seed 003)
    # intro (seeds 000, 002, 003), also after a stock opening sentence (…写下的文字。下面是小编…)
    r"(?:[^。！？]{0,60}[。！？])?(?:下面|以下)是小编.{0,120}(?:供大家参考|仅供参考|希望对|欢迎阅读|欢迎借鉴|欢迎参考|一起来看看)",
    r"在日常学习、工作或生活中",                # filler inside the body container (seed 002)
    r"推荐访问\s*[:：]",                        # keyword line (seeds 000, 002)
    r"声明\s*[:：]\s*本(?:网站|站)",             # legal notice (seed 000)
    r"(?:Copyright|版权所有|Powered by)",        # footers (seeds 000, 002)
    r".{0,40}ICP备\d+号",
    r"温馨提示\s*[:：]?$",                      # 温馨提示 heading (seed 004)
    r"网站客服\s*[:：]",
    # page numbers of previews: - 2 -, 第2页, 第 2 页 / 共 3 页, 2/3
    r"[-—–]\s*\d{1,3}\s*[-—–]$|第\s*\d{1,3}\s*页(?:\s*[/／]\s*共\s*\d{1,3}\s*页)?$|\d{1,3}\s*/\s*\d{1,3}$",
    r"(?:ID|大小|页数|格式|类型|下载次数|浏览次数|阅读次数)\s*[:：]\s*[\w.\s]{1,20}$",  # docshare info (seed 004)
    r"当前隐藏内容免费查看",                    # "show all" button
    r"(?:相关推荐|热门文章|猜你喜欢|相关文章|热门推荐|相关报道|相关新闻|相关阅读|延伸阅读|推荐阅读|相关链接)$",
    r"(?:上一篇|下一篇)\s*[:：]",
    r"本文由.{0,30}(?:整理|发布|提供)",
    r"以上就是.{0,80}的全部内容",
    r"分享到\s*[:：]?",
    r"(?:免费下载|立即下载|下载本文)",
    r"^\[?\s*此帖被.{0,40}编辑\s*\]?$",           # forum edit note ([ 此帖被…重新编辑 ])
    r"^[-—–\s]*END[-—–\s]*$",                      # WeChat articles' end mark
    # news portals: editor lines, source lines, comment links, legal notices, column tags
    r"[（(【\[]?\s*(?:责任编辑|编辑|责编|审核|校对|审校|初审|复审|终审|核稿)\s*[:：].{0,30}$",
    r"(?:文章|信息|稿件|新闻)来源\s*[:：].{0,40}$",
    r"(?:发表评论|我要评论|网友评论|查看评论|我来说两句)",
    r"(?:反侵权公告|版权声明|免责声明|转载声明|侵权举报)",
    r"【[^】]{1,12}】$",
    # pagers: 首页 上一页 1 2 3 下一页 尾页
    r"(?:(?:首页|上一页|下一页|尾页|末页|\d{1,3}|…|\.{3}|[<>«»]+)\s*){2,}$",
    # related-report entries: a title and its date in brackets
    r"[·•\-*]?.{4,80}[(（\[【]\s*(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*[)）\]】]$",
    # footers of portals: who runs the site, its address, its registration numbers
    r"(?:主办单位|承办单位|协办单位|主办|承办|技术支持|网站标识码|运行维护|维护单位)\s*[:：]",
    r"(?:单位)?地址\s*[:：].{0,60}(?:邮编|电话|传真|邮政编码)",
    r".{0,30}(?:公网安备|网安备)\s*\d+",
    r".{0,20}(?:Copyright|All rights reserved)",
    # a newspaper's print reference and a site's byline closing a news story
    r"《\s*\S{2,12}\s*》\s*[（(]\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*\d{0,3}\s*版?\s*[）)]$",
    r"[（(][^）)]{0,30}(?:记者|整理|报道|供稿|通讯员|编辑)[^）)]{0,20}[）)]$",
    r"\S{2,15}(?:网站|日报|新闻网|报社)(?:\s+\S{2,4}){1,3}(?:\s*自\S{2,8}报道)?$",
)

# Buttons and labels of page chrome (docx previews, share bars). A paragraph made only of these,
# in any combination ("此文档下载收益归作者所有 下载文档"), is chrome (seed 004).
CHROME_WORDS: tuple[str, ...] = (
    "此文档下载收益归作者所有", "你可能关注的文档", "下载文档", "展开全文", "阅读全文", "收起", "展开",
    "分享赚钱", "分享到", "分享", "收藏", "举报", "打印本文", "打印", "关闭窗口", "返回顶部", "加入收藏",
    "点击下载", "立即下载", "免费下载", "微信", "微博", "QQ空间", "广告", "订阅", "扫一扫", "发表评论",
)
_CHROME = re.compile("|".join(map(re.escape, CHROME_WORDS)) + r"|[\s|｜/:：,，、·•>»]")

# Block headings whose whole element (heading and what it holds) is chrome, when found as an
# element inside the body container: a 温馨提示 box, a related-documents list.
BLOCK_STARTS: tuple[str, ...] = (
    "温馨提示", "相关推荐", "热门文章", "猜你喜欢", "相关文章", "你可能关注的文档", "声明:", "声明：",
    "相关报道", "相关新闻", "相关阅读", "延伸阅读", "推荐阅读", "相关链接", "广告",
)

# A paragraph containing one of these ends a preview: it and everything after it go, and the
# record is marked truncated (seed 001 ends 预览阅读已结束,若您需要全文或代笔。).
TRAILER_MARKERS: tuple[str, ...] = (
    "预览阅读已结束", "全文预览已结束", "预览已结束", "试读已结束", "剩余未读", "若您需要全文",
    "免费阅读已结束", "页未读", "继续阅读全文", "查看全文请下载", "下载文档查看全文",
    "(未完,全文共", "(未完，全文共", "当前仅显示", "篇幅有限", "仅展示部分内容", "完整版请下载",
    "内容未读", "开通VIP", "开通会员", "会员即可阅读", "会员免费阅读",
    # Forums hide the rest of a post until the reader replies.
    "回复本帖后才可以浏览", "回复后才可以浏览", "回复后才能浏览", "本帖隐藏的内容",
)

# Paragraph endings of a finished text; a preview ending otherwise stops mid-sentence.
SENTENCE_END = (*tuple("。！？!?…”’」』）)》.；;"), "——")

_MAX_BOILERPLATE_LEN = 200


def compile_lines(extra: Iterable[str] = ()) -> re.Pattern[str]:
    """One regex matching any boilerplate paragraph, shared patterns plus `extra`."""
    return re.compile("|".join(f"(?:{p})" for p in (*LINE_PATTERNS, *extra)))


DEFAULT_LINES = compile_lines()


def is_boilerplate(paragraph: str, pattern: re.Pattern[str] = DEFAULT_LINES) -> bool:
    """Whether a paragraph is template boilerplate rather than document text.

    Long paragraphs are never boilerplate: a 2,000-character speech paragraph that happens to
    start with 时间: is text.
    """
    text = paragraph.strip()
    if len(text) > _MAX_BOILERPLATE_LEN:
        return False
    return pattern.match(text) is not None or not _CHROME.sub("", text)


def find_trailer(paragraph: str, extra: Iterable[str] = ()) -> int:
    """Index where a paywall trailer starts in the paragraph, or -1."""
    # The leftmost match of the alternation is the first position any marker starts at.
    match = _trailers(tuple(extra)).search(paragraph)
    return match.start() if match else -1


@lru_cache(maxsize=64)
def _trailers(extra: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(marker) for marker in (*TRAILER_MARKERS, *extra)))
