"""Raw captures in rotating, append-only gzipped WARC files (``captures-00001.warc.gz``, ...).

One gzip member per WARC record, so a file can always be appended to and any record can be
read by seeking to its offset. HTTP header and body bytes are written and read back verbatim.

A file only ever ends after a whole record: an append that fails (disk full, file size limit,
I/O error) is cut back to the length the file had before it, and a torn tail left by a crash
mid-write (kill -9, power loss) is cut off before the next append to that file, with the whole
records before it that no committed row refers to (written by a transaction a crash stopped
before its COMMIT: with batched commits, up to a batch of them).
"""

from __future__ import annotations

import errno
import hashlib
import http
import logging
import os
import re
import zlib
from dataclasses import dataclass, replace
from io import BytesIO
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

# warcio ships no type information; its API is used in this module only.
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.errors import CorruptArchive, archive_error_from
from archive.records import Capture

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    #: How a write hands its undo to the transaction it is part of (``SqliteStore.on_rollback``).
    OnUndo = Callable[[Callable[[], None]], None]

logger = logging.getLogger(__name__)

#: Start a new WARC file once the current one has reached this size (bytes).
WARC_MAX_BYTES = 100 * 1024 * 1024

_NAME = re.compile(r"captures-(\d{5,})\.warc\.gz")
_GZIP_LEVEL = 6


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

    The file being appended to stays open between writes (the folder is listed only when the
    first write picks a file and when one fills up); its size is checked before every write, so
    an append by another process, or a file replaced or removed, is still noticed. Writes are
    not fsynced one by one: ``sync()`` makes every byte written so far durable, and the store
    calls it before each COMMIT, so a committed row never points at bytes that are not on disk.

    Args:
        directory: The directory (created on the first write).
        max_bytes: Rotation threshold; see ``WARC_MAX_BYTES``.
        referenced_end: Given a file name, the offset just past the last record of that file
            the database refers to (0 for none). Bytes after it, when this object did not write
            them, belong to no committed row: a crash before COMMIT, or a torn write. They are
            cut off before the next append to that file. None: nothing is known of the
            database; only a torn tail is cut.
        on_undo: Called after each append with a function that removes it again, for the
            caller to run if the transaction the append belongs to rolls back.
    """

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int = WARC_MAX_BYTES,
        referenced_end: Callable[[str], int] | None = None,
        on_undo: OnUndo | None = None,
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.referenced_end = referenced_end
        self.on_undo = on_undo
        # File name -> the size this object last saw it end whole at (its own appends
        # included, committed or not). A file whose size differs at the next write was appended
        # to by another process, or torn by one: check its tail.
        self._whole: dict[str, int] = {}
        self._current: _OpenFile | None = None
        # Files written to since the last sync(); those left for a newer one are closed by it.
        self._unsynced: dict[Path, _OpenFile] = {}

    def write(self, capture: Capture) -> WarcLocation:
        """Append ``capture`` as a response (and request) record; durable once ``sync()`` returns.

        The caller holds the database write lock, so no other writer appends concurrently. A
        tail no committed row refers to (torn, or whole records of a transaction that never
        committed) is cut off first, with one warning.

        Raises:
            ArchiveFull: No space left, or the file size limit reached; the file is cut back to
                its length before the write.
            ArchiveReadOnly: The directory or file is not writable.
            ArchiveIOError: Another operating-system failure (the file is cut back too).
            CorruptArchive: The file is shorter than the records the database refers to.
        """
        path, before = self._target()
        try:
            data, location = _serialise(capture, path.name, before)
            opened = self._open(path)
            _write_all(opened.fd, data)
        except BaseException as exc:  # also an interrupt mid-write: never leave half a record
            self._cut_back(path, before)
            if isinstance(exc, OSError):
                raise archive_error_from(exc, path) from exc
            raise
        after = (before or 0) + len(data)
        self._whole[path.name] = after
        replaced = self._unsynced.get(path)
        if replaced is not None and replaced is not opened:
            _close(replaced)  # the file that had this name was removed or replaced meanwhile
        self._unsynced[path] = opened
        if before is None:
            _fsync_dir(self.directory)
            logger.info("started WARC file %s", path)
        if self.on_undo is not None:
            self.on_undo(lambda: self._undo(path, before, after))
        return location

    def sync(self) -> None:
        """Flush every file written since the last call to disk (fsync), and close those left.

        Raises:
            ArchiveFull, ArchiveReadOnly, ArchiveIOError: An fsync failed; nothing written since
                the last sync may be relied on (the caller rolls back what refers to it).
        """
        unsynced, self._unsynced = self._unsynced, {}
        failed: OSError | None = None
        failed_path = self.directory
        for path, opened in unsynced.items():
            try:
                os.fsync(opened.fd)
            except OSError as exc:
                failed = failed or exc
                failed_path = path
            if opened is not self._current:
                _close(opened)
        if failed is not None:
            raise archive_error_from(failed, failed_path) from failed

    def close(self) -> None:
        """Close the files kept open (without syncing: call ``sync()`` first to keep the bytes)."""
        for opened in {id(o): o for o in [*self._unsynced.values(), self._current] if o}.values():
            _close(opened)
        self._unsynced.clear()
        self._current = None

    def _target(self) -> tuple[Path, int | None]:
        # The file to append to and its size (None: it does not exist yet). The current file
        # while it has room, else the newest in the folder, or a new one after the newest.
        number = self._current.number if self._current is not None else self._newest()
        while True:
            path = self._name(number)
            size = self._size(path)
            # Full by its size on disk, torn tail included (as a reader of the folder sees it).
            full = size is not None and size >= self.max_bytes
            if size is not None and self._whole.get(path.name) != size:
                size = self._repair(path, size)
            if size is None or not full:
                return path, size
            # The file is left for good (repaired above if someone else touched it last).
            self._leave(path)
            number = max(number + 1, self._newest())

    def _name(self, number: int) -> Path:
        return self.directory / f"captures-{number:05d}.warc.gz"

    def _newest(self) -> int:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            numbers = [int(m.group(1)) for p in self.directory.iterdir() if (m := _NAME.fullmatch(p.name))]
        except OSError as exc:
            raise archive_error_from(exc, self.directory) from exc
        return max(numbers, default=1)

    def _size(self, path: Path) -> int | None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            stat = None
        except OSError as exc:
            raise archive_error_from(exc, path) from exc
        current = self._current
        if current is not None and current.path == path and (stat is None or current.inode != _inode(stat)):
            # Removed or replaced behind our back: appending to the old inode would lose it all.
            self._leave(path)
        return None if stat is None else stat.st_size

    def _open(self, path: Path) -> _OpenFile:
        current = self._current
        if current is not None and current.path == path:
            return current
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            opened = _OpenFile(path, fd, _number(path), _inode(os.fstat(fd)))
        except BaseException:
            os.close(fd)
            raise
        if current is not None:
            self._leave(current.path)
        self._current = opened
        return opened

    def _leave(self, path: Path) -> None:
        # Stop appending to ``path``: closed now, or by the next sync() if it has bytes to sync.
        current = self._current
        if current is None or current.path != path:
            return
        self._current = None
        if self._unsynced.get(path) is not current:
            _close(current)

    def _cut_back(self, path: Path, before: int | None) -> None:
        # After a failed append: what was written of the record must not stay, or the file
        # would end in half a gzip member that no reader gets past.
        try:
            if before is None:
                self._forget(path)
                path.unlink(missing_ok=True)
                self._whole.pop(path.name, None)
            else:
                os.truncate(path, before)
                self._whole[path.name] = before
        except OSError as exc:
            # Recorded as ending whole at ``before``: the size differs, so the next write to the
            # file cuts what follows, never less.
            if before is not None:
                self._whole[path.name] = before
            logger.error(
                "could not cut %s back to %s bytes after a failed write (%s); "
                "the next write to it cuts the torn tail off",
                path,
                before or 0,
                exc.strerror or exc,
            )

    def _forget(self, path: Path) -> None:
        # The file is going away: its descriptor must not be appended to or synced again.
        opened = self._unsynced.pop(path, None)
        current = self._current
        if current is not None and current.path == path:
            self._current = None
            if opened is not current:
                _close(current)
        if opened is not None:
            _close(opened)

    def _undo(self, path: Path, before: int | None, after: int) -> None:
        # The transaction that referred to this append rolled back: the records would be orphans.
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return
        if size != after:  # someone wrote after us (cannot happen under the lock): keep it all
            logger.warning("not cutting %s back: it is %d bytes, not the %d written", path, size, after)
            return
        self._cut_back(path, before)

    def _repair(self, path: Path, size: int) -> int | None:
        """Cut what no committed row refers to off ``path`` (``size`` bytes long); return its size.

        None: nothing in the file was left, and it was removed (the next write starts it anew).
        """
        start = self.referenced_end(path.name) if self.referenced_end is not None else 0
        if start > size:
            raise CorruptArchive(
                f"WARC file {path} is damaged: it has {size} bytes but the archive refers to records up to "
                f"byte {start}; restore the file from a backup"
            )
        known = self._whole.get(path.name)
        if known is not None and start < known <= size:
            start = known  # this object saw the file end whole there (its own appends included)
        try:
            whole = whole_records_end(path, start, size)
            # Knowing the database, whole records past its last reference are a transaction's
            # that never committed (a kill between the WARC write and COMMIT): cut them too.
            keep = start if self.referenced_end is not None else whole
            if keep == size:
                self._whole[path.name] = size
                return size
            if keep == 0:
                self._forget(path)
                path.unlink()
                _fsync_dir(self.directory)
            else:
                os.truncate(path, keep)
                with path.open("rb+") as fh:
                    os.fsync(fh.fileno())
        except OSError as exc:
            raise archive_error_from(exc, path) from exc
        if whole == keep:
            logger.warning(
                "WARC file %s ended in a torn record (a crash or a full disk mid-write): "
                "cut %d bytes after offset %d",
                path,
                size - keep,
                keep,
            )
        else:
            logger.warning(
                "WARC file %s ended in records no committed row refers to (a crash before its "
                "transaction committed%s): cut %d bytes after offset %d",
                path,
                ", then a torn record" if whole < size else "",
                size - keep,
                keep,
            )
        if keep == 0:
            self._whole.pop(path.name, None)
            return None
        self._whole[path.name] = keep
        return keep

    def read(self, location: WarcLocation, *, url: str, fetched_at: str) -> Capture:
        """Read back the capture stored at ``location``.

        Raises:
            CorruptArchive: When the file is missing or the bytes there are not the expected record.
            ArchiveReadOnly: The file is not readable by this user.
            ArchiveIOError: The operating system failed the read.
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
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO):
                raise archive_error_from(exc, path) from exc
            raise _damaged(path, location, url, exc) from exc
        except (ArchiveLoadFailed, StopIteration, ValueError, EOFError, zlib.error) as exc:
            raise _damaged(path, location, url, exc) from exc
        return Capture(url, status, headers, body, fetched_at, request_headers)

