"""Stock tagging: markets and kinds, code notations, markup notations, the name matcher."""

from finews_crawler.parsing.stocks.learning import facts_from_article
from finews_crawler.parsing.stocks.markets import (
    BJ_PREFIXES,
    KINDS,
    MARKETS,
    OTHER,
    SECID_PREFIX,
    Board,
    Security,
    from_bare_code,
    from_id,
    from_market_code,
    kind_of,
    market_of_a_share,
    other,
)
from finews_crawler.parsing.stocks.markup import Mention, from_html, merge
from finews_crawler.parsing.stocks.matcher import Known, Tagger
from finews_crawler.parsing.stocks.notations import CodeMention, code_mentions, from_text

__all__ = [
    "BJ_PREFIXES",
    "KINDS",
    "MARKETS",
    "OTHER",
    "SECID_PREFIX",
    "Board",
    "CodeMention",
    "Known",
    "Mention",
    "Security",
    "Tagger",
    "code_mentions",
    "facts_from_article",
    "from_bare_code",
    "from_html",
    "from_id",
    "from_market_code",
    "from_text",
    "kind_of",
    "market_of_a_share",
    "merge",
    "other",
]
