"""What every pipeline stage shares: access to the StoreComponent and turning failures into records.

Any exception a stage raises (a StageFailure it meant, or a RecursionError, AttributeError,
UnicodeError ... it did not) ends the item as a failure record naming the exception: one bad
page never stops the crawl and never disappears without a record and a count.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from scrapy.exceptions import DropItem

from finews_crawler.crawl.store_component import StageFailure, StoreComponent
from finews_crawler.errors import describe_exception

logger = logging.getLogger("finews.ingest")


class FailedItem(DropItem):
    """The item ended as a failure; `record` is its own failure record (as stored)."""

    def __init__(self, message: str, record: dict[str, Any]) -> None:
        super().__init__(message)
        self.record = record


class Stage:
    """Base class: subclasses implement `process(item)` for the item types they accept."""

    accepts: ClassVar[tuple[type, ...]] = ()

    def __init__(self, run: StoreComponent) -> None:
        self.run = run

    @classmethod
    def from_crawler(cls, crawler) -> Stage:
        return cls(StoreComponent.of(crawler))

    @classmethod
    def stage_name(cls) -> str:
        """The failure records' stage: ExtractPipeline -> "extract"."""
        return cls.__name__.removesuffix("Pipeline").lower()

    def process(self, item: Any) -> Any:
        raise NotImplementedError

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, self.accepts):
            return item  # not this stage's business (e.g. items of another project pipeline)
        try:
            return self.process(item)
        except StageFailure as failure:
            raise self._failed(item, failure) from None
        except DropItem:
            raise  # a deliberate drop (an in-run duplicate), not a failure
        except Exception as exc:  # RecursionError, AttributeError, UnicodeError, ...
            logger.debug("unexpected error in stage %s", self.stage_name(), exc_info=True)
            unforeseen = StageFailure(self.stage_name(), describe_exception(exc))
            raise self._failed(item, unforeseen) from None

    def _failed(self, item: Any, failure: StageFailure) -> FailedItem:
        record = self.run.fail(item, failure)
        return FailedItem(f"[{record['stage']}] {record['url']}: {record['reason']}", record)
