"""Extraction in worker processes: the crawl's heaviest CPU step, off the reactor and on every core.

`ExtractionPool` sends a page's raw body to one of its processes (a pebble `ProcessPool`),
which runs `crawler.extract.extract_page` and sends the result back. Extraction is a pure
function of the page, so any process may take any page; the crawl's one piece of state, the
repeated-paragraph memory, stays with the spider and is applied to the results
(`crawler.extract.repeated.drop_repeated`).

A worker that dies (a segfault in a parser, the OOM killer, a kill -9) or takes longer than
the timeout on one page is replaced by pebble, and that page alone fails with
`ExtractionFailed`: the crawl counts it and goes on, it never waits on a lost process.

The processes come from a fork server that has imported the extraction code once: a worker is
forked from it in milliseconds, and never from the crawl process itself, whose threads (DNS,
the pool's own) would be copied mid-flight by a plain fork.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from pebble import ProcessExpired, ProcessPool
from twisted.internet.defer import Deferred

from archive import Capture, pack_capture
from crawler.extract import Extracted, ExtractResult, extract_page

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from concurrent.futures import Future

    from crawler.sites.profile import SiteProfile


class ExtractionFailed(Exception):
    """A page whose extraction was lost.

    `kind`: its worker crashed (`crashed`) or ran out of time (`timeout`), or no worker can run
    at all (`broken`: the processes die as they start).
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


#: What a worker sends back: the page's extraction, and its capture (with its WARC records
#: packed when the page gave documents), when one was sent.
PageResult = tuple[ExtractResult, Capture | None]

# Set in each worker process by `_start_worker`: the spider's profile and extraction options,
# sent once per process instead of with every page.
_worker_setup: tuple[SiteProfile, dict[str, Any]] | None = None


def _start_worker(profile: SiteProfile, options: dict[str, Any]) -> None:
    global _worker_setup
    _worker_setup = (profile, options)


def _extract(body: bytes, url: str, page: dict[str, Any]) -> PageResult:
    if _worker_setup is None:
        raise RuntimeError("the pool's initializer did not run in this worker")
    profile, options = _worker_setup
    capture: Capture | None = page.pop("capture", None)
    result = extract_page(body, url, profile, **options, **page)
    # A page that gives documents is archived: its WARC records are built here too, not while
    # the crawl process holds the archive.
    return result, pack_capture(capture) if capture is not None and isinstance(result, Extracted) else capture


# Fresh pools started in a row without a page extracted before the pool counts as broken.
MAX_RENEWALS = 3
# Seconds past twice the timeout after which a page pebble never answered for fails anyway.
WATCHDOG_SLACK = 30.0


