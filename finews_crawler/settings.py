"""Scrapy settings for finews-crawler. Override with `-s NAME=VALUE` or FINEWS_* environment."""

from __future__ import annotations

from finews_crawler import __version__
from finews_crawler.config import env_flag, env_float, env_int, env_str
from finews_crawler.sources import all_adapters

BOT_NAME = "finews_crawler"
SPIDER_MODULES = ["finews_crawler.spiders"]
NEWSPIDER_MODULE = "finews_crawler.spiders"
COMMANDS_MODULE = "finews_crawler.commands"

USER_AGENT = f"finews-crawler/{__version__} (+https://github.com/finews-crawler/finews-crawler)"
ROBOTSTXT_OBEY = env_flag("FINEWS_ROBOTSTXT_OBEY", default=True)

# Politeness and throughput: per-domain concurrency bounded, retries with backoff for 5xx/429.
# Items per response handled in parallel: our spiders yield one thing per response, and Scrapy
# spawns this many asyncio tasks for every response (the default 100 doubled our CPU per page).
CONCURRENT_ITEMS = 2
CONCURRENT_REQUESTS = env_int("FINEWS_CONCURRENT_REQUESTS", 32)
CONCURRENT_REQUESTS_PER_DOMAIN = env_int("FINEWS_CONCURRENT_PER_DOMAIN", 16)
DOWNLOAD_DELAY = env_float("FINEWS_DOWNLOAD_DELAY", 0)
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Pages that arrived but were unusable (empty, cut-off JSON, wrong type, redirect loop) are
# fetched again from their entry URL up to this many times per URL before a failure record.
FINEWS_REQUEUE_TIMES = env_int("FINEWS_REQUEUE_TIMES", 2)
# Link safety: private/loopback addresses are allowed for crawls of configured bases; one-off
# fetches of user-given URLs should run with 0. Links from public pages into private
# networks are refused regardless (finews_crawler/crawl/middlewares/link_safety.py).
FINEWS_ALLOW_PRIVATE = env_flag("FINEWS_ALLOW_PRIVATE", default=True)
AUTOTHROTTLE_ENABLED = env_flag("FINEWS_AUTOTHROTTLE")
AUTOTHROTTLE_TARGET_CONCURRENCY = 8.0
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
# Waits before retries (base * 2**(n-1), capped) and the longest Retry-After honoured
# (finews_crawler.crawl.middlewares.BackoffMiddleware; Scrapy's own retries do not wait).
FINEWS_RETRY_BACKOFF = env_float("FINEWS_RETRY_BACKOFF", 0.5)
FINEWS_RETRY_BACKOFF_MAX = 30.0
FINEWS_RETRY_AFTER_MAX = 300.0

# Every response reaches the spider (a 404 is recorded as a failure, not filtered silently).
HTTPERROR_ALLOW_ALL = True

# Same filtering as Scrapy's, 8 bytes per request instead of about 80 (memory stays flat).
DUPEFILTER_CLASS = "finews_crawler.crawl.dupefilter.CompactDupeFilter"

