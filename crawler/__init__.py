"""The Scrapy project: site profiles, extraction, spiders and the pipelines that feed the archive."""
