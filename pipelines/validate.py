"""Stage 3, validate: only complete, sane articles may be stored; the rest become failures."""

from __future__ import annotations

from typing import ClassVar

from finews_crawler.crawl.store_component import StageFailure
from finews_crawler.items import Article
from pipelines.stage import Stage

# Bounds keep one hostile or broken page from bloating the store or an export.
MAX_TITLE_CHARS = 300
MAX_MEDIA_CHARS = 100
MAX_SUMMARY_CHARS = 1000
MAX_BODY_HTML_CHARS = 2_000_000
MAX_STOCKS = 200


def validate(article: Article) -> Article:
    """Raise StageFailure naming the first missing or out-of-bounds field."""
    if not article.get("title"):
        raise StageFailure("validate", "no title")
    if article.get("published_at") is None:
        raise StageFailure("validate", "no publish date")
    if not (article.get("body_text") or "").strip():
        raise StageFailure("validate", "empty body")
    if len(article["title"]) > MAX_TITLE_CHARS:
        raise StageFailure("validate", f"title longer than {MAX_TITLE_CHARS} characters")
    if len(article.get("body_html") or "") > MAX_BODY_HTML_CHARS:
        raise StageFailure("validate", f"body larger than {MAX_BODY_HTML_CHARS} characters")
    if article.get("media") and len(article["media"]) > MAX_MEDIA_CHARS:
        article["media"] = article["media"][:MAX_MEDIA_CHARS]
    if article.get("summary") and len(article["summary"]) > MAX_SUMMARY_CHARS:
        article["summary"] = article["summary"][:MAX_SUMMARY_CHARS]
    article["stocks"] = (article.get("stocks") or [])[:MAX_STOCKS]
    return article


class ValidatePipeline(Stage):
    accepts: ClassVar[tuple[type, ...]] = (Article,)

    def process(self, item: Article) -> Article:
        return validate(item)
