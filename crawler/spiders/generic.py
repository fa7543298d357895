"""`generic`: crawls a template site nobody has profiled, deciding per page from the page.

It stays on the start URLs' hosts, follows every link there (list pages, pagination, related
documents), reads `/sitemap.xml` and robots.txt `Sitemap:` lines, and extracts every page with
the generic profile: only pages that read as documents produce records.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import Rule
from scrapy.utils.sitemap import Sitemap

from crawler.sites import GENERIC
from crawler.spiders.base import SiteSpider

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from scrapy.http import Response
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)


class GenericSpider(SiteSpider):
    """`scrapy crawl generic -a start_urls=URL[,URL...]`."""

    name = "generic"
    profile = GENERIC

    def build_rules(self) -> tuple[Rule, ...]:
        # One rule: every page on the hosts is fetched, extracted if it reads as a document,
        # and its links followed.
        return (Rule(LinkExtractor(), callback="parse_document", follow=True, process_request="_tag_document"),)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Pages 2…N of articles seen so far: reached by a link, they are not documents.
        self.continuations: set[str] = set()

    async def start(self) -> AsyncIterator[Any]:
        origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in self.start_urls}
        for url in self.start_urls:
            yield Request(url, callback=self._parse, errback=self.on_error, dont_filter=True)
        for origin in sorted(origins):
            yield Request(f"{origin}/sitemap.xml", callback=self.parse_sitemap, errback=self._no_sitemap)
            yield Request(f"{origin}/robots.txt", callback=self.parse_robots, errback=self._no_sitemap)

    async def parse_start_url(self, response: Response, **kwargs: Any) -> AsyncIterator[Any]:
        # A start URL may itself be a document.
        async for item in self.parse_document(response):
            yield item

    async def parse_document(self, response: Response) -> AsyncIterator[Any]:
        if response.url in self.continuations:
            # Page N of an article whose page 1 was seen: that page fetches and joins it. Page N
            # reached first is recognised by the extractor (it links back to page 1).
            self._skip("continuation", response.url)
            return
        async for item in super().parse_document(response):
            if isinstance(item, Request) and "first" in item.cb_kwargs:
                self.continuations.update(item.cb_kwargs["first"].next_pages)
            yield item

    def parse_robots(self, response: Response) -> Iterator[Request]:
        """Follow the `Sitemap:` lines of robots.txt."""
        for line in response.text.splitlines():
            name, _, value = line.partition(":")
            if name.strip().lower() == "sitemap" and value.strip():
                url = urljoin(response.url, value.strip())
                yield Request(url, callback=self.parse_sitemap, errback=self._no_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """Queue the pages (and nested sitemaps) a sitemap lists."""
        try:
            sitemap = Sitemap(response.body)
        except Exception:
            logger.info("unreadable sitemap %s", response.url, extra={"spider": self})
            return
        assert self.crawler.stats is not None
        for entry in sitemap:
            url = urljoin(response.url, entry["loc"].strip())
            if sitemap.type == "sitemapindex":
                yield Request(url, callback=self.parse_sitemap, errback=self._no_sitemap)
            else:
                self.crawler.stats.inc_value("generic/sitemap_urls")
                yield Request(url, callback=self._parse, errback=self.on_error)

    def _no_sitemap(self, failure: Failure) -> None:
        logger.debug("no sitemap: %s", failure.getErrorMessage(), extra={"spider": self})
