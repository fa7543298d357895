#!/usr/bin/env python3
"""Score generic extraction on a labelled page set: our extractor next to peer extractors.

Usage::

    python bench/extraction_eval.py [--set tests/fixtures/generic/pages] [--json]
        [--systems ours,trafilatura,trafilatura_precision,readability,gne] [--details FILE] [--worst N]

Ours: ``crawler.extract.extract_page`` with the ``GENERIC`` profile (falls back to ``SITES["baina"]``
while ``GENERIC`` does not exist, and drops the ``now`` argument while ``extract_page`` lacks it);
further pages of a multi-page article are extracted with ``continuation=True`` and joined with
``merge_pages``. Peers, each given the page decoded with its declared (or sniffed) charset:
``trafilatura.extract(html, url=url, output_format="txt")`` with default settings (title and date from
``trafilatura.extract_metadata``), the same with ``favor_precision=True``, readability-lxml
(``Document.summary()`` as text, ``Document.title()``, no date) and GNE (``GeneralNewsExtractor``).

Two set formats are read: the fixture format (every record has ``truncated``, ``url_suffix``,
``collection``) and the real-page format of bench/data/real (``document`` true/false, records without
those fields). Body scores are precision / recall / F1 over character 3-grams (NFKC, all whitespace
removed, multiset counts), macro-averaged over documents. See bench/README-extraction.md. Always exits 0.
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SET = ROOT / "tests" / "fixtures" / "generic" / "pages"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Where a real-format page with ``"url": null`` pretends to live (bench/data/real/README.md).
LOCAL_URL = "http://127.0.0.1:8000/{source}/{case}.html"
CHINA = timezone(timedelta(hours=8))


# --------------------------------------------------------------------------------------
# The labelled set
# --------------------------------------------------------------------------------------

@dataclass
class Case:
    """One page of the set (with its further pages for a multi-page article)."""

    markup: str
    name: str
    url: str
    content_type: str | None
    encoding: str
    fetched_at: str
    pages: list[tuple[str, bytes]]  # (url, raw bytes); the first one is the page itself
    records: list[dict[str, Any]]   # empty for a non-document page
    document: bool = True           # False: a list / channel / board page that should be rejected
    kind: str | None = None         # meta.json ``kind`` (gov, news, ...), real format only
    expected_kind: str | None = None  # expected.json ``kind`` of a non-document (list, board, ...)
    must_not_contain: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """``<markup>/<case>``."""
        return f"{self.markup}/{self.name}"


def _record(raw: dict[str, Any]) -> dict[str, Any]:
    """A record with the fixture format's fields filled in, so one scoring path serves both formats.

    The real format has no truncation labels (its pages are whole as saved), no compilation title and
    no ``url_suffix`` for a single document.
    """
    return {"truncated": False, "url_suffix": "", "collection": None, **raw}


def load_set(root: Path) -> list[Case]:
    """Every ``<markup>/<case>/page.html`` with its meta.json and expected.json (either format)."""
    cases = []
    for page in sorted(root.glob("*/*/page.html")):
        folder = page.parent
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        url = meta.get("url") or LOCAL_URL.format(source=folder.parent.name, case=folder.name)
        document = expected.get("document", True)
        pages = [(url, page.read_bytes())]
        pages += [(p["url"], (folder / p["file"]).read_bytes()) for p in expected.get("pages", [])]
        cases.append(Case(
            markup=meta.get("markup", folder.parent.name),
            name=folder.name,
            url=url,
            content_type=meta.get("content_type"),
            encoding=meta.get("encoding", "utf-8"),
            fetched_at=meta.get("fetched_at", "2024-03-10T12:00:00+08:00"),
            pages=pages,
            records=[_record(r) for r in expected.get("records", [])] if document else [],
            document=document,
            kind=meta.get("kind"),
            expected_kind=expected.get("kind"),
            must_not_contain=list(expected.get("must_not_contain", [])),
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


def mean_or_none(values: list[float]) -> float | None:
    """Arithmetic mean; None for no values (a metric with nothing to measure is n/a, not 0)."""
    return sum(values) / len(values) if values else None


def same_day(pred: str | None, want: str | None) -> bool:
    """The first 10 characters (YYYY-MM-DD) agree; null is right only when null is expected."""
    return (pred is None) if want is None else (pred is not None and pred[:10] == want[:10])


def leaks(text: str, chrome: list[str]) -> list[str]:
    """The ``must_not_contain`` strings found in the text (both sides normalised like the body score)."""
    t = norm(text)
    return [s for s in chrome if norm(s) and norm(s) in t]


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
    title_ok: bool | None = False  # None: no gold title to compare with (a compilation without collection)
    date_ok: bool = False          # the historical rule: exact for ours, day for peers
    trunc_ok: bool = False
    note: str = ""
    date_day_ok: bool = False
    date_exact_ok: bool = False


@dataclass
class PageResult:
    """What a system made of one whole page: the base of the page-level and rejection metrics."""

    case: Case
    produced: bool                 # ours: at least one document; a peer: some text
    text: str = ""                 # all texts the system gave for the page, joined
    p: float | None = None         # page level, against all expected texts; None on non-documents
    r: float | None = None
    f1: float | None = None
    note: str = ""                 # skip reason or error
    title: str | None = None       # what the system took for the title (first document)
    seconds: float | None = None   # extraction time of the page (last timed run)
    leaked: list[str] = field(default_factory=list)


# Keys of the historical summary that were 0.0, not null, when there was nothing to average.
_ZERO_WHEN_EMPTY = ("body_precision", "body_recall", "body_f1", "body_f1_page_level",
                    "title_exact", "date_accuracy", "truncated_accuracy")


@dataclass
class SystemResult:
    """The scored documents, page results and timing of one system."""

    name: str
    info: str = ""
    dates: str = "day"  # "exact" (ours: full ISO string), "day", "time" (gives times too), "none"
    docs: list[Scored] = field(default_factory=list)
    page_results: list[PageResult] = field(default_factory=list)
    seconds: float | None = None
    pages: int = 0
    errors: list[str] = field(default_factory=list)
    next_pages_found: list[bool] = field(default_factory=list)

    def quality(self, markup: str | None = None, traf_f1: dict[str, float] | None = None) -> dict[str, Any]:
        """The quality numbers over the whole set or one source; None where there is nothing to measure.

        ``traf_f1`` (page F1 of plain trafilatura by case key) enables
        ``pages_below_half_where_traf_09``: pages this system loses that a stock extractor gets right.
        """
        d = [x for x in self.docs if markup is None or x.case.markup == markup]
        pages = [x for x in self.page_results if markup is None or x.case.markup == markup]
        doc_pages = [x for x in pages if x.case.document and x.f1 is not None]
        non_docs = [x for x in pages if not x.case.document]
        with_chrome = [x for x in pages if x.case.must_not_contain]
        page_f1 = [x.f1 for x in doc_pages if x.f1 is not None]
        titled = [float(x.title_ok) for x in d if x.title_ok is not None]
        has_dates = self.dates != "none"
        return {
            "documents": len(d),
            "documents_missing": sum(not x.present for x in d),
            "body_precision": mean_or_none([x.p for x in d]),
            "body_recall": mean_or_none([x.r for x in d]),
            "body_f1": mean_or_none([x.f1 for x in d]),
            "body_f1_page_level": mean_or_none(page_f1),
            "median_page_f1": statistics.median(page_f1) if page_f1 else None,
            "pages_f1_ge_095": sum(f >= 0.95 for f in page_f1),
            "pages_below_half_where_traf_09": None if traf_f1 is None else sum(
                x.f1 is not None and x.f1 < 0.5 and traf_f1.get(x.case.key, 0.0) >= 0.9 for x in doc_pages),
            "title_exact": mean_or_none(titled),
            "date_accuracy": mean_or_none([float(x.date_ok) for x in d]) if has_dates else None,
            "date_day_accuracy": mean_or_none([float(x.date_day_ok) for x in d]) if has_dates else None,
            "date_exact": (mean_or_none([float(x.date_exact_ok) for x in d])
                           if self.dates in ("exact", "time") else None),
            "truncated_accuracy": mean_or_none([float(x.trunc_ok) for x in d]),
            "non_documents": len(non_docs),
            "non_documents_rejected": sum(not x.produced for x in non_docs),
            "false_rejections": sum(not x.produced for x in pages if x.case.document),
            "chrome_leaks": sum(bool(x.leaked) for x in with_chrome) if with_chrome else None,
        }

    def summary(self, traf_f1: dict[str, float] | None = None) -> dict[str, Any]:
        """The headline numbers: the historical keys first (same meaning and empty values), then the new ones."""
        q = self.quality(traf_f1=traf_f1)
        for key in _ZERO_WHEN_EMPTY:
            if q[key] is None and (key != "date_accuracy" or self.dates != "none"):
                q[key] = 0.0
        old = ("documents", "documents_missing", "body_precision", "body_recall", "body_f1",
               "body_f1_page_level", "title_exact", "date_accuracy", "truncated_accuracy")
        out = {k: q.pop(k) for k in old}
        out.update({
            "next_pages_found": (mean([float(x) for x in self.next_pages_found])
                                 if self.next_pages_found else None),
            "pages": self.pages,
            "pages_per_second": (self.pages / self.seconds) if self.seconds else None,
            "errors": len(self.errors),
        })
        out.update(q)
        return out


T = TypeVar("T")


def best_of_three(run: Callable[[], T], before: Callable[[], None] | None = None) -> tuple[float, T]:
    """Best wall time of three runs and the last run's output; ``before`` runs untimed ahead of each.

    Every system is timed through here, so pages/s compare like with like: the extraction calls only
    (the set is read beforehand), decoding included for the peers that need a str.
    """
    best: float | None = None
    out: T
    for _ in range(3):
        if before is not None:
            before()
        t0 = time.perf_counter()
        out = run()
        elapsed = time.perf_counter() - t0
        best = elapsed if best is None else min(best, elapsed)
    assert best is not None
    return best, out


def run_cases(one: Callable[[Case], T], cases: list[Case]) -> dict[str, tuple[T | str, float]]:
    """One pass of a system over every case: its output, or ``error: ...`` when it raised, and its seconds.

    An error never stops the pass; the per-case seconds go to ``--details`` (a slow page is a finding too).
    """
    out: dict[str, tuple[T | str, float]] = {}
    for case in cases:
        t0 = time.perf_counter()
        try:
            got: T | str = one(case)
        except Exception as exc:
            got = f"error: {type(exc).__name__}: {exc}"
        out[case.key] = (got, time.perf_counter() - t0)
    return out


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
    """Run ours three times (best wall time) and score the last run, one document per expected record."""
    res = SystemResult("ours", info=info, dates="exact")
    res.pages = sum(len(c.pages) for c in cases)
    if api is None:
        return res
    res.seconds, outputs = best_of_three(partial(run_cases, partial(ours_extract, api), cases), before=_clear_caches)
    for case in cases:
        got, seconds = outputs[case.key]
        docs, note, next_pages = ([], got, ()) if isinstance(got, str) else got
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
                date_day_ok=same_day(date, gold["published_at"]), date_exact_ok=date == gold["published_at"],
            ))
        pred_all = "\n".join(getattr(d, "text", "") or "" for d in docs)
        page = PageResult(case, produced=bool(docs), text=pred_all, note=note,
                          title=getattr(docs[0], "title", None) if docs else None, seconds=seconds,
                          leaked=leaks(pred_all, case.must_not_contain))
        if case.document:
            page.p, page.r, page.f1 = prf(pred_all, "\n".join(g["text"] for g in case.records))
        res.page_results.append(page)
        if len(case.pages) > 1:
            want_next = [u for u, _ in case.pages[1:]]
            res.next_pages_found.append(list(next_pages) == want_next)
    return res


# --------------------------------------------------------------------------------------
# Peers: one text, title and date per page; scored by one shared path
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


# (decoded html, url, first page?) -> (text, title, date); title and date are only asked of the first page.
PageFn = Callable[[str, str, bool], tuple[str, str | None, str | None]]


@dataclass(frozen=True)
class Peer:
    """A peer extractor: how to import it (may fail: then it is reported unavailable) and what dates it gives."""

    name: str
    load: Callable[[], tuple[PageFn, str]]  # -> (per-page function, info line); raises when not installed
    dates: str  # "day" (YYYY-MM-DD only), "time" (times too: date_exact is measured), "none"


def _load_trafilatura(favor_precision: bool) -> tuple[PageFn, str]:
    import trafilatura

    def page(html_str: str, url: str, first: bool) -> tuple[str, str | None, str | None]:
        text = trafilatura.extract(html_str, url=url, output_format="txt", favor_precision=favor_precision) or ""
        title = date = None
        if first:
            meta = trafilatura.extract_metadata(html_str, default_url=url)
            title = getattr(meta, "title", None) if meta else None
            date = getattr(meta, "date", None) if meta else None
        return text, title, date

    settings = "favor_precision=True" if favor_precision else "default settings"
    return page, f"trafilatura {trafilatura.__version__}, {settings}"


_BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption dd div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table tbody td tfoot th thead tr ul".split()
)


def html_to_text(fragment: str) -> str:
    """Visible text of an HTML fragment, one line per block element (readability returns HTML, not text).

    Iterative (``iterwalk``), so deeply nested markup cannot exhaust the recursion limit.
    """
    from lxml import etree, html

    if not fragment or not fragment.strip():
        return ""
    parts: list[str] = []
    for event, el in etree.iterwalk(html.fromstring(fragment), events=("start", "end")):
        is_tag = isinstance(el.tag, str)  # comments and processing instructions are not
        block = is_tag and el.tag.lower() in _BLOCK_TAGS
        if event == "start":
            if block:
                parts.append("\n")
            if is_tag and el.text and el.tag.lower() not in ("script", "style"):
                parts.append(el.text)
        else:
            if block:
                parts.append("\n")
            if el.tail:
                parts.append(el.tail)
    lines = (line.strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _load_readability() -> tuple[PageFn, str]:
    import readability
    from readability import Document

    def page(html_str: str, url: str, first: bool) -> tuple[str, str | None, str | None]:
        doc = Document(html_str, url=url)
        return html_to_text(doc.summary()), (doc.title() if first else None), None

    version = getattr(readability, "__version__", "?")
    return page, f"readability-lxml {version}, Document.summary() as text, Document.title(), no date"


_CN_DATE = re.compile(
    r"(\d{4}|\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\D{0,3}?(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
)


def iso_date(raw: str | None) -> str | None:
    """A date string as the set writes it: ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SS+08:00``.

    GNE returns the date as it appears on the page (``2023年4月25日 10:30``, ``23-04-25 10:30``, an ISO
    string from a meta tag): put into the set's form, so its date is compared on content, not spelling.
    Times without a zone are taken as China time, as the set's labels are; zoned times are converted.
    """
    if not raw or not raw.strip():
        return None
    s = raw.strip()
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        m = _CN_DATE.search(s)
        if not m:
            return None
        y, mo, d, h, mi, sec = m.groups()
        year = int(y) + (2000 if len(y) == 2 else 0)
        try:
            dt = datetime(year, int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0))
        except ValueError:
            return None
        if h is None:
            return dt.date().isoformat()
    else:
        if len(s) <= 10:
            return dt.date().isoformat()
    dt = dt.replace(tzinfo=CHINA) if dt.tzinfo is None else dt.astimezone(CHINA)
    return dt.isoformat(timespec="seconds")


def _load_gne() -> tuple[PageFn, str]:
    import gne
    from gne import GeneralNewsExtractor

    extractor = GeneralNewsExtractor()

    def page(html_str: str, url: str, first: bool) -> tuple[str, str | None, str | None]:
        out = extractor.extract(html_str)  # raises (e.g. NoContentException) on some pages: an error
        return out.get("content") or "", out.get("title") or None, iso_date(out.get("publish_time"))

    return page, f"GNE {gne.__version__}, GeneralNewsExtractor().extract(html_str), date normalised to ISO"


PEERS: dict[str, Peer] = {
    "trafilatura": Peer("trafilatura", partial(_load_trafilatura, False), "day"),
    "trafilatura_precision": Peer("trafilatura_precision", partial(_load_trafilatura, True), "day"),
    "readability": Peer("readability", _load_readability, "none"),
    "gne": Peer("gne", _load_gne, "time"),
}
SYSTEMS = ("ours", *PEERS)


def peer_case(fn: PageFn, case: Case) -> tuple[str, str | None, str | None]:
    """A peer on one case: body of every page joined, title and date of the first page."""
    texts = []
    title = date = None
    for i, (url, raw) in enumerate(case.pages):
        text, t, d = fn(decode_fair(raw, case.content_type), url, i == 0)
        texts.append(text or "")
        if i == 0:
            title, date = t, d
    return "\n".join(t for t in texts if t), title, date


def page_gold(case: Case) -> dict[str, Any]:
    """The expectation for a one-document-per-page system: a compilation's parts joined, its collection title.

    A compilation without a ``collection`` (the real format has none) has no page title to compare
    with: its title is None and left out of title_exact.
    """
    recs = case.records
    compilation = len(recs) > 1
    return {
        "text": "\n".join(r["text"] for r in recs),
        "title": recs[0]["collection"] if compilation else recs[0]["title"],
        "published_at": recs[0]["published_at"],
        "truncated": any(r["truncated"] for r in recs),
    }


def score_peer(peer: Peer, fn: PageFn, info: str, cases: list[Case]) -> SystemResult:
    """Run a peer three times (best wall time) and score it, one document per page."""
    res = SystemResult(peer.name, info=info, dates=peer.dates)
    res.pages = sum(len(c.pages) for c in cases)
    res.seconds, outputs = best_of_three(partial(run_cases, partial(peer_case, fn), cases))
    for case in cases:
        out, seconds = outputs[case.key]
        if isinstance(out, str):
            res.errors.append(f"{case.key}: {out}")
        text, title, date = ("", None, None) if isinstance(out, str) else out
        note = out if isinstance(out, str) else ""
        page = PageResult(case, produced=bool(text), text=text, note=note, title=title, seconds=seconds,
                          leaked=leaks(text, case.must_not_contain))
        res.page_results.append(page)
        if not case.document:
            continue
        gold = page_gold(case)
        page.p, page.r, page.f1 = prf(text, gold["text"]) if not note else (0.0, 0.0, 0.0)
        if note:
            res.docs.append(Scored(case, case.key, gold, present=False, note=note,
                                   title_ok=None if gold["title"] is None else False))
            continue
        want = gold["published_at"]
        res.docs.append(Scored(
            case, case.key, gold, bool(text), text, title, date, False, page.p, page.r, page.f1,
            title_ok=None if gold["title"] is None else title == gold["title"],
            date_ok=same_day(date, want), trunc_ok=not gold["truncated"],
            note="compilation scored as one document" if len(case.records) > 1 else "",
            date_day_ok=same_day(date, want), date_exact_ok=date == want,
        ))
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
    if s.title_ok is False:
        bits.append(f"title «{(s.title or '')[:24]}» != «{(s.gold['title'] or '')[:24]}»")
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


def _markup_f1(res: SystemResult | None, markup: str) -> float | None:
    """The historical per-markup body F1 (``per_markup_body_f1``): None when the system scored nothing."""
    if res is None or not res.docs:
        return None
    return mean([d.f1 for d in res.docs if d.case.markup == markup])


def report(results: dict[str, SystemResult], unavailable: dict[str, str], cases: list[Case], set_path: Path,
           worst_n: int = 10) -> dict[str, Any]:
    """All numbers as a JSON-ready dict (the historical keys kept, the new blocks added)."""
    ours, traf = results.get("ours"), results.get("trafilatura")
    traf_f1 = ({p.case.key: p.f1 for p in traf.page_results if p.f1 is not None}
               if traf is not None else None)
    markups = sorted({c.markup for c in cases})
    per_markup, per_source = {}, {}
    for m in markups:
        in_m = [c for c in cases if c.markup == m]
        n_docs = sum(c.document for c in in_m)
        per_markup[m] = {"ours": _markup_f1(ours, m), "trafilatura": _markup_f1(traf, m), "documents": n_docs}
        per_source[m] = {
            "pages": len(in_m), "documents": n_docs, "non_documents": len(in_m) - n_docs,
            "records": sum(len(c.records) for c in in_m),
            "systems": {name: res.quality(m, traf_f1) for name, res in results.items()},
        }
    worst = sorted(ours.docs, key=lambda d: (d.f1, d.label))[:worst_n] if ours is not None else []
    non_docs = [c for c in cases if not c.document]
    return {
        "set": str(set_path),
        "cases": len(cases),
        "document_pages": len(cases) - len(non_docs),
        "records": sum(len(c.records) for c in cases),
        "ours_profile": ours.info if ours is not None else None,
        "trafilatura": traf.info if traf is not None else None,
        "system_info": {name: res.info for name, res in results.items()},
        "unavailable": unavailable,
        "systems": {name: res.summary(traf_f1) for name, res in results.items()},
        "per_markup_body_f1": per_markup,
        "per_source": per_source,
        "non_documents": {
            "pages": len(non_docs),
            "rejected": {name: sum(not p.produced for p in res.page_results if not p.case.document)
                         for name, res in results.items()},
            "accepted": {name: [p.case.key for p in res.page_results if not p.case.document and p.produced]
                         for name, res in results.items()},
            "false_rejections": {name: [{"case": p.case.key, "reason": p.note or "no text"}
                                        for p in res.page_results if p.case.document and not p.produced]
                                 for name, res in results.items()},
        },
        "worst_ours": [{"document": d.label, "f1": d.f1, "precision": d.p, "recall": d.r, "hint": diff_hint(d)}
                       for d in worst],
        "errors": {name: res.errors for name, res in results.items()},
    }


def print_grid(rows: list[list[str]], indent: str = "", rule_after_header: bool = False) -> None:
    """Rows of cells as aligned columns: the first left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0] + 2)] + [c.rjust(w + 2) for c, w in zip(row[1:], widths[1:], strict=True)]
        print(indent + "".join(cells).rstrip())
        if rule_after_header and n == 0:
            print(indent + "-" * (sum(widths) + 2 * len(widths)))


