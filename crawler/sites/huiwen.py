"""汇文网: docx previews in GBK, with document metadata and page chrome between preview pages.

Seen on the real site (seed page 004): ID/大小/页数/格式/时间, the 温馨提示 block, the keyword
line, and 此文档下载收益归作者所有 / 下载文档 / 你可能关注的文档 / 收起 / 展开 around the
preview. Guessed: the GBK charset, URL patterns and class names.
"""

from __future__ import annotations

from crawler.sites.profile import SiteProfile

PROFILE = SiteProfile(
    key="huiwen",
    name="汇文网",
    domains=(),
    start_urls=(),
    document_url=r"/doc/\d+\.html$",
    listing_url=r"/list/[\w-]+_\d+\.html$",
    body_xpaths=('//div[@id="preview"]', '//div[contains(@class,"preview")]'),
    title_xpaths=("//h1",),
    date_xpaths=('//ul[contains(@class,"doc-info")]',),
    breadcrumb_xpaths=(),
    keywords_xpaths=('//div[contains(@class,"doc-tags")]',),
    prune_xpaths=(
        '//div[contains(@class,"page-gap")]',
        '//div[contains(@class,"preview-more")]',
    ),
    encoding_hint="gb18030",
    preview=True,
    extra="docinfo",
    guessed="GBK charset, URL patterns and class names",
)
