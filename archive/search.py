"""Full-text search of the archive: character bigrams as the tokens of an SQLite FTS5 index.

Chinese has no spaces between words, and most words are two characters (振兴, 讲话, 党建), which
FTS5's trigram tokenizer cannot match. So each text is indexed as the sequence of its overlapping
character pairs (``乡村振兴`` -> ``乡村 村振 振兴``), and a query term becomes the phrase of its own
pairs: the phrase matches exactly where the term occurs as a substring, so a search returns the
documents a substring scan returns (``docs/search.md`` has the measurements behind the choice).

Pairs are written so that FTS5's ``ascii`` tokenizer keeps each one a single token: it splits
on ASCII spaces and punctuation only and treats every other character as part of a word, so the
ASCII characters of a text are first moved to the private-use area (``U+E000`` + code).

Text is matched after ``normalize_for_search``: NFKC (full-width ``Ｇ２０`` is ``G20``), case
folded, every run of white space one space. The index is ``records_search`` (contentless: it
holds the tokens, not the text; rowid = ``records.seq``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from archive.errors import BadFilter

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Iterator, Sequence
    from typing import Any

__all__ = [
    "SEARCH_TABLE",
    "BadQuery",
    "Order",
    "SearchHit",
    "match_expression",
    "normalize_for_search",
    "query_terms",
    "tokens",
]

#: The FTS5 table of the index (rowid = records.seq; columns title, body).
SEARCH_TABLE = "records_search"

_SPACES = re.compile(r"\s+")
# The private-use area is where ASCII goes (see the module docstring); a text's own private-use
# characters would then collide with those, so they are replaced (they carry no searchable text).
_PRIVATE = re.compile("[\ue000-\uf8ff]")
_SHIFT = {code: 0xE000 + code for code in range(128)}
_TERMS = re.compile(r'"([^"]*)"|(\S+)')


class BadQuery(BadFilter):
    """A search query the index cannot answer (empty, or a term of one character)."""


@dataclass(frozen=True)
class SearchHit:
    """One search result: a record that matched, and the passage around its first match.

    ``dup_of`` is the record's document root (None: the record is the root); with
    ``distinct`` searches each document is one hit, its best-ranked matching copy.
    """

    id: str
    url: str
    title: str
    site: str
    published_at: str | None
    snippet: str
    dup_of: str | None

    def to_dict(self) -> dict[str, str | None]:
        """The hit as the JSON object ``python -m archive search --json`` prints."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def normalize_for_search(text: str) -> str:
    r"""Return ``text`` as the index sees it: NFKC, case folded, white space runs as one space.

    Example:
        >>> normalize_for_search("Ｇ２０  峰会\n讲话")
        'g20 峰会 讲话'
    """
    folded = _fold_width(text).replace("\u2026", "...")
    # NFKC is 0.3 us a character; once the full-width forms every Chinese text has are folded
    # (30x faster), most texts are NFKC already, and the check stops at the first exception.
    if not unicodedata.is_normalized("NFKC", folded):
        folded = unicodedata.normalize("NFKC", folded)
    return _PRIVATE.sub("\ufffd", _SPACES.sub(" ", folded.casefold())).strip()


def _fold_width(text: str) -> str:
    # Full-width ASCII (U+FF01-FF5E) and the ideographic space, as NFKC maps them.
    import numpy as np  # imported here: the CLI's other commands start faster without it

    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).copy()
    wide = (codes >= 0xFF01) & (codes <= 0xFF5E)
    codes[wide] -= 0xFEE0
    codes[codes == 0x3000] = ord(" ")
    return codes.tobytes().decode("utf-32-le")


def tokens(text: str) -> str:
    """Return the index tokens of ``text``: its overlapping character pairs, space-separated.

    A text of one character is that character (it can be found by no query of two or more).

    Example:
        >>> tokens("乡村振兴") == "乡村 村振 振兴"
        True
    """
    flat = normalize_for_search(text)
    if len(flat) < 2:
        return flat.translate(_SHIFT)
    import numpy as np  # imported here: the CLI's other commands start faster without it

    # The pairs built on arrays of code points: 7x faster than joining them in Python (0.13 ms
    # for 3,000 characters), which counts, as every stored document passes here during a crawl.
    codes = np.frombuffer(flat.encode("utf-32-le"), dtype=np.uint32)
    codes = np.where(codes < 128, codes + 0xE000, codes)
    out = np.empty((len(codes) - 1, 3), dtype=np.uint32)
    out[:, 0] = codes[:-1]
    out[:, 1] = codes[1:]
    out[:, 2] = ord(" ")
    return out.tobytes()[:-4].decode("utf-32-le")


