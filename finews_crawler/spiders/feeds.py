"""The generic feed spider: every source's feeds, paged incrementally, each entry to its article.

Sources describe their feeds (`SourceAdapter.feeds()`: name, paging kind, how to build the first
and the next page's request); this one spider serves them all, and a spider per name a source
groups its feeds under (FeedSpec.spiders) is made from it below:
finews crawl feeds      every feed of every source in one run (an article met twice is fetched once)
finews crawl emnews     East Money rolling news; emmedia, emmarket: see the source's feeds()

Arguments: -a since=2024-05-01|6h  -a max_pages=N  -a refresh=1  -a count=100
           -a feeds=NAME,NAME (the `feeds` spider only)
Hosts: each source's settings (its adapter's settings_defaults()).

The spider stays thin: the adapter reads the feed page (read_feed), the crawl's pager
(finews_crawler/crawl/incremental.py, rule in finews_crawler/crawl/paging) decides what to fetch
and when to stop paging, the pipelines do the rest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from finews_crawler.crawl.distributed import is_distributed
from finews_crawler.crawl.fetch_check import check_fetch
from finews_crawler.crawl.incremental import FeedPaging, PagingOptions
from finews_crawler.crawl.paging import Carry, FeedListing
from finews_crawler.crawl.store_component import StageFailure, StoreComponent
from finews_crawler.items import RawPage
from finews_crawler.sources import (
    ExtractionError,
    FeedRequest,
    FollowUp,
    Page,
    adapter_for,
    all_feeds,
)
from finews_crawler.spiders.base import FinewsSpider, split_names
from finews_crawler.storage import StoreError

FEED_PRIORITY = 10  # feed pages go ahead of queued articles, so paging never starves
FEEDS = all_feeds()  # feed name -> (adapter, FeedSpec), every source's
# Context keys of a feed page's request that are the paging's, not the source's.
PAGING_KEYS = ("feed", "feed_page", "feed_carry", "requeues")


def is_feed_page(context: dict[str, Any] | None) -> bool:
    return context is not None and "feed_page" in context and "article_id" not in context


class FeedSpider(FinewsSpider):
    """Every source's feeds (a named one with -a feeds=): feed pages -> articles."""

    name = "feeds"
    feed_names: ClassVar[tuple[str, ...]] = tuple(
        name for name, (_, spec) in FEEDS.items() if spec.in_all
    )
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
        self.selected = split_names(feeds) or list(self.feed_names)
        # `feeds` pages any feed named with -a feeds= (also one left out of its default set,
        # e.g. when `finews retry` hands it a wire's failure); a group spider only its own.
        servable = FEEDS if self.name == FeedSpider.name else self.feed_names
        unknown = [name for name in self.selected if name not in servable]
        if unknown:
            raise ValueError(
                f"unknown feed(s) {', '.join(unknown)}; {self.name} serves {', '.join(servable)}"
            )
        self.options = PagingOptions.from_args(since, max_pages, refresh)
        if count is not None and not (str(count).isdigit() and int(count) > 0):
            raise ValueError(f"count must be a positive whole number, got {count!r}")
        self.page_size = int(count or 100)
        self._paging: FeedPaging | None = None

    @property
    def paging(self) -> FeedPaging:
        """Created on first use, once the pipelines have set up the store (spool wrapper)."""
        if self._paging is None:
            self._paging = FeedPaging(
                StoreComponent.of(self.crawler).store,
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
        """A failure record about a feed page or entry, through the store component (counted)."""
        item = {"url": url, "context": {"entry_url": url}, "spider": self.name}
        StoreComponent.of(self.crawler).fail(item, StageFailure(stage, reason))

    # ---- requests ------------------------------------------------------------------------

    def start_page_requests(self) -> Iterable[scrapy.Request]:
        for name in self.selected:
            yield self.feed_request(name, FEEDS[name][1].first(self.settings, self.page_size))

    def feed_request(
        self, name: str, request: FeedRequest, carry: Carry | None = None
    ) -> scrapy.Request:
        context = {**request.context, "feed": name, "feed_page": request.page}
        if carry is not None:
            context["feed_carry"] = carry.to_context()
        return self.page_request(request.url, context)

    def next_request(
        self, url: str, context: dict[str, Any], listing: FeedListing | None, carry: Carry | None
    ) -> Iterator[scrapy.Request]:
        """The request after this page, as the feed's source builds it (None: the source
        sees the end of the feed, e.g. a cursor feed's answer without a next cursor)."""
        name = context["feed"]
        own = {key: value for key, value in context.items() if key not in PAGING_KEYS}
        current = FeedRequest(url, int(context["feed_page"]), own)
        after = FEEDS[name][1].next(current, listing, self.settings, self.page_size)
        if after is not None:
            yield self.feed_request(name, after, carry)

    def page_request(
        self, url: str, context: dict[str, Any] | None = None, *, dont_filter: bool = False
    ) -> scrapy.Request:
        """Feed pages go to parse_feed, ahead of queued articles, so that paging never starves;
        also when the page is fetched again after an unusable answer (crawl/requeue.py).
        Filterable on purpose: with scrapy-redis the shared dupefilter makes N workers' seeds
        one request; locally a JOBDIR's seen-set is reset per job (jobdir.py)."""
        request = super().page_request(url, context, dont_filter=dont_filter)
        if is_feed_page(context):
            return request.replace(callback=self.parse_feed, priority=FEED_PRIORITY)
        return request

    # ---- responses -----------------------------------------------------------------------

    def parse_page(self, response: Response, context: dict[str, Any]) -> Iterable[Any]:
        """An entry's article page becomes one RawPage with the entry's context
        (FinewsSpider.parse_page); the contract, for `scrapy check` against the mock site
        (finews_crawler/crawl/contracts.py):

        @site FINEWS_SHARE_BASE /NewsData/GetNewsText.do?id=NW202201032300000000
        @cb_kwargs {"context": {"feed_media": "contract"}}
        @returns items 1 1
        @returns requests 0 0
        @scrapes url final_url status text context spider
        """
        return super().parse_page(response, context)

    async def parse_feed(self, response: Response, context: dict[str, Any]) -> AsyncIterator[Any]:
        """Entries the pager wants become article requests; a bad feed page a failure record,
        and paging goes on as the feed's paging kind allows. (No `scrapy check` contract:
        Scrapy < 2.19 runs none on async callbacks; the feed tests cover it.)"""
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
                name, FEEDS[name][1].paging, number, raw["url"], listing, context.get("feed_carry")
            )
        except Exception as exc:  # a store that stayed away, or any bug: unfinished, recorded
            stage = "store" if isinstance(exc, StoreError) else "feed"
            reason = f"paging stopped at page {number}: {type(exc).__name__}: {exc}"[:300]
            self.paging.problem(name, raw["url"], reason, stage)
            self.paging.run_of(name).stop = f"{stage}_error"
            return
        for entry in step.follow:
            yield (
                self.entry_page(entry)
                if entry.text is not None
                else self.page_request(entry.url, entry.context)
            )
        if step.next_page:
            for request in self.next_request(raw["url"], context, listing, step.carry):
                yield request

    def entry_page(self, entry: FollowUp) -> RawPage:
        """A feed entry that is the whole article (a wire item): a RawPage without a fetch."""
        context = {**entry.context}
        context.setdefault("entry_url", entry.url)
        return RawPage(
            url=entry.url,
            final_url=entry.url,
            status=200,
            text=entry.text,
            content_type=entry.content_type,
            error=None,
            context=context,
            spider=self.name,
            fetched_at=datetime.now(UTC),
        )

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
        record = StoreComponent.of(self.crawler).fail(raw, failure)
        if record.get("requeued"):
            return  # the same page comes back to parse_feed
        context = raw["context"]
        name, number = context["feed"], int(context["feed_page"])
        kind = FEEDS[name][1].paging
        step = self.paging.page_failed(name, kind, number, context.get("feed_carry"))
        if step.next_page:
            yield from self.next_request(raw["url"], context, None, step.carry)

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


def _grouped_spiders() -> dict[str, tuple[str, ...]]:
    """Spider name -> the feeds it pages, as the sources group them (FeedSpec.spiders)."""
    groups: dict[str, list[str]] = {}
    for name, (_, spec) in FEEDS.items():
        for spider in spec.spiders:
            groups.setdefault(spider, []).append(name)
    return {spider: tuple(names) for spider, names in groups.items()}


# One FeedSpider subclass per group, so that `scrapy list` and `finews crawl NAME` find them.
for _spider, _names in _grouped_spiders().items():
    globals()[f"{_spider.title()}Spider"] = type(
        f"{_spider.title()}Spider",
        (FeedSpider,),
        {
            "name": _spider,
            "feed_names": _names,
            "__module__": __name__,
            "__doc__": f"Feeds {', '.join(_names)} (as the source groups them).",
        },
    )
