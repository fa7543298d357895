"""`RunFrontier`: one worker's view of a crawl run held in Redis (queue, seen set, in-flight sets).

Every step that reads and writes several keys is one Lua script, so two workers never see a
half-made change: joining a run, popping a request into the worker's in-flight set, handing a
dead worker's in-flight requests back, and deciding that the run is over. Keys (docs/frontier.md):

    {crawl}:run                  the current run's id; gone when no run is live
    {crawl}:{run}:queue          sorted set: score -priority, member "<seq>:<request>"
    {crawl}:{run}:seq            counter giving members their order within a priority
    {crawl}:{run}:seen           set of request fingerprints (the run's dupefilter)
    {crawl}:{run}:workers        hash: worker id -> "host pid"
    {crawl}:{run}:alive:{w}      worker w's heartbeat (expires after FRONTIER_HEARTBEAT)
    {crawl}:{run}:inflight:{w}   hash: member -> score, what w popped and has not finished
    {crawl}:{run}:idle           set of workers with nothing to do

Scripts build key names from their arguments: fine on one Redis server, not on Redis Cluster.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from redis import RedisError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from redis import Redis

logger = logging.getLogger(__name__)

# KEYS[1] the crawl's run pointer; ARGV: new run id, crawl prefix, worker, "host pid", heartbeat ms.
_JOIN = """
local run = redis.call('GET', KEYS[1])
local created = 0
if not run then
  run = ARGV[1]
  redis.call('SET', KEYS[1], run)
  created = 1
end
local base = ARGV[2] .. ':' .. run
redis.call('HSET', base .. ':workers', ARGV[3], ARGV[4])
redis.call('SET', base .. ':alive:' .. ARGV[3], ARGV[4], 'PX', ARGV[5])
redis.call('SREM', base .. ':idle', ARGV[3])
return {run, created, redis.call('ZCARD', base .. ':queue')}
"""

# ARGV: run base, score, request bytes. The counter keeps requests of one priority in order.
_PUSH = """
local seq = redis.call('INCR', ARGV[1] .. ':seq')
redis.call('ZADD', ARGV[1] .. ':queue', ARGV[2], string.format('%016d', seq) .. ':' .. ARGV[3])
return seq
"""

# ARGV: run base, worker. The request moves to the worker's in-flight set in the same step.
_POP = """
local got = redis.call('ZPOPMIN', ARGV[1] .. ':queue')
if #got == 0 then return false end
redis.call('HSET', ARGV[1] .. ':inflight:' .. ARGV[2], got[1], got[2])
redis.call('SREM', ARGV[1] .. ':idle', ARGV[2])
return got[1]
"""

# Hands the in-flight requests of every worker whose heartbeat lapsed back to the queue (at
# their old place: the member keeps its sequence number) and forgets those workers.
_REAP_BODY = """
local requeued = 0
for _, w in ipairs(redis.call('HKEYS', base .. ':workers')) do
  if redis.call('EXISTS', base .. ':alive:' .. w) == 0 then
    local held = redis.call('HGETALL', base .. ':inflight:' .. w)
    for i = 1, #held, 2 do
      redis.call('ZADD', base .. ':queue', held[i + 1], held[i])
      requeued = requeued + 1
    end
    redis.call('DEL', base .. ':inflight:' .. w)
    redis.call('HDEL', base .. ':workers', w)
    redis.call('SREM', base .. ':idle', w)
  end
end
"""

# ARGV: run base, worker, heartbeat ms. Also the heartbeat: a worker the others took for dead
# (it stalled past its heartbeat) registers again, so the run waits for what it still does.
_TICK = (
    """
local base = ARGV[1]
if redis.call('GET', KEYS[1]) ~= ARGV[4] then return {'ended', 0, 0} end
redis.call('SET', base .. ':alive:' .. ARGV[2], '1', 'PX', ARGV[3])
redis.call('HSETNX', base .. ':workers', ARGV[2], 'rejoined')
"""
    + _REAP_BODY
    + """
