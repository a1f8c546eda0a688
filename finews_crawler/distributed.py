"""Distributed mode: with FINEWS_REDIS_URL set, `finews crawl` workers share one frontier.

scrapy-redis supplies the engine: its Scheduler keeps the request queue in Redis and its
RFPDupeFilter keeps the fingerprints there, so any number of workers on any machines pop from
one queue and every request is made once. Articles still go to the one store (FINEWS_STORE).

What scrapy-redis leaves open, and this module settles:

- Seeding: every worker runs the spider's `async def start()`; the shared dupefilter drops the
  copies, so the feeds' first pages are requested once however many workers start.
- When a worker may stop: a worker whose queue is empty keeps waiting while another worker
  is still busy (its responses may add requests), seen through heartbeats in Redis, and stops
  once everyone has been idle for FINEWS_REDIS_IDLE_SECONDS.
- One crawl "round" at a time: the frontier persists while workers come and go
  (SCHEDULER_PERSIST), and the last worker to leave clears the queue and the fingerprints,
  so the next round (the next scheduled run) starts fresh, as a local crawl would; what was
  stored is skipped by the store, not by stale fingerprints.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from twisted.internet import task

logger = logging.getLogger("finews.distributed")

KEY_PREFIX = "finews:%(spider)s"
HEARTBEAT_SECONDS = 1.0
DEAD_AFTER_SECONDS = 30.0  # a worker silent this long has died (SIGKILL, lost machine)


def is_distributed(settings) -> bool:
    return bool(settings.get("FINEWS_REDIS_URL"))


def redis_settings(url: str) -> dict[str, Any]:
    """The scrapy-redis settings distributed mode applies (an explicit -s still wins)."""
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": url,
        "SCHEDULER_PERSIST": True,  # a finishing worker must not wipe what others work on
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"{KEY_PREFIX}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{KEY_PREFIX}:dupefilter",
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,  # never block the reactor on BRPOP
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
        settings.set_in_component_priority_dict("EXTENSIONS", SharedFrontier, 100)
        # JOBDIR state is per machine; the frontier lives in Redis instead.
        settings.set("JOBDIR", None, priority="addon")


class SharedFrontier:
    """Worker registry, idle agreement and end-of-round cleanup for scrapy-redis workers."""

    def __init__(self, crawler, idle_seconds: float) -> None:
        from scrapy_redis.connection import get_redis_from_settings

        self.crawler = crawler
        self.idle_seconds = idle_seconds
        self.server = get_redis_from_settings(crawler.settings)
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.idle_since: float | None = None
        self.loop: task.LoopingCall | None = None
        self.keys: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler) -> SharedFrontier:
        if not is_distributed(crawler.settings):
            raise NotConfigured
        extension = cls(crawler, crawler.settings.getfloat("FINEWS_REDIS_IDLE_SECONDS", 5.0))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider) -> None:
        settings = self.crawler.settings
        name = {"spider": spider.name}
        self.keys = {
            "workers": f"{KEY_PREFIX % name}:workers",
            "queue": settings.get("SCHEDULER_QUEUE_KEY") % name,
            "dupefilter": settings.get("SCHEDULER_DUPEFILTER_KEY") % name,
        }
        self.beat()
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(HEARTBEAT_SECONDS, now=False)
        logger.info("worker %s joined the shared frontier of %s", self.worker, spider.name)

    def busy(self) -> bool:
        engine = self.crawler.engine
        try:
            return bool(engine.downloader.active) or not engine.scraper.slot.is_idle()
        except AttributeError:  # engine not fully open yet / already closed
            return True

    def beat(self) -> None:
        busy = self.busy()
        state = {"at": time.time(), "busy": busy}
        self.server.hset(self.keys["workers"], self.worker, json.dumps(state))
        if not busy:
            self.nudge()

    def nudge(self) -> None:
        """An idle worker looks at the shared queue every beat. Scrapy itself only looks again
        at its 5-second heartbeat, and a busy worker drains the queue in between, so an idle
        one would stay idle. (Engine internals, checked by tests/test_distributed.py.)"""
        nextcall = getattr(getattr(self.crawler.engine, "_slot", None), "nextcall", None)
        if nextcall is not None and self.server.zcard(self.keys["queue"]):
            nextcall.schedule()

    def live_workers(self) -> dict[str, dict[str, Any]]:
        """Workers that have beaten recently; dead entries are pruned."""
        now = time.time()
        live = {}
        for worker, raw in self.server.hgetall(self.keys["workers"]).items():
            name = worker.decode() if isinstance(worker, bytes) else worker
            state = json.loads(raw)
            if now - state.get("at", 0) > DEAD_AFTER_SECONDS:
                self.server.hdel(self.keys["workers"], name)
                logger.warning("worker %s stopped beating; dropped from the registry", name)
                continue
            live[name] = state
        return live

    def spider_idle(self, spider) -> None:
        """Stay while the queue has work or any worker is busy; leave after a quiet spell."""
        self.beat()
        others_busy = any(
            state.get("busy") for name, state in self.live_workers().items() if name != self.worker
        )
        if others_busy or self.server.zcard(self.keys["queue"]):
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_seconds:
            raise DontCloseSpider

    def spider_closed(self, spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.server.hdel(self.keys["workers"], self.worker)
        if not self.live_workers() and reason == "finished":
            self.server.delete(self.keys["queue"], self.keys["dupefilter"])
            logger.info("last worker of %s left: frontier cleared for the next round", spider.name)
