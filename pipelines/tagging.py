"""The run's one stock tagger, built once from the store's security master, and the store
stage's hook that teaches the master what every stored article names.

Loading costs one read of the master per run (per crawl, import or fetch); tagging an article
is then one automaton pass. A store without a master (or one that is unreachable) gives an
empty tagger: codes and markup are still read, names are not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from finews_crawler.parsing.stocks import Tagger, facts_from_article

logger = logging.getLogger("finews.tagging")


def load_tagger(store: Any) -> Tagger:
    """A tagger over the store's master; empty when the store keeps none or cannot answer."""
    try:
        master = store.securities
        return Tagger.from_records(master.iter())
    except AttributeError:
        return Tagger()
    except Exception as exc:  # the master is an aid: tagging goes on with codes only
        logger.warning("security master not loaded (%s): tagging by code only", exc)
        return Tagger()


def tagger_of(run: Any) -> Tagger:
    """The run's shared tagger (loaded on first use)."""
    tagger = getattr(run, "finews_tagger", None)
    if tagger is None:
        tagger = load_tagger(run.store)
        run.finews_tagger = tagger
    return tagger


def learn(store: Any, articles: Iterable[Mapping[str, Any]], tagger: Tagger | None = None) -> int:
    """Merge what these articles name into the master; how many records changed. Never
    raises: a master that cannot be written now learns the same facts from later articles."""
    facts = [fact for article in articles for fact in facts_from_article(article, tagger)]
    if not facts:
        return 0
    try:
        return int(store.securities.upsert(facts))
    except AttributeError:
        return 0
    except Exception as exc:
        logger.warning("security master not updated (%s)", exc)
        return 0