# The stages extract -> normalize -> validate -> dedupe -> store (pipelines/chain.py STAGES), run
# as one Scrapy pipeline: five Scrapy pipeline steps cost more per item than two of the stages.
ITEM_PIPELINES = {"pipelines.chain.ChainPipeline": 100}
DOWNLOADER_MIDDLEWARES = {
    "finews_crawler.crawl.middlewares.LinkSafetyMiddleware": 50,
    # After RetryMiddleware (550) on the way out: sees a 429's Retry-After before the retry.
    "finews_crawler.crawl.middlewares.BackoffMiddleware": 560,
    # Redirect hops bypass the duplicate filter and loops get a reason (never lost silently).
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "finews_crawler.crawl.middlewares.LoopSafeRedirectMiddleware": 600,
    # After decompression: GBK pages without (or with a wrong) charset decode right.
    "finews_crawler.crawl.middlewares.EncodingFallbackMiddleware": 585,
}
SPIDER_MIDDLEWARES = {
    "finews_crawler.crawl.middlewares.RequeuedFollowUpsMiddleware": 950,
    # Next to the spider: a callback's exception becomes a failure record (stage "parse").
    "finews_crawler.crawl.middlewares.CallbackErrorsMiddleware": 990,
}
EXTENSIONS = {
    "finews_crawler.crawl.extensions.RunReport": 500,
    "finews_crawler.crawl.extensions.MemoryTrim": 510,
    "finews_crawler.crawl.gc_freeze.GcFreeze": 520,  # start-up objects out of the GC's walks
    "finews_crawler.crawl.jobdir.JobDirGuard": 0,  # crash-safe JOBDIR (active only with JOBDIR)
    # Publishes the store's outbox while the crawl runs (active only with a push target).
    "finews_crawler.push.extension.PushOnStore": 490,
}
FINEWS_GC_FREEZE = env_flag("FINEWS_GC_FREEZE", default=True)  # crawl/gc_freeze.py
# Distributed mode (scrapy-redis frontier shared by N workers) when FINEWS_REDIS_URL is set.
FINEWS_REDIS_URL = env_str("FINEWS_REDIS_URL", "")
FINEWS_REDIS_IDLE_SECONDS = env_float("FINEWS_REDIS_IDLE_SECONDS", 5)
FINEWS_REDIS_LEASE_SECONDS = env_float("FINEWS_REDIS_LEASE_SECONDS", 30)
ADDONS = {"finews_crawler.crawl.distributed.DistributedMode": 0}
# `scrapy check`: `@site SETTING PATH` requests PATH on the host a setting names (contracts.py).
SPIDER_CONTRACTS = {"finews_crawler.crawl.contracts.SiteUrlContract": 10}
LOG_FORMATTER = "finews_crawler.crawl.logformatter.FinewsLogFormatter"
LOG_LEVEL = env_str("FINEWS_LOG_LEVEL", "INFO")

# Push of new and changed articles (finews_crawler/push): off unless a target is named.
FINEWS_PUSH_REDIS = env_str("FINEWS_PUSH_REDIS", "")
FINEWS_PUSH_STREAM = env_str("FINEWS_PUSH_STREAM", "")
FINEWS_PUSH_WEBHOOK = env_str("FINEWS_PUSH_WEBHOOK", "")
FINEWS_PUSH_SECRET = env_str("FINEWS_PUSH_SECRET", "")

# Storage: the embedded SQLite file unless FINEWS_STORE names another store.
FINEWS_STORE = env_str("FINEWS_STORE", "")
FINEWS_STORE_BATCH_SIZE = 500
FINEWS_STORE_FLUSH_SECONDS = 2.0  # also written on this timer, not only when full
# Distributed mode turns this on: an item is done only once its article is written.
FINEWS_STORE_WRITE_THROUGH = False
FINEWS_STORE_RETRY_SECONDS = 5.0  # a write waits this long for MongoDB, then is spooled

# Each source's hosts (e.g. FINEWS_SHARE_BASE, FINEWS_FEED_BASE): the adapter's defaults, the
# real source unless the environment or `-s NAME=...` says otherwise.
for _adapter in all_adapters():
    for _name, _default in _adapter.settings_defaults().items():
        globals()[_name] = env_str(_name, _default)
# Feed paging (finews_crawler/crawl/incremental.py): depth of a first run / refresh run, the cap for
# gap filling and since backfills, failed pages in a row before a feed gives up, how often
# the pager asks the store whether a page's articles are all in (then its range counts), and
# how long its reads wait for an unreachable store (then the feed is unfinished, recorded).
FINEWS_FEED_MAX_PAGES = env_int("FINEWS_FEED_MAX_PAGES", 50)
FINEWS_FEED_HARD_MAX_PAGES = env_int("FINEWS_FEED_HARD_MAX_PAGES", 2000)
FINEWS_FEED_MAX_FAILED_PAGES = 3
FINEWS_FEED_CONFIRM_SECONDS = 1.0
FINEWS_FEED_STORE_WAIT = 60.0  # seconds a paging read waits for an unreachable store

# Development: cache responses on disk (`-s HTTPCACHE_ENABLED=1`).
HTTPCACHE_ENABLED = env_flag("FINEWS_HTTPCACHE")
HTTPCACHE_DIR = "httpcache"

TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
# `-O x.csv`: stocks, boards, images and tags as JSON cells, dates ISO 8601 (not Python reprs).
FEED_EXPORTERS = {"csv": "finews_crawler.exporters.csv_feed.JsonFieldsCsvItemExporter"}
