"""`SiteSpider`: a CrawlSpider whose rules and extraction come from a `SiteProfile`.

List pages and their pagination are followed; document pages go through
`crawler.extract.extract_page`; further pages of a split article are fetched in order and
joined. Nothing here knows any one site.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.spiders import CrawlSpider, Rule
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import CancelledError
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from archive import Capture
from crawler.checks import check_start_url
from crawler.extract import Document, ExtractResult, Skipped, extract_page, merge_pages
from crawler.extract.repeated import RepeatedBlocks, drop_repeated
from crawler.items import DocumentItem
from crawler.middlewares import IncrementalMiddleware, as_received
from crawler.stopping import stop_crawl
from crawler.urls import Scope
from crawler.workers import ExtractionFailed, ExtractionPool, default_workers

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from scrapy.http import Response
    from twisted.python.failure import Failure

    from crawler.sites.profile import SiteProfile

logger = logging.getLogger(__name__)


def split_urls(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """`-a start_urls=URL[,URL...]` as a list."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [u.strip() for u in items if u.strip()]


def capture_of(response: Response) -> Capture:
    """The response as it arrived, as the archive keeps it (``archive.Capture``).

    The body is the one the server sent, still gzip or br (`RawResponseMiddleware`), and the
    headers say so. Only the transfer framing is gone: the download handler de-chunked the body
    (Twisted drops Transfer-Encoding; another handler might not), so no Transfer-Encoding is
    kept, and a Content-Length is made the stored body's length (a body cut short, with
    DOWNLOAD_FAIL_ON_DATALOSS off; or decoded, with the middleware disabled).
    """
    def pairs(headers: Any) -> list[tuple[str, str]]:
        return [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items()
            for value in values
        ]

    headers, body = as_received(response)
    kept = []
    for name, value in pairs(headers):
        lowered = name.lower()
        if lowered == "transfer-encoding":
            continue
        kept.append((name, str(len(body)) if lowered == "content-length" else value))
    return Capture(
        url=response.url,
        status=response.status,
        headers=kept,
        body=body,
        fetched_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        request_headers=pairs(response.request.headers) if response.request else [],
    )


def fetched_at(response: Response) -> datetime:
    """When the server answered (its Date header), else now: the base of relative dates."""
    header = response.headers.get("Date")
    if header:
        try:
            return parsedate_to_datetime(header.decode("latin-1"))
        except (TypeError, ValueError):
            pass
    return datetime.now(UTC)


def _failure_kind(failure: Failure) -> str:
    """What went wrong with a request: skipped (on purpose), too_large, redirect_loop or failed."""
    error = failure.value
    message = failure.getErrorMessage()
    if isinstance(error, (DownloadCancelledError, CancelledError)) or "DOWNLOAD_MAXSIZE" in message:
        # The download handler cancels a body over DOWNLOAD_MAXSIZE; HttpCompressionMiddleware
        # ignores one that inflates past it. Both are a page too large to archive.
        return "too_large"
    if isinstance(error, IgnoreRequest) and not isinstance(error, HttpError):
        return "redirect_loop" if "max redirections" in message.lower() else "skipped"
    return "failed"


