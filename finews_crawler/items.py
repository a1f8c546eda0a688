"""Scrapy items: what spiders hand to pipelines (RawPage) and what pipelines store (Article).

Spiders stay thin: they only ever yield RawPage. Everything else is the pipelines' job.
"""

from __future__ import annotations

from typing import Any

import scrapy


class RawPage(scrapy.Item):
    """One fetched response, undigested, plus what the linking page already told us."""

    url = scrapy.Field()  # the URL we asked for
    final_url = scrapy.Field()  # after redirects
    status = scrapy.Field()  # HTTP status, 0 when the fetch itself failed
    text = scrapy.Field()  # decoded body
    content_type = scrapy.Field()
    error = scrapy.Field()  # fetch error ("TimeoutError: ..."), None when a response came
    context = scrapy.Field()  # dict inherited from the linking page: entry_url, source_url,
    # feed title/published/media/summary, info_code, route
    spider = scrapy.Field()
    fetched_at = scrapy.Field()  # aware datetime (UTC)


class Article(scrapy.Item):
    """The stored record; field meanings are documented in README.md ("Article schema")."""

    _id = scrapy.Field()
    source = scrapy.Field()  # the adapter's name: eastmoney, generic, ...
    source_id = scrapy.Field()  # the source's own number for the article
    info_code = scrapy.Field()  # East Money's own field (NW + the 18-digit number)
    url = scrapy.Field()
    source_url = scrapy.Field()
    title = scrapy.Field()
    published_at = scrapy.Field()
    media = scrapy.Field()
    summary = scrapy.Field()
    body_html = scrapy.Field()
    body_text = scrapy.Field()
    stocks = scrapy.Field()
    boards = scrapy.Field()
    images = scrapy.Field()
    category = scrapy.Field()
    tags = scrapy.Field()
    importance = scrapy.Field()  # 0 ordinary, 1 important, 2 top; None when the source says none
    title_derived = scrapy.Field()  # True: the source gave no title, it was made from the text
    modified_at = scrapy.Field()  # the source's own time of its last edit (wires), when given
    futures = scrapy.Field()  # futures contracts the source lists (wires), apart from boards
    content_hash = scrapy.Field()
    fetched_at = scrapy.Field()
    first_seen_at = scrapy.Field()
    updated_at = scrapy.Field()
    spider = scrapy.Field()
    extractor = scrapy.Field()

    # The content_hash the dedupe stage computed (see article.carried_digest): forgotten on
    # any assignment or deletion of a field, so the store never trusts a digest of other
    # content (stages after dedupe replace a field's value, never change it in place).
    _content_digest: tuple[int, str] | None = None

    def __setitem__(self, key: str, value: Any) -> None:
        if self._content_digest is not None:  # (reading is cheap; Item's setattr is not)
            self._content_digest = None
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        if self._content_digest is not None:
            self._content_digest = None
        super().__delitem__(key)


def fields_of(item: Any) -> Any:
    """An item's fields as a mapping to read, without a call per field: a Scrapy Item's own
    dict (Scrapy keeps an Item's values in `_values`), any other mapping as it is. Only to
    read: a change there would bypass the Item (and Article's digest rule)."""
    return item._values if isinstance(item, scrapy.Item) else item


# Schema order: stable field order for exports and display.
ARTICLE_FIELDS = tuple(Article.fields)
