"""GcFreeze: the objects alive when the crawl starts leave the cyclic garbage collector's view.

Python's collector walks every tracked object of a generation each time it runs; the
imports, Scrapy's components and the settings (most of the heap at the start) stay alive
for the whole process, yet every full collection walks them again while the pipelines
allocate per article. `gc.freeze()` after one last collection at spider open moves them to
a permanent generation: the same garbage is collected, with less walking (measured: 2.76 ->
2.43 CPU ms per article on the CPU-bound crawl, BENCHMARKS.md). FINEWS_GC_FREEZE=0 turns
it off.
"""

from __future__ import annotations

import gc

from scrapy import signals


class GcFreeze:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @classmethod
    def from_crawler(cls, crawler) -> GcFreeze:
        extension = cls(crawler.settings.getbool("FINEWS_GC_FREEZE", True))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self, spider) -> None:
        if self.enabled:
            gc.collect()  # what is garbage now is freed, not frozen
            gc.freeze()
