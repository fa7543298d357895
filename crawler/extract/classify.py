"""Decide, from the page itself, whether it can hold a document at all."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.extract.document import SkipReason
    from crawler.sites.profile import SiteProfile

_ERROR_TITLE = re.compile(r"404|页面不存在|找不到|出错了|Not Found", re.I)


def classify(
    tree: HtmlElement, url: str, profile: SiteProfile, *, continuation: bool = False
) -> SkipReason | None:
    """The reason this page gives no document, or None when it may be a document page."""
    if tree.xpath("//input[@type='password']"):
        return "login"
    title = tree.findtext(".//title") or ""
    if _ERROR_TITLE.search(title):
        return "error_page"
    if not continuation and not profile.is_document(url):
        return "listing"
    return None
