"""Source adapters, one module per source; this package finds them by itself.

Adding a source: drop a module here that defines `ADAPTER` (a SourceAdapter), plus its
fixture cases under fixtures/<adapter name>/. Nothing else needs to change.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from finews_crawler.sources.base import (
    Extracted,
    ExtractionError,
    FollowUp,
    Identity,
    Page,
    SourceAdapter,
)

__all__ = [
    "Extracted",
    "ExtractionError",
    "FollowUp",
    "Identity",
    "Page",
    "SourceAdapter",
    "adapter_for",
    "all_adapters",
    "identify",
]


@cache
def all_adapters() -> tuple[SourceAdapter, ...]:
    """Every module in this package with an ADAPTER, most specific first."""
    found = []
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name == "base" or module_info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        adapter = getattr(module, "ADAPTER", None)
        if isinstance(adapter, SourceAdapter):
            found.append(adapter)
    return tuple(sorted(found, key=lambda adapter: (adapter.priority, adapter.name)))


def adapter_for(url: str) -> SourceAdapter | None:
    """The most specific adapter that owns a URL (the generic one owns any http(s) URL)."""
    return next((adapter for adapter in all_adapters() if adapter.owns(url)), None)


def identify(url: str) -> Identity | None:
    """The article identity a URL reveals, asking the adapter that owns it."""
    adapter = adapter_for(url)
    return adapter.identify(url) if adapter else None
