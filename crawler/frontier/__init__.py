"""The shared frontier: a crawl's request queue and dupefilter in Redis, for several workers.

`-s FRONTIER_URI=redis://host:port/db` on any spider (or `crawl-all --frontier URI`) makes the
process a worker of its crawl's current run (docs/frontier.md). `FrontierAddon`
(crawler/addons.py) switches the scheduler and the download handlers; `run.py` holds the Redis
side, `scheduler.py` the Scrapy scheduler and dupefilter built on scrapy-redis, `hosts.py` the
per-host limits shared by the workers.

This module imports neither Scrapy nor the drivers, so the settings checks can use it.
"""

from __future__ import annotations

from importlib.util import find_spec
from urllib.parse import urlsplit

__all__ = ["DRIVERS", "FRONTIER_SCHEMES", "INSTALL_HINT", "check_frontier_uri", "missing_driver"]

# redis-py's URL schemes: TCP, TLS and a Unix socket.
FRONTIER_SCHEMES = ("redis", "rediss", "unix")
# The distributions the frontier needs, by the module each installs.
DRIVERS = {"redis": "redis", "scrapy_redis": "scrapy-redis"}
INSTALL_HINT = 'pip install -e ".[distributed]"'


def missing_driver() -> str | None:
    """The name of the first frontier driver that is not installed, None when all are."""
    for module, distribution in DRIVERS.items():
        if find_spec(module) is None:
            return distribution
    return None


def check_frontier_uri(uri: str, *, reach: bool = True) -> None:
    """Raise ValueError (`reason; fix`) unless `uri` names a Redis server that can be used.

    Its drivers must be installed and, with `reach`, the server must answer a PING.

    Example:
        >>> check_frontier_uri("http://127.0.0.1/")
        Traceback (most recent call last):
        ValueError: not a Redis URI; expected redis://host:port/db, rediss://... or unix:///path.sock
    """
    parts = urlsplit(uri)
    if parts.scheme not in FRONTIER_SCHEMES or not (parts.hostname or parts.path):
        raise ValueError("not a Redis URI; expected redis://host:port/db, rediss://... or unix:///path.sock")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise ValueError(f"{exc}; expected redis://host:port/db") from None
    missing = missing_driver()
    if missing:
        raise ValueError(f"{missing} is not installed; {INSTALL_HINT}")
    if reach:
        import redis

        try:
            redis.Redis.from_url(uri, socket_connect_timeout=5, socket_timeout=5).ping()
        except redis.RedisError as exc:
            raise ValueError(f"no Redis answers there: {exc}; start Redis there or pass another FRONTIER_URI") from None
