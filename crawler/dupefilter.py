"""`RunDupeFilter`: Scrapy's fingerprint dupefilter, remembering requests for one run only.

With JOBDIR, Scrapy's RFPDupeFilter persists every request it saw; after a kill, requests
that were taken from the queue but not finished are in that file yet never done, and a
resumed crawl would never fetch them again. Here the archive decides which documents are done
(IncrementalMiddleware), so the filter only has to stop loops within a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.dupefilters import RFPDupeFilter

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler


class RunDupeFilter(RFPDupeFilter):
    """RFPDupeFilter without the JOBDIR file (set as DUPEFILTER_CLASS)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.request_fingerprinter is not None
        return cls(
            path=None,
            debug=crawler.settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=crawler.request_fingerprinter,
        )
