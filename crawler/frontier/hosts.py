"""Per-host limits shared by the workers of a run: N workers never send more than one process would.

Each worker's Scrapy keeps its own download slots (CONCURRENT_REQUESTS_PER_DOMAIN, DOWNLOAD_DELAY,
AutoThrottle, 429/503 backoff), which would let N workers send N times as much to a host. Here
every download first takes a grant from Redis for its host (`HostGate`), just before it is sent:

- one of the host's CONCURRENT_REQUESTS_PER_DOMAIN concurrency keys (`{crawl}:host:{h}:slot:{i}`,
  set NX with a lease, deleted when the download ends; a dead worker's lease expires);
- and only while the host's gap key (`{crawl}:host:{h}:gap`) is absent; a grant sets it with
  the delay as its TTL: the worker's current slot delay, which is DOWNLOAD_DELAY as raised by
  AutoThrottle or by BackoffMiddleware after a 429/503; a 429/503 answer also sets it at once
  for Retry-After (else BACKOFF_BASE_DELAY) seconds, so every worker pauses, not only the one
  that got it.

The gate sits in the download handler (`FrontierDownloadHandler` wraps the one Scrapy would
use), not in a downloader middleware: a request let through a middleware still waits in the
worker's own slot for its local delay, and two workers could then send within one gap.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from redis import RedisError
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet import reactor
from twisted.internet.task import deferLater

from crawler.frontier.run import new_worker_id
from crawler.frontier.scheduler import connect
from crawler.middlewares import retry_after_seconds

if TYPE_CHECKING:
    from typing import Self

    from redis import Redis
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

# ARGV: host prefix, token, concurrency, delay ms, lease ms. Returns {0, slot} when granted,
# else {ms to wait, 0}: the gap's remaining TTL, or a short poll while every slot is taken.
_GRANT = """
local gap = redis.call('PTTL', ARGV[1] .. ':gap')
if gap > 0 then return {gap, 0} end
for i = 1, tonumber(ARGV[3]) do
  if redis.call('SET', ARGV[1] .. ':slot:' .. i, ARGV[2], 'NX', 'PX', ARGV[5]) then
    if tonumber(ARGV[4]) > 0 then redis.call('SET', ARGV[1] .. ':gap', '1', 'PX', ARGV[4]) end
    return {0, i}
  end
