"""百纳范文网: single speeches with a 时间/来源 line, a 小编 intro and a 推荐访问 keyword line.

Seen on the real site (seed page 000): the breadcrumb text, the date/source line, the intro,
the keyword line, the 声明 and ICP footer. Guessed: every URL pattern and class name below, and
the "show all" button hiding the body's second half (common on such CMSs, not in the seed).
"""

from __future__ import annotations

from crawler.sites.profile import SiteProfile

PROFILE = SiteProfile(
    key="baina",
    name="百纳范文网",
    # The real host is not known to us: pass it with -a start_urls=...
    domains=(),
    start_urls=(),
    document_url=r"/fanwen/\d+\.html$",
    listing_url=r"/zhuanti/[\w-]+/(?:list_\d+\.html)?$",
    body_xpaths=('//div[contains(@class,"content")]', '//div[contains(@class,"article")]'),
    title_xpaths=("//h1",),
    date_xpaths=('//div[contains(@class,"info")]',),
    breadcrumb_xpaths=('//div[contains(@class,"position")]',),
    keywords_xpaths=('//div[contains(@class,"tags")]',),
    prune_xpaths=('//div[contains(@class,"readall")]',),
    guessed="URL patterns and class names; the hidden second half of long bodies",
)
