"""Backoff on 429/503: the host slows down as the server asks, and the page still arrives."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from crawler.middlewares import retry_after_seconds
from tests.crawler.test_spiders import scrapy_crawl, stat

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

PAGE = (
    "<html><head><title>会议讲话_百纳范文网</title></head><body><h1>会议讲话</h1>"
    "<div class='info'>时间:2022-09-15 15:10:05 来源:网友投稿</div>"
    "<div class='content'><p>同志们:</p><p>今天召开会议,研究部署下一阶段工作。</p></div></body></html>"
).encode()


def test_retry_after_header_forms() -> None:
    now = datetime(2024, 3, 10, 12, tzinfo=UTC)
    assert retry_after_seconds(b"5") == 5.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True).encode(), now) == 30.0
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None


# An answer: status, headers, body; None for a 404.
Answer = tuple[int, dict[str, str], bytes] | None


@contextmanager
def serve(answer: Callable[[str], Answer]) -> Iterator[str]:
    """Serve `answer(path)` for every GET on a free loopback port; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            found = answer(self.path)
            if found is None:
                self.send_error(404)
                return
            status, headers, body = found
            self.send_response(status)
            for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture
def busy_server() -> Iterator[tuple[str, list[int]]]:
    """Answers /fanwen/1.html with 429 (Retry-After: 1), then 503, then the page."""
    answers = [429, 503, 200]
    served: list[int] = []

    def answer(path: str) -> Answer:
        if path != "/fanwen/1.html":
            return None
        status = answers[min(len(served), len(answers) - 1)]
        served.append(status)
        return status, {"Retry-After": "1"} if status == 429 else {}, PAGE if status == 200 else b"busy"

    with serve(answer) as base:
        yield base, served


def test_busy_server_is_retried_with_backoff(busy_server: tuple[str, list[int]], tmp_path: Path) -> None:
    base, served = busy_server
    records, log = scrapy_crawl("baina", base + "/fanwen/1.html", tmp_path, "ROBOTSTXT_OBEY=False",
                                "BACKOFF_BASE_DELAY=0.5")
    assert served == [429, 503, 200]
    assert [r["title"] for r in records] == ["会议讲话"]
    assert stat(log, "backoff/retry") == 2
    # Retry-After: 1 for the 429; then 0.5 * 2**1 for the 503 without one.
    assert "'backoff/max_delay': 1.0" in log


@pytest.fixture
def blip_server() -> Iterator[tuple[str, list[tuple[str, int]]]]:
    """/fanwen/1.html answers 503 (Retry-After: 1) once; /fanwen/2..4.html and later tries, 200.

    /fanwen/9.html always answers 503 with Retry-After: 30.
    """
    served: list[tuple[str, int]] = []
    documents = {f"/fanwen/{n}.html" for n in (1, 2, 3, 4)}

    def answer(path: str) -> Answer:
        if path == "/fanwen/":
            links = "".join(f"<a href='/fanwen/{n}.html'>{n}</a>" for n in (1, 2, 3, 4))
            found: Answer = 200, {}, f"<html><body>{links}</body></html>".encode()
        elif path == "/fanwen/9.html" or (path == "/fanwen/1.html" and (path, 503) not in served):
            found = 503, {"Retry-After": "30" if path.endswith("9.html") else "1"}, b"busy"
        elif path in documents:
            found = 200, {}, PAGE.replace("会议讲话</h1>".encode(), f"会议讲话{path[-6]}</h1>".encode())
        else:
            return None
        served.append((path, found[0]))
        return found

    with serve(answer) as base:
        yield base, served


def test_a_host_that_answers_again_gets_its_delay_back(
    blip_server: tuple[str, list[tuple[str, int]]], tmp_path: Path
) -> None:
    base, served = blip_server
    records, log = scrapy_crawl("baina", base + "/fanwen/", tmp_path, "ROBOTSTXT_OBEY=False",
                                "AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0")
    assert ("/fanwen/1.html", 503) in served and ("/fanwen/1.html", 200) in served
    assert len(records) == 4
    assert stat(log, "backoff/retry") == 1
    # The 200 after the wait restores the slot's delay (0 here), instead of 1 s per request.
    assert stat(log, "backoff/recovered") == 1
    assert "its delay is back to 0.0s" in log


def test_no_wait_is_set_when_nothing_will_be_retried(
    blip_server: tuple[str, list[tuple[str, int]]], tmp_path: Path
) -> None:
    base, served = blip_server
    records, log = scrapy_crawl("baina", base + "/fanwen/9.html", tmp_path, "ROBOTSTXT_OBEY=False",
                                "RETRY_TIMES=0")
    assert served == [("/fanwen/9.html", 503)]
    assert records == []
    assert stat(log, "backoff/gave_up") == 1
    assert "delaying its requests" not in log
    assert stat(log, "crawl/page_error") == 1
