"""Build the configured targets and drain the outbox into each of them: once, or again and
again until stopped (`finews push --follow`, the crawl's push hook)."""

from __future__ import annotations

import threading

from finews_crawler.config import PushConfig
from finews_crawler.push.message import Target
from finews_crawler.push.publisher import DrainResult, Publisher
from finews_crawler.storage import Store


def build_targets(config: PushConfig) -> list[Target]:
    targets: list[Target] = []
    if config.redis:
        from finews_crawler.push.redis_stream import RedisStreamTarget

        targets.append(RedisStreamTarget(config.redis, config.stream))
    if config.webhook:
        from finews_crawler.push.webhook import WebhookTarget

        targets.append(WebhookTarget(config.webhook, config.secret))
    return targets


def build_publishers(store: Store, config: PushConfig, targets: list[Target]) -> list[Publisher]:
    return [
        Publisher(
            store,
            target,
            max_attempts=config.max_attempts,
            backoff=config.backoff,
            backoff_max=config.backoff_max,
            grace=config.grace,
        )
        for target in targets
    ]


def drain_all(publishers: list[Publisher], stop: threading.Event | None = None) -> DrainResult:
    """One drain of every target, one after the other (each keeps its own cursor)."""
    total = DrainResult()
    for publisher in publishers:
        total.add(publisher.drain(stop))
    return total


def follow(publishers: list[Publisher], stop: threading.Event, interval: float) -> DrainResult:
    """Drain, wait `interval` (or until stopped), drain again; until `stop` is set."""
    total = DrainResult()
    while not stop.is_set():
        total.add(drain_all(publishers, stop))
        stop.wait(interval)
    return total
