"""The generic profile: for template sites nobody has profiled yet.

No URL patterns and no XPath hints: every page on the start URLs' hosts may be a document, and
the page itself decides (`crawler.extract.classify`). The genre's shared knowledge still
applies: the boilerplate list, compilations (篇一…篇N), page_N pagination and paywall trailers.
"""

from __future__ import annotations

from crawler.sites.profile import SiteProfile

PROFILE = SiteProfile(
    key="generic",
    name="",
    domains=(),
    start_urls=(),
    document_url=r"",
    listing_url=r"",
    title_xpaths=(),
    split="compilation",
    paginate="page_n",
    decide="page",
)
