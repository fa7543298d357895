"""`FrontierScheduler`: scrapy-redis's scheduler, made a worker of a run with a reliable queue.

scrapy-redis 0.9.1 keeps one queue per spider for ever (every list page of yesterday's run is
"seen" today, so new documents are never found), pops a request out of Redis for good (a
SIGKILLed worker's requests are lost, and the pages behind them), closes a worker after an
idle timeout, and reaches Scrapy 2.19 through deprecated paths. Here its queue, serializer and
dupefilter classes are kept, and what a worker does is changed:

- the keys are per run (`RunFrontier`): a worker joins the crawl's live run, or starts one;
- a popped request moves to the worker's in-flight set in the same Redis step, and leaves it
  once Scrapy has finished with it (the engine no longer holds it) and the archive has
  committed what it produced; a worker whose heartbeat lapses has its in-flight requests
  handed back by the others;
- a worker closes when the run is over: queue empty, every worker idle, nothing in flight.
"""

from __future__ import annotations

import logging
from hashlib import sha1
from typing import TYPE_CHECKING, Any

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis import picklecompat  # type: ignore[import-untyped]
from scrapy_redis.dupefilter import RFPDupeFilter as RedisRFPDupeFilter  # type: ignore[import-untyped]
from scrapy_redis.queue import PriorityQueue  # type: ignore[import-untyped]
from scrapy_redis.scheduler import Scheduler as RedisScheduler  # type: ignore[import-untyped]
from twisted.internet.task import LoopingCall

from archive.postgres import masked_uri
from crawler.dupefilter import count_redirect_loop
from crawler.frontier.run import RunFrontier

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from scrapy.utils.request import RequestFingerprinterProtocol

logger = logging.getLogger(__name__)

# Seconds between a worker's ticks (acks, heartbeat, reaping); at most a quarter of the heartbeat.
TICK_SECONDS = 1.0


def connect(uri: str) -> redis.Redis:
    """A Redis client for `uri`, checked with a PING; RuntimeError (one line) when unreachable."""
    server = redis.Redis.from_url(uri, socket_timeout=30, socket_connect_timeout=10, retry_on_timeout=True)
    try:
        server.ping()
    except redis.RedisError as exc:
        raise RuntimeError(
            f"cannot reach the frontier at FRONTIER_URI={masked_uri(uri)} ({exc}); "
            "start Redis there or pass another FRONTIER_URI"
        ) from None
    return server


def crawl_key(bot: str, spider: Spider) -> str:
    """The key prefix of a crawl: the spider and its start URLs (the same command on every worker)."""
    urls = ",".join(sorted(str(u) for u in getattr(spider, "start_urls", ()) or ()))
    return f"{bot}:frontier:{spider.name}:{sha1(urls.encode()).hexdigest()[:10]}"  # noqa: S324 - a name


class FrontierQueue(PriorityQueue):  # type: ignore[misc]
    """scrapy-redis's priority queue, popping into the worker's in-flight set (`RunFrontier.pop`)."""

    def __init__(self, frontier: RunFrontier, spider: Spider) -> None:
        super().__init__(frontier.server, spider, frontier.key("queue"), serializer=picklecompat)
        self.frontier = frontier

    def __len__(self) -> int:
        return self.frontier.queued()

    def push(self, request: Request) -> None:
        self.frontier.push(self._encode_request(request), request.priority)

    def pop_member(self) -> tuple[Request, bytes] | None:
        """The next request and its queue member (the key of its in-flight entry)."""
        member = self.frontier.pop()
        if member is None:
            return None
        return self._decode_request(RunFrontier.payload(member)), member


class FrontierDupeFilter(RedisRFPDupeFilter):  # type: ignore[misc]
    """scrapy-redis's dupefilter on the run's `seen` set, with Scrapy's request fingerprints.

    Built by FrontierScheduler, which points it at the run it joined. Like `RunDupeFilter`, it
    counts a redirect back into its own chain as a redirect loop.
    """

    def __init__(
        self, fingerprinter: RequestFingerprinterProtocol, stats: StatsCollector | None, *, debug: bool = False
    ) -> None:
        super().__init__(None, "", debug=debug)
        self.fingerprinter = fingerprinter
        self.stats = stats
        self.frontier: RunFrontier | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.request_fingerprinter is not None
        return cls(crawler.request_fingerprinter, crawler.stats, debug=crawler.settings.getbool("DUPEFILTER_DEBUG"))

    def request_seen(self, request: Request) -> bool:
        assert self.frontier is not None, "the scheduler has not joined a run"
        seen = self.frontier.seen(self.fingerprinter.fingerprint(request))
        if seen:
            count_redirect_loop(self.stats, request)
        return seen

    def log(self, request: Request, spider: Spider) -> None:
        if self.stats is not None:
            self.stats.inc_value("dupefilter/filtered")
        super().log(request, spider)

    def close(self, reason: str = "") -> None:
        # The run's seen set is shared: it goes when the run ends (RunFrontier.idle), not when
        # one worker closes.
        return None


