"""Stage 4, deduplicate: one article however many feeds or mirrors led to it in this run.

Identity itself (the source's article number, whatever the route) is settled in normalize;
across runs the store merges by `_id`. This stage drops exact repeats within one run, so a
crawl that meets an article through three feeds writes and exports it once.
"""

from __future__ import annotations

from typing import ClassVar

from scrapy.exceptions import DropItem

from finews_crawler.article import content_hash, remember_digest
from finews_crawler.items import Article
from pipelines.stage import Stage


class DuplicateArticle(DropItem):
    """An exact repeat of an article already handled in this run (not a failure)."""


class DedupePipeline(Stage):
    accepts: ClassVar[tuple[type, ...]] = (Article,)

    def process(self, item: Article) -> Article:
        digest = content_hash(item)
        if self.run.seen_hashes.get(item["_id"]) == digest:
            self.run.count("articles/duplicate")
            raise DuplicateArticle(f"duplicate of {item['_id']} already handled in this run")
        self.run.seen_hashes[item["_id"]] = digest
        remember_digest(item, digest)  # the store takes it instead of hashing again
        return item
