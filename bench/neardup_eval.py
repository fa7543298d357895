#!/usr/bin/env python3
"""Benchmark the archive's duplicate detection on the labelled near-duplicate set.

    python bench/neardup_eval.py [--set bench/data/neardup_eval.jsonl] [--seed N]
                                 [--min-precision P] [--min-recall R] [--near-index MOD:FACTORY]

Builds a fresh archive in a temporary directory (``open_archive("sqlite:///TMP/a.db")``), adds
every document of the set in a shuffled but seeded order, then reads the stored records back and
predicts two documents to be duplicates when their records share a root (root = ``dup_of``, else
the record's own id, following ``dup_of`` links to the end). True duplicates are the documents
of the same ``group``. Prints precision, recall and F1 over document pairs, recall per variant
kind, the false positives (by group pair), the false negatives (by variant-kind pair), and the
wall time.

Exit status: 0, unless ``--min-precision`` / ``--min-recall`` is given and not met (then 1), or
the set cannot be read (2).
"""

from __future__ import annotations

# The shuffle only needs to be reproducible.
# ruff: noqa: S311
import argparse
import importlib
import json
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
try:  # the installed package (or PYTHONPATH), else the checkout this script is in
    import archive
except ImportError:
    sys.path.insert(0, str(REPO))
    import archive

DEFAULT_SET = REPO / "bench" / "data" / "neardup_eval.jsonl"
DEFAULT_SEED = 20240611


def pairs(n: int) -> int:
    """Number of unordered pairs among ``n`` items."""
    return n * (n - 1) // 2


def load_set(path: Path) -> list[dict]:
    """Read the JSON-lines set; doc ids must be unique."""
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    ids = [d["doc_id"] for d in docs]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: duplicate doc_id values")
    return docs


def load_meta(path: Path) -> dict:
    """The generator's sidecar (topics, hard negatives); optional."""
    meta_path = path.with_name(path.stem + ".groups.json")
    if not meta_path.exists():
        return {}
    return json.loads(meta_path.read_text(encoding="utf-8"))


def url_of(doc: dict) -> str:
    """A unique URL per document (the archive treats one URL's texts as versions)."""
    return f"https://{doc['site']}.example/{quote(doc['doc_id'])}.html"


def make_index(spec: str | None) -> object | None:
    """``module:callable`` -> ``callable()``, for trying an index before it is wired in."""
    if not spec:
        return None
    module, _, name = spec.partition(":")
    factory = getattr(importlib.import_module(module), name)
    return factory()


def run_archive(docs: list[dict], seed: int, near_index_spec: str | None) -> tuple[dict[str, str], float, Counter]:
    """Add the documents in a seeded order; return doc_id -> root id, add time and statuses."""
    order = list(docs)
    random.Random(seed).shuffle(order)
    by_url = {url_of(d): d for d in docs}
    statuses: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="neardup_eval_") as tmp:
        kwargs = {}
        index = make_index(near_index_spec)
        if index is not None:
            kwargs["near_index"] = index
        store = archive.open_archive(f"sqlite:///{tmp}/a.db", **kwargs)
        try:
            start = time.perf_counter()
            for d in order:
                result = store.add(
                    {
                        "url": url_of(d),
                        "site": d["site"],
                        "title": d["title"],
                        "text": d["text"],
                        "truncated": bool(d.get("truncated", False)),
                    }
                )
                statuses[result.status] += 1
            add_seconds = time.perf_counter() - start
            # Derive the prediction from what the archive stored, not from the add() results.
            parent: dict[str, str | None] = {}
            doc_of: dict[str, str] = {}
            for record in store.iter_records():
                parent[record.id] = record.dup_of
                doc_of[record.id] = by_url[record.url]["doc_id"]
        finally:
            store.close()

    def root(rid: str) -> str:
        seen = {rid}
        while (up := parent.get(rid)) is not None and up in parent and up not in seen:
            seen.add(up)
            rid = up
        return rid

    roots = {doc_of[rid]: root(rid) for rid in parent}
    missing = [d["doc_id"] for d in docs if d["doc_id"] not in roots]
    if missing:
        raise RuntimeError(f"{len(missing)} documents have no stored record, e.g. {missing[:3]}")
    return roots, add_seconds, statuses


