"""Choose the near-duplicate parameters: similarity of each kind of edit, quality and lookup time by threshold.

The numbers of ``docs/neardup.md`` come from it (the scale figures from ``neardup_scale.py``):

    python bench/neardup_params.py [--docs 3000] [--thresholds 0.4,0.5,0.6]

The corpus is synthetic but made of real sentences: documents are drawn sentence by sentence
from the texts of the sample sites (``tests/fixtures/extract``) and the speeches of
``tests/archive/texts.py``, framed by the genre's stock opening and closing, so that different
documents share stock phrases and the odd sentence, as different speeches do. Variants apply
the edits template sites make: masks filled in, a paragraph dropped, paragraphs reordered, the
intro reworded, 5-10 % of the sentences changed, boilerplate added, and combinations.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import MinHashParams, open_archive  # noqa: E402
from archive.neardup import jaccard, signature  # noqa: E402
from tests.archive import texts  # noqa: E402

OPENINGS = ["同志们：", "各位领导、同志们：", "同志们、朋友们："]
CLOSINGS = [
    "同志们，让我们不忘初心、牢记使命，以习近平新时代中国特色社会主义思想为指导，奋力开创各项工作新局面。",
    "同志们，任务艰巨，使命光荣。我们要不忘初心、牢记使命，真抓实干，为高质量发展作出新的更大贡献。",
]
EDITS = ("fill_masks", "drop_paragraph", "reorder", "reword_intro", "edit_sentences", "boilerplate")


def sentence_pool() -> list[str]:
    """Real sentences of the genre: the sample sites' expected texts and the test speeches."""
    bodies = list(texts.SPEECHES.values())
    for path in sorted((ROOT / "tests" / "fixtures" / "extract").glob("*/*.json")):
        bodies += [r["text"] for r in json.loads(path.read_text(encoding="utf-8"))["records"] or []]
    pool = {s for body in bodies for s in re.findall(r"[^。！？\n]{8,}[。！？]", body)}
    return sorted(pool)


def make_doc(rng: random.Random, pool: list[str]) -> str:
    """A speech of 1,000-5,000 characters: opening, 5-12 paragraphs of pool sentences, closing."""
    target = rng.randint(1000, 5000)
    paras = [rng.choice(OPENINGS)]
    size = 0
    while size < target:
        para = "".join(rng.sample(pool, rng.randint(2, 6)))
        # Masks, as the sites print them; one variant kind fills them in.
        if rng.random() < 0.5:
            para = para.replace("同志", "xx同志", 1)
        paras.append(f"{'一二三四五六七八九十'[len(paras) % 10]}是{para}")
        size += len(para)
    paras.append(rng.choice(CLOSINGS))
    return "\n".join(paras)