@dataclass(frozen=True)
class _OpenFile:
    # A WARC file kept open for appending, and the inode it was opened as.
    path: Path
    fd: int
    number: int
    inode: tuple[int, int]


def _inode(stat: os.stat_result) -> tuple[int, int]:
    return stat.st_dev, stat.st_ino


def _number(path: Path) -> int:
    match = _NAME.fullmatch(path.name)
    return int(match.group(1)) if match else 1


def _close(opened: _OpenFile) -> None:
    try:
        os.close(opened.fd)
    except OSError as exc:  # nothing to lose: what mattered was synced, or will be cut back
        logger.warning("closing WARC file %s failed (%s)", opened.path, exc.strerror or exc)


def _serialise(capture: Capture, filename: str, offset: int | None) -> tuple[bytes, WarcLocation]:
    """The gzipped records of ``capture`` (after a warcinfo record for a new file, ``offset`` None)."""
    writer = WARCWriter(BytesIO(), gzip=False)  # makes records; _member writes them
    members = []
    if offset is None:
        info = {"software": "fanwen-archive", "format": "WARC File Format 1.0"}
        members.append(_member(writer.create_warcinfo_record(filename, info)))
    base = (offset or 0) + sum(map(len, members))
    response, request = capture.packed or pack_records(capture)
    members.append(response)
    request_offset = request_length = None
    if request is not None:
        request_offset = base + len(response)
        members.append(request)
        request_length = len(request)
    return b"".join(members), WarcLocation(filename, base, len(response), request_offset, request_length)


