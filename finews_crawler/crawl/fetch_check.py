"""Whether a fetched page can be read at all: fetch errors and HTTP errors end it, with a reason.

Shared by the feed spider (a feed page that cannot be read) and the extract stage (an article
page that cannot), so both say the same thing about the same failure.
"""

from __future__ import annotations

import re

from finews_crawler.crawl.store_component import StageFailure
from finews_crawler.errors import split_callback_error
from finews_crawler.items import RawPage

RETRIABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 522, 524})
# Errors no retry can cure: the crawler refused the URL itself (link safety).
PERMANENT_ERRORS = frozenset({"LinkRefused"})
_TWISTED_FAILURE = re.compile(r"\[<twisted\.python\.failure\.Failure (?:[\w.]+\.)?(\w+): (.*?)>\]")
_ERROR_HINTS = {
    "ResponseDataLossError": "response body shorter than its Content-Length (truncated)",
    "DownloadTimeoutError": "no response within DOWNLOAD_TIMEOUT",
}


def describe_error(error: str) -> str:
    """A fetch error as a readable reason: Twisted failure reprs unwrapped, empty ones named."""
    text = _TWISTED_FAILURE.sub(lambda m: f"{m.group(1)}: {m.group(2)}", error).strip()
    kind, _, message = text.partition(":")
    if not message.strip() and kind.strip() in _ERROR_HINTS:
        text = f"{kind.strip()}: {_ERROR_HINTS[kind.strip()]}"
    return text


def check_fetch(raw: RawPage) -> None:
    """Fetch errors and HTTP errors end the article here, with their reason."""
    if raw.get("error"):
        error = str(raw["error"])
        in_callback = split_callback_error(error)
        if in_callback:  # the response came, reading it raised: the same bytes would again
            raise StageFailure(*in_callback, retriable=False)
        permanent = error.partition(":")[0].strip() in PERMANENT_ERRORS
        raise StageFailure("fetch", describe_error(error), retriable=not permanent)
    status = int(raw.get("status") or 0)
    if status >= 400 or status == 0:
        raise StageFailure("fetch", f"HTTP {status}", retriable=status in RETRIABLE_STATUSES)
    text = raw.get("text")
    if not text or text.isspace():  # (as `not text.strip()`, without copying the body)
        raise StageFailure("fetch", f"empty body (HTTP {status})", retriable=True)
