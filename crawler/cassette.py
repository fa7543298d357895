"""Replay (and record) whole sites as vcrpy cassettes, inside the real Scrapy engine.

vcrpy patches HTTP client libraries, not Twisted, so Scrapy's own traffic is invisible to it.
This download handler bridges the two: in replay mode it loads the cassette with vcrpy's
`Cassette.load` and answers each request with vcrpy's own request matching; in record mode it
fetches through `requests` (which vcrpy patches) inside `vcr.use_cassette`, so vcrpy writes the
cassette. Every downloader middleware (robots.txt, retries, compression, redirects) still runs.

Enable with `-s CASSETTE_PATH=path.yaml` (`crawler.addons.CassetteAddon` then installs the handler);
`-s CASSETTE_RECORD_MODE=all` re-records from the live site, `new_episodes` adds what is missing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import requests
import vcr
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread
from vcr.cassette import Cassette
from vcr.errors import UnhandledHTTPRequestError
from vcr.request import Request as VcrRequest

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

MATCH_ON = ("method", "scheme", "host", "port", "path", "query")
RECORD_MODES = ("none", "new_episodes", "all", "once")
_GZIP_MAGIC = b"\x1f\x8b"


class CassetteMiss(Exception):
    """The cassette holds no response for a request (replay mode never goes to the network)."""


def _vcr(record_mode: str) -> vcr.VCR:
    return vcr.VCR(record_mode=record_mode, match_on=MATCH_ON, decode_compressed_response=True)


def _replay_config(path: str) -> dict[str, Any]:
    config: dict[str, Any] = _vcr("none").get_merged_config(path=path, allow_playback_repeats=True)
    for key in ("path_transformer", "func_path_generator", "record_on_exception"):
        config.pop(key, None)
    return config


class CassetteDownloadHandler(BaseDownloadHandler):
    """Answers downloads from a vcrpy cassette, or records them into it.

    Settings: CASSETTE_PATH (required), CASSETTE_RECORD_MODE ("none" = replay only).
    Stats: cassette/played, cassette/recorded, cassette/miss.
    """

    def __init__(self, crawler: Crawler, path: str, record_mode: str = "none") -> None:
        super().__init__(crawler)
        if record_mode not in RECORD_MODES:
            raise NotConfigured(
                f"CASSETTE_RECORD_MODE={record_mode!r}; expected one of {', '.join(RECORD_MODES)}"
            )
        self.path = path
        self.record_mode = record_mode
        self._context: Any = None
        self.cassette: Cassette
        if record_mode == "none":
            self.cassette = Cassette.load(**_replay_config(path))
        else:
            # Entering the context patches requests/urllib3 for the whole crawl; vcrpy saves
            # the cassette when it is exited in close().
            self._context = _vcr(record_mode).use_cassette(path, allow_playback_repeats=True)
            self.cassette = self._context.__enter__()
        self._session = requests.Session()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("CASSETTE_PATH")
        if not path:
            raise NotConfigured("CASSETTE_PATH is not set")
        return cls(crawler, path, crawler.settings.get("CASSETTE_RECORD_MODE", "none"))

    async def download_request(self, request: Request) -> Response:
        assert self.crawler.stats is not None
        if self.record_mode == "none":
            vcr_request = VcrRequest(
                request.method, request.url, request.body or None, _plain_headers(request.headers)
            )
            try:
                recorded = self.cassette.play_response(vcr_request)
            except UnhandledHTTPRequestError:
                self.crawler.stats.inc_value("cassette/miss")
                raise CassetteMiss(f"{request.method} {request.url} is not in {self.path}") from None
            self.crawler.stats.inc_value("cassette/played")
            status = recorded["status"]["code"]
            headers = recorded["headers"]
            body = recorded["body"]["string"]
        else:
            status, headers, body = await maybe_deferred_to_future(deferToThread(self._fetch, request))
            self.crawler.stats.inc_value("cassette/recorded")
        return _response(request, status, headers, body)

    def _fetch(self, request: Request) -> tuple[int, dict[str, list[str]], bytes]:
        reply = self._session.request(
            request.method,
            request.url,
            headers=_plain_headers(request.headers),
            data=request.body or None,
            allow_redirects=False,
            timeout=self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 180),
        )
        headers: dict[str, list[str]] = {}
        for name, value in reply.raw.headers.items():
            headers.setdefault(name, []).append(value)
        return reply.status_code, headers, reply.content

    async def close(self) -> None:
        self._session.close()
        if self._context is not None:
            self._context.__exit__(None, None, None)
            logger.info("cassette %s saved", self.path)


def _plain_headers(headers: Headers) -> dict[str, str]:
    return {
        name.decode("latin-1"): b", ".join(values).decode("latin-1")
        for name, values in headers.items()
    }


def _response(request: Request, status: int, headers: dict[str, Any], body: bytes | str) -> Response:
    if isinstance(body, str):
        body = body.encode("utf-8")
    fixed = Headers()
    for name, values in headers.items():
        for value in values if isinstance(values, list) else [values]:
            fixed.appendlist(name, value)
    # vcrpy stores bodies decoded but keeps Content-Encoding and Content-Length: drop the
    # encoding of a body that is no longer compressed, and make the length true.
    if not body.startswith(_GZIP_MAGIC):
        fixed.pop(b"Content-Encoding", None)
    fixed.pop(b"Transfer-Encoding", None)
    fixed[b"Content-Length"] = str(len(body)).encode()
    cls = responsetypes.from_args(headers=fixed, url=request.url, body=body)
    return cls(url=request.url, status=status, headers=fixed, body=body, request=request, flags=["cassette"])
