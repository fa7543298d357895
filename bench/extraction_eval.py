#!/usr/bin/env python3
"""Score generic extraction on the labelled page set: our extractor next to plain trafilatura.

Usage::

    python bench/extraction_eval.py [--set tests/fixtures/generic/pages] [--json]

Ours: ``crawler.extract.extract_page`` with the ``GENERIC`` profile (falls back to ``SITES["baina"]``
while ``GENERIC`` does not exist, and drops the ``now`` argument while ``extract_page`` lacks it);
further pages of a multi-page article are extracted with ``continuation=True`` and joined with
``merge_pages``. Baseline: ``trafilatura.extract(html, url=url, output_format="txt")`` with default
settings for the body and ``trafilatura.extract_metadata`` for title and date, on the page decoded
with its declared (or sniffed) charset.

Body scores are precision / recall / F1 over character 3-grams (NFKC, all whitespace removed,
multiset counts), macro-averaged over documents. See bench/README-extraction.md. Always exits 0.
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import re
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SET = ROOT / "tests" / "fixtures" / "generic" / "pages"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# --------------------------------------------------------------------------------------
# The labelled set
# --------------------------------------------------------------------------------------

@dataclass
class Case:
    """One document page of the set (with its further pages for a multi-page article)."""

    markup: str
    name: str
    url: str
    content_type: str | None
    encoding: str
    fetched_at: str
    pages: list[tuple[str, bytes]]  # (url, raw bytes); the first one is the page itself
    records: list[dict[str, Any]]

    @property
    def key(self) -> str:
        """``<markup>/<case>``."""
        return f"{self.markup}/{self.name}"


def load_set(root: Path) -> list[Case]:
    """Every ``<markup>/<case>/page.html`` with its meta.json and expected.json."""
    cases = []
    for page in sorted(root.glob("*/*/page.html")):
        folder = page.parent
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        pages = [(meta["url"], page.read_bytes())]
        pages += [(p["url"], (folder / p["file"]).read_bytes()) for p in expected.get("pages", [])]
        cases.append(Case(
            markup=meta.get("markup", folder.parent.name),
            name=folder.name,
            url=meta["url"],
            content_type=meta.get("content_type"),
            encoding=meta.get("encoding", "utf-8"),
            fetched_at=meta.get("fetched_at", "2024-03-10T12:00:00+08:00"),
            pages=pages,
            records=expected["records"],
        ))
    return cases


# --------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------

_WS = re.compile(r"\s+")


def norm(text: str) -> str:
    """NFKC, all whitespace removed."""
    return _WS.sub("", unicodedata.normalize("NFKC", text or ""))


def grams(text: str, n: int = 3) -> Counter[str]:
    """Multiset of the character n-grams of the normalised text (the whole text when shorter)."""
    t = norm(text)
    if not t:
        return Counter()
    if len(t) < n:
        return Counter({t: 1})
    return Counter(t[i:i + n] for i in range(len(t) - n + 1))


def prf(pred: str, gold: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of character 3-gram multisets."""
    gp, gg = grams(pred), grams(gold)
    if not gp and not gg:
        return 1.0, 1.0, 1.0
    if not gp or not gg:
        return 0.0, 0.0, 0.0
    overlap = sum((gp & gg).values())
    p = overlap / sum(gp.values())
    r = overlap / sum(gg.values())
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def mean(values: list[float]) -> float:
    """Arithmetic mean; 0.0 for no values."""
    return sum(values) / len(values) if values else 0.0


@dataclass
class Scored:
    """One scored document: what was expected, what the system gave, and the scores."""

    case: Case
    label: str                 # e.g. "dedecms_a/compilation_3_parts#part-2"
    gold: dict[str, Any]
    present: bool
    text: str = ""
    title: str | None = None
    date: str | None = None
    truncated: bool | None = None
    p: float = 0.0
    r: float = 0.0
    f1: float = 0.0
    title_ok: bool = False
    date_ok: bool = False
    trunc_ok: bool = False
    note: str = ""


