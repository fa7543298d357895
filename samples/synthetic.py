"""Synthetic template sites of any size, for resume tests and the incremental-crawl benchmark.

`build_site(root, documents=2000)` writes a 百纳范文网-style site (the `baina` profile's URL
patterns and markup) whose documents are made from a fixed pool of sentences, deterministically
from a seed, so two builds are byte-identical. Serve it with `samples.serve.serve_site(root)`.
"""

from __future__ import annotations

import html
import json
import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

_SENTENCES = (
    "今天召开会议,主要任务是深入贯彻落实上级决策部署,总结前一阶段工作,安排部署下一阶段任务。",
    "各级各部门要提高政治站位,切实把思想和行动统一到上级的决策部署上来。",
    "要坚持问题导向,聚焦重点领域和关键环节,扎实推进各项工作落地见效。",
    "要压实工作责任,建立健全工作机制,确保各项任务按时保质完成。",
    "要加强作风建设,坚决反对形式主义、官僚主义,以过硬作风推动工作落实。",
    "要强化督导检查,对工作推进不力的单位和个人严肃问责。",
    "同志们,任务艰巨,责任重大,让我们以更加饱满的热情投入到各项工作中去。",
    "一是加强组织领导,二是强化统筹协调,三是狠抓督促落实。",
    "要统筹发展和安全,守住不发生系统性风险的底线。",
    "要坚持以人民为中心的发展思想,切实解决群众急难愁盼问题。",
)
PER_LIST_PAGE = 20


# Common characters to make nouns from: documents must differ as much as real speeches do,
# or the archive rightly links them as near-duplicates.
_CHARS = (
    "工作发展建设管理服务改革创新安全质量经济社会文化生态民生城乡产业项目企业农村城市教育卫生"
    "科技人才组织干部群众制度机制责任任务目标措施问题风险环境资源能源交通水利住房就业医疗养老"
    "基层党建作风纪律监督法治治理规划政策资金市场消费投资开放合作招商园区数字网络平台标准品牌"
)
_VERBS = ("推进", "落实", "加强", "完善", "提升", "深化", "统筹", "优化", "夯实", "健全", "强化", "抓好")


def _sentence(rng: random.Random) -> str:
    def word() -> str:
        return rng.choice(_CHARS) + rng.choice(_CHARS)

    first, second = rng.choice(_VERBS), rng.choice(_VERBS)
    return f"要{first}{word()}{word()},{second}{word()}{word()}{word()},确保{word()}{word()}取得实效。"


def _document(number: int, rng: random.Random) -> tuple[str, str, list[str]]:
    title = f"在全市第{number}次工作推进会上的讲话"
    paragraphs = ["同志们:"] + [
        rng.choice(_SENTENCES) + "".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
        for _ in range(rng.randint(5, 9))
    ]
    stamp = f"2023-{1 + number % 12:02d}-{1 + number % 28:02d} 09:{number % 60:02d}:00"
    return title, stamp, paragraphs


def document_page(number: int, title: str, stamp: str, paragraphs: list[str]) -> str:
    """The HTML of one synthetic document page (baina markup)."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}_百纳范文网</title></head>"
        "<body><div class='position'>当前位置:<a href='/'>百纳范文网</a>&gt;<a href='/zhuanti/'>专题范文</a> &gt; "
        f"<a href='/zhuanti/jianghuagao/'>讲话稿</a> &gt; {html.escape(title)}</div><div class='article'>"
        f"<h1>{html.escape(title)}</h1><div class='info'>时间:{stamp} 来源:网友投稿</div>"
        f"<div class='content'><p>下面是小编为大家整理的{html.escape(title)},供大家参考。</p>{body}</div>"
        f"<div class='tags'>推荐访问:<a href='/tag/1.html'>讲话</a></div></div></body></html>"
    )


def build_site(root: Path, documents: int = 2000, *, seed: int = 7) -> list[str]:
    """Write a synthetic site under `root` (www/ + _site.json); returns the document paths."""
    rng = random.Random(seed)  # noqa: S311 - reproducible filler text, not security
    www = root / "www"
    (www / "fanwen").mkdir(parents=True, exist_ok=True)
    (www / "zhuanti" / "jianghuagao").mkdir(parents=True, exist_ok=True)
    paths = []
    entries = []
    for number in range(1, documents + 1):
        title, stamp, paragraphs = _document(number, rng)
        path = f"/fanwen/{100000 + number}.html"
        (www / path.lstrip("/")).write_text(document_page(number, title, stamp, paragraphs), encoding="utf-8")
        paths.append(path)
        entries.append(f"<li><a href='{path}'>{html.escape(title)}</a><span>{stamp[:10]}</span></li>")
    pages = max(1, -(-documents // PER_LIST_PAGE))
    for page in range(1, pages + 1):
        chunk = entries[(page - 1) * PER_LIST_PAGE : page * PER_LIST_PAGE]
        links = "".join(
            f"<a href='{'index.html' if n == 1 else f'list_{n}.html'}'>{n}</a>"
            for n in range(max(1, page - 2), min(pages, page + 2) + 1)
        )
        following = f"<a href='list_{page + 1}.html'>下一页</a>" if page < pages else ""
        name = "index.html" if page == 1 else f"list_{page}.html"
        (www / "zhuanti" / "jianghuagao" / name).write_text(
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>讲话稿_百纳范文网</title></head><body>"
            f"<ul class='list'>{''.join(chunk)}</ul><div class='pages'>{links}{following}</div></body></html>",
            encoding="utf-8",
        )
    (www / "index.html").write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>百纳范文网</title></head><body>"
        "<a href='/zhuanti/jianghuagao/'>讲话稿</a></body></html>",
        encoding="utf-8",
    )
    (www / "robots.txt").write_text("User-agent: *\nDisallow:\n", encoding="utf-8")
    (root / "_site.json").write_text(json.dumps({"charset": "utf-8", "paths": {}}), encoding="utf-8")
    return paths
