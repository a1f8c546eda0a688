"""The generic spider machinery: follow what adapters ask for, hand every response on.

Each request ends in exactly one of: follow-up requests (the adapter's navigate), a RawPage
with the response, or a RawPage carrying the fetch error. Nothing is silently lost.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from finews_crawler.errors import callback_error
from finews_crawler.items import RawPage
from finews_crawler.sources import ExtractionError, Page, adapter_for, configure_sources

_LIST_SEPARATOR = re.compile(r"\s+|,(?=\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:|NW|nw|\d{18}(?:[,\s]|$)))")


def split_arg(value: str | None) -> list[str]:
    """`-a url=a,b` and whitespace separated lists alike.

    A comma separates items only before a new URL or article number (`NW` + 18 digits, or
    18 digits): some article URLs contain commas themselves (/news/1350,202205312398034850.html).
    """
    if not value:
        return []
    return [part.strip(" ,") for part in _LIST_SEPARATOR.split(value) if part.strip(" ,")]


def split_names(value: str | None) -> list[str]:
    """`-a feeds=emnews,emmarket38` (or spaces): plain names, so every comma separates."""
    return [part for part in re.split(r"[,\s]+", value or "") if part]


def iter_lines(path: str | None) -> Iterator[str]:
    """Non-empty, non-comment lines of a file, streamed: a 100,000-URL file is never in memory."""
    if not path:
        return
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                yield line


def read_lines(path: str | None) -> list[str]:
    """All of iter_lines() at once, for small files."""
    return list(iter_lines(path))


class FinewsSpider(scrapy.Spider):
    """Base for finews spiders: request helpers, navigation via adapters, RawPage output."""

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Any:
        # The sources learn the crawl's hosts and mirrors before the first URL is routed.
        configure_sources(crawler.settings)
        return super().from_crawler(crawler, *args, **kwargs)

    def page_request(
        self, url: str, context: dict[str, Any] | None = None, *, dont_filter: bool = False
    ) -> scrapy.Request:
        context = dict(context or {})
        context.setdefault("entry_url", url)
        return scrapy.Request(
            url,
            callback=self.parse_page,
            errback=self.on_error,
            cb_kwargs={"context": context},
            dont_filter=dont_filter,
        )

    def parse_page(self, response: Response, context: dict[str, Any]) -> Iterable[Any]:
        raw = self.raw_page(response, context)
        adapter = adapter_for(response.url)
        follow_ups = None
        if adapter is not None and 200 <= response.status < 300:
            follow_ups = self._navigate(adapter, raw)
        if follow_ups:
            for follow_up in follow_ups:
                yield self.page_request(
                    follow_up.url, follow_up.context, dont_filter=follow_up.dont_filter
                )
        else:
            yield raw

    @staticmethod
    def _navigate(adapter, raw: RawPage) -> list | None:
        """The adapter's follow-ups; None when the page is final or unreadable (the
        pipelines then extract it, or record why they cannot).

        An unforeseen exception (RecursionError, AttributeError, ...) ends the page as a
        failure naming it, never as a lost response.
        """
        try:
            return adapter.navigate(Page.of(raw))
        except ExtractionError:
            return None
        except Exception as exc:
            raw["error"] = callback_error("navigate", exc)
            return None

    def raw_page(self, response: Response, context: dict[str, Any]) -> RawPage:
        text = response.text if isinstance(response, TextResponse) else ""
        requested = response.request.url if response.request else response.url
        return RawPage(
            url=requested,
            final_url=response.url,
            status=response.status,
            text=text,
            content_type=(response.headers.get(b"Content-Type") or b"").decode("latin-1"),
            error=None if isinstance(response, TextResponse) else "not a text response",
            context=context,
            spider=self.name,
            fetched_at=datetime.now(UTC),
        )

    def on_error(self, failure: Failure) -> Iterable[RawPage]:
        """Network-level failures (after retries) become RawPages with the error."""
        request = failure.request  # type: ignore[attr-defined]  # set by Scrapy on errbacks
        error = f"{type(failure.value).__name__}: {failure.getErrorMessage()}"[:300]
        yield self.failed_page(request.url, error, request.cb_kwargs.get("context"))

    def callback_failure(self, response: Response, stage: str, exc: BaseException) -> RawPage:
        """The RawPage for a response whose callback raised: the pipelines record the error."""
        request = response.request
        context = (request.cb_kwargs or {}).get("context") if request is not None else None
        url = request.url if request is not None else response.url
        page = self.failed_page(url, callback_error(stage, exc), context)
        page["final_url"], page["status"] = response.url, response.status
        return page

    def failed_page(self, url: str, error: str, context: dict[str, Any] | None) -> RawPage:
        """A RawPage for a URL that gave no response: the pipelines record the error."""
        return RawPage(
            url=url,
            final_url=url,
            status=0,
            text="",
            content_type="",
            error=error,
            context=dict(context or {}),
            spider=self.name,
            fetched_at=datetime.now(UTC),
        )

    async def start(self) -> AsyncIterator[Any]:
        """Start requests, produced lazily: only when the scheduler has run dry.

        Scrapy otherwise drains start() into its queue as soon as the downloader is busy, and a
        100,000-URL input would sit in memory as 100,000 Request objects.
        """
        for request in self.start_page_requests():
            if self.crawler.engine.needs_backout():
                await self.crawler.signals.wait_for(signals.scheduler_empty)
            yield request

    def start_page_requests(self) -> Iterable[scrapy.Request | RawPage]:
        raise NotImplementedError

    def start_request_or_failure(
        self, url: str, context: dict[str, Any] | None = None
    ) -> scrapy.Request | RawPage:
        """A request for a user-given URL, or a RawPage saying why it cannot be requested."""
        try:
            return self.page_request(url, context)
        except ValueError as exc:
            return self.failed_page(
                url, f"invalid URL: {exc}", {**(context or {}), "entry_url": url}
            )
