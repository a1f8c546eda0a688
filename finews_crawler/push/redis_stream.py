"""Redis Stream target: one XADD per message. Consumers read with consumer groups
(XREADGROUP / XACK); the entry's fields say which article revision it carries."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from finews_crawler.push.message import Message, TargetUnavailable

DEFAULT_STREAM = "finews:articles"


def _display(url: str) -> str:
    """The URL without credentials (it names the cursor and appears in logs)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


class RedisStreamTarget:
    """XADD <stream> * _id <id> revision <n> source <s> status <new|updated> seq <n>
    article <json>."""

    def __init__(self, url: str, stream: str = DEFAULT_STREAM, maxlen: int | None = None) -> None:
        try:
            import redis
        except ModuleNotFoundError:
            raise SystemExit(
                "finews push: --redis needs the redis package: pip install 'finews-crawler[push]'"
            ) from None
        self._away = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self._client: Any = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        self.stream = stream
        self.maxlen = maxlen
        self.name = f"redis:{_display(url)}#{stream}"

    def send(self, message: Message) -> None:
        fields = {
            "_id": message.article_id,
            "revision": message.revision,
            "source": message.source,
            "status": message.status,
            "seq": message.seq,
            "article": message.body,
        }
        try:
            self._client.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
        except self._away as exc:
            raise TargetUnavailable(str(exc)) from None

    def close(self) -> None:
        self._client.close()
