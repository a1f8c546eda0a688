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


class TargetUnavailable(Exception):
    """The target cannot be reached at all (connection refused, name unknown, Redis down):
    not this message's fault, so the drain stops and keeps it for the next drain instead of
    dead-lettering everything while the target is away."""


class Target(Protocol):
    """Where messages go. `send` returns once the target has acknowledged, else raises."""

    name: str  # identifies the target's cursor in the store (never a secret)

    def send(self, message: Message) -> None:
        """Raise TargetUnavailable when the target is away, anything else when it refused."""
        ...

    def close(self) -> None: ...
