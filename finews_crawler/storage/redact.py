"""Keep credentials out of logs, run records, tick records and exports."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_USERINFO = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:@/]*):(?P<password>[^@/]*)@", re.I
)


def redact_uri(uri: str) -> str:
    """mongodb://user:secret@host -> mongodb://user:***@host (also inside longer text)."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", uri or "")


def uri_password(uri: str) -> str:
    """The password of the first URI with one in `uri` ("" if none)."""
    found = _USERINFO.search(uri or "")
    return found["password"] if found else ""


def redact_value(value: Any, secret: str = "") -> Any:
    """Every string inside `value` (dicts, lists) with credentials masked; `secret` too,
    wherever it occurs (a password quoted in an error message, unescaped)."""
    if isinstance(value, str):
        text = redact_uri(value)
        # a 1-3 character "secret" would mangle every message it happens to occur in
        return text.replace(secret, "***") if len(secret) >= 4 else text
    if isinstance(value, Mapping):
        return {key: redact_value(item, secret) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item, secret) for item in value]
    return value
