"""巨优公文网: compilation pages (篇一…篇N) and articles split over several pages.

Seen on the real site (seed page 002): the breadcrumb, the 时间/category/来源 line, the intro,
the 在日常学习、工作或生活中 filler, the 篇一…篇五 headings, the 推荐访问 line and the footer.
Guessed: URL patterns, class names and the page_N.html pagination of long articles.
"""

from __future__ import annotations

from crawler.sites.profile import SiteProfile

PROFILE = SiteProfile(
    key="juyou",
    name="巨优公文网",
    domains=(),
    start_urls=(),
    document_url=r"/fanwendaquan/[\w-]+/\d+\.html$",
    listing_url=r"/fanwendaquan/[\w-]+/(?:index_\d+\.html)?$",
    body_xpaths=('//div[@id="content"]', '//div[contains(@class,"content")]'),
    title_xpaths=('//h1[contains(@class,"title")]', "//h1"),
    date_xpaths=('//div[contains(@class,"attr")]',),
    breadcrumb_xpaths=('//div[contains(@class,"crumb")]',),
    keywords_xpaths=('//div[contains(@class,"keywords")]',),
    prune_xpaths=('//div[contains(@class,"pagelink")]',),
    split="compilation",
    paginate="page_n",
    guessed="URL patterns, class names and the <id>_N.html page links",
)
