"""The crawl runtime: what runs inside a Scrapy crawl besides the spiders.

The store component (store, counters, failure records) that spiders and pipelines share,
extensions, middlewares, the feed pager and its durable state, run records, the job directory,
the duplicate filter and the distributed (scrapy-redis) pieces.
"""
