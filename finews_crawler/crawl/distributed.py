"""Distributed mode: with FINEWS_REDIS_URL set, `finews crawl` workers share one frontier.

scrapy-redis supplies the engine: its Scheduler keeps the request queue in Redis and its
RFPDupeFilter keeps the fingerprints there, so any number of workers on any machines pop from
one queue and every request is made once. Articles still go to the one store (FINEWS_STORE).

What scrapy-redis leaves open, and this module settles:

- A worker killed with SIGKILL loses nothing: every pop is a lease (distributed_queue.py),
  renewed while the worker works on the request, acknowledged only once the engine is done
  with it (downloaded, called back, its follow-ups queued, its items through the pipelines),
  and given back to the queue by any live worker's reaper once it expires. Each article is
  written as it completes (store batch of 1), so a finished request is a stored article.
- Seeding: every worker runs the spider's `async def start()`; the shared dupefilter drops the
  copies, so the feeds' first pages are requested once however many workers start.
- When a worker may stop: while anything is queued or leased (another worker's in-flight
  requests may add more, a dead worker's come back when their leases expire) it waits; it
  stops once nothing has been pending for FINEWS_REDIS_IDLE_SECONDS.
- One crawl "round" at a time: the frontier persists while workers come and go
  (SCHEDULER_PERSIST). A worker that starts when nothing is pending starts a new round and
  clears the last one's fingerprints, whoever left them and whether or not its workers died,
  so the next scheduled run starts fresh, as a local crawl would; what was stored is skipped
  by the store, not by stale fingerprints.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from finews_crawler.crawl.distributed_queue import LeasedPriorityQueue

logger = logging.getLogger("finews.distributed")

KEY_PREFIX = "finews:%(spider)s"
TICK_SECONDS = 1.0  # leases renewed, finished ones acknowledged, expired ones reaped
DEFAULT_LEASE_SECONDS = 30.0
# Sent by SeedingDone when the spider's start() is exhausted (its requests are queued).
start_requests_queued = object()


def is_distributed(settings) -> bool:
    return bool(settings.get("FINEWS_REDIS_URL"))


def redis_settings(url: str) -> dict[str, Any]:
    """The scrapy-redis settings distributed mode applies (an explicit -s still wins)."""
    return {
        "SCHEDULER": "finews_crawler.crawl.distributed.LeasingScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": url,
        "SCHEDULER_PERSIST": True,  # a finishing worker must not wipe what others work on
        "SCHEDULER_QUEUE_CLASS": "finews_crawler.crawl.distributed_queue.LeasedPriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"{KEY_PREFIX}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{KEY_PREFIX}:dupefilter",
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,  # never block the reactor on BRPOP
        # An article is written before its request is acknowledged: a killed worker holds
        # no finished-but-unwritten articles (a larger -s batch gives that guarantee up).
        "FINEWS_STORE_BATCH_SIZE": 1,
        "FINEWS_STORE_WRITE_THROUGH": True,  # ... and the item is done only once written
    }


class DistributedMode:
    """Scrapy add-on: applies scrapy-redis when FINEWS_REDIS_URL is set (else does nothing)."""

    def update_settings(self, settings) -> None:
        url = settings.get("FINEWS_REDIS_URL")
        if not url:
            return
        for name, value in redis_settings(url).items():
            # "project" priority: over settings.py's own choices (the compact dupefilter),
            # under anything given with -s.
            settings.set(name, value, priority="project")
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", SeedingDone, 0)
        # JOBDIR state is per machine; the frontier lives in Redis instead.
        settings.set("JOBDIR", None, priority="addon")


class SeedingDone:
    """Spider middleware: tells the scheduler when the spider's start requests are queued."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler) -> SeedingDone:
        if not is_distributed(crawler.settings):
            raise NotConfigured
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        try:
            async for item_or_request in start:
                yield item_or_request
        finally:
            self.crawler.signals.send_catch_log(start_requests_queued)