class FrontierScheduler(RedisScheduler):  # type: ignore[misc]
    """Makes this process a worker of its crawl's live run in Redis (SCHEDULER, set by FrontierAddon).

    Settings: `FRONTIER_URI`, `FRONTIER_HEARTBEAT`. Stats: frontier/enqueued, frontier/dequeued,
    frontier/acked, frontier/requeued (requests of dead workers this worker handed back),
    frontier/handed_back (its own unfinished ones, when it stops before the run is over),
    frontier/not_queued (requests Redis never took before the worker closed), dupefilter/filtered.
    """

    def __init__(
        self,
        server: redis.Redis,
        crawler: Crawler,
        dupefilter: FrontierDupeFilter,
        *,
        heartbeat: float,
        archive_uri: str = "",
    ) -> None:
        super().__init__(server, persist=True, dupefilter=dupefilter, serializer=picklecompat)
        self.crawler = crawler
        self.stats = crawler.stats
        self.heartbeat = heartbeat
        self.archive_uri = archive_uri
        self.frontier: RunFrontier | None = None
        self.queue: FrontierQueue | None = None
        # Requests popped and not yet acked, by identity: Scrapy's Request has no __eq__.
        self._popped: dict[Request, bytes] = {}
        # Requests Redis did not take (it was away), in the order they came, each with whether
        # it still has to go through the dupefilter.
        self._unsent: list[tuple[Request, bool]] = []
        self._idle = False
        self._redis_away = False
        self._ticker = LoopingCall(self._tick)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        scheduler = cls(
            connect(settings.get("FRONTIER_URI")),
            crawler,
            FrontierDupeFilter.from_crawler(crawler),
            heartbeat=settings.getfloat("FRONTIER_HEARTBEAT", 15.0),
            archive_uri=settings.get("ARCHIVE_URI") or "",
        )
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.frontier = RunFrontier(
            self.server, crawl_key(self.crawler.settings.get("BOT_NAME", "scrapy"), spider), heartbeat=self.heartbeat
        )
        joined = self.frontier.join()
        self.frontier.start_heartbeat()
        self.queue = FrontierQueue(self.frontier, spider)
        self.df.frontier = self.frontier
        # The run log names the frontier run each worker's crawl belonged to (`archive runs`).
        self.stats.set_value("frontier/run", joined.run)
        self.stats.set_value("frontier/worker", self.frontier.worker)
        logger.info(
            "frontier: %s run %s of %s as worker %s (%d requests queued)",
            "started" if joined.created else "joined", joined.run, self.frontier.crawl, self.frontier.worker,
            joined.queued, extra={"spider": spider},
        )
        self._ticker.start(min(TICK_SECONDS, self.heartbeat / 4), now=False)

    def close(self, reason: str) -> None:
        if self._ticker.running:
            self._ticker.stop()
        if self.frontier is None:
            return
        try:
            self._send_unsent()
            if self._acking():
                self._ack()
            handed_back = self.frontier.leave()
        except redis.RedisError as exc:
            # Its in-flight requests stay in Redis (if it comes back with them): another worker
            # hands them back once this worker's heartbeat has lapsed.
            logger.error("frontier: Redis did not answer as the worker closed (%s); %d new requests not queued",
                         exc, len(self._unsent))
            self.frontier.stop_heartbeat()
            return
        if self._unsent:
            logger.error("frontier: Redis did not take %d new requests before the worker closed", len(self._unsent))
            self._inc("frontier/not_queued", len(self._unsent))
        if handed_back:
            self._inc("frontier/handed_back", handed_back)
            logger.info("frontier: %d unfinished requests handed back to run %s", handed_back, self.frontier.run)

    def __len__(self) -> int:
        return len(self.queue) if self.queue is not None else 0

    def has_pending_requests(self) -> bool:
        if self._unsent:
            return True
        try:
            return len(self) > 0
        except redis.RedisError:
            return True  # not known: not idle either, so the run does not look over

    def enqueue_request(self, request: Request) -> bool:
        if not self._unsent:
            queued = self._enqueue(request, self._filtered(request))
            if queued is not None:
                return queued
            # Kept until Redis is back (the tick sends them): a list page's links must not be
            # lost to an outage, and the worker does not go idle while it holds any.
            logger.warning("frontier: Redis did not take a request; keeping new ones until it is back")
        else:
            self._unsent.append((request, self._filtered(request)))  # behind the ones waiting
        return True

    def _enqueue(self, request: Request, filtered: bool) -> bool | None:
        """Dupefilter (when `filtered`), then queue: False for a duplicate, None when Redis did not answer.

        A request Redis did not take is kept in `_unsent`, marked for the step it still needs.
        """
        assert self.queue is not None
        try:
            if filtered and self.df.request_seen(request):
                self.df.log(request, self.spider)
                return False
        except redis.RedisError as exc:
            logger.debug("frontier: request not filtered (%s)", exc)
            self._unsent.append((request, filtered))
            return None
        try:
            self.queue.push(request)
        except redis.RedisError as exc:
            # Its fingerprint is in the seen set now: queued later without the filter.
            logger.debug("frontier: request not queued (%s)", exc)
            self._unsent.append((request, False))
            return None
        self._inc("frontier/enqueued")
        return True

    def _send_unsent(self) -> None:
        if not self._unsent:
            return
        waiting, self._unsent = self._unsent, []
        for at, (request, filtered) in enumerate(waiting):
            if self._enqueue(request, filtered) is None:
                self._unsent.extend(waiting[at + 1:])
                return
        logger.info("frontier: Redis is back; %d kept requests queued", len(waiting))

    @staticmethod
    def _filtered(request: Request) -> bool:
        # Start requests are dont_filter, and every worker of a run makes them: only the first
        # worker's go into the queue. Their retries (retry_times) are queued as Scrapy queues them.
        if request.meta.get("is_start_request") and "retry_times" not in request.meta:
            return True
        return not request.dont_filter

    def next_request(self) -> Request | None:
        assert self.queue is not None
        try:
            got = self.queue.pop_member()
        except redis.RedisError as exc:
            logger.debug("frontier: no request popped (%s)", exc)
            return None
        if got is None:
            return None
        request, member = got
        self._popped[request] = member
        self._idle = False
        self._inc("frontier/dequeued")
        return request

    def spider_idle(self) -> None:
        if self.frontier is None or self.stats.get_value("crawl/stop_reason") is not None:
            return  # a stop was asked for: let the spider close with its reason
        try:
            self._send_unsent()
            if self._unsent:
                raise DontCloseSpider
            self._ack()
            state, requeued = self.frontier.idle()
        except redis.RedisError as exc:
            # Without Redis nobody can say whether the run is over: wait for it to come back.
            logger.warning("frontier: Redis did not answer (%s); waiting for it", exc)
            raise DontCloseSpider from exc
        self._count_requeued(requeued)
        self._idle = True
        if state != "ended":
            raise DontCloseSpider
        logger.info("frontier: run %s is over (queue empty, no worker busy)", self.frontier.run)

    def _tick(self) -> None:
        assert self.frontier is not None
        try:
            self._send_unsent()
            if self._acking():
                self._ack()
            state, requeued, queued = self.frontier.tick()
        except redis.RedisError as exc:
            # Redis away: what this worker holds stays with it (in flight in Redis, or kept
            # here) until Redis answers again.
            if not self._redis_away:
                logger.warning("frontier: Redis does not answer (%s); trying again every second", exc)
            self._redis_away = True
            return
        if self._redis_away:
            logger.info("frontier: Redis answers again")
            self._redis_away = False
        self._count_requeued(requeued)
        if self._idle and (queued or state == "ended"):
            self._wake()  # the engine looks again: a request to pop, or the run to close

    def _acking(self) -> bool:
        # A stopping engine fails the requests it drops (crawler/stopping.py): those are not
        # done, so nothing is acked once a stop began; `leave` hands them back.
        engine = self.crawler.engine
        return (
            engine is not None
            and engine.running
            and self.stats.get_value("crawl/stop_reason") is None
            and getattr(_engine_slot(self.crawler), "closing", None) is None
        )

    def _ack(self) -> None:
        assert self.frontier is not None
        slot = _engine_slot(self.crawler)
        in_progress = slot.inprogress if slot is not None else set()
        done = [request for request in self._popped if request not in in_progress]
        if not done:
            return
        if self.archive_uri:
            # What those responses produced must be in the archive before the queue forgets
            # them: a worker killed with an open batch must leave its requests in flight.
            from crawler.pipelines import commit_shared_archive

            commit_shared_archive(self.archive_uri)
        # Forgotten here only once Redis has them: an ack lost would keep the run "busy".
        self.frontier.ack(self._popped[request] for request in done)
        for request in done:
            del self._popped[request]
        self._inc("frontier/acked", len(done))

    def _count_requeued(self, requeued: int) -> None:
        if requeued:
            self._inc("frontier/requeued", requeued)
            logger.warning("frontier: %d requests of a worker whose heartbeat lapsed are queued again", requeued)

    def _wake(self) -> None:
        slot = _engine_slot(self.crawler)
        if slot is not None:
            slot.nextcall.schedule()

    def _inc(self, key: str, count: int = 1) -> None:
        self.stats.inc_value(key, count)


def _engine_slot(crawler: Crawler) -> Any:
    # Scrapy 2.19 keeps the requests it is processing (popped, not yet through the callback and
    # the item pipelines) in the engine's private slot, and has no signal for "finished with
    # this request"; `nextcall` is how its scheduler loop is woken. Pinned by scrapy<2.20.
    engine = crawler.engine
    return getattr(engine, "_slot", None) if engine is not None else None
