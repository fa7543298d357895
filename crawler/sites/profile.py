"""`SiteProfile`: everything that differs between two template sites, as data.

A profile names URL patterns, where the metadata lives and which shared strategies
(`crawler.extract`) apply. Spiders and the extractor read profiles; they never hold
site-specific code. A bad profile fails at import with a message saying how to fix it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SPLIT_STRATEGIES = ("none", "compilation")
PAGINATE_STRATEGIES = ("none", "page_n")
EXTRA_STRATEGIES = ("none", "docinfo")
DECIDE_STRATEGIES = ("url", "page")


@dataclass(frozen=True)
class SiteProfile:
    """One template site, described declaratively.

    XPath hints are tried in order and are allowed to miss: the extractor then falls back
    to text patterns and trafilatura, which survive a markup change better than one path.

    Attributes:
        key: spider name and the `site` of every record (lowercase identifier).
        name: the site's own name, stripped from titles.
        domains: hosts the spider may crawl (overridden by `-a start_urls=...`).
        start_urls: where a crawl begins.
        document_url: regex (searched in the URL) of document pages.
        listing_url: regex of list pages and their pagination, followed for links.
        body_xpaths: candidate containers of the document body, best first.
        title_xpaths: candidate title elements; the `<title>` tag is the fallback.
        date_xpaths: candidate elements holding the page's own date line.
        breadcrumb_xpaths: candidate breadcrumb elements (当前位置 ...).
        keywords_xpaths: candidate keyword/tag line elements (推荐访问 ...).
        prune_xpaths: elements removed from the body container before extraction.
        boilerplate: extra site-specific boilerplate line patterns (regexes), on top of
            the shared list in `crawler.extract.boilerplate`.
        trailer_markers: extra paywall-trailer phrases; a body ending in one is truncated.
        encoding_hint: charset to try first when neither header nor meta declares one.
        split: "compilation" splits a 篇一…篇N page into one record per part.
        paginate: "page_n" follows page_2.html … page_N.html and joins the text.
        preview: pages are document previews; a body ending mid-sentence is truncated.
        extra: "docinfo" reads document metadata (ID, pages, size, format) into `extra`.
        refresh_days: days before an archived page of this site is fetched again (None: the
            INCREMENTAL_REFRESH_DAYS setting).
        decide: "url" trusts `document_url` to say which pages are documents; "page" (the
            generic spider) decides from the page itself (`crawler.extract.classify`).
        guessed: what in this profile is a guess rather than seen on the real site.
    """

    key: str
    name: str
    domains: tuple[str, ...]
    start_urls: tuple[str, ...]
    document_url: str
    listing_url: str
    body_xpaths: tuple[str, ...] = ()
    title_xpaths: tuple[str, ...] = ("//h1",)
    date_xpaths: tuple[str, ...] = ()
    breadcrumb_xpaths: tuple[str, ...] = ()
    keywords_xpaths: tuple[str, ...] = ()
    prune_xpaths: tuple[str, ...] = ()
    boilerplate: tuple[str, ...] = ()
    trailer_markers: tuple[str, ...] = ()
    encoding_hint: str | None = None
    split: str = "none"
    paginate: str = "none"
    preview: bool = False
    extra: str = "none"
    decide: str = "url"
    refresh_days: float | None = None
    guessed: str = ""
    _compiled: dict[str, re.Pattern[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.key):
            raise ValueError(
                f"profile key {self.key!r} is not a lowercase identifier; "
                "use letters, digits and _ (it becomes the spider name)"
            )
        for attr in ("document_url", "listing_url"):
            pattern = getattr(self, attr)
            try:
                self._compiled[attr] = re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"profile {self.key!r}: {attr} {pattern!r} is not a valid regex ({exc}); fix the pattern"
                ) from None
        for attr in ("boilerplate",):
            for pattern in getattr(self, attr):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(
                        f"profile {self.key!r}: {attr} entry {pattern!r} is not a valid regex ({exc})"
                    ) from None
        for attr, allowed in (
            ("split", SPLIT_STRATEGIES),
            ("paginate", PAGINATE_STRATEGIES),
            ("extra", EXTRA_STRATEGIES),
            ("decide", DECIDE_STRATEGIES),
        ):
            if getattr(self, attr) not in allowed:
                raise ValueError(
                    f"profile {self.key!r}: unknown {attr} strategy {getattr(self, attr)!r}; "
                    f"expected one of {', '.join(allowed)}"
                )
        for attr in ("domains", "start_urls", "body_xpaths", "title_xpaths", "date_xpaths",
                     "breadcrumb_xpaths", "keywords_xpaths", "prune_xpaths",
                     "boilerplate", "trailer_markers"):
            if isinstance(getattr(self, attr), str):
                raise ValueError(
                    f"profile {self.key!r}: {attr} must be a tuple of strings, not one string; "
                    "write (value,) with the trailing comma"
                )

    def is_document(self, url: str) -> bool:
        """Whether `url` is a document page of this site."""
        return self._compiled["document_url"].search(url) is not None

    def is_listing(self, url: str) -> bool:
        """Whether `url` is a list page (or its pagination) of this site."""
        return self._compiled["listing_url"].search(url) is not None
