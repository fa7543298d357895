"""Static server for the bundled sample sites (stdlib only).

Each site is a folder ``samples/sites/<key>/`` holding:

* ``www/``: the files; a URL path maps to a file under ``www/``, a directory URL ``/x/``
  serves ``x/index.html``, query strings are ignored;
* ``_site.json``: ``{"charset": "utf-8" | "gbk", "last_modified": "...",
  "paths": {"/some/path.html": {"status": 200, "headers": {"Content-Type": "..."}}}}``.

Files are sent as raw bytes (a GBK site's pages are stored GBK-encoded). Default
Content-Type: ``.html`` -> ``text/html; charset=<site charset>``, ``.txt`` -> ``text/plain``,
``.xml`` -> ``application/xml``, anything else by :mod:`mimetypes`. Per-path entries replace
those headers (and may set the status). A missing file is a real 404 with a small HTML body.
Every response has Content-Length and Last-Modified; HEAD is supported.

Compression, as a server configured for it sends it: ``"content_encoding"`` at the top of
``_site.json`` (every file) or in a path's entry (that path; ``null`` turns it off) is a coding
(``"gzip"``, ``"deflate"``, ``"br"``; ``br`` needs the ``brotli`` module) or a list of them in the
server's preference; the body is sent in the first one the request's Accept-Encoding names, else
as it is (``"encode_unasked": true`` in a path's entry: in the first one all the same, as a
misconfigured server does). ``"chunked": true`` in a path's entry sends it with
``Transfer-Encoding: chunked`` instead of a Content-Length. The bundled sites use none of this.

Usage::

    python -m samples.serve [--port-base 8101] [--sites-root DIR]

serves every site, prints one ``key url`` line per site and runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import mimetypes
import posixpath
import signal
import sys
import threading
import zlib
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterator

DEFAULT_SITES_ROOT = Path(__file__).resolve().parent / "sites"
DEFAULT_LAST_MODIFIED = "Mon, 01 May 2023 00:00:00 GMT"

_NOT_FOUND_BODY = (
    b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>404 Not Found</title></head>"
    b"<body><h1>404 Not Found</h1><p>The requested URL was not found on this server.</p>"
    b"</body></html>\n"
)


def load_site_config(site_dir: Path) -> dict[str, Any]:
    """Read ``_site.json`` of a site folder (defaults when absent)."""
    cfg_path = Path(site_dir) / "_site.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.is_file() else {}
    cfg.setdefault("charset", "utf-8")
    # Without a fixed date, Last-Modified is the file's mtime, so an edited page is newer.
    cfg.setdefault("last_modified", None)
    cfg.setdefault("paths", {})
    cfg.setdefault("content_encoding", None)
    return cfg


def encode_body(body: bytes, coding: str) -> bytes:
    """``body`` in the content coding ``coding``; the same bytes every time (gzip without mtime)."""
    if coding == "gzip":
        return gzip.compress(body, mtime=0)
    if coding == "deflate":
        return zlib.compress(body)
    if coding == "br":
        import brotli  # not stdlib: only a site that serves br needs it

        return bytes(brotli.compress(body))
    raise ValueError(f"unknown content coding {coding!r}; use gzip, deflate or br")


def _pick_coding(offered: str | list[str] | None, accept_encoding: str | None, unasked: bool) -> str | None:
    codings = [offered] if isinstance(offered, str) else list(offered or [])
    accepted = {token.split(";")[0].strip().lower() for token in (accept_encoding or "").split(",")}
    chosen = next((c for c in codings if c in accepted), None)
    return codings[0] if chosen is None and unasked and codings else chosen


def _default_content_type(path: str, charset: str) -> str:
    lower = path.lower()
    if lower.endswith((".html", ".htm")):
        return f"text/html; charset={charset}"
    if lower.endswith(".txt"):
        return "text/plain"
    if lower.endswith(".xml"):
        return "application/xml"
    guessed, _ = mimetypes.guess_type(lower)
    return guessed or "application/octet-stream"


def _make_handler(site_dir: Path, cfg: dict[str, Any]) -> type[BaseHTTPRequestHandler]:
    www = (Path(site_dir) / "www").resolve()
    charset = cfg["charset"]
    last_modified = cfg["last_modified"]
    overrides: dict[str, Any] = cfg["paths"]
    site_coding: str | list[str] | None = cfg["content_encoding"]

    class SampleSiteHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "SampleSite/1.0"
        timeout = 30

        def version_string(self) -> str:
            return self.server_version

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(
            self,
            status: int,
            headers: dict[str, str],
            body: bytes,
            head: bool,
            spec: dict[str, Any] | None = None,
        ) -> None:
            # spec: how a file is sent (its _site.json entry over the site's defaults); error
            # pages, redirects and 304s are sent plain.
            spec = spec or {}
            offered = spec.get("content_encoding")
            chunked = bool(spec.get("chunked"))
            if offered:
                headers = {**headers, "Vary": "Accept-Encoding"}
                coding = _pick_coding(offered, self.headers.get("Accept-Encoding"), bool(spec.get("encode_unasked")))
                if coding is not None:
                    body = encode_body(body, coding)
                    headers["Content-Encoding"] = coding
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if head:
                return
            if not chunked:
                self.wfile.write(body)
                return
            # Several chunks, so a reader that ignored the framing would see it in the body.
            size = max(1, len(body) // 3)
            for start in range(0, len(body), size):
                piece = body[start : start + size]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")

        def _not_found(self, head: bool) -> None:
            self._send(
                HTTPStatus.NOT_FOUND,
                {"Content-Type": "text/html; charset=utf-8", "Last-Modified": last_modified or DEFAULT_LAST_MODIFIED},
                _NOT_FOUND_BODY,
                head,
            )

        def _handle(self, head: bool) -> None:
            url_path = unquote(urlsplit(self.path).path) or "/"
            if not url_path.startswith("/"):
                url_path = "/" + url_path
            norm = posixpath.normpath(url_path)
            if url_path.endswith("/") and norm != "/":
                norm += "/"
            if ".." in norm.split("/"):
                return self._not_found(head)
            target = www / norm.lstrip("/")
            if norm.endswith("/"):
                target = target / "index.html"
            elif target.is_dir():
                self._send(
                    HTTPStatus.MOVED_PERMANENTLY,
                    {"Location": norm + "/", "Content-Type": "text/html; charset=utf-8",
                     "Last-Modified": last_modified or DEFAULT_LAST_MODIFIED},
                    b"",
                    head,
                )
                return
            try:
                resolved = target.resolve()
                resolved.relative_to(www)
            except (OSError, ValueError):
                return self._not_found(head)
            if not resolved.is_file():
                return self._not_found(head)
            body = resolved.read_bytes()
            modified = last_modified or formatdate(int(resolved.stat().st_mtime), usegmt=True)
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'  # noqa: S324 - a validator, not security
            headers = {
                "Content-Type": _default_content_type(resolved.name, charset),
                "Last-Modified": modified,
                "ETag": etag,
            }
            if self._not_modified(etag, modified):
                self._send(HTTPStatus.NOT_MODIFIED, {"ETag": etag, "Last-Modified": modified}, b"", True)
                return
            status: int = HTTPStatus.OK
            spec = overrides.get(norm) or overrides.get(url_path)
            if spec:
                status = int(spec.get("status", 200))
                lowered = {k.lower(): k for k in headers}
                for name, value in spec.get("headers", {}).items():
                    old = lowered.get(name.lower())
                    if old is not None:
                        del headers[old]
                    headers[name] = value
            self._send(status, headers, body, head, {"content_encoding": site_coding, **(spec or {})})

        def _not_modified(self, etag: str, modified: str) -> bool:
            # Conditional GET as a real server answers it: If-None-Match wins over
            # If-Modified-Since (RFC 9110, 13.2.2).
            match = self.headers.get("If-None-Match")
            if match is not None:
                return etag in [tag.strip() for tag in match.split(",")]
            since = self.headers.get("If-Modified-Since")
            if since is None:
                return False
            try:
                return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False

        def do_GET(self) -> None:
            self._handle(head=False)

        def do_HEAD(self) -> None:
            self._handle(head=True)

        def _not_allowed(self) -> None:
            self._send(
                HTTPStatus.METHOD_NOT_ALLOWED,
                {"Allow": "GET, HEAD", "Content-Type": "text/plain"},
                b"method not allowed\n",
                False,
            )

        do_POST = do_PUT = do_DELETE = _not_allowed

    return SampleSiteHandler


def serve_site(site_dir: Path, host: str = "127.0.0.1", port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Serve one site folder in a daemon thread; return ``(server, base_url)``.

    ``base_url`` has no trailing slash (``http://127.0.0.1:PORT``). Stop it with
    ``server.shutdown(); server.server_close()``.
    """
    site_dir = Path(site_dir)
    cfg = load_site_config(site_dir)
    server = ThreadingHTTPServer((host, port), _make_handler(site_dir, cfg))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05},
        name=f"sample-site-{site_dir.name}", daemon=True,
    )
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return server, f"http://{bound_host!s}:{bound_port}"


