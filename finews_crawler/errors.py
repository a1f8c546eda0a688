"""One way to name an unforeseen exception in a failure record: `ExcClass: message`."""

from __future__ import annotations

EXCEPTION_MESSAGE_CHARS = 300


def describe_exception(exc: BaseException, limit: int = EXCEPTION_MESSAGE_CHARS) -> str:
    """`ExcClass: message` on one line, bounded (a 5,000-digit number stays out of records)."""
    try:
        message = " ".join(str(exc).split())
    except Exception:  # a broken __str__ must not hide the failure itself
        message = "(message unreadable)"
    if len(message) > limit:
        message = message[: limit - 1] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


# Stages of a spider callback; a RawPage whose error starts with one ("navigate: ...") failed
# while its response was read, not while it was fetched. Lower case: never an exception name.
CALLBACK_STAGES = frozenset({"navigate", "parse"})


def callback_error(stage: str, exc: BaseException) -> str:
    """The RawPage error for an exception raised while a response was read."""
    return f"{stage}: {describe_exception(exc)}"


def split_callback_error(error: str) -> tuple[str, str] | None:
    """(stage, reason) of a callback_error() string; None for a fetch error."""
    stage, sep, reason = error.partition(":")
    return (stage, reason.strip()) if sep and stage in CALLBACK_STAGES else None
