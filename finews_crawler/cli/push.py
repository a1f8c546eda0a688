"""`finews push`: publish the store's new and changed articles to a Redis Stream and/or a
webhook (README "Push: Redis Streams and webhooks"), once or `--follow`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from finews_crawler.cli.common import open_store

HELP = "publish new and changed articles to a Redis Stream or a webhook"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--redis", help="Redis URL (default $FINEWS_PUSH_REDIS)")
    parser.add_argument(
        "--stream", help="stream name (default $FINEWS_PUSH_STREAM or finews:articles)"
    )
    parser.add_argument("--webhook", help="webhook URL (default $FINEWS_PUSH_WEBHOOK)")
    parser.add_argument(
        "--secret",
        help="HMAC-SHA256 key of the webhook (default $FINEWS_PUSH_SECRET, better: ps shows"
        " command lines)",
    )
    parser.add_argument("--follow", action="store_true", help="keep publishing until stopped")
    parser.add_argument("--interval", type=float, help="seconds between drains with --follow")
    parser.add_argument("--max-attempts", type=int, help="tries before a dead-letter record")
    parser.add_argument("--backoff", type=float, help="seconds before the 2nd try (doubling)")
    parser.add_argument(
        "--prune",
        action="store_true",
        help="after draining, delete outbox entries every named target has acknowledged"
        " (name all your targets)",
    )
    parser.add_argument(
        "--from-now",
        action="store_true",
        help="a target without a cursor starts after the current outbox, not at its start",
    )


def run(args: argparse.Namespace) -> int:
    from finews_crawler.config import PushConfig
    from finews_crawler.push.runner import build_publishers, build_targets, drain_all, follow

    config = PushConfig.resolve(
        env=args.config.env,
        redis=args.redis,
        stream=args.stream,
        webhook=args.webhook,
        secret=args.secret,
        interval=args.interval,
        max_attempts=args.max_attempts,
        backoff=args.backoff,
    )
    if not config.configured:
        print("finews push: name a target: --redis URL and/or --webhook URL", file=sys.stderr)
        return 2
    try:
        targets = build_targets(config)
    except ValueError as exc:
        print(f"finews push: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    with open_store(args) as store:
        publishers = build_publishers(store, config, targets)
        if args.from_now:
            for publisher in publishers:
                publisher.start_at_end()
        if args.follow:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            result = follow(publishers, stop, config.interval)
        else:
            result = drain_all(publishers)
        for target in targets:
            target.close()
        upto = min(p.acknowledged() for p in publishers)
        pruned = publishers[0].prune(upto) if args.prune else 0
    names = ", ".join(target.name for target in targets)
    print(
        f"finews push: {result.delivered} delivered, {result.dead_letters} dead letters"
        + (f", {result.passed_over} passed over" if result.passed_over else "")
        + (" (waiting for entries still being written)" if result.waiting else "")
        + (f"; stopped: {result.unavailable}" if result.unavailable else "")
        + (f", {pruned} outbox entries pruned" if args.prune else "")
        + f" ({names})",
        file=sys.stderr,
    )
    return 1 if result.dead_letters or result.unavailable else 0
