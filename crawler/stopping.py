"""Stopping a crawl at once: for an archive that cannot be written, and on SIGINT/SIGTERM.

Scrapy's graceful stop lets every request already handed to the downloader finish, and a
download slot slowed down (Retry-After, AutoThrottle) releases its queue one request per delay:
a Ctrl-C took 7.6 minutes. Here the queued requests are dropped as soon as the engine stops;
only the downloads in flight finish (bounded by DOWNLOAD_TIMEOUT).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.task import LoopingCall

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: How often a stopping engine is looked for (seconds).
POLL_SECONDS = 0.5


def drop_queued(crawler: Crawler) -> int:
    """Fail every request waiting in a download slot (not yet sent); returns how many."""
    engine = crawler.engine
    if engine is None:
        return 0
    dropped = 0
    for slot in list(engine.downloader.slots.values()):
        if slot.latercall is not None:
            slot.latercall.cancel()  # safe on a call already made
        slot.latercall = None
        while slot.queue:
            request, deferred = slot.queue.popleft()
            deferred.errback(IgnoreRequest(f"the crawl is stopping: {request.url} not fetched"))
            dropped += 1
    if dropped and crawler.stats is not None:
        crawler.stats.inc_value("crawl/dropped_at_stop", dropped)
    return dropped


def stop_crawl(crawler: Crawler, reason: str, message: str) -> None:
    """Close the spider with finish reason `reason`, logging `message` once (ERROR).

    Safe to call many times (every item after a full disk fails the same way): only the first
    call logs and closes.
    """
    stats = crawler.stats
    if stats is None or stats.get_value("crawl/stop_reason") is not None:
        return
    stats.set_value("crawl/stop_reason", reason)
    logger.error("%s; the crawl stops (finish reason %s)", message, reason)
    engine = crawler.engine
    if engine is None or engine.spider is None:
        return
    drop_queued(crawler)
    deferred_from_coro(engine.close_spider_async(reason=reason))


class FastStopExtension:
    """Drops the download slots' queues as soon as the engine stops (SIGINT, SIGTERM, CloseSpider)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.watch = LoopingCall(self._check)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        # Scrapy sends no signal when a stop begins, only when it has ended: so look.
        self.watch.start(POLL_SECONDS, now=False)

    def _check(self) -> None:
        engine = self.crawler.engine
        if engine is not None and not engine.running:
            dropped = drop_queued(self.crawler)
            if dropped:
                logger.info("stopping: %d queued requests dropped", dropped)

    def spider_closed(self) -> None:
        if self.watch.running:
            self.watch.stop()
