"""An archive served by a real datasette with ``datasette.yaml`` and the project's plugin.

The server runs as ``python -m datasette serve`` on a free loopback port, as a user would start
it; the plugin is loaded through the project's ``datasette`` entry point (``pip install -e .``).
"""

from __future__ import annotations

import html
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

import pytest

from archive import Archive, open_archive
from tests.archive import texts
from tests.archive.conftest import make_doc
from tests.conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytest.importorskip("datasette", reason="datasette is not installed (pip install -e '.[test]')")

METADATA = ROOT / "datasette.yaml"
HIDDEN = {"minhash", "minhash_pending", "archive_meta", "sqlite_sequence", "records_search"}
VISIBLE = {"records", "sightings", "captures", "record_captures", "runs"}
VIEWS = {"latest_records", "duplicate_groups", "record_versions"}
TEA = "同志们：\n今天召开全县茶叶产业推进会，研究部署茶叶产业高质量发展，助力乡村振兴。\n要抓好品牌建设。"


class Served:
    """The archive's records as the library reads them, and the base URL of the server."""

    def __init__(self, base: str, archive: Archive) -> None:
        self.base = base
        self.records = {r.id: r for r in archive.iter_records()}
        self.latest = {r.id for r in archive.iter_records(latest_only=True)}
        self.latest_by_url = {
            url: archive.latest(url)
            for url in sorted({u for (u,) in archive.store.conn.execute("SELECT url FROM sightings")})  # type: ignore[attr-defined]
        }
        self.duplicates = {rid: [d.id for d in archive.duplicates(rid)] for rid in self.records}

    def get(self, path: str, **params: str) -> tuple[int, str]:
        url = self.base + path
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our loopback server
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def json(self, path: str, **params: str) -> Any:
        status, body = self.get(path, **params)
        assert status == 200, (path, params, body[:500])
        return json.loads(body)

    def rows(self, path: str, **params: str) -> list[dict[str, Any]]:
        return self.json(f"{path}.json", _shape="array", _size="max", **params)


def _fill(archive: Archive) -> None:
    add = archive.add
    add(make_doc("https://www.baina.example/fanwen/1.html", site="baina", title="乡村振兴工作会议讲话",
                 text=texts.RURAL, published_at="2023-03-01"))
    add(make_doc("https://www.juyou.example/gongwen/2.html", site="juyou", title="在全镇乡村振兴大会上的讲话",
                 text=texts.fill_masks(texts.RURAL), published_at="2023-06-01"))  # a near copy
    add(make_doc("https://www.huiwen.example/wen/3.html", site="huiwen", title="乡村振兴讲话稿",
                 text=texts.RURAL, published_at="2023-07-01"))  # an exact copy
    add(make_doc("https://www.baina.example/fanwen/4.html", site="baina", title="安全生产工作会议讲话",
                 text=texts.SAFETY, published_at="2023-02-01"))
    add(make_doc("https://www.baina.example/fanwen/4.html", site="baina", title="安全生产工作会议讲话",
                 text=texts.edit_sentences(texts.SAFETY, 0.3), published_at="2023-02-01",
                 crawled_at="2024-04-01T08:00:00Z"))  # its new version
    add(make_doc("https://www.jianbiao.example/5.html", site="jianbiao", title="作风建设动员大会讲话",
                 text=texts.DISCIPLINE, published_at=None))
    # An old version that mentions 振兴 and a new one that does not: search shows only the latest.
    add(make_doc("https://www.jianbiao.example/6.html", site="jianbiao", title="茶叶产业推进会讲话", text=TEA))
    add(make_doc("https://www.jianbiao.example/6.html", site="jianbiao", title="茶叶产业推进会讲话",
                 text=TEA.replace("，助力乡村振兴", ""), crawled_at="2024-05-01T08:00:00Z"))  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder: Path = tmp_path_factory.mktemp("datasette")
    path = folder / "archive.db"  # datasette names the database "archive", as datasette.yaml does
    with open_archive(path) as archive:
        _fill(archive)
        state = Served("", archive)
    port = _free_port()
    log = (folder / "datasette.log").open("w")
    command = [sys.executable, "-m", "datasette", "serve", str(path), "--port", str(port), "--host", "127.0.0.1",
               "--metadata", str(METADATA)]  # fmt: skip
    server = subprocess.Popen(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    state.base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"datasette exited with {server.returncode}: {(folder / 'datasette.log').read_text()}")
            try:
                if state.get("/-/versions.json")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"datasette did not answer in 60 s: {(folder / 'datasette.log').read_text()}")
            time.sleep(0.2)
        yield state
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _archive_links(page: str) -> list[str]:
    return sorted({html.unescape(href) for href in re.findall(r'href="(/archive[^"]*)"', page)})


def _root_and_copy(served: Served) -> tuple[str, str]:
    root = next(rid for rid, copies in served.duplicates.items() if copies)
    return root, served.duplicates[root][0]


def test_the_plugin_is_loaded(served: Served) -> None:
    plugins = served.json("/-/plugins.json")
    assert {"prepare_connection", "render_cell"} <= {
        hook for plugin in plugins if plugin["name"] == "fanwen-archive" for hook in plugin["hooks"]
    }, f"datasette did not load archive.datasette_plugin (is the project installed? pip install -e .): {plugins}"