# (label, summary key, how to format: "pct", "int", "rate")
_ROWS = [
    ("documents scored", "documents", "int"),
    ("documents missing", "documents_missing", "int"),
    ("body precision (3-gram, macro)", "body_precision", "pct"),
    ("body recall (3-gram, macro)", "body_recall", "pct"),
    ("body F1 (3-gram, macro)", "body_f1", "pct"),
    ("body F1, page level", "body_f1_page_level", "pct"),
    ("median page F1", "median_page_f1", "pct"),
    ("pages with F1 >= 95%", "pages_f1_ge_095", "int"),
    ("pages F1 < 50% where trafilatura >= 90%", "pages_below_half_where_traf_09", "int"),
    ("title exact match", "title_exact", "pct"),
    ("date accuracy (ours exact, peers day)", "date_accuracy", "pct"),
    ("date (day) accuracy", "date_day_accuracy", "pct"),
    ("date exact (full ISO)", "date_exact", "pct"),
    ("truncated-flag accuracy", "truncated_accuracy", "pct"),
    ("next_pages found (multi-page)", "next_pages_found", "pct"),
    ("non-documents rejected", "non_documents_rejected", "of"),
    ("document pages with no output", "false_rejections", "int"),
    ("pages leaking must_not_contain", "chrome_leaks", "int"),
    ("pages/second (best of 3)", "pages_per_second", "rate"),
    ("extraction errors", "errors", "int"),
]