class SiteSpider(CrawlSpider):
    """Crawls one site as its profile describes. Subclasses set `name` and `profile`."""

    profile: ClassVar[SiteProfile]

    @classmethod
    def check_arguments(cls, start_urls: str | list[str] | None = None, **_: Any) -> list[str]:
        """The start URLs to crawl; ValueError with the fix when there are none or one is bad."""
        urls = split_urls(start_urls) or list(cls.profile.start_urls)
        if not urls:
            raise ValueError(f"no start URL known for {cls.profile.key}; pass -a start_urls=URL[,URL...]")
        return [check_start_url(url) for url in urls]

    def __init__(self, *args: Any, start_urls: str | list[str] | None = None, **kwargs: Any) -> None:
        profile = self.profile
        urls = self.check_arguments(start_urls)
        self.rules = self.build_rules()
        super().__init__(*args, **kwargs)
        self.start_urls = urls
        self.repeated: RepeatedBlocks | None = None
        self._extractor: ThreadPool | None = None
        self._workers: ExtractionPool | None = None
        self._workers_started = False
        self._incremental_mw: IncrementalMiddleware | None = None
        self._incremental_looked_up = False
        # Overriding the start URLs points the spider at another copy of the site: its scope is
        # then their origins (ScopeMiddleware enforces it, ports included).
        self.scope = Scope.from_start_urls(urls) if start_urls else Scope.from_domains(profile.domains)
        self.allowed_domains = (
            sorted({urlsplit(u).hostname or "" for u in urls})
            if start_urls
            else list(profile.domains)
        )

    def build_rules(self) -> tuple[Rule, ...]:
        """Rules from the profile: document pages are extracted, list pages followed.

        Office files are fetched too, so a Word file behind a document URL is counted as
        not_html rather than never seen.
        """
        return (
            Rule(
                LinkExtractor(allow=self.profile.document_url, deny_extensions=()),
                callback="parse_document",
                follow=False,
                process_request="_tag_document",
            ),
            Rule(LinkExtractor(allow=self.profile.listing_url), follow=True),
        )

    async def start(self) -> AsyncIterator[Any]:
        # Start pages are always read, also when a resumed job (JOBDIR) has seen them.
        for url in self.start_urls:
            if self.profile.is_document(url):
                yield Request(url, callback=self.parse_document, errback=self.on_error, dont_filter=True)
            else:
                yield Request(url, callback=self._parse, errback=self.on_error, dont_filter=True)

    def closed(self, reason: str) -> None:
        """Stop the extraction thread or processes."""
        if self._extractor is not None:
            self._extractor.stop()
            self._extractor = None
        if self._workers is not None:
            self._workers.close()
            self._workers = None

    def _tag_document(self, request: Request, response: Response) -> Request | None:
        incremental = self._incremental()
        if incremental is not None and incremental.drop_fresh(request):
            return None
        # One above list pages: documents found are fetched before further list pages, so the
        # queue holds a few pages' links, not the whole site's (a 100k crawl queued 25,000
        # requests, about 70 MB that the process kept after the queue drained).
        return request.replace(errback=self.on_error, priority=request.priority + 1)

    def _incremental(self) -> IncrementalMiddleware | None:
        # The downloader's IncrementalMiddleware, when enabled: asked about each document link.
        if self._incremental_looked_up is False:
            self._incremental_looked_up = True
            engine = self.crawler.engine
            middlewares = engine.downloader.middleware.middlewares if engine is not None else ()
            self._incremental_mw = next((m for m in middlewares if isinstance(m, IncrementalMiddleware)), None)
        return self._incremental_mw

    def _skip(self, reason: str, url: str, detail: str = "") -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"extract/skipped/{reason}")
        logger.info("no document at %s: %s %s", url, reason, detail, extra={"spider": self})

    def on_error(self, failure: Failure) -> None:
        """Count a page that could not be fetched, and log it once; the crawl goes on.

        Every failure is counted in crawl/page_error (the run log's errors), with its kind:
        crawl/too_large (over DOWNLOAD_MAXSIZE, also while inflating), crawl/redirect_loop.
        Scrapy already logs a download given up after its retries and an oversized body, so
        those are not logged a second time.
        """
        assert self.crawler.stats is not None
        request = getattr(failure, "request", None)
        url = getattr(request, "url", "?")
        kind = _failure_kind(failure)
        if kind == "skipped":
            # Skipped on purpose (robots.txt, scope, an archived page still fresh): counted there.
            logger.debug("skipped %s: %s", url, failure.getErrorMessage())
            return
        self.crawler.stats.inc_value("crawl/page_error")
        if kind != "failed":
            self.crawler.stats.inc_value(f"crawl/{kind}")
        if kind == "too_large" or self._gave_up(failure):
            return
        logger.warning("could not fetch %s: %s", url, failure.getErrorMessage(), extra={"spider": self})

    def _gave_up(self, failure: Failure) -> bool:
        # Whether Scrapy's RetryMiddleware retried this request to the end (and said so).
        request = getattr(failure, "request", None)
        retries = request.meta.get("retry_times", 0) if request is not None else 0
        if retries < self.settings.getint("RETRY_TIMES"):
            return False
        error = failure.value
        if isinstance(error, HttpError):
            return error.response.status in {int(c) for c in self.settings.getlist("RETRY_HTTP_CODES")}
        return True

    async def parse_document(self, response: Response) -> AsyncIterator[Any]:
        """Extract a document page; yield items, or requests for its further pages."""
        if not isinstance(response, TextResponse):
            self._skip("not_html", response.url, (response.headers.get("Content-Type") or b"").decode("latin-1"))
            return
        result, capture = await self._extract(response)
        if result is None:
            return
        if isinstance(result, Skipped):
            self._skip(result.reason, response.url, result.detail)
            return
        for document in result.documents:
            if document.next_pages:
                yield self._next_page(document, [], [capture])
            else:
                yield self._item(document, [capture])

    async def _extract(
        self, response: TextResponse, *, continuation: bool = False
    ) -> tuple[ExtractResult | None, Capture]:
        """The page's documents, and its capture.

        The documents are None (counted and logged) when the page's extraction worker was lost;
        the capture comes with its WARC records packed by the worker when it is to be archived.
        """
        page: dict[str, Any] = {
            "content_type": (response.headers.get("Content-Type") or b"").decode("latin-1"),
            "continuation": continuation,
            "now": fetched_at(response),
        }
        capture = capture_of(response)
        pool = self._pool()
        if pool is None:
            return await self._extract_in_thread(response.body, response.url, page), capture
        if self._keep_raw():
            page["capture"] = capture
        try:
            result, packed = await maybe_deferred_to_future(pool.extract(response.body, response.url, **page))
        except ExtractionFailed as exc:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("crawl/page_error")
            self.crawler.stats.inc_value(f"extract/failed/{exc.kind}")
            if exc.kind == "broken":
                # No page could be extracted: fetching on would only count errors.
                stop_crawl(self.crawler, "extract_workers_failed", f"cannot extract pages: {exc}")
            else:
                logger.warning("could not extract %s: %s", response.url, exc, extra={"spider": self})
            return None, capture
        repeated = self._repeated()
        if repeated is not None:
            result = drop_repeated(result, response.url, repeated)
        return result, packed or capture

    def _keep_raw(self) -> bool:
        # The archive pipeline keeps raw responses: then the workers pack their WARC records.
        return bool(self.settings.get("ARCHIVE_URI")) and self.settings.getbool("ARCHIVE_KEEP_RAW", True)

    def _pool(self) -> ExtractionPool | None:
        # EXTRACT_WORKERS unset: one per core; 0: extraction stays in this process (None).
        if not self._workers_started:
            self._workers_started = True
            configured = self.settings.get("EXTRACT_WORKERS")
            count = default_workers() if configured in (None, "") else self.settings.getint("EXTRACT_WORKERS")
            if count > 0:
                self._workers = ExtractionPool(
                    self.profile,
                    self._extract_options(),
                    workers=count,
                    timeout=self.settings.getfloat("EXTRACT_TIMEOUT"),
                )
        return self._workers

    def _extract_options(self) -> dict[str, Any]:
        return {
            "favor_precision": self.settings.getbool("EXTRACT_FAVOR_PRECISION"),
            "max_bytes": self.settings.getint("EXTRACT_MAX_BYTES"),
            "max_depth": self.settings.getint("EXTRACT_MAX_DEPTH"),
        }

    async def _extract_in_thread(self, body: bytes, url: str, page: dict[str, Any]) -> ExtractResult:
        # On a thread of its own: a page can take seconds to extract, and the event loop must
        # go on downloading meanwhile. One thread, so the crawl's RepeatedBlocks is never shared.
        if self._extractor is None:
            self._extractor = ThreadPool(minthreads=1, maxthreads=1, name=f"extract-{self.name}")
            self._extractor.start()
        from twisted.internet import reactor

        options = {**self._extract_options(), **page, "repeated": self._repeated()}
        extracted = deferToThreadPool(reactor, self._extractor, extract_page, body, url, self.profile, **options)
        return await maybe_deferred_to_future(extracted)

    def _repeated(self) -> RepeatedBlocks | None:
        pages = self.settings.getint("EXTRACT_REPEATED_MIN_PAGES")
        if self.repeated is None and pages > 0:
            self.repeated = RepeatedBlocks(min_pages=pages)
        return self.repeated

    def _next_page(self, first: Document, parts: list[Document], captures: list[Capture]) -> Request:
        url = first.next_pages[len(parts)]
        kwargs = {"first": first, "parts": parts, "captures": captures}
        return Request(
            url,
            callback=self.parse_continuation,
            errback=self.continuation_failed,
            cb_kwargs=kwargs,
            # Pages 2..N are fetched one after another, so they join in order; a link rule may
            # have fetched one already, which must not stop the chain.
            priority=10,
            dont_filter=True,
        )

    async def parse_continuation(
        self, response: Response, first: Document, parts: list[Document], captures: list[Capture]
    ) -> AsyncIterator[Any]:
        """Add page N of a split article; after the last page, yield the joined document."""
        result, capture = (
            await self._extract(response, continuation=True) if isinstance(response, TextResponse) else (None, None)
        )
        if result is None or isinstance(result, Skipped) or capture is None:
            self._skip("page_without_text", response.url)
            parts = [*parts, Document(url=response.url, site=first.site, title="", text="", truncated=True)]
        else:
            parts = [*parts, *result.documents[:1]]
            captures = [*captures, capture]
        if len(parts) < len(first.next_pages):
            yield self._next_page(first, parts, captures)
        else:
            yield self._item(merge_pages(first, parts), captures)

    def continuation_failed(self, failure: Failure) -> Iterator[Any]:
        """A missing page N: keep what we have, marked truncated, and count it."""
        self.on_error(failure)
        kwargs = failure.request.cb_kwargs  # type: ignore[attr-defined]
        first: Document = kwargs["first"]
        missing = Document(url=failure.request.url, site=first.site, title="", text="", truncated=True)  # type: ignore[attr-defined]
        yield self._item(merge_pages(first, [*kwargs["parts"], missing]), kwargs["captures"])

    def _item(self, document: Document, captures: list[Capture]) -> DocumentItem:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("extract/documents")
        if document.truncated:
            self.crawler.stats.inc_value("extract/truncated")
        fields = document.record_fields()
        return DocumentItem(**fields, captures=captures)
