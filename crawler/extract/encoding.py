"""Decode page bytes once, right, whatever the page or its server claims.

Template sites in China still serve GBK/GB2312 pages, sometimes with no charset at all or
with a header that says utf-8 over a GBK body. Scrapy trusts the header; we decode the raw
bytes ourselves and hand trafilatura a `str`.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_-]+)""", re.I)

# GB2312 and GBK are subsets of GB18030: decoding a declared gb2312 page as gb2312 fails on
# the many characters such sites use beyond it.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}


def normalize_charset(name: str | None) -> str | None:
    """The Python codec to use for a declared charset, or None if unknown."""
    if not name:
        return None
    try:
        canonical = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    return _SUPERSETS.get(canonical, _SUPERSETS.get(name.strip().lower(), canonical))


def meta_charset(body: bytes) -> str | None:
    """The charset declared in a `<meta>` tag within the first 4 KB, if any."""
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii", "ignore") if match else None


def decode_html(body: bytes, header_charset: str | None = None, hint: str | None = None) -> tuple[str, str]:
    """Decode an HTML body.

    Candidates are tried strictly in this order: the HTTP header charset, the meta charset,
    utf-8, the profile's hint, gb18030. utf-8 goes before the hint because a strict utf-8
    decode almost never succeeds on GBK bytes, while gb18030 accepts nearly any bytes. A
    candidate that fails to decode (a utf-8 header over a GBK body) is passed over; if none
    decodes cleanly, utf-8 with replacement characters is used.

    Args:
        body: the raw response body.
        header_charset: the charset parameter of the Content-Type header, if any.
        hint: the site's usual charset, for pages that declare none.

    Returns:
        The text and the codec that decoded it.

    >>> decode_html("汇文网".encode("gbk"), "utf-8")
    ('汇文网', 'gb18030')
    """
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8):].decode("utf-8", "replace"), "utf-8"
    candidates = [header_charset, meta_charset(body), "utf-8", hint, "gb18030"]
    tried: set[str] = set()
    for candidate in candidates:
        codec = normalize_charset(candidate)
        if codec is None or codec in tried:
            continue
        tried.add(codec)
        try:
            return body.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return body.decode("utf-8", "replace"), "utf-8"


def looks_binary(body: bytes) -> bool:
    """True for bodies that are not text at all (an office file behind a .html-looking link)."""
    head = body[:2048]
    return b"\x00" in head or head.startswith((b"\xd0\xcf\x11\xe0", b"PK\x03\x04", b"%PDF"))