@dataclass
class SystemResult:
    """The scored documents, page-level scores and timing of one system."""

    name: str
    docs: list[Scored] = field(default_factory=list)
    page_f1: list[float] = field(default_factory=list)
    per_markup_page: dict[str, list[float]] = field(default_factory=dict)
    seconds: float | None = None
    pages: int = 0
    errors: list[str] = field(default_factory=list)
    next_pages_found: list[bool] = field(default_factory=list)
    info: str = ""

    def summary(self) -> dict[str, Any]:
        """The headline numbers."""
        d = self.docs
        return {
            "documents": len(d),
            "documents_missing": sum(not x.present for x in d),
            "body_precision": mean([x.p for x in d]),
            "body_recall": mean([x.r for x in d]),
            "body_f1": mean([x.f1 for x in d]),
            "body_f1_page_level": mean(self.page_f1),
            "title_exact": mean([float(x.title_ok) for x in d]),
            "date_accuracy": mean([float(x.date_ok) for x in d]),
            "truncated_accuracy": mean([float(x.trunc_ok) for x in d]),
            "next_pages_found": (mean([float(x) for x in self.next_pages_found])
                                 if self.next_pages_found else None),
            "pages": self.pages,
            "pages_per_second": (self.pages / self.seconds) if self.seconds else None,
            "errors": len(self.errors),
        }


# --------------------------------------------------------------------------------------
# Ours
# --------------------------------------------------------------------------------------

@dataclass
class OursApi:
    """What the benchmark needs of our extractor, resolved once."""

    extract_page: Any
    merge_pages: Any
    profile: Any
    profile_name: str
    supports_now: bool


def load_ours() -> tuple[OursApi | None, str]:
    """Import our extractor and pick the profile; (None, why) when impossible."""
    try:
        from crawler.extract import extract_page, merge_pages
    except Exception as exc:  # the extractor is being written: report, do not crash
        return None, f"cannot import crawler.extract: {exc!r}"
    profile, profile_name = None, ""
    try:
        from crawler.sites import GENERIC
        profile, profile_name = GENERIC, "GENERIC"
    except Exception:
        try:
            from crawler.sites import SITES
            profile, profile_name = SITES["baina"], 'SITES["baina"] (fallback: GENERIC not found)'
        except Exception as exc:
            return None, f"no profile: {exc!r}"
    try:
        supports_now = "now" in inspect.signature(extract_page).parameters
    except (TypeError, ValueError):
        supports_now = False
    return OursApi(extract_page, merge_pages, profile, profile_name, supports_now), ""


def ours_extract(api: OursApi, case: Case) -> tuple[list[Any], str, tuple[str, ...]]:
    """Documents of one case (multi-page merged), a note, and the first document's next_pages."""
    kwargs: dict[str, Any] = {"content_type": case.content_type}
    if api.supports_now:
        kwargs["now"] = datetime.fromisoformat(case.fetched_at)
    url, raw = case.pages[0]
    result = api.extract_page(raw, url, api.profile, **kwargs)
    docs = list(getattr(result, "documents", ()) or ())
    if not docs:
        reason = getattr(result, "reason", "?")
        detail = getattr(result, "detail", "")
        return [], f"skipped: {reason}{(' (' + detail + ')') if detail else ''}", ()
    next_pages = tuple(getattr(docs[0], "next_pages", ()) or ())
    note = ""
    if len(case.pages) > 1:
        rest = []
        for purl, praw in case.pages[1:]:
            r = api.extract_page(praw, purl, api.profile, continuation=True, **kwargs)
            more = list(getattr(r, "documents", ()) or ())
            if more:
                rest.append(more[0])
            else:
                note = f"page {purl} skipped: {getattr(r, 'reason', '?')}"
        docs[0] = api.merge_pages(docs[0], rest)
    return docs, note, next_pages


def run_ours(api: OursApi, cases: list[Case]) -> dict[str, tuple[list[Any], str, tuple[str, ...]]]:
    """One extraction pass over every case (errors become notes)."""
    out: dict[str, tuple[list[Any], str, tuple[str, ...]]] = {}
    for case in cases:
        try:
            out[case.key] = ours_extract(api, case)
        except Exception as exc:
            out[case.key] = ([], f"error: {type(exc).__name__}: {exc}", ())
    return out


def _clear_caches() -> None:
    """Forget memoised date parses, so each timed run pays for them as a crawl of new pages would."""
    try:
        from crawler.extract import dates
    except ImportError:
        return
    for name in ("_parse_token",):
        cached = getattr(dates, name, None)
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()


