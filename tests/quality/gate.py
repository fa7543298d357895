"""Quality gate: the benchmarks' scores may not drop below their pinned floors.

    python tests/quality/gate.py                     # check (exit 1 on any drop)
    python tests/quality/gate.py --update            # pin the current scores (only raises floors)
    python tests/quality/gate.py --update --allow-regression   # also lower a floor, on purpose

Scores: body precision/recall/F1, title, date and truncated-flag accuracy of our extractor on
the unprofiled-markup set, the held-out sets and the real-page set (bench/extraction_eval.py), per
markup (per source) body F1, on the real set also median page F1, date (day) accuracy and the share
of non-documents rejected, and pairwise
precision/recall of duplicate detection (bench/neardup_eval.py). Speed is not gated: tests
never assert on wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASELINE = Path(__file__).with_name("baseline.json")
EXTRACTION = ("body_precision", "body_recall", "body_f1", "title_exact", "date_accuracy", "truncated_accuracy")
# Measured on every set, but only the real set has non-documents and peers' kinds of date.
REAL = ("median_page_f1", "date_day_accuracy", "non_documents_rejected_share")
DEDUP = ("precision", "recall")
# The labelled set of the tests, the held-out sets and the real-page set (each fitted against since
# its first run). Only ours is run: the peers are for the benchmark's table.
EXTRACTION_SETS = {
    "extraction": ["--systems", "ours"],
    "heldout": ["--systems", "ours", "--set", str(ROOT / "bench" / "data" / "heldout")],
    "heldout2": ["--systems", "ours", "--set", str(ROOT / "bench" / "data" / "heldout2")],
    "real": ["--systems", "ours", "--set", str(ROOT / "bench" / "data" / "real")],
}
# Scores are ratios over a few hundred items: differences below this are rounding.
TOLERANCE = 1e-9


def measure() -> dict[str, float]:
    """Run both benchmarks and return the gated scores, flat."""
    scores: dict[str, float] = {}
    for prefix, options in EXTRACTION_SETS.items():
        extraction = json.loads(subprocess.run(
            [sys.executable, str(ROOT / "bench" / "extraction_eval.py"), "--json", *options],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout)
        ours = extraction["systems"]["ours"]
        scores.update({f"{prefix}/{name}": float(ours[name]) for name in EXTRACTION})
        if ours.get("non_documents"):
            ours["non_documents_rejected_share"] = ours["non_documents_rejected"] / ours["non_documents"]
            scores.update({f"{prefix}/{name}": float(ours[name]) for name in REAL})
        for markup, values in extraction["per_markup_body_f1"].items():
            scores[f"{prefix}/body_f1/{markup}"] = float(values["ours"])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "neardup.json"
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "neardup_eval.py"), "--json", str(out)],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )
        dedup = json.loads(out.read_text(encoding="utf-8"))
    scores.update({f"dedup/{name}": float(dedup[name]) for name in DEDUP})
    return scores


def compare(scores: dict[str, float], floors: dict[str, float]) -> list[str]:
    """One line per score below its floor (or missing)."""
    problems = []
    for name, floor in sorted(floors.items()):
        value = scores.get(name)
        if value is None:
            problems.append(f"{name}: no longer measured (floor {floor:.4f})")
        elif value + TOLERANCE < floor:
            problems.append(f"{name}: {value:.4f} < floor {floor:.4f}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Check the scores against the floors, or pin them with --update."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="pin the current scores as floors")
    parser.add_argument("--allow-regression", action="store_true", help="with --update, allow lowering a floor")
    args = parser.parse_args(argv)
    floors = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {}
    scores = measure()
    problems = compare(scores, floors)
    if args.update:
        if problems and not args.allow_regression:
            print("refusing to lower floors:\n  " + "\n  ".join(problems), file=sys.stderr)
            print("pass --allow-regression to lower them on purpose", file=sys.stderr)
            return 1
        # Rounded down, so a pinned floor never sits above the score it pins.
        merged = {name: math.floor(value * 10_000) / 10_000 for name, value in scores.items()}
        BASELINE.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"pinned {len(merged)} floors in {BASELINE.relative_to(ROOT)}")
        return 0
    for name in sorted(scores):
        print(f"{name:<40} {scores[name]:.4f}  (floor {floors.get(name, float('nan')):.4f})")
    if problems:
        print("quality gate FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print("quality gate passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
