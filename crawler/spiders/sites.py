"""One spider per known site: a name and a profile, nothing else."""

from __future__ import annotations

from crawler.sites import SITES
from crawler.spiders.base import SiteSpider


class BainaSpider(SiteSpider):
    name = "baina"
    profile = SITES["baina"]


class JuyouSpider(SiteSpider):
    name = "juyou"
    profile = SITES["juyou"]


class JianbiaoSpider(SiteSpider):
    name = "jianbiao"
    profile = SITES["jianbiao"]


class HuiwenSpider(SiteSpider):
    name = "huiwen"
    profile = SITES["huiwen"]