def score_ours(api: OursApi | None, cases: list[Case], info: str) -> SystemResult:
    """Run ours three times (best wall time) and score the last run."""
    res = SystemResult("ours", info=info)
    res.pages = sum(len(c.pages) for c in cases)
    if api is None:
        return res
    best = None
    outputs: dict[str, tuple[list[Any], str, tuple[str, ...]]] = {}
    for _ in range(3):
        _clear_caches()
        t0 = time.perf_counter()
        outputs = run_ours(api, cases)
        elapsed = time.perf_counter() - t0
        best = elapsed if best is None else min(best, elapsed)
    res.seconds = best
    for case in cases:
        docs, note, next_pages = outputs[case.key]
        if note.startswith("error"):
            res.errors.append(f"{case.key}: {note}")
        by_url = {getattr(d, "url", ""): d for d in docs}
        page_level = [d for d in docs if "#" not in getattr(d, "url", "")]
        for gold in case.records:
            want = case.url + gold["url_suffix"]
            doc = by_url.get(want)
            how = ""
            if doc is None and len(docs) == 1 and len(case.records) == 1:
                doc, how = docs[0], f"(url differs: {getattr(docs[0], 'url', '')})"
            elif doc is None and page_level:
                doc, how = page_level[0], "(not split: compared with the page-level document)"
            label = case.key + gold["url_suffix"]
            if doc is None:
                res.docs.append(Scored(case, label, gold, present=False, note=note or "no matching document"))
                continue
            text = getattr(doc, "text", "") or ""
            p, r, f1 = prf(text, gold["text"])
            date = getattr(doc, "published_at", None)
            trunc = bool(getattr(doc, "truncated", False))
            title = getattr(doc, "title", None)
            res.docs.append(Scored(
                case, label, gold, True, text, title, date, trunc, p, r, f1,
                title_ok=title == gold["title"], date_ok=date == gold["published_at"],
                trunc_ok=trunc == gold["truncated"], note=" ".join(x for x in (how, note) if x),
            ))
        pred_all = "\n".join(getattr(d, "text", "") or "" for d in docs)
        gold_all = "\n".join(g["text"] for g in case.records)
        f1 = prf(pred_all, gold_all)[2]
        res.page_f1.append(f1)
        res.per_markup_page.setdefault(case.markup, []).append(f1)
        if len(case.pages) > 1:
            want_next = [u for u, _ in case.pages[1:]]
            res.next_pages_found.append(list(next_pages) == want_next)
    return res


# --------------------------------------------------------------------------------------
# Plain trafilatura
# --------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936"}


def _codec(name: str) -> str:
    name = name.strip().lower()
    return "gb18030" if name in _GB else name


