"""Page metadata: title, date, source, breadcrumb category, keywords and document info.

Each reader tries the profile's XPath hints first, then a text pattern of the genre that does
not depend on markup (当前位置…, 推荐访问…, 时间:…), so a redesign degrades gracefully.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple

from crawler.extract.dates import is_date_label, parse_date
from crawler.extract.treetext import equal_to, opening_with, short_spaced_text, texts_from, xml_space_start

if TYPE_CHECKING:
    from datetime import datetime

    from lxml.html import HtmlElement

    from crawler.sites.profile import SiteProfile

_SPACE = re.compile(r"\s+")
_FILE_SUFFIX = re.compile(r"\.(?:docx?|pdf|pptx?|xlsx?|txt|wps)$", re.I)
_SOURCE = re.compile(r"来源\s*[:：]\s*([^\s|｜]+)")
_CRUMB_SEPARATORS = re.compile(r"\s*(?:>|&gt;|›|»|＞|/)\s*")


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


def read_canonical(tree: HtmlElement) -> str | None:
    """The href of the page's `<link rel="canonical">`, as written, or None."""
    for href in tree.xpath("//head/link[translate(@rel, 'CANONICAL', 'canonical') = 'canonical']/@href"):
        if str(href).strip():
            return str(href)
    return None


# Elements that may hold the document's title on a page with no profile: headings, and the
# title boxes of table and div templates (<td class="bt">, <div class="article-title">).
_TITLE_CANDIDATES = (
    "//h1|//h2|//h3|//h4|//body//*[contains(@class, 'tit') or contains(@id, 'title') or @class='bt']"
)
# Title metadata of portal CMSs (TRS and Hanweb's ArticleTitle) and of social sharing.
_TITLE_METAS = (
    "//meta[@name='ArticleTitle']/@content",
    "//meta[@property='og:title']/@content",
    "//meta[@name='og:title']/@content",
)
MIN_TITLE = 4
MAX_TITLE = 120
# A <title> whose first segment is shorter than this names a site or a section (评论, 科普中国),
# not a document: the page's own headline is then the better title.
MIN_HEAD_TITLE = 8
# Separators of a <title>'s site and section suffixes: dashes and bars, _ | ｜ ——. A dash
# between digits is the title's own (2023-2025年规划).
_HEAD_SEPARATORS = re.compile(r"\s+(?:-{1,2}|–|—{1,2}|[|｜_])\s+|_|[|｜]|—{2}|-{2}|(?<!\d)-(?!\d)")
_TAG = re.compile(r"<[^>]*>")


def _title_segments(head: str) -> list[str]:
    """The `<title>` split at the separators that set off site and section names."""
    return [p.strip() for p in _HEAD_SEPARATORS.split(head)]


def _headline(tree: HtmlElement) -> str:
    """The page's own headline: its first h1, else the first title box, outside links."""
    for xpath in ("//h1", _TITLE_CANDIDATES):
        for element in tree.xpath(xpath):
            text = clean_text(element)
            if MIN_TITLE <= len(text) <= MAX_TITLE and not element.xpath("ancestor-or-self::a|.//a"):
                return text
    return ""


def _page_title(tree: HtmlElement, head: str) -> str:
    """The title of a page with no title hint.

    The strongest signal is the longest heading (or title box) that the `<title>` repeats,
    unless it is only one of its later segments (a section or site name: 新闻动态). Then the
    CMS's title metadata; then the `<title>`'s first segment, or the page's headline when
    that segment is too short to be a document's title.
    """
    key = _SPACE.sub("", head)
    segments = _title_segments(head)
    later = {_SPACE.sub("", s) for s in segments[1:]}
    found = ""
    for element in tree.xpath(_TITLE_CANDIDATES):
        text = clean_text(element)
        own = _SPACE.sub("", text)
        if MIN_TITLE <= len(own) <= MAX_TITLE and own in key and own not in later and len(text) > len(found):
            found = text
    if found:
        return found
    for xpath in _TITLE_METAS:
        values = [_SPACE.sub(" ", _TAG.sub("", v)).strip() for v in tree.xpath(xpath)]
        if values and len(values[0]) >= MIN_TITLE:
            return _title_segments(values[0])[0]
    first = segments[0] if segments else ""
    if len(first) < MIN_HEAD_TITLE and (headline := _headline(tree)) and len(headline) > len(first):
        return headline
    return first or head


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
_TIMED = re.compile(r"(?:19|20)\d{2}\D{1,3}\d{1,2}\D{1,3}\d{1,2}\D{1,6}\d{1,2}[:：]\d{2}")
_MAX_BARE = 40
# A text node this long is document prose: the page's header zone (title, date line) ends there.
_BODY_START = 60
_LINES_ABOVE = 4


def _parent(node: Any) -> HtmlElement | None:
    parent: HtmlElement | None = node.getparent()
    if parent is not None and getattr(node, "is_tail", False):
        parent = parent.getparent()
    return parent


class PageDates:
    """`parse_date` for one page: each text read once, relative dates against the fetch time.

    The date line is looked for by trying the same texts again and again (a node, its line,
    its ancestors' lines); one instance per page remembers what each said.
    """

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now
        self._read: dict[tuple[str, bool], str | None] = {}

    def __call__(self, text: str, *, labelled_only: bool = False) -> str | None:
        """`parse_date(text, now=..., labelled_only=...)`, read once per text."""
        key = (text, labelled_only)
        if key not in self._read:
            self._read[key] = parse_date(text, now=self.now, labelled_only=labelled_only)
        return self._read[key]


class DateLine(NamedTuple):
    """The page's own date line and the date it gives."""

    text: str
    published: str | None


