"""The clean form of a URL, and whose URLs a crawl may fetch.

Template sites are shared through links that carry tracking parameters (`?utm_source=wx`,
`?spm=a.b.c`, `?from=singlemessage`): the same page under many URLs. A share link is often the
first one a crawler meets, so the clean URL is computed before a request is made, and a
page's `<link rel=canonical>` is honoured when it names the same page.

Pure functions, no Scrapy: the middlewares and the spider call them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

#: Query parameters that say how a link was shared, never which page it is.
TRACKING_PARAMETERS = frozenset({
    "spm", "spm_id_from", "fbclid", "gclid", "yclid", "msclkid", "_hsenc", "_hsmi",
    "mc_cid", "mc_eid", "isappinstalled", "share_token", "sharer_shareid", "wxshare_count",
})
_TRACKING_PREFIXES = ("utm_",)
# `from` is a real parameter on some sites (an offset); only these values are WeChat shares.
_SHARE_FROM = frozenset({"singlemessage", "timeline", "groupmessage"})

_DEFAULT_PORTS = {"http": 80, "https": 443}
FETCHABLE_SCHEMES = frozenset(_DEFAULT_PORTS)


def _is_tracking(name: str, value: str) -> bool:
    name = name.lower()
    if name == "from":
        return value.lower() in _SHARE_FROM
    return name in TRACKING_PARAMETERS or name.startswith(_TRACKING_PREFIXES)


def clean_url(url: str) -> str:
    """`url` without tracking parameters, fragment, default port, and with a lower-case host.

    >>> clean_url("HTTP://Example.COM:80/doc/1.html?utm_source=wx&id=3&spm=a.b#top")
    'http://example.com/doc/1.html?id=3'
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in FETCHABLE_SCHEMES or not parts.hostname:
        return url
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not _is_tracking(k, v)]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    return urlunsplit((scheme, _netloc(scheme, parts.hostname, parts.port, parts.username), parts.path, query, ""))


def _netloc(scheme: str, host: str, port: int | None, user: str | None) -> str:
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    return f"{user}@{netloc}" if user else netloc


@dataclass(frozen=True)
class Origin:
    """Scheme, host and port of a URL: what a crawl's scope is made of."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin | None:
        """The origin of an http(s) URL, None for any other (ftp:, mailto:, a bad port)."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in FETCHABLE_SCHEMES or not parts.hostname:
            return None
        try:
            port = parts.port or _DEFAULT_PORTS[scheme]
        except ValueError:
            return None
        return cls(scheme, parts.hostname.lower(), port)

    def upgraded(self) -> Origin | None:
        """The https origin an http site on its default port moves to (a common redirect)."""
        if self.scheme == "http" and self.port == 80:
            return Origin("https", self.host, 443)
        return None


@dataclass(frozen=True)
class Scope:
    """Which URLs a crawl may request.

    Built from start URLs, the scope is their origins (scheme + host + port; an http origin on
    port 80 also allows its https twin on 443, where sites redirect to); built from a profile's
    domains, those hosts and their subdomains over http(s) on the default ports. Anything that
    is not http(s) is never in scope.
    """

    origins: frozenset[Origin] = frozenset()
    domains: tuple[str, ...] = ()

    @classmethod
    def from_start_urls(cls, urls: list[str]) -> Scope:
        """The scope of a crawl pointed at `urls`."""
        origins: set[Origin] = set()
        for url in urls:
            origin = Origin.of(url)
            if origin is not None:
                origins.add(origin)
                if (upgraded := origin.upgraded()) is not None:
                    origins.add(upgraded)
        return cls(origins=frozenset(origins))

    @classmethod
    def from_domains(cls, domains: list[str] | tuple[str, ...]) -> Scope:
        """The scope of a profiled site on its own domains."""
        return cls(domains=tuple(d.lower().lstrip(".") for d in domains if d))

    def allows(self, url: str) -> bool:
        """Whether `url` may be requested."""
        origin = Origin.of(url)
        if origin is None:
            return False
        if origin in self.origins:
            return True
        if origin.port != _DEFAULT_PORTS[origin.scheme]:
            return False
        return any(origin.host == d or origin.host.endswith("." + d) for d in self.domains)


_CANONICAL = re.compile(r"/+$")


def same_page(url: str, other: str) -> bool:
    """Whether two URLs name one page: equal once clean, up to letter case and a trailing slash.

    Used to honour `<link rel=canonical>` only when it names the page it is on: sites that
    point every page's canonical at their home page exist, and following them would file every
    document under one URL.
    """
    a, b = urlsplit(clean_url(url)), urlsplit(clean_url(other))
    if (a.hostname, a.port) != (b.hostname, b.port):
        return False
    path_a, path_b = _CANONICAL.sub("", a.path).lower(), _CANONICAL.sub("", b.path).lower()
    query_a = sorted(parse_qsl(a.query.lower(), keep_blank_values=True))
    query_b = sorted(parse_qsl(b.query.lower(), keep_blank_values=True))
    return path_a == path_b and query_a == query_b


def canonical_of(url: str, href: str | None) -> str:
    """The URL to file a page under: its clean canonical link when that names this page, else its own."""
    if href:
        canonical = clean_url(urljoin(url, href.strip()))
        if Origin.of(canonical) is not None and same_page(url, canonical):
            return canonical
    return clean_url(url)
