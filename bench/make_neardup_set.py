#!/usr/bin/env python3
"""Generate the labelled near-duplicate evaluation set ``bench/data/neardup_eval.jsonl``.

Every line is one document ``{"doc_id", "group", "site", "title", "text", "variant", "truncated"}``.
Documents with the same ``group`` are copies of the same underlying document (exact or near);
different groups are different documents, many of them on the same topic (hard negatives).

Sources (all inside the repository, so the set can be regenerated from a clone):

* the 13 bodies of the bundled sample sites, read from the expected records in
  ``tests/fixtures/extract/*/*.json`` (the clean text of ``samples/sites/*/www`` pages: the five
  seed pages, the five parts of the juyou compilation, and the four short speeches written for the
  samples), plus the real cross-site copies the samples already contain;
* 37 texts written for this benchmark in ``bench/sources/written/*.txt`` (formal 公文 style).

Each base text gets variants (``variant``): ``original``, ``exact``, ``masks_filled``,
``sentence_edits_5``, ``sentence_edits_10``, ``paragraph_dropped``, ``paragraphs_reordered``,
``boilerplate_diff``, ``truncated_preview`` and, for three sample speeches, ``sample_near_dup`` (the
hand-edited copy on another sample site). Everything is deterministic (``SEED``); run

    python bench/make_neardup_set.py

to rewrite ``bench/data/neardup_eval.jsonl`` and ``bench/data/neardup_eval.groups.json`` (group
metadata, hard-negative pairs with their measured overlap, per-document edit log). Pass
``--check`` to only verify that the committed files are what the generator produces.
"""

from __future__ import annotations

# The random generators only make reproducible test data.
# ruff: noqa: S311
import argparse
import itertools
import json
import random
import re
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "extract"
WRITTEN = REPO / "bench" / "sources" / "written"
OUT_DIR = REPO / "bench" / "data"
OUT_SET = OUT_DIR / "neardup_eval.jsonl"
OUT_META = OUT_DIR / "neardup_eval.groups.json"

SEED = 20240611
SHINGLE = 5  # character n-gram size used for the overlap figures in the metadata

SITES = ["baina", "juyou", "jianbiao", "huiwen", "wenmi", "gwyoo", "diyifanwen"]
SITE_NAMES = {
    "baina": "百纳范文网",
    "juyou": "巨优公文网",
    "jianbiao": "简表范文网",
    "huiwen": "汇文网",
    "wenmi": "文秘帮",
    "gwyoo": "公文有约",
    "diyifanwen": "第一范文网",
}

# Variant kinds in output order. "optional" kinds are left out for a rotating quarter of the
# eligible groups so that groups differ in size and the set stays under 400 documents.
ALWAYS = ["original", "exact", "sentence_edits_5", "sentence_edits_10", "truncated_preview"]
OPTIONAL = ["masks_filled", "paragraph_dropped", "paragraphs_reordered", "boilerplate_diff"]


# --------------------------------------------------------------------------------------------
# Base texts
# --------------------------------------------------------------------------------------------


@dataclass
class Base:
    """One underlying document: a group of the set."""

    group: str
    title: str  # title of the original copy
    copy_title: str  # neutral title the republished copies vary
    site: str
    topic: str
    source: str
    paragraphs: list[str]
    truncated: bool = False
    extra_docs: list[dict] = field(default_factory=list)  # real copies from the sample sites


#: Sample-site texts: (group, fixture file, url_suffix, topic, title of the copies).
REPO_TEXTS = [
    ("s000_dgw_zxz", "baina/seed000_speech.json", "", "理论中心组学习", "示范区党工委理论中心组学习会议讲话"),
    ("s001_bannian_tuijin", "jianbiao/paywall_preview.json", "", "经济运行", "在上半年工作总结交流暨推进会上的讲话"),
    ("s002p1_jiguan_zuofeng", "juyou/compilation_five_parts.json", "#part-1", "作风建设", "在机关作风建设大会上的讲话"),
    (
        "s002p2_kangyi_biaozhang",
        "juyou/compilation_five_parts.json",
        "#part-2",
        "表彰大会",
        "在抗击新冠肺炎疫情表彰大会上的讲话",
    ),
    (
        "s002p3_dangjian_xiaoneng",
        "juyou/compilation_five_parts.json",
        "#part-3",
        "基层党建",
        "在全镇党建暨效能建设工作会议上的讲话",
    ),
    (
        "s002p4_shuzhi_pingyi",
        "juyou/compilation_five_parts.json",
        "#part-4",
        "基层党建",
        "在党委书记抓基层党建述职评议大会上的主持词及讲话",
    ),
    ("s002p5_quanhui_bimu", "juyou/compilation_five_parts.json", "#part-5", "全会", "在x委x届x次全会闭幕会上的讲话"),
    (
        "s003_zfdz_zxz",
        "jianbiao/seed003_no_date.json",
        "",
        "理论中心组学习",
        "在市政府党组理论学习中心组学习(扩大)会议上的讲话",
    ),
    ("s004_dangqun_wuxu", "huiwen/seed004_docx_preview.json", "", "基层党建", "在全市党群工作务虚会上的讲话"),
    ("o1_anquan_shengchan", "baina/hidden_content.json", "", "安全生产", "在全区安全生产工作会议上的讲话"),
    ("o2_xiangcun_zhenxing", "baina/malformed_html.json", "", "乡村振兴", "在全县乡村振兴重点工作推进会上的讲话"),
    ("o3_yingshang_huanjing", "juyou/multipage_article.json", "", "营商环境", "在全市优化营商环境工作推进会上的讲话"),
    ("o4_jiguan_zuofeng", "juyou/plain_speech_malformed.json", "", "作风建设", "机关作风建设专题会议讲话"),
]

