"""Yes/no values from settings and the environment, read the same way everywhere."""

from __future__ import annotations

from typing import Any

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


def flag(value: Any, default: bool = False) -> bool:
    """1/true/yes/on -> True, 0/false/no/off -> False, anything else (unset) -> default."""
    text = str(value if value is not None else "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    return default
