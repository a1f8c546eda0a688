"""Source adapters, one module per source; this package finds them by itself.

Adding a source: drop a module here that defines `ADAPTER` (a SourceAdapter), plus its
fixture cases under fixtures/<adapter name>/. Nothing else needs to change.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from finews_crawler.sources.base import (
    Extracted,
    ExtractionError,
    FeedRequest,
    FeedSpec,
    FollowUp,
    Identity,
    Page,
    SourceAdapter,
)

__all__ = [
    "Extracted",
    "ExtractionError",
    "FeedRequest",
    "FeedSpec",
    "FollowUp",
    "Identity",
    "Page",
    "SourceAdapter",
    "adapter_for",
    "adapter_named",
    "all_adapters",
    "all_feeds",
    "configure_sources",
    "feed_of_url",
    "identify",
]


@cache
def all_adapters() -> tuple[SourceAdapter, ...]:
    """Every module (or package) here with an ADAPTER, most specific first."""
    found = []
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        adapter = getattr(module, "ADAPTER", None)
        if isinstance(adapter, SourceAdapter):
            found.append(adapter)
    return tuple(sorted(found, key=lambda adapter: (adapter.priority, adapter.name)))


def configure_sources(settings: Any) -> None:
    """Hand every adapter the crawl's settings (its hosts and mirrors decide what it owns)."""
    _OWNERS.clear()  # what an adapter owns may change with its settings
    for adapter in all_adapters():
        adapter.configure(settings)


# adapter_for's answers by (scheme, netloc, path): an adapter decides by these alone (see
# SourceAdapter.owns), so every article of one text API (`...?id=<number>`) is one entry.
# Cleared by configure_sources, and when full.
_OWNERS: dict[tuple[str, str, str], SourceAdapter | None] = {}
_OWNERS_MAX = 4096


def adapter_for(url: str) -> SourceAdapter | None:
    """The most specific adapter that owns a URL (the generic one owns any http(s) URL)."""
    parts = urlsplit(url)  # cached by urllib itself: the adapters' own split of it is free
    key = (parts.scheme, parts.netloc, parts.path)
    try:
        return _OWNERS[key]
    except KeyError:
        pass
    owner = next((adapter for adapter in all_adapters() if adapter.owns(url)), None)
    if len(_OWNERS) >= _OWNERS_MAX:
        _OWNERS.clear()
    _OWNERS[key] = owner
    return owner


def identify(url: str) -> Identity | None:
    """The article identity a URL reveals, asking the adapter that owns it."""
    adapter = adapter_for(url)
    return adapter.identify(url) if adapter else None


def adapter_named(name: str) -> SourceAdapter | None:
    """The adapter of a source by its name (an article's `source` field)."""
    return next((adapter for adapter in all_adapters() if adapter.name == name), None)


@cache
def all_feeds() -> dict[str, tuple[SourceAdapter, FeedSpec]]:
    """Every feed every source offers, by feed name (feed names are unique across sources)."""
    found: dict[str, tuple[SourceAdapter, FeedSpec]] = {}
    for adapter in all_adapters():
        for spec in adapter.feeds():
            if spec.name in found:
                raise ValueError(f"feed {spec.name!r} offered by two sources")
            found[spec.name] = (adapter, spec)
    return found


def feed_of_url(url: str) -> str | None:
    """The feed a feed-page URL belongs to, asking every source; None when it is no feed page."""
    return next((name for adapter in all_adapters() if (name := adapter.feed_of_url(url))), None)
