"""`RunDupeFilter`: Scrapy's fingerprint dupefilter, remembering requests for one run only.

It also names the one duplicate that is a fault: a redirect back to a URL its own chain already
passed through (a -> b -> a) is a redirect loop, counted as a page error.

With JOBDIR, Scrapy's RFPDupeFilter persists every request it saw; after a kill, requests
that were taken from the queue but not finished are in that file yet never done, and a
resumed crawl would never fetch them again. Here the archive decides which documents are done
(IncrementalMiddleware), so the filter only has to stop loops within a run.

The fingerprints seen are kept as their first 8 bytes in one sorted array (`FingerprintSet`):
8 bytes a request instead of the 100 or so of Scrapy's set of 20-byte digests, which grew by
about 0.1 KB a document of a crawl (tracemalloc, 20,000-document bench/memory.py crawl).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
from scrapy.dupefilters import RFPDupeFilter

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from scrapy.utils.request import RequestFingerprinterProtocol

logger = logging.getLogger(__name__)


class FingerprintSet:
    """A set of request fingerprints that holds 8 bytes of each: their first 64 bits.

    The newest are in a Python set; every `merge_at` of them are merged into one sorted numpy
    array (a copy of it, so about 2 KB of copying per request at a million requests). Two
    different requests share a 64-bit prefix with odds of about n / 2**64 per request (one in
    1.8 million at ten million requests seen): such a request would count as seen.

    >>> seen = FingerprintSet(merge_at=2)
    >>> for fp in (b"a" * 20, b"b" * 20, b"c" * 20):
    ...     seen.add(fp)
    >>> b"b" * 20 in seen, b"d" * 20 in seen, len(seen)
    (True, False, 3)
    """

    def __init__(self, merge_at: int = 4096) -> None:
        self.merge_at = merge_at
        self._sorted = np.empty(0, dtype=np.uint64)
        self._recent: set[int] = set()

    @staticmethod
    def _key(fingerprint: bytes) -> int:
        return int.from_bytes(fingerprint[:8], "big")

    def __len__(self) -> int:
        """Return how many fingerprints were added (each once)."""
        return len(self._sorted) + len(self._recent)

    def __contains__(self, fingerprint: object) -> bool:
        """Whether a fingerprint with the same first 8 bytes was added."""
        if not isinstance(fingerprint, bytes):
            return False
        key = self._key(fingerprint)
        if key in self._recent:
            return True
        at = int(np.searchsorted(self._sorted, np.uint64(key)))
        return at < len(self._sorted) and int(self._sorted[at]) == key

    def add(self, fingerprint: bytes) -> None:
        """Add a fingerprint (call only for one not in the set)."""
        self._recent.add(self._key(fingerprint))
        if len(self._recent) >= self.merge_at:
            new = np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent))
            new.sort()
            self._sorted = np.insert(self._sorted, np.searchsorted(self._sorted, new), new)
            self._recent.clear()

    @property
    def nbytes(self) -> int:
        """Bytes of the sorted array (the recent set aside)."""
        return int(self._sorted.nbytes)


class RunDupeFilter(RFPDupeFilter):
    """RFPDupeFilter without the JOBDIR file, fingerprints in a `FingerprintSet` (DUPEFILTER_CLASS)."""

    stats: StatsCollector | None = None

    def __init__(self, debug: bool = False, *, fingerprinter: RequestFingerprinterProtocol | None = None) -> None:
        super().__init__(None, debug, fingerprinter=fingerprinter)
        self.seen = FingerprintSet()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.request_fingerprinter is not None
        dupefilter = cls(
            debug=crawler.settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=crawler.request_fingerprinter,
        )
        dupefilter.stats = crawler.stats
        return dupefilter

    def request_seen(self, request: Request) -> bool:
        fingerprint = self.fingerprinter.fingerprint(request)
        seen = fingerprint in self.seen
        if not seen:
            self.seen.add(fingerprint)
        if seen:
            count_redirect_loop(self.stats, request)
        return seen


def count_redirect_loop(stats: StatsCollector | None, request: Request) -> None:
    """Count a seen request that is a redirect back into its own chain (a -> b -> a) as a page error."""
    if request.url in request.meta.get("redirect_urls", ()) and stats is not None:
        stats.inc_value("crawl/page_error")
        stats.inc_value("crawl/redirect_loop")
        logger.warning("redirect loop: %s leads back to itself", request.meta["redirect_urls"][0])