#: Copies that already exist on the sample sites: (group, fixture, url_suffix, variant).
REPO_COPIES = [
    ("s002p2_kangyi_biaozhang", "baina/dup_of_juyou_part2.json", "", "exact"),
    ("s002p5_quanhui_bimu", "huiwen/part5_preview_meta_gb2312.json", "", "truncated_preview"),
    ("o1_anquan_shengchan", "jianbiao/dated_speech_near_dup.json", "", "sample_near_dup"),
    ("o2_xiangcun_zhenxing", "huiwen/no_charset_anywhere.json", "", "sample_near_dup"),
    ("o4_jiguan_zuofeng", "huiwen/full_preview_header_gbk.json", "", "sample_near_dup"),
]

#: Groups of the juyou compilation page: different speeches published on one page.
COMPILATION = [g for g, f, *_ in REPO_TEXTS if f.startswith("juyou/compilation")]

_FOLD = str.maketrans({"，": ",", "：": ":", "；": ";", "（": "(", "）": ")", "！": "!", "？": "?"})


def _fixture_record(path: str, suffix: str) -> dict:
    data = json.loads((FIXTURES / path).read_text(encoding="utf-8"))
    for record in data["records"]:
        if record["url_suffix"] == suffix:
            return record
    raise KeyError(f"{path}{suffix}: no such record")


def _site_of(fixture: str) -> str:
    return fixture.split("/", 1)[0]


def load_bases() -> list[Base]:
    """Return the repository texts and the written texts, in a fixed order."""
    bases: list[Base] = []
    for group, fixture, suffix, topic, copy_title in REPO_TEXTS:
        rec = _fixture_record(fixture, suffix)
        bases.append(
            Base(
                group=group,
                title=rec["title"],
                copy_title=copy_title,
                site=_site_of(fixture),
                topic=topic,
                source=f"tests/fixtures/extract/{fixture}{suffix}",
                paragraphs=rec["text"].split("\n"),
                truncated=bool(rec["truncated"]),
            )
        )
    by_group = {b.group: b for b in bases}
    for group, fixture, suffix, variant in REPO_COPIES:
        rec = _fixture_record(fixture, suffix)
        by_group[group].extra_docs.append(
            {
                "variant": variant,
                "site": _site_of(fixture),
                "title": rec["title"],
                "paragraphs": rec["text"].split("\n"),
                "truncated": bool(rec["truncated"]),
                "ops": [f"real copy: tests/fixtures/extract/{fixture}{suffix}"],
            }
        )
    rng = random.Random(f"{SEED}:sites")
    for path in sorted(WRITTEN.glob("*.txt")):
        head, body = path.read_text(encoding="utf-8").split("---\n", 1)
        meta = dict(line.split(": ", 1) for line in head.strip().splitlines())
        paragraphs = [p.strip().translate(_FOLD) for p in body.strip().splitlines() if p.strip()]
        title = meta["title"].translate(_FOLD)
        bases.append(
            Base(
                group=path.stem,
                title=title,
                copy_title=re.sub(r"^\d{4}年(度)?", "", title),
                site=rng.choice(SITES[:4]),
                topic=meta["topic"],
                source=f"bench/sources/written/{path.name}",
                paragraphs=paragraphs,
            )
        )
    return bases


# --------------------------------------------------------------------------------------------
# Sentences and shingles
# --------------------------------------------------------------------------------------------

