"""The WARC keeps each response as the server sent it: gzip and br bodies, chunked pages.

A copy of the juyou sample site serves its files compressed, br or gzip as the request asks,
two pages of the split article chunked, and is crawled through the real engine (`scrapy
crawl`). The stored payload must be the bytes the server sent, the headers must frame it (a
Content-Length that is its length; pywb stopped at the compressed size when the body was
Scrapy's decoded one), and warcio, pywb and the archive's own read path must each get the
page back whole.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from archive import open_archive, pack_capture
from crawler.extract import Extracted, Skipped, extract_page
from crawler.middlewares import RawResponseMiddleware
from crawler.sites import SITES
from crawler.spiders.base import capture_of
from samples.serve import DEFAULT_SITES_ROOT, serve_site
from tests.conftest import ROOT
from tests.crawler.test_spiders import scrapy_crawl

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Response

SITE = "juyou"
ARTICLE = "/fanwendaquan/gongwenfanwen/186601.html"  # page 1 of 3: gzip, with a Content-Length
PAGE_2 = "/fanwendaquan/gongwenfanwen/186601_2.html"  # gzip, chunked
PAGE_3 = "/fanwendaquan/gongwenfanwen/186601_3.html"  # not compressed, chunked
SPEECH = "/fanwendaquan/gongwenfanwen/186650.html"
COMPILATION = "/fanwendaquan/gongwenfanwen/186523.html"  # 117 KB, five documents


class Crawl:
    """A crawl of a served copy of the site, and what it left."""

    def __init__(self, root: Path, config: dict[str, Any], start_path: str = "/") -> None:
        self.site = root / "site"
        shutil.copytree(DEFAULT_SITES_ROOT / SITE, self.site)
        settings = json.loads((self.site / "_site.json").read_text(encoding="utf-8"))
        settings.update({k: v for k, v in config.items() if k != "paths"})
        settings["paths"].update(config.get("paths", {}))
        (self.site / "_site.json").write_text(json.dumps(settings), encoding="utf-8")
        self.server, self.base = serve_site(self.site)
        self.records, self.log = scrapy_crawl(SITE, self.base + start_path, root)
        self.uri = f"sqlite:///{root / 'archive.db'}"
        self.warcs = sorted((root / "archive.warc").glob("captures-*.warc.gz"))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def page(self, url: str) -> bytes:
        """The file the server sends for ``url``, before any content coding."""
        return (self.site / "www" / urlsplit(url).path.lstrip("/")).read_bytes()

    def sent(self, url: str, accept_encoding: str) -> tuple[dict[str, str], bytes]:
        """What the server sends for ``url`` (http.client undoes chunking, never gzip)."""
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        try:
            conn.request("GET", parts.path, headers={"Accept-Encoding": accept_encoding})
            reply = conn.getresponse()
            return {k.lower(): v for k, v in reply.getheaders()}, reply.read()
        finally:
            conn.close()

    def responses(self) -> list[dict[str, Any]]:
        """Every response record of the WARC files, with its request's Accept-Encoding."""
        found: list[dict[str, Any]] = []
        accept: dict[str, str] = {}
        for path in self.warcs:
            with path.open("rb") as fh:
                for record in ArchiveIterator(fh):
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    if record.rec_type == "request":
                        accept[url] = record.http_headers.get_header("Accept-Encoding")
                    elif record.rec_type == "response":
                        found.append(
                            {
                                "url": url,
                                "headers": {k.lower(): v for k, v in record.http_headers.headers},
                                "payload": record.raw_stream.read(),
                            }
                        )
        for response in found:
            response["accept_encoding"] = accept[response["url"]]
        return found

    def decoded_by_warcio(self) -> dict[str, bytes]:
        decoded = {}
        for path in self.warcs:
            with path.open("rb") as fh:
                for record in ArchiveIterator(fh):
                    if record.rec_type == "response":
                        decoded[record.rec_headers.get_header("WARC-Target-URI")] = record.content_stream().read()
        return decoded


@pytest.fixture(scope="module")
def negotiated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    """The site offers br, then gzip, as a server with both modules does."""
    chunked = {"chunked": True}
    crawl = Crawl(
        tmp_path_factory.mktemp("negotiated"),
        {"content_encoding": ["br", "gzip"], "paths": {PAGE_2: chunked, PAGE_3: {**chunked, "content_encoding": None}}},
    )
    yield crawl
    crawl.close()


@pytest.fixture(scope="module")
def br_unasked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    """A server that sends br although the crawler does not ask for it."""
    pytest.importorskip("brotli", reason="the server needs the brotli module to send br")
    crawl = Crawl(
        tmp_path_factory.mktemp("br_unasked"),
        {"paths": {SPEECH: {"content_encoding": "br", "encode_unasked": True}}},
        start_path=SPEECH,
    )
    yield crawl
    crawl.close()


