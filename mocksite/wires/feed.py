"""What each wire has published so far: a synthetic timeline or replayed real items.

A feed keeps its items oldest first and a count of how many are published; the routes page
the published ones newest first, as the real hosts do. Tests grow a feed (``advance``) and
edit items at runtime to exercise incremental crawls; replayed items are served as recorded.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .corpus import MAX_WIRE_ITEMS, WIRES, SyntheticWire, WireItem

DEFAULT_ITEMS = 300
_TEXT_KEY = {"emfast": "summary", "cls": "content", "ths": "digest"}
# Folder names of shared/corpus/wires accepted as wire names on the command line.
ALIASES = {"eastmoney-fastnews": "emfast", "10jqka": "ths", "em": "emfast"}


def wire_name(name: str) -> str:
    """Canonical wire name (emfast, cls, ths) for a name or folder alias."""
    canonical = ALIASES.get(name.strip(), name.strip())
    if canonical not in WIRES:
        raise ValueError(f"unknown wire {name!r} (known: {', '.join(WIRES)})")
    return canonical


class WireFeed:
    """One wire's items, oldest first; the first ``published`` of them are served."""

    def __init__(
        self,
        name: str,
        *,
        synthetic: SyntheticWire | None = None,
        items: Iterable[WireItem] = (),
        published: int | None = None,
    ) -> None:
        self.name = name
        self._synthetic = synthetic
        self._items: list[WireItem] = sorted(items, key=lambda it: it.order)
        self._published = 0
        self._grow(len(self._items) if published is None else published)

    @property
    def replay(self) -> bool:
        return self._synthetic is None

    @property
    def published(self) -> int:
        return self._published

    @property
    def available(self) -> int:
        """How many items ``advance`` can publish in total."""
        return MAX_WIRE_ITEMS if self._synthetic else len(self._items)

    def _grow(self, count: int) -> None:
        if not 0 <= count <= self.available:
            raise ValueError(f"{self.name}: cannot publish {count} items (0..{self.available})")
        while len(self._items) < count and self._synthetic is not None:
            self._items.append(self._synthetic.item(len(self._items)))
        self._published = max(self._published, count)

    def items(self) -> list[WireItem]:
        """Published items, oldest first (a copy)."""
        return self._items[: self._published]

    def orders(self) -> list[tuple[int, ...]]:
        return [it.order for it in self._items[: self._published]]

    def older_than(self, key: tuple[int, ...], limit: int) -> list[WireItem]:
        """Up to ``limit`` published items whose order is below ``key``, newest first."""
        end = bisect.bisect_left(self.orders(), key)
        return self._items[max(0, end - limit) : end][::-1]

    def newest(self, offset: int, limit: int) -> list[WireItem]:
        """Published items ``offset .. offset+limit`` counted from the newest."""
        end = self._published - offset
        return self._items[max(0, end - limit) : max(0, end)][::-1]

    def truth(self) -> list[dict[str, Any]]:
        """Truth of the published items, oldest first (adverts and replays have none)."""
        return [t for it in self.items() if (t := it.truth()) is not None]

    def advance(self, n: int) -> list[WireItem]:
        """Publish the next ``n`` items of the timeline; returns them."""
        before = self._published
        self._grow(min(self.available, before + max(0, n)))
        return self._items[before : self._published]

    def find(self, key: str) -> WireItem | None:
        for it in self._items[: self._published]:
            if it.key == key:
                return it
        return None

    def edit(self, key: str) -> WireItem:
        """Next revision of a published synthetic item: new text, cls modified_time later."""
        old = self.find(key)
        if old is None:
            raise KeyError(f"{self.name}: no published item {key!r}")
        if self._synthetic is None:
            raise ValueError(f"{self.name}: replayed items are served as recorded")
        text = _TEXT_KEY[self.name]
        new = self._synthetic.item(old.index, old.revision + 1)
        while new.raw[text] == old.raw[text]:  # a revision always changes the text
            new = self._synthetic.item(old.index, new.revision + 1)
        self._items[old.index] = new
        return new


# -- replay -----------------------------------------------------------------------------------
def _order(wire: str, raw: dict[str, Any]) -> tuple[tuple[int, ...], str]:
    if wire == "emfast":
        return (int(raw["realSort"]),), str(raw["code"])
    if wire == "cls":
        return (int(raw["ctime"]), int(raw["id"])), str(raw["id"])
    return (int(raw["ctime"]), int(raw["seq"])), str(raw["seq"])


def load_replay(wire: str, paths: Iterable[str | Path]) -> list[WireItem]:
    """Items from JSONL files whose lines hold the server's item under ``raw``.

    An id seen twice (two days' files list some items twice) is served once, first file wins.
    """
    wire = wire_name(wire)
    seen: dict[str, WireItem] = {}
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    raw = json.loads(line)["raw"]
                    order, key = _order(wire, raw)
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(f"{path}:{lineno}: not a {wire} item line ({exc})") from exc
                seen.setdefault(key, WireItem(wire, key, order, raw))
    return list(seen.values())


class WireSet:
    """The three wires the mock serves; each synthetic unless replayed from files."""

    def __init__(self, feeds: dict[str, WireFeed], seed: int = 0) -> None:
        self.feeds = feeds
        self.seed = seed

    @classmethod
    def build(
        cls,
        seed: int = 7,
        items: int = DEFAULT_ITEMS,
        replay: Mapping[str, Sequence[str | Path]] | None = None,
        hold: Mapping[str, int] | None = None,
    ) -> WireSet:
        """Synthetic wires of ``items`` published items (``hold`` overrides per wire);
        wires named in ``replay`` serve those files instead (all items, unless held)."""
        replay = {wire_name(k): v for k, v in (replay or {}).items()}
        hold = {wire_name(k): v for k, v in (hold or {}).items()}
        feeds: dict[str, WireFeed] = {}
        for name in WIRES:
            if name in replay:
                feeds[name] = WireFeed(
                    name, items=load_replay(name, replay[name]), published=hold.get(name)
                )
            else:
                synthetic = SyntheticWire(name, seed)
                feeds[name] = WireFeed(name, synthetic=synthetic, published=hold.get(name, items))
        return cls(feeds, seed)

    def feed(self, name: str) -> WireFeed:
        return self.feeds[wire_name(name)]

    def truth(self, name: str) -> list[dict[str, Any]]:
        """Truth records of a wire's published items, oldest first."""
        return self.feed(name).truth()

    def state(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "wires": {
                name: {"published": f.published, "available": f.available, "replay": f.replay}
                for name, f in self.feeds.items()
            },
        }
