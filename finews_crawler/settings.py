"""Scrapy settings for finews-crawler. Override with `-s NAME=VALUE` or FINEWS_* environment."""

from __future__ import annotations

import os

from finews_crawler import __version__

BOT_NAME = "finews_crawler"
SPIDER_MODULES = ["finews_crawler.spiders"]
NEWSPIDER_MODULE = "finews_crawler.spiders"
COMMANDS_MODULE = "finews_crawler.commands"

USER_AGENT = f"finews-crawler/{__version__} (+https://github.com/finews-crawler/finews-crawler)"
ROBOTSTXT_OBEY = os.environ.get("FINEWS_ROBOTSTXT_OBEY", "1") not in ("0", "false", "no")

# Politeness and throughput: per-domain concurrency bounded, retries with backoff for 5xx/429.
CONCURRENT_REQUESTS = int(os.environ.get("FINEWS_CONCURRENT_REQUESTS", "32"))
CONCURRENT_REQUESTS_PER_DOMAIN = int(os.environ.get("FINEWS_CONCURRENT_PER_DOMAIN", "16"))
DOWNLOAD_DELAY = float(os.environ.get("FINEWS_DOWNLOAD_DELAY", "0"))
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
AUTOTHROTTLE_ENABLED = os.environ.get("FINEWS_AUTOTHROTTLE", "0") in ("1", "true", "yes")
AUTOTHROTTLE_TARGET_CONCURRENCY = 8.0

# Every response reaches the spider (a 404 is recorded as a failure, not filtered silently).
HTTPERROR_ALLOW_ALL = True

ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.normalize.NormalizePipeline": 200,
    "pipelines.validate.ValidatePipeline": 300,
    "pipelines.dedupe.DedupePipeline": 400,
    "pipelines.store.StorePipeline": 500,
}
DOWNLOADER_MIDDLEWARES = {
    "finews_crawler.middlewares.LinkSafetyMiddleware": 50,
}
EXTENSIONS = {
    "finews_crawler.extensions.RunReport": 500,
}
LOG_FORMATTER = "finews_crawler.logformatter.FinewsLogFormatter"
LOG_LEVEL = os.environ.get("FINEWS_LOG_LEVEL", "INFO")

# Storage: the embedded SQLite file unless FINEWS_STORE names another store.
FINEWS_STORE = os.environ.get("FINEWS_STORE", "")
FINEWS_STORE_BATCH_SIZE = 200
FINEWS_STORE_FLUSH_SECONDS = 2.0

# Where share pages are built from infoCodes: the real source unless told otherwise.
FINEWS_SHARE_BASE = os.environ.get("FINEWS_SHARE_BASE", "https://app.jg.eastmoney.com")

# Development: cache responses on disk (`-s HTTPCACHE_ENABLED=1`).
HTTPCACHE_ENABLED = os.environ.get("FINEWS_HTTPCACHE", "0") in ("1", "true", "yes")
HTTPCACHE_DIR = "httpcache"

TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
