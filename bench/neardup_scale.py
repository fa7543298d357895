#!/usr/bin/env python3
"""Scale benchmark of the archive's near-duplicate index: 100,000 and 1,000,000 documents.

    python bench/neardup_scale.py [--sizes 100000,1000000] [--lookups 2000] [--adds 10000]
                                  [--batch 1000] [--workers 1] [--seed N] [--keep DIR]
                                  [--measure-only] [--no-cold] [--json PATH]

Fills one archive (``open_archive("sqlite:///DIR/archive.db")``, DIR a temporary directory under
/tmp unless ``--keep``) with synthetic 公文 documents of 1,000-5,000 characters, size after size,
and for each size prints:

* **insert throughput**: documents per second through ``Archive.add``, one transaction per
  document (the crawler's path: exact hash, sketch, near-duplicate lookup, record, sighting,
  signature, and the signature into the loaded in-memory index), timed over the last ``--adds`` documents of the size, i.e. with
  the archive already that large;
* **lookup time**: ``index.find(sketch, url=...)`` alone, and ``index.sketch(text)`` +
  ``find``, median and p99 over ``--lookups`` queries (half near-duplicates of stored documents
  with 5-10 % of their sentences replaced, half new unrelated documents), with the hit rate and
  the number of LSH candidates per query; then the same queries again with the database file
  evicted from the OS page cache (``posix_fadvise(DONTNEED)`` on that file only; ``--no-cold``
  skips it);
* **index load**: the time the first lookup of a process takes to load the stored signatures
  into memory (``MinHashIndex.load``);
* **resident memory per indexed document**: a fresh process opens the filled archive, loads the
  index and runs the lookups; (VmRSS after - VmRSS before opening) / documents, and SQLite's
  cache setting;
* **disk**: the ``.db`` (+ ``-wal``) file and the WARC directory, in total and per document, and
  the near-duplicate tables' share (SQLite ``dbstat``).

The documents before the timed ``--adds`` go through the same ``Archive.add`` with two
differences that only save wall time: ``--batch`` adds share one transaction (nested
``store.transaction()`` blocks join the outer one), and their sketches are computed ahead by
``--workers`` processes (the same ``MinHashIndex.sketch`` arithmetic, checked against it every
1,000 documents) and handed to ``add`` by a wrapper around the archive's index. Every row is
written by ``Archive.add`` itself.

Documents are distinct: sentences of the labelled near-duplicate set's 50 original texts
(``bench/data/neardup_eval.jsonl``) with their genre words (units, organisations, verbs,
topics, places, departments, meetings, time words) and numbers redrawn, framed by one of four
stock openings and two stock closings, so that two documents share stock phrases and the odd
sentence pattern but little else (the exact Jaccard of random pairs is printed). Document ``i``
is a function of ``(--seed, i)`` only, so the lookup process rebuilds the stored texts it edits
into near-duplicates without reading them.

``--keep DIR`` builds the archive in DIR (which must not hold one) and keeps it; ``--keep DIR
--measure-only`` measures such a kept archive again without filling (no insert figure).

Exit status: 0 when every target is met (find and sketch + find p99 < 2 ms, RSS growth < 1 KB
per document, find p99 at the largest size within 2x of the smallest size's, every query
answered correctly), 1 otherwise.
"""

from __future__ import annotations

# The generator's randomness only needs to be reproducible; the subprocess runs this script.
# ruff: noqa: S311, S603
import argparse
import collections
import gc
import hashlib
import itertools
import json
import multiprocessing
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO = Path(__file__).resolve().parents[1]
try:  # the installed package (or PYTHONPATH), else the checkout this script is in
    import archive
except ImportError:
    sys.path.insert(0, str(REPO))
    import archive

from archive import DEFAULT_PARAMS, content_hash, open_archive, record_id
from archive.neardup import Sketch, jaccard, sketch

SOURCE = REPO / "bench" / "data" / "neardup_eval.jsonl"
DB_NAME = "archive.db"
SITES = ("baina", "juyou", "jianbiao", "huiwen", "wenmi", "gwyoo", "diyifanwen")
# Unrelated queries are documents with numbers far above any stored one.
UNRELATED_BASE = 10**12
TARGET_P99_MS = 2.0
TARGET_RSS_BYTES_PER_DOC = 1024
TARGET_RATIO = 2.0
#: A query sharing a bucket with at least this many documents is counted as hot.
HOT = 100

# ---------------------------------------------------------------------------------------------
# The synthetic corpus

