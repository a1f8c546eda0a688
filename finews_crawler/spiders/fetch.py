"""Spider `fetch`: any URLs or infoCodes, fetched once each, navigated by their adapters.

Behind `finews fetch`, and usable directly:
    finews crawl fetch -a url=https://finance.eastmoney.com/a/202204132342073945.html
    finews crawl fetch -a targets="NW202204132342073945 202204132342073945" -a urls_file=f.txt

A target is a URL (share page, text API, article page, any other news page), an infoCode
(`NW` + 18 digits) or a bare 18-digit East Money id; the last two become share-page URLs on
FINEWS_SHARE_BASE. URLs are never split on commas: East Money's old article URLs hold one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

import scrapy

from finews_crawler.sources.eastmoney import as_info_code, share_url
from finews_crawler.spiders.base import FinewsSpider, read_lines

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_HOSTISH = re.compile(r"^[\w.-]+\.[a-z]{2,}(?::\d+)?(?:/|$)", re.I)


class BadTarget(ValueError):
    """The input is neither a URL nor an infoCode/article id; the message says what it was."""


def target_url(target: str, share_base: str) -> str:
    """The URL to fetch for one command-line target (URL, infoCode or 18-digit id)."""
    value = target.strip()
    code = as_info_code(value)
    if code:
        return share_url(share_base, code)
    if _SCHEME.match(value):
        return value  # the link-safety middleware refuses non-http(s) schemes with a reason
    if _HOSTISH.match(value):
        return f"https://{value}"  # "finance.eastmoney.com/a/....html" pasted without scheme
    raise BadTarget(f"not a URL, infoCode (NW + 18 digits) or 18-digit article id: {value!r}")


def split_targets(value: str | list[str] | None) -> list[str]:
    """Targets from a list, or a string separated by whitespace (never by commas)."""
    if not value:
        return []
    items = value if isinstance(value, list) else value.split()
    return [item.strip() for item in items if item and item.strip()]


def _check(target: str) -> BadTarget | None:
    try:
        target_url(target, "http://share.invalid")
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
        if not self.targets:
            raise ValueError("fetch needs input: -a url=URL, -a targets='URL NW...' or urls_file")
        bad = [str(exc) for exc in map(_check, self.targets) if exc is not None]
        if bad:
            raise ValueError("; ".join(bad))

    def start_page_requests(self) -> Iterable[scrapy.Request]:
        base = self.settings.get("FINEWS_SHARE_BASE")
        for target in self.targets:
            url = target_url(target, base)
            # dont_filter: the same URL given twice is answered twice, not silently dropped
            request = self.page_request(url, {"target": target})
            yield request.replace(dont_filter=True)