def pack_records(capture: Capture) -> tuple[bytes, bytes | None]:
    """The gzipped response record of ``capture`` and its request record (None without request headers).

    Pure and file-independent (offsets are set when they are appended), so any process may build them.

    Raises:
        ValueError: The headers do not frame the body: a ``Transfer-Encoding``, or a
            ``Content-Length`` that is not ``len(body)`` (see ``Capture``).
    """
    _check_framing(capture)
    writer = WARCWriter(BytesIO(), gzip=False)
    response = _response_record(writer, capture)
    request = _member(_request_record(writer, capture, response)) if capture.request_headers else None
    return _member(response), request


def _check_framing(capture: Capture) -> None:
    # A replay (pywb, a browser behind it) frames the body by these headers: a Content-Length
    # of the compressed size over a decoded body cut pages short, chunked framing claimed for
    # a de-chunked body garbles it. 1xx, 204 and 304 have no body whatever their headers say.
    if capture.status < 200 or capture.status in (204, 304):
        return
    for name, value in capture.headers:
        lowered = name.lower()
        if lowered == "transfer-encoding":
            raise ValueError(
                f"capture of {capture.url} has Transfer-Encoding: {value}; store the body de-chunked "
                "without that header"
            )
        if lowered == "content-length" and value.strip() != str(len(capture.body)):
            raise ValueError(
                f"capture of {capture.url} has Content-Length: {value} for a body of {len(capture.body)} bytes; "
                "store the body as sent (still content-coded), or correct the header"
            )


