"""Let the follow-up requests of a re-fetched article past the duplicate filter."""

from __future__ import annotations

from scrapy.http import Request


class RequeuedFollowUpsMiddleware:
    """Spider middleware: requests made on behalf of a requeued article skip the dupe filter.

    crawl/requeue.py fetches an article again from its entry URL; the follow-ups (the text
    API behind a share page) were seen before and would otherwise be filtered, silently.
    """

    @staticmethod
    def _mark(entry):
        if isinstance(entry, Request):
            context = (entry.cb_kwargs or {}).get("context") or {}
            if context.get("requeues"):
                entry.dont_filter = True
        return entry

    def process_spider_output(self, response, result, spider=None):
        for entry in result:
            yield self._mark(entry)

    async def process_spider_output_async(self, response, result, spider=None):
        async for entry in result:
            yield self._mark(entry)
