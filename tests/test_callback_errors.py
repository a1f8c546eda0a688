"""An exception in a spider callback, in a real crawl: a failure record, a count, exit 1."""

from __future__ import annotations

import os

from finews_crawler.storage import open_store
from tests.crawl_helpers import crawl

ARTICLES = 6
BROKEN = (1, 4)  # articles whose text-API answer makes the callback raise
SPIDER_MODULE = '''
from finews_crawler.spiders.newsshare import NewsShareSpider

BROKEN = {broken!r}


class BrokenCallbackSpider(NewsShareSpider):
    """newsshare, but reading some text-API answers raises (a bug nobody foresaw)."""

    name = "broken-callback"

    def parse_page(self, response, context):
        if any(code in response.url for code in BROKEN):
            raise AttributeError("'NoneType' object has no attribute 'group'")
        yield from super().parse_page(response, context)
'''


def test_a_callback_exception_is_a_failure_record_and_the_crawl_goes_on(
    start_mock_site, tmp_path
) -> None:
    site = start_mock_site(articles=ARTICLES)
    codes = [site.corpus.article(i).info_code for i in range(ARTICLES)]
    broken = [codes[i] for i in BROKEN]
    (tmp_path / "broken_spiders.py").write_text(SPIDER_MODULE.format(broken=broken))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.getcwd()])}
    store_uri = f"sqlite:///{tmp_path}/callback.sqlite3"
    result = crawl(
        store_uri,
        "broken-callback",
        "-s",
        "SPIDER_MODULES=finews_crawler.spiders,broken_spiders",
        "-s",
        f"FINEWS_SHARE_BASE={site.base_url}",
        "-a",
        f"info_codes={','.join(codes)}",
        env=env,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "Spider error" not in result.stderr
    assert "| failures 2 |" in result.stderr
    with open_store(store_uri) as store:
        failures = {record["article_id"]: record for record in store.iter_failures()}
        stored = {article["_id"] for article in store.iter_articles()}
    assert set(failures) == {code[2:] for code in broken}
    for record in failures.values():
        assert record["stage"] == "parse"
        assert record["reason"] == "AttributeError: 'NoneType' object has no attribute 'group'"
    assert stored == {code[2:] for code in codes if code not in broken}