class ExtractionPool:
    """`workers` processes running `extract_page(body, url, profile, **options, **page)`.

    A `capture=` in `page` comes back packed (`archive.pack_capture`) when the page gave
    documents; the Deferred fires with `(result, capture)` (`PageResult`).

    pebble replaces a worker that dies on a page or overruns its timeout. When a worker dies
    while no page is running (the OOM killer picking an idle one), pebble stops the whole pool
    instead: its pages are then sent once more to a fresh pool. Only when MAX_RENEWALS fresh
    pools in a row extract nothing does extraction fail as `broken`.

    Args:
        profile: the spider's site profile, sent to each process once.
        options: keyword arguments of `extract_page` that are the same for every page.
        workers: the number of processes (at least 1).
        timeout: seconds one page may take before its worker is killed and replaced (0: no limit).
        function: what a worker runs for a page (tests give one that crashes or hangs).
        call_from_thread: runs a function in the thread that owns the Deferreds (default: the
            reactor's `callFromThread`; pebble reports results on threads of its own).
    """

    def __init__(
        self,
        profile: SiteProfile,
        options: Mapping[str, Any],
        *,
        workers: int,
        timeout: float,
        function: Callable[[bytes, str, dict[str, Any]], Any] = _extract,
        call_from_thread: Callable[..., Any] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"an extraction pool needs at least one worker, not {workers}")
        self.workers = workers
        self.timeout = timeout
        self._function = function
        self._initargs = (profile, dict(options))
        self._call_from_thread = call_from_thread
        self._renewals = 0
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPool:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["crawler.extract", "crawler.workers"])
        return ProcessPool(
            max_workers=self.workers, initializer=_start_worker, initargs=self._initargs, context=context
        )

    def extract(self, body: bytes, url: str, **page: Any) -> Deferred[PageResult]:
        """The page's extraction, fired in the reactor thread.

        It fails with ExtractionFailed when the page's worker was lost, or with the error
        extraction itself raised.
        """
        done: Deferred[PageResult] = Deferred()
        self._submit(done, (body, url, page), retried=False)
        if self.timeout and self._call_from_thread is None:
            self._watch(done, url)
        return done

    def _watch(self, done: Deferred[PageResult], url: str) -> None:
        # The last guard against a hung crawl: should pebble never answer for a page (a pool
        # stopped with the page in it), the page fails well after its own timeout would have.
        from twisted.internet import reactor

        def give_up() -> None:
            if not done.called:
                done.errback(ExtractionFailed("timeout", f"no answer from the workers for {url}"))

        def stand_down(outcome: Any) -> Any:
            if watchdog.active():
                watchdog.cancel()
            return outcome

        clock: Any = reactor  # zope interfaces: mypy reads its callLater wrongly
        watchdog = clock.callLater(2 * self.timeout + WATCHDOG_SLACK, give_up)
        done.addBoth(stand_down)

    def _submit(self, done: Deferred[Any], args: tuple[Any, ...], *, retried: bool) -> None:
        pool = self._pool
        try:
            future = pool.schedule(self._function, args=args, timeout=self.timeout or None)
        except RuntimeError:  # pebble's pool stopped (see the class docstring)
            self._settle(done, args, retried, pool, None)
            return
        call = self._call_from_thread or _reactor_call
        future.add_done_callback(lambda finished: call(self._settle, done, args, retried, pool, finished))

    def _settle(
        self,
        done: Deferred[Any],
        args: tuple[Any, ...],
        retried: bool,
        pool: ProcessPool,
        future: Future[Any] | None,
    ) -> None:
        if done.called:  # the watchdog gave up on this page already
            return
        try:
            if future is None:
                raise BrokenProcessPool("the pool is not running")
            result = future.result()
        except FutureTimeout:
            done.errback(ExtractionFailed("timeout", f"took over {self.timeout:g} s; its worker was replaced"))
        except ProcessExpired as exc:
            done.errback(ExtractionFailed("crashed", f"its worker died ({exc}); it was replaced"))
        except BrokenProcessPool:
            if retried or not self._renew(pool):
                done.errback(ExtractionFailed("broken", f"{MAX_RENEWALS} fresh worker pools in a row failed"))
            else:
                self._submit(done, args, retried=True)
        except Exception as exc:  # extraction's own error, raised again where the page is awaited
            done.errback(exc)
        else:
            self._renewals = 0
            done.callback(result)

    def _renew(self, broken: ProcessPool) -> bool:
        """Replace `broken` by a fresh pool (once, whichever of its pages comes first); False: give up."""
        if broken is self._pool:
            if self._renewals >= MAX_RENEWALS:
                return False
            self._renewals += 1
            broken.stop()  # type: ignore[no-untyped-call]
            self._pool = self._new_pool()
        return True

    def close(self) -> None:
        """Stop the workers at once (pages still in them are abandoned: the crawl is over)."""
        self._pool.stop()  # type: ignore[no-untyped-call]
        self._pool.join(timeout=10)


def _reactor_call(function: Callable[..., Any], *args: Any) -> None:
    from twisted.internet import reactor

    reactor.callFromThread(function, *args)
