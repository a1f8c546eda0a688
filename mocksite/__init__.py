"""Deterministic local mock of the East Money news site (``finews mock-site``).

Articles are generated on the fly from a seed, with their ground truth, so crawler and
extractor tests can compare fields exactly and benchmarks never touch the real site.
"""

from __future__ import annotations

from .corpus import MAX_ARTICLES, Headline, MockArticle, MockCorpus, derive_seed
from .server import main, make_app, serve, serve_async

__all__ = [
    "MAX_ARTICLES",
    "Headline",
    "MockArticle",
    "MockCorpus",
    "derive_seed",
    "main",
    "make_app",
    "serve",
    "serve_async",
]
