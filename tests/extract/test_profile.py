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