_SENT = re.compile(r"[^。!?]*[。!?]+[”’」』]*|[^。!?]+$")
_FULL_SENTENCE = re.compile(r"[\u4e00-\u9fff][。!?][”’」』]*$")
_WS = re.compile(r"\s+")


def sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences, each keeping its end punctuation."""
    return [s for s in _SENT.findall(paragraph) if s.strip()]


def norm(text: str) -> str:
    """Whitespace-free text (the archive's normalize_text also applies NFKC; the texts are NFKC)."""
    return _WS.sub("", text)


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    """Character ``k``-grams of the whitespace-free text."""
    t = norm(text)
    return {t[i : i + k] for i in range(max(1, len(t) - k + 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    """Jaccard similarity of two shingle sets."""
    return len(a & b) / len(a | b) if a or b else 1.0


def containment(a: set[str], b: set[str]) -> float:
    """Share of the smaller set found in the other one."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


# --------------------------------------------------------------------------------------------
# Edits
# --------------------------------------------------------------------------------------------

#: Word-level substitutions of the genre, used in both directions. Only whole entries are swapped,
#: never random characters; pairs that break a collocation one way ("坚定理想信念") are one-way.
SYNONYMS = [
    ("加强", "强化"),
    ("推进", "推动"),
    ("切实", "扎实"),
    ("确保", "保证"),
    ("提高", "提升"),
    ("当前", "目前"),
    ("特别是", "尤其是"),
    ("必须", "务必"),
    ("各级各部门", "各地各部门"),
    ("主要负责同志", "主要负责人"),
    ("今年以来", "年初以来"),
    ("抓好", "做好"),
    ("明显", "显著"),
    ("积极", "主动"),
    ("迅速", "尽快"),
    ("依然", "仍然"),
    ("十分", "非常"),
    ("高度重视", "十分重视"),
    ("严格执行", "从严执行"),
    ("广大", "全体"),
    ("研究部署", "安排部署"),
    ("深入开展", "扎实开展"),
    ("扎实推进", "稳步推进"),
    ("目标任务", "任务目标"),
    ("千方百计", "想方设法"),
    ("群众", "老百姓"),
    ("有关部门", "相关部门"),
    ("成效", "成果"),
    ("加快", "加速"),
    ("完善", "健全"),
    ("主要任务", "主要目的"),
    ("深入学习", "认真学习"),
    ("同时", "与此同时"),
]
ONE_WAY = [
    ("指出", "强调"),
    ("召开", "举行"),
    ("着力", "努力"),
    ("大力", "着力"),
    ("深刻", "深入"),
    ("坚决", "坚定不移地"),
    ("决策部署", "部署要求"),
    ("存在的问题", "存在的不足"),
    ("进一步", "更进一步"),
    ("深入推进", "纵深推进"),
    ("贯彻落实", "落实"),
    ("经济社会", "经济和社会"),
    ("不断", "持续"),
]
SYN_MAP: dict[str, str] = dict(ONE_WAY)
for _a, _b in SYNONYMS:
    SYN_MAP.setdefault(_a, _b)
    SYN_MAP.setdefault(_b, _a)
_SYN_RE = re.compile("|".join(sorted(map(re.escape, SYN_MAP), key=len, reverse=True)))
#: Stock phrases never touched by a substitution (they are what hard negatives share).
PROTECTED = re.compile(
    "全面从严治党|以习近平同志为核心的党中央|不忘初心、牢记使命|高质量发展|习近平新时代中国特色社会主义思想"
    "|全面建设社会主义现代化国家|人民群众|群众路线|深入基层|深入群众"
    "|党政同责、一岗双责、齐抓共管、失职追责|两个维护|四个意识|四个自信"
)

CONNECTIVES = ["同时,", "此外,", "实际上,", "应该说,"]

INSERTS = [
    "这一点,大家务必要有清醒的认识。",
    "对此,各级各部门要高度重视,决不能掉以轻心。",
    "这方面,我们已经有了一些好的经验和做法,要认真总结推广。",
    "实践证明,这些做法是行之有效的。",
    "这是我们做好各项工作的基本前提。",
    "希望大家认真领会,抓好落实。",
    "这个问题,必须引起我们的高度警觉。",
    "对这些问题,我们决不能视而不见、听之任之。",
    "在这方面,一些地方已经走在了前面,值得我们学习借鉴。",
    "各单位要结合实际,抓紧制定具体的落实措施。",
    "这既是上级的要求,也是群众的期盼。",
    "说到底,关键还是要靠抓落实。",
    "这一点我在多个场合都强调过,今天再重申一遍。",
    "会后,有关部门要对这项工作进行专题研究。",
    "这些成绩来之不易,值得倍加珍惜。",
    "目标已经明确,关键在于落实。",
    "这项工作时间紧、任务重、要求高,大家要有紧迫感。",
    "对此,我们要保持战略定力,坚定发展信心。",
]


_QUOTED = re.compile(r"“[^”]*”|‘[^’]*’|《[^》]*》")
_SEGMENT = re.compile(r"[^,;]+[,;]?")


def _parallel_swap(sentence: str, rng: random.Random) -> tuple[str, str] | None:
    """Swap two adjacent parallel clauses ("要A,要B" / "有的A;有的B"), or None if there are none."""
    body = sentence.rstrip("。!?”’」』")
    segs = _SEGMENT.findall(body)
    if len(segs) < 2:
        return None
    core = [seg.rstrip(",;") for seg in segs]
    candidates = [
        i
        for i in range(len(segs) - 1)
        if core[i][:1] == core[i + 1][:1]
        and core[i][:1] not in "一二三四五六七八九十第首其再最"
        and min(len(core[i]), len(core[i + 1])) >= 4
        and segs[i][-1:] == segs[i + 1][-1:]  # same separator: a clean swap keeps the punctuation
    ]
    if not candidates:
        return None
    i = rng.choice(candidates)
    segs[i], segs[i + 1] = core[i + 1] + segs[i][len(core[i]) :], core[i] + segs[i + 1][len(core[i + 1]) :]
    return "".join(segs) + sentence[len(body) :], f"parallel clauses {i}<->{i + 1}"


def _reword(sentence: str, rng: random.Random, first_in_paragraph: bool) -> tuple[str, str]:
    """Reword one sentence: a synonym swap, a swap of parallel clauses, or a connective."""
    # Stock phrases and anything quoted (slogans such as “抓好党建是最大政绩”) stay as written.
    protected = [m.span() for m in PROTECTED.finditer(sentence)]
    protected += [m.span() for m in _QUOTED.finditer(sentence)]

    def free(m: re.Match[str]) -> bool:
        return not any(a < m.end() and m.start() < b for a, b in protected)

    hits = [m for m in _SYN_RE.finditer(sentence) if free(m)]
    swapped = _parallel_swap(sentence, rng)
    choice = rng.random()
    if hits and (choice < 0.65 or swapped is None):
        picked = sorted(rng.sample(hits, min(len(hits), rng.choice([1, 2]))), key=lambda m: m.start())
        out, last, swaps = [], 0, []
        for m in picked:
            out.append(sentence[last : m.start()])
            out.append(SYN_MAP[m.group()])
            swaps.append(f"{m.group()}->{SYN_MAP[m.group()]}")
            last = m.end()
        out.append(sentence[last:])
        return "".join(out), "synonym " + " ".join(swaps)
    if swapped is not None:
        return swapped
    if not first_in_paragraph and choice < 0.5 and not sentence.startswith((*CONNECTIVES, "同时", "此外", "同志们")):
        conn = rng.choice(CONNECTIVES)
        return conn + sentence, f"connective {conn}"
    return sentence, "unchanged (nothing to reword)"


def sentence_edits(paragraphs: list[str], share: float, rng: random.Random) -> tuple[list[str], list[str]]:
    """Reword, insert or delete ``share`` of the sentences (at least one)."""
    doc = [sentences(p) for p in paragraphs]
    # Only real sentences (not headings, salutations or "......" lines) are edited.
    slots = [
        (pi, si)
        for pi, sents in enumerate(doc)
        for si, s in enumerate(sents)
        if len(norm(s)) >= 8 and _FULL_SENTENCE.search(s)
    ]
    total = sum(len(s) for s in doc)
    k = max(1, round(share * total))
    chosen = rng.sample(slots, min(k, len(slots)))
    ops: dict[tuple[int, int], tuple[str, str]] = {}
    log: list[str] = []
    for pi, si in sorted(chosen):
        kind = rng.choices(["reword", "insert", "delete"], weights=[6, 2, 2])[0]
        if kind == "delete" and len(doc[pi]) == 1:
            kind = "reword"
        if kind == "insert" and pi == len(doc) - 1:  # nothing is added after the closing words
            kind = "reword"
        ops[(pi, si)] = (kind, "")
    out: list[str] = []
    for pi, sents in enumerate(doc):
        par: list[str] = []
        for si, s in enumerate(sents):
            kind, _ = ops.get((pi, si), ("keep", ""))
            if kind == "keep":
                par.append(s)
            elif kind == "delete":
                log.append(f"p{pi}s{si} delete")
            elif kind == "insert":
                new = rng.choice(INSERTS)
                par.extend([s, new])
                log.append(f"p{pi}s{si} insert after: {new}")
            else:
                new, how = _reword(s, rng, first_in_paragraph=si == 0)
                if new == s and pi < len(doc) - 1:  # nothing to reword here: insert after it instead
                    new = s + rng.choice(INSERTS)
                    how = f"nothing to reword; inserted after: {new[len(s) :]}"
                elif new == s:  # ... or, in the closing paragraph, delete it
                    new, how = "", "nothing to reword; deleted"
                par.append(new)
                log.append(f"p{pi}s{si} reword ({how})")
        if par:
            out.append("".join(par))
    return out, [f"{len(chosen)}/{total} sentences edited", *log]


# Masks -------------------------------------------------------------------------------------

_MASK = re.compile(r"\*{2,}|(?<![A-Za-z])[xX]{1,4}(?![A-Za-z])")
_NUMERIC_NEXT = (*"0123456789.%+-—个名位次家件项所亿万元人户年月日届起座批处分亩篇条", "百分点")
_PERSON_NEXT = ("同志", "书记", "市长", "部长", "局长", "主任", "县长", "区长", "等同志")
PEOPLE = ["王建国", "李明", "张伟", "刘志强", "陈红", "杨帆", "赵卫东", "周敏", "吴海涛", "孙丽"]
PLACE_BY_LEVEL = {
    "市": ["汉中", "宝鸡", "咸宁", "衢州"],
    "县": ["洋", "城固", "勉", "南郑"],
    "区": ["汉台", "渭滨", "咸安", "柯城"],
    "镇": ["龙亭", "柳林", "桃花", "石门"],
    "乡": ["马畅", "黄官", "二里"],
    "村": ["柳树", "王家", "新民", "双河"],
    "街道": ["北关", "东大", "城南"],
    "社区": ["南苑", "文化路"],
    "河": ["褒", "湑水", "淅"],
    "集团": ["汉江", "秦巴"],
    "科技": ["汉江", "天汉"],
}
PLACES = ["汉中", "城固", "宝鸡", "洋县"]


def _numbers(n: int, rng: random.Random) -> str:
    return str(rng.randrange(10 ** (n - 1) if n > 1 else 1, 10**n))


def fill_masks(paragraphs: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
    """Replace the genre's masks (``xx``, ``x``, ``***``) by plausible names, places and numbers."""
    text = "\n".join(paragraphs)
    counts: Counter[str] = Counter()

    def repl(m: re.Match[str]) -> str:
        tok = m.group()
        before = text[: m.start()].rstrip(" ")[-2:]
        after = text[m.end() :].lstrip(" ")[:4]
        if tok.startswith("*"):
            if before.endswith("党") or after.startswith(("电视", "和省")):
                counts["中央"] += 1
                return "中央"
            if len(tok) >= 6:
                counts["leader"] += 1
                return "习近平" if after.startswith(("新时代", "生态")) else "习近平总书记"
            if after.startswith("等地"):
                counts["place"] += 1
                return rng.choice(PLACES)
            counts["person"] += 1
            return rng.choice(PEOPLE)
        if len(tok) == 1 and before.endswith(("全", "城", "我")):  # 全x, 城x, 我x: 市
            counts["市"] += 1
            return "市"
        if re.match(r"(?:[xX]、)*[xX](?:等\d+位)?同志", text[m.start() : m.start() + 40]):
            counts["person"] += 1  # the x、x、x等6位同志 lists
            return rng.choice(PEOPLE)
        if after.startswith(("届", "次", "中全")) or before.endswith("第"):
            counts["ordinal"] += 1
            digit = rng.choice("一二三四五六七八九")
            return digit if len(tok) == 1 else "十" + digit
        if after.startswith("委") and len(tok) > 1:  # 中共xxx委: 中共汉中市委
            counts["place"] += 1
            return rng.choice(PLACE_BY_LEVEL["市"]) + "市"
        if len(tok) == 1 and after.startswith(("企业", "工厂", "物流", "主题")):
            counts["place"] += 1
            return rng.choice(PLACE_BY_LEVEL["集团"])
        if after.startswith(_NUMERIC_NEXT) or before[-1:].isdigit() or before.endswith((".", "+")):
            counts["number"] += 1
            return _numbers(len(tok), rng)
        if after.startswith(_PERSON_NEXT):
            counts["person"] += 1
            return rng.choice(PEOPLE)
        for level, names in PLACE_BY_LEVEL.items():
            if after.startswith(level):
                counts["place"] += 1
                return rng.choice(names)
        if len(tok) == 1:  # the lone x of this genre usually hides 市 (x委, 全x, 城x)
            counts["市"] += 1
            return "市"
        counts["place"] += 1
        return rng.choice(PLACES)

    filled = _MASK.sub(repl, text)
    return filled.split("\n"), [f"masks filled: {dict(sorted(counts.items()))}"]


def count_masks(paragraphs: list[str]) -> int:
    """How many masks (``x``, ``xx``, ``***``) the text has."""
    return sum(len(_MASK.findall(p)) for p in paragraphs)


# Boilerplate -------------------------------------------------------------------------------

GENERIC_INTRO = (
    "在日常学习、工作或生活中,大家总少不了接触作文或者范文吧,通过文章可以把我们那些零零散散的思想,"
    "聚集在一块。大家想知道怎么样才能写一篇比较优质的范文吗?这里我整理了一些优秀的范文,希望对大家有所帮助,"
    "下面我们就来了解一下吧。"
)
SHORT_INTROS = [
    "本文是为大家整理的{title},欢迎阅读参考。",
    "【导语】{title}是一篇关于{topic}的讲话稿,欢迎阅读,希望对大家有所帮助。",
    "以下是小编精心整理的{title},仅供参考,大家一起来看看吧。",
]


def boilerplate(
    base: Base, paragraphs: list[str], site: str, title: str, rng: random.Random
) -> tuple[list[str], list[str]]:
    """Leave one or two pieces of the sites' boilerplate in the text."""
    name = SITE_NAMES[site]
    kinds = rng.sample(["xiaobian", "intro", "tuijian", "copyright"], rng.choice([1, 1, 2]))
    head: list[str] = []
    tail: list[str] = []
    for kind in kinds:
        if kind == "xiaobian":
            head += [f"下面是小编为大家整理的{title},供大家参考。", title]
        elif kind == "intro":
            intro = rng.choice([GENERIC_INTRO, *SHORT_INTROS])
            head.append(intro.format(title=title, topic=base.topic))
        elif kind == "tuijian":
            words = [base.topic, "讲话稿", "范文", base.copy_title[:10]]
            tail.append("推荐访问:" + " ".join(rng.sample(words, 3)))
        else:
            tail.append(
                rng.choice(
                    [
                        f"版权所有:{name} 2018-2024 未经授权禁止复制或建立镜像",
                        f"Copyright©2012-2024 {name}版权所有",
                        "声明:本网站尊重并保护知识产权,如果我们转载的作品侵犯了您的权利,请在一个月内通知我们,我们会及时删除。",
                    ]
                )
            )
    return head + paragraphs + tail, [f"boilerplate: {'+'.join(kinds)}"]


# Structure ---------------------------------------------------------------------------------


def truncate(paragraphs: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
    """Keep the first 60-80 % of the text (by characters), as a preview page shows it."""
    text = "\n".join(paragraphs)
    share = rng.uniform(0.60, 0.80)
    cut = int(len(text) * share)
    how = "mid-sentence"
    if rng.random() < 0.5:
        floor = int(len(text) * 0.60)
        ends = [i + 1 for i in range(floor, cut) if text[i] in "。!?\n"]
        if ends:
            cut, how = ends[-1], "at a sentence end"
    kept = text[:cut].rstrip("\n")
    return kept.split("\n"), [f"kept {len(norm(kept)) / len(norm(text)):.0%} of the text, cut {how}"]


def drop_paragraph(paragraphs: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
    """Remove one inner paragraph of 30+ characters."""
    candidates = [i for i in range(1, len(paragraphs) - 1) if len(paragraphs[i]) >= 30]
    i = rng.choice(candidates)
    return paragraphs[:i] + paragraphs[i + 1 :], [
        f"dropped paragraph {i} ({len(paragraphs[i])} chars) of {len(paragraphs)}"
    ]


def swap_paragraphs(paragraphs: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
    """Swap two adjacent paragraphs (never the first)."""
    i = rng.randrange(1, len(paragraphs) - 1)
    out = list(paragraphs)
    out[i], out[i + 1] = out[i + 1], out[i]
    return out, [f"swapped paragraphs {i} and {i + 1}"]


def indent(paragraphs: list[str]) -> list[str]:
    """Indent every paragraph with two ideographic spaces (a whitespace-only difference)."""
    return ["\u3000\u3000" + p for p in paragraphs]


# --------------------------------------------------------------------------------------------
# Titles
# --------------------------------------------------------------------------------------------

TITLE_FORMS = [
    "{t}范文",
    "{t}(完整版)",
    "2023年{t}",
    "{t}(全文)",
    "{t}稿",
    "最新{t}",
    "{t}【精选】",
    "{t}范文(通用)",
    "2022年{t}范文",
    "关于{t}",
    "{t}(精选范文)",
    "{t}汇编",
]


def title_for(base: Base, used: set[str], rng: random.Random) -> str:
    """A title the group has not used yet, in one of the sites' title forms."""
    forms = list(TITLE_FORMS)
    rng.shuffle(forms)
    for form in [*forms, "{t}"]:
        title = form.format(t=base.copy_title)
        if title not in used:
            used.add(title)
            return title
    return base.copy_title


# --------------------------------------------------------------------------------------------
# The set
# --------------------------------------------------------------------------------------------


def variants_for(index: int, base: Base) -> list[str]:
    """The variant kinds this group gets: all core kinds, optional kinds for 3 of 4 groups."""
    masks = count_masks(base.paragraphs)
    eligible = {
        "masks_filled": masks >= 2,
        "paragraph_dropped": len(base.paragraphs) >= 8,
        "paragraphs_reordered": len(base.paragraphs) >= 4,
        "boilerplate_diff": True,
    }
    kinds = list(ALWAYS)
    for j, kind in enumerate(OPTIONAL):
        # A heavily masked text (the seed pages) always gets its masks_filled copy.
        if eligible[kind] and ((index + j) % 4 != 0 or (kind == "masks_filled" and masks >= 10)):
            kinds.append(kind)
    have_real = {d["variant"] for d in base.extra_docs}
    return [k for k in kinds if k not in have_real or k == "original"]


def build() -> tuple[list[dict], dict]:
    """Return the documents of the set and the metadata sidecar."""
    bases = load_bases()
    docs: list[dict] = []
    doc_meta: dict[str, dict] = {}
    for index, base in enumerate(bases):
        used_titles = {base.title}
        other_sites = [s for s in SITES if s != base.site]
        group_docs: list[tuple[str, str, str, list[str], bool, list[str]]] = []
        for kind in variants_for(index, base):
            vrng = random.Random(f"{SEED}:{base.group}:{kind}")
            paras = list(base.paragraphs)
            truncated = base.truncated
            site = vrng.choice(other_sites)
            title = title_for(base, used_titles, vrng)
            ops: list[str] = []
            if kind == "original":
                site, title = base.site, base.title
            elif kind == "exact":
                if vrng.random() < 0.5:
                    paras, ops = indent(paras), ["whitespace only: U+3000 paragraph indents"]
                else:
                    ops = ["byte-identical text"]
            elif kind == "masks_filled":
                paras, ops = fill_masks(paras, vrng)
            elif kind == "sentence_edits_5":
                paras, ops = sentence_edits(paras, 0.05, vrng)
            elif kind == "sentence_edits_10":
                paras, ops = sentence_edits(paras, 0.10, vrng)
            elif kind == "paragraph_dropped":
                paras, ops = drop_paragraph(paras, vrng)
            elif kind == "paragraphs_reordered":
                paras, ops = swap_paragraphs(paras, vrng)
            elif kind == "boilerplate_diff":
                paras, ops = boilerplate(base, paras, site, title, vrng)
            elif kind == "truncated_preview":
                paras, ops = truncate(paras, vrng)
                truncated = True
            else:  # pragma: no cover - the kinds are fixed above
                raise AssertionError(kind)
            group_docs.append((kind, site, title, paras, truncated, ops))
        for extra in base.extra_docs:
            group_docs.append(
                (extra["variant"], extra["site"], extra["title"], extra["paragraphs"], extra["truncated"], extra["ops"])
            )
        original_sh = shingles("\n".join(base.paragraphs))
        for kind, site, title, paras, truncated, ops in group_docs:
            doc_id = f"{base.group}/{kind}"
            text = "\n".join(paras)
            sh = shingles(text)
            docs.append(
                {
                    "doc_id": doc_id,
                    "group": base.group,
                    "site": site,
                    "title": title,
                    "text": text,
                    "variant": kind,
                    "truncated": truncated,
                }
            )
            doc_meta[doc_id] = {
                "ops": ops,
                "chars": len(norm(text)),
                "jaccard_vs_original": round(jaccard(sh, original_sh), 3),
                "containment_vs_original": round(containment(sh, original_sh), 3),
            }
    ids = [d["doc_id"] for d in docs]
    if len(ids) != len(set(ids)):
        raise RuntimeError("doc ids must be unique")
    meta = {
        "seed": SEED,
        "shingle": f"character {SHINGLE}-grams of the whitespace-free text",
        "groups": {
            b.group: {
                "topic": b.topic,
                "title": b.title,
                "site": b.site,
                "source": b.source,
                "chars": len(norm("\n".join(b.paragraphs))),
                "paragraphs": len(b.paragraphs),
                "masks": count_masks(b.paragraphs),
                "truncated": b.truncated,
                "docs": sum(1 for d in docs if d["group"] == b.group),
            }
            for b in bases
        },
        "hard_negative_pairs": hard_negatives(bases),
        "docs": doc_meta,
    }
    return docs, meta


def hard_negatives(bases: list[Base]) -> list[dict]:
    """Pairs of different groups on the same topic (or from the same compilation page)."""
    sh = {b.group: shingles("\n".join(b.paragraphs)) for b in bases}
    sents = {b.group: {norm(s) for p in b.paragraphs for s in sentences(p) if len(norm(s)) >= 10} for b in bases}
    pairs = []
    for a, b in itertools.combinations(bases, 2):
        relation = []
        if a.topic == b.topic:
            relation.append(f"same topic: {a.topic}")
        if a.group in COMPILATION and b.group in COMPILATION:
            relation.append("same compilation page (juyou 002)")
        shared = len(sents[a.group] & sents[b.group])
        if shared and a.topic != b.topic:
            relation.append("shares whole sentences")
        if not relation:
            continue
        pairs.append(
            {
                "a": a.group,
                "b": b.group,
                "relation": "; ".join(relation),
                "jaccard": round(jaccard(sh[a.group], sh[b.group]), 3),
                "containment": round(containment(sh[a.group], sh[b.group]), 3),
                "shared_sentences": shared,
            }
        )
    return pairs


def write(docs: list[dict], meta: dict) -> tuple[str, str]:
    """Serialise the set (one compact JSON object a line) and the sidecar."""
    lines = "".join(json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n" for d in docs)
    meta_text = json.dumps(meta, ensure_ascii=False, indent=1) + "\n"
    return lines, meta_text


def summary(docs: list[dict], meta: dict) -> str:
    """The composition of the set, as printed after writing it."""
    out = []
    groups = meta["groups"]
    true_pairs = sum(g["docs"] * (g["docs"] - 1) // 2 for g in groups.values())
    out.append(f"{len(groups)} groups, {len(docs)} documents, {true_pairs} true duplicate pairs")
    topics = Counter(g["topic"] for g in groups.values())
    shared = sum(1 for g in groups.values() if topics[g["topic"]] > 1)
    out.append(f"{shared} groups share their topic with another group; {len(topics)} topics")
    out.append("")
    out.append(f"{'variant':22} {'docs':>5} {'jaccard5 min/med/max vs original':>34} {'containment min':>16}")
    by_variant: dict[str, list[dict]] = defaultdict(list)
    for d in docs:
        by_variant[d["variant"]].append(meta["docs"][d["doc_id"]])
    for variant, metas in by_variant.items():
        js = [m["jaccard_vs_original"] for m in metas]
        cs = [m["containment_vs_original"] for m in metas]
        out.append(
            f"{variant:22} {len(metas):5d} {min(js):12.3f} {statistics.median(js):8.3f} {max(js):8.3f} {min(cs):16.3f}"
        )
    hn = meta["hard_negative_pairs"]
    out.append("")
    out.append(
        f"{len(hn)} hard-negative group pairs; jaccard5 max {max(p['jaccard'] for p in hn):.3f}, "
        f"containment max {max(p['containment'] for p in hn):.3f}; "
        f"{sum(1 for p in hn if p['shared_sentences'])} pairs share whole sentences"
    )
    for p in sorted(hn, key=lambda p: -p["containment"])[:8]:
        out.append(
            f"  {p['a']} ~ {p['b']}: jaccard {p['jaccard']:.3f}, containment {p['containment']:.3f}, "
            f"{p['shared_sentences']} shared sentences ({p['relation']})"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` verify) the set; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify the committed files instead of writing")
    args = parser.parse_args(argv)
    docs, meta = build()
    lines, meta_text = write(docs, meta)
    if args.check:
        same = OUT_SET.read_text(encoding="utf-8") == lines and OUT_META.read_text(encoding="utf-8") == meta_text
        print("up to date" if same else "OUT OF DATE: run python bench/make_neardup_set.py")
        return 0 if same else 1
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    OUT_SET.write_text(lines, encoding="utf-8")
    OUT_META.write_text(meta_text, encoding="utf-8")
    print(f"wrote {OUT_SET.relative_to(REPO)} ({len(lines.encode()) / 1e6:.2f} MB) and {OUT_META.relative_to(REPO)}")
    print(summary(docs, meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
