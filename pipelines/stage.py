"""What every pipeline stage shares: access to the IngestRun and turning failures into records."""

from __future__ import annotations

from typing import Any, ClassVar

from scrapy.exceptions import DropItem

from pipelines.run import IngestRun, StageFailure


class Stage:
    """Base class: subclasses implement `process(item)` for the item types they accept."""

    accepts: ClassVar[tuple[type, ...]] = ()

    def __init__(self, run: IngestRun) -> None:
        self.run = run

    @classmethod
    def from_crawler(cls, crawler) -> Stage:
        return cls(IngestRun.of(crawler))

    def process(self, item: Any) -> Any:
        raise NotImplementedError

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, self.accepts):
            return item  # not this stage's business (e.g. items of another project pipeline)
        try:
            return self.process(item)
        except StageFailure as failure:
            record = self.run.fail(item, failure)
            raise DropItem(f"[{record['stage']}] {record['url']}: {record['reason']}") from None
