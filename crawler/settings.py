"""Scrapy settings of the project: Scrapy's own, then ours (prefixed), one comment each.

Every project setting is also listed in the README's settings table. Override any of them
with `-s NAME=value`.
"""

from __future__ import annotations

import os

from crawler.items import RECORD_FIELDS

BOT_NAME = "fanwen"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# `scrapy crawl` checks -a start_urls before starting (crawler/commands/crawl.py).
COMMANDS_MODULE = "crawler.commands"

# --- Politeness: what a site owner would accept from an archival crawler -------------------
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
ROBOTSTXT_OBEY = True
# Scrapy waits 180 s for an answer: a hanging host cost 9 minutes per URL. Template pages come
# in well under 2 s; 15 s leaves room for a slow one and bounds a dead one to 45 s (3 attempts).
DOWNLOAD_TIMEOUT = 15
# Scrapy's own count (2 retries, 3 attempts), kept: enough for a blip, bounded for a dead host.
RETRY_TIMES = 2
# Documents are pages of text: the largest real template page we know is about 1 MB. Scrapy
# stops at 1 GiB, also while inflating gzip, so a bomb cost 1.19 GB of memory; 8 MiB bounds it.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
USER_AGENT = "fanwen-archive/0.1 (archival crawler of public template documents)"
DOWNLOADER_MIDDLEWARES = {
    # First of all: one clean URL per page, then only the crawl's own origins are requested.
    "crawler.middlewares.CleanUrlMiddleware": 40,
    "crawler.middlewares.ScopeMiddleware": 45,
    # Before Scrapy's RetryMiddleware (550): 429/503 slow the host down, then retry.
    "crawler.middlewares.BackoffMiddleware": 560,
    # After robots.txt (100): skip or revalidate pages the archive already holds.
    "crawler.middlewares.IncrementalMiddleware": 120,
    # Just above HttpCompressionMiddleware (590): the archive keeps the body as it was sent.
    "crawler.middlewares.RawResponseMiddleware": 595,
}
# Scrapy's defaults, asking only for the codings every WARC reader decodes. The archive keeps
# bodies as sent, and Scrapy would also ask for br and zstd: warcio reads no zstd, and reads br
# only through brotlipy, whose `brotli` module replaces the one Scrapy needs (warcio check then
# fails on the record). A site that offers br sends gzip instead.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
    "Accept-Encoding": "gzip, deflate",
}
# A request queue left by a killed crawl (no active.json) is set aside, never read half-written.
SCHEDULER = "crawler.scheduler.KillSafeScheduler"
# Remember within a run only: a resumed job (JOBDIR) re-reads list pages, and the archive,
# not a seen-requests file, says which documents are done.
DUPEFILTER_CLASS = "crawler.dupefilter.RunDupeFilter"

# --- Backoff (project settings) ---------------------------------------------------------------
# Retry 429/503 after slowing the host down (Retry-After when given, else exponential).
BACKOFF_ENABLED = True
# Wait after the first 429/503 without Retry-After; doubled on each further attempt.
BACKOFF_BASE_DELAY = 2.0
# The longest wait, whatever Retry-After asks: a server asking for an hour gets its retry in a
# minute (and gives up after RETRY_TIMES), not a scheduled run stalled for an hour.
BACKOFF_MAX_DELAY = 60.0

# Scrapy runs each callback's output through CONCURRENT_ITEMS + 1 asyncio tasks (default 100);
# our callbacks yield one item or a few. 8: the 2,000-document bench/incremental.py crawl took
# 21.4-21.6 s instead of 24.6-24.8 s, its re-run 4.0-4.2 s instead of 4.6-4.7 s (two rounds each).
CONCURRENT_ITEMS = 8

# --- Safety -----------------------------------------------------------------------------------
# Scrapy 2.19 starts a localhost remote-control listener that runs code sent to it: off.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# --- Logging ----------------------------------------------------------------------------------
# Scrapy logs at DEBUG, every scraped item in full; INFO is what a person reads after a run.
LOG_LEVEL = "INFO"
# Items are logged by URL and title, never with their text, whatever LOG_LEVEL says.
LOG_FORMATTER = "crawler.logformatter.QuietLogFormatter"

# --- Output -----------------------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
# The record schema, in order; raw captures stay in the archive.
FEED_EXPORT_FIELDS = list(RECORD_FIELDS)
ITEM_PIPELINES = {
    "crawler.pipelines.ValidationPipeline": 100,
    "crawler.pipelines.NormalizePipeline": 200,
    "crawler.pipelines.ArchivePipeline": 800,
}

