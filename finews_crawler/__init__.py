"""finews-crawler: Scrapy spiders and item pipelines for Chinese financial news."""

__version__ = "0.1.0"

# The Scrapy settings of this project, for code that runs Scrapy without scrapy.cfg.
SETTINGS_MODULE = "finews_crawler.settings"
