"""The stored article: which fields carry content, how records merge, how they hash.

One article, one record: whichever route or mirror delivered it, records with the same `_id`
merge. A later route adds what it knows (a media name, stock names) and never erases a value
with an empty one. `content_hash` covers the content fields only, so re-fetching an unchanged
article is recognised as unchanged whatever the fetch time. Stocks the tagger found by name
are left out of it: what the security master has learned since is no new revision of the
article.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import orjson

from finews_crawler.items import ARTICLE_FIELDS, fields_of

CONTENT_FIELDS = (
    "title",
    "published_at",
    "media",
    "summary",
    "body_html",
    "body_text",
    "stocks",
    "boards",
    "images",
    "category",
    "tags",
    "info_code",
    "url",
)
# Set by the store, never taken from an incoming record.
STORE_OWNED = ("first_seen_at", "updated_at", "content_hash", "revision")


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


# Bump when content_hash's input or encoding changes: a digest carried from an earlier
# stage (`carried_digest`) is trusted only when made by this very format.
CONTENT_HASH_VERSION = 1
DIGEST_ATTRIBUTE = "_content_digest"  # (CONTENT_HASH_VERSION, hex digest) on an item/record


class DigestedRecord(dict):
    """A plain record that carries the content_hash its item had (`with_digest`)."""

    __slots__ = (DIGEST_ATTRIBUTE,)


def with_digest(article: Mapping[str, Any]) -> dict[str, Any]:
    """A shallow copy of an item as a dict, carrying the item's digest if it has one, so
    the store hashes each article once in a crawl (the dedupe stage already did)."""
    pair = getattr(article, DIGEST_ATTRIBUTE, None)
    if pair is None:
        return dict(fields_of(article))
    record = DigestedRecord(fields_of(article))
    setattr(record, DIGEST_ATTRIBUTE, pair)
    return record


def remember_digest(article: Any, digest: str) -> None:
    """Attach `content_hash(article)` to the item (the Article item forgets it on any
    field assignment or deletion)."""
    setattr(article, DIGEST_ATTRIBUTE, (CONTENT_HASH_VERSION, digest))


def carried_digest(article: Mapping[str, Any]) -> str | None:
    """The digest an earlier stage computed for this very record, when of this hash format."""
    pair = getattr(article, DIGEST_ATTRIBUTE, None)
    if pair is not None and pair[0] == CONTENT_HASH_VERSION:
        return pair[1]
    return None


# json.dumps with these options builds a new encoder on every call; one built once encodes
# the same bytes (the hash format is unchanged).
_HASH_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
_LABELS = tuple((name, name.encode()) for name in CONTENT_FIELDS)
_INFINITY = float("inf")


def writes_alike(value: Any) -> bool:
    """True when orjson writes `value` as the standard library's encoder does: it holds only
    dicts, lists, tuples, strings, integers, None and datetimes (which orjson hands to
    `default`, as the encoder does), and every float in it is zero or finite and at least
    1e-4 in magnitude (below that the two choose different notations, 1e-05 and 0.00001;
    NaN and the infinities orjson writes as null). Anything else (UUIDs, enums, dataclasses,
    which orjson writes and the encoder refuses) is the encoder's. Where the two would differ
    otherwise (integers beyond 64 bits, keys that are not strings, lone surrogates, nesting
    deeper than 255) orjson refuses."""
    kind = type(value)
    if kind is dict:
        items: Any = value.values()
    elif kind is list:
        items = value
    elif kind is str or value is None or kind is int or kind is bool or kind is datetime:
        return True
    elif isinstance(value, float):
        return value == 0.0 or 1e-4 <= abs(value) < _INFINITY  # NaN: neither
    elif isinstance(value, dict):
        items = value.values()
    elif isinstance(value, list | tuple):
        items = value
    else:  # subclasses of str and int (str and int enums) both write as their value
        return isinstance(value, str | int)
    for item in items:  # the common leaves here, without a call each
        kind = type(item)
        if kind is str or item is None or kind is int or kind is bool or kind is datetime:
            continue
        if kind is float:
            if item == 0.0 or 1e-4 <= abs(item) < _INFINITY:
                continue
            return False
        if not writes_alike(item):
            return False
    return True


def json_bytes(
    value: Any, encoder: json.JSONEncoder, option: int = 0, default: Callable | None = None
) -> bytes:
    """`encoder.encode(value)` in UTF-8, the same bytes, by orjson where it writes them alike
    (about three times faster): `option`, `default` say to orjson what the encoder's own
    options say (sort_keys: orjson.OPT_SORT_KEYS; its default function, whose answers
    must hold no floats: storage's json_default answers text). Compact separators and
    ensure_ascii=False are orjson's only way; datetimes go to `default` as they do with
    the encoder."""
    if writes_alike(value):
        try:
            return orjson.dumps(value, default, option | orjson.OPT_PASSTHROUGH_DATETIME)
        except TypeError:  # orjson.JSONEncodeError: what it refuses, the encoder decides
            pass
    return encoder.encode(value).encode("utf-8")


def content_hash(article: Mapping[str, Any]) -> str:
    """SHA-1 over the content fields: text fields as they are (no JSON escaping of bodies),
    each length-prefixed so field boundaries are unambiguous; the rest as one JSON array."""
    digest = hashlib.sha1()
    structured = []
    get = fields_of(article).get
    for name, label in _LABELS:
        value = get(name)
        if name == "stocks" and value:
            value = [s for s in value if not (isinstance(s, dict) and s.get("via") == "name")]
        if isinstance(value, datetime):
            value = value.isoformat()
        if isinstance(value, str):
            data = value.encode("utf-8")
            digest.update(b"%s\x1f%d\x1e" % (label, len(data)))
            digest.update(data)
        else:
            structured.append((name, value))
    digest.update(json_bytes(structured, _HASH_ENCODER, orjson.OPT_SORT_KEYS))
    return digest.hexdigest()


def merge(existing: Mapping[str, Any] | None, incoming: Mapping[str, Any]) -> dict[str, Any]:
    """The record after `incoming` arrives: non-empty incoming values win, empty ones never erase.

    Stock and board lists are unioned by secid (a later route may know more of them, or
    their names) rather than replaced.
    """
    if not existing:  # nothing to keep or union: incoming's fields, the store's own left out
        return {name: value for name, value in incoming.items() if name not in STORE_OWNED}
    merged: dict[str, Any] = dict(existing)
    for name, value in incoming.items():
        if name in STORE_OWNED or (is_empty(value) and name in merged):
            continue
        if name in ("stocks", "boards") and merged.get(name):
            merged[name] = _union_by_secid(merged[name], value)
        else:
            merged[name] = value
    return merged


def merges_as_is(incoming: Mapping[str, Any]) -> bool:
    """True when merging `incoming` into a record of the same content gives that content:
    its stock and board lists name each secid once (the union of a list with itself
    then is the list). With equal content hashes, such an article is unchanged."""
    for name in ("stocks", "boards"):
        entries = incoming.get(name)
        if not entries:
            continue
        if not isinstance(entries, list):
            return False
        secids = set()
        for entry in entries:
            if not isinstance(entry, dict) or "secid" not in entry:
                return False
            secids.add(entry["secid"])
        if len(secids) != len(entries):
            return False
    return True


def same_content(merged: Mapping[str, Any], incoming: Mapping[str, Any]) -> bool:
    """True when `merged` carries incoming's content unchanged (each content field the very
    same value, or an equal stock/board list), so both have the same content hash."""
    for name in CONTENT_FIELDS:
        value, other = merged.get(name), incoming.get(name)
        if value is other:
            continue
        plain = type(value) is type(other) and (isinstance(value, str) or not value)
        if plain and value == other:
            continue  # equal text, or both empty (an empty list kept from the record)
        if name in ("stocks", "boards") and value == other:
            continue  # a union that added nothing: the same entries, in the same order
        return False
    return True


def _union_by_secid(old: list[dict], new: list[dict]) -> list[dict]:
    """The new list's entries first, then old ones it lacks; a known name is never lost."""
    by_secid = {entry["secid"]: dict(entry) for entry in new}
    for entry in old:
        known = by_secid.setdefault(entry["secid"], dict(entry))
        if not known.get("name") and entry.get("name"):
            known["name"] = entry["name"]
    return list(by_secid.values())


def ordered(article: Mapping[str, Any]) -> dict[str, Any]:
    """The record with fields in schema order (stable output for exports and display)."""
    known = {name: article[name] for name in ARTICLE_FIELDS if name in article}
    extra = {name: value for name, value in article.items() if name not in known}
    return {**known, **extra}