def query_terms(query: str) -> list[str]:
    """Split a query into its terms: white-space separated words, or ``"quoted phrases"``.

    Each term is normalised like the texts; a quoted phrase keeps its inner spaces.

    Raises:
        BadQuery: The query has no term, or a term shorter than two characters.

    Example:
        >>> query_terms('乡村振兴 "工作 会议" 讲话')
        ['乡村振兴', '工作 会议', '讲话']
    """
    terms = []
    for quoted, word in _TERMS.findall(query):
        term = normalize_for_search(quoted if quoted else word)
        if not term:
            continue
        if len(term) < 2:
            raise BadQuery(
                f"search term {term!r} has one character; the index matches terms of two or more "
                "characters (write the word it is part of)"
            )
        terms.append(term)
    if not terms:
        raise BadQuery("empty search query; give one or more terms of two or more characters")
    return terms


def match_expression(query: str) -> str:
    """Return the FTS5 MATCH expression of ``query``: every term, as the phrase of its pairs.

    Terms are ANDed; a document matches when each term occurs in its title or its text.

    Raises:
        BadQuery: See ``query_terms``.

    Example:
        >>> match_expression("乡村振兴 讲话") == '"乡村 村振 振兴" AND "讲话"'
        True
    """
    return " AND ".join(f'"{tokens(term)}"' for term in query_terms(query))


def snippet(text: str, terms: list[str], width: int = 60, mark: tuple[str, str] = ("[", "]")) -> str:
    """Return about ``width`` characters of ``text`` around the first match, terms marked.

    Matching is on the normalised text (as the index matches), so the snippet is cut from it.
    When a term occurs in the text as stored, the passage is cut around its first occurrence
    there, and only that passage is normalised: normalising whole texts was 0.35 ms a hit, 7 ms
    of a ranked top 20 at 100k documents. A term found only in its normalised form (full-width,
    upper case, a line break inside a phrase) makes the whole text normalised.
    """
    raw = [i for i in (text.find(t) for t in terms) if i >= 0]
    lo, hi = 0, len(text)
    if raw:
        # Normalisation shortens a passage (white space runs) and rarely lengthens it (a few
        # NFKC expansions), so margins of twice the width hold the cut and its context.
        lo, hi = max(0, min(raw) - 2 * width), min(len(text), min(raw) + 3 * width)
    flat = normalize_for_search(text[lo:hi])
    first = min((i for i in (flat.find(t) for t in terms) if i >= 0), default=0)
    start = max(0, first - width // 3)
    piece = flat[start : start + width]
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    marked = pattern.sub(lambda m: f"{mark[0]}{m.group(0)}{mark[1]}", piece)
    before = start > 0 or bool(text[:lo].strip())
    after = start + width < len(flat) or bool(text[hi:].strip())
    return ("…" if before else "") + marked + ("…" if after else "")


#: A ranked search ranks at most this many matches, the most recently stored ones. BM25 costs
#: about 1.2 us a match on top of a pass over the query's matches (its document frequencies),
#: and a frequent word (工作) matches nearly every document: ranking all of 100,000 took 170 ms
#: (p95 of 12 such words, bench/search.py), for an order BM25 hardly fixes, as it gives such a
#: word almost no weight. A query with fewer matches is ranked whole.
RANK_WINDOW = 2000

#: How ``find`` orders hits: ``rank`` (BM25, title matches weighted 5x) or ``newest`` (most
#: recently stored first; no ranking pass, so a top 20 costs well under a millisecond).
Order = Literal["rank", "newest"]

# Ranked matches looked up in records at a time (a top 20 of distinct documents reads one batch).
_LOOKUP_BATCH = 50

# bm25 weights of the columns: a match in the title counts five times one in the text.
_RANK = f"bm25({SEARCH_TABLE}, 5.0, 1.0)"


def create_table(conn: sqlite3.Connection) -> None:
    """Create the empty index (the migration that adds search calls this)."""
    conn.execute(
        f"CREATE VIRTUAL TABLE {SEARCH_TABLE} USING fts5(title, body, content='', tokenize='ascii')"
    )


def index(conn: sqlite3.Connection, seq: int, title: str, text: str) -> None:
    """Add record ``seq`` to the index (it must not be in it)."""
    conn.execute(
        f"INSERT INTO {SEARCH_TABLE} (rowid, title, body) VALUES (?, ?, ?)",  # noqa: S608 - constant name
        (seq, tokens(title), tokens(text)),
    )


def unindex(conn: sqlite3.Connection, seq: int, title: str, text: str) -> None:
    """Remove record ``seq`` from the index, given the title and text it was indexed with.

    A contentless FTS5 table keeps no copy of what it indexed, so the delete names the tokens
    again; they are computed from the stored record, which never changes.
    """
    conn.execute(
        f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}, rowid, title, body) VALUES ('delete', ?, ?, ?)",  # noqa: S608
        (seq, tokens(title), tokens(text)),
    )


