"""Extraction quality measures: body F1 over character bigrams, stock precision/recall.

Chinese has no spaces between words, so word-level F1 would measure nothing; overlapping
character bigrams (as a multiset) compare two texts fairly regardless of segmentation.
"""

from __future__ import annotations

import re
from collections import Counter

_SPACE = re.compile(r"\s+")


def bigrams(text: str) -> Counter[str]:
    compact = _SPACE.sub("", text or "")
    return Counter(compact[i : i + 2] for i in range(len(compact) - 1))


def bigram_f1(got: str, want: str) -> float:
    got_grams, want_grams = bigrams(got), bigrams(want)
    if not got_grams and not want_grams:
        return 1.0
    overlap = sum((got_grams & want_grams).values())
    if overlap == 0:
        return 0.0
    precision = overlap / sum(got_grams.values())
    recall = overlap / sum(want_grams.values())
    return 2 * precision * recall / (precision + recall)


def precision_recall(got: set[str], want: set[str]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) for one article."""
    return len(got & want), len(got - want), len(want - got)
