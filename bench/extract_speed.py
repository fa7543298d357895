#!/usr/bin/env python3
"""Time `extract_page` against plain `trafilatura.extract`, page by page, on every labelled page set.

Usage::

    python bench/extract_speed.py [--rounds 5] [--sets generic,heldout,...] [--profile] [--top 20]
        [--largest 10] [--json FILE]

What is timed, per page:

* **ours**: `crawler.extract.extract_page` called as a crawl calls it (`crawler/spiders/base.py`
  `_extract_now`): the raw bytes, the Content-Type header, the site's profile, `now` (the page's
  fetch time), `repeated=None`, and `max_bytes` / `max_depth` from `crawler/settings.py`. Further
  pages of a multi-page article are extracted with `continuation=True`, as the spider does. The
  memoised date parses are forgotten before every call, as a crawl of new pages would find them.
* **trafilatura**: `trafilatura.extract(decoded_html, url=url, output_format="txt")`, the page
  decoded beforehand (as `bench/extraction_eval.py` decodes it for the peers: decoding is not timed).

The two are timed alternately (ours first in even rounds, trafilatura first in odd ones) for
`--rounds` rounds, and each page keeps its fastest time per system: the machine is shared, so a
ratio of two minima measured side by side is what is comparable across runs, not the seconds.

The sets (all labelled with which pages are documents):

* `generic`, `heldout`, `heldout2`, `real`: the sets of `bench/extraction_eval.py`
  (tests/fixtures/generic/pages, bench/data/heldout, bench/data/heldout2, bench/data/real), with
  the `GENERIC` profile; a real-set page with `"document": false` is a non-document page.
* `sites`: the four sample sites (samples/sites), with their profiles, labelled by
  tests/fixtures/extract (a case with a `skip` is a non-document page; missing files are left out).
* `generic_sites`: samples/generic, with `GENERIC`, labelled by their expected.json (records and
  continuation pages are documents, list and noise pages are not).
* `synthetic`: a small `samples.synthetic.build_site` (baina profile; its pages are small and alike,
  so a few are enough), built in a temporary folder.

The table gives, per set and for document and non-document pages apart, the summed minimum times
and their ratio (ours / trafilatura), and the same ratio over the set's 10 largest pages; then the
totals, and the largest pages of all. With `--profile`, a cProfile of ours over all pages (one
pass) follows, its top entries by cumulative time. Nothing is written unless `--json` asks; the
network is never used.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import extraction_eval
import trafilatura

from crawler import settings
from crawler.extract import extract_page
from crawler.extract.dates import SHANGHAI
from crawler.sites import GENERIC, SITES
from samples.serve import DEFAULT_SITES_ROOT, load_site_config
from samples.synthetic import build_site

if TYPE_CHECKING:
    from collections.abc import Callable

    from crawler.sites.profile import SiteProfile

SAMPLE_BASE = "http://127.0.0.1:8000"
# Sample pages have no fetch time of their own: one fixed moment keeps relative dates stable.
SAMPLE_NOW = datetime(2024, 3, 10, 12, 0, tzinfo=SHANGHAI)
SYNTHETIC_DOCUMENTS = 20


@dataclass
class Page:
    """One page to extract, with what both systems are given."""

    set: str
    name: str
    url: str
    raw: bytes
    content_type: str | None
    profile: SiteProfile
    now: datetime
    document: bool
    continuation: bool = False
    decoded: str = field(default="", repr=False)
    ours: float = float("inf")
    trafilatura: float = float("inf")

    def __post_init__(self) -> None:
        self.decoded = extraction_eval.decode_fair(self.raw, self.content_type)


# --------------------------------------------------------------------------------------
# The sets
# --------------------------------------------------------------------------------------

def _eval_set(name: str, folder: Path) -> list[Page]:
    pages = []
    for case in extraction_eval.load_set(folder):
        now = datetime.fromisoformat(case.fetched_at)
        for number, (url, raw) in enumerate(case.pages):
            pages.append(Page(
                name, f"{case.key}" + (f" p{number + 1}" if number else ""), url, raw, case.content_type,
                GENERIC, now, case.document, continuation=number > 0,
            ))
    return pages


def _content_type(config: dict[str, Any], url_path: str) -> str:
    """The Content-Type the sample server sends (samples/serve.py): the override, else by suffix."""
    for header, value in config["paths"].get(url_path.split("?", 1)[0], {}).get("headers", {}).items():
        if header.lower() == "content-type":
            return str(value)
    path = url_path.split("?", 1)[0]
    if path.endswith("/") or path.lower().endswith((".html", ".htm")):
        return f"text/html; charset={config['charset']}"
    return "application/octet-stream"


def _site_file(site_dir: Path, url_path: str) -> Path:
    target = site_dir / "www" / url_path.split("?", 1)[0].lstrip("/")
    return target / "index.html" if url_path.endswith("/") or target.is_dir() else target


def _sample_sites() -> list[Page]:
    pages = []
    for fixture in sorted((ROOT / "tests" / "fixtures" / "extract").glob("*/*.json")):
        data = json.loads(fixture.read_text(encoding="utf-8"))
        site_dir = DEFAULT_SITES_ROOT / data["site"]
        config = load_site_config(site_dir)
        for number, url_path in enumerate(data.get("pages") or [data["path"]]):
            file = _site_file(site_dir, url_path)
            if not file.is_file():
                continue
            pages.append(Page(
                "sites", f"{data['site']}/{fixture.stem}" + (f" p{number + 1}" if number else ""),
                SAMPLE_BASE + url_path, file.read_bytes(), _content_type(config, url_path),
                SITES[data["site"]], SAMPLE_NOW, data.get("skip") is None, continuation=number > 0,
            ))
    return pages


def _generic_sites() -> list[Page]:
    pages = []
    for site_dir in sorted((ROOT / "samples" / "generic").iterdir()):
        expected_file = site_dir / "expected.json"
        if not expected_file.is_file():
            continue
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        config = load_site_config(site_dir)
        labelled = [(r["path"], True, False) for r in expected["records"]]
        labelled += [(p, True, True) for p in expected.get("continuation_paths", [])]
        labelled += [(p, False, False) for p in expected.get("list_paths", []) + expected.get("noise_paths", [])]
        for url_path, document, continuation in dict.fromkeys(labelled):
            file = _site_file(site_dir, url_path)
            if file.is_file():
                pages.append(Page(
                    "generic_sites", f"{site_dir.name}{url_path}", SAMPLE_BASE + url_path, file.read_bytes(),
                    _content_type(config, url_path), GENERIC, SAMPLE_NOW, document, continuation=continuation,
                ))
    return pages


def _synthetic() -> list[Page]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        documents = build_site(root, SYNTHETIC_DOCUMENTS)
        files = [(p, True) for p in documents] + [("/zhuanti/jianghuagao/", False)]
        return [
            Page("synthetic", url_path, SAMPLE_BASE + url_path, _site_file(root, url_path).read_bytes(),
                 "text/html; charset=utf-8", SITES["baina"], SAMPLE_NOW, document)
            for url_path, document in files
        ]


SETS: dict[str, Callable[[], list[Page]]] = {
    "generic": lambda: _eval_set("generic", extraction_eval.DEFAULT_SET),
    "heldout": lambda: _eval_set("heldout", ROOT / "bench" / "data" / "heldout"),
    "heldout2": lambda: _eval_set("heldout2", ROOT / "bench" / "data" / "heldout2"),
    "real": lambda: _eval_set("real", ROOT / "bench" / "data" / "real"),
    "sites": _sample_sites,
    "generic_sites": _generic_sites,
    "synthetic": _synthetic,
}


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------

def _ours(page: Page) -> Any:
    extraction_eval._clear_caches()
    return extract_page(
        page.raw, page.url, page.profile,
        content_type=page.content_type,
        continuation=page.continuation,
        now=page.now,
        repeated=None,
        max_bytes=settings.EXTRACT_MAX_BYTES,
        max_depth=settings.EXTRACT_MAX_DEPTH,
    )


def _trafilatura(page: Page) -> Any:
    return trafilatura.extract(page.decoded, url=page.url, output_format="txt")


def _timed(run: Callable[[Page], Any], page: Page) -> float:
    start = time.perf_counter()
    run(page)
    return time.perf_counter() - start


def measure(pages: list[Page], rounds: int) -> None:
    """Each page's fastest time per system over `rounds` alternating rounds (in place)."""
    if pages:  # warm-up: lazy imports, compiled patterns, trafilatura's config
        _ours(pages[0])
        _trafilatura(pages[0])
    for round_number in range(rounds):
        for page in pages:
            if round_number % 2 == 0:
                page.ours = min(page.ours, _timed(_ours, page))
                page.trafilatura = min(page.trafilatura, _timed(_trafilatura, page))
            else:
                page.trafilatura = min(page.trafilatura, _timed(_trafilatura, page))
                page.ours = min(page.ours, _timed(_ours, page))


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------