def _cell(summary: dict[str, Any], key: str, how: str) -> str:
    v = summary.get(key)
    if how == "of":
        return f"{v} of {summary['non_documents']}"
    if how == "rate":
        return f"{v:.1f}" if isinstance(v, float) else "n/a"
    return fmt(v, how == "pct")


def print_table(rep: dict[str, Any], ours_available: bool) -> None:
    """The human-readable report."""
    systems = rep["systems"]
    names = list(systems)
    n_non = rep["non_documents"]["pages"]
    extra = f" + {n_non} non-document pages" if n_non else ""
    print(f"Extraction benchmark: {rep['document_pages']} document pages, {rep['records']} expected records"
          f"{extra} ({rep['set']})")
    for name, info in rep["system_info"].items():
        print(f"{name}: {'crawler.extract.extract_page with ' if name == 'ours' else ''}{info or 'n/a'}")
    for name, why in rep["unavailable"].items():
        print(f"{name}: unavailable ({why})")
    print()
    has_chrome = any(s.get("chrome_leaks") is not None for s in systems.values())
    rows = [["metric", *names]]
    for label, key, how in _ROWS:
        if (key == "non_documents_rejected" and not n_non) or (key == "chrome_leaks" and not has_chrome):
            continue
        rows.append([label, *("n/a" if n == "ours" and not ours_available else _cell(systems[n], key, how)
                              for n in names)])
    print_grid(rows, rule_after_header=True)
    print()
    print("Notes: ours scores one document per expected record (compilation parts separately; an unsplit page is")
    print("compared with each part); peers score one document per page (a compilation against the concatenation")
    print("of its parts, title against the page title, the `collection`; without one the title is not scored),")
    print("texts of all pages of a multi-page article joined. Peers have no truncation notion (predict False).")
    print("Date accuracy: ours must match the ISO string exactly, peers the YYYY-MM-DD (as date (day) accuracy);")
    print("date exact is measured for systems that give times (ours, GNE). null is correct when null is expected")
    print("(a missing document counts as wrong); readability gives no date (n/a). Page level: all texts of a page")
    print("against all expected texts of it. Non-documents are rejected when ours returns no document, or a peer")
    print("no text (an error counts as no text).")
    print()
    print("Per-source body F1 (macro over documents):")
    src = rep["per_source"]
    grid = [["source", "pages", "docs", "non-docs", *names]]
    for m, v in src.items():
        grid.append([m, str(v["pages"]), str(v["documents"]), str(v["non_documents"]),
                     *("n/a" if (n == "ours" and not ours_available) or not v["documents"]
                       else fmt(v["systems"][n]["body_f1"]) for n in names)])
    print_grid(grid, indent="  ")
    print()
    if n_non:
        print("Non-documents rejected per source:")
        grid = [["source", "non-docs", *names]]
        grid += [[m, str(v["non_documents"]), *(str(v["systems"][n]["non_documents_rejected"]) for n in names)]
                 for m, v in src.items() if v["non_documents"]]
        print_grid(grid, indent="  ")
        print()
    if ours_available and "ours" in systems:
        print(f"Worst {len(rep['worst_ours'])} documents for ours (body F1):")
        for wd in rep["worst_ours"]:
            scores = f"{wd['f1'] * 100:5.1f}%  P={wd['precision'] * 100:5.1f}% R={wd['recall'] * 100:5.1f}%"
            print(f"  {scores}  {wd['document']}")
            print(f"         {wd['hint']}")
        false_rej = rep["non_documents"]["false_rejections"]["ours"]
        print(f"Document pages ours skipped: {len(false_rej)}")
        for fr in false_rej:
            print(f"  {fr['case']}: {fr['reason']}")
        if n_non:
            accepted = rep["non_documents"]["accepted"]["ours"]
            print(f"Non-documents ours accepted: {len(accepted)}" + (f" ({', '.join(accepted)})" if accepted else ""))
    for name, errs in rep["errors"].items():
        for e in errs[:10]:
            print(f"error ({name}): {e}")


