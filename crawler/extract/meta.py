"""Page metadata: title, date, source, breadcrumb category, keywords and document info.

Each reader tries the profile's XPath hints first, then a text pattern of the genre that does
not depend on markup (当前位置…, 推荐访问…, 时间:…), so a redesign degrades gracefully.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from crawler.extract.dates import parse_date

if TYPE_CHECKING:
    from datetime import datetime

    from lxml.html import HtmlElement

    from crawler.sites.profile import SiteProfile

_SPACE = re.compile(r"\s+")
_FILE_SUFFIX = re.compile(r"\.(?:docx?|pdf|pptx?|xlsx?|txt|wps)$", re.I)
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|-{1,2}|–|—)\s*")
_SOURCE = re.compile(r"来源\s*[:：]\s*([^\s|｜]+)")
_CRUMB_SEPARATORS = re.compile(r"\s*(?:>|&gt;|›|»|＞|/)\s*")
# Sidebars and related lists carry other documents' dates: never read a date from a link, a
# list item that links elsewhere, or a footer.
_NOT_OWN = "ancestor-or-self::*[self::a or self::footer or ((self::li or self::dd or self::tr) and .//a)]"


def clean_text(element: HtmlElement) -> str:
    """An element's text with runs of whitespace folded to one space."""
    return _SPACE.sub(" ", element.text_content()).strip()


def spaced_text(element: HtmlElement) -> str:
    """An element's text with its text nodes kept apart (`<li>ID:1</li><li>大小:2KB</li>`)."""
    return _SPACE.sub(" ", " ".join(element.itertext())).strip()


def first_match(tree: HtmlElement, xpaths: tuple[str, ...]) -> HtmlElement | None:
    """The first element any of the XPaths finds, trying them in order."""
    for xpath in xpaths:
        found = tree.xpath(xpath)
        if found:
            return found[0]
    return None


def _heading_in_title(tree: HtmlElement, head: str) -> str:
    # A page's <h1> may be the site logo; the document heading is the one the <title> repeats.
    key = _SPACE.sub("", head)
    for heading in tree.xpath("//h1|//h2|//h3"):
        text = clean_text(heading)
        if len(text) >= 4 and _SPACE.sub("", text) in key:
            return text
    return ""


def read_title(tree: HtmlElement, profile: SiteProfile) -> str:
    """The document title, without the site name or a file extension.

    The profile's title XPaths first; else the heading that the `<title>` repeats; else the
    `<title>`'s first part (site names follow a _ - | separator).
    """
    head_element = tree.find(".//title")
    head = clean_text(head_element) if head_element is not None else ""
    element = first_match(tree, profile.title_xpaths)
    title = clean_text(element) if element is not None else ""
    if not title:
        title = _heading_in_title(tree, head)
    if not title:
        parts = [p for p in _TITLE_SEPARATORS.split(head) if p and p != profile.name]
        title = parts[0] if parts else head
    for suffix in (f"_{profile.name}", f"-{profile.name}", profile.name):
        if profile.name and title.endswith(suffix) and title != suffix:
            title = title[: -len(suffix)].strip()
    return _FILE_SUFFIX.sub("", title).strip()


_REGEX_NS = {"re": "http://exslt.org/regular-expressions"}
_MAX_LINE = 120
_MAX_BARE_LINE = 40


def _own_line(node: Any) -> str:
    # The short element around a text node: "<span>发布时间:</span><span>3天前</span>" reads
    # as one line from the span's parent.
    element = node.getparent()
    line = ""
    while element is not None and not element.xpath(_NOT_OWN):
        text = spaced_text(element)
        if len(text) > _MAX_LINE:
            break
        line = text
        if parse_date(text, labelled_only=True):
            break
        element = element.getparent()
    return line


def date_line(tree: HtmlElement, profile: SiteProfile) -> str:
    """The text of the page's own date/source line ('' when there is none).

    The profile's date XPaths first; else the first labelled date (时间:, 发布时间:, 上传时间:)
    outside lists and links; else the first date-looking text after the page's `<h1>`.
    Sidebars and related lists, which carry other pages' dates, are never read.
    """
    element = first_match(tree, profile.date_xpaths)
    if element is not None:
        return spaced_text(element)
    for node in tree.xpath("//body//text()[re:test(., '(时间|日期)\\s*[:：]?')]", namespaces=_REGEX_NS):
        line = _own_line(node)
        if line and parse_date(line, labelled_only=True):
            return line
    for node in tree.xpath("//h1[1]/following::text()[position() <= 40]"):
        line = _own_line(node)
        # A bare date line is short; a paragraph opening with 今天 is prose.
        if line and len(line) <= _MAX_BARE_LINE and parse_date(line):
            return line
    return ""


def read_published(line: str, now: datetime | None = None) -> str | None:
    """The publication date from the page's date line, labelled dates first."""
    return parse_date(line, now=now) if line else None


def read_source(line: str) -> str | None:
    """The 来源 value of the date line, if any."""
    match = _SOURCE.search(line)
    return match.group(1) if match else None


def read_category(tree: HtmlElement, profile: SiteProfile, title: str) -> str | None:
    """Breadcrumb levels below the home link, without the current page, joined by ' > '."""
    element = first_match(tree, profile.breadcrumb_xpaths)
    if element is None:
        candidates = tree.xpath("//body//*[starts-with(normalize-space(text()), '当前位置')]")
        element = candidates[0] if candidates else None
    if element is None:
        return None
    links = [clean_text(a) for a in element.iter("a")]
    if links:
        levels = links[1:]
    else:
        text = re.sub(r"^.*?[:：]", "", clean_text(element))
        levels = [p for p in _CRUMB_SEPARATORS.split(text) if p][1:]
    levels = [lv for lv in levels if lv and lv != title]
    return " > ".join(levels) or None


def read_keywords(tree: HtmlElement, profile: SiteProfile) -> tuple[str, ...]:
    """Keyword/tag line items in page order, duplicates removed."""
    element = first_match(tree, profile.keywords_xpaths)
    if element is None:
        candidates = tree.xpath(
            "//body//*[starts-with(normalize-space(.), '推荐访问') or "
            "starts-with(normalize-space(.), '关键词') or starts-with(normalize-space(.), '标签')]"
        )
        element = candidates[-1] if candidates else None
    if element is None:
        return ()
    items = [clean_text(a) for a in element.iter("a")]
    if not items:
        text = re.sub(r"^[^:：]*[:：]", "", clean_text(element))
        items = re.split(r"[\s,，、]+", text)
    return tuple(dict.fromkeys(i for i in items if i))


_DOCINFO = {
    "doc_id": re.compile(r"\bID\s*[:：]\s*(\w+)"),
    "size": re.compile(r"大小\s*[:：]\s*([\d.]+\s*[KMG]?B)", re.I),
    "pages": re.compile(r"页数\s*[:：]\s*(\d+)"),
    "format": re.compile(r"格式\s*[:：]\s*([A-Za-z0-9]+)"),
}


def read_docinfo(tree: HtmlElement, profile: SiteProfile) -> dict[str, Any]:
    """Document-sharing metadata (汇文网 style): ID, size, page count and file format."""
    element = first_match(tree, profile.date_xpaths)
    text = spaced_text(element) if element is not None else spaced_text(tree)
    info: dict[str, Any] = {}
    for key, pattern in _DOCINFO.items():
        match = pattern.search(text)
        if match:
            info[key] = int(match.group(1)) if key == "pages" else match.group(1)
    return info