def _sums(pages: list[Page]) -> tuple[float, float, float]:
    ours = sum(p.ours for p in pages)
    theirs = sum(p.trafilatura for p in pages)
    return ours * 1000, theirs * 1000, ours / theirs if theirs else float("nan")


def _largest(pages: list[Page], count: int) -> list[Page]:
    return sorted(pages, key=lambda p: len(p.raw), reverse=True)[:count]


def _row(label: str, kind: str, pages: list[Page], largest: int) -> list[str]:
    if not pages:
        return [label, kind, "0", "", "", "", ""]
    ours, theirs, ratio = _sums(pages)
    top_ratio = _sums(_largest(pages, largest))[2]
    return [label, kind, str(len(pages)), f"{ours:.0f}", f"{theirs:.0f}", f"{ratio:.2f}", f"{top_ratio:.2f}"]


def _grid(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def report(pages: list[Page], largest: int) -> None:
    """The per-set table, the totals and the largest pages of all."""
    header = ["set", "pages", "n", "ours ms", "traf ms", "ratio", f"ratio {largest} largest"]
    rows = [header]
    for name in dict.fromkeys(p.set for p in pages):
        members = [p for p in pages if p.set == name]
        rows.append(_row(name, "document", [p for p in members if p.document], largest))
        rows.append(_row("", "non-document", [p for p in members if not p.document], largest))
    documents = [p for p in pages if p.document]
    rows.append(_row("ALL", "document", documents, largest))
    rows.append(_row("", "non-document", [p for p in pages if not p.document], largest))
    rows.append(_row("", "all", pages, largest))
    without_real = [p for p in documents if p.set != "real"]
    rows.append(_row("ALL but real", "document", without_real, largest))
    _grid(rows)
    print()
    print(f"The {largest} largest pages:")
    biggest = [["page", "kind", "KB", "ours ms", "traf ms", "ratio"]]
    for p in _largest(pages, largest):
        biggest.append([
            f"{p.set}:{p.name}", "document" if p.document else "non-document", f"{len(p.raw) / 1024:.0f}",
            f"{p.ours * 1000:.1f}", f"{p.trafilatura * 1000:.1f}", f"{p.ours / p.trafilatura:.2f}",
        ])
    _grid(biggest)


def profile(pages: list[Page], top: int, sort: str) -> None:
    """Profile ours over all pages (one pass) and print the top entries."""
    profiler = cProfile.Profile()
    profiler.enable()
    for page in pages:
        _ours(page)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(top)
    print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    """Load the sets, time both systems, print the table (and the profile)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (each page keeps its minimum)")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated subset of {','.join(SETS)}")
    parser.add_argument("--largest", type=int, default=10, help="how many largest pages get their own ratio")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of ours over all pages")
    parser.add_argument("--top", type=int, default=20, help="profile entries printed")
    parser.add_argument("--sort", default="cumulative", help="profile order (pstats key: cumulative, tottime…)")
    parser.add_argument("--json", type=Path, help="write every page's minimum times to this file")
    args = parser.parse_args(argv)
    wanted = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = set(wanted) - set(SETS)
    if unknown:
        parser.error(f"unknown set(s) {sorted(unknown)}; choose from {', '.join(SETS)}")
    pages = [page for name in wanted for page in SETS[name]()]
    print(f"{len(pages)} pages ({sum(p.document for p in pages)} document pages), {args.rounds} rounds")
    measure(pages, args.rounds)
    report(pages, args.largest)
    if args.json:
        args.json.write_text(json.dumps([
            {"set": p.set, "page": p.name, "document": p.document, "bytes": len(p.raw),
             "ours": p.ours, "trafilatura": p.trafilatura}
            for p in pages
        ], ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.profile:
        print()
        profile(pages, args.top, args.sort)
    return 0


if __name__ == "__main__":
    sys.exit(main())