def write_details(path: Path, results: dict[str, SystemResult]) -> None:
    """One JSON line per (system, expected record) and per (system, non-document page), to study failures.

    A document page has one line per record for ours (compilation parts apart) and one for a peer;
    ``page_f1`` is the page-level score; lengths are characters after whitespace removal; ``seconds`` the
    page's extraction time in the last timed run.
    """
    with path.open("w", encoding="utf-8") as out:
        for name, res in results.items():
            docs_by_case: dict[str, list[Scored]] = {}
            for d in res.docs:
                docs_by_case.setdefault(d.case.key, []).append(d)
            for page in res.page_results:
                c = page.case
                base = {"system": name, "case": c.key, "markup": c.markup, "kind": c.kind,
                        "document": c.document, "expected_kind": c.expected_kind,
                        "rejected": not page.produced, "skip_reason": None if page.produced else page.note or "no text",
                        "page_f1": page.f1, "leaked": page.leaked, "seconds": page.seconds}
                lines = [{**base, "label": d.label, "f1": d.f1, "p": d.p, "r": d.r,
                          "title": d.title, "gold_title": d.gold["title"],
                          "date": d.date, "gold_date": d.gold["published_at"],
                          "text_len": len(norm(d.text)), "gold_text_len": len(norm(d.gold["text"])),
                          "note": d.note, "hint": diff_hint(d)}
                         for d in docs_by_case.get(c.key, [])]
                if not lines:  # a non-document page
                    lines = [{**base, "label": c.key, "f1": None, "p": None, "r": None, "title": page.title,
                              "gold_title": None, "date": None, "gold_date": None,
                              "text_len": len(norm(page.text)), "gold_text_len": 0, "note": page.note, "hint": None}]
                for line in lines:
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")


