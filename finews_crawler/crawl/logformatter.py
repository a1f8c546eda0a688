"""Short log lines for items: the reason and id, never the whole article."""

from __future__ import annotations

import logging

from scrapy import logformatter


class FinewsLogFormatter(logformatter.LogFormatter):
    def dropped(self, item, exception, response, spider=None):
        # Failures are already logged once, with URL and stage, by StoreComponent.fail.
        return {"level": logging.DEBUG, "msg": "Dropped: %(reason)s", "args": {"reason": exception}}

    def scraped(self, item, response, spider=None):
        return {"level": logging.DEBUG, "msg": "Scraped %(id)s", "args": {"id": item.get("_id")}}
