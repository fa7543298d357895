"""Downloader middlewares of the project.

`CleanUrlMiddleware`: a request for a URL with tracking parameters becomes one for its clean URL.
`ScopeMiddleware`: only the crawl's own origins (scheme + host + port), over http(s), are requested.
`BackoffMiddleware`: 429/503 answers slow the whole host down (honouring Retry-After) before
the request is retried, instead of Scrapy's immediate retry; the host speeds up again once it
answers.
`IncrementalMiddleware`: a re-run downloads only document pages that are new or due a revisit.
`RawResponseMiddleware`: keeps a content-coded response's body and headers as they arrived, for
the archive, before HttpCompressionMiddleware decodes them (`as_received`).
"""

from __future__ import annotations

import logging
import weakref
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest, NotConfigured

from archive import ArchiveError, ArchiveNotFound, open_archive
from crawler.pipelines import SharedArchive
from crawler.stopping import stop_crawl
from crawler.urls import Origin, Scope, clean_url

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Headers, Response

    from archive import Archive
    from archive.crawlstate import PageState

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


class CleanUrlMiddleware:
    """Requests the clean URL (`crawler.urls.clean_url`) instead of a tracking variant.

    Links, sitemap entries and redirects all pass here, so the dupefilter sees one URL per page
    and a share link never becomes the page's record. Stat: urls/cleaned.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> Request | None:
        clean = clean_url(request.url)
        if clean == request.url:
            return None
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("urls/cleaned")
        # Returned, it is scheduled again: the dupefilter drops it if the clean URL was seen.
        return request.replace(url=clean)


class ScopeMiddleware:
    """Drops every request outside the spider's `scope` (a `crawler.urls.Scope`).

    Scrapy's OffsiteMiddleware compares host names only: a link to the same host on another
    port, or an ftp: link, was requested. Here the origin decides, for links, sitemap entries
    and redirects alike. Stats: scope/offsite, scope/not_http.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        scope: Scope | None = getattr(self.crawler.spider, "scope", None)
        if scope is None or scope.allows(request.url):
            return
        assert self.crawler.stats is not None
        kind = "offsite" if Origin.of(request.url) is not None else "not_http"
        self.crawler.stats.inc_value(f"scope/{kind}")
        logger.debug("not requested (%s): %s", kind, request.url)
        raise IgnoreRequest(f"out of the crawl's scope ({kind}): {request.url}")


class BackoffMiddleware:
    """Retries 429 and 503 after slowing the host down; enabled by BACKOFF_ENABLED.

    The host's download slot waits Retry-After seconds when the server says so, else
    BACKOFF_BASE_DELAY * 2**attempt, at most BACKOFF_MAX_DELAY; then the request is retried
    (at most RETRY_TIMES). A request that will not be retried sets no delay. The first answer
    from the host that is not a 429/503 puts its delay back to what it was: the wait was the
    server's request, not a lasting verdict on the host.
    Stats: backoff/retry, backoff/gave_up, backoff/max_delay, backoff/recovered.
    """

    codes = frozenset({429, 503})

    def __init__(self, crawler: Crawler, base_delay: float, max_delay: float, max_retries: int) -> None:
        self.crawler = crawler
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retries = max_retries
        # Slot key -> (its delay and jitter before the first backoff, when it began), while slowed.
        self.normal_delay: dict[str, tuple[float, float, float]] = {}

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
        if response.status not in self.codes:
            self._recover(request)
            return response
        if request.meta.get("dont_retry"):
            return response
        assert self.crawler.stats is not None
        attempt = request.meta.get("retry_times", 0)
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        delay = min(self.max_delay, wait if wait is not None else self.base_delay * 2**attempt)
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
        self._slow_down(request, delay)
        self.crawler.stats.inc_value("backoff/retry")
        self.crawler.stats.max_value("backoff/max_delay", delay)
        return retry

    def _slot(self, request: Request) -> tuple[str, Any]:
        engine = self.crawler.engine
        if engine is None:
            return "", None
        downloader = engine.downloader
        key = downloader.get_slot_key(request)
        return key, downloader.slots.get(key)

    def _slow_down(self, request: Request, delay: float) -> None:
        key, slot = self._slot(request)
        if slot is not None and slot.delay < delay:
            logger.info("server asked %s to wait: delaying its requests %.1fs", key, delay)
            self.normal_delay.setdefault(key, (slot.delay, slot.jitter, monotonic()))
            slot.delay = delay
            # RANDOMIZE_DOWNLOAD_DELAY would send the retry after as little as half the wait.
            slot.jitter = 0.0

    def _recover(self, request: Request) -> None:
        if not self.normal_delay:
            return
        key, slot = self._slot(request)
        if key not in self.normal_delay or slot is None:
            return
        normal, jitter, since = self.normal_delay[key]
        # Only an answer to a request sent after the wait began says the host is back: those
        # already in flight when the 503 came say nothing (download_latency is Scrapy's).
        sent = monotonic() - float(request.meta.get("download_latency", 0.0))
        if sent >= since:
            del self.normal_delay[key]
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("backoff/recovered")
            logger.info("%s answers again: its delay is back to %.1fs", key, normal)
            slot.delay = min(slot.delay, normal)
            slot.jitter = jitter


