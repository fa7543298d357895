"""Scrapy add-ons of the project (enabled in settings.ADDONS)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

# The components FrontierAddon puts in place of the project's own.
FRONTIER_SCHEDULER = "crawler.frontier.scheduler.FrontierScheduler"
FRONTIER_HANDLER = "crawler.frontier.hosts.FrontierDownloadHandler"
PROJECT_SCHEDULER = "crawler.scheduler.KillSafeScheduler"


class CassetteAddon:
    """Routes http/https downloads through the cassette handler when CASSETTE_PATH is set.

    It lives apart from `crawler.cassette` so that a crawl without cassettes never imports
    vcrpy and requests, which only the test extra installs.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("CASSETTE_PATH"):
            return
        handler = "crawler.cassette.CassetteDownloadHandler"
        settings.set("DOWNLOAD_HANDLERS", {"http": handler, "https": handler}, priority="addon")


class FrontierAddon:
    """Makes the crawl a worker of a shared frontier when FRONTIER_URI is set (docs/frontier.md).

    The scheduler becomes `FrontierScheduler` (queue and dupefilter in Redis), unless SCHEDULER
    was given on the command line; with FRONTIER_HOST_LIMITS, http and https downloads go
    through `FrontierDownloadHandler`, which wraps the handlers in place before it (the
    cassette's too: this add-on runs after CassetteAddon). Nothing is imported from the
    frontier's drivers here: a crawl without FRONTIER_URI never needs them.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("FRONTIER_URI"):
            return
        # At "project" priority: the project's SCHEDULER is set there, and a tie goes to the
        # newer value; `-s SCHEDULER=...` ("cmdline") still wins.
        if settings.get("SCHEDULER") == PROJECT_SCHEDULER:
            settings.set("SCHEDULER", FRONTIER_SCHEDULER, priority="project")
        if not settings.getbool("FRONTIER_HOST_LIMITS", True):
            return
        handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
        wrapped = {scheme: handlers[scheme] for scheme in ("http", "https") if handlers.get(scheme)}
        wrapped = {s: h for s, h in wrapped.items() if h != FRONTIER_HANDLER}
        settings.set("FRONTIER_WRAPPED_HANDLERS", wrapped, priority="cmdline")
        settings.set("DOWNLOAD_HANDLERS", {**settings.getdict("DOWNLOAD_HANDLERS"),
                                           **dict.fromkeys(wrapped, FRONTIER_HANDLER)}, priority="cmdline")