def variant(rng: random.Random, doc: str, pool: list[str], kinds: tuple[str, ...]) -> str:
    """Apply the named edits to ``doc``."""
    for kind in kinds:
        paras = doc.split("\n")
        body = list(range(1, len(paras) - 1))
        if kind == "fill_masks":
            doc = texts.fill_masks(doc)
        elif kind == "drop_paragraph":
            doc = texts.drop_paragraph(doc, rng.choice(body))
        elif kind == "reorder":
            i, j = rng.sample(body, 2)
            doc = texts.swap_paragraphs(doc, i, j)
        elif kind == "reword_intro":
            doc = texts.replace_paragraph(doc, 1, "".join(rng.sample(pool, 3)))
        elif kind == "edit_sentences":
            sentences = doc.replace("。", "。\0").split("\0")
            for i in rng.sample(range(len(sentences)), max(1, len(sentences) * rng.randint(5, 10) // 100)):
                sentences[i] = rng.choice(pool)
            doc = "".join(sentences)
        elif kind == "boilerplate":
            doc = texts.with_boilerplate(doc)
    return doc


def corpus(n_docs: int, seed: int) -> tuple[list[tuple[str, str, int]], dict[str, list[tuple[float, float]]]]:
    """Return ``(url, text, cluster)`` in crawl order and ``(exact, estimated)`` Jaccard by edit."""
    rng = random.Random(seed)  # noqa: S311 - test data
    pool = sentence_pool()
    docs: list[tuple[str, str, int]] = []
    by_kind: dict[str, list[tuple[float, float]]] = {}
    cluster = 0
    while len(docs) < n_docs:
        original = make_doc(rng, pool)
        copies = [original]
        # A third of the documents are republished 1-3 times, with one to three edits each.
        if rng.random() < 1 / 3:
            for _ in range(rng.randint(1, 3)):
                kinds = tuple(rng.sample(EDITS, rng.choice((1, 1, 2, 3))))
                copy = variant(rng, original, pool, kinds)
                estimated = float(np.mean(signature(original) == signature(copy)))
                by_kind.setdefault("+".join(sorted(kinds)), []).append((jaccard(original, copy), estimated))
                copies.append(copy)
        docs += [(f"https://site{i}.example/{cluster}.html", text, cluster) for i, text in enumerate(copies)]
        cluster += 1
    rng.shuffle(docs)
    return docs, by_kind


def evaluate(docs: list[tuple[str, str, int]], params: MinHashParams) -> dict[str, float]:
    """Add every document to a fresh archive; score the links and time the lookups."""
    with tempfile.TemporaryDirectory() as tmp, open_archive(Path(tmp) / "a.db", near_params=params) as archive:
        index = archive.near_index
        roots: dict[str, str] = {}
        lookups: list[float] = []
        sketches: list[float] = []
        for n, (url, text, _) in enumerate(docs):
            t0 = time.perf_counter()
            sk = index.sketch(text)  # type: ignore[union-attr]
            t1 = time.perf_counter()
            index.find(sk, url=url)  # type: ignore[union-attr]
            t2 = time.perf_counter()
            sketches.append(t1 - t0)
            lookups.append(t2 - t1)
            when = f"2024-01-01T00:00:{n % 60:02d}Z"
            record = archive.add({"url": url, "site": "s", "text": text, "crawled_at": when}).record
            roots[url] = record.dup_of or record.id
    truth = {url: cluster for url, _, cluster in docs}
    tp = fp = fn = 0
    for a, b in itertools.combinations(truth, 2):
        same, linked = truth[a] == truth[b], roots[a] == roots[b]
        tp += same and linked
        fp += linked and not same
        fn += same and not linked
    lookups.sort()
    sketches.sort()
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "false_links": fp,
        "missed_pairs": fn,
        "lookup_p50_ms": 1000 * statistics.median(lookups),
        "lookup_p99_ms": 1000 * lookups[int(0.99 * len(lookups))],
        "sketch_p50_ms": 1000 * statistics.median(sketches),
        "sketch_p99_ms": 1000 * sketches[int(0.99 * len(sketches))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--thresholds", default="0.4,0.5,0.6")
    args = parser.parse_args()
    docs, by_kind = corpus(args.docs, args.seed)
    print(f"{len(docs)} documents, {len({c for _, _, c in docs})} distinct")
    print("exact Jaccard (5-shingles) of variant vs original, by edit:")
    for kind, pairs in sorted(by_kind.items(), key=lambda kv: (kv[0].count("+"), -len(kv[1]))):
        if len(pairs) >= 5:
            q = np.quantile([exact for exact, _ in pairs], [0.0, 0.05, 0.5])
            print(f"  {kind:45s} n={len(pairs):4d} min={q[0]:.2f} p5={q[1]:.2f} median={q[2]:.2f}")
    every = [pair for pairs in by_kind.values() for pair in pairs]
    for t in (0.4, 0.5, 0.6):
        below = sum(exact < t for exact, _ in every)
        flips = sum((exact >= t) != (est >= t) for exact, est in every)
        print(f"  threshold {t}: {below}/{len(every)} variants below it (exact); estimate and exact "
              f"disagree on {flips}")
    clusters: dict[int, list[str]] = {}
    for _, text, cluster in docs:
        clusters.setdefault(cluster, []).append(text)
    originals = [v[0] for v in clusters.values()][:300]
    different = [jaccard(a, b) for a, b in itertools.combinations(originals[:120], 2)]
    est = [float(np.mean(signature(a) == signature(b))) for a, b in itertools.combinations(originals[:60], 2)]
    print(f"different documents: exact Jaccard max={max(different):.3f} p99={np.quantile(different, 0.99):.3f}; "
          f"estimated max={max(est):.3f}")
    for t in (float(x) for x in args.thresholds.split(",")):
        params = MinHashParams.tuned(t)
        print(f"threshold {t}: bands={params.bands} rows={params.rows}", evaluate(docs, params))


if __name__ == "__main__":
    main()
