"""Page metadata: title, date, source, breadcrumb category, keywords and document info.

Each reader tries the profile's XPath hints first, then a text pattern of the genre that does
not depend on markup (当前位置…, 推荐访问…, 时间:…), so a redesign degrades gracefully.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from crawler.extract.dates import is_date_label, parse_date

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
_NOT_OWN = (
    "ancestor-or-self::*[self::footer or ((self::li or self::dd or self::dt or self::tr) and .//a"
    " and string-length(normalize-space(.)) < 200)]"
)


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


# Elements that may hold the document's title on a page with no profile: headings, and the
# title boxes of table and div templates (<td class="bt">, <div class="article-title">).
_TITLE_CANDIDATES = (
    "//h1|//h2|//h3|//h4|//body//*[contains(@class, 'title') or contains(@class, 'tit')"
    " or contains(@id, 'title') or @class='bt']"
)
# Title metadata of portal CMSs (TRS and Hanweb's ArticleTitle) and of social sharing.
_TITLE_METAS = (
    "//meta[@name='ArticleTitle']/@content",
    "//meta[@property='og:title']/@content",
    "//meta[@name='og:title']/@content",
)
MIN_TITLE = 4
MAX_TITLE = 120


def _title_segments(head: str) -> list[str]:
    """The `<title>` split at the separator its site suffix uses: the last one in it.

    A title may hold a dash of its own (2023-2025年规划 - 政策 - 某某网): the site and
    section names after it are set off by the same separator, repeated.
    """
    separators = list(_TITLE_SEPARATORS.finditer(head))
    if not separators:
        return [head]
    last = separators[-1].group(0).strip()
    parts = [p.strip() for p in re.split(rf"\s*{re.escape(last)}\s*", head)]
    return [p for p in parts if p] or [head]


def _page_title(tree: HtmlElement, head: str) -> str:
    """The title of a page with no title hint.

    The strongest signal is a heading (or a title box) that the `<title>` repeats at its start;
    one that it repeats further on is a section or site name (新闻动态, the logo). Then the
    CMS's title metadata, then the `<title>`'s first segment.
    """
    key = _SPACE.sub("", head)
    segments = _title_segments(head)
    first = _SPACE.sub("", segments[0])
    found, rank = "", 0
    for element in tree.xpath(_TITLE_CANDIDATES):
        text = clean_text(element)
        own = _SPACE.sub("", text)
        if not MIN_TITLE <= len(own) <= MAX_TITLE or own not in key:
            continue
        at_start = key.startswith(own) or own.startswith(first)
        candidate_rank = 2 if at_start else 1
        if (candidate_rank, len(text)) > (rank, len(found)):
            found, rank = text, candidate_rank
    if rank == 2:
        return found
    for xpath in _TITLE_METAS:
        values = [_SPACE.sub(" ", v).strip() for v in tree.xpath(xpath)]
        if values and len(values[0]) >= MIN_TITLE // 2:
            return _title_segments(values[0])[0]
    if len(first) >= MIN_TITLE // 2:
        return segments[0]
    return found or head


def read_title(tree: HtmlElement, profile: SiteProfile) -> str:
    """The document title, without the site name or a file extension.

    The profile's title XPaths first; else the heading that the `<title>` repeats, the title
    metadata or the `<title>`'s first part (`_page_title`).
    """
    head_element = tree.find(".//title")
    head = clean_text(head_element) if head_element is not None else ""
    element = first_match(tree, profile.title_xpaths)
    title = clean_text(element) if element is not None else ""
    if not title:
        title = _page_title(tree, head)
    for suffix in (f"_{profile.name}", f"-{profile.name}", profile.name):
        if profile.name and title.endswith(suffix) and title != suffix:
            title = title[: -len(suffix)].strip()
    return _FILE_SUFFIX.sub("", title).strip()


_MAX_LINE = 120
_MAX_BARE = 40
# A text node this long is document prose: the page's header zone (title, date line) ends there.
_BODY_START = 60
_LINES_ABOVE = 4


def _parent(node: Any) -> HtmlElement | None:
    parent: HtmlElement | None = node.getparent()
    if parent is not None and getattr(node, "is_tail", False):
        parent = parent.getparent()
    return parent


def _not_own(element: HtmlElement) -> bool:
    # A date inside a link is another page's, unless the link text is the date itself
    # (WordPress links its own date to the permalink).
    for anchor in element.xpath("ancestor-or-self::a"):
        if not parse_date(clean_text(anchor)):
            return True
    return bool(element.xpath(_NOT_OWN))


def _own_line(element: HtmlElement) -> str:
    # The short line around a text node: "<span>发布时间:</span><span>3天前</span>" reads as one
    # line from the span's parent.
    line = ""
    current: HtmlElement | None = element
    while current is not None:
        text = spaced_text(current)
        if len(text) > _MAX_LINE:
            break
        line = text
        if parse_date(text, labelled_only=True):
            break
        current = current.getparent()
    return line


def _title_heading(tree: HtmlElement, title: str) -> HtmlElement | None:
    headings = tree.xpath("//h1|//h2|//h3")
    for heading in headings:
        text = clean_text(heading)
        if title and text and (text == title or title in text):
            return heading
    if title:
        # Table and div templates put the title in a <td class="bt"> or a <div class="title">:
        # the first element outside links whose whole text is the title.
        found = tree.xpath("//body//*[not(ancestor-or-self::a)][normalize-space()=$t]", t=title)
        if found:
            return found[0]
    first = tree.xpath("//h1")
    return first[0] if first else None


def date_line(tree: HtmlElement, profile: SiteProfile, title: str = "") -> str:
    """The text of the page's own date line ('' when there is none).

    The profile's date XPaths first. Else the header zone is read, from the title heading to
    the first paragraph of prose: its first labelled date (时间:, 发布时间:, 发布于 …), else its
    first bare date. Last, a labelled date anywhere. Sidebars, related lists, footers and
    links to other pages, which carry other pages' dates, are never read.
    """
    element = first_match(tree, profile.date_xpaths)
    if element is not None:
        return spaced_text(element)
    heading = _title_heading(tree, title)
    # Forums put the post's 发表于 line just above its subject, and the body right below it (where
    # a notice's 时间：… line would pass for the page's date): the nearest lines above come first.
    above = f"preceding::text()[normalize-space()][position() <= {_LINES_ABOVE}]"
    if heading is not None and (line := _labelled_line(heading.xpath(above))):
        return line
    zone = heading.xpath(".//text()|following::text()") if heading is not None else []
    bare = ""
    for node in zone:
        text = str(node).strip()
        parent = _parent(node)
        if not text or parent is None or parent.tag in ("script", "style"):
            continue
        if len(text) >= _BODY_START and not parse_date(text[:30], labelled_only=True):
            break
        if _not_own(parent):
            continue
        line = _own_line(parent)
        if parse_date(line, labelled_only=True):
            return line
        if not bare and len(text) <= _MAX_BARE and parse_date(text):
            bare = text
    if bare:
        return bare
    return _labelled_line(tree.xpath("//body//text()"))


def _labelled_line(nodes: list[Any]) -> str:
    # The first of these text nodes that holds (or, as a label cell, introduces) a labelled date.
    for node in nodes:
        parent = _parent(node)
        if parent is None or len(node) > _MAX_LINE or _not_own(parent):
            continue
        if parse_date(str(node), labelled_only=True):
            return _own_line(parent)
        value = parent.getnext() if is_date_label(str(node)) else None
        if value is not None and parse_date(line := f"{node.strip()}{clean_text(value)}", labelled_only=True):
            # 信息公开 tables: <td>发布日期：</td><td>2023-04-25</td>.
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