@pytest.mark.slow  # a subprocess crawl through the real engine
def test_the_warc_payload_is_what_the_server_sent(negotiated: Crawl) -> None:
    responses = negotiated.responses()
    by_path = {urlsplit(r["url"]).path: r for r in responses}
    assert sorted(by_path) == sorted([ARTICLE, PAGE_2, PAGE_3, SPEECH, COMPILATION])
    for response in responses:
        # Asked only for the codings every WARC reader decodes, the site sends gzip, not br.
        assert response["accept_encoding"] == "gzip, deflate"
        headers, body = negotiated.sent(response["url"], response["accept_encoding"])
        assert response["payload"] == body, response["url"]
        assert response["headers"].get("content-encoding") == headers.get("content-encoding")
        assert "transfer-encoding" not in response["headers"]
        # The framing is the stored body's: its length, or none for a page that came chunked.
        assert response["headers"].get("content-length") == headers.get("content-length")
        assert response["headers"].get("content-length") in (None, str(len(response["payload"])))
    assert by_path[ARTICLE]["headers"]["content-encoding"] == "gzip"
    assert by_path[ARTICLE]["headers"]["content-length"] == str(len(by_path[ARTICLE]["payload"]))
    assert len(by_path[ARTICLE]["payload"]) < len(negotiated.page(by_path[ARTICLE]["url"])) / 1.5
    assert by_path[PAGE_2]["headers"]["content-encoding"] == "gzip"
    assert "content-length" not in by_path[PAGE_2]["headers"]
    assert "content-encoding" not in by_path[PAGE_3]["headers"]
    assert by_path[PAGE_3]["payload"] == negotiated.page(by_path[PAGE_3]["url"])