class LeasingScheduler(Scheduler):
    """scrapy-redis's Scheduler over a leased queue: renews, acknowledges and reaps leases,
    joins or starts the round, and keeps the worker while anything is pending."""

    crawler: Any
    lease_seconds: float
    idle_seconds: float
    worker: str
    queue: LeasedPriorityQueue

    @classmethod
    def from_crawler(cls, crawler) -> LeasingScheduler:
        scheduler = super().from_crawler(crawler)
        settings = crawler.settings
        scheduler.crawler = crawler
        scheduler.lease_seconds = settings.getfloat(
            "FINEWS_REDIS_LEASE_SECONDS", DEFAULT_LEASE_SECONDS
        )
        scheduler.idle_seconds = settings.getfloat("FINEWS_REDIS_IDLE_SECONDS", 5.0)
        scheduler.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        scheduler.idle_since = None
        scheduler.loop = None
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler.seeded, signal=start_requests_queued)
        return scheduler

    def open(self, spider) -> None:
        super().open(spider)
        if not isinstance(self.queue, LeasedPriorityQueue):
            raise ValueError(
                f"distributed mode needs SCHEDULER_QUEUE_CLASS = LeasedPriorityQueue,"
                f" got {type(self.queue).__name__}"
            )
        engine = self.crawler.engine
        if not hasattr(engine.downloader, "active") or not hasattr(engine, "scraper"):
            raise RuntimeError("this Scrapy's engine does not expose the requests in progress")
        self.queue.owner = self.worker
        self.queue.lease_ms = round(self.lease_seconds * 1000)
        fresh = self.queue.join(self.df.key)
        if fresh:
            logger.info("worker %s started a new round of %s", self.worker, spider.name)
        else:
            logger.info(
                "worker %s joined the round of %s under way (%d requests pending)",
                self.worker,
                spider.name,
                self.queue.pending(),
            )
        self.loop = task.LoopingCall(self.tend)
        self.loop.start(TICK_SECONDS, now=False)

    def in_progress(self) -> set[Any] | None:
        """The requests the engine is still working on: in the downloader
        (`engine.downloader.active`) or being scraped, callback and items
        (`engine.scraper.slot.active`). A request passes from one to the other within one
        callback chain, so between reactor turns it is always in one of them until done.
        None before the engine has its scraper slot."""
        engine = getattr(self.crawler, "engine", None)
        scraper_slot = getattr(getattr(engine, "scraper", None), "slot", None)
        if engine is None or scraper_slot is None:
            return None
        return set(engine.downloader.active) | set(scraper_slot.active)

    def seeded(self) -> None:
        self.queue.seeded()

    def settle(self) -> int:
        """Acknowledge the leased requests the engine is done with.

        A request is in progress from the pop until its download, callback, follow-ups and
        items are all handled (see in_progress; checked by tests/test_distributed.py, which
        kills a worker mid-crawl); a retry or redirect is a new request, queued by then."""
        inprogress = self.in_progress()
        if inprogress is None:
            return 0
        done = [lease for lease, request in self.queue.held.items() if request not in inprogress]
        return self.queue.ack(done)

    def tend(self) -> None:
        """Every tick: acknowledge, renew, reap; wake the engine when the queue has work."""
        try:
            self.settle()
            lost = self.queue.renew()
            if lost:
                logger.warning(
                    "%d lease(s) of %s expired before renewal (stalled?); their requests"
                    " were given to other workers",
                    lost,
                    self.worker,
                )
            requeued = self.queue.reap()
            if requeued:
                self.crawler.stats.inc_value("distributed/requeued", requeued)
                logger.warning(
                    "%d request(s) whose lease expired (their worker died or stalled)"
                    " are back in the shared queue",
                    requeued,
                )
            self.nudge()
        except RedisError as exc:
            logger.warning("shared frontier unreachable: %s", exc)

    def nudge(self) -> None:
        """Scrapy itself only looks at an empty scheduler again at its 5-second heartbeat;
        requests other workers queue (or the reaper returns) are taken up within a tick.
        Scrapy has no public call for this: the engine's slot is private, so this is a speed-up
        only; without it the heartbeat takes them up within 5 seconds."""
        slot = getattr(getattr(self.crawler, "engine", None), "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None and len(self.queue):
            nextcall.schedule()

    def spider_idle(self, spider) -> None:
        """Stay while anything is queued or leased; leave after a quiet spell."""
        self.tend()
        try:
            pending = self.queue.pending()
        except RedisError as exc:  # unknown is not done: the exit status must say so
            logger.error("shared frontier unreachable, stopping unfinished: %s", exc)
            raise CloseSpider("frontier_unreachable") from None
        if pending:
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_seconds:
            raise DontCloseSpider

    def close(self, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        try:
            self.settle()
            unfinished = list(self.queue.held)
            if unfinished:  # the engine gave up on them (forced stop): back to the queue
                self.queue.release(unfinished)
                logger.warning("%d unfinished request(s) returned to the queue", len(unfinished))
            self.queue.seeded()
            pending = self.queue.leave(self.df.key)
        except RedisError as exc:
            logger.warning("shared frontier unreachable at close: %s", exc)
            return
        if pending:
            logger.info("%d request(s) of this round remain for the other workers", pending)
        else:
            logger.info("round of %s complete: fingerprints cleared", self.spider.name)
        super().close(reason)
