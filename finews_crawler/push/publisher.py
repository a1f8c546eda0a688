"""Drain the store's outbox into one target: at least once, in store order (so in order per
source), with a durable per-target cursor.

The cursor (checkpoint `push:<target name>`) is saved after every acknowledged message, so a
crash re-sends at most the message that was in flight. A message the target refuses is tried
`max_attempts` times with exponential backoff, then gets a dead-letter record (a failure
record, stage `push`) and the drain goes on.

Holes and unstored entries (MongoDB only, see storage/outbox.py) are waited for up to `grace`
seconds: the drain stops before them and the next drain looks again. After that they are
passed over but kept in the cursor's `pending` list and rechecked on every drain for a day,
so a writer that was only slow is still published, late.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from finews_crawler.exporters.jsonl import article_json
from finews_crawler.push.message import Message, Target, TargetUnavailable
from finews_crawler.storage import Store
from finews_crawler.storage.outbox import OutboxEntry

logger = logging.getLogger("finews.push")

BATCH = 500
PENDING_KEEP_SECONDS = 24 * 3600.0
PENDING_MAX = 900  # seqs rechecked per drain (one query)


@dataclass
class DrainResult:
    delivered: int = 0
    dead_letters: int = 0
    passed_over: int = 0  # holes and unstored entries older than the grace period
    waiting: bool = False  # stopped before a hole or an unstored entry still in its grace
    unavailable: str = ""  # why the drain stopped: the target is away (nothing dead-lettered)

    def add(self, other: DrainResult) -> None:
        self.delivered += other.delivered
        self.dead_letters += other.dead_letters
        self.passed_over += other.passed_over
        self.waiting = self.waiting or other.waiting
        self.unavailable = self.unavailable or other.unavailable


def dead_letter_url(target: str, entry: OutboxEntry) -> str:
    """The failure record's key: one per target and article revision."""
    return f"push:{target}#{entry.article_id}@{entry.revision}"


def _stored_at(article: Mapping[str, Any] | None, revision: int) -> bool:
    return article is not None and int(article.get("revision") or 0) >= revision


