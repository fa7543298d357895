"""Spiders: one per known site (`sites.py`), each a three-line subclass of `SiteSpider`."""