def is_indexed(conn: sqlite3.Connection, seq: int) -> bool:
    """Whether record ``seq`` is in the index."""
    found = conn.execute(f"SELECT 1 FROM {SEARCH_TABLE} WHERE rowid = ?", (seq,)).fetchone()  # noqa: S608
    return found is not None


def clear(conn: sqlite3.Connection) -> None:
    """Empty the index."""
    conn.execute(f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}) VALUES ('delete-all')")  # noqa: S608


def matches(
    conn: sqlite3.Connection,
    query: str,
    where: str = "",
    params: Sequence[Any] = (),
    *,
    limit: int = 20,
    order: Order = "rank",
) -> Iterator[tuple[int, str, str]]:
    """Yield ``(seq, record id, root id)`` of the records matching ``query``, in ``order``.

    Args:
        conn: The archive's connection.
        query: The user's query (see ``query_terms``).
        where: Extra conditions on the matching records (columns of ``records`` as ``r``),
            starting with ``AND``.
        params: The parameters of ``where``.
        limit: 0: every match, in storage order. Else, with ``order="rank"``, by BM25 among the
            ``RANK_WINDOW`` most recently stored matches (all of them when there are fewer); the
            caller reads as far as it needs.
        order: ``"rank"`` or ``"newest"`` (see ``Order``).

    Raises:
        BadQuery: See ``query_terms``.
    """
    expr = match_expression(query)
    select = (
        f"SELECT s.rowid, r.id, coalesce(r.dup_of, r.id) FROM {SEARCH_TABLE} s "  # noqa: S608
        f"JOIN records r ON r.seq = s.rowid WHERE {SEARCH_TABLE} MATCH ? {where}"
    )
    if not limit:
        yield from conn.execute(f"{select} ORDER BY s.rowid", (expr, *params))
        return
    if order == "newest":
        yield from conn.execute(f"{select} ORDER BY s.rowid DESC", (expr, *params))
        return
    if where:
        ranked = (
            f"SELECT * FROM (SELECT s.rowid, r.id, coalesce(r.dup_of, r.id), {_RANK} AS rank "  # noqa: S608
            f"FROM {SEARCH_TABLE} s JOIN records r ON r.seq = s.rowid WHERE {SEARCH_TABLE} MATCH ? {where} "
            f"ORDER BY s.rowid DESC LIMIT {RANK_WINDOW:d}) ORDER BY rank"
        )
        for seq, record_id, root, _rank in conn.execute(ranked, (expr, *params)):
            yield seq, record_id, root
        return
    # No filter on the records: the index alone ranks the window, and only the hits read (a few
    # dozen, in rank order) are looked up; the join of all 2,000 cost a quarter of the time.
    ranked = (
        f"SELECT rowid FROM (SELECT rowid, {_RANK} AS rank FROM {SEARCH_TABLE} "  # noqa: S608
        f"WHERE {SEARCH_TABLE} MATCH ? ORDER BY rowid DESC LIMIT {RANK_WINDOW:d}) ORDER BY rank"
    )
    # fetchall: iterating the store's cursor costs 2 us a row in Python, 4 ms for the window.
    seqs = [seq for (seq,) in conn.execute(ranked, (expr,)).fetchall()]
    for start in range(0, len(seqs), _LOOKUP_BATCH):
        batch = seqs[start : start + _LOOKUP_BATCH]
        marks = ", ".join("?" * len(batch))
        rows = conn.execute(
            f"SELECT seq, id, coalesce(dup_of, id) FROM records WHERE seq IN ({marks})",  # noqa: S608
            batch,
        )
        found = {seq: (record_id, root) for seq, record_id, root in rows}
        for seq in batch:
            if seq in found:
                yield seq, *found[seq]


