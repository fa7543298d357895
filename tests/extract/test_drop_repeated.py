"""`drop_repeated`: the repeated-paragraph memory applied to a page's finished documents."""

from __future__ import annotations

from crawler.extract import Document, Extracted, Skipped
from crawler.extract.repeated import RepeatedBlocks, drop_repeated

SLOGAN = "本站所有范文均由网友投稿整理,仅供学习交流参考使用"


def body(n: int, part: int = 0) -> list[str]:
    return [f"这是第{n}篇第{part}部分讲话的第{i}段正文,内容各不相同,篇篇都有自己的意思。" for i in range(1, 5)]


def page(n: int, *parts: list[str]) -> Extracted:
    return Extracted(tuple(
        Document(url=f"http://a.test/{n}.html#part-{k}", site="t", title=f"篇{k}", text="\n".join(lines))
        for k, lines in enumerate(parts, start=1)
    ))


def test_a_slogan_is_dropped_from_every_part_of_a_compilation() -> None:
    memory = RepeatedBlocks(min_pages=2)
    drop_repeated(page(1, [*body(1), SLOGAN]), "http://a.test/1.html", memory)
    got = drop_repeated(page(2, [*body(2, 1), SLOGAN], [*body(2, 2), SLOGAN]), "http://a.test/2.html", memory)
    assert isinstance(got, Extracted)
    assert [d.text.split("\n") for d in got.documents] == [body(2, 1), body(2, 2)]
    assert [d.title for d in got.documents] == ["篇1", "篇2"], "only the text changes"


def test_the_parts_of_one_page_count_as_one_page() -> None:
    # Two parts carrying the slogan are one sighting of it, not two.
    memory = RepeatedBlocks(min_pages=2)
    got = drop_repeated(page(1, [*body(1, 1), SLOGAN], [*body(1, 2), SLOGAN]), "http://a.test/1.html", memory)
    assert all(SLOGAN in d.text for d in got.documents)  # type: ignore[union-attr]


def test_a_part_made_only_of_repeats_keeps_its_text() -> None:
    memory = RepeatedBlocks(min_pages=2, max_share=1.0)
    drop_repeated(page(1, [SLOGAN]), "http://a.test/1.html", memory)
    got = drop_repeated(page(2, body(2), [SLOGAN]), "http://a.test/2.html", memory)
    assert [d.text for d in got.documents] == ["\n".join(body(2)), SLOGAN]  # type: ignore[union-attr]


def test_a_skip_is_returned_as_it_is() -> None:
    skipped = Skipped("listing")
    assert drop_repeated(skipped, "http://a.test/1.html", RepeatedBlocks()) is skipped