# --- Archive (project settings) ---------------------------------------------------------------
# Where records go; the ARCHIVE_URI environment variable, as for `python -m archive`.
ARCHIVE_URI = os.environ.get("ARCHIVE_URI", "sqlite:///data/archive.db")
# Keep each document page's raw response (WARC) so it can be re-extracted without re-crawling.
ARCHIVE_KEEP_RAW = True
# Link near-duplicates (MinHash LSH, docs/neardup.md) as records are stored; off, only exact
# copies are linked and the records wait for `python -m archive reindex --missing`.
ARCHIVE_NEAR_DUPLICATES = True
# Items per archive commit (1: one commit per item); a crawl killed outright fetches its open batch again.
# On PostgreSQL 1 unless set with -s: a batch holds the archive-wide lock that every worker waits for.
ARCHIVE_COMMIT_ITEMS = 50
# Seconds an archive batch may wait for its commit, a timer's if no item follows (0: no limit).
ARCHIVE_COMMIT_SECONDS = 1.0

# Installs the cassette download handler when CASSETTE_PATH is set (see crawler/cassette.py);
# then, with FRONTIER_URI, the shared frontier's scheduler and host gate (docs/frontier.md).
ADDONS = {"crawler.addons.CassetteAddon": 0, "crawler.addons.FrontierAddon": 10}

# --- Crawl runs (project settings) -------------------------------------------------------------
EXTENSIONS = {
    # Replaced by ProgressExtension, which also names the spider and counts records and errors.
    "scrapy.extensions.logstats.LogStats": None,
    "crawler.extensions.ProgressExtension": 0,
    "crawler.extensions.CrawlRunExtension": 500,
    # Ctrl-C / SIGTERM drop the requests still queued in slowed-down slots (crawler/stopping.py).
    "crawler.stopping.FastStopExtension": 510,
    # Last: it writes the stats the others (and Scrapy's CoreStats) set as the spider closes.
    "crawler.extensions.StatsFileExtension": 1000,
}
# Log every run (start, end, finish reason, counts) in the archive: python -m archive runs.
CRAWL_RUNS_ENABLED = True
# Seconds between progress lines, and between updates of a running crawl's counts in the run
# log (0: neither; the run log then gets its counts at the end).
PROGRESS_INTERVAL = 30.0
# Write the final stats of each crawl here as JSON ({spider}: the spider's name); empty: off.
STATS_FILE = ""

# --- Incremental crawls (project settings) ---------------------------------------------------
# Re-runs skip archived document pages seen recently and revalidate older ones (304 = unchanged).
INCREMENTAL_ENABLED = True
# Days before an archived page is fetched again (a profile's refresh_days overrides it).
INCREMENTAL_REFRESH_DAYS = 7.0

# --- Shared frontier (project settings; docs/frontier.md) -------------------------------------
# Redis server holding the crawl's queue and dupefilter (redis://host:port/db); empty: the
# in-process scheduler. Every process started with it is a worker of the crawl's live run.
FRONTIER_URI = ""
# Seconds a worker's heartbeat lasts (a thread of its own renews it every quarter of that): a
# worker whose heartbeat lapsed is taken for dead, and its in-flight requests are queued again.
FRONTIER_HEARTBEAT = 15.0
# Share each host's CONCURRENT_REQUESTS_PER_DOMAIN and delay among the workers through Redis.
FRONTIER_HOST_LIMITS = True
# The download handlers the host gate wraps: filled in by FrontierAddon, not set by hand.
FRONTIER_WRAPPED_HANDLERS: dict[str, str] = {}

# --- Cassettes (offline replay and recording of sites; project settings) -----------------------
# vcrpy cassette file; set it, with DOWNLOAD_HANDLERS pointing at the cassette handler, to replay.
CASSETTE_PATH = ""
# "none" replays only; "new_episodes" records what the cassette lacks; "all" re-records it.
CASSETTE_RECORD_MODE = "none"

# --- Extraction (project settings) ------------------------------------------------------------
# Processes that extract pages beside the crawl (crawler.workers); unset: one per core,
# 0: extraction on one thread of the crawl process (simpler to debug and profile).
EXTRACT_WORKERS = None
# Seconds one page may take in a worker before the worker is replaced and the page counted
# as an error (extract/failed/timeout; 0: no limit).
EXTRACT_TIMEOUT = 60.0
# Ask trafilatura to drop more borderline text (lower recall, higher precision).
EXTRACT_FAVOR_PRECISION = False
# A paragraph seen on this many pages of a host is template, not document (0: off).
EXTRACT_REPEATED_MIN_PAGES = 3
# Pages larger than this are not extracted (skipped as too_large): parsing and scoring cost
# seconds per MB of HTML (0: no limit).
EXTRACT_MAX_BYTES = 3 * 1024 * 1024
# Elements nested deeper than this are unwrapped before parsing: lxml (libxml2) drops
# everything below about 255 levels, so a deeper page would lose its body (0: no limit).
EXTRACT_MAX_DEPTH = 200