@pytest.mark.slow  # a subprocess crawl through the real engine
def test_warcio_checks_the_files_and_reads_every_page_back_whole(negotiated: Crawl) -> None:
    warcio = Path(sys.executable).with_name("warcio")
    done = subprocess.run([str(warcio), "check", "-v", *map(str, negotiated.warcs)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "digest pass" in done.stdout and "fail" not in done.stdout
    decoded = negotiated.decoded_by_warcio()
    assert len(decoded) == 5
    for url, content in decoded.items():
        assert content == negotiated.page(url), url


@pytest.mark.slow  # a subprocess crawl through the real engine
def test_re_extraction_reads_the_decoded_page_from_the_archive(negotiated: Crawl) -> None:
    profile = SITES[SITE]
    with open_archive(negotiated.uri, create=False) as archive:
        records = list(archive.iter_records())
        assert sorted((r.to_dict() for r in records), key=lambda r: r["url"]) == sorted(
            negotiated.records, key=lambda r: r["url"]
        )
        payloads = {r["url"]: r["payload"] for r in negotiated.responses()}
        for record in records:
            for capture in archive.captures(record.id):
                assert capture.body == payloads[capture.url]
                assert capture.decoded_body() == negotiated.page(capture.url)
        speech = next(r for r in records if urlsplit(r.url).path == SPEECH)
        (capture,) = archive.captures(speech.id)
    content_type = dict((k.lower(), v) for k, v in capture.headers)["content-type"]
    # The stored body is the gzip the server sent: an extractor needs decoded_body().
    assert extract_page(capture.body, capture.url, profile, content_type=content_type) == Skipped(
        "not_html", "binary body"
    )
    again = extract_page(capture.decoded_body(), capture.url, profile, content_type=content_type)
    assert isinstance(again, Extracted)
    assert (again.documents[0].title, again.documents[0].text) == (speech.title, speech.text)


@pytest.mark.slow  # a subprocess crawl through the real engine
def test_the_reextract_command_reads_compressed_and_chunked_captures_as_the_crawl_did(negotiated: Crawl) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "archive", "reextract", "--archive", negotiated.uri, "--dry-run"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    count = len(negotiated.records)
    assert done.stdout.splitlines() == [f"{count} records read: {count} unchanged, 0 would change, 0 failed"]


@pytest.mark.slow  # a subprocess crawl through the real engine
def test_a_br_body_sent_unasked_is_kept_as_sent(br_unasked: Crawl) -> None:
    (response,) = br_unasked.responses()
    headers, body = br_unasked.sent(response["url"], response["accept_encoding"])
    assert headers["content-encoding"] == "br"
    assert response["payload"] == body
    assert response["headers"]["content-encoding"] == "br"
    assert response["headers"]["content-length"] == str(len(body))
    # warcio decodes br only through brotlipy, whose `brotli` module is not the one Scrapy
    # needs: the archive's read path decodes it.
    with open_archive(br_unasked.uri, create=False) as archive:
        (record,) = archive.iter_records()
        (capture,) = archive.captures(record.id)
    assert capture.body == body
    assert capture.decoded_body() == br_unasked.page(response["url"])
    assert record.to_dict() == br_unasked.records[0]


_PYWB_REPLAY = textwrap.dedent(
    """
    import base64, http.client, json, os, sys, threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    work, out, warcs, urls = sys.argv[1], sys.argv[2], sys.argv[3].split(os.pathsep), sys.argv[4:]
    os.chdir(work)
    from pywb.manager.manager import main as wb_manager
    wb_manager(["init", "c"])
    wb_manager(["add", "c", *warcs])
    from pywb.apps.frontendapp import FrontEndApp

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, FrontEndApp(), handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    replayed = {}
    for url in urls:
        for mode, accept in (("id_", "gzip, deflate, br"), ("mp_", "identity")):
            conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=60)
            conn.request("GET", f"/c/2{mode}/{url}", headers={"Accept-Encoding": accept})
            reply = conn.getresponse()
            body = reply.read()
            replayed[mode + url] = {
                "status": reply.status,
                "headers": {k.lower(): v for k, v in reply.getheaders()},
                "body": base64.b64encode(body).decode(),
            }
            conn.close()
    with open(out, "w") as fh:
        json.dump(replayed, fh)
    """
)


def _pywb_python() -> str | None:
    configured = os.environ.get("PYWB_PYTHON")
    if configured:
        return configured
    return sys.executable if importlib.util.find_spec("pywb") is not None else None


@pytest.mark.slow
@pytest.mark.parametrize("crawl_name", ["negotiated", "br_unasked"])
def test_pywb_replays_every_page_whole(crawl_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    python = _pywb_python()
    if python is None:
        pytest.skip(
            "pywb is not installed: set PYWB_PYTHON to a Python that has it (pip install pywb in a venv "
            "of its own: it pins brotlipy, whose brotli module replaces the one Scrapy needs)"
        )
    crawl: Crawl = request.getfixturevalue(crawl_name)
    responses = crawl.responses()
    assert len(responses) == {"negotiated": 5, "br_unasked": 1}[crawl_name]
    script = tmp_path / "replay.py"
    script.write_text(_PYWB_REPLAY, encoding="utf-8")
    out = tmp_path / "replayed.json"
    urls = [r["url"] for r in responses]
    done = subprocess.run(
        [python, str(script), str(tmp_path), str(out), os.pathsep.join(map(str, crawl.warcs)), *urls],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    replayed = json.loads(out.read_text(encoding="utf-8"))
    for response in responses:
        url = response["url"]
        raw = replayed["id_" + url]
        body = base64.b64decode(raw["body"])
        # The raw replay is the response as archived, and its framing lets a client read it all.
        assert raw["status"] == 200, url
        assert body == response["payload"], url
        assert raw["headers"].get("content-encoding") == response["headers"].get("content-encoding")
        assert raw["headers"].get("content-length") in (None, str(len(body)))
        # The rewritten replay has decoded it: the page's own text is there.
        rewritten = base64.b64decode(replayed["mp_" + url]["body"])
        title = crawl.page(url).split(b"<title>", 1)[1].split(b"</title>", 1)[0]
        assert title and title in rewritten, url


def _through_the_middlewares(response: Response) -> Response:
    # process_response runs from the highest order down: 595, then Scrapy's 590.
    crawler = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 8 << 20})
    assert response.request is not None
    arrived = RawResponseMiddleware().process_response(response.request, response)
    return HttpCompressionMiddleware.from_crawler(crawler).process_response(response.request, arrived)


def test_capture_of_a_gzip_response_is_the_response_as_it_arrived() -> None:
    page = "<html><title>通知</title><p>正文</p></html>".encode()
    sent = gzip.compress(page)
    request = Request("http://127.0.0.1/a.html", headers={"Accept-Encoding": "gzip, deflate"})
    response = HtmlResponse(
        request.url,
        headers={"Content-Length": str(len(sent)), "Content-Encoding": "gzip", "Content-Type": "text/html"},
        body=sent,
        request=request,
    )
    decoded = _through_the_middlewares(response)
    assert decoded.body == page and b"Content-Encoding" not in decoded.headers  # what the spider reads
    capture = capture_of(decoded)
    assert capture.body == sent
    assert capture.headers == [
        ("Content-Length", str(len(sent))),
        ("Content-Encoding", "gzip"),
        ("Content-Type", "text/html"),
    ]
    assert capture.decoded_body() == page
    assert pack_capture(capture).packed is not None


def test_capture_of_keeps_no_framing_the_stored_body_does_not_have() -> None:
    # Another download handler might pass chunking through; a body cut short keeps its claim.
    request = Request("http://127.0.0.1/b.html")
    response = HtmlResponse(
        request.url,
        headers={"Transfer-Encoding": "chunked", "Content-Length": "9999", "Content-Type": "text/html"},
        body=b"<p>short</p>",
        request=request,
    )
    capture = capture_of(_through_the_middlewares(response))
    assert capture.headers == [("Content-Length", "12"), ("Content-Type", "text/html")]
    assert capture.body == b"<p>short</p>"
