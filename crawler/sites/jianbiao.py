"""简表范文网: single speeches followed by a long related-documents list with summaries.

Seen on the real site (seed page 003): the breadcrumb ending in '>', a 来源 line without a date,
the intro, and the 相关推荐 / 热门文章 list after the body. Guessed: URL patterns, class
names, and the paywall trailer of seed 001 (whose site is unknown) being used here.
"""

from __future__ import annotations

from crawler.sites.profile import SiteProfile

PROFILE = SiteProfile(
    key="jianbiao",
    name="简表范文网",
    domains=(),
    start_urls=(),
    document_url=r"/a/\d{8}/\d+\.(?:html|doc)$",
    listing_url=r"/zhuanti/[\w-]+/(?:\d+\.html)?$",
    body_xpaths=('//div[contains(@class,"art-body")]',),
    title_xpaths=("//h1",),
    date_xpaths=('//div[contains(@class,"art-info")]',),
    breadcrumb_xpaths=('//div[contains(@class,"weizhi")]',),
    keywords_xpaths=(),
    prune_xpaths=('//div[contains(@class,"related")]',),
    guessed="URL patterns and class names",
)