# The set folds full-width ，：；（）！？ to ASCII as the seed pages do; crawled 公文 has them full-width.
_UNFOLD = str.maketrans({",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？"})
_SENTENCE = re.compile(r"[^。！？!?\n]{8,}[。！？!?]")
#: Genre words redrawn in every sentence of the pool (a word is replaced by one of its class).
WORDS: dict[str, tuple[str, ...]] = {
    name: tuple(words.split())
    for name, words in {
        "area": "全市 全县 全区 全省 全镇 全乡 全州 全旗 全系统 全行业 全社会 全局",
        "org": "各级各部门 各级党组织 各乡镇 各街道 各部门 各单位 市直各部门 县直各部门 各县区 机关各科室 "
        "广大党员干部 各级领导干部 基层党组织 各级干部 两级班子 党员领导干部 党员干部 各行业主管部门 "
        "各企事业单位 各村（社区） 各职能部门 领导干部 班子成员 村党组织 社区党组织 各级党委 各党支部 "
        "机关党组织 各级政府 村级组织",
        "adv": "认真 切实 扎实 全面 深入 持续 着力 大力 不断 进一步 坚决 积极 统筹 加快 始终 主动 务必 真正 "
        "严格 坚定不移地 全力 努力",
        "verb": "加强 推进 落实 深化 完善 健全 提升 强化 推动 抓好 做好 优化 巩固 拓展 规范 压实 建立 贯彻 "
        "实施 开展 加大 聚焦 抓实 夯实 构建 打造 整治 破解 守牢 织密 推行 部署 研究 谋划 组织 保障 "
        "服务 提高 增强 改进 创新 落细 督促 检查 深耕 攻坚 突破",
        "topic": "党风廉政建设 作风建设 基层党建 安全生产 乡村振兴 营商环境 生态环境保护 意识形态工作 疫情防控 "
        "项目建设 招商引资 社会治理 民生保障 科技创新 城市管理 产业发展 文明创建 信访维稳 防汛抗旱 "
        "森林防火 食品安全 审计监督 人才工作 组织建设 队伍建设 制度建设 干部队伍建设 经济运行 财政收支 "
        "农业农村 教育卫生 社会保障 国企改革 数字政府 城乡融合 文化旅游 应急管理 河湖治理 耕地保护 "
        "市场监管 就业创业 养老服务 统计工作 网络安全 政务服务 对口帮扶 工业经济 服务业发展 民营经济 "
        "园区建设 交通建设 水利建设 党建 信访 招商 环保 脱贫攻坚 复工复产 平安建设 基层治理 政治建设 "
        "支部建设 消防安全 集体经济 重点项目 老旧小区改造 人居环境整治 主题教育 理论学习 调查研究 机关作风",
        "time": "今年以来 去年以来 近年来 过去一年 上半年 下半年 下一步 当前 目前 今后一个时期 新的一年 近期 "
        "前一阶段 一季度 二季度 三季度 四季度 年初以来 近一个时期 这一时期 今天 今年 去年 明年",
        "result": "成效 成绩 进展 突破 实效 提升 改善 好转 成果 经验 亮点",
        "place": "义乌 汉中 武汉 宝鸡 安康 榆林 商洛 延安 渭南 咸阳 铜川 杨凌 遵义 赣州 临沂 金华 绍兴 台州",
        "dept": "发改局 财政局 自然资源局 住建局 交通局 农业农村局 市场监管局 教育局 卫健委 人社局 商务局 "
        "应急管理局 生态环境局 水利局 文旅局 公安局 司法局 民政局 审计局 统计局 纪委监委 组织部 宣传部 "
        "统战部 政法委 总工会 团委 妇联 科协 工信局",
        "meeting": "工作会议 大会 座谈会 推进会 动员会 务虚会 述职评议会 专题会议 常委会 党组会 中心组学习会 "
        "现场会 调度会 部署会 总结会 表彰大会 交流会 全会",
        "party": "党组织 党支部 党委 党组 党工委 党总支",
        "who": "我们 大家 同志们 各位 我们大家",
        "must": "必须 要 一定要 务必要 应当 需要",
    }.items()
}
OPENINGS = ("同志们：", "各位领导、同志们：", "同志们、朋友们：", "各位代表、同志们：")
CLOSINGS = (
    "同志们，让我们不忘初心、牢记使命，以习近平新时代中国特色社会主义思想为指导，奋力开创各项工作新局面。",
    "同志们，任务艰巨，使命光荣。我们要真抓实干、埋头苦干，为高质量发展作出新的更大贡献。",
)
_ORDINALS = "一二三四五六七八九十"

# A template is a tuple of parts: a str is kept, (words,) is one of them, (n,) an n-digit number.
Template = tuple[Any, ...]


