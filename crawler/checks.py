"""Checks of settings and spider arguments, run before a crawl starts.

A value Scrapy or our components cannot read fails deep inside a starting crawl, as a
traceback from a Deferred (and, in `crawl-all`, a run that never ended). Checked here first,
each bad value is one line naming the setting, the value and what is expected, and the command
exits before anything is fetched or written.

Pure: no Scrapy import (the settings are read through the getters a Scrapy `Settings` has),
so the checks can be tested, and reused, without a crawler.
"""

from __future__ import annotations

import inspect
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = [
    "SETTING_CHECKS",
    "SettingCheck",
    "check_path_creatable",
    "check_settings",
    "check_spider_arguments",
    "check_start_url",
    "known_spider_arguments",
]


class SettingsLike(Protocol):
    """What the checks read from a Scrapy `Settings` (its typed getters raise on junk)."""

    def get(self, name: str, default: Any = None) -> Any: ...
    def getint(self, name: str, default: int = 0) -> int: ...
    def getfloat(self, name: str, default: float = 0.0) -> float: ...


@dataclass(frozen=True)
class SettingCheck:
    """One setting: how its consumer reads it, and what a usable value is.

    `read` is the getter the consumer uses (so a value passing here is one the crawl can read);
    `valid` returns whether the read value is usable, or raises ValueError naming why not.
    A setting that is absent (None) is not checked: its consumer's default applies.
    """

    name: str
    read: Callable[[SettingsLike, str], Any]
    valid: Callable[[Any], bool]
    expected: str

    def check(self, settings: SettingsLike) -> None:
        """Raise ValueError (one line) when the setting's value is not usable."""
        raw = settings.get(self.name)
        if raw is None:
            return
        reason, fix = "", f"expected {self.expected}"
        try:
            ok = self.valid(self.read(settings, self.name))
        except (TypeError, ValueError) as exc:
            ok = False
            if isinstance(exc, _Reason):
                reason, fix = str(exc), exc.fix or fix
        if not ok:
            detail = f" ({reason})" if reason else ""
            shown = raw
            if isinstance(raw, str) and "://" in raw:
                from archive.postgres import masked_uri  # any URI's password: no secret in a log

                shown = masked_uri(raw)
            raise ValueError(f"bad setting {self.name}={shown!r}{detail}; {fix}")


