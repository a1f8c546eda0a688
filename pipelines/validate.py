"""Stage 3, validate: only complete, sane articles may be stored; the rest become failures."""

from __future__ import annotations

from typing import ClassVar

from finews_crawler.crawl.store_component import StageFailure
from finews_crawler.items import Article, fields_of
from pipelines.stage import Stage

# Bounds keep one hostile or broken page from bloating the store or an export.
MAX_TITLE_CHARS = 300
MAX_MEDIA_CHARS = 100
MAX_SUMMARY_CHARS = 1000
MAX_BODY_HTML_CHARS = 2_000_000
MAX_STOCKS = 200


def validate(article: Article) -> Article:
    """Raise StageFailure naming the first missing or out-of-bounds field."""
    fields = fields_of(article)  # read without a call per field; written through the item
    if not fields.get("title"):
        raise StageFailure("validate", "no title")
    if fields.get("published_at") is None:
        raise StageFailure("validate", "no publish date")
    body_text = fields.get("body_text")
    if not body_text or body_text.isspace():  # (`not body_text.strip()`, without a copy)
        raise StageFailure("validate", "empty body")
    if len(fields["title"]) > MAX_TITLE_CHARS:
        raise StageFailure("validate", f"title longer than {MAX_TITLE_CHARS} characters")
    if len(fields.get("body_html") or "") > MAX_BODY_HTML_CHARS:
        raise StageFailure("validate", f"body larger than {MAX_BODY_HTML_CHARS} characters")
    if fields.get("media") and len(fields["media"]) > MAX_MEDIA_CHARS:
        article["media"] = fields["media"][:MAX_MEDIA_CHARS]
    if fields.get("summary") and len(fields["summary"]) > MAX_SUMMARY_CHARS:
        article["summary"] = fields["summary"][:MAX_SUMMARY_CHARS]
    article["stocks"] = (fields.get("stocks") or [])[:MAX_STOCKS]
    return article


class ValidatePipeline(Stage):
    accepts: ClassVar[tuple[type, ...]] = (Article,)

    def process(self, item: Article) -> Article:
        return validate(item)
