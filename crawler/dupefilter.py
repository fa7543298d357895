"""`RunDupeFilter`: Scrapy's fingerprint dupefilter, remembering requests for one run only.

It also names the one duplicate that is a fault: a redirect back to a URL its own chain already
passed through (a -> b -> a) is a redirect loop, counted as a page error.

With JOBDIR, Scrapy's RFPDupeFilter persists every request it saw; after a kill, requests
that were taken from the queue but not finished are in that file yet never done, and a
resumed crawl would never fetch them again. Here the archive decides which documents are done
(IncrementalMiddleware), so the filter only has to stop loops within a run.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.dupefilters import RFPDupeFilter

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class RunDupeFilter(RFPDupeFilter):
    """RFPDupeFilter without the JOBDIR file (set as DUPEFILTER_CLASS)."""

    stats: StatsCollector | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.request_fingerprinter is not None
        dupefilter = cls(
            path=None,
            debug=crawler.settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=crawler.request_fingerprinter,
        )
        dupefilter.stats = crawler.stats
        return dupefilter

    def request_seen(self, request: Request) -> bool:
        seen = super().request_seen(request)
        if seen and request.url in request.meta.get("redirect_urls", ()) and self.stats is not None:
            self.stats.inc_value("crawl/page_error")
            self.stats.inc_value("crawl/redirect_loop")
            logger.warning("redirect loop: %s leads back to itself", request.meta["redirect_urls"][0])
        return seen
