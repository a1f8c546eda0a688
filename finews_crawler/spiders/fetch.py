"""Spider `fetch`: any URLs or article numbers, fetched once each, navigated by their adapters.

Behind `finews fetch`, and usable directly:
    finews crawl fetch -a url=https://news.example/a/202204132342073945.html
    finews crawl fetch -a targets="NW202204132342073945 202204132342073945" -a urls_file=f.txt

A target is a URL (share page, text API, article page, any other news page) or an article
number in a source's own notation (East Money: `NW` + 18 digits, or the bare 18 digits), which
that source's adapter turns into a URL (`SourceAdapter.request_for`, e.g. a share page on
FINEWS_SHARE_BASE). URLs are never split on commas: some old article URLs hold one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

from finews_crawler.config import checking_contracts
from finews_crawler.sources import all_adapters
from finews_crawler.spiders.base import FinewsSpider, read_lines

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_HOSTISH = re.compile(r"^[\w.-]+\.[a-z]{2,}(?::\d+)?(?:/|$)", re.I)


class BadTarget(ValueError):
    """The input is neither a URL nor an article number; the message says what it was."""


def target_url(target: str, settings: Any = None) -> str:
    """The URL to fetch for one command-line target (a URL, or an article number a source
    knows by its own notation)."""
    value = target.strip()
    for adapter in all_adapters():
        url = adapter.request_for(value, settings)
        if url:
            return url
    if _SCHEME.match(value):
        return value  # the link-safety middleware refuses non-http(s) schemes with a reason
    if _HOSTISH.match(value):
        return f"https://{value}"  # "news.example/a/1.html" pasted without a scheme
    raise BadTarget(f"not a URL or an article number (NW + 18 digits, 18 digits): {value!r}")


def split_targets(value: str | list[str] | None) -> list[str]:
    """Targets from a list, or a string separated by whitespace (never by commas)."""
    if not value:
        return []
    items = value if isinstance(value, list) else value.split()
    return [item.strip() for item in items if item and item.strip()]


def _check(target: str) -> BadTarget | None:
    try:
        target_url(target)
    except BadTarget as exc:
        return exc
    return None


class FetchSpider(FinewsSpider):
    """One-off fetches of given URLs or infoCodes (what `finews fetch` runs)."""

    name = "fetch"
    spider_arguments: ClassVar[dict[str, str]] = {
        "targets": "URLs and infoCodes, separated by spaces or commas",
        "url": "one URL",
        "urls_file": "a file of URLs/infoCodes, one a line",
    }

    def __init__(
        self,
        targets: str | list[str] | None = None,
        url: str | None = None,
        urls_file: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.targets = split_targets(targets) + split_targets(url) + read_lines(urls_file)
        self.arguments = {"targets": self.targets}
        if not self.targets and not checking_contracts():
            raise ValueError("fetch needs input: -a url=URL, -a targets='URL NW...' or urls_file")
        bad = [str(exc) for exc in map(_check, self.targets) if exc is not None]
        if bad:
            raise ValueError("; ".join(bad))

    def parse_page(self, response: Response, context: dict[str, Any]) -> Iterable[Any]:
        """A final page becomes one RawPage for the pipelines (FinewsSpider.parse_page); the
        contract, for `scrapy check` against the mock site (finews_crawler/crawl/contracts.py):

        @site FINEWS_SHARE_BASE /NewsData/GetNewsText.do?id=NW202201032300000000
        @cb_kwargs {"context": {"target": "NW202201032300000000"}}
        @returns items 1 1
        @returns requests 0 0
        @scrapes url final_url status text content_type context spider fetched_at
        """
        return super().parse_page(response, context)

    def start_page_requests(self) -> Iterable[scrapy.Request]:
        for target in self.targets:
            url = target_url(target, self.settings)
            # dont_filter: the same URL given twice is answered twice, not silently dropped
            request = self.page_request(url, {"target": target})
            yield request.replace(dont_filter=True)
