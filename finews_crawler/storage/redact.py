"""Keep credentials out of logs, run records and exports."""

from __future__ import annotations

import re

_USERINFO = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:@/]*):(?P<password>[^@/]*)@", re.I
)


def redact_uri(uri: str) -> str:
    """mongodb://user:secret@host -> mongodb://user:***@host."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", uri or "")
