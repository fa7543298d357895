"""Paragraphs repeated across a site's pages are template; a republished document is not."""

from __future__ import annotations

from crawler.extract.repeated import RepeatedBlocks

SLOGAN = "本站所有范文均由网友投稿整理,仅供学习交流参考使用"


def body(n: int) -> list[str]:
    return [f"这是第{n}篇讲话的第{i}段正文,内容各不相同,篇篇都有自己的意思。" for i in range(1, 5)]


def test_a_slogan_seen_on_three_pages_is_dropped_from_then_on() -> None:
    memory = RepeatedBlocks(min_pages=3)
    outputs = [memory.filter(f"http://a.test/{n}.html", [*body(n), SLOGAN]) for n in range(1, 5)]
    assert [SLOGAN in out for out in outputs] == [True, True, False, False]
    assert outputs[3] == body(4)


def test_another_host_starts_its_own_count() -> None:
    memory = RepeatedBlocks(min_pages=2)
    memory.filter("http://a.test/1.html", [*body(1), SLOGAN])
    assert SLOGAN in memory.filter("http://b.test/1.html", [*body(2), SLOGAN])


def test_a_document_published_twice_on_one_site_keeps_its_text() -> None:
    memory = RepeatedBlocks(min_pages=2)
    memory.filter("http://a.test/1.html", body(1))
    assert memory.filter("http://a.test/2.html", body(1)) == body(1), "never more than max_share"


def test_the_same_page_fetched_again_is_not_a_repeat() -> None:
    memory = RepeatedBlocks(min_pages=2)
    memory.filter("http://a.test/1.html", [*body(1), SLOGAN])
    assert SLOGAN in memory.filter("http://a.test/1.html", [*body(1), SLOGAN])
