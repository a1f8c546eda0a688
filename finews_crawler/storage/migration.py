"""Bringing stores written by older versions up to the current schema, in place.

Schema 1 (before sources were namespaced) keyed articles on `_id` plus a source's own number
as a unique column/index. Schema 2 keys on `_id` plus the generic `source` and `source_id`;
any source-specific field stays in the document as it was. An old document names its source only
through its `extractor` ("<source>:<page type>"), so that is where the migration reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SCHEMA_VERSION = 2


def legacy_identity(doc: Mapping[str, Any]) -> tuple[str | None, str]:
    """(source, source_id) of a document written before schema 2: the source is what its
    `extractor` names before the colon (None when it names none); the source id is the `_id`
    without a `<source>:` prefix."""
    extractor = str(doc.get("extractor") or "")
    source = extractor.partition(":")[0].strip() or None
    article_id = str(doc["_id"])
    if source and article_id.startswith(f"{source}:"):
        return source, article_id[len(source) + 1 :]
    return source, article_id
