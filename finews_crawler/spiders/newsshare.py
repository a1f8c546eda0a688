"""Spider `newsshare`: East Money share pages (and mirrors) -> text API -> RawPage.

scrapy crawl newsshare -a url=http://host/html_News/NewsShare.html?infoCode=NW...
finews crawl newsshare -a info_codes=NW202204132342073945,NW...
finews crawl newsshare -a urls_file=urls.txt -s FINEWS_SHARE_BASE=http://127.0.0.1:8000
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

from finews_crawler.config import checking_contracts
from finews_crawler.items import RawPage
from finews_crawler.sources.eastmoney import as_info_code, share_url
from finews_crawler.spiders.base import FinewsSpider, iter_lines, split_arg


class NewsShareSpider(FinewsSpider):
    """Share pages (and mirrors) -> text API per article."""

    name = "newsshare"
    spider_arguments: ClassVar[dict[str, str]] = {
        "url": "one share-page URL (or several, comma-separated)",
        "urls": "share-page URLs, comma-separated",
        "urls_file": "a file of share-page URLs, one a line",
        "info_codes": "infoCodes (NW...) or 18-digit ids, comma-separated",
    }

    def __init__(
        self,
        url: str | None = None,
        urls: str | None = None,
        urls_file: str | None = None,
        info_codes: str | None = None,
        *args,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.arguments = {
            key: value
            for key, value in (
                ("url", url),
                ("urls", urls),
                ("urls_file", urls_file),
                ("info_codes", info_codes),
            )
            if value
        }
        self.start_urls_given = split_arg(url) + split_arg(urls)
        self.urls_file = urls_file
        if urls_file and not Path(urls_file).is_file():
            raise ValueError(f"urls_file {urls_file!r} does not exist")
        # A bare 18-digit article number means its infoCode; a malformed code is still
        # requested, so that it ends as a failure record naming it.
        self.info_codes = [as_info_code(code) or code for code in split_arg(info_codes)]
        given = self.start_urls_given or self.info_codes or urls_file
        if not given and not checking_contracts():
            raise ValueError(
                "newsshare needs input: -a url=URL[,URL...], -a urls_file=FILE"
                " or -a info_codes=NW...[,NW...]"
            )

    def start_page_requests(self) -> Iterable[scrapy.Request | RawPage]:
        base = self.settings.get("FINEWS_SHARE_BASE")
        for url in itertools.chain(self.start_urls_given, iter_lines(self.urls_file)):
            yield self.start_request_or_failure(url)
        for code in self.info_codes:
            yield self.start_request_or_failure(share_url(base, code), {"info_code": code})

    def parse_page(self, response: Response, context: dict[str, Any]) -> Iterable[Any]:
        """A share page leads to its article's text API (FinewsSpider.parse_page); the
        contract, for `scrapy check` against the mock site (finews_crawler/crawl/contracts.py):

        @site FINEWS_SHARE_BASE /html_News/NewsShare.html?infoCode=NW202201032300000000
        @cb_kwargs {"context": {}}
        @returns requests 1 1
        @returns items 0 0
        """
        return super().parse_page(response, context)