def site_dirs(sites_root: Path = DEFAULT_SITES_ROOT) -> dict[str, Path]:
    """``{site_key: folder}`` for every folder of ``sites_root`` that has a ``www/``."""
    root = Path(sites_root)
    return {
        p.name: p
        for p in sorted(root.iterdir())
        if p.is_dir() and (p / "www").is_dir()
    }


@contextlib.contextmanager
def serve_all(sites_root: Path = DEFAULT_SITES_ROOT, port_base: int = 0) -> Iterator[dict[str, str]]:
    """Serve every site under ``sites_root``; yield ``{site_key: base_url}``.

    ``port_base=0`` uses ephemeral ports; otherwise site *i* (sorted by key) gets
    ``port_base + i``. All servers are shut down when the block exits.
    """
    servers: list[ThreadingHTTPServer] = []
    urls: dict[str, str] = {}
    try:
        for i, (key, folder) in enumerate(site_dirs(sites_root).items()):
            port = port_base + i if port_base else 0
            server, url = serve_site(folder, port=port)
            servers.append(server)
            urls[key] = url
        yield urls
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def main(argv: list[str] | None = None) -> int:
    """Serve every sample site until interrupted; returns the exit code."""
    parser = argparse.ArgumentParser(description="Serve the bundled sample sites on 127.0.0.1.")
    parser.add_argument("--port-base", type=int, default=0,
                        help="first port (site i gets port_base+i in key order); 0 = ephemeral")
    parser.add_argument("--sites-root", type=Path, default=DEFAULT_SITES_ROOT)
    args = parser.parse_args(argv)

    def _interrupt(signum: int, frame: Any) -> None:  # Ctrl-C, and SIGTERM / SIGINT even when started in the background
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    with serve_all(args.sites_root, args.port_base) as urls:
        for key, url in urls.items():
            print(f"{key} {url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
