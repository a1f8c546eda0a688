"""Push: publish every new or changed article as it is stored (README "Push: Redis Streams
and webhooks"). The store's outbox (storage/outbox.py) is drained by `Publisher` into targets:
a Redis Stream (redis_stream.py) or a webhook (webhook.py)."""
