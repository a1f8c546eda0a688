"""finews-crawler: Scrapy spiders and item pipelines for Chinese financial news."""

__version__ = "0.1.0"