@pytest.mark.parametrize("which", ["root", "copy"])
def test_a_record_page_shows_it_and_every_link_on_it_resolves(served: Served, which: str) -> None:
    root, copy = _root_and_copy(served)
    record = served.records[root if which == "root" else copy]
    status, page = served.get(f"/archive/records/{record.id}")
    assert status == 200
    assert html.escape(record.title) in page
    links = _archive_links(page)
    if which == "copy":
        assert f"/archive/records/{root}" in links  # its dup_of, linked to the document's root
    else:
        assert f"/archive/records?dup_of={root}" in links  # its copies, from "links from other tables"
        assert f"/archive/sightings?record_id={root}" in links
    for link in links:
        assert served.get(link)[0] == 200, link


def test_the_record_links_of_the_table_pages_resolve(served: Served) -> None:
    for table in ("records", "sightings", "record_captures"):
        status, page = served.get(f"/archive/{table}")
        assert status == 200
        links = [link for link in _archive_links(page) if link.startswith("/archive/records/")]
        assert links or table == "record_captures"
        for link in links:
            assert served.get(link)[0] == 200, link


def test_latest_records_has_each_url_once_with_its_latest_version(served: Served) -> None:
    rows = served.rows("/archive/latest_records")
    assert [row["url"] for row in rows] == list(served.latest_by_url)
    for row in rows:
        record = served.latest_by_url[row["url"]]
        assert record is not None
        assert {k: row[k] for k in ("id", "site", "title", "published_at", "crawled_at", "dup_of")} == {
            "id": record.id, "site": record.site, "title": record.title, "published_at": record.published_at,
            "crawled_at": record.crawled_at, "dup_of": record.dup_of,
        }  # fmt: skip
    assert {row["id"] for row in rows} == served.latest


def test_duplicate_groups_lists_each_root_with_its_copies(served: Served) -> None:
    rows = served.rows("/archive/duplicate_groups")
    expected = [(rid, copies) for rid, copies in served.duplicates.items() if copies]
    assert [(row["root_id"], json.loads(row["duplicate_ids"])) for row in rows] == expected
    root = served.records[rows[0]["root_id"]]
    assert (rows[0]["url"], rows[0]["title"], rows[0]["copies"]) == (root.url, root.title, 3)


def test_the_views_link_their_record_ids_to_the_records(served: Served) -> None:
    root, copy = _root_and_copy(served)
    for view, expected in (("duplicate_groups", {root, copy}), ("latest_records", set(served.latest))):
        status, page = served.get(f"/archive/{view}")
        assert status == 200
        linked = {link.rsplit("/", 1)[1] for link in _archive_links(page) if link.startswith("/archive/records/")}
        assert expected <= linked
        for record_id in linked:
            assert served.get(f"/archive/records/{record_id}")[0] == 200


def test_record_versions_numbers_the_versions_of_a_url(served: Served) -> None:
    rows = served.rows("/archive/record_versions", url="https://www.baina.example/fanwen/4.html")
    assert [(row["version"], row["versions"], row["is_latest"]) for row in rows] == [(1, 2, 0), (2, 2, 1)]


def test_the_table_list_hides_the_index_tables(served: Served) -> None:
    listing = served.json("/archive.json")
    hidden = {t["name"] for t in listing["tables"] if t["hidden"]}
    shown = {t["name"] for t in listing["tables"] if not t["hidden"]}
    assert shown == VISIBLE
    assert hidden >= HIDDEN and all(any(t.startswith(h) for h in HIDDEN) for t in hidden)
    assert {v["name"] for v in listing["views"]} == VIEWS
    status, page = served.get("/archive")
    assert status == 200
    assert all(f'href="/archive/{name}"' in page for name in VISIBLE | VIEWS)
    assert not any(f'href="/archive/{name}"' in page for name in hidden)


def test_the_metadata_describes_the_tables(served: Served) -> None:
    status, page = served.get("/archive/records")
    assert status == 200
    assert "Every archived version of every document" in html.unescape(page)
    assert 'data-column-description="Order of storage' in page


def _search(served: Served, path: str, query: str) -> set[str]:
    return {row["id"] for row in served.rows(path, _search=query)}


def test_the_search_box_finds_the_latest_records_holding_the_words(served: Served) -> None:
    def holding(*words: str) -> set[str]:
        return {
            rid for rid in served.latest
            if all(w in served.records[rid].title or w in served.records[rid].text for w in words)
        }  # fmt: skip

    assert len(holding("振兴")) == 3  # the tea talk's old version mentions it, its latest does not
    assert _search(served, "/archive/records", "振兴") == holding("振兴")
    assert _search(served, "/archive/latest_records", "振兴") == holding("振兴")
    assert _search(served, "/archive/records", "乡村振兴 讲话") == holding("乡村振兴", "讲话")
    assert _search(served, "/archive/records", "茶叶产业") == holding("茶叶产业") != set()
    assert _search(served, "/archive/records", "作风建设") == holding("作风建设") != set()


def test_a_query_the_index_refuses_finds_nothing_without_an_error(served: Served) -> None:
    assert _search(served, "/archive/records", "振") == set()
    status, page = served.get("/archive/records", _search="振")
    assert status == 200 and "0 rows" in page
