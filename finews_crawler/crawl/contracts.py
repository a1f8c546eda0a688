"""`scrapy check` contracts that run against any host: `@site SETTING PATH`.

Scrapy's `@url` needs a fixed URL, but our spiders read hosts from settings (the real source,
a mirror, the mock site on loopback). `@site FINEWS_SHARE_BASE /html_News/...` requests PATH on
the host that setting names, so `scrapy check -s FINEWS_SHARE_BASE=http://127.0.0.1:8765`
checks the spiders against the mock site (`finews mock-site`, default seed: the article ids
in the contracts are that corpus's), never the network by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scrapy.contracts import Contract


class SiteUrlContract(Contract):
    """@site SETTING PATH: the request URL is the setting's host followed by PATH."""

    name = "site"

    def __init__(self, method: Callable[..., Any], *args: Any) -> None:
        super().__init__(method, *args)
        self.spider = getattr(method, "__self__", None)

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        if len(self.args) != 2:
            raise ValueError(f"@site expects SETTING PATH, got {' '.join(self.args)!r}")
        setting, path = self.args
        host = str(getattr(self.spider, "settings", {}).get(setting) or "").rstrip("/")
        if not host:
            raise ValueError(f"@site: setting {setting} names no host")
        args["url"] = host + path
        return args