end
return {-1, 0}
"""

# ARGV: slot key, token. Only the holder's own lease is freed (an expired one may be another's).
_RELEASE = """
if redis.call('GET', ARGV[1]) == ARGV[2] then return redis.call('DEL', ARGV[1]) end
return 0
"""

# ARGV: gap key, ms. Lengthens the host's gap (never shortens it): a 429/503 pauses every worker.
_HOLD = """
if redis.call('PTTL', ARGV[1]) < tonumber(ARGV[2]) then redis.call('SET', ARGV[1], '1', 'PX', ARGV[2]) end
return 0
"""

# Seconds between tries while Redis does not answer.
REDIS_RETRY = 1.0
# Seconds between tries while all of a host's concurrency keys are held.
BUSY_POLL = 0.02


class HostGate:
    """Grants the right to send one request to a host, across every worker of a crawl."""

    def __init__(self, server: Redis, prefix: str, *, lease: float) -> None:
        self.server = server
        self.prefix = prefix
        self.lease_ms = max(1, round(lease * 1000))
        self.worker = new_worker_id()
        self._count = 0
        self._grant = server.register_script(_GRANT)
        self._release = server.register_script(_RELEASE)
        self._hold = server.register_script(_HOLD)

    def try_grant(self, host: str, concurrency: int, delay: float) -> tuple[str | None, float]:
        """(slot key, 0) when granted, else (None, seconds to wait before trying again)."""
        self._count += 1
        token = f"{self.worker}:{self._count}"
        host_prefix = f"{self.prefix}:host:{host}"
        wait_ms, slot = self._grant(
            args=[host_prefix, token, max(1, concurrency), max(0, round(delay * 1000)), self.lease_ms]
        )
        if int(wait_ms) == 0:
            return f"{host_prefix}:slot:{int(slot)}|{token}", 0.0
        return None, BUSY_POLL if int(wait_ms) < 0 else int(wait_ms) / 1000

    def hold(self, host: str, seconds: float) -> None:
        """Let no worker send to `host` for `seconds` (unless its gap already lasts longer)."""
        self._hold(args=[f"{self.prefix}:host:{host}:gap", max(1, round(seconds * 1000))])

    def release(self, grant: str) -> None:
        """End a grant (the download is over): its concurrency key is free for the next one."""
        key, token = grant.rsplit("|", 1)
        self._release(args=[key, token])


class FrontierDownloadHandler:
    """Takes a HostGate grant, then downloads with the handler Scrapy would have used.

    Installed for http and https by FrontierAddon when FRONTIER_URI is set and
    FRONTIER_HOST_LIMITS is on; `FRONTIER_WRAPPED_HANDLERS` (set by the add-on) names the
    handlers it wraps. Stats: frontier/host_waits (downloads that had to wait for a grant).
    """

    lazy = False

    def __init__(
        self, crawler: Crawler, gate: HostGate, wrapped: dict[str, str], *, backoff: tuple[float, float] | None = None
    ) -> None:
        self.crawler = crawler
        self.gate = gate
        self.wrapped = wrapped
        # (BACKOFF_BASE_DELAY, BACKOFF_MAX_DELAY) when BackoffMiddleware is on, else None.
        self.backoff = backoff
        self._handlers: dict[str, Any] = {}
        self._redis_away = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        # A grant outlives the longest download, so a live worker's lease never expires early.
        lease = settings.getfloat("DOWNLOAD_TIMEOUT", 180) + 30
        gate = HostGate(connect(settings.get("FRONTIER_URI")), f"{settings.get('BOT_NAME', 'scrapy')}:frontier",
                        lease=lease)
        backoff = None
        if settings.getbool("BACKOFF_ENABLED"):
            backoff = (settings.getfloat("BACKOFF_BASE_DELAY", 2.0), settings.getfloat("BACKOFF_MAX_DELAY", 60.0))
        return cls(crawler, gate, dict(settings.getdict("FRONTIER_WRAPPED_HANDLERS")), backoff=backoff)

    def _handler(self, scheme: str) -> Any:
        if scheme not in self._handlers:
            path = self.wrapped.get(scheme)
            if not path:
                raise ValueError(f"no download handler to wrap for {scheme}; see FRONTIER_WRAPPED_HANDLERS")
            self._handlers[scheme] = build_from_crawler(load_object(path), self.crawler)
        return self._handlers[scheme]

    def limits(self, request: Request) -> tuple[str, int, float]:
        """The request's host (Scrapy's slot key), its concurrency and its current delay."""
        settings = self.crawler.settings
        engine = self.crawler.engine
        if engine is None:
            host = urlparse_cached(request).hostname or ""
            return host, settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), settings.getfloat("DOWNLOAD_DELAY")
        downloader = engine.downloader
        host = downloader.get_slot_key(request)
        slot = downloader.slots.get(host)
        if slot is None:
            return host, settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), settings.getfloat("DOWNLOAD_DELAY")
        return host, slot.concurrency, slot.delay

    async def download_request(self, request: Request) -> Response:
        handler = self._handler(urlparse_cached(request).scheme)
        waited = False
        while True:
            host, concurrency, delay = self.limits(request)
            try:
                grant, wait = self.gate.try_grant(host, concurrency, delay)
            except RedisError as exc:
                # No grant without Redis: the download waits for it rather than fail.
                if not self._redis_away:
                    logger.warning("frontier: no host grant for %s (%s); waiting for Redis", request.url, exc)
                self._redis_away = True
                grant, wait = None, REDIS_RETRY
            if grant is not None:
                self._redis_away = False
                break
            engine = self.crawler.engine
            if engine is not None and not engine.running:
                # A stop began: not sent, and handed back to the run (FrontierScheduler.close).
                raise IgnoreRequest(f"the crawl is stopping: {request.url} not fetched")
            if not waited and self.crawler.stats is not None:
                self.crawler.stats.inc_value("frontier/host_waits")
            waited = True
            await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        try:
            response: Response = await handler.download_request(request)
        finally:
            with contextlib.suppress(RedisError):  # else the lease expires by itself
                self.gate.release(grant)
        if self.backoff is not None and response.status in (429, 503):
            # BackoffMiddleware slows this worker's slot down; the host's gap pauses the others,
            # which would otherwise go on at full pace until this worker's next grant.
            base, most = self.backoff
            wait = retry_after_seconds(response.headers.get("Retry-After")) or base
            with contextlib.suppress(RedisError):
                self.gate.hold(host, min(wait, most))
        return response

    async def close(self) -> None:
        for handler in self._handlers.values():
            close = getattr(handler, "close", None)
            if close is not None:
                await close()
