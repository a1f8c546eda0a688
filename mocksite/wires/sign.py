"""The 财联社 request signature, as the mock checks it (facts: shared/reference/wires.md).

Every parameter except ``sign`` itself, sorted by key name compared upper-cased, joined as
``key=value`` with ``&`` (values exactly as sent, empty ones empty), SHA-1 hex of that string,
then MD5 hex of the SHA-1 hex string. The crawler keeps its own copy in its cls adapter: the
mock must not be the oracle of the code it tests.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable


def sign_string(params: Iterable[tuple[str, str]]) -> str:
    """The string that is hashed: ``k=v`` pairs sorted by upper-cased key, ``sign`` left out."""
    pairs = sorted(((k, v) for k, v in params if k != "sign"), key=lambda kv: kv[0].upper())
    return "&".join(f"{k}={v}" for k, v in pairs)


def cls_sign(params: Iterable[tuple[str, str]]) -> str:
    """MD5 hex of the SHA-1 hex of :func:`sign_string`."""
    sha1 = hashlib.sha1(sign_string(params).encode("utf-8")).hexdigest()
    return hashlib.md5(sha1.encode("ascii")).hexdigest()


def sign_ok(params: Iterable[tuple[str, str]]) -> bool:
    """True when the pairs carry exactly one ``sign`` and it matches the others."""
    pairs = list(params)
    given = [v for k, v in pairs if k == "sign"]
    if len(given) != 1:
        return False
    return hmac.compare_digest(given[0].lower(), cls_sign(pairs))