return {'live', requeued, redis.call('ZCARD', base .. ':queue')}
"""
)

# KEYS[1] run pointer; ARGV: run base, worker, heartbeat ms, run id. The worker has nothing to
# do; when no worker has anything (queue empty, every live worker idle, nothing in flight)
# the run is over: its keys go, and the next worker to start begins a new run.
_IDLE = (
    """
local base = ARGV[1]
if redis.call('GET', KEYS[1]) ~= ARGV[4] then
  -- Ended by others, or lost by a Redis that came back empty: what this worker left goes,
  -- and the rest of the run's keys once its queue is empty.
  redis.call('DEL', base .. ':inflight:' .. ARGV[2], base .. ':alive:' .. ARGV[2])
  if redis.call('ZCARD', base .. ':queue') == 0 then
    redis.call('DEL', base .. ':queue', base .. ':seq', base .. ':seen', base .. ':workers', base .. ':idle')
  end
  return {'ended', 0}
end
redis.call('SET', base .. ':alive:' .. ARGV[2], '1', 'PX', ARGV[3])
redis.call('HSETNX', base .. ':workers', ARGV[2], 'rejoined')
redis.call('SADD', base .. ':idle', ARGV[2])
"""
    + _REAP_BODY
    + """
if redis.call('ZCARD', base .. ':queue') > 0 then return {'work', requeued} end
local workers = redis.call('HKEYS', base .. ':workers')
for _, w in ipairs(workers) do
  if redis.call('SISMEMBER', base .. ':idle', w) == 0 or redis.call('HLEN', base .. ':inflight:' .. w) > 0 then
    return {'busy', requeued}
  end
end
redis.call('DEL', KEYS[1], base .. ':queue', base .. ':seq', base .. ':seen', base .. ':workers', base .. ':idle')
for _, w in ipairs(workers) do
  redis.call('DEL', base .. ':alive:' .. w, base .. ':inflight:' .. w)
end
return {'ended', requeued}
"""
)

# KEYS[1] run pointer; ARGV: run base, worker, run id. A worker that stops before the run is
# over (a signal, a CLOSESPIDER_* limit) hands back what it had not finished.
_LEAVE = """
local base = ARGV[1]
local held = redis.call('HGETALL', base .. ':inflight:' .. ARGV[2])
local requeued = 0
if redis.call('GET', KEYS[1]) == ARGV[3] then
  for i = 1, #held, 2 do
    redis.call('ZADD', base .. ':queue', held[i + 1], held[i])
    requeued = requeued + 1
  end
end
redis.call('DEL', base .. ':inflight:' .. ARGV[2], base .. ':alive:' .. ARGV[2])
redis.call('HDEL', base .. ':workers', ARGV[2])
redis.call('SREM', base .. ':idle', ARGV[2])
return requeued
"""


def new_worker_id() -> str:
    """A worker id unique across hosts and restarts: host, process id, random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def new_run_id() -> str:
    """A run id that sorts by start time."""
    return f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Joined:
    """What joining a crawl's run found: the run id, whether this worker started it, its queue length."""

    run: str
    created: bool
    queued: int


