"""PushOnStore: a crawl publishes as it stores. Active only when a push target is set
(FINEWS_PUSH_REDIS / FINEWS_PUSH_WEBHOOK, environment or `-s`).

A thread with its own store connection drains the outbox every FINEWS_PUSH_INTERVAL seconds
while the crawl runs; at the end (after the last batch is written, before the run report
counts) one more drain publishes the rest. Dead letters count as the crawl's failures, so
the exit status says so. A crawl killed mid-way loses nothing: its entries are in the
outbox, and the next crawl's (or `finews push`'s) drain resumes from the stored cursor.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import threads

from finews_crawler.config import PushConfig
from finews_crawler.crawl.store_component import STATS_PREFIX
from finews_crawler.push.publisher import DrainResult
from finews_crawler.push.runner import build_publishers, build_targets, drain_all
from finews_crawler.storage import open_store

logger = logging.getLogger("finews.push")
JOIN_SECONDS = 60.0


class PushOnStore:
    def __init__(self, crawler: Any, config: PushConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.store_uri = crawler.settings.get("FINEWS_STORE") or None
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.result = DrainResult()
        self.errors = 0  # drains that broke off (target or store unreachable)

    @classmethod
    def from_crawler(cls, crawler: Any) -> PushOnStore:
        config = PushConfig.resolve(settings=crawler.settings)
        if not config.configured or not crawler.settings.getbool("FINEWS_PUSH_ENABLED", True):
            raise NotConfigured  # no push target; without a message Scrapy logs nothing
        extension = cls(crawler, config)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        hooks = getattr(crawler, "finews_before_report", None)
        if hooks is None:
            hooks = []
            setattr(crawler, "finews_before_report", hooks)  # noqa: B010
        hooks.append(extension.finish)
        return extension

    def spider_opened(self, spider: Any) -> None:
        self.thread = threading.Thread(target=self._run, args=(True,), name="finews-push")
        self.thread.daemon = True
        self.thread.start()

    def _run(self, following: bool) -> DrainResult:
        """Own store connection and targets. While following, a failed drain is logged and
        tried again; the final drain's failure counts as one of the crawl's failures."""
        result = DrainResult()
        try:
            with open_store(self.store_uri) as store:
                targets = build_targets(self.config)
                try:
                    publishers = build_publishers(store, self.config, targets)
                    while True:
                        try:
                            result.add(drain_all(publishers, self.stop if following else None))
                        except Exception:
                            if not following:
                                raise
                            logger.exception("push: a drain failed; trying again")
                        if not following or self.stop.wait(self.config.interval):
                            break
                finally:
                    for target in targets:
                        target.close()
        except ValueError as exc:  # a bad target (no secret, not a URL): one line
            logger.error("push: %s (the outbox keeps the articles)", exc)
            self.errors += 0 if following else 1
        except Exception:
            logger.exception("push: publishing failed (the outbox keeps the articles)")
            self.errors += 0 if following else 1
        self.result.add(result)
        return result

    async def finish(self, reason: str) -> None:
        """Stop the following thread, then drain once more: everything stored is published."""
        from scrapy.utils.defer import maybe_deferred_to_future

        self.stop.set()
        if self.thread is not None:
            await maybe_deferred_to_future(threads.deferToThread(self.thread.join, JOIN_SECONDS))
        final = await maybe_deferred_to_future(threads.deferToThread(self._run, False))
        stats = self.crawler.stats
        stats.set_value("push/delivered", self.result.delivered)
        stats.set_value("push/dead_letters", self.result.dead_letters)
        # A target still away at the end: the articles wait in the outbox, the run says so.
        errors = self.errors + (1 if final.unavailable else 0)
        if self.result.dead_letters or errors:
            stats.inc_value(STATS_PREFIX + "failures", self.result.dead_letters + errors)
        logger.info(
            "push: %d delivered, %d dead letters", self.result.delivered, self.result.dead_letters
        )
