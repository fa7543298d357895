"""The known sites: one `SiteProfile` per module, collected in `SITES`.

Adding a site means adding a module here with a `PROFILE` and listing it below.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from crawler.sites import baina, generic, huiwen, jianbiao, juyou
from crawler.sites.profile import SiteProfile

SITES: dict[str, SiteProfile] = {
    module.PROFILE.key: module.PROFILE for module in (baina, juyou, jianbiao, huiwen)
}
# Not in SITES: it belongs to no site, and `scrapy crawl generic` needs start URLs.
GENERIC: SiteProfile = generic.PROFILE

__all__ = ["GENERIC", "SITES", "SiteProfile", "profile_for_url"]


def profile_for_url(url: str) -> SiteProfile | None:
    """The profile whose domains include the URL's host, if any."""
    host = urlsplit(url).hostname or ""
    for profile in SITES.values():
        if any(host == d or host.endswith("." + d) for d in profile.domains):
            return profile
    return None
