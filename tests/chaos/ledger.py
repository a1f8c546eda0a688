"""Counting from the store against the mock site's truth: expected, stored, lost, doubled.

The store is read raw (SQL rows, MongoDB documents), not through the product's Store class,
so a record the product would hide or merge still counts. A stored record belongs to a
truth article by its `_id`, else its infoCode, else an id or infoCode in its URLs; two
records for one truth article are a doubling.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymongo

from .services import MockSite

_ID_IN_URL = re.compile(r"(?<!\d)(\d{18})(?!\d)")
_URL_FIELDS = ("url", "source_url", "entry_url", "failed_url")
# A poisoned URL (as a pattern) and the article it belongs to, if any (feed pages: None).
Target = tuple[re.Pattern[str], str | None]


@dataclass(frozen=True)
class Truth:
    """The articles the mock site serves: 18-digit id -> infoCode."""

    codes: dict[str, str]

    @property
    def ids(self) -> set[str]:
        return set(self.codes)


def read_truth(site: MockSite) -> Truth:
    """Every article of the mock's corpus, from its /_truth pages."""
    codes: dict[str, str] = {}
    offset = 0
    while offset < site.articles:
        page = site.get_json(f"/_truth?offset={offset}&limit=1000")
        if not page:
            break
        codes.update((row["id"], row["info_code"]) for row in page)
        offset += len(page)
    return Truth(codes)


@dataclass
class Contents:
    """What the store holds: article records and failure records (small dicts)."""

    articles: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)


def read_sqlite(path: Path) -> Contents:
    if not path.exists():
        return Contents()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        contents = Contents()
        if "articles" in tables:
            contents.articles = [
                json.loads(doc) for (doc,) in db.execute("SELECT doc FROM articles")
            ]
        if "failures" in tables:
            contents.failures = [
                json.loads(doc) for (doc,) in db.execute("SELECT doc FROM failures")
            ]
    return contents


def read_mongo(uri: str) -> Contents:
    fields = {"_id": 1, "info_code": 1, **dict.fromkeys(_URL_FIELDS, 1)}
    client: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=10_000)
    try:
        db = client.get_default_database()
        return Contents(
            articles=list(db.articles.find({}, fields)),
            failures=list(db.failures.find({}, {"article_id": 1, **dict.fromkeys(_URL_FIELDS, 1)})),
        )
    finally:
        client.close()


def read_store(store_uri: str) -> Contents:
    if store_uri.startswith("sqlite:///"):
        return read_sqlite(Path(store_uri.removeprefix("sqlite:///")))
    return read_mongo(store_uri)


def _urls(record: dict[str, Any]) -> list[str]:
    return [str(record[name]) for name in _URL_FIELDS if record.get(name)]


def owner(record: dict[str, Any], truth: Truth, by_code: dict[str, str]) -> str | None:
    """The truth id a stored record is a copy of, or None for a record of no known article."""
    if str(record.get("_id")) in truth.codes:
        return str(record["_id"])
    if record.get("info_code") in by_code:
        return by_code[record["info_code"]]
    for found in _ID_IN_URL.findall(" ".join(_urls(record))):
        if found in truth.codes:
            return found
    return None


def named_ids(failure: dict[str, Any], truth: Truth) -> set[str]:
    """Truth articles a failure record names (its article_id, or an id in its URL)."""
    names = {str(failure.get("article_id") or "")} | set(
        _ID_IN_URL.findall(" ".join(_urls(failure)))
    )
    return names & truth.ids


@dataclass
class Tally:
    """One row's counts at one moment."""

    expected: int
    stored: int  # distinct truth articles with a record
    lost_recorded: int  # expected, not stored, named by a failure record
    lost_unrecorded: int  # expected, not stored, named by none
    doubled: int  # records beyond the first for one truth article
    stray: int  # records matching no truth article
    failures: int  # failure records in the store

    @property
    def lost(self) -> int:
        return self.lost_recorded + self.lost_unrecorded

    @property
    def complete(self) -> bool:
        """Every article stored exactly once, nothing else, no failure left open."""
        return not (self.lost or self.doubled or self.stray or self.failures)


def tally(contents: Contents, truth: Truth) -> Tally:
    by_code = {code: aid for aid, code in truth.codes.items()}
    owners = Counter(owner(record, truth, by_code) for record in contents.articles)
    stray = owners.pop(None, 0)
    missing = truth.ids - set(owners)
    recorded = set().union(*(named_ids(f, truth) for f in contents.failures))
    return Tally(
        expected=len(truth.codes),
        stored=len(owners),
        lost_recorded=len(missing & recorded),
        lost_unrecorded=len(missing - recorded),
        doubled=sum(count - 1 for count in owners.values()),
        stray=stray,
        failures=len(contents.failures),
    )


def unrecorded(failures: Iterable[dict[str, Any]], targets: Iterable[Target], truth: Truth) -> int:
    """How many poisoned targets no failure record names (by URL pattern or article id)."""
    failures = list(failures)
    urls = [url for failure in failures for url in _urls(failure)]
    named = set().union(*(named_ids(failure, truth) for failure in failures))
    return sum(
        1
        for pattern, article_id in targets
        if article_id not in named and not any(pattern.search(url) for url in urls)
    )
