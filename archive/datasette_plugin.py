"""datasette plugin (entry point ``fanwen_archive``): the archive's search in datasette's search box.

datasette searches a table with ``... MATCH escape_fts(:search)``; its own ``escape_fts`` quotes
each word, which in the archive's index of character pairs finds no word of three characters or
more. On connections to a database holding that index, the plugin registers ``escape_fts`` again,
as ``archive.search.match_expression``. It also links the record ids of the archive's views
(``datasette.yaml``) and of its rows' pages to the records' pages, where datasette does not.
Installing the project (``pip install -e .``) is enough for datasette to load it.
"""

from __future__ import annotations

import json
import logging
import weakref
from typing import TYPE_CHECKING, Any, TypeVar, cast

import markupsafe
from datasette import hookimpl
from datasette.utils import tilde_encode

from archive.errors import BadFilter
from archive.search import SEARCH_TABLE, match_expression

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

    from datasette.app import Datasette

logger = logging.getLogger(__name__)

__all__ = ["NO_MATCH", "escape_fts", "prepare_connection", "render_cell"]

_F = TypeVar("_F", bound="Callable[..., Any]")

#: The MATCH expression given for a query the index refuses (one character, nothing but spaces):
#: an empty phrase, which FTS5 accepts and which matches no row, so the page shows no rows
#: instead of an error.
NO_MATCH = '""'

# The columns that hold record ids. Views have no foreign keys, so datasette links none of
# theirs; it links those of tables on table pages (there the value reaches render_cell as a
# dict, left to datasette) but not on row pages (datasette 0.65), where a record's dup_of is
# the way to its document's root.
_RECORD_ID_COLUMNS = {
    "records": frozenset({"dup_of"}),
    "sightings": frozenset({"record_id"}),
    "record_captures": frozenset({"record_id"}),
    "latest_records": frozenset({"id", "dup_of"}),
    "duplicate_groups": frozenset({"root_id"}),
    "record_versions": frozenset({"id", "dup_of"}),
}

# The databases of each datasette instance that are archives (they hold the search index),
# noted as their connections are prepared, so that render_cell runs no query per cell.
_ARCHIVES: weakref.WeakKeyDictionary[Datasette, set[str]] = weakref.WeakKeyDictionary()


def _hook(*, trylast: bool = False) -> Callable[[_F], _F]:
    # datasette ships no type information: its decorator, typed, leaves the hooks typed.
    return cast("Callable[[_F], _F]", hookimpl(trylast=trylast))


def escape_fts(query: str | None) -> str:
    """Return the FTS5 MATCH expression of a search-box query, as the archive's index needs it.

    Args:
        query: What the user typed: terms of two or more characters, ``"quoted phrases"``.

    Returns:
        ``archive.search.match_expression(query)``, or ``NO_MATCH`` for a query it refuses.

    Example:
        >>> escape_fts("乡村振兴 讲话") == '"乡村 村振 振兴" AND "讲话"'
        True
        >>> escape_fts("党") == NO_MATCH
        True
    """
    try:
        return match_expression(query or "")
    except BadFilter:
        return NO_MATCH


# trylast: datasette registers its own escape_fts in its own prepare_connection hook (the
# datasette.sql_functions plugin), which must run before this one for ours to replace it.
@_hook(trylast=True)
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Datasette) -> None:
    """Register the archive's ``escape_fts`` on a connection to a database holding its search index."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (SEARCH_TABLE,)
    ).fetchone()
    if found is None:
        return
    conn.create_function("escape_fts", 1, escape_fts, deterministic=True)
    _ARCHIVES.setdefault(datasette, set()).add(database)


@_hook()
def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Datasette) -> str | None:
    """Link a record id to the record's page, in the archive's views and on its rows' pages.

    Returns:
        The link, or None (datasette renders the cell): not an archive, not a record id column,
        or a foreign key datasette already expanded into a link (a dict).
    """
    columns = _RECORD_ID_COLUMNS.get(table or "")
    if columns is None or database not in _ARCHIVES.get(datasette, ()):
        return None
    if column in columns and isinstance(value, str) and value:
        return _record_link(datasette, database, value)
    if table == "duplicate_groups" and column == "duplicate_ids" and isinstance(value, str):
        ids = json.loads(value)
        return markupsafe.Markup(", ").join(_record_link(datasette, database, str(i)) for i in ids)
    return None


def _record_link(datasette: Datasette, database: str, record_id: str) -> markupsafe.Markup:
    # A row path is tilde-encoded, as datasette's own links are (ids are hex: a no-op today).
    href = datasette.urls.row(database, "records", tilde_encode(record_id))
    return markupsafe.Markup('<a href="{}">{}</a>').format(href, record_id)
