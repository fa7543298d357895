"""Downloader middlewares of the project.

`BackoffMiddleware`: 429/503 answers slow the whole host down (honouring Retry-After) before
the request is retried, instead of Scrapy's immediate retry.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), if valid."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffMiddleware:
    """Retries 429 and 503 after slowing the host down; enabled by BACKOFF_ENABLED.

    The host's download slot waits Retry-After seconds when the server says so, else
    BACKOFF_BASE_DELAY * 2**attempt, at most BACKOFF_MAX_DELAY; then the request is retried
    (at most RETRY_TIMES). Stats: backoff/retry, backoff/gave_up, backoff/max_delay.
    """

    codes = frozenset({429, 503})

    def __init__(self, crawler: Crawler, base_delay: float, max_delay: float, max_retries: int) -> None:
        self.crawler = crawler
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retries = max_retries

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("BACKOFF_ENABLED"):
            raise NotConfigured("BACKOFF_ENABLED is off")
        return cls(
            crawler,
            settings.getfloat("BACKOFF_BASE_DELAY"),
            settings.getfloat("BACKOFF_MAX_DELAY"),
            settings.getint("RETRY_TIMES"),
        )

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in self.codes or request.meta.get("dont_retry"):
            return response
        assert self.crawler.stats is not None
        attempt = request.meta.get("retry_times", 0)
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        delay = min(self.max_delay, wait if wait is not None else self.base_delay * 2**attempt)
        self._slow_down(request, delay)
        assert self.crawler.spider is not None
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=f"{response.status} (waiting {delay:.1f}s)",
            max_retry_times=self.max_retries,
            stats_base_key="backoff",
        )
        if retry is None:
            self.crawler.stats.inc_value("backoff/gave_up")
            return response
        self.crawler.stats.inc_value("backoff/retry")
        self.crawler.stats.max_value("backoff/max_delay", delay)
        return retry

    def _slow_down(self, request: Request, delay: float) -> None:
        engine = self.crawler.engine
        if engine is None:
            return
        downloader = engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None and slot.delay < delay:
            logger.info("server asked %s to wait: delaying its requests %.1fs", key, delay)
            slot.delay = delay