def pack_capture(capture: Capture) -> Capture:
    """``capture`` with its WARC records built (``Capture.packed``), ready to be written."""
    return replace(capture, packed=pack_records(capture))


def _member(record: Any) -> bytes:
    # One gzip member per record. warcio compresses at level 9: twice the CPU of level 6 (0.78
    # vs 0.38 ms for a 30 KB page, on the crawl's thread) for files 1 % smaller.
    plain = BytesIO()
    WARCWriter(plain, gzip=False).write_record(record)
    compressor = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(plain.getvalue()) + compressor.flush()


def _write_all(fd: int, data: bytes) -> None:
    # One append of whole records; os.write may write less than asked (a signal, a full disk).
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def whole_records_end(path: Path, start: int, size: int | None = None) -> int:
    """Return the offset just past the last whole record of ``path``, reading from ``start``.

    A record is whole when its gzip member is complete (CRC and length checked) and holds one
    WARC record with all the bytes its Content-Length announces. ``start`` must be the start of
    a record (or the end of the file).

    Args:
        path: A gzipped WARC file with one record per member.
        start: Where to start reading: an offset known to follow a whole record.
        size: The file's size (read from the file when None).

    Returns:
        ``size`` when the file ends whole, else the offset of the first record that is not.
    """
    end = start
    with path.open("rb") as fh:
        total = fh.seek(0, os.SEEK_END) if size is None else size
        while end < total:
            member_end = _whole_member_end(fh, end)
            if member_end is None:
                break
            end = member_end
    return end


def _whole_member_end(fh: BinaryIO, offset: int) -> int | None:
    try:
        data, end = _inflate_member(fh, offset)
    except (EOFError, zlib.error):
        return None
    try:
        record = next(iter(ArchiveIterator(BytesIO(data), no_record_parse=True)))
        expected = int(record.rec_headers.get_header("Content-Length"))
        whole = len(record.raw_stream.read()) == expected
    except (ArchiveLoadFailed, StopIteration, ValueError, TypeError, EOFError):
        return None
    return end if whole else None


def _damaged(path: Path, location: WarcLocation, url: str, exc: BaseException) -> CorruptArchive:
    return CorruptArchive(
        f"WARC file {path} is damaged: cannot read the capture of {url} at offset {location.offset} ({exc}); "
        "restore the WARC file from a backup"
    )


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
    data, _ = _inflate_member(fh, offset)
    # no_record_parse: hand back the HTTP block untouched, so warcio does not decompress a
    # body in its Content-Encoding (Capture.body is kept as sent; decoded_body() undoes it).
    record = next(iter(ArchiveIterator(BytesIO(data), no_record_parse=True)))
    found_type = record.rec_type
    found_url = record.rec_headers.get_header("WARC-Target-URI")
    if found_type != rec_type or found_url != url:
        raise ValueError(f"found a {found_type} record of {found_url}")
    block: bytes = record.raw_stream.read()
    expected = int(record.rec_headers.get_header("Content-Length"))
    if len(block) != expected:
        raise ValueError(f"the record holds {len(block)} of its {expected} bytes")
    return block


def _inflate_member(fh: BinaryIO, offset: int) -> tuple[bytes, int]:
    # The gzip member at ``offset``, decompressed, and the offset just past it. Done here, not
    # by warcio, which on a damaged member writes zlib's message to stderr and returns what it
    # got so far; zlib checks the member's CRC and length.
    fh.seek(offset)
    inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
    parts: list[bytes] = []
    read = 0
    while not inflate.eof:
        chunk = fh.read(1 << 16)
        if not chunk:
            raise EOFError("the gzip member stops before its end")
        read += len(chunk)
        parts.append(inflate.decompress(chunk))  # zlib.error when not gzip, or damaged
    return b"".join(parts), offset + read - len(inflate.unused_data)


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
