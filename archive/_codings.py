"""HTTP content codings of stored bodies: a capture keeps the body as the server sent it.

Decoding mirrors Scrapy's HttpCompressionMiddleware, which gave the extractor its text: the
codings listed in Content-Encoding are undone from the last applied to the first, and the
first one not known here stops it (that one and those before it stay applied, as in Scrapy).
"""

from __future__ import annotations

import gzip
import importlib
import sys
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

#: The codings a stored body can be decoded from (the ones Scrapy 2.19 decodes).
KNOWN_CODINGS = frozenset({"gzip", "x-gzip", "deflate", "br", "zstd", "identity"})


class UndecodableBody(ValueError):
    """A body that does not decode as its Content-Encoding says."""


class CodingUnavailable(UndecodableBody):
    """A body in a coding whose module is not installed (``brotli``, ``backports.zstd``)."""


def codings_of(headers: Iterable[tuple[str, str]]) -> list[str]:
    """The content codings of ``headers``, in the order they were applied."""
    return [
        token.strip().lower()
        for name, value in headers
        if name.lower() == "content-encoding"
        for token in value.split(",")
        if token.strip()
    ]


def decode(body: bytes, codings: list[str]) -> bytes:
    """``body`` with ``codings`` (as ``codings_of`` gives them) undone, as far as they are known.

    Raises:
        UndecodableBody: The bytes are not in a coding the headers name.
        CodingUnavailable: The module a coding needs (``brotli``; ``backports.zstd`` before
            Python 3.14) is not installed.
    """
    for coding in reversed(codings):
        if coding not in KNOWN_CODINGS:
            break
        try:
            body = _decode_one(body, coding)
        except UndecodableBody:
            raise
        except Exception as exc:  # zlib.error, EOFError, brotli.error, ZstdError: no common base
            raise UndecodableBody(f"the body is not valid {coding} ({exc})") from exc
    return body


def _decode_one(body: bytes, coding: str) -> bytes:
    if coding in ("gzip", "x-gzip"):
        return gzip.decompress(body)
    if coding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            # Raw deflate without the zlib wrapper, as some servers send it (Scrapy accepts it).
            return zlib.decompress(body, -zlib.MAX_WBITS)
    if coding == "br":
        return bytes(_module("brotli").decompress(body))
    if coding == "zstd":
        return bytes(_module("compression.zstd" if sys.version_info >= (3, 14) else "backports.zstd").decompress(body))
    return body  # identity


def _module(name: str) -> Any:
    # Imported when a body needs it: most archives hold gzip only, and a reader should not
    # fail to import for a coding it never meets.
    try:
        return importlib.import_module(name)
    except ImportError:
        raise CodingUnavailable(f"decoding this body needs the {name} module; pip install {name}") from None