class Publisher:
    def __init__(
        self,
        store: Store,
        target: Target,
        *,
        max_attempts: int = 5,
        backoff: float = 0.5,
        backoff_max: float = 30.0,
        grace: float = 60.0,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.store = store
        self.target = target
        self.outbox = store.outbox()
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.grace = grace
        self.sleep = sleep
        where = f"@{self.outbox.name}" if self.outbox.name else ""
        self.key = f"push:{target.name}{where}"
        self.pruned_key = f"push-pruned{where}"

    # ---- the cursor ----------------------------------------------------------------------

    def cursor(self) -> dict[str, Any]:
        """Where this target stands; never below what was pruned (those entries are gone)."""
        state = self.store.get_checkpoint(self.key) or {}
        pruned = int(self.store.get_checkpoint(self.pruned_key) or 0)
        seq = max(int(state.get("seq") or 0), pruned)
        return {"seq": seq, "pending": list(state.get("pending") or [])}

    def _save(self, state: dict[str, Any]) -> None:
        self.store.set_checkpoint(self.key, state)

    def acknowledged(self) -> int:
        """The highest seq below which this target needs no entry any more."""
        state = self.cursor()
        pending = [int(seq) for seq, _ in state["pending"]]
        return min([state["seq"], *(seq - 1 for seq in pending)])

    def prune(self, upto: int) -> int:
        """Delete the outbox entries up to `upto` (all named targets acknowledged them)."""
        pruned = int(self.store.get_checkpoint(self.pruned_key) or 0)
        if upto > pruned:
            self.store.set_checkpoint(self.pruned_key, upto)
        return self.outbox.prune(upto)

    def start_at_end(self) -> None:
        """A new target starts after what is in the outbox now (not with its whole history)."""
        if self.store.get_checkpoint(self.key) is None:
            self._save({"seq": self.outbox.last_seq(), "pending": []})

    # ---- draining ------------------------------------------------------------------------

    def drain(self, stop: threading.Event | None = None) -> DrainResult:
        """Publish everything after the cursor; return early when `stop` is set."""
        result = DrainResult()
        try:
            self._drain(state=self.cursor(), result=result, stop=stop)
        except TargetUnavailable as exc:
            result.unavailable = str(exc)
            logger.error("push to %s stopped: %s (retried next drain)", self.target.name, exc)
        return result

    def _drain(
        self, state: dict[str, Any], result: DrainResult, stop: threading.Event | None
    ) -> DrainResult:
        self._recheck(state, result)
        while not (stop is not None and stop.is_set()):
            entries = self.outbox.read_after(state["seq"], BATCH)
            if not entries:
                break
            for entry in entries:
                if stop is not None and stop.is_set():
                    return result
                if not self._take(entry, state, result):
                    result.waiting = True
                    return result
        return result

    def _young(self, entry: OutboxEntry) -> bool:
        return (datetime.now(UTC) - entry.created_at).total_seconds() < self.grace

    def _pass_over(self, state: dict[str, Any], seqs: range, result: DrainResult) -> None:
        now = time.time()
        state["pending"] = [*state["pending"], *([seq, now] for seq in seqs)][-PENDING_MAX:]
        result.passed_over += len(seqs)
        logger.warning(
            "push to %s: outbox seq %s..%s passed over", self.target.name, seqs[0], seqs[-1]
        )

    def _take(self, entry: OutboxEntry, state: dict[str, Any], result: DrainResult) -> bool:
        """Publish one entry and move the cursor past it; False: wait for it (young)."""
        if entry.seq > state["seq"] + 1:  # a hole: seqs reserved, entries not written (yet)
            if self._young(entry):
                return False
            self._pass_over(state, range(state["seq"] + 1, entry.seq), result)
            state["seq"] = entry.seq - 1
        if not entry.void:  # void: the store refused that article write, nothing to publish
            article = self._article(entry)
            if article is not None and _stored_at(article, entry.revision):
                self._deliver(entry, article, result)
            elif self._young(entry):  # the article write is late or failed
                self._save(state)
                return False
            else:
                self._pass_over(state, range(entry.seq, entry.seq + 1), result)
        state["seq"] = entry.seq
        self._save(state)
        return True

    def _article(self, entry: OutboxEntry) -> dict[str, Any] | None:
        """The article at the entry's revision: the stored one, or from the history when a
        newer revision has replaced it already (that one has an entry of its own)."""
        article = self.store.get_article(entry.article_id)
        if article is None or int(article.get("revision") or 0) <= entry.revision:
            return article
        history = getattr(self.store, "history", None)
        for old in history(entry.article_id) if history is not None else ():
            if int(old.get("revision") or 0) == entry.revision:
                return dict(old)
        return article

    def _recheck(self, state: dict[str, Any], result: DrainResult) -> None:
        """Publish passed-over seqs that have turned up since; forget those older than a day."""
        if not state["pending"]:
            return
        added = {int(seq): float(when) for seq, when in state["pending"]}
        for entry in self.outbox.read_seqs(added):
            if entry.void:  # turned up as refused: nothing will ever be stored for it
                del added[entry.seq]
                continue
            article = self._article(entry)
            if _stored_at(article, entry.revision):
                assert article is not None
                self._deliver(entry, article, result)
                del added[entry.seq]
        horizon = time.time() - PENDING_KEEP_SECONDS
        state["pending"] = [[seq, when] for seq, when in added.items() if when > horizon]
        self._save(state)

    def _deliver(self, entry: OutboxEntry, article: Mapping[str, Any], result: DrainResult) -> None:
        """Send with retries and backoff; after the last try, a dead-letter record, unless the
        target is away (TargetUnavailable propagates: the cursor stays before this entry)."""
        message = Message(
            seq=entry.seq,
            article_id=entry.article_id,
            revision=int(article.get("revision") or entry.revision),
            source=entry.source or str(article.get("source") or ""),
            status=entry.status,
            body=article_json(article),
        )
        error: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.target.send(message)
                result.delivered += 1
                return
            except Exception as exc:  # any refusal is one failed attempt
                error = exc
                if isinstance(exc, TargetUnavailable) and attempt == self.max_attempts:
                    raise
                logger.info("push to %s: attempt %d failed: %s", self.target.name, attempt, exc)
                if attempt < self.max_attempts:
                    self.sleep(min(self.backoff * 2 ** (attempt - 1), self.backoff_max))
        reason = f"{type(error).__name__}: {error}"[:300]
        logger.error(
            "push to %s: article %s revision %d not delivered after %d attempts (%s)",
            self.target.name, entry.article_id, message.revision, self.max_attempts, reason,
        )  # fmt: skip
        self.store.record_failure(
            {
                "url": dead_letter_url(self.target.name, entry),
                "stage": "push",
                "reason": reason,
                "retriable": False,
                "push_target": self.target.name,
                "push_seq": entry.seq,
                "push_article_id": entry.article_id,
                "revision": message.revision,
                "attempts_made": self.max_attempts,
            }
        )
        result.dead_letters += 1