def latest_record_id(conn: sqlite3.Connection, url: str) -> str | None:
    """The id of the record ``url`` was most recently seen with (None: never seen)."""
    row = conn.execute(
        "SELECT record_id FROM sightings WHERE url = ? ORDER BY rowid DESC LIMIT 1", (url,)
    ).fetchone()
    return row[0] if row else None


def follow_sighting(conn: sqlite3.Connection, record_id: str, previous: str | None) -> None:
    """Keep the index on the latest versions after a URL, last seen with ``previous``, was seen with ``record_id``.

    Call after the sighting is stored, in its transaction. The index holds every record that is
    the latest version of at least one URL (an alias URL's latest is its original's record), so
    ``record_id`` joins it and ``previous`` leaves it unless another URL still shows it.
    """
    if previous == record_id:
        return
    row = conn.execute("SELECT seq, title, text FROM records WHERE id = ?", (record_id,)).fetchone()
    if row is not None and not is_indexed(conn, row[0]):
        index(conn, *row)
    if previous is None:
        return
    still_shown = conn.execute(
        "SELECT 1 FROM sightings s WHERE s.record_id = ? "
        "AND s.rowid = (SELECT max(rowid) FROM sightings WHERE url = s.url) LIMIT 1",
        (previous,),
    ).fetchone()
    if still_shown is None:
        row = conn.execute("SELECT seq, title, text FROM records WHERE id = ?", (previous,)).fetchone()
        if row is not None and is_indexed(conn, row[0]):
            unindex(conn, *row)


def latest_records(conn: sqlite3.Connection) -> list[int]:
    """The seq of every record that is the latest version of some URL, in storage order."""
    rows = conn.execute(
        "SELECT DISTINCT r.seq FROM (SELECT record_id, max(rowid) FROM sightings GROUP BY url) l "
        "JOIN records r ON r.id = l.record_id ORDER BY r.seq"
    )
    return [seq for (seq,) in rows]


def rebuild(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None = None) -> int:
    """Empty the index and index the latest version of every URL again; returns how many.

    Call inside a transaction: the index is replaced whole or not at all.
    """
    clear(conn)
    todo = latest_records(conn)
    for done, seq in enumerate(todo, 1):
        title, text = conn.execute("SELECT title, text FROM records WHERE seq = ?", (seq,)).fetchone()
        index(conn, seq, title, text)
        if progress is not None and (done % 500 == 0 or done == len(todo)):
            progress(done, len(todo))
    # One b-tree segment instead of the many the inserts leave: at 100k documents the ranked
    # top-20 p95 went from 48 to 44 ms (bench/search.py), for 30 s more of rebuild.
    conn.execute(f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}) VALUES ('optimize')")  # noqa: S608
    return len(todo)


def find(
    conn: sqlite3.Connection,
    query: str,
    where: str = "",
    params: Sequence[Any] = (),
    *,
    limit: int = 20,
    distinct: bool = True,
    order: Order = "rank",
) -> Iterator[SearchHit]:
    """Yield the hits of ``query``, best first (see ``matches`` for the ranking).

    Args:
        conn: The archive's connection.
        query: Terms of two or more characters, ``"quoted phrases"``; all must match.
        where: Extra conditions on ``records r``, starting with ``AND``.
        params: Parameters of ``where``.
        limit: At most this many hits (0: all, in storage order).
        distinct: One hit per document (its best-ranked copy), not one per matching record.
        order: ``"rank"`` or ``"newest"`` (see ``Order``).

    Raises:
        BadQuery: See ``query_terms``.
    """
    terms = query_terms(query)
    chosen: list[int] = []
    roots: set[str] = set()
    for seq, _record_id, root in matches(conn, query, where, params, limit=limit, order=order):
        if distinct:
            if root in roots:
                continue
            roots.add(root)
        chosen.append(seq)
        if limit and len(chosen) == limit:
            break
    # Texts are read one hit at a time, so that listing every match (limit=0) holds one in memory.
    for seq in chosen:
        record_id, url, title, site, published_at, text, dup_of = conn.execute(
            "SELECT id, url, title, site, published_at, text, dup_of FROM records WHERE seq = ?", (seq,)
        ).fetchone()
        yield SearchHit(record_id, url, title, site, published_at, snippet(f"{title} {text}", terms), dup_of)