class RunFrontier:
    """One worker's handle on the live run of a crawl (`crawl` is the key prefix naming the crawl).

    Raw Redis only, no Scrapy: requests come and go as the bytes the scheduler encoded.
    """

    def __init__(self, server: Redis, crawl: str, *, heartbeat: float, worker: str | None = None) -> None:
        self.server = server
        self.crawl = crawl
        self.heartbeat_ms = max(1, round(heartbeat * 1000))
        self.worker = worker or new_worker_id()
        self.run = ""
        self._beating: threading.Event | None = None
        self._scripts = {
            name: server.register_script(source)
            for name, source in (("join", _JOIN), ("push", _PUSH), ("pop", _POP), ("tick", _TICK),
                                 ("idle", _IDLE), ("leave", _LEAVE))
        }

    @property
    def pointer(self) -> str:
        """The key holding the crawl's current run id."""
        return f"{self.crawl}:run"

    @property
    def base(self) -> str:
        """The prefix of the joined run's keys."""
        return f"{self.crawl}:{self.run}"

    def key(self, name: str) -> str:
        """A key of the joined run (`queue`, `seen`, `inflight:<worker>`, ...)."""
        return f"{self.base}:{name}"

    def _call(self, name: str, keys: Iterable[str] = (), args: Iterable[Any] = ()) -> Any:
        return self._scripts[name](keys=list(keys), args=list(args))

    def join(self) -> Joined:
        """Join the crawl's live run, or start one; this worker counts as busy until `idle()`."""
        info = f"{socket.gethostname()} {os.getpid()}"
        run, created, queued = self._call(
            "join", [self.pointer], [new_run_id(), self.crawl, self.worker, info, self.heartbeat_ms]
        )
        self.run = run.decode() if isinstance(run, bytes) else str(run)
        return Joined(self.run, bool(created), int(queued))

    def start_heartbeat(self) -> None:
        """Keep this worker's heartbeat alive from a thread of its own, until `stop_heartbeat`.

        A thread, not the reactor: the heartbeat says the process is alive, and a live worker
        whose reactor waits a few seconds (for the archive's write lock, say) must not have
        its requests handed to another worker.
        """
        if self._beating is not None:
            return
        self._beating = stop = threading.Event()
        key, period = self.key(f"alive:{self.worker}"), self.heartbeat_ms / 4000

        def beat() -> None:
            while not stop.wait(period):
                try:
                    self.server.set(key, b"1", px=self.heartbeat_ms)
                except RedisError:  # Redis away: try again at the next beat
                    logger.debug("frontier: heartbeat not sent", exc_info=True)

        threading.Thread(target=beat, name=f"frontier-heartbeat-{self.worker}", daemon=True).start()

    def stop_heartbeat(self) -> None:
        """Stop the heartbeat thread (the heartbeat key then lapses unless `leave` removed it)."""
        if self._beating is not None:
            self._beating.set()
            self._beating = None

    def push(self, data: bytes, priority: int) -> None:
        """Queue an encoded request (higher priority first; equal ones in the order pushed)."""
        self._call("push", args=[self.base, -priority, data])

    def pop(self) -> bytes | None:
        """Take the next request into this worker's in-flight set; None when the queue is empty."""
        member = self._call("pop", args=[self.base, self.worker])
        return cast("bytes", member) if member else None

    @staticmethod
    def payload(member: bytes) -> bytes:
        """The encoded request of a queue member (without its sequence number)."""
        return member.split(b":", 1)[1]

    def ack(self, members: Iterable[bytes]) -> None:
        """Forget finished requests: they are no longer handed back if this worker dies."""
        done = list(members)
        if done:
            self.server.hdel(self.key(f"inflight:{self.worker}"), *done)

    def seen(self, fingerprint: bytes) -> bool:
        """Add a request fingerprint to the run's seen set; whether it was there already."""
        return int(self.server.sadd(self.key("seen"), fingerprint)) == 0

    def tick(self) -> tuple[str, int, int]:
        """Heartbeat and reaping: ("live" or "ended", requests handed back from dead workers, queued)."""
        state, requeued, queued = self._call(
            "tick", [self.pointer], [self.base, self.worker, self.heartbeat_ms, self.run]
        )
        return _text(state), int(requeued), int(queued)

    def idle(self) -> tuple[str, int]:
        """Mark this worker idle and see whether the run is over.

        Returns ("ended" | "work" | "busy", requests handed back from dead workers): "ended" when
        the run ended now or before (its keys are gone), "work" when requests are queued,
        "busy" while another worker is not idle or still has requests in flight.
        """
        state, requeued = self._call("idle", [self.pointer], [self.base, self.worker, self.heartbeat_ms, self.run])
        return _text(state), int(requeued)

    def leave(self) -> int:
        """Hand back this worker's unfinished requests and leave the run; how many went back."""
        self.stop_heartbeat()
        if not self.run:
            return 0
        return int(self._call("leave", [self.pointer], [self.base, self.worker, self.run]))

    def queued(self) -> int:
        """How many requests wait in the run's queue."""
        return int(self.server.zcard(self.key("queue")))

    def in_flight(self, worker: str | None = None) -> int:
        """How many requests a worker (this one by default) took and has not finished."""
        return int(self.server.hlen(self.key(f"inflight:{worker or self.worker}")))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