def evaluate(docs: list[dict], roots: dict[str, str]) -> dict:
    """Pair counts by grouping (never enumerating cross-group pairs)."""
    group_of = {d["doc_id"]: d["group"] for d in docs}
    variant_of = {d["doc_id"]: d["variant"] for d in docs}
    by_group: dict[str, list[str]] = defaultdict(list)
    by_root: dict[str, list[str]] = defaultdict(list)
    cell: Counter[tuple[str, str]] = Counter()
    for d in docs:
        by_group[d["group"]].append(d["doc_id"])
        by_root[roots[d["doc_id"]]].append(d["doc_id"])
        cell[(roots[d["doc_id"]], d["group"])] += 1
    true_pairs = sum(pairs(len(v)) for v in by_group.values())
    predicted = sum(pairs(len(v)) for v in by_root.values())
    tp = sum(pairs(n) for n in cell.values())

    # False positives: within each root, the cross-group pairs, by group pair.
    fp_groups: Counter[tuple[str, str]] = Counter()
    for members in by_root.values():
        counts = Counter(group_of[m] for m in members)
        for (ga, na), (gb, nb) in combinations(sorted(counts.items()), 2):
            fp_groups[(ga, gb)] += na * nb

    # Recall per variant and the missed pairs by variant-kind pair: the true pairs, enumerated.
    per_variant: dict[str, Counter] = defaultdict(Counter)
    missed_kinds: Counter[tuple[str, str]] = Counter()
    total_kinds: Counter[tuple[str, str]] = Counter()
    docs_per_variant = Counter(variant_of.values())
    for members in by_group.values():
        original = next((m for m in members if variant_of[m] == "original"), None)
        for m in members:
            v = variant_of[m]
            if original is not None and m != original:
                per_variant[v]["orig_pairs"] += 1
                per_variant[v]["orig_hit"] += roots[m] == roots[original]
        for a, b in combinations(members, 2):
            kind = tuple(sorted((variant_of[a], variant_of[b])))
            hit = roots[a] == roots[b]
            total_kinds[kind] += 1
            if not hit:
                missed_kinds[kind] += 1
            for v in set(kind):
                per_variant[v]["pairs"] += 1
                per_variant[v]["hit"] += hit
    precision = tp / predicted if predicted else None  # undefined when nothing is predicted
    recall = tp / true_pairs if true_pairs else None
    return {
        "true_pairs": true_pairs,
        "predicted_pairs": predicted,
        "true_positives": tp,
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision and recall else 0.0,
        "fp_groups": fp_groups,
        "missed_kinds": missed_kinds,
        "total_kinds": total_kinds,
        "per_variant": per_variant,
        "docs_per_variant": docs_per_variant,
        "clusters": len(by_root),
        "groups": len(by_group),
    }


def fmt(x: float | None) -> str:
    """Three decimals, or n/a."""
    return "n/a" if x is None else f"{x:.3f}"


