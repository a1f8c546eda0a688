"""GcFreeze: at spider open the live objects go to the GC's permanent generation (on by
default, FINEWS_GC_FREEZE=0 turns it off); it is in the crawl's extensions."""

from __future__ import annotations

import gc

from scrapy.utils.test import get_crawler

from finews_crawler import settings
from finews_crawler.crawl.gc_freeze import GcFreeze


def _opened(overrides: dict) -> int:
    crawler = get_crawler(settings_dict=overrides)
    extension = GcFreeze.from_crawler(crawler)
    gc.unfreeze()
    try:
        extension.spider_opened(None)
        return gc.get_freeze_count()
    finally:
        gc.unfreeze()  # the rest of the test session as it was


def test_freezes_at_spider_open_by_default() -> None:
    assert _opened({}) > 0


def test_setting_turns_it_off() -> None:
    assert _opened({"FINEWS_GC_FREEZE": "0"}) == 0


def test_crawls_load_it() -> None:
    assert "finews_crawler.crawl.gc_freeze.GcFreeze" in settings.EXTENSIONS
