"""Memory probe of bench/memory.py: a Scrapy extension sampling the crawl process's memory.

Not part of the project: bench/memory.py puts bench/ on the crawl's PYTHONPATH and adds
``memprobe.MemoryProbe`` to EXTENSIONS. Every MEMPROBE_EVERY scraped items (and when the spider
opens and closes) it appends one JSON line to MEMPROBE_FILE:

- items (item_scraped signals), seconds since the spider opened, the stats' response count;
- VmRSS, RssAnon, RssFile and VmHWM of /proc/self/status and the proportional set size (Pss of
  /proc/self/smaps_rollup), and the RSS and PSS summed over the process's descendants (the
  extraction workers and their fork server, crawler/workers.py), all in KB;
- what the known per-crawl structures hold: Scrapy's dupefilter fingerprints, the scheduler's
  pending requests, the downloader's and scraper's active sets, the stats' keys, the spider's
  RepeatedBlocks (keys and page paths), the archive pipeline's near-duplicate BandTable (bytes,
  documents), SQLite's own heap (sqlite3_memory_used) and glibc's heap (mallinfo2: in use, free,
  mmapped), the blocks Python's allocator holds (sys.getallocatedblocks), with MEMPROBE_GC the
  number of objects the garbage collector tracks, and while tracing the tracemalloc total;
- with MEMPROBE_TRIM, RSS again after glibc's malloc_trim(0) (what fragmentation held).

``DocumentsFirst`` (a spider middleware, an experiment of --documents-first) puts document
requests one priority above list pages.

MEMPROBE_TRACEMALLOC=5000,20000 starts tracemalloc (MEMPROBE_FRAMES frames, default 8) when the
spider opens, snapshots at those item counts and writes, for each snapshot after the first, the
growth since the first grouped by file and by traceback to MEMPROBE_FILE + ".tracemalloc.txt".
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import json
import os
import sys
import time
import tracemalloc
from typing import Any

from scrapy import Request, signals
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

_STATUS_FIELDS = ("VmRSS", "RssAnon", "RssFile", "VmHWM")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def _libc() -> Any:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except OSError:
        return None


_LIBC = _libc()


def _sqlite_memory_used() -> int | None:
    import _sqlite3

    try:
        used = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
    except (OSError, AttributeError):
        return None
    used.restype = ctypes.c_int64
    return int(used())


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """The memory lines of /proc/<pid>/status, in KB."""
    found = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:  # noqa: PTH123 - a bench
        for line in status:
            name, _, value = line.partition(":")
            if name in _STATUS_FIELDS:
                found[name] = int(value.split()[0])
    return found


def pss(pid: int | str = "self") -> int:
    """Proportional set size of a process in KB (shared pages split among their users)."""
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:  # noqa: PTH123 - a bench
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def descendants() -> list[int]:
    """The pids of this process's children, their children, ... (the extraction workers)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):  # noqa: PTH208 - names only
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:  # noqa: PTH123
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [os.getpid()]
    while todo:
        for child in parents.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found


