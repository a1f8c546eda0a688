"""The mock site's real-time wires: East Money 7x24, 财联社 telegraph, 同花顺 7x24.

Synthetic timelines with their truth (corpus.py), replayed real items (feed.py), the routes
in the real paths and shapes (routes.py) and the cls signature the mock checks (sign.py).
"""

from __future__ import annotations

from .corpus import WIRES, SyntheticWire, WireItem
from .feed import WireFeed, WireSet, load_replay
from .routes import CLS_PATH, EMFAST_PATH, THS_PATH, register
from .sign import cls_sign

__all__ = [
    "CLS_PATH",
    "EMFAST_PATH",
    "THS_PATH",
    "WIRES",
    "SyntheticWire",
    "WireFeed",
    "WireItem",
    "WireSet",
    "cls_sign",
    "load_replay",
    "register",
]
