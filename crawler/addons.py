"""Scrapy add-ons of the project (enabled in settings.ADDONS)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


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