class _Reason(ValueError):
    """Why a value is unusable, when the expected text alone would not say it (`fix`: what to do)."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix


def _float(settings: SettingsLike, name: str) -> float:
    return float(settings.getfloat(name))


def _int(settings: SettingsLike, name: str) -> int:
    # Scrapy's getint is int(value): "2.5" is refused there, so it is refused here.
    return int(settings.getint(name))


_TRUE = (True, 1, "1", "True", "true")
_FALSE = (False, 0, "0", "False", "false")


def _bool(settings: SettingsLike, name: str) -> bool:
    # Stricter than Scrapy's getbool, which reads "2" as True: a boolean is one of these.
    value = settings.get(name)
    if isinstance(value, bool) or value in _TRUE or value in _FALSE:
        return value in _TRUE
    raise ValueError(name)


def _raw(settings: SettingsLike, name: str) -> Any:
    return settings.get(name)


def number(name: str, unit: str = "seconds", *, minimum: float = 0.0, above: bool = False) -> SettingCheck:
    """A float setting (Scrapy's getfloat) of at least `minimum` (or above it), NaN refused."""
    op = ">" if above else ">="

    def valid(value: float) -> bool:
        return not math.isnan(value) and (value > minimum if above else value >= minimum)

    return SettingCheck(name, _float, valid, f"a number of {unit} {op} {minimum:g}")


def integer(name: str, unit: str = "", *, minimum: int = 0) -> SettingCheck:
    """An int setting (Scrapy's getint) of at least `minimum`."""
    what = f"a whole number of {unit}" if unit else "a whole number"
    return SettingCheck(name, _int, lambda value: value >= minimum, f"{what} >= {minimum}")


def flag(name: str) -> SettingCheck:
    """A boolean setting."""
    return SettingCheck(name, _bool, lambda _: True, "True or False (or 1 / 0)")


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(value: Any) -> bool:
    # logging's handler.setLevel takes these names, exactly as written, or a number.
    if isinstance(value, int) and not isinstance(value, bool):
        return value >= 0
    return isinstance(value, str) and value in logging.getLevelNamesMapping()


def check_path_creatable(path: Path, *, folder: bool) -> None:
    """Raise _Reason unless `path` can be created (or used) without creating anything now.

    `folder`: the path is to be a directory (JOBDIR), else a file (the archive database).
    """
    if path.exists():
        if folder and not path.is_dir():
            raise _Reason(f"{path} is a file, not a folder")
        if not folder and path.is_dir():
            raise _Reason(f"{path} is a folder, not a file")
        if not os.access(path, os.W_OK) or _read_only_mount(path):
            raise _Reason(f"{path} is not writable", "make it writable, or choose another path")
        return
    # The nearest existing ancestor must be a writable folder: the rest can be made in it.
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise _Reason(f"{parent} is a file, so {path} cannot be created")
    if not os.access(parent, os.W_OK | os.X_OK) or _read_only_mount(parent):
        raise _Reason(f"{parent} is not writable, so {path} cannot be created",
                      "make the folder writable, or choose another path")


def _read_only_mount(path: Path) -> bool:
    # os.access says yes to root on a read-only file system; the archive knows the mount flag.
    from archive.errors import on_read_only_fs

    return on_read_only_fs(path)


def _archive_uri(value: Any) -> bool:
    if value == "":
        return True  # empty turns the archive off (README)
    if not isinstance(value, str):
        raise _Reason("not a string")
    # Imported here: the archive package loads numpy and its store, a fifth of a second that
    # a usage error of `python -m crawler` should not wait for.
    from archive.errors import ArchiveError
    from archive.store import parse_uri

    try:
        scheme, location = parse_uri(value)
    except ArchiveError as exc:
        raise _Reason(str(exc).split(";")[0]) from None
    if scheme == "sqlite" and location != ":memory:":
        check_path_creatable(Path(location), folder=False)
    return True


def _frontier_uri(value: Any) -> bool:
    if value == "":
        return True  # empty: the in-process scheduler
    if not isinstance(value, str):
        raise _Reason("not a string")
    from crawler.frontier import check_frontier_uri

    try:
        check_frontier_uri(value)
    except ValueError as exc:
        reason, _, fix = str(exc).partition("; ")
        raise _Reason(reason, fix) from None
    return True


def _folder(value: Any) -> bool:
    if value == "":
        return True
    check_path_creatable(Path(str(value)), folder=True)
    return True


def _stats_file(value: Any) -> bool:
    if value == "":
        return True
    # Checked as the first spider's file would be: {spider} is a name, never a path of its own.
    path = Path(str(value).replace("{spider}", "spider"))
    if str(value).endswith(("/", os.sep)):
        raise _Reason(f"{value} names a folder", "pass a file path, e.g. stats/{spider}.json")
    check_path_creatable(path, folder=False)
    return True


def _log_file(value: Any) -> bool:
    if value == "":
        return True
    # logging's FileHandler creates the file, never its folder.
    path = Path(str(value))
    if not path.parent.is_dir():
        raise _Reason(f"the folder {path.parent} does not exist")
    check_path_creatable(path, folder=False)
    return True


# Every checked setting, one line each: how it is read, what is expected.
SETTING_CHECKS: tuple[SettingCheck, ...] = (
    # --- ours -------------------------------------------------------------------------------
    number("INCREMENTAL_REFRESH_DAYS", "days"),
    number("BACKOFF_BASE_DELAY"),
    number("BACKOFF_MAX_DELAY"),
    integer("EXTRACT_REPEATED_MIN_PAGES", "pages"),
    integer("EXTRACT_MAX_BYTES", "bytes"),
    integer("EXTRACT_MAX_DEPTH", "levels"),
    integer("EXTRACT_WORKERS", "processes"),
    integer("ARCHIVE_COMMIT_ITEMS", "items", minimum=1),
    number("ARCHIVE_COMMIT_SECONDS"),
    number("EXTRACT_TIMEOUT"),
    flag("ARCHIVE_KEEP_RAW"),
    flag("ARCHIVE_NEAR_DUPLICATES"),
    flag("INCREMENTAL_ENABLED"),
    flag("BACKOFF_ENABLED"),
    flag("CRAWL_RUNS_ENABLED"),
    number("PROGRESS_INTERVAL"),
    flag("EXTRACT_FAVOR_PRECISION"),
    flag("FRONTIER_HOST_LIMITS"),
    number("FRONTIER_HEARTBEAT", above=True),
    # --- Scrapy's ---------------------------------------------------------------------------
    integer("CONCURRENT_REQUESTS", minimum=1),
    integer("CONCURRENT_REQUESTS_PER_DOMAIN", minimum=1),
    integer("CONCURRENT_REQUESTS_PER_IP"),
    integer("CONCURRENT_ITEMS", minimum=1),
    number("DOWNLOAD_DELAY"),
    number("DOWNLOAD_TIMEOUT", above=True),
    number("DNS_TIMEOUT", above=True),
    integer("RETRY_TIMES"),
    integer("REDIRECT_MAX_TIMES"),
    integer("DEPTH_LIMIT"),
    integer("DOWNLOAD_MAXSIZE", "bytes"),
    integer("DOWNLOAD_WARNSIZE", "bytes"),
    number("CLOSESPIDER_TIMEOUT"),
    integer("CLOSESPIDER_ITEMCOUNT", "items"),
    integer("CLOSESPIDER_PAGECOUNT", "pages"),
    integer("CLOSESPIDER_ERRORCOUNT", "errors"),
    integer("CLOSESPIDER_TIMEOUT_NO_ITEM", "seconds"),
    integer("CLOSESPIDER_PAGECOUNT_NO_ITEM", "pages"),
    number("AUTOTHROTTLE_START_DELAY"),
    number("AUTOTHROTTLE_MAX_DELAY"),
    number("AUTOTHROTTLE_TARGET_CONCURRENCY", "requests", above=True),
    integer("REACTOR_THREADPOOL_MAXSIZE", "threads", minimum=1),
    flag("ROBOTSTXT_OBEY"),
    flag("AUTOTHROTTLE_ENABLED"),
    flag("COOKIES_ENABLED"),
    flag("RETRY_ENABLED"),
    flag("REDIRECT_ENABLED"),
    flag("HTTPCACHE_ENABLED"),
    flag("LOG_ENABLED"),
    SettingCheck("LOG_LEVEL", _raw, _log_level, f"one of {', '.join(LOG_LEVELS)}"),
    # --- paths, last: the archive URI's check imports the archive package ---------------------
    SettingCheck("ARCHIVE_URI", _raw, _archive_uri,
                 "sqlite:///relative/path.db, sqlite:////absolute/path.db or postgresql://user@host:5432/db"),
    SettingCheck("FRONTIER_URI", _raw, _frontier_uri, "redis://host:port/db, rediss://... or unix:///path.sock"),
    SettingCheck("LOG_FILE", _raw, _log_file, "a file in an existing, writable folder"),
    SettingCheck("JOBDIR", _raw, _folder, "a writable folder (created if missing)"),
    SettingCheck("STATS_FILE", _raw, _stats_file,
                 "a writable file path (its folder created if missing; {spider}: the spider's name)"),
)


def check_settings(settings: SettingsLike, checks: Iterable[SettingCheck] = SETTING_CHECKS) -> None:
    """Raise ValueError (one line) for the first setting that does not parse or is out of range.

    Nothing is created: a missing archive folder or JOBDIR only has to be creatable.

    Example:
        >>> from scrapy.settings import Settings
        >>> check_settings(Settings({"INCREMENTAL_REFRESH_DAYS": "abc"}))
        Traceback (most recent call last):
        ValueError: bad setting INCREMENTAL_REFRESH_DAYS='abc'; expected a number of days >= 0
    """
    for check in checks:
        check.check(settings)


def check_start_url(url: str) -> str:
    """Return `url` if it can start a crawl; else raise ValueError (one line) saying why.

    It must be http(s), name a host, and hold no character a URL cannot (spaces, controls,
    quotes, angle brackets): such a URL was mistyped or badly pasted, and would be fetched as
    something else.

    Example:
        >>> check_start_url("https://example.com/zhuanti/")
        'https://example.com/zhuanti/'
        >>> check_start_url("ftp://x/")
        Traceback (most recent call last):
        ValueError: bad start URL 'ftp://x/' (not http or https); expected http://host/... or https://host/...
    """
    problem = _url_problem(url)
    if problem:
        raise ValueError(f"bad start URL {url!r} ({problem}); expected http://host/... or https://host/...")
    return url


_NOT_IN_URLS = frozenset(' "<>\\^`{|}')


def _url_problem(url: str) -> str:
    if not url:
        return "empty"
    bad = sorted({c for c in url if c in _NOT_IN_URLS or ord(c) < 0x21 or ord(c) == 0x7F})
    if bad:
        return "holds " + " ".join(repr(c) for c in bad)
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number or out of range
    except ValueError as exc:
        return str(exc)
    if parts.scheme not in ("http", "https"):
        return "not http or https"
    if not parts.hostname:
        return "no host"
    if port == 0:
        return "port 0"
    return ""


def known_spider_arguments(spidercls: type) -> frozenset[str]:
    """The `-a NAME=VALUE` names a spider class declares.

    A class may list them in `spider_arguments`; otherwise they are the named keyword
    parameters of its `check_arguments` (our `SiteSpider`'s is `start_urls`).
    """
    declared = getattr(spidercls, "spider_arguments", None)
    if declared is not None:
        return frozenset(declared)
    check = getattr(spidercls, "check_arguments", None)
    if check is None:
        return frozenset()
    return frozenset(
        name
        for name, parameter in inspect.signature(check).parameters.items()
        if parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    )


def check_spider_arguments(spidercls: type, arguments: Mapping[str, Any]) -> None:
    """Raise ValueError (one line) for an `-a` name the spider does not know, or a bad start URL.

    Only spiders that declare their arguments (`check_arguments` or `spider_arguments`) are
    checked: Scrapy's own Spider takes any name as an attribute. Names starting with `_` are
    scrapyd's job bookkeeping (`_job`, `_version`) and always pass.
    """
    known = known_spider_arguments(spidercls)
    if known:
        unknown = sorted(name for name in arguments if name not in known and not name.startswith("_"))
        if unknown:
            raise ValueError(
                f"unknown spider argument {unknown[0]!r} for {getattr(spidercls, 'name', spidercls.__name__)}; "
                f"expected {', '.join(f'-a {n}=...' for n in sorted(known))}"
            )
    start_urls = arguments.get("start_urls")
    if isinstance(start_urls, str):
        for url in start_urls.split(","):
            if url.strip():
                check_start_url(url.strip())