class IncrementalMiddleware:
    """Skips document pages the archive saw recently; revisits others conditionally.

    Enabled by INCREMENTAL_ENABLED with an archive at ARCHIVE_URI. A page whose URL the archive
    holds (a document page: list pages never become records) and that was seen less than
    INCREMENTAL_REFRESH_DAYS ago (a profile's `refresh_days` overrides it) is not downloaded.
    An older one is fetched with If-None-Match / If-Modified-Since from its stored capture; a
    304 adds a sighting and counts as unchanged. The archive's captures are the cache: no
    second copy of every page, as HTTPCACHE_POLICY=RFC2616 would keep.

    With the archive pipeline on, the archive is read and the sightings written through its
    connection (`SharedArchive`): a sighting is one more write of the pipeline's open batch,
    where a connection of its own would wait for the batch's write lock on the reactor thread.
    Without it (ITEM_PIPELINES lacks it), the middleware opens the archive itself.

    Stats: incremental/skipped_fresh, incremental/conditional, incremental/not_modified.
    """

    def __init__(self, crawler: Crawler, uri: str, refresh_days: float) -> None:
        self.crawler = crawler
        self.uri = uri
        self.refresh_days = refresh_days
        self.archive: Archive | None = None
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        uri = settings.get("ARCHIVE_URI")
        if not settings.getbool("INCREMENTAL_ENABLED") or not uri:
            raise NotConfigured("INCREMENTAL_ENABLED is off or ARCHIVE_URI is empty")
        middleware = cls(crawler, uri, settings.getfloat("INCREMENTAL_REFRESH_DAYS"))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def _archive(self) -> Archive | None:
        shared = SharedArchive.find(self.uri)
        if shared is not None:
            return shared.archive
        if self.archive is None and not self.failed:
            try:
                self.archive = open_archive(self.uri, create=False)
            except ArchiveNotFound:
                return None  # a first crawl: nothing is archived yet
            except ArchiveError as exc:
                self._failed(exc, "read")
        return self.archive

    def _failed(self, exc: ArchiveError, doing: str) -> None:
        # Without the archive every page would be fetched again, and none could be stored.
        self.failed = True
        stop_crawl(self.crawler, exc.reason, f"cannot {doing} the archive: {exc}")

    def _state(self, url: str) -> PageState | None:
        archive = self._archive()
        if archive is None:
            return None
        try:
            return archive.page_state(url)
        except ArchiveError as exc:
            self._failed(exc, "read")
            return None

    def _refresh(self) -> timedelta:
        profile = getattr(self.crawler.spider, "profile", None)
        days = getattr(profile, "refresh_days", None)
        return timedelta(days=self.refresh_days if days is None else days)

    def process_request(self, request: Request) -> None:
        if self._exempt(request) or request.meta.get("incremental_new"):
            return
        state = self._state(request.url)
        if state is None:
            return
        assert self.crawler.stats is not None
        if self._fresh(state):
            self.crawler.stats.inc_value("incremental/skipped_fresh")
            raise IgnoreRequest(f"archived {state.last_seen}, within the refresh interval")
        if state.etag:
            request.headers.setdefault(b"If-None-Match", state.etag.encode("latin-1"))
        if state.last_modified:
            request.headers.setdefault(b"If-Modified-Since", state.last_modified.encode("latin-1"))
        if state.etag or state.last_modified:
            request.meta["incremental_conditional"] = True
            self.crawler.stats.inc_value("incremental/conditional")

    def drop_fresh(self, request: Request) -> bool:
        """Whether to drop a request before it is scheduled: its page was archived recently.

        The spider asks this of the links it follows, so a re-run's thousands of fresh pages
        never become requests that fail through an errback (stat: incremental/skipped_fresh).
        """
        if self._exempt(request):
            return False
        state = self._state(request.url)
        if state is None:
            # Not archived: process_request need not ask again (a first crawl asks once a page).
            request.meta["incremental_new"] = True
            return False
        if not self._fresh(state):
            return False
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("incremental/skipped_fresh")
        return True

    @staticmethod
    def _exempt(request: Request) -> bool:
        return request.meta.get("incremental_skip") is False or urlsplit(request.url).path == "/robots.txt"

    def _fresh(self, state: PageState) -> bool:
        seen = datetime.fromisoformat(state.last_seen.replace("Z", "+00:00"))
        return datetime.now(UTC) - seen < self._refresh()

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status != 304 or not request.meta.get("incremental_conditional"):
            return response
        assert self.crawler.stats is not None
        try:
            self._touch(request.url)
        except ArchiveError as exc:
            self._failed(exc, "write")
        self.crawler.stats.inc_value("incremental/not_modified")
        raise IgnoreRequest("304 Not Modified: the archived version is current")

    def _touch(self, url: str) -> None:
        shared = SharedArchive.find(self.uri)
        if shared is None:
            archive = self._archive()
            assert archive is not None
            archive.touch(url)
            return
        try:
            shared.archive.touch(url)
        except ArchiveError as exc:
            shared.failed(exc)
            raise
        assert self.crawler.stats is not None
        shared.wrote(self.crawler.stats, self.crawler, ["incremental/not_modified"], item=False)

    def spider_closed(self) -> None:
        if self.archive is not None:
            self.archive.close()
            self.archive = None