def report(res: dict, docs: list[dict], meta: dict, add_s: float, wall_s: float, statuses: Counter, show: int) -> str:
    """The printed table."""
    p, r, f1 = res["precision"], res["recall"], res["f1"]
    lines = [
        f"near-duplicate eval: {len(docs)} documents, {res['groups']} groups -> {res['clusters']} predicted clusters",
        f"archive package: {Path(archive.__file__).parent}",
        f"archive statuses: {dict(sorted(statuses.items()))}",
        "",
        f"{'pairs (true)':22} {res['true_pairs']:>8}",
        f"{'pairs (predicted)':22} {res['predicted_pairs']:>8}",
        f"{'true positives':22} {res['true_positives']:>8}",
        f"{'precision':22} {fmt(p):>8}" + ("   (no pairs predicted)" if p is None else ""),
        f"{'recall':22} {fmt(r):>8}",
        f"{'F1':22} {fmt(f1):>8}",
        "",
        "recall per variant (vs original: the copy and its group's original share a root;"
        " all pairs: every true pair the variant is in)",
        f"  {'variant':22} {'docs':>5} {'vs original':>14} {'recall':>7} {'all pairs':>11} {'recall':>7}",
    ]
    order = [
        "original",
        "exact",
        "masks_filled",
        "sentence_edits_5",
        "sentence_edits_10",
        "paragraph_dropped",
        "paragraphs_reordered",
        "boilerplate_diff",
        "truncated_preview",
        "sample_near_dup",
    ]
    variants = [v for v in order if v in res["docs_per_variant"]] + sorted(set(res["docs_per_variant"]) - set(order))
    for v in variants:
        c = res["per_variant"][v]
        vs = f"{c['orig_hit']}/{c['orig_pairs']}" if v != "original" else "-"
        vr = fmt(c["orig_hit"] / c["orig_pairs"]) if c["orig_pairs"] else "-"
        ar = fmt(c["hit"] / c["pairs"]) if c["pairs"] else "-"
        lines.append(f"  {v:22} {res['docs_per_variant'][v]:>5} {vs:>14} {vr:>7} {c['hit']:>5}/{c['pairs']:<5} {ar:>7}")

    groups = meta.get("groups", {})
    fp = res["fp_groups"]
    lines += ["", f"false positives: {sum(fp.values())} pairs across {len(fp)} group pairs"]
    for (ga, gb), n in fp.most_common(show):
        ta, tb = groups.get(ga, {}).get("topic"), groups.get(gb, {}).get("topic")
        note = f" [same topic: {ta}]" if ta and ta == tb else (f" [{ta} / {tb}]" if ta and tb else "")
        lines.append(f"  {ga} ~ {gb}: {n} pairs{note}")
    if groups:
        same_topic = sum(
            n for (ga, gb), n in fp.items() if groups.get(ga, {}).get("topic") == groups.get(gb, {}).get("topic")
        )
        lines.append(f"  of which between same-topic groups (hard negatives): {same_topic} pairs")

    missed = res["missed_kinds"]
    lines += ["", f"false negatives: {sum(missed.values())} pairs, by variant-kind pair (missed/true)"]
    for kind, n in missed.most_common(show):
        lines.append(f"  {kind[0]} ~ {kind[1]}: {n}/{res['total_kinds'][kind]}")

    lines += [
        "",
        f"wall time {wall_s:.2f} s (adding {add_s:.2f} s: {len(docs) / add_s:.0f} docs/s)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="the JSON-lines set (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="shuffle seed of the insertion order")
    parser.add_argument("--min-precision", type=float, help="exit 1 when precision is below this")
    parser.add_argument("--min-recall", type=float, help="exit 1 when recall is below this")
    parser.add_argument(
        "--near-index",
        metavar="MODULE:FACTORY",
        help="pass near_index=FACTORY() to open_archive (to try an index before open_archive uses one by default)",
    )
    parser.add_argument("--show", type=int, default=10, help="false positives / negatives listed (default 10)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the headline metrics as JSON")
    args = parser.parse_args(argv)

    try:
        docs = load_set(args.set)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: cannot read the set {args.set}: {exc}", file=sys.stderr)
        return 2
    meta = load_meta(args.set)
    wall_start = time.perf_counter()
    roots, add_s, statuses = run_archive(docs, args.seed, args.near_index)
    res = evaluate(docs, roots)
    wall_s = time.perf_counter() - wall_start
    print(report(res, docs, meta, add_s, wall_s, statuses, args.show))

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "set": str(args.set),
                    "documents": len(docs),
                    "groups": res["groups"],
                    "true_pairs": res["true_pairs"],
                    "predicted_pairs": res["predicted_pairs"],
                    "true_positives": res["true_positives"],
                    "precision": res["precision"],
                    "recall": res["recall"],
                    "f1": res["f1"],
                    "recall_vs_original": {
                        v: c["orig_hit"] / c["orig_pairs"] for v, c in res["per_variant"].items() if c["orig_pairs"]
                    },
                    "wall_seconds": round(wall_s, 3),
                    "docs_per_second": round(len(docs) / add_s, 1),
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )

    failed = []
    precision = 1.0 if res["precision"] is None else res["precision"]  # nothing predicted, nothing wrong
    if args.min_precision is not None and precision < args.min_precision:
        failed.append(f"precision {precision:.3f} < {args.min_precision}")
    if args.min_recall is not None and (res["recall"] or 0.0) < args.min_recall:
        failed.append(f"recall {res['recall'] or 0.0:.3f} < {args.min_recall}")
    if failed:
        print("FAIL: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
