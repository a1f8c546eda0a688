"""Former home of the stock notations: kept so existing imports work; see parsing/stocks/."""

from finews_crawler.parsing.stocks import (
    BJ_PREFIXES,
    SECID_PREFIX,
    Board,
    Mention,
    Security,
    from_html,
    from_market_code,
    from_text,
    market_of_a_share,
    merge,
)

__all__ = [
    "BJ_PREFIXES",
    "SECID_PREFIX",
    "Board",
    "Mention",
    "Security",
    "from_html",
    "from_market_code",
    "from_text",
    "market_of_a_share",
    "merge",
]