# Sidebars and related lists carry other documents' dates: never read a date from a link, a
# list item that links elsewhere (shorter than this: a long one is the article's own cell), or
# a footer.
_ITEMS = ("li", "dd", "dt", "tr")
_MAX_ITEM = 200


def _not_own(element: HtmlElement, dates: PageDates) -> bool:
    node: HtmlElement | None = element
    while node is not None:
        # A date inside a link is another page's, unless the link text is the date itself
        # (WordPress links its own date to the permalink).
        if node.tag == "a" and not dates(clean_text(node)):
            return True
        if node.tag == "footer" or (
            node.tag in _ITEMS
            and next(node.iterdescendants("a"), None) is not None
            and len(xml_space_start(node, _MAX_ITEM - 1)) < _MAX_ITEM
        ):
            return True
        node = node.getparent()
    return False


def _own_line(element: HtmlElement, dates: PageDates) -> str:
    # The short line around a text node: "<span>发布时间:</span><span>3天前</span>" reads as one
    # line from the span's parent.
    line = ""
    current: HtmlElement | None = element
    while current is not None:
        text = short_spaced_text(current, _MAX_LINE)
        if text is None:
            break
        line = text
        if dates(text, labelled_only=True):
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
        for body in tree.xpath("//body"):
            for element in equal_to(body, title):
                if not element.xpath("ancestor-or-self::a"):
                    return element
        # Or a text node holding the whole title (a title box with a 引题 or a date beside it).
        nodes = tree.xpath("//body//text()[contains(., $t)][not(ancestor::a)]", t=title)
        if nodes and (parent := _parent(nodes[0])) is not None:
            return parent
    first = tree.xpath("//h1")
    return first[0] if first else None


def date_line(tree: HtmlElement, profile: SiteProfile, title: str = "", now: datetime | None = None) -> str:
    """The text of the page's own date line ('' when there is none).

    The profile's date XPaths first. Else the header zone is read, from the title heading to
    the first paragraph of prose: its first labelled date (时间:, 发布时间:, 发布于 …), else its
    first bare date. Last, a labelled date anywhere. Sidebars, related lists, footers and
    links to other pages, which carry other pages' dates, are never read.
    """
    return read_date_line(tree, profile, title, now).text


def read_date_line(tree: HtmlElement, profile: SiteProfile, title: str = "", now: datetime | None = None) -> DateLine:
    """The page's own date line (`date_line`) and its date (`read_published`), each read once."""
    dates = PageDates(now)
    text = _find_date_line(tree, profile, title, dates)
    return DateLine(text, dates(text) if text else None)


def _find_date_line(tree: HtmlElement, profile: SiteProfile, title: str, dates: PageDates) -> str:
    element = first_match(tree, profile.date_xpaths)
    if element is not None:
        return spaced_text(element)
    heading = _title_heading(tree, title)
    # Forums put the post's 发表于 line just above its subject, and the body right below it (where
    # a notice's 时间：… line would pass for the page's date): the nearest lines above come first.
    above = f"preceding::text()[normalize-space()][position() <= {_LINES_ABOVE}]"
    if heading is not None and (line := _labelled_line(heading.xpath(above), dates)):
        return line
    zone = texts_from(heading) if heading is not None else iter(())
    bare = bare_date = ""
    for node, parent in zone:
        text = node.strip()
        if not text or parent.tag in ("script", "style"):
            continue
        if len(text) >= _BODY_START and not dates(text[:30], labelled_only=True):
            break
        if _not_own(parent, dates):
            continue
        line = _own_line(parent, dates)
        if dates(line, labelled_only=True):
            return line
        if len(text) <= _MAX_BARE and (found := dates(text)):
            # A date alone may be repeated with its time a little further (a share bar's copy).
            if not bare or ("T" not in bare_date and "T" in found and found[:10] == bare_date[:10]):
                bare, bare_date = text, found
    if bare:
        return bare
    texts = tree.xpath("//body//text()")
    return _labelled_line(texts, dates) or _timed_line(texts, dates)


def _timed_line(texts: list[Any], dates: PageDates) -> str:
    """The first short line of the page's own (of its `texts`) that is a date with a time.

    For a date line away from the title (posted @ … below a blog post): a time of day says
    publication, where a bare day may be a list's.
    """
    for node in texts:
        text = str(node).strip()
        if not MIN_TITLE <= len(text) <= _MAX_BARE or not _TIMED.search(text):
            continue
        parent = _parent(node)
        if parent is not None and parent.tag not in ("script", "style") and not _not_own(parent, dates):
            found = dates(text)
            if found and "T" in found:
                return text
    return ""


def _labelled_line(nodes: list[Any], dates: PageDates) -> str:
    # The first of these text nodes that holds (or, as a label cell, introduces) a labelled date.
    for node in nodes:
        text = str(node)
        if len(text) > _MAX_LINE:
            continue
        labelled = dates(text, labelled_only=True) is not None
        # The text test first: _not_own walks up the node's ancestors, once per node of a large page.
        if not labelled and not is_date_label(text):
            continue
        parent = _parent(node)
        if parent is None or _not_own(parent, dates):
            continue
        if labelled:
            return _own_line(parent, dates)
        value = next((e for e in parent.itersiblings() if isinstance(e.tag, str)), None)  # not a comment
        if value is not None and dates(line := f"{node.strip()}{clean_text(value)}", labelled_only=True):
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


_KEYWORD_LABELS = ("推荐访问", "关键词", "标签")


def read_keywords(tree: HtmlElement, profile: SiteProfile) -> tuple[str, ...]:
    """Keyword/tag line items in page order, duplicates removed."""
    element = first_match(tree, profile.keywords_xpaths)
    if element is None:
        candidates = [e for body in tree.xpath("//body") for e in opening_with(body, _KEYWORD_LABELS)]
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
