"""Raw captures in rotating, append-only gzipped WARC files (``captures-00001.warc.gz``, ...).

One gzip member per WARC record, so a file can always be appended to and any record can be
read by seeking to its offset. HTTP header and body bytes are written and read back verbatim.
"""

from __future__ import annotations

import hashlib
import http
import logging
import os
import re
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

# warcio ships no type information; its API is used in this module only.
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.errors import CorruptArchive
from archive.records import Capture

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

logger = logging.getLogger(__name__)

#: Start a new WARC file once the current one has reached this size (bytes).
WARC_MAX_BYTES = 100 * 1024 * 1024

_NAME = re.compile(r"captures-(\d{5,})\.warc\.gz")


def payload_digest(body: bytes) -> str:
    """Return the key under which a body is stored once per URL (``sha256:<hex>``)."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class WarcLocation:
    """Where a capture's WARC records are: file name in the WARC directory, offsets, lengths."""

    warc_file: str
    offset: int
    length: int
    request_offset: int | None = None
    request_length: int | None = None


class _Latin1Headers(StatusAndHeaders):  # type: ignore[misc]
    # warcio percent-encodes non-ASCII header values on write; latin-1 maps every header byte
    # to one code point and back, so the bytes on the wire are what the caller gave us.
    def compute_headers_buffer(self, header_filter: Callable[..., Any] | None = None) -> None:
        self.headers_buff = self.to_bytes(header_filter, encoding="latin-1")


class WarcDir:
    """The directory of WARC files beside an archive database.

    Args:
        directory: The directory (created on the first write).
        max_bytes: Rotation threshold; see ``WARC_MAX_BYTES``.
    """

    def __init__(self, directory: Path, *, max_bytes: int = WARC_MAX_BYTES) -> None:
        self.directory = directory
        self.max_bytes = max_bytes

    def write(self, capture: Capture) -> WarcLocation:
        """Append ``capture`` as a response (and request) record, flushed and fsynced.

        The caller holds the database write lock, so no other writer appends concurrently.
        """
        path = self._current_file()
        new_file = not path.exists()
        with path.open("ab") as fh:
            writer = WARCWriter(fh, gzip=True)
            if new_file:
                self._write_warcinfo(writer, path.name)
            offset = fh.seek(0, os.SEEK_END)
            response = _response_record(writer, capture)
            writer.write_record(response)
            length = fh.tell() - offset
            request_offset = request_length = None
            if capture.request_headers:
                request_offset = fh.tell()
                writer.write_record(_request_record(writer, capture, response))
                request_length = fh.tell() - request_offset
            fh.flush()
            os.fsync(fh.fileno())
        if new_file:
            _fsync_dir(self.directory)
            logger.info("started WARC file %s", path)
        return WarcLocation(path.name, offset, length, request_offset, request_length)

    def read(self, location: WarcLocation, *, url: str, fetched_at: str) -> Capture:
        """Read back the capture stored at ``location``.

        Raises:
            CorruptArchive: When the file is missing or the bytes there are not the expected record.
        """
        path = self.directory / location.warc_file
        try:
            with path.open("rb") as fh:
                status, headers, body = _parse_http(
                    _read_block(fh, location.offset, "response", url), path
                )
                request_headers: list[tuple[str, str]] = []
                if location.request_offset is not None:
                    block = _read_block(fh, location.request_offset, "request", url)
                    request_headers = _parse_http(block, path)[1]
        except FileNotFoundError:
            raise CorruptArchive(
                f"WARC file {path} is missing; restore it (the database still refers to it)"
            ) from None
        except (ArchiveLoadFailed, StopIteration, OSError, ValueError) as exc:
            raise CorruptArchive(
                f"cannot read the capture of {url} at {path}:{location.offset} ({exc}); "
                "restore the WARC file from a backup"
            ) from exc
        return Capture(url, status, headers, body, fetched_at, request_headers)

    def _current_file(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        numbers = [
            int(m.group(1))
            for path in self.directory.iterdir()
            if (m := _NAME.fullmatch(path.name))
        ]
        number = max(numbers, default=1)
        path = self.directory / f"captures-{number:05d}.warc.gz"
        if path.exists() and path.stat().st_size >= self.max_bytes:
            path = self.directory / f"captures-{number + 1:05d}.warc.gz"
        return path

    @staticmethod
    def _write_warcinfo(writer: Any, filename: str) -> None:
        info = {"software": "fanwen-archive", "format": "WARC File Format 1.0"}
        writer.write_record(writer.create_warcinfo_record(filename, info))


def _response_record(writer: Any, capture: Capture) -> Any:
    try:
        statusline = f"{capture.status} {http.HTTPStatus(capture.status).phrase}"
    except ValueError:
        statusline = str(capture.status)
    headers = _Latin1Headers(statusline, list(capture.headers), protocol="HTTP/1.1")
    return writer.create_warc_record(
        capture.url,
        "response",
        payload=BytesIO(capture.body),
        length=len(capture.body),
        warc_headers_dict={"WARC-Date": capture.fetched_at},
        http_headers=headers,
    )


def _request_record(writer: Any, capture: Capture, response: Any) -> Any:
    parts = urlsplit(capture.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # The method is not known to the archive; pages are fetched with GET.
    headers = _Latin1Headers(f"GET {target} HTTP/1.1", list(capture.request_headers))
    warc_headers = {
        "WARC-Date": capture.fetched_at,
        "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
    }
    return writer.create_warc_record(
        capture.url, "request", warc_headers_dict=warc_headers, http_headers=headers
    )


def _read_block(fh: BinaryIO, offset: int, rec_type: str, url: str) -> bytes:
    fh.seek(offset)
    # no_record_parse: hand back the HTTP block untouched, so warcio neither de-chunks nor
    # decompresses a body whose headers still say Content-Encoding / Transfer-Encoding.
    iterator = ArchiveIterator(fh, no_record_parse=True)
    record = next(iter(iterator))
    found_type = record.rec_type
    found_url = record.rec_headers.get_header("WARC-Target-URI")
    if found_type != rec_type or found_url != url:
        raise ValueError(f"found a {found_type} record of {found_url}")
    chunks = []
    while chunk := record.raw_stream.read(1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_http(block: bytes, path: Path) -> tuple[int, list[tuple[str, str]], bytes]:
    head, sep, body = block.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError(f"HTTP block without a header terminator in {path}")
    first, *lines = head.decode("latin-1").split("\r\n")
    parts = first.split(" ")
    # Response: "HTTP/1.1 200 OK"; request: "GET /path HTTP/1.1" (status is unused there).
    status = int(parts[1]) if first.startswith("HTTP/") else 0
    headers = []
    for line in lines:
        name, _, value = line.partition(": ")
        headers.append((name, value))
    return status, headers, body


def _fsync_dir(directory: Path) -> None:
    # Make the new file's directory entry durable too; not possible on every platform.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
