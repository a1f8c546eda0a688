"""What a target is handed: one outbox entry with the article as stored, serialised once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """`body` is the article JSON, the same serialisation as `finews export jsonl`."""

    seq: int
    article_id: str
    revision: int
    source: str
    status: str  # new | updated
    body: str


class Target(Protocol):
    """Where messages go. `send` returns once the target has acknowledged, else raises."""

    name: str  # identifies the target's cursor in the store (never a secret)

    def send(self, message: Message) -> None: ...

    def close(self) -> None: ...