def decode_fair(raw: bytes, content_type: str | None) -> str:
    """Decode with the header charset, else the meta charset, else utf-8, else gb18030."""
    names = []
    if content_type and "charset=" in content_type.lower():
        names.append(content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'"))
    m = _META_CHARSET.search(raw[:4096])
    if m:
        names.append(m.group(1).decode("ascii", "replace"))
    names += ["utf-8", "gb18030"]
    for name in names:
        try:
            return raw.decode(_codec(name))
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("utf-8", errors="replace")


def traf_extract(case: Case) -> tuple[str, str | None, str | None]:
    """Plain trafilatura: body of every page joined, title and date of the first page."""
    import trafilatura

    texts = []
    title = date = None
    for i, (url, raw) in enumerate(case.pages):
        html_str = decode_fair(raw, case.content_type)
        texts.append(trafilatura.extract(html_str, url=url, output_format="txt") or "")
        if i == 0:
            meta = trafilatura.extract_metadata(html_str, default_url=url)
            title = getattr(meta, "title", None) if meta else None
            date = getattr(meta, "date", None) if meta else None
    return "\n".join(t for t in texts if t), title, date


def score_traf(cases: list[Case]) -> SystemResult:
    """Run trafilatura three times (best wall time) and score it, one document per page."""
    res = SystemResult("trafilatura")
    res.pages = sum(len(c.pages) for c in cases)
    try:
        import trafilatura
        res.info = f"trafilatura {trafilatura.__version__}, default settings"
    except Exception as exc:
        res.info = f"unavailable: {exc!r}"
        return res
    outputs: dict[str, tuple[str, str | None, str | None] | str] = {}
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        for case in cases:
            try:
                outputs[case.key] = traf_extract(case)
            except Exception as exc:
                outputs[case.key] = f"error: {type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - t0
        best = elapsed if best is None else min(best, elapsed)
    res.seconds = best
    for case in cases:
        out = outputs[case.key]
        recs = case.records
        compilation = len(recs) > 1
        gold = {
            "text": "\n".join(r["text"] for r in recs),
            "title": recs[0]["collection"] if compilation else recs[0]["title"],
            "published_at": recs[0]["published_at"],
            "truncated": any(r["truncated"] for r in recs),
        }
        if isinstance(out, str):
            res.errors.append(f"{case.key}: {out}")
            res.docs.append(Scored(case, case.key, gold, present=False, note=out))
            res.page_f1.append(0.0)
            res.per_markup_page.setdefault(case.markup, []).append(0.0)
            continue
        text, title, date = out
        p, r, f1 = prf(text, gold["text"])
        want = gold["published_at"]
        date_ok = (date is None) if want is None else (date is not None and date[:10] == want[:10])
        res.docs.append(Scored(
            case, case.key, gold, bool(text), text, title, date, False, p, r, f1,
            title_ok=title == gold["title"], date_ok=date_ok, trunc_ok=not gold["truncated"],
            note="compilation scored as one document" if compilation else "",
        ))
        res.page_f1.append(f1)
        res.per_markup_page.setdefault(case.markup, []).append(f1)
    return res


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------

def diff_hint(s: Scored) -> str:
    """A one-line hint of what went wrong with a document."""
    if not s.present:
        return s.note or "no document"
    gold_paras = [p for p in s.gold["text"].split("\n") if p]
    pred_paras = [p for p in (s.text or "").split("\n") if p.strip()]
    pn, gn = norm(s.text), norm(s.gold["text"])
    missing = [p for p in gold_paras if norm(p) not in pn]
    extra = [p for p in pred_paras if norm(p) not in gn]
    bits = []
    if missing:
        bits.append(f"missing {len(missing)}/{len(gold_paras)} paras, e.g. «{missing[0].strip()[:28]}»")
    if extra:
        bits.append(f"extra {len(extra)} paras, e.g. «{extra[0].strip()[:28]}»")
    if not s.title_ok:
        bits.append(f"title «{(s.title or '')[:24]}» != «{s.gold['title'][:24]}»")
    if not s.date_ok:
        bits.append(f"date {s.date} != {s.gold['published_at']}")
    if not s.trunc_ok:
        bits.append(f"truncated {s.truncated} != {s.gold['truncated']}")
    if s.note:
        bits.append(s.note)
    return "; ".join(bits) or "text differs only inside paragraphs"


def fmt(v: Any, pct: bool = True) -> str:
    """Format a number for the table."""
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v * 100:.1f}%" if pct else f"{v:.1f}"
    return str(v)


def report(ours: SystemResult, traf: SystemResult, cases: list[Case], set_path: Path) -> dict[str, Any]:
    """All numbers as a JSON-ready dict."""
    so, st = ours.summary(), traf.summary()
    markups = sorted({c.markup for c in cases})
    per_markup = {}
    for m in markups:
        per_markup[m] = {
            "ours": mean([d.f1 for d in ours.docs if d.case.markup == m]) if ours.docs else None,
            "trafilatura": mean([d.f1 for d in traf.docs if d.case.markup == m]) if traf.docs else None,
            "documents": sum(1 for c in cases if c.markup == m),
        }
    worst = sorted(ours.docs, key=lambda d: (d.f1, d.label))[:5]
    return {
        "set": str(set_path),
        "cases": len(cases),
        "records": sum(len(c.records) for c in cases),
        "ours_profile": ours.info,
        "trafilatura": traf.info,
        "systems": {"ours": so, "trafilatura": st},
        "per_markup_body_f1": per_markup,
        "worst_ours": [{"document": d.label, "f1": d.f1, "precision": d.p, "recall": d.r, "hint": diff_hint(d)}
                       for d in worst],
        "errors": {"ours": ours.errors, "trafilatura": traf.errors},
    }


