"""Profiles fail at construction with a message that says how to fix them."""

from __future__ import annotations

import pytest

from crawler.sites import SITES, SiteProfile


def make(**overrides: object) -> SiteProfile:
    fields: dict[str, object] = {
        "key": "demo", "name": "演示", "domains": (), "start_urls": (),
        "document_url": r"/doc/\d+\.html$", "listing_url": r"/list/",
    }
    fields.update(overrides)
    return SiteProfile(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"key": "Bad Key"}, "lowercase identifier"),
        ({"document_url": "(["}, "not a valid regex"),
        ({"split": "chapters"}, "unknown split strategy"),
        ({"body_xpaths": "//div"}, "trailing comma"),
    ],
)
def test_bad_profiles_are_rejected(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(**overrides)


def test_every_site_has_a_profile_with_its_key() -> None:
    assert sorted(SITES) == ["baina", "huiwen", "jianbiao", "juyou"]
    assert all(key == profile.key for key, profile in SITES.items())


def test_document_and_listing_patterns() -> None:
    juyou = SITES["juyou"]
    assert juyou.is_document("http://h/fanwendaquan/gongwenfanwen/1201.html")
    assert not juyou.is_document("http://h/fanwendaquan/gongwenfanwen/1201_2.html")
    assert juyou.is_listing("http://h/fanwendaquan/gongwenfanwen/index_2.html")


def test_a_title_with_404_in_it_is_not_an_error_page() -> None:
    from crawler.extract import Extracted, extract_page

    page = (
        "<html><head><title>在全市第404次工作推进会上的讲话_百纳范文网</title></head><body>"
        "<h1>在全市第404次工作推进会上的讲话</h1><div class='content'><p>同志们:</p>"
        "<p>今天召开会议,部署下一阶段工作,请大家抓好落实。</p></div></body></html>"
    )
    assert isinstance(extract_page(page, "http://127.0.0.1/fanwen/404.html", SITES["baina"]), Extracted)
    missing = "<html><head><title>404 Not Found</title></head><body><h1>404</h1></body></html>"
    assert extract_page(missing, "http://127.0.0.1/fanwen/1.html", SITES["baina"]).reason == "error_page"
