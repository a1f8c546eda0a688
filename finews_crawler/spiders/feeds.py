"""Feed spiders: East Money's news list APIs, paged incrementally, each entry to its article.

finews crawl emnews     rolling news   (webapi?type=102)
finews crawl emmedia    media news     (webapi?type=45)
finews crawl emmarket   market news    (newmarket webapi?marketType=37|38|39)
finews crawl feeds      all of them in one run (an article met in two feeds is fetched once)

Arguments: -a since=2024-05-01|6h  -a max_pages=N  -a refresh=1  -a count=100
           -a feeds=emnews,emmarket38 (the `feeds` spider only)
Hosts: FINEWS_FEED_BASE, FINEWS_MARKET_FEED_BASE; articles via FINEWS_SHARE_BASE's text API.

The spider stays thin: the adapter reads the feed JSON (read_feed), finews_crawler.crawl.incremental
decides what to fetch and when to stop paging (finews_crawler/crawl/paging holds the rule), the
pipelines do the rest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from finews_crawler.crawl.distributed import is_distributed
from finews_crawler.crawl.incremental import FeedPaging, PagingOptions
from finews_crawler.crawl.paging import Carry, FeedListing
from finews_crawler.items import RawPage
from finews_crawler.sources import ExtractionError, Page, adapter_for
from finews_crawler.sources.eastmoney import FEEDS, feed_url
from finews_crawler.spiders.base import FinewsSpider, split_arg
from finews_crawler.storage import StoreError
from pipelines.extract import check_fetch
from pipelines.run import IngestRun, StageFailure

FEED_PRIORITY = 10  # feed pages go ahead of queued articles, so paging never starves


def is_feed_page(context: dict[str, Any] | None) -> bool:
    return context is not None and "feed_page" in context and "info_code" not in context


class FeedSpider(FinewsSpider):
    """Every East Money feed: feed pages -> text API per article."""

    name = "feeds"
    feed_names: ClassVar[tuple[str, ...]] = tuple(FEEDS)
    spider_arguments: ClassVar[dict[str, str]] = {
        "feeds": "comma-separated feeds to page (default: all of this spider's)",
        "since": "backfill down to this time: 2024-05-01, '2024-05-01 08:00' (Beijing) or 6h/2d",
        "max_pages": "never page deeper than N pages",
        "refresh": "1: fetch known articles again too",
        "count": "entries per feed page (default 100)",
    }

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
        self._paging: FeedPaging | None = None

    @property
    def paging(self) -> FeedPaging:
        """Created on first use, once the pipelines have set up the store (spool wrapper)."""
        if self._paging is None:
            self._paging = FeedPaging(
                IngestRun.of(self.crawler).store,
                self.options,
                settings=self.settings,
                stats=self.crawler.stats,
                record=self._record,
                shared=is_distributed(self.settings),
            )
            # The run report waits for the feeds' verdict before it counts (extensions.py).
            hooks = getattr(self.crawler, "finews_before_report", None)
            if hooks is None:
                hooks = []
                setattr(self.crawler, "finews_before_report", hooks)  # noqa: B010
            hooks.append(self._paging.finish)
        return self._paging

    def _record(self, url: str, reason: str, stage: str = "feed") -> None:
        """A failure record about a feed page or entry, through the ingest run (counted)."""
        item = {"url": url, "context": {"entry_url": url}, "spider": self.name}
        IngestRun.of(self.crawler).fail(item, StageFailure(stage, reason))

    # ---- requests ------------------------------------------------------------------------

    def start_page_requests(self) -> Iterable[scrapy.Request]:
        for name in self.selected:
            yield self.feed_request(name, 1)

    def feed_request(self, name: str, page: int, carry: Carry | None = None) -> scrapy.Request:
        feed = FEEDS[name]
        setting = "FINEWS_MARKET_FEED_BASE" if feed.market_host else "FINEWS_FEED_BASE"
        context = {
            "feed": name,
            "feed_page": page,
            "article_base": self.settings.get("FINEWS_SHARE_BASE"),
        }
        if carry is not None:
            context["feed_carry"] = carry.to_context()
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
        if is_feed_page(context):
            return request.replace(callback=self.parse_feed, priority=FEED_PRIORITY)
        return request

    # ---- responses -----------------------------------------------------------------------

    async def parse_feed(self, response: Response, context: dict[str, Any]) -> AsyncIterator[Any]:
        """Entries the pager wants become article requests; a bad feed page a failure record,
        and paging goes on as the feed's paging kind allows."""
        raw = self.raw_page(response, context)
        listing, failure = self._listing(raw)
        if listing is None:
            assert failure is not None  # _listing names why when it has no listing
            for request in self._page_failed(raw, failure):
                yield request
            return
        name, number = context["feed"], int(context["feed_page"])
        try:
            step = await self.paging.page(
                name, FEEDS[name].paging, number, raw["url"], listing, context.get("feed_carry")
            )
        except Exception as exc:  # a store that stayed away, or any bug: unfinished, recorded
            stage = "store" if isinstance(exc, StoreError) else "feed"
            reason = f"paging stopped at page {number}: {type(exc).__name__}: {exc}"[:300]
            self.paging.problem(name, raw["url"], reason, stage)
            self.paging.run_of(name).stop = f"{stage}_error"
            return
        for entry in step.follow:
            yield self.page_request(entry.url, entry.context)
        if step.next_page:
            yield self.feed_request(name, number + 1, step.carry)

    @staticmethod
    def _listing(raw: RawPage) -> tuple[FeedListing | None, StageFailure | None]:
        """The page's entries, or why it cannot be read (as the pipelines would say it)."""
        try:
            check_fetch(raw)
        except StageFailure as failure:
            return None, failure
        page = Page.of(raw)
        reader = getattr(adapter_for(page.address), "read_feed", None)
        if reader is None:
            return None, StageFailure("extract", f"no feed reader for {page.address!r}")
        try:
            return reader(page), None
        except ExtractionError as exc:
            return None, StageFailure("extract", exc.reason, retriable=exc.retriable)
        except Exception as exc:  # a feed body that breaks the reader: a record, not a crash
            return None, StageFailure("extract", f"{type(exc).__name__}: {exc}"[:300])

    def _page_failed(self, raw: RawPage, failure: StageFailure) -> Iterator[scrapy.Request]:
        """Fetched again (requeue) or recorded; then paging goes on if the feed allows."""
        record = IngestRun.of(self.crawler).fail(raw, failure)
        if record.get("requeued"):
            return  # the same page comes back to parse_feed
        context = raw["context"]
        name, number = context["feed"], int(context["feed_page"])
        step = self.paging.page_failed(name, FEEDS[name].paging, number, context.get("feed_carry"))
        if step.next_page:
            yield self.feed_request(name, number + 1, step.carry)

    def on_error(self, failure: Failure) -> Iterable[Any]:
        """A feed page that got no response after retries: recorded, paging goes on."""
        request = failure.request  # type: ignore[attr-defined]  # set by Scrapy on errbacks
        context = request.cb_kwargs.get("context")
        if not is_feed_page(context):
            yield from super().on_error(failure)
            return
        error = f"{type(failure.value).__name__}: {failure.getErrorMessage()}"[:300]
        raw = self.failed_page(request.url, error, context)
        _, why = self._listing(raw)
        yield from self._page_failed(raw, why or StageFailure("fetch", error))

    async def closed(self, reason: str) -> None:
        if self._paging is not None:
            await self._paging.finish(reason)


class EmNewsSpider(FeedSpider):
    """The rolling news feed (emnews)."""

    name = "emnews"
    feed_names: ClassVar[tuple[str, ...]] = ("emnews",)


class EmMediaSpider(FeedSpider):
    """The media feed (emmedia)."""

    name = "emmedia"
    feed_names: ClassVar[tuple[str, ...]] = ("emmedia",)


class EmMarketSpider(FeedSpider):
    """The three market feeds (emmarket37/38/39)."""

    name = "emmarket"
    feed_names: ClassVar[tuple[str, ...]] = ("emmarket37", "emmarket38", "emmarket39")