# Request -> the headers and body its response arrived with, while the request lives: a weak
# key, so nothing outlives the page, and nothing rides along in request.meta into a retry's
# copy (and from there into the JOBDIR queue).
_ARRIVED: weakref.WeakKeyDictionary[Request, tuple[Headers, bytes]] = weakref.WeakKeyDictionary()


class RawResponseMiddleware:
    """Keeps a content-coded response as it arrived, before HttpCompressionMiddleware (590).

    Responses pass the downloader middlewares from the highest order down, so at 595 the body
    is still the gzip or br bytes the server sent; HttpCompressionMiddleware then decodes it
    for the spider and drops Content-Encoding (in the headers both responses share, hence the
    copy here). The archive keeps what the server sent (`as_received`): the spider's decoded
    body beside the compressed one's Content-Length was a WARC record that replayed cut short.
    Only responses with a Content-Encoding are kept, and only as long as their request lives.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        if request.method != "HEAD" and b"Content-Encoding" in response.headers:
            _ARRIVED[request] = (response.headers.copy(), response.body)
        return response


def as_received(response: Response) -> tuple[Headers, bytes]:
    """The headers and body ``response`` arrived with (before any content decoding)."""
    request = response.request
    arrived = _ARRIVED.get(request) if request is not None else None
    return arrived if arrived is not None else (response.headers, response.body)