def print_table(rep: dict[str, Any], ours_available: bool) -> None:
    """The human-readable report."""
    so, st = rep["systems"]["ours"], rep["systems"]["trafilatura"]
    print(f"Extraction benchmark: {rep['cases']} document pages, {rep['records']} expected records ({rep['set']})")
    print(f"ours: crawler.extract.extract_page with {rep['ours_profile'] or 'n/a'}")
    print(f"baseline: {rep['trafilatura']}")
    print()
    rows = [
        ("documents scored", "documents", False),
        ("documents missing", "documents_missing", False),
        ("body precision (3-gram, macro)", "body_precision", True),
        ("body recall (3-gram, macro)", "body_recall", True),
        ("body F1 (3-gram, macro)", "body_f1", True),
        ("body F1, page level", "body_f1_page_level", True),
        ("title exact match", "title_exact", True),
        ("date accuracy", "date_accuracy", True),
        ("truncated-flag accuracy", "truncated_accuracy", True),
        ("next_pages found (multi-page)", "next_pages_found", True),
        ("pages/second (best of 3)", "pages_per_second", False),
        ("extraction errors", "errors", False),
    ]
    w = max(len(r[0]) for r in rows) + 2
    print(f"{'metric':<{w}}{'ours':>12}{'trafilatura':>14}")
    print("-" * (w + 26))
    for label, key, pct in rows:
        a = so.get(key) if ours_available else None
        b = st.get(key)
        if key == "pages_per_second":
            sa = f"{a:.1f}" if isinstance(a, float) else "n/a"
            sb = f"{b:.1f}" if isinstance(b, float) else "n/a"
        elif pct:
            sa, sb = fmt(a), fmt(b)
        else:
            sa, sb = fmt(a, False), fmt(b, False)
        if key == "next_pages_found":
            sb = "n/a"
        print(f"{label:<{w}}{sa:>12}{sb:>14}")
    print()
    print("Notes: ours scores one document per expected record (compilation parts separately; an unsplit page is")
    print("compared with each part); trafilatura scores one document per page (a compilation against the")
    print("concatenation of its parts, title against the page title), texts of all pages of a multi-page article")
    print("joined. trafilatura has no truncation notion (predicts False). trafilatura's date is compared on its")
    print("YYYY-MM-DD only: a time-bearing expectation counts as correct when the date part matches; ours must match")
    print("the ISO string exactly. null is correct when null is expected (a missing document counts as wrong).")
    print("Body F1 page level: all texts of a page against all expected texts of it, for both systems.")
    print()
    print("Per-markup body F1 (macro):")
    pm = rep["per_markup_body_f1"]
    mw = max(len(m) for m in pm) + 2
    print(f"  {'markup':<{mw}}{'docs':>5}{'ours':>10}{'trafilatura':>14}")
    for m, v in pm.items():
        ours_f1 = fmt(v["ours"]) if ours_available else "n/a"
        print(f"  {m:<{mw}}{v['documents']:>5}{ours_f1:>10}{fmt(v['trafilatura']):>14}")
    print()
    if ours_available:
        print("Worst 5 documents for ours (body F1):")
        for wd in rep["worst_ours"]:
            scores = f"{wd['f1'] * 100:5.1f}%  P={wd['precision'] * 100:5.1f}% R={wd['recall'] * 100:5.1f}%"
            print(f"  {scores}  {wd['document']}")
            print(f"         {wd['hint']}")
    for name, errs in rep["errors"].items():
        for e in errs[:10]:
            print(f"error ({name}): {e}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; always returns 0."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", type=Path, default=DEFAULT_SET, help="folder of <markup>/<case>/ fixtures")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)  # trafilatura / htmldate chatter
    cases = load_set(args.set)
    if not cases:
        print(f"no cases under {args.set}", file=sys.stderr)
        return 0
    api, why = load_ours()
    if api is None:
        info = why
    else:
        info = api.profile_name + ("" if api.supports_now else "; extract_page has no `now` argument yet")
    ours = score_ours(api, cases, info)
    traf = score_traf(cases)
    rep = report(ours, traf, cases, args.set)
    rep["ours_available"] = api is not None
    if args.json:
        print(json.dumps(rep, ensure_ascii=False, indent=2))
    else:
        print_table(rep, api is not None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
