"""Boilerplate paragraphs, trailers and hidden halves."""

from __future__ import annotations

from lxml import html

from crawler.extract.body import block_paragraphs
from crawler.extract.cleanup import clean_paragraphs, ends_mid_sentence, unhide
from crawler.sites import SITES

PROFILE = SITES["baina"]


def test_boilerplate_paragraphs_go_and_masks_stay() -> None:
    paragraphs = [
        "当前位置:百纳范文网>专题范文 > 讲话稿 > 标题",
        "时间:2022-09-15 15:10:05 来源:网友投稿",
        "下面是小编为大家整理的标题,供大家参考。",
        "标题",
        "同志们:",
        "xx市长指出,***同志要抓落实。",
        "推荐访问:示范区 党工委",
        "声明:本网站尊重并保护知识产权,根据《信息网络传播权保护条例》",
        "Copyright©2012-2024 百纳范文网版权所有 备案号:鲁ICP备12014506号-1",
    ]
    kept, truncated = clean_paragraphs(paragraphs, "标题", PROFILE)
    assert kept == ["同志们:", "xx市长指出,***同志要抓落实。"]
    assert not truncated


def test_paywall_trailer_truncates() -> None:
    kept, truncated = clean_paragraphs(
        ["第一段。", "最后一段。预览阅读已结束,若您需要全文或代笔。", "请点击👉 mooonya 👈联系老师"],
        "t", PROFILE,
    )
    assert (kept, truncated) == (["第一段。", "最后一段。"], True)


def test_long_paragraph_starting_like_boilerplate_is_kept() -> None:
    long = "时间:2022年,我们" + "开展工作" * 80
    assert clean_paragraphs([long], "t", PROFILE)[0] == [long]


def test_unhide_reveals_the_hidden_half() -> None:
    tree = html.fragment_fromstring(
        '<div><p>一</p><div class="hidecontent" style="display:none"><p>二</p></div></div>'
    )
    unhide(tree)
    assert "display" not in html.tostring(tree, encoding="unicode")
    assert block_paragraphs(tree) == ["一", "二"]


def test_mid_sentence_end() -> None:
    assert ends_mid_sentence(["完成的目标,"])
    assert not ends_mid_sentence(["完成的目标。"])


def test_guard_keeps_trafilatura_output_when_it_matches() -> None:
    from crawler.extract.body import guard

    body = "今天召开会议,部署全年工作,大家要认真抓好落实。" * 3
    blocks = ["同志们:", body]
    # trafilatura may drop a salutation; losing under 10% of the text is accepted.
    assert guard([body], blocks) == [body]


def test_guard_falls_back_when_text_is_lost_or_doubled() -> None:
    from crawler.extract.body import guard

    blocks = ["第一段很长的文字内容。", "第二段很长的文字内容。"]
    assert guard(blocks[:1], blocks) == blocks
    assert guard(blocks + blocks, blocks) == blocks


def test_intro_after_a_stock_sentence_and_vip_trailer() -> None:
    kept, truncated = clean_paragraphs(
        [
            "心得体会是我们对一件事情有所感悟时写下的文字。下面是小编为大家收集整理的学习心得，欢迎阅读。",
            "通过这次学习，我深刻认识到……",
            "剩余70%内容未读，开通VIP会员即可免费阅读全文",
        ],
        "t", PROFILE,
    )
    assert (kept, truncated) == (["通过这次学习，我深刻认识到……"], True)


def test_forum_and_wechat_chrome_go_and_a_notice_time_line_stays() -> None:
    kept, truncated = clean_paragraphs(
        [
            "时间：2023年9月19日至20日，19日上午8:30前报到。",  # a sentence: the notice's text
            "第 2 页 / 共 3 页",
            "[ 此帖被小刘写材料在2023-07-07 09:12重新编辑 ]",
            "- END -",
            "以上报告，请予审议。",
        ],
        "t", PROFILE,
    )
    assert (kept, truncated) == (["时间：2023年9月19日至20日，19日上午8:30前报到。", "以上报告，请予审议。"], False)


def test_forum_reply_to_view_box_truncates() -> None:
    kept, truncated = clean_paragraphs(
        ["第一段。", "此处隐藏了剩余的 6 段内容，回复本帖后才可以浏览", "快速回复"], "t", PROFILE,
    )
    assert (kept, truncated) == (["第一段。"], True)
