"""Full-text search designs on this machine's SQLite, measured side by side on one corpus.

    python bench/search.py                          # 10,000 documents, all designs (about 4 min)
    python bench/search.py --documents 100000 --designs scan,archive,newest   # the issue's scale
                                                    # (about 15 min, 2.5 GB in a temp dir)

The corpus: documents of 1,000-5,000 characters (uniform) made from the sentences of the
labelled near-duplicate set (bench/data/neardup_eval.jsonl: real 范文 texts), drawn at random
with a seed, one sentence in three with a two-character span replaced by another pair of the
corpus's own characters (frequency-weighted), so that the index meets a long tail of pairs as
real archives do. Titles are a sentence's first 12-30 characters.

Designs (each in its own SQLite file, built from the same rows):

  scan     ``instr(text, ?)`` over the normalised title and text: the substring scan every
           design is checked against (it is also the answer to "why not just LIKE");
  bigram   FTS5, ``ascii`` tokenizer, contentless, the overlapping character pairs as tokens
           (``archive.search.tokens``); a query term is the phrase of its pairs; the top 20 by
           BM25 over every match;
  trigram  FTS5 ``trigram`` tokenizer over the text (external content), terms of 3+ characters
           through MATCH, 2-character terms through ``instr`` over the matches of the others, or
           over every row (FTS5's trigram cannot match them, and its LIKE path returns no rows
           on SQLite 3.40);
  archive  ``Archive.search`` on an archive whose records were stored through ``Archive.add``
           (near-duplicate index off): the shipped design, i.e. bigram with BM25 over the
           ``RANK_WINDOW`` newest matches, record fetch and snippets included;
  reindexed  the same archive after ``python -m archive reindex``'s last step (FTS5 'optimize':
           the index in one segment instead of the many its inserts left);
  newest   the same archive, ``order="newest"``.

Queries: 12 common words and phrases of the genre (振兴, 讲话, 党建, 工作, ...), 40 random
substrings of 2-8 characters of random documents, 10 pairs of terms from one document, 10 rare
substrings of 8-12 characters. For each query and design: whether the full result set equals the
scan's, and the time of the top-20 query (ranked; the scan has no rank and returns its first 20).
Printed: build time, index size per document, p50/p95/max of the top-20 time by query kind,
and the recall check.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.search import match_expression, normalize_for_search, query_terms, tokens  # noqa: E402

COMMON = ["振兴", "讲话", "党建", "工作", "发展", "学习", "乡村振兴", "疫情防控", "同志们", "高质量发展",
          "安全生产", "全面从严治党"]


def sentences() -> list[str]:
    pool: list[str] = []
    for line in (ROOT / "bench/data/neardup_eval.jsonl").read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["text"]
        pool += [s for s in re.split(r"(?<=[。！？；!?;])|\n", text) if len(s.strip()) >= 6]
    return sorted(set(pool))


def corpus(n: int, seed: int = 13) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pool = sentences()
    chars = [c for s in pool for c in s if "\u4e00" <= c <= "\u9fff"]
    docs = []
    for _ in range(n):
        target = rng.randint(1000, 5000)
        parts: list[str] = []
        size = 0
        while size < target:
            s = rng.choice(pool)
            if rng.random() < 1 / 3 and len(s) > 4:
                i = rng.randrange(len(s) - 2)
                s = s[:i] + rng.choice(chars) + rng.choice(chars) + s[i + 2 :]
            parts.append(s)
            size += len(s)
        text = "\n".join(parts)[:target]
        title_from = rng.choice(pool)
        docs.append((title_from[: rng.randint(12, 30)], text))
    return docs


def queries(docs: list[tuple[str, str]], seed: int = 29) -> list[tuple[str, str]]:
    rng = random.Random(seed)

    def piece(lo: int, hi: int) -> str:
        while True:
            text = normalize_for_search(rng.choice(docs)[1])
            length = rng.randint(lo, hi)
            start = rng.randrange(len(text) - length)
            found = text[start : start + length].strip()
            if len(found) >= 2 and '"' not in found and " " not in found:
                return found

    found = [("common", q) for q in COMMON]
    found += [("random", piece(2, 8)) for _ in range(40)]
    found += [("two terms", f"{piece(2, 4)} {piece(2, 4)}") for _ in range(10)]
    found += [("rare", piece(8, 12)) for _ in range(10)]
    return found


def build_scan(db: Path, docs: list[tuple[str, str]]) -> None:
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE docs (seq INTEGER PRIMARY KEY, title TEXT, text TEXT)")
    conn.executemany(
        "INSERT INTO docs (seq, title, text) VALUES (?, ?, ?)",
        ((i + 1, normalize_for_search(t), normalize_for_search(x)) for i, (t, x) in enumerate(docs)),
    )
    conn.commit()
    conn.close()


def build_bigram(db: Path, docs: list[tuple[str, str]]) -> None:
    conn = sqlite3.connect(db)
    conn.execute("CREATE VIRTUAL TABLE s USING fts5(title, body, content='', tokenize='ascii')")
    conn.executemany(
        "INSERT INTO s (rowid, title, body) VALUES (?, ?, ?)",
        ((i + 1, tokens(t), tokens(x)) for i, (t, x) in enumerate(docs)),
    )
    conn.execute("INSERT INTO s (s) VALUES ('optimize')")
    conn.commit()
    conn.close()


def build_trigram(db: Path, docs: list[tuple[str, str]]) -> None:
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE docs (seq INTEGER PRIMARY KEY, title TEXT, text TEXT)")
    conn.execute("CREATE VIRTUAL TABLE s USING fts5(title, text, content='docs', content_rowid='seq', "
                 "tokenize='trigram')")
    conn.executemany(
        "INSERT INTO docs (seq, title, text) VALUES (?, ?, ?)",
        ((i + 1, normalize_for_search(t), normalize_for_search(x)) for i, (t, x) in enumerate(docs)),
    )
    conn.execute("INSERT INTO s (s) VALUES ('rebuild')")
    conn.execute("INSERT INTO s (s) VALUES ('optimize')")
    conn.commit()
    conn.close()


def run_scan(conn: sqlite3.Connection, query: str, limit: int | None) -> list[int]:
    terms = query_terms(query)
    where = " AND ".join("(instr(title, ?) OR instr(text, ?))" for _ in terms)
    params = [p for t in terms for p in (t, t)]
    sql = f"SELECT seq FROM docs WHERE {where}" + (f" LIMIT {limit}" if limit else "")
    return [r[0] for r in conn.execute(sql, params)]


def run_bigram(conn: sqlite3.Connection, query: str, limit: int | None) -> list[int]:
    expr = match_expression(query)
    if limit:
        sql = f"SELECT rowid FROM s WHERE s MATCH ? ORDER BY bm25(s, 5.0, 1.0) LIMIT {limit}"
    else:
        sql = "SELECT rowid FROM s WHERE s MATCH ?"
    return [r[0] for r in conn.execute(sql, (expr,))]


def run_trigram(conn: sqlite3.Connection, query: str, limit: int | None) -> list[int]:
    terms = query_terms(query)
    long = [t for t in terms if len(t) >= 3]
    short = [t for t in terms if len(t) < 3]
    check = " AND ".join("(instr(d.title, ?) OR instr(d.text, ?))" for _ in short)
    params: list[str] = [p for t in short for p in (t, t)]
    if long:
        expr = " AND ".join('"' + t.replace('"', '""') + '"' for t in long)
        sql = "SELECT s.rowid FROM s JOIN docs d ON d.seq = s.rowid WHERE s MATCH ?"
        sql += f" AND {check}" if check else ""
        sql += " ORDER BY s.rank" + (f" LIMIT {limit}" if limit else "")
        return [r[0] for r in conn.execute(sql, [expr, *params])]
    sql = f"SELECT d.seq FROM docs d WHERE {check}" + (f" LIMIT {limit}" if limit else "")
    return [r[0] for r in conn.execute(sql, params)]


def build_archive(db: Path, docs: list[tuple[str, str]]) -> None:
    from archive import open_archive

    with open_archive(db, near_dup=False, commit_items=500) as archive:
        for i, (title, text) in enumerate(docs):
            archive.add({"url": f"https://bench.invalid/{i + 1}.html", "site": "bench", "title": title,
                         "text": text, "crawled_at": "2026-12-01T00:00:00Z"})


def build_reindexed(db: Path, docs: list[tuple[str, str]]) -> None:
    # The archive as `python -m archive reindex` leaves it: its search index merged into one
    # segment (FTS5 'optimize', the end of archive.search.rebuild), not rebuilt row by row.
    source = db.with_name("archive.db")
    if not source.exists():
        build_archive(source, docs)
    shutil.copyfile(source, db)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT INTO records_search (records_search) VALUES ('optimize')")
    conn.close()


def run_archive(archive: object, query: str, limit: int | None, order: str = "rank") -> list[int]:
    if not limit:
        # The full result set through the shipped matching, without building a hit (a snippet) per
        # match: seq is the document's number, as the archive was filled in order.
        from archive import search

        return [seq for seq, _, _ in search.matches(archive.store.conn, query, limit=0)]  # type: ignore[attr-defined]
    hits = archive.search(query, limit=limit, order=order)  # type: ignore[attr-defined]
    return [int(hit.url.rsplit("/", 1)[1].split(".")[0]) for hit in hits]


def run_newest(archive: object, query: str, limit: int | None) -> list[int]:
    return run_archive(archive, query, limit, "newest")


BUILD = {"scan": build_scan, "bigram": build_bigram, "trigram": build_trigram, "archive": build_archive,
         "reindexed": build_reindexed}
RUN = {"scan": run_scan, "bigram": run_bigram, "trigram": run_trigram, "archive": run_archive,
       "reindexed": run_archive, "newest": run_newest}


def search_index_bytes(db: Path) -> int:
    # The index's own pages (its FTS5 shadow tables), not the records beside it.
    conn = sqlite3.connect(db)
    try:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'records_search%'")]
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        try:
            return sum(conn.execute("SELECT count(*) FROM dbstat WHERE name = ?", (n,)).fetchone()[0]
                       for n in names) * page
        except sqlite3.OperationalError:  # a SQLite built without dbstat: the whole file
            return db.stat().st_size
    finally:
        conn.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--designs", default="scan,bigram,trigram,archive,newest")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each top-20 query (the median counts)")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (reused when present)")
    args = parser.parse_args()
    designs = args.designs.split(",")
    work = args.keep or Path(tempfile.mkdtemp(prefix="search-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    docs = corpus(args.documents)
    chars = sum(len(t) for _, t in docs)
    print(f"corpus: {len(docs)} documents, {chars / 1e6:.1f}M characters, "
          f"made in {time.perf_counter() - started:.1f} s", flush=True)
    qs = queries(docs)
    if "scan" not in designs:
        designs.insert(0, "scan")
    built: dict[str, tuple[float, int]] = {}
    conns: dict[str, object] = {}
    for design in designs:
        db = work / f"{'archive' if design == 'newest' else design}.db"
        t0 = time.perf_counter()
        if not db.exists():
            BUILD[design](db, docs)
        seconds = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in work.glob(f"{db.name}*"))
        if design in ("archive", "reindexed", "newest"):
            size = search_index_bytes(db)
        built[design] = (seconds, size)
        print(f"built {design}: {seconds:.1f} s, {size / 1e6:.1f} MB", flush=True)
        if design in ("archive", "reindexed", "newest"):
            from archive import open_archive

            conns[design] = open_archive(db, create=False, near_dup=False)
        else:
            conns[design] = sqlite3.connect(db)
    text_bytes = built["scan"][1]
    exact: dict[str, int] = {d: 0 for d in designs}
    times: dict[tuple[str, str], list[float]] = {}
    for kind, query in qs:
        truth = set(RUN["scan"](conns["scan"], query, None))  # type: ignore[arg-type]
        for design in designs:
            got = RUN[design](conns[design], query, None)  # type: ignore[arg-type]
            if set(got) == truth and len(got) == len(truth):
                exact[design] += 1
            elif design != "scan":
                print(f"  {design}: {query!r} returns {len(got)}, the scan {len(truth)}", flush=True)
            runs = []
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                RUN[design](conns[design], query, 20)  # type: ignore[arg-type]
                runs.append(time.perf_counter() - t0)
            times.setdefault((design, kind), []).append(statistics.median(runs) * 1000)
            times.setdefault((design, "all"), []).append(statistics.median(runs) * 1000)
    kinds = ["common", "random", "two terms", "rare", "all"]
    print(f"\n{len(docs)} documents, {chars / 1e6:.1f}M characters, {len(qs)} queries; SQLite {sqlite3.sqlite_version}")
    print("| design | build s | MB | bytes/doc | index / scan table | exact results | "
          + " | ".join(f"{k} p50/p95 ms" for k in kinds) + " | max ms |")
    print("|---" * (7 + len(kinds)) + "|")
    for design in designs:
        seconds, size = built[design]
        cells = [design, f"{seconds:.0f}", f"{size / 1e6:.0f}", f"{size / len(docs):,.0f}",
                 f"{size / text_bytes:.2f}", f"{exact[design]}/{len(qs)}"]
        cells += [f"{pct(times[(design, k)], 0.5):.1f} / {pct(times[(design, k)], 0.95):.1f}" for k in kinds]
        cells.append(f"{max(times[(design, 'all')]):.1f}")
        print("| " + " | ".join(cells) + " |")
    for conn in conns.values():
        conn.close()  # type: ignore[attr-defined]
    if not args.keep:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
