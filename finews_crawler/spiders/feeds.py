"""Feed spiders: East Money's news list APIs, paged incrementally, each entry to its article.

finews crawl emnews     rolling news   (webapi?type=102)
finews crawl emmedia    media news     (webapi?type=45)
finews crawl emmarket   market news    (newmarket webapi?marketType=37|38|39)
finews crawl feeds      all of them in one run (an article met in two feeds is fetched once)

Arguments: -a since=2024-05-01|6h  -a max_pages=N  -a refresh=1  -a count=100
           -a feeds=emnews,emmarket38 (the `feeds` spider only)
Hosts: FINEWS_FEED_BASE, FINEWS_MARKET_FEED_BASE; articles via FINEWS_SHARE_BASE's text API.

The spider stays thin: the adapter reads the feed JSON (navigate), finews_crawler.incremental
decides what to fetch and when to stop paging, the pipelines do the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import scrapy
from scrapy import signals
from scrapy.http import Response

from finews_crawler.incremental import FeedPager, PagingOptions
from finews_crawler.items import Article
from finews_crawler.sources import adapter_for
from finews_crawler.sources.eastmoney import FEEDS, feed_url
from finews_crawler.spiders.base import FinewsSpider, split_arg
from pipelines.run import IngestRun

FEED_PRIORITY = 10  # feed pages go ahead of queued articles, so paging never starves


class FeedSpider(FinewsSpider):
    name = "feeds"
    feed_names: ClassVar[tuple[str, ...]] = tuple(FEEDS)

    def __init__(
        self,
        feeds: str | None = None,
        since: str | None = None,
        max_pages: str | None = None,
        refresh: str | None = None,
        count: str | None = None,
        *args,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        given = {
            "feeds": feeds,
            "since": since,
            "max_pages": max_pages,
            "refresh": refresh,
            "count": count,
        }
        self.arguments = {key: value for key, value in given.items() if value}
        self.selected = split_arg(feeds) or list(self.feed_names)
        unknown = [name for name in self.selected if name not in self.feed_names]
        if unknown:
            raise ValueError(
                f"unknown feed(s) {', '.join(unknown)}; {self.name} serves"
                f" {', '.join(self.feed_names)}"
            )
        self.options = PagingOptions.from_args(since, max_pages, refresh)
        self.page_size = int(count or 100)
        self._pager: FeedPager | None = None

    @property
    def pager(self) -> FeedPager:
        if self._pager is None:
            store = IngestRun.of(self.crawler).store
            self._pager = FeedPager(store, self.options, stats=self.crawler.stats)
            self.crawler.signals.connect(self._article_done, signal=signals.item_scraped)
            self.crawler.signals.connect(self._article_done, signal=signals.item_dropped)
        return self._pager

    def _article_done(self, item: Any, **_: Any) -> None:
        """An article came through the pipelines (or was a duplicate): the pager lets go of it."""
        article_id = item.get("_id") if isinstance(item, Article) else None
        if article_id and self._pager is not None:
            self._pager.settled(article_id)

    # ---- requests ------------------------------------------------------------------------

    def start_page_requests(self) -> Iterable[scrapy.Request]:
        for name in self.selected:
            yield self.feed_request(name, 1)

    def feed_request(self, name: str, page: int) -> scrapy.Request:
        feed = FEEDS[name]
        setting = "FINEWS_MARKET_FEED_BASE" if feed.market_host else "FINEWS_FEED_BASE"
        context = {
            "feed": name,
            "feed_page": page,
            "article_base": self.settings.get("FINEWS_SHARE_BASE"),
        }
        return self.page_request(
            feed_url(self.settings.get(setting), feed, page, self.page_size), context
        )

    def page_request(
        self, url: str, context: dict[str, Any] | None = None, *, dont_filter: bool = False
    ) -> scrapy.Request:
        """Feed pages go to parse_feed, ahead of queued articles, so that paging never starves;
        also when the page is fetched again after an unusable answer (pipelines/requeue.py).
        Filterable on purpose: with scrapy-redis the shared dupefilter makes N workers' seeds
        one request; locally a JOBDIR's seen-set is reset per job (jobdir.py)."""
        request = super().page_request(url, context, dont_filter=dont_filter)
        if context and "feed_page" in context and "info_code" not in context:
            return request.replace(callback=self.parse_feed, priority=FEED_PRIORITY)
        return request

    # ---- responses -----------------------------------------------------------------------

    def parse_feed(self, response: Response, context: dict[str, Any]) -> Iterable[Any]:
        """Entries the pager wants become article requests; a bad feed page a failure."""
        raw = self.raw_page(response, context)
        adapter = adapter_for(response.url)
        entries = self._navigate(adapter, raw) if adapter and 200 <= response.status < 300 else None
        if entries is None:
            yield raw  # the pipelines record why (HTTP error, not a feed) against the feed URL
            return
        decision = self.pager.decide(context["feed"], context["feed_page"], entries)
        for entry in [*decision.follow, *decision.refresh]:
            yield self.page_request(entry.url, entry.context)
        if decision.next_page:
            yield self.feed_request(context["feed"], context["feed_page"] + 1)

    def closed(self, reason: str) -> None:
        if self._pager is not None:
            self._pager.close(reason)


class EmNewsSpider(FeedSpider):
    name = "emnews"
    feed_names: ClassVar[tuple[str, ...]] = ("emnews",)


class EmMediaSpider(FeedSpider):
    name = "emmedia"
    feed_names: ClassVar[tuple[str, ...]] = ("emmedia",)


class EmMarketSpider(FeedSpider):
    name = "emmarket"
    feed_names: ClassVar[tuple[str, ...]] = ("emmarket37", "emmarket38", "emmarket39")
