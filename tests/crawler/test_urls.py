"""Clean URLs, the crawl's scope, and when a canonical link is honoured (pure functions)."""

from __future__ import annotations

import pytest

from crawler.urls import Origin, Scope, canonical_of, clean_url


@pytest.mark.parametrize(("url", "clean"), [
    ("http://h.cn/doc/1.html?utm_source=wx&utm_medium=share", "http://h.cn/doc/1.html"),
    ("http://h.cn/doc/1.html?spm=a.b.c&id=7", "http://h.cn/doc/1.html?id=7"),
    ("http://h.cn/doc/1.html?from=singlemessage&isappinstalled=0", "http://h.cn/doc/1.html"),
    # `from` is an offset on some list pages: only WeChat's share values go.
    ("http://h.cn/list.php?from=20", "http://h.cn/list.php?from=20"),
    ("HTTP://H.CN:80/Doc/1.html#top", "http://h.cn/Doc/1.html"),
    ("https://h.cn:443/a", "https://h.cn/a"),
    ("http://127.0.0.1:8000/a?b=1&c=", "http://127.0.0.1:8000/a?b=1&c="),
    ("ftp://h.cn/x?utm_source=1", "ftp://h.cn/x?utm_source=1"),
])
def test_clean_url(url: str, clean: str) -> None:
    assert clean_url(url) == clean


def test_scope_of_start_urls_is_scheme_host_and_port() -> None:
    scope = Scope.from_start_urls(["http://127.0.0.1:8000/a/", "http://site.cn/"])
    assert scope.allows("http://127.0.0.1:8000/b/c.html")
    assert not scope.allows("http://127.0.0.1:8001/b/c.html")
    assert not scope.allows("https://127.0.0.1:8000/b/c.html")
    assert not scope.allows("ftp://127.0.0.1:8000/x")
    assert not scope.allows("mailto:a@site.cn")
    assert not scope.allows("http://www.site.cn/")
    # A site on port 80 may move to https on 443.
    assert scope.allows("https://site.cn/x")
    assert not scope.allows("http://site.cn:8080/x")


def test_scope_of_profile_domains_takes_subdomains_on_default_ports() -> None:
    scope = Scope.from_domains(("baina.cn",))
    assert scope.allows("https://www.baina.cn/fanwen/1.html")
    assert scope.allows("http://baina.cn/")
    assert not scope.allows("http://baina.cn:81/")
    assert not scope.allows("http://notbaina.cn/")
    assert not scope.allows("ftp://baina.cn/")


def test_origin_of_a_bad_port_is_none() -> None:
    assert Origin.of("http://h.cn:99999/") is None
    assert Origin.of("javascript:void(0)") is None


@pytest.mark.parametrize(("url", "href", "filed"), [
    # A case variant of this page: filed under the canonical spelling.
    ("http://h.cn/DOC/1.html", "/doc/1.html", "http://h.cn/doc/1.html"),
    ("http://h.cn/doc/1.html?spm=1", "http://h.cn/doc/1.html", "http://h.cn/doc/1.html"),
    # Canonical links naming another page (the home page, another host) are not followed.
    ("http://h.cn/doc/2.html", "/", "http://h.cn/doc/2.html"),
    ("http://h.cn/doc/2.html", "http://other.cn/doc/2.html", "http://h.cn/doc/2.html"),
    ("http://h.cn/doc/2.html", "/doc/3.html", "http://h.cn/doc/2.html"),
    ("http://h.cn/doc/2.html", None, "http://h.cn/doc/2.html"),
])
def test_canonical_is_honoured_only_for_the_same_page(url: str, href: str | None, filed: str) -> None:
    assert canonical_of(url, href) == filed
