"""Full-text search on PostgreSQL: the same matches as the SQLite bigram index, by other means.

``records_search`` keeps, per indexed record (the latest version of some URL, as on SQLite),
its title and text normalised by ``archive.search.normalize_for_search`` and the set of their
character pairs (``archive.search.tokens``) in a GIN-indexed array. A query term's pairs must
all be in the array (the GIN index finds those rows) and the term must then occur in the title
or the text (``strpos``), so the matches are exactly a substring scan's: the pair test only
narrows, the substring test decides. Ranking: title occurrences weigh 5, text occurrences 1,
over the text's length; not BM25 (PostgreSQL has none built in), the same weights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archive.search import RANK_WINDOW, SearchHit, normalize_for_search, query_terms, snippet, tokens

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from archive.postgres import _Sql
    from archive.search import Order

__all__ = ["find", "follow_sighting", "latest_record_id", "rebuild"]


def _grams(text: str) -> list[str]:
    return sorted(set(tokens(text).split(" "))) if text else []


def index(conn: _Sql, seq: int, title: str, text: str) -> None:
    """Add record ``seq`` to the index (replacing what it held for it)."""
    # The pairs travel as one string split by the server: dumping a Python list of a few
    # thousand strings took longer than the insert.
    # Unsorted: the array's order means nothing to the GIN index, and sorting cost 0.2 ms.
    grams = " ".join({*tokens(title).split(" "), *tokens(text).split(" ")} - {""})
    conn.pg(
        "INSERT INTO records_search (seq, title, body, grams) VALUES (%s, %s, %s, string_to_array(%s, ' ')) "
        "ON CONFLICT (seq) DO UPDATE SET title = excluded.title, body = excluded.body, grams = excluded.grams",
        (seq, normalize_for_search(title), normalize_for_search(text), grams),
    )


def latest_record_id(conn: _Sql, url: str) -> str | None:
    """The id of the record ``url`` was most recently seen with (None: never seen)."""
    row = conn.pg("SELECT record_id FROM sightings WHERE url = %s ORDER BY id DESC LIMIT 1", (url,)).fetchone()
    return row[0] if row else None


def follow_sighting(
    conn: _Sql, record_id: str, previous: str | None, *, fresh: tuple[int, str, str] | None = None
) -> None:
    """Keep the index on the latest versions after a URL was seen with ``record_id`` (see ``archive.search``).

    ``fresh``: ``(seq, title, text)`` of ``record_id`` when it was inserted in this transaction
    (so it is not indexed yet, and need not be read back).
    """
    if previous == record_id:
        return
    if fresh is not None:
        index(conn, *fresh)
    else:
        row = conn.pg(
            "SELECT r.seq, r.title, r.text FROM records r WHERE r.id = %s "
            "AND NOT EXISTS (SELECT 1 FROM records_search s WHERE s.seq = r.seq)",
            (record_id,),
        ).fetchone()
        if row is not None:
            index(conn, *row)
    if previous is None:
        return
    # Unindexed unless another URL still shows it: one statement.
    conn.pg(
        "DELETE FROM records_search WHERE seq = (SELECT seq FROM records WHERE id = %s) "
        "AND NOT EXISTS (SELECT 1 FROM sightings s WHERE s.record_id = %s "
        "AND s.id = (SELECT max(id) FROM sightings WHERE url = s.url))",
        (previous, previous),
    )


def rebuild(conn: _Sql, progress: Callable[[int, int], None] | None = None) -> int:
    """Empty the index and index the latest version of every URL again (inside a transaction)."""
    conn.pg("DELETE FROM records_search")
    todo = [
        seq
        for (seq,) in conn.pg(
            "SELECT DISTINCT r.seq FROM (SELECT DISTINCT ON (url) record_id FROM sightings ORDER BY url, id DESC) l "
            "JOIN records r ON r.id = l.record_id ORDER BY r.seq"
        ).fetchall()
    ]
    for done, seq in enumerate(todo, 1):
        title, text = conn.pg("SELECT title, text FROM records WHERE seq = %s", (seq,)).fetchone()
        index(conn, seq, title, text)
        if progress is not None and (done % 500 == 0 or done == len(todo)):
            progress(done, len(todo))
    return len(todo)


def _matches(
    conn: _Sql, terms: list[str], where: str, params: Sequence[Any], *, limit: int, order: Order
) -> Iterator[tuple[int, str, str]]:
    grams = sorted({gram for term in terms for gram in _grams(term)})
    checks = " AND ".join("(strpos(s.title, %s) > 0 OR strpos(s.body, %s) > 0)" for _ in terms)
    args: list[Any] = [grams]
    for term in terms:
        args += [term, term]
    select = (
        "SELECT s.seq, r.id, coalesce(r.dup_of, r.id) FROM records_search s JOIN records r ON r.seq = s.seq "  # noqa: S608
        f"WHERE s.grams @> %s::text[] AND {checks} {where}"
    )
    if not limit:
        yield from conn.pg(f"{select} ORDER BY s.seq", [*args, *params])
        return
    if order == "newest":
        yield from conn.pg(f"{select} ORDER BY s.seq DESC", [*args, *params])
        return
    occurrences = " + ".join(
        "5.0 * (length(s.title) - length(replace(s.title, %s, ''))) / length(%s)"
        " + 1.0 * (length(s.body) - length(replace(s.body, %s, ''))) / length(%s)"
        for _ in terms
    )
    rank_args: list[Any] = []
    for term in terms:
        rank_args += [term, term, term, term]
    ranked = (
        f"SELECT seq, id, root FROM (SELECT s.seq, r.id, coalesce(r.dup_of, r.id) AS root, "  # noqa: S608
        f"({occurrences}) / (1.0 + length(s.body) / 1000.0) AS score "
        "FROM records_search s JOIN records r ON r.seq = s.seq "
        f"WHERE s.grams @> %s::text[] AND {checks} {where} ORDER BY s.seq DESC LIMIT {RANK_WINDOW:d}) m "
        "ORDER BY score DESC, seq DESC"
    )
    yield from conn.pg(ranked, [*rank_args, *args, *params])


def find(
    conn: _Sql,
    query: str,
    where: str = "",
    params: Sequence[Any] = (),
    *,
    limit: int = 20,
    distinct: bool = True,
    order: Order = "rank",
) -> Iterator[SearchHit]:
    """Yield the hits of ``query``, best first (as ``archive.search.find``; ``where`` uses ``%s``).

    Raises:
        BadQuery: See ``archive.search.query_terms``.
    """
    terms = query_terms(query)
    chosen: list[int] = []
    roots: set[str] = set()
    for seq, _record_id, root in list(_matches(conn, terms, where, params, limit=limit, order=order)):
        if distinct:
            if root in roots:
                continue
            roots.add(root)
        chosen.append(seq)
        if limit and len(chosen) == limit:
            break
    for seq in chosen:
        record_id, url, title, site, published_at, text, dup_of = conn.pg(
            "SELECT id, url, title, site, published_at, text, dup_of FROM records WHERE seq = %s", (seq,)
        ).fetchone()
        yield SearchHit(record_id, url, title, site, published_at, snippet(f"{title} {text}", terms), dup_of)