class MemoryProbe:
    """See the module docstring."""

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.path = settings.get("MEMPROBE_FILE")
        self.every = settings.getint("MEMPROBE_EVERY", 1000)
        self.trim = settings.getbool("MEMPROBE_TRIM")
        self.count_objects = settings.getbool("MEMPROBE_GC")
        self.snap_at = sorted(int(n) for n in settings.getlist("MEMPROBE_TRACEMALLOC"))
        self.frames = settings.getint("MEMPROBE_FRAMES", 8)
        self.first_snapshot: tracemalloc.Snapshot | None = None
        self.items = 0
        self.t0 = time.monotonic()
        self.out = open(self.path, "a", encoding="utf-8")  # noqa: PTH123, SIM115 - closed at spider_closed

    @classmethod
    def from_crawler(cls, crawler: Any) -> MemoryProbe:
        """Connect the probe to the crawl's signals."""
        probe = cls(crawler)
        crawler.signals.connect(probe.opened, signal=signals.spider_opened)
        crawler.signals.connect(probe.scraped, signal=signals.item_scraped)
        crawler.signals.connect(probe.closed, signal=signals.spider_closed)
        return probe

    def opened(self, spider: Any) -> None:
        """Start tracemalloc if asked, and take the first sample."""
        self.t0 = time.monotonic()
        if self.snap_at:
            tracemalloc.start(self.frames)
        self.sample("opened")

    def scraped(self, item: Any, response: Any, spider: Any) -> None:
        """Count the item; sample or snapshot when it is time."""
        self.items += 1
        if self.items % self.every == 0:
            self.sample()
        if self.snap_at and self.items == self.snap_at[0]:
            self.snapshot()

    def closed(self, spider: Any, reason: str) -> None:
        """Take the last sample (the archive is closed by now)."""
        self.sample("closed")
        self.out.close()

    # --- what is measured ----------------------------------------------------------------------------
    def sample(self, event: str = "") -> None:
        """Append one JSON line of measurements."""
        started = time.perf_counter()
        stats = self.crawler.stats.get_stats()
        row: dict[str, Any] = {
            "event": event, "items": self.items, "t": round(time.monotonic() - self.t0, 2),
            "responses": stats.get("downloader/response_count", 0), **proc_status(), "Pss": pss(),
        }
        children_rss = children_pss = children = 0
        for pid in descendants():
            try:
                children_rss += proc_status(pid).get("VmRSS", 0)
                children_pss += pss(pid)
                children += 1
            except OSError:  # gone meanwhile
                continue
        row |= {"children": children, "children_rss": children_rss, "children_pss": children_pss}
        row.update(self.structures(stats))
        if self.trim and _LIBC is not None:
            _LIBC.malloc_trim(0)
            row["VmRSS_trimmed"] = proc_status()["VmRSS"]
        row["probe_ms"] = round(1000 * (time.perf_counter() - started), 1)
        self.out.write(json.dumps(row) + "\n")
        self.out.flush()

    def structures(self, stats: dict[str, Any]) -> dict[str, Any]:
        """What the known per-crawl structures hold now."""
        found: dict[str, Any] = {"stats_keys": len(stats), "py_blocks": sys.getallocatedblocks()}
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        scheduler = getattr(slot, "scheduler", None)
        if scheduler is not None:
            dupefilter = getattr(scheduler, "df", None)
            # Scrapy 2.19 keeps digests in _fingerprints; its `fingerprints` builds a set of hex strings.
            # crawler.dupefilter.RunDupeFilter keeps them in `seen` (a FingerprintSet).
            fingerprints = getattr(dupefilter, "seen", None)
            if fingerprints is None:
                fingerprints = getattr(dupefilter, "_fingerprints", None)
            if fingerprints is not None:
                found["fingerprints"] = len(fingerprints)
            found["pending"] = len(scheduler)
        if slot is not None:
            found["inprogress"] = len(slot.inprogress)
        found["downloading"] = len(getattr(engine.downloader, "active", ()))
        scraper_slot = getattr(engine.scraper, "slot", None)
        if scraper_slot is not None:
            found["scraping"] = len(scraper_slot.active)
        repeated = getattr(self.crawler.spider, "repeated", None)
        pages = getattr(repeated, "_pages", None)
        if pages is not None:
            found["repeated_keys"] = len(pages)
            found["repeated_paths"] = sum(len(v) for v in pages.values())
        for pipe in engine.scraper.itemproc.middlewares:
            index = getattr(getattr(pipe, "archive", None), "near_index", None)
            table = getattr(index, "_table", None)
            if table is not None:
                found["bandtable_bytes"] = table.nbytes
                found["bandtable_docs"] = len(table)
        sqlite_used = _sqlite_memory_used()
        if sqlite_used is not None:
            found["sqlite_bytes"] = sqlite_used
        if _LIBC is not None and hasattr(_LIBC, "mallinfo2"):
            _LIBC.mallinfo2.restype = _MallInfo2
            info = _LIBC.mallinfo2()
            found |= {"malloc_used": info.uordblks, "malloc_free": info.fordblks, "malloc_mmap": info.hblkhd,
                      "malloc_arena": info.arena}
        if tracemalloc.is_tracing():
            found["traced"] = tracemalloc.get_traced_memory()[0]
        if self.count_objects:
            found["gc_objects"] = len(gc.get_objects())
        return found

    def snapshot(self) -> None:
        """Take a tracemalloc snapshot; from the second on, write the growth since the first."""
        at = self.snap_at.pop(0)
        gc.collect()
        snap = tracemalloc.take_snapshot().filter_traces((
            tracemalloc.Filter(inclusive=False, filename_pattern=tracemalloc.__file__),
            tracemalloc.Filter(inclusive=False, filename_pattern=__file__),
        ))
        if self.first_snapshot is None:
            self.first_snapshot, self.first_at = snap, at
            return
        items = at - self.first_at
        lines = [f"=== tracemalloc growth from {self.first_at} to {at} items ({items} items) ==="]
        for key, top in (("filename", 40), ("lineno", 40), ("traceback", 25)):
            diffs = snap.compare_to(self.first_snapshot, key)
            total = sum(d.size_diff for d in diffs)
            lines.append(f"--- by {key}: total {total / 1e6:+.2f} MB = {total / items:+.0f} B/item ---")
            for diff in diffs[:top]:
                lines.append(f"{diff.size_diff / 1e6:+9.3f} MB {diff.size_diff / items:+8.1f} B/item "
                             f"{diff.count_diff:+8d} blocks  {diff.size / 1e6:8.3f} MB now")
                frames = diff.traceback.format() if key == "traceback" else [str(diff.traceback)]
                lines.extend("      " + f for f in frames)
        with open(self.path + ".tracemalloc.txt", "a", encoding="utf-8") as out:  # noqa: PTH123
            out.write("\n".join(lines) + "\n\n")
        if not self.snap_at:
            tracemalloc.stop()
            self.first_snapshot = None


class DocumentsFirst(BaseSpiderMiddleware):
    """Experiment (bench/memory.py --documents-first): document requests one priority above list pages.

    Scrapy's LIFO queue otherwise walks the pagination first and queues every document link it
    passes: the pending requests grow with the site.
    """

    def get_processed_request(self, request: Request, response: Any) -> Request | None:
        """One priority up for a document page."""
        profile = getattr(self.crawler.spider, "profile", None)
        if profile is not None and profile.is_document(request.url):
            request.priority += 1
        return request