class Corpus:
    """Deterministic documents of 1,000-5,000 characters made from the pool's sentence templates.

    Args:
        seed: Document ``i`` depends on ``(seed, i)`` only.
        source: JSON lines with ``text`` and ``variant``; the ``original`` texts give the pool.
    """

    def __init__(self, seed: int, source: Path = SOURCE) -> None:
        """Read the pool; see the class docstring."""
        self.seed = seed
        rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
        texts = [row["text"] for row in rows if row.get("variant") == "original"]
        sentences = sorted({s.translate(_UNFOLD) for text in texts for s in _SENTENCE.findall(text)})
        if not sentences:
            raise SystemExit(f"{source}: no original texts to draw sentences from")
        cls = {word: words for words in WORDS.values() for word in words}
        pattern = re.compile("|".join(sorted(map(re.escape, cls), key=len, reverse=True)) + r"|\d+")
        self.templates: list[Template] = []
        for sentence in sentences:
            parts: list[Any] = []
            pos = 0
            for m in pattern.finditer(sentence):
                if m.start() > pos:
                    parts.append(sentence[pos : m.start()])
                word = m.group()
                parts.append((len(word),) if word.isdigit() else (cls[word],))
                pos = m.end()
            if pos < len(sentence):
                parts.append(sentence[pos:])
            self.templates.append(tuple(parts))
        self.sources = len(texts)

    @staticmethod
    def fill(rng: random.Random, template: Template) -> str:
        """One sentence: the template with its words and numbers drawn."""
        out = []
        for part in template:
            if type(part) is str:
                out.append(part)
            elif type(part[0]) is int:
                out.append(str(rng.randrange(10 ** part[0])))
            else:
                out.append(rng.choice(part[0]))
        return "".join(out)

    def sentence(self, rng: random.Random) -> str:
        """A random sentence."""
        return self.fill(rng, rng.choice(self.templates))

    def text(self, i: int) -> str:
        """The text of document ``i``: an opening, paragraphs of 2-6 sentences, a closing."""
        rng = random.Random(self.seed * 1_000_003 + i)
        target = rng.randint(1000, 5000)
        paras = [rng.choice(OPENINGS)]
        size = 0
        while size < target:
            para = "".join(self.fill(rng, t) for t in rng.sample(self.templates, rng.randint(2, 6)))
            if len(paras) > 1 and rng.random() < 0.5:
                para = f"{_ORDINALS[(len(paras) - 1) % 10]}是{para}"
            paras.append(para)
            size += len(para)
        paras.append(rng.choice(CLOSINGS))
        while len(paras) > 3 and sum(map(len, paras)) + len(paras) - 1 > 5000:
            del paras[-2]  # the last paragraph overshot 5,000 characters
        return "\n".join(paras)

    def doc(self, i: int) -> dict[str, Any]:
        """Document ``i`` as ``Archive.add`` takes it (its own URL; crawled one second apart)."""
        rng = random.Random(-(self.seed * 1_000_003 + i))
        site = SITES[i % len(SITES)]
        title = f"在{rng.choice(WORDS['place'])}{rng.choice(WORDS['topic'])}{rng.choice(WORDS['meeting'])}上的讲话"
        day = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(2000))
        crawled = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=i)
        return {
            "url": doc_url(i),
            "site": site,
            "title": title,
            "published_at": day.strftime("%Y-%m-%d"),
            "text": self.text(i),
            "crawled_at": crawled.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def near_duplicate(self, i: int, rng: random.Random) -> str:
        """Document ``i`` with 5-10 % of its sentences (at least one) replaced by new ones."""
        sentences = re.findall(r"[^。！？]*[。！？]|[^。！？]+$", self.text(i))
        count = max(1, round(len(sentences) * rng.uniform(0.05, 0.10)))
        for k in rng.sample(range(len(sentences)), count):
            sentences[k] = self.sentence(rng)
        return "".join(sentences)


def doc_url(i: int) -> str:
    """The URL document ``i`` is stored under."""
    return f"https://{SITES[i % len(SITES)]}.example/{i}.html"


def code_fingerprint() -> str:
    """A hash of the ``archive`` package's source files (the lookup processes import them afresh)."""
    digest = hashlib.sha256()
    for path in sorted(Path(archive.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def code_version() -> str:
    """The checkout's commit and whether ``archive/`` differs from it, when git can tell."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        head = subprocess.run(
            [git, "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [git, "-C", str(REPO), "status", "--porcelain", "--", "archive"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes in archive/" if dirty else "")


# ---------------------------------------------------------------------------------------------
# Filling

_WORKER_CORPUS: Corpus | None = None


def _worker_init(seed: int) -> None:
    global _WORKER_CORPUS  # noqa: PLW0603 - one corpus per worker process
    _WORKER_CORPUS = Corpus(seed)


def _worker_chunk(bounds: tuple[int, int]) -> list[tuple[dict[str, Any], Sketch]]:
    assert _WORKER_CORPUS is not None  # noqa: S101 - set by the pool initializer
    out = []
    for i in range(*bounds):
        doc = _WORKER_CORPUS.doc(i)
        out.append((doc, sketch(doc["text"], DEFAULT_PARAMS)))
    return out


def _presketched_docs(pool: Any, bounds: list[tuple[int, int]], window: int) -> Iterator[tuple[dict[str, Any], Sketch]]:
    """The workers' ``(doc, sketch)`` in document order, at most ``window`` chunks in flight."""
    todo = iter(bounds)
    pending = collections.deque(pool.apply_async(_worker_chunk, (b,)) for b in itertools.islice(todo, window))
    while pending:
        items = pending.popleft().get()
        nxt = next(todo, None)
        if nxt is not None:
            pending.append(pool.apply_async(_worker_chunk, (nxt,)))
        yield from items


class Presketched:
    """The archive's ``MinHashIndex`` with the sketch of the next text computed ahead.

    ``Archive.add`` calls ``sketch(text)``, ``find`` and ``add`` as always; ``sketch`` returns the
    precomputed value when ``text`` is the object announced by ``expect``, else computes it.
    """

    def __init__(self, index: Any) -> None:
        """Wrap ``index``."""
        self.index = index
        self.params = index.params
        self._next: tuple[str, Sketch] | None = None
        self.used = self.computed = 0

    def expect(self, text: str, ready: Sketch) -> None:
        """The next ``sketch`` call for ``text`` returns ``ready``."""
        self._next = (text, ready)

    def sketch(self, text: str) -> Sketch:
        """The precomputed sketch of ``text``, or the index's."""
        if self._next is not None and self._next[0] is text:
            ready, self._next = self._next[1], None
            self.used += 1
            return ready
        self.computed += 1
        result: Sketch = self.index.sketch(text)
        return result

    def find(self, sketch: Sketch, *, url: str) -> str | None:
        """The index's ``find``."""
        found: str | None = self.index.find(sketch, url=url)
        return found

    def add(self, record_id: str, sketch: Sketch | None) -> None:
        """The index's ``add``."""
        self.index.add(record_id, sketch)


class Progress:
    """Progress lines on stderr, at most one every ``every`` seconds."""

    def __init__(self, label: str, total: int, every: float = 15.0) -> None:
        """Start the clock."""
        self.label, self.total, self.every = label, total, every
        self.start = self.last = time.perf_counter()

    def update(self, done: int, *, force: bool = False) -> None:
        """Print ``done`` of ``total`` with the rate and the time left."""
        now = time.perf_counter()
        if not force and now - self.last < self.every:
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        left = (self.total - done) / rate if rate else float("inf")
        log(
            f"  {self.label}: {done:,}/{self.total:,} ({rate:,.0f} docs/s, {now - self.start:,.0f} s, ~{left:,.0f} s left)"
        )


def log(message: str) -> None:
    """A progress line on stderr."""
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)  # noqa: DTZ005


def fill_fast(uri: str, seed: int, start: int, stop: int, batch: int, workers: int) -> dict[str, Any]:
    """Add documents ``start..stop-1``: ``batch`` per transaction, sketches from worker processes."""
    statuses: collections.Counter[str] = collections.Counter()
    if stop <= start:
        return {"docs": 0}
    chunk = 250
    bounds = [(a, min(a + chunk, stop)) for a in range(start, stop, chunk)]
    progress = Progress(f"fill {start:,}-{stop:,} (batched, sketches ahead)", stop - start)
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("fork")
    with open_archive(uri) as arch, ctx.Pool(workers, _worker_init, (seed,)) as pool:
        index = arch.near_index
        if index is None or index.params != DEFAULT_PARAMS:  # type: ignore[attr-defined]
            raise SystemExit(f"{uri}: expected a near-duplicate index with the default parameters")
        wrapper = Presketched(index)
        arch.near_index = wrapper
        stream = _presketched_docs(pool, bounds, 4 * workers)
        done = 0
        while block := list(itertools.islice(stream, batch)):
            # Nested transactions join the outer one: ``batch`` adds commit together.
            with arch.store.transaction():
                for doc, ready in block:
                    if (start + done) % 1000 == 0:  # the worker's sketch is the index's sketch
                        mine = index.sketch(doc["text"])
                        if not (np.array_equal(mine.signature, ready.signature) and mine.keys == ready.keys):
                            raise SystemExit(f"worker sketch of document {start + done} differs from the index's")
                    wrapper.expect(doc["text"], ready)
                    statuses[arch.add(doc).status] += 1
                    done += 1
            progress.update(done)
        progress.update(done, force=True)
    seconds = time.perf_counter() - t0
    return {
        "docs": done,
        "seconds": seconds,
        "docs_per_s": done / seconds,
        "statuses": dict(statuses),
        "presketched": wrapper.used,
        "sketched_in_add": wrapper.computed,
    }


def fill_timed(uri: str, corpus: Corpus, start: int, stop: int) -> dict[str, Any]:
    """Add documents ``start..stop-1`` one ``Archive.add`` (one transaction) each; time it."""
    gen0 = time.perf_counter()
    docs = [corpus.doc(i) for i in range(start, stop)]
    log(f"  generated {len(docs):,} documents in {time.perf_counter() - gen0:.1f} s; timing Archive.add")
    statuses: collections.Counter[str] = collections.Counter()
    latencies = []
    progress = Progress(f"Archive.add {start:,}-{stop:,} (timed)", stop - start)
    load = os.getloadavg()[0]
    with open_archive(uri) as arch:
        # The first lookup of a process loads the index; measured apart (the lookups' "index
        # load"), so that the throughput is the steady state's.
        arch.near_index.load()  # type: ignore[union-attr]
        t0 = time.perf_counter()
        c0 = time.process_time()
        for n, doc in enumerate(docs):
            a = time.perf_counter()
            statuses[arch.add(doc).status] += 1
            latencies.append(time.perf_counter() - a)
            if n % 500 == 0:
                progress.update(n)
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - c0
    progress.update(len(docs), force=True)
    latencies.sort()
    return {
        "docs": len(docs),
        "seconds": seconds,
        "docs_per_s": len(docs) / seconds,
        "add_p50_ms": 1000 * latencies[len(latencies) // 2],
        "add_p99_ms": 1000 * latencies[int(0.99 * len(latencies))],
        "cpu_ms_per_doc": 1000 * cpu / len(docs),
        "loadavg_before": load,
        "loadavg_after": os.getloadavg()[0],
        "statuses": dict(statuses),
    }


# ---------------------------------------------------------------------------------------------
# Lookups, in a fresh process


def rss_bytes(field: str = "VmRSS") -> int:
    """A memory figure of this process from /proc/self/status (Linux), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of sorted ``values``."""
    return values[min(len(values) - 1, int(q * len(values)))]


def lookup_worker(args: dict[str, Any]) -> dict[str, Any]:
    """Open the archive and time ``find`` / ``sketch + find`` for the queries; measure RSS."""
    fingerprint = code_fingerprint()
    corpus = Corpus(args["seed"])
    n_docs, n_queries = args["docs"], args["lookups"]
    rng = random.Random(args["seed"] + 17 * n_docs)
    queries: list[tuple[str, str, int | None]] = []  # (url, text, stored document or None)
    for q in range(n_queries):
        url = f"https://query.example/{n_docs}/{q}.html"
        if q % 2 == 0:
            i = rng.randrange(n_docs)
            queries.append((url, corpus.near_duplicate(i, rng), i))
        else:
            queries.append((url, corpus.text(UNRELATED_BASE + n_docs * 10 + q), None))
    rng.shuffle(queries)
    load = os.getloadavg()[0]
    sketch("同志们：今天召开全县作风建设大会。" * 50)  # warm the shingling tables and permutations
    gc.collect()
    rss_before = rss_bytes()
    t0 = time.perf_counter()
    arch = open_archive(args["uri"], create=False)
    open_ms = 1000 * (time.perf_counter() - t0)
    rss_opened = rss_bytes()
    index = arch.near_index
    assert index is not None  # noqa: S101 - open_archive attaches it
    # What the first lookup of a crawl does: load the stored signatures into the BandTable.
    t0 = time.perf_counter()
    table = index.load()  # type: ignore[attr-defined]
    load_ms = 1000 * (time.perf_counter() - t0)
    rss_loaded = rss_bytes()
    finds: list[float] = []
    totals: list[float] = []
    answers: list[str | None] = []
    sketches: list[Sketch] = []
    warm: list[float] = []
    gc.disable()
    try:
        for url, text, _ in queries:
            t1 = time.perf_counter()
            sk = index.sketch(text)
            t2 = time.perf_counter()
            found = index.find(sk, url=url)
            t3 = time.perf_counter()
            finds.append(t3 - t2)
            totals.append(t3 - t1)
            answers.append(found)
            sketches.append(sk)
        # The same lookups again: the pages they need are now in the OS cache, which shows what
        # the lookup costs when the index stays cached, apart from what reading it costs.
        for (url, _, _), sk in zip(queries, sketches, strict=True):
            t1 = time.perf_counter()
            index.find(sk, url=url)
            warm.append(time.perf_counter() - t1)
    finally:
        gc.enable()
    rss_after = rss_bytes()
    hwm = rss_bytes("VmHWM")
    conn: sqlite3.Connection = arch.store.conn  # type: ignore[attr-defined]
    pragmas = {p: conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("cache_size", "page_size", "mmap_size")}
    indexed = index.size()  # type: ignore[attr-defined]
    # Correctness and candidates, after the timing: each near-duplicate must give the root of its
    # stored document, each unrelated document nothing.
    found_ok = found_wrong = missed = false_match = 0
    candidates: list[int] = []
    compared: list[int] = []
    similarity: list[float] = []
    for (_url, text, source), found in zip(queries, answers, strict=True):
        sk = index.sketch(text)
        candidates.append(len(table.candidates(sk.keys, bucket_limit=None, max_candidates=None)))
        compared.append(len(table.candidates(sk.keys)))
        if source is None:
            false_match += found is not None
            continue
        stored = corpus.doc(source)
        row = conn.execute("SELECT coalesce(dup_of, id) FROM records WHERE url = ?", (stored["url"],)).fetchone()
        expected = row[0] if row else record_id(stored["url"], content_hash(stored["text"]))
        if found is None:
            missed += 1
        elif found == expected:
            found_ok += 1
        else:
            found_wrong += 1
        if len(similarity) < 200:
            similarity.append(jaccard(stored["text"], text))
    arch.close()
    finds.sort()
    totals.sort()
    warm.sort()
    near = sum(i is not None for _, _, i in queries)
    return {
        "indexed": indexed,
        "lookups": len(queries),
        "open_ms": open_ms,
        "load_ms": load_ms,
        "table_bytes": table.nbytes,
        "find_p50_ms": 1000 * statistics.median(finds),
        "find_p99_ms": 1000 * pct(finds, 0.99),
        "find_max_ms": 1000 * finds[-1],
        "find_warm_p50_ms": 1000 * statistics.median(warm),
        "find_warm_p99_ms": 1000 * pct(warm, 0.99),
        "sketch_find_p50_ms": 1000 * statistics.median(totals),
        "sketch_find_p99_ms": 1000 * pct(totals, 0.99),
        "near_queries": near,
        "near_found": found_ok,
        "near_wrong_root": found_wrong,
        "near_missed": missed,
        "unrelated_queries": len(queries) - near,
        "unrelated_matched": false_match,
        "near_jaccard_min": min(similarity) if similarity else None,
        "near_jaccard_median": statistics.median(similarity) if similarity else None,
        "candidates_mean": statistics.fmean(candidates),
        "candidates_p50": pct(sorted(candidates), 0.50),
        "candidates_p90": pct(sorted(candidates), 0.90),
        "candidates_p99": pct(sorted(candidates), 0.99),
        "candidates_max": max(candidates),
        "queries_100_candidates": sum(n >= HOT for n in candidates),
        "compared_p50": pct(sorted(compared), 0.50),
        "compared_p99": pct(sorted(compared), 0.99),
        "compared_max": max(compared),
        "code_fingerprint": fingerprint,
        "rss_before_bytes": rss_before,
        "rss_opened_bytes": rss_opened,
        "rss_loaded_bytes": rss_loaded,
        "rss_after_bytes": rss_after,
        "rss_hwm_bytes": hwm,
        "rss_growth_bytes": rss_after - rss_before,
        "rss_growth_bytes_per_doc": (rss_after - rss_before) / max(indexed, 1),
        "sqlite": pragmas,
        "loadavg_before": load,
        "loadavg_after": os.getloadavg()[0],
    }


def run_lookups(uri: str, seed: int, docs: int, lookups: int) -> dict[str, Any]:
    """``lookup_worker`` in a fresh interpreter, so that the fill's memory does not count."""
    spec = json.dumps({"uri": uri, "seed": seed, "docs": docs, "lookups": lookups})
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--lookup-worker", spec],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"lookup process failed ({done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def evict(path: Path) -> bool:
    """Drop ``path`` from the OS page cache (its own pages only); False when not possible."""
    if not hasattr(os, "posix_fadvise") or not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return True


# ---------------------------------------------------------------------------------------------
# Disk


def disk_usage(workdir: Path, docs: int) -> dict[str, Any]:
    """Sizes of the database, its WAL and the WARC directory."""
    db = workdir / DB_NAME
    wal = db.with_name(db.name + "-wal")
    warc = db.with_name(db.stem + ".warc")
    db_bytes = db.stat().st_size
    wal_bytes = wal.stat().st_size if wal.exists() else 0
    warc_bytes = sum(p.stat().st_size for p in warc.rglob("*") if p.is_file()) if warc.exists() else 0
    total = db_bytes + wal_bytes + warc_bytes
    return {
        "db_bytes": db_bytes,
        "wal_bytes": wal_bytes,
        "warc_dir": warc.exists(),
        "warc_bytes": warc_bytes,
        "total_bytes": total,
        "bytes_per_doc": total / docs,
    }


def table_sizes(path: Path) -> dict[str, int] | None:
    """Bytes of the near-duplicate tables (SQLite ``dbstat``), or None without it."""
    names = ("minhash", "minhash_pending")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            marks = ", ".join("?" for _ in names)
            rows = conn.execute(
                f"SELECT name, pgsize FROM dbstat WHERE aggregate = TRUE AND name IN ({marks})",  # noqa: S608
                names,
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return {name: int(size) for name, size in rows}


# ---------------------------------------------------------------------------------------------
# Report


def corpus_stats(corpus: Corpus, sample: int = 300) -> dict[str, Any]:
    """Length and pairwise exact Jaccard of ``sample`` documents (with the LSH candidate rate)."""
    from archive.neardup import shingles

    texts = [corpus.text(i) for i in range(sample)]
    sets = [shingles(t) for t in texts]
    sims = np.array([len(a & b) / len(a | b) for a, b in itertools.combinations(sets, 2)])
    p = DEFAULT_PARAMS
    candidate = 1 - (1 - sims**p.rows) ** p.bands
    lengths = [len(t) for t in texts]
    return {
        "templates": len(corpus.templates),
        "source_texts": corpus.sources,
        "sample": sample,
        "chars_min": min(lengths),
        "chars_median": statistics.median(lengths),
        "chars_max": max(lengths),
        "jaccard_p50": float(np.quantile(sims, 0.5)),
        "jaccard_p99": float(np.quantile(sims, 0.99)),
        "jaccard_max": float(sims.max()),
        "expected_candidates_per_million": float(candidate.mean() * 1e6),
    }


def label(n: int) -> str:
    """100000 -> 100k, 1000000 -> 1M."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def render(results: list[dict[str, Any]]) -> str:
    """The results table (Markdown)."""
    head = [
        "size",
        "documents",
        "insert docs/s",
        "find p50 ms",
        "find p99 ms",
        "sketch+find p50 ms",
        "sketch+find p99 ms",
        "index load s",
        "repeated find p50 / p99 ms",
        "RSS growth B/doc",
        "disk MB",
        "disk B/doc",
    ]
    rows = []
    for r in results:
        lk, disk, ins = r["lookups"], r["disk"], r.get("insert") or {}
        rows.append(
            [
                label(r["size"]),
                f"{r['documents']:,}",
                f"{ins['docs_per_s']:,.0f}" if ins else "n/a",
                f"{lk['find_p50_ms']:.3f}",
                f"{lk['find_p99_ms']:.3f}",
                f"{lk['sketch_find_p50_ms']:.3f}",
                f"{lk['sketch_find_p99_ms']:.3f}",
                f"{lk['load_ms'] / 1000:,.1f}" if "load_ms" in lk else "n/a",
                f"{lk['find_warm_p50_ms']:.3f} / {lk['find_warm_p99_ms']:.3f}" if "find_warm_p99_ms" in lk else "n/a",
                f"{lk['rss_growth_bytes_per_doc']:,.1f}",
                f"{disk['total_bytes'] / 1e6:,.0f}",
                f"{disk['bytes_per_doc']:,.0f}",
            ]
        )
    widths = [max(len(h), *(len(row[k]) for row in rows)) for k, h in enumerate(head)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    lines += ["| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    return "\n".join(lines)


def checks(results: list[dict[str, Any]]) -> tuple[list[str], bool]:
    """The ratio line and the target checks."""
    lines: list[str] = []
    ok = True

    def verdict(passed: bool) -> str:
        nonlocal ok
        ok = ok and passed
        return "PASS" if passed else "FAIL"

    if len(results) >= 2:
        small, large = results[0], results[-1]
        name = f"{label(large['size'])}/{label(small['size'])}"
        for key, what in (("find_p99_ms", "find"), ("sketch_find_p99_ms", "sketch+find")):
            ratio = large["lookups"][key] / small["lookups"][key]
            status = verdict(ratio < TARGET_RATIO) if key == "find_p99_ms" else "info"
            lines.append(f"p99 ratio {name} = {ratio:.2f} ({what}; target < {TARGET_RATIO:g}) {status}")
        if "find_warm_p99_ms" in small["lookups"] and "find_warm_p99_ms" in large["lookups"]:
            ratio = large["lookups"]["find_warm_p99_ms"] / small["lookups"]["find_warm_p99_ms"]
            lines.append(f"p99 ratio {name} = {ratio:.2f} (repeated find, pages cached; target < {TARGET_RATIO:g}) info")
    for r in results:
        lk = r["lookups"]
        size = label(r["size"])
        lines.append(
            f"{size}: find p99 {lk['find_p99_ms']:.3f} ms < {TARGET_P99_MS:g} ms "
            f"{verdict(lk['find_p99_ms'] < TARGET_P99_MS)}; sketch+find p99 {lk['sketch_find_p99_ms']:.3f} ms "
            f"< {TARGET_P99_MS:g} ms {verdict(lk['sketch_find_p99_ms'] < TARGET_P99_MS)}; RSS growth "
            f"{lk['rss_growth_bytes_per_doc']:.1f} B/doc < {TARGET_RSS_BYTES_PER_DOC} "
            f"{verdict(lk['rss_growth_bytes_per_doc'] < TARGET_RSS_BYTES_PER_DOC)}; near-duplicates found "
            f"{lk['near_found']}/{lk['near_queries']}, unrelated matched {lk['unrelated_matched']}/"
            f"{lk['unrelated_queries']} {verdict(lk['near_found'] == lk['near_queries'] and not lk['unrelated_matched'])}"
        )
    return lines, ok


def details(r: dict[str, Any]) -> list[str]:
    """Per-size lines under the table."""
    lk, disk, fast, ins = r["lookups"], r["disk"], r.get("fill") or {}, r.get("insert") or {}
    mb = 1024 * 1024
    out = [f"{label(r['size'])}:"]
    if ins:
        out.append(
            f"  insert: {ins['docs']:,} Archive.add calls (one transaction each) at "
            f"{r['size'] - ins['docs']:,}-{r['size']:,} documents: {ins['docs_per_s']:,.0f} docs/s, "
            f"add p50 {ins['add_p50_ms']:.2f} ms, p99 {ins['add_p99_ms']:.2f} ms, CPU {ins['cpu_ms_per_doc']:.2f} ms/doc "
            f"(load average {ins['loadavg_before']:.1f} before, {ins['loadavg_after']:.1f} after); "
            f"statuses {ins['statuses']}"
        )
    if fast.get("docs"):
        out.append(
            f"  fill before it: {fast['docs']:,} Archive.add calls, {r['batch']} per transaction, sketches from "
            f"{r['workers']} worker process(es): {fast['docs_per_s']:,.0f} docs/s, {fast['seconds']:,.0f} s; "
            f"statuses {fast['statuses']}"
        )
    out.append(
        f"  lookups: {lk['lookups']:,} ({lk['near_queries']} near-duplicates, exact Jaccard with their original "
        f"min {lk['near_jaccard_min']:.2f} / median {lk['near_jaccard_median']:.2f}; {lk['unrelated_queries']} "
        f"unrelated); found {lk['near_found']}, wrong root {lk['near_wrong_root']}, missed {lk['near_missed']}; "
        f"unrelated matched {lk['unrelated_matched']}; find max {lk['find_max_ms']:.2f} ms; "
        f"open {lk['open_ms']:.1f} ms, loading the index (first lookup) {lk['load_ms'] / 1000:,.1f} s "
        f"for {lk['table_bytes'] / 1e6:,.0f} MB of arrays; load average {lk['loadavg_before']:.1f} before, {lk['loadavg_after']:.1f} after"
    )
    out.append(
        f"  LSH candidates per query (documents sharing a bucket): mean {lk['candidates_mean']:.1f}, p50 "
        f"{lk['candidates_p50']}, p90 {lk['candidates_p90']}, p99 {lk['candidates_p99']}, max {lk['candidates_max']}; "
        f"{lk['queries_100_candidates']} of {lk['lookups']:,} queries have {HOT}+"
        + (
            f"; signatures find compares (bounded): p50 {lk['compared_p50']}, p99 {lk['compared_p99']}, max {lk['compared_max']}"
            if lk.get("compared_max") is not None
            else ""
        )
    )
    if r.get("cold"):
        cold = r["cold"]
        out.append(
            f"  cold OS cache (the same queries, the file evicted first): find p50 {cold['find_p50_ms']:.3f} / p99 {cold['find_p99_ms']:.3f} ms, "
            f"sketch+find p50 {cold['sketch_find_p50_ms']:.3f} / p99 {cold['sketch_find_p99_ms']:.3f} ms"
        )
    sq = lk["sqlite"]
    out.append(
        f"  memory (fresh process): VmRSS {lk['rss_before_bytes'] / mb:.1f} MB before opening, "
        f"{lk['rss_opened_bytes'] / mb:.1f} MB opened, {lk['rss_loaded_bytes'] / mb:.1f} MB loaded, {lk['rss_after_bytes'] / mb:.1f} MB after the lookups "
        f"(growth {lk['rss_growth_bytes'] / mb:.2f} MB; peak {lk['rss_hwm_bytes'] / mb:.1f} MB); SQLite "
        f"cache_size {sq['cache_size']} ({'KiB' if sq['cache_size'] < 0 else 'pages'}), page_size {sq['page_size']}, "
        f"mmap_size {sq['mmap_size']}"
    )
    tables = r.get("tables")
    index_part = ""
    if tables:
        idx = sum(tables.values())
        index_part = (
            f"; near-duplicate tables {idx / 1e6:,.0f} MB = {idx / r['documents']:,.0f} B/doc "
            f"(minhash {tables.get('minhash', 0) / r['documents']:,.0f})"
        )
    out.append(
        f"  disk: {DB_NAME} {disk['db_bytes'] / 1e6:,.0f} MB, -wal {disk['wal_bytes'] / 1e6:,.1f} MB, WARC dir "
        f"{'%.0f MB' % (disk['warc_bytes'] / 1e6) if disk['warc_dir'] else 'none'}{index_part}"
    )
    out.append(f"  wall time for this size: {r['seconds']:,.0f} s")
    return out


# ---------------------------------------------------------------------------------------------


def main() -> int:  # noqa: PLR0915 - the run, step by step
    """Run the benchmark; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="archive sizes, ascending (default %(default)s)")
    parser.add_argument("--lookups", type=int, default=2000, help="queries per size (default %(default)s)")
    parser.add_argument(
        "--adds", type=int, default=10_000, help="timed Archive.add calls per size (default %(default)s)"
    )
    parser.add_argument(
        "--batch", type=int, default=1000, help="adds per transaction while filling (default %(default)s)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="sketching processes while filling (default %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument(
        "--keep", metavar="DIR", help="build the archive in DIR and keep it (with --measure-only: DIR[,DIR...])"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers as JSON")
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="with --keep DIR[,DIR...] holding archives from earlier runs: only measure them, side by side "
        "(no fill, no insert figure)",
    )
    parser.add_argument(
        "--no-cold", action="store_true", help="skip the lookups with the file evicted from the OS cache"
    )
    parser.add_argument("--lookup-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lookup_worker:
        print(json.dumps(lookup_worker(json.loads(args.lookup_worker))))
        return 0
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    if not sizes or sizes[0] <= args.adds:
        parser.error(f"every size must exceed --adds ({args.adds})")

    started = time.perf_counter()
    fingerprint, version = code_fingerprint(), code_version()
    kept = [Path(d).resolve() for d in args.keep.split(",")] if args.keep else []
    if len(kept) > 1 and not args.measure_only:
        parser.error("several --keep directories only with --measure-only")
    for extra in kept[1:]:
        if not (extra / DB_NAME).exists():
            parser.error(f"--measure-only needs {extra / DB_NAME}")
    if args.keep:
        workdir = kept[0]
        workdir.mkdir(parents=True, exist_ok=True)
        if (workdir / DB_NAME).exists() != args.measure_only:
            parser.error(
                f"--measure-only needs {workdir / DB_NAME}"
                if args.measure_only
                else f"{workdir / DB_NAME} exists; pass an empty --keep directory (or --measure-only)"
            )
    elif args.measure_only:
        parser.error("--measure-only needs --keep DIR")
    else:
        workdir = Path(tempfile.mkdtemp(prefix="neardup_scale_", dir="/tmp"))
    db = workdir / DB_NAME
    uri = f"sqlite:///{db}"
    corpus = Corpus(args.seed)
    stats = corpus_stats(corpus)
    log(
        f"corpus: {stats['templates']:,} sentence templates from {stats['source_texts']} texts; "
        f"{stats['sample']} documents: {stats['chars_min']:,}-{stats['chars_max']:,} characters, pairwise "
        f"Jaccard p50 {stats['jaccard_p50']:.4f} p99 {stats['jaccard_p99']:.4f} max {stats['jaccard_max']:.4f}"
    )
    log(f"archive: {uri}")
    results: list[dict[str, Any]] = []
    filled = 0
    where = {}
    if args.measure_only:
        for folder in kept:
            with sqlite3.connect(f"file:{folder / DB_NAME}?mode=ro", uri=True) as conn:
                where[conn.execute("SELECT count(*) FROM records").fetchone()[0]] = folder
        sizes = sorted(where)
    try:
        for size in sizes:
            if args.measure_only:
                workdir = where[size]
                db = workdir / DB_NAME
                uri = f"sqlite:///{db}"
            t_size = time.perf_counter()
            log(f"size {size:,}")
            fast: dict[str, Any] | None = None
            insert: dict[str, Any] | None = None
            if not args.measure_only:
                fast = fill_fast(uri, args.seed, filled, size - args.adds, args.batch, args.workers)
                insert = fill_timed(uri, corpus, max(filled, size - args.adds), size)
                filled = size
                log(f"  insert: {insert['docs_per_s']:,.0f} docs/s through Archive.add ({insert['statuses']})")
            disk = disk_usage(workdir, size)
            log(f"  lookups ({args.lookups:,}) in a fresh process")
            lookups = run_lookups(uri, args.seed, size, args.lookups)
            log(
                f"  find p50 {lookups['find_p50_ms']:.3f} p99 {lookups['find_p99_ms']:.3f} ms; "
                f"RSS growth {lookups['rss_growth_bytes_per_doc']:.1f} B/doc"
            )
            cold = None
            if not args.no_cold and evict(db):
                log("  the same lookups with the archive evicted from the OS page cache")
                cold = run_lookups(uri, args.seed, size, args.lookups)
            tables = table_sizes(db)
            results.append(
                {
                    "size": size,
                    "documents": lookups["indexed"],
                    "insert": insert,
                    "fill": fast,
                    "batch": args.batch,
                    "workers": args.workers,
                    "lookups": lookups,
                    "cold": cold,
                    "disk": disk,
                    "tables": tables,
                    "seconds": time.perf_counter() - t_size,
                }
            )
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    total = time.perf_counter() - started
    seen = {fingerprint, code_fingerprint()} | {
        r[k]["code_fingerprint"] for r in results for k in ("lookups", "cold") if r.get(k)
    }
    print(
        f"neardup_scale: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {datetime.now(UTC):%Y-%m-%d}; seed {args.seed}; archive code {version} "
        f"({fingerprint})"
    )
    if len(seen) > 1:
        print(
            f"WARNING: the archive package changed during the run ({', '.join(sorted(seen))}): the sizes mix code versions"
        )
    print(
        f"corpus: documents of {stats['chars_min']:,}-{stats['chars_max']:,} characters (median "
        f"{stats['chars_median']:,.0f} in a sample of {stats['sample']}) from {stats['templates']:,} sentence "
        f"templates; pairwise exact Jaccard p50 {stats['jaccard_p50']:.3f}, p99 {stats['jaccard_p99']:.3f}, "
        f"max {stats['jaccard_max']:.3f} (LSH false candidates expected per million stored: "
        f"{stats['expected_candidates_per_million']:.1f})"
    )
    print()
    print(render(results))
    print()
    lines, ok = checks(results)
    ok = ok and len(seen) == 1
    for line in lines:
        print(line)
    print()
    for r in results:
        for line in details(r):
            print(line)
    print(f"total wall time {total:,.0f} s")
    if args.json:
        payload = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "archive_package": str(Path(archive.__file__).parent),
            "archive_code": version,
            "archive_fingerprints": sorted(seen),
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "lookup_worker"},
            "corpus": stats,
            "results": results,
            "checks": lines,
            "all_targets_met": ok,
            "seconds": total,
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
