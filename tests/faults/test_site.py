"""The fault site serves what it claims: each fault really happens, the good pages are documents."""

from __future__ import annotations

import html
import http.client
import re
import socket
import time
import zlib
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from crawler.extract import extract_page
from crawler.sites import GENERIC
from tests.faults.site import (
    DEEP_DOM_DEPTH,
    DOCUMENTS,
    GZIP_BOMB_INFLATED,
    HUGE_PAGE_BYTES,
    KINDS,
    RETRY_AFTER_SECONDS,
    TRUNCATED_CLAIMED,
    TRUNCATED_SENT,
    document,
    gzip_bomb,
    serve_faults,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.faults.site import FaultSite


@pytest.fixture(scope="module")
def site() -> Iterator[FaultSite]:
    with serve_faults() as served:
        yield served


def get(url: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    """A GET that neither follows redirects nor decodes, with the response left to read."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
    return conn.getresponse()


def test_good_pages_are_distinct_dated_documents(site: FaultSite) -> None:
    texts = set()
    for number, url in enumerate(site.document_urls("clean"), 1):
        body = get(url).read()
        result = extract_page(body, url, GENERIC)
        assert hasattr(result, "documents"), (url, result)
        doc = result.documents[0]
        assert doc.title == document(urlsplit(url).path, number).title
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc.published_at or ""), doc.published_at
        assert len(doc.text) >= 600
        texts.add(doc.text)
    assert len(texts) == DOCUMENTS


def test_index_links_the_documents_and_the_fault(site: FaultSite) -> None:
    page = get(site.url("http500")).read().decode()
    for url in site.document_urls("http500"):
        assert f'href="{urlsplit(url).path}"' in page
    assert 'href="/http500/doc-error.html"' in page
    assert page.index("doc-error.html") < page.index("doc-1.html"), "the fault is met early"


def test_robots_and_sitemap(site: FaultSite) -> None:
    robots = get(site.base + "/robots.txt").read().decode()
    assert "Disallow: /robots/private/" in robots
    sitemap = get(site.base + "/sitemap.xml").read().decode()
    locs = re.findall(r"<loc>(.*?)</loc>", sitemap)
    assert locs and all(loc.startswith(site.other + "/scope/") for loc in locs)
    with serve_faults(kinds=["clean"]) as clean:
        assert "<loc>" not in get(clean.base + "/sitemap.xml").read().decode()
        assert get(clean.url("hang")).status == 404, "kinds not served are 404"


def test_other_port_logs_every_request_and_serves_a_document(site: FaultSite) -> None:
    before = len(site.other_requests())
    response = get(site.other + "/anything.html?x=1")
    assert response.status == 200
    assert "发布时间" in response.read().decode()
    assert site.other_requests()[before:][0].path == "/anything.html?x=1"
    index = get(site.url("scope")).read().decode()
    assert f"{site.other}/scope/doc-x.html" in index
    assert f"ftp://127.0.0.1:{site.ftp_port}/x" in index
    assert "mailto:" in index and "javascript:" in index
    moved = get(site.base + "/scope/moved.html")
    assert moved.status == 302 and moved.getheader("Location") == site.other + "/scope/moved.html"


def test_ftp_port_counts_connections(site: FaultSite) -> None:
    before = site.ftp_connections()
    with socket.create_connection(("127.0.0.1", site.ftp_port), timeout=5) as conn:
        conn.recv(1)  # the listener hangs up at once
    deadline = time.monotonic() + 5
    while site.ftp_connections() == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert site.ftp_connections() == before + 1


def test_retry_after_then_ok(tmp_path: Path) -> None:
    with serve_faults(tmp_path, kinds=["retry_after"]) as served:
        url = served.fault_url("retry_after") or ""
        first = get(url)
        assert first.status == 503 and first.getheader("Retry-After") == str(RETRY_AFTER_SECONDS)
        assert get(url).status == 200
    assert "doc-busy.html" in (tmp_path / "requests.jsonl").read_text(encoding="utf-8")


def test_http500_and_redirect_loop(site: FaultSite) -> None:
    assert get(site.fault_url("http500") or "").status == 500
    a = get(site.base + "/redirect_loop/a.html")
    b = get(site.base + "/redirect_loop/b.html")
    assert (a.status, a.getheader("Location")) == (302, "/redirect_loop/b.html")
    assert (b.status, b.getheader("Location")) == (302, "/redirect_loop/a.html")


def test_truncated_sends_less_than_it_claims(site: FaultSite) -> None:
    response = get(site.fault_url("truncated") or "")
    assert response.getheader("Content-Length") == str(TRUNCATED_CLAIMED)
    with pytest.raises(http.client.IncompleteRead) as error:
        response.read()
    assert len(error.value.partial) == TRUNCATED_SENT


def test_hang_never_answers_and_stops_quickly() -> None:
    with serve_faults(kinds=["hang"]) as served:
        parts = urlsplit(served.fault_url("hang") or "")
        conn = socket.create_connection((parts.hostname or "", parts.port or 80), timeout=1)
        conn.sendall(f"GET {parts.path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        with pytest.raises(TimeoutError):
            conn.recv(1)
        started = time.monotonic()
    assert time.monotonic() - started < 2, "stopping ends the hanging answer at once"
    assert conn.recv(1) == b"", "and closes its connection"
    conn.close()


def test_empty_pages(site: FaultSite) -> None:
    assert get(site.base + "/empty/doc-empty.html").read() == b""
    script = get(site.base + "/empty/doc-script.html").read().decode()
    body = script.split("<body>", 1)[1]
    assert body.lstrip().startswith("<script>") and "同志们" not in re.sub(r"<script>.*?</script>", "", body)


def test_gzip_bomb_inflates_to_what_it_claims(site: FaultSite) -> None:
    response = get(site.fault_url("gzip_bomb") or "")
    assert response.getheader("Content-Encoding") == "gzip"
    body = response.read()
    assert body == gzip_bomb()
    assert 1_000_000 <= len(body) <= 1_500_000
    inflater = zlib.decompressobj(31)
    inflated = 0
    head = b""
    data = body
    while data:  # in bounded pieces: never 1 GiB at once
        piece = inflater.decompress(data, 1 << 24)
        head = head or piece[:200]
        inflated += len(piece)
        data = inflater.unconsumed_tail
    inflated += len(inflater.flush())
    assert inflated == GZIP_BOMB_INFLATED
    assert head.startswith(b"<!DOCTYPE html>")


def test_huge_page_streams_its_full_length(site: FaultSite) -> None:
    response = get(site.fault_url("huge_page") or "")
    claimed = int(response.getheader("Content-Length") or 0)
    assert claimed >= HUGE_PAGE_BYTES
    received = 0
    tail = b""
    while chunk := response.read(1 << 20):
        received += len(chunk)
        tail = chunk[-20:]
    assert received == claimed
    assert tail.rstrip().endswith(b"</html>")


def test_deep_dom_nests_the_text(site: FaultSite) -> None:
    page = get(site.fault_url("deep_dom") or "").read().decode()
    assert "<div>" * DEEP_DOM_DEPTH + "<p>" in page


def test_url_variants_serve_one_page_with_its_canonical(site: FaultSite) -> None:
    plain = get(site.fault_url("url_variants") or "").read()
    assert b'<link rel="canonical" href="/url_variants/doc-1.html">' in plain
    for path in KINDS["url_variants"].bad:
        assert get(site.base + path).read() == plain, path
    index = get(site.url("url_variants")).read().decode()
    hrefs = re.findall(r'href="(/url_variants/doc-1\.html[^"]*|/URL_VARIANTS/[^"]*)"', index)
    links = [html.unescape(href) for href in hrefs]
    assert links == [*KINDS["url_variants"].bad, "/url_variants/doc-1.html"], "variants first, plain last"


def test_request_log_filters_by_kind(site: FaultSite) -> None:
    get(site.url("robots")).read()
    assert any(r.path == "/robots/index.html" for r in site.requests("robots"))
    assert all(r.path.lower().startswith("/robots/") for r in site.requests("robots"))
    assert not any("/robots/private/" in r.path for r in site.requests("clean"))


def test_every_kind_has_a_start_page(site: FaultSite) -> None:
    for kind in KINDS:
        assert get(site.url(kind)).status == 200, kind