def parse_systems(value: str) -> list[str]:
    """``--systems a,b``: known names only, in the report's order (ours first)."""
    wanted = {v.strip() for v in value.split(",") if v.strip()}
    unknown = wanted - set(SYSTEMS)
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(f"unknown system(s) {sorted(unknown)}; choose from {', '.join(SYSTEMS)}")
    return [s for s in SYSTEMS if s in wanted]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; always returns 0."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", type=Path, default=DEFAULT_SET, help="folder of <markup>/<case>/ fixtures")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON")
    ap.add_argument("--systems", type=parse_systems, default=list(SYSTEMS),
                    help=f"comma-separated subset of {','.join(SYSTEMS)} (default: all that import)")
    ap.add_argument("--details", type=Path, help="write one JSON line per (system, case) to this file")
    ap.add_argument("--worst", type=int, default=10, help="how many of ours' worst documents to list (default 10)")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)  # trafilatura / htmldate / readability chatter
    cases = load_set(args.set)
    if not cases:
        print(f"no cases under {args.set}", file=sys.stderr)
        return 0
    results: dict[str, SystemResult] = {}
    unavailable: dict[str, str] = {}
    api = None
    if "ours" in args.systems:
        api, why = load_ours()
        if api is None:
            info = why
        else:
            info = api.profile_name + ("" if api.supports_now else "; extract_page has no `now` argument yet")
        results["ours"] = score_ours(api, cases, info)
    for name in (n for n in args.systems if n != "ours"):
        peer = PEERS[name]
        try:
            fn, info = peer.load()
        except Exception as exc:  # not installed or broken: report it, never crash
            unavailable[name] = f"{type(exc).__name__}: {exc}"
            continue
        results[name] = score_peer(peer, fn, info, cases)
    rep = report(results, unavailable, cases, args.set, args.worst)
    rep["ours_available"] = api is not None
    if args.details:
        write_details(args.details, results)
    if args.json:
        print(json.dumps(rep, ensure_ascii=False, indent=2))
    else:
        print_table(rep, api is not None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
