"""Each pipeline stage on its own, then the whole chain, on a real SQLite store."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from scrapy.exceptions import DropItem

from finews_crawler.importers.jekyll_posts import body_html, parse_post
from finews_crawler.items import Article, RawPage
from finews_crawler.storage import open_store
from pipelines import StoreComponent, ingest_pages
from pipelines.dedupe import DedupePipeline, DuplicateArticle
from pipelines.extract import ExtractedPage, ExtractPipeline
from pipelines.normalize import NormalizePipeline
from pipelines.store import StorePipeline
from pipelines.validate import ValidatePipeline
from tests.shared_data import SAMPLE_POST, require
from tests.stock_truth import shown

CODE = "NW202204132342000001"
API_URL = f"http://mirror.test/NewsData/GetNewsText.do?id={CODE}"
SHARE_URL = f"http://mirror.test/html_News/NewsShare.html?infoCode={CODE}"
BODY = (
    '<p style="display:none;height:1px;overflow:hidden;"><br /></p>'
    '<!-- EM_StockImg_Start --><p style="text-align:center;"><a href="http://quote.eastmoney.com'
    '/unify/r/0.300999" data-code="300999|0|2" class="EmImageRemark"><img src="https://'
    'webquoteklinepic.eastmoney.com/GetPic.aspx?nid=0.300999" alt="K图 300999_0" '
    'data-code="K 300999|0|2"></a></p><!-- EM_StockImg_End -->'
    "<p>　　星辰科技(300999)今日公告，拟投资建设新工厂。<br /></p>"
    '<p>公司表示&lt;项目&gt;将分两期实施。<img src="https://img.test/a.jpg"></p>'
    '<p class="em_media">（文章来源：测试财经报）</p>'
)


@pytest.fixture
def run(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/stages.sqlite3")
    yield StoreComponent(store, spider="test")
    store.close()


def api_page(body: str | dict = BODY, **overrides) -> RawPage:
    payload = body if isinstance(body, dict) else {
        "title": "星辰科技拟建新工厂", "showTime": "2022-04-13 16:25:27", "content": body
    }  # fmt: skip
    fields = {
        "url": API_URL,
        "final_url": API_URL,
        "status": 200,
        "text": json.dumps(payload, ensure_ascii=False),
        "content_type": "application/json",
        "context": {"entry_url": SHARE_URL, "source_url": SHARE_URL},
        "spider": "test",
        "fetched_at": datetime(2026, 1, 1, tzinfo=UTC),
        **overrides,
    }
    return RawPage(**fields)


def run_stages(run: StoreComponent, raw: RawPage):
    item = raw
    for stage in (ExtractPipeline, NormalizePipeline, ValidatePipeline, DedupePipeline):
        item = stage(run).process_item(item)
    return item


# ---- extract ---------------------------------------------------------------------------


def test_extract_finds_raw_fields(run) -> None:
    extracted = ExtractPipeline(run).process_item(api_page())
    assert isinstance(extracted, ExtractedPage)
    assert extracted.adapter.name == "eastmoney"
    assert extracted.extracted.title == "星辰科技拟建新工厂"
    assert extracted.extracted.identity.article_id == CODE[2:]


@pytest.mark.parametrize(
    ("overrides", "stage", "reason", "retriable"),
    [
        ({"status": 404, "text": "not found"}, "fetch", "HTTP 404", False),
        ({"status": 503, "text": "busy"}, "fetch", "HTTP 503", True),
        (
            {"status": 0, "text": "", "error": "TimeoutError: took too long"},
            "fetch",
            "Timeout",
            True,
        ),
        ({"text": "<html>oops</html>"}, "extract", "body is not JSON", False),
        ({"text": "{}"}, "extract", "no article for", False),
        ({"text": "[1, 2]"}, "extract", "not an object", False),
    ],
)
def test_extract_failures_are_recorded(run, overrides, stage, reason, retriable) -> None:
    with pytest.raises(DropItem):
        ExtractPipeline(run).process_item(api_page(**overrides))
    [record] = list(run.store.iter_failures())
    assert record["url"] == SHARE_URL
    assert record["stage"] == stage
    assert reason in record["reason"]
    assert record["retriable"] is retriable
    assert record["article_id"] == CODE[2:]


def test_extract_passes_foreign_items_through(run) -> None:
    foreign = {"something": "else"}
    assert ExtractPipeline(run).process_item(foreign) is foreign


# ---- normalize -------------------------------------------------------------------------


def test_normalize_builds_the_article(run) -> None:
    extracted = ExtractPipeline(run).process_item(api_page())
    article = NormalizePipeline(run).process_item(extracted)
    assert isinstance(article, Article)
    assert article["_id"] == CODE[2:]
    assert article["info_code"] == CODE
    assert article["url"] == f"https://finance.eastmoney.com/a/{CODE[2:]}.html"
    assert article["source_url"] == SHARE_URL
    assert article["published_at"] == datetime(2022, 4, 13, 8, 25, 27, tzinfo=UTC)
    assert article["media"] == "测试财经报"
    assert (
        article["body_text"]
        == "星辰科技(300999)今日公告，拟投资建设新工厂。\n公司表示<项目>将分两期实施。"
    )
    assert shown(article["stocks"]) == [
        {"code": "300999", "market": "SZ", "secid": "0.300999", "name": "星辰科技"}
    ]
    assert article["stocks"][0]["via"] == "quote"  # the quote block comes first
    assert article["images"] == ["https://img.test/a.jpg"]
    assert "display:none" not in article["body_html"]
    assert "EmImageRemark" not in article["body_html"]
    assert "em_media" not in article["body_html"]
    assert "&lt;项目&gt;" in article["body_html"]


def test_normalize_takes_feed_fields_when_the_page_lacks_them(run) -> None:
    raw = api_page({"text": BODY})
    raw["context"] = {
        **raw["context"],
        "feed_title": "来自列表的标题",
        "feed_published": "2022-04-13 16:25:27",
        "feed_media": "列表媒体",
    }
    article = NormalizePipeline(run).process_item(ExtractPipeline(run).process_item(raw))
    assert article["title"] == "来自列表的标题"
    assert article["published_at"] == datetime(2022, 4, 13, 8, 25, 27, tzinfo=UTC)
    assert article["media"] == "测试财经报"  # the page's own source line wins over the feed


def test_normalize_rejects_an_unparseable_date(run) -> None:
    raw = api_page({"title": "t", "showTime": "not a date", "content": BODY})
    extracted = ExtractPipeline(run).process_item(raw)
    with pytest.raises(DropItem):
        NormalizePipeline(run).process_item(extracted)
    assert next(run.store.iter_failures())["stage"] == "normalize"


# ---- validate --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"showTime": "2022-04-13 16:25:27", "content": BODY}, "no title"),
        ({"title": "t", "content": BODY}, "no publish date"),
        ({"title": "t", "showTime": "2022-04-13 16:25:27", "content": "<p> </p>"}, "empty body"),
        ({"title": "长" * 400, "showTime": "2022-04-13 16:25:27", "content": BODY}, "title longer"),
    ],
)
def test_validate_turns_incomplete_articles_into_failures(run, payload, reason) -> None:
    with pytest.raises(DropItem):
        run_stages(run, api_page(payload))
    [record] = list(run.store.iter_failures())
    assert record["stage"] == "validate"
    assert reason in record["reason"]
    assert run.store.count_articles() == 0


# ---- dedupe ----------------------------------------------------------------------------


def test_dedupe_drops_exact_repeats_within_a_run(run) -> None:
    first = run_stages(run, api_page())
    assert first["_id"] == CODE[2:]
    mirror = api_page(url=API_URL.replace("mirror.test", "other-mirror.test"))
    with pytest.raises(DuplicateArticle):
        run_stages(run, mirror)
    assert run.counts["articles/duplicate"] == 1
    assert list(run.store.iter_failures()) == []  # a duplicate is not a failure


# ---- store -----------------------------------------------------------------------------


def test_store_batches_and_counts(run) -> None:
    stage = StorePipeline(run, batch_size=2, flush_seconds=3600)
    article = run_stages(run, api_page())
    stage.process_item(article)
    assert run.store.count_articles() == 0  # pending in the batch
    stage.close_spider()
    assert run.store.count_articles() == 1
    assert run.counts["articles/new"] == 1
    stage.process_item(article)
    stage.close_spider()
    assert run.counts["articles/unchanged"] == 1


def test_store_clears_failures_the_article_resolves(run) -> None:
    with pytest.raises(DropItem):
        ExtractPipeline(run).process_item(api_page(status=503, text="busy"))
    assert len(list(run.store.iter_failures())) == 1
    results = ingest_pages([api_page()], run=run)
    assert results[0].status == "new"
    assert list(run.store.iter_failures()) == []


# ---- the whole chain -------------------------------------------------------------------


def test_chain_new_then_unchanged_then_enriched(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/chain.sqlite3")
    body_without_media = BODY.replace('<p class="em_media">（文章来源：测试财经报）</p>', "")
    first = ingest_pages([api_page(body_without_media)], store)[0]
    assert (first.status, first.article["media"]) == ("new", None)
    again = ingest_pages([api_page(body_without_media)], store)[0]
    assert again.status == "unchanged"
    # The same article through another route and mirror, this time naming its media.
    share_route = api_page(url=API_URL.replace("mirror.test", "second-mirror.test"))
    enriched = ingest_pages([share_route], store)[0]
    assert enriched.status == "updated"
    assert store.count_articles() == 1
    stored = store.get_article(CODE[2:])
    assert stored["media"] == "测试财经报"
    assert stored["title"] == "星辰科技拟建新工厂"
    assert stored["revision"] == 2
    store.close()


def test_real_sample_post_through_the_chain(tmp_path) -> None:
    """The archive's sample post: body = the text API's HTML, front matter = the truth."""
    post = parse_post(require(SAMPLE_POST))
    front = post.front
    share = "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202204132342073945"
    raw = RawPage(
        url="http://finews.zning.xyz/NewsData/GetNewsText.do?id=NW202204132342073945",
        status=200,
        content_type="application/json",
        text=json.dumps({"text": body_html(post.body)}, ensure_ascii=False),
        context={
            "source_url": share,
            "feed_title": front["title"],
            "feed_published": str(front["date"]),
        },
        spider="test",
    )
    with open_store(f"sqlite:///{tmp_path}/sample.sqlite3") as store:
        [result] = ingest_pages([raw], store)
    article = result.article
    assert result.status == "new", result.failure
    assert article["_id"] == "202204132342073945"
    assert article["title"] == front["title"]
    assert article["published_at"] == datetime(2022, 4, 13, 8, 25, 27, tzinfo=UTC)
    assert article["media"] == "青岛财经网"
    assert [(s["code"], s["market"], s["secid"]) for s in article["stocks"]] == [
        ("600570", "SH", "1.600570")
    ]
    lines = article["body_text"].splitlines()
    assert len(lines) == 7
    assert all(line.strip() == line and line for line in lines)
    assert "文章来源" not in article["body_text"]
    for gone in ("display:none", "EM_StockImg", "EmImageRemark", "GetPic.aspx", "em_media"):
        assert gone not in article["body_html"]
    assert article["body_html"].startswith("<p>")


# ---- unforeseen exceptions, hostile values, many failures -----------------------------------

BASE_PAYLOAD = {"title": "星辰科技拟建新工厂", "showTime": "2022-04-13 16:25:27", "content": BODY}
DEEP = 100_000


@pytest.mark.parametrize(
    ("text", "stage", "names"),
    [
        # json.loads: nested too deep / a number over int's 4,300-digit limit
        (json.dumps(BASE_PAYLOAD)[:-1] + ',"x":' + "[" * DEEP + "]" * DEEP + "}", "extract",
         "RecursionError"),
        (json.dumps(BASE_PAYLOAD)[:-1] + ',"x":' + "7" * 5000 + "}", "extract", "ValueError"),
        # markup the parser would cut short, silently, without the depth check
        (json.dumps({**BASE_PAYLOAD, "content": "<div>" * DEEP + "正文" + "</div>" * DEEP}),
         "normalize", "HTMLTooDeep"),
        # a publish time no datetime holds; a title with a lone surrogate (no UTF-8 for it)
        (json.dumps({**BASE_PAYLOAD, "showTime": 10**40}), "normalize", "OverflowError"),
        (json.dumps({**BASE_PAYLOAD, "title": "星辰\ud800"}), "dedupe", "UnicodeEncodeError"),
        # a title that is not text: a failure, never its Python repr
        (json.dumps({**BASE_PAYLOAD, "title": ["星辰", "科技"]}), "normalize", "title is list"),
        (json.dumps({**BASE_PAYLOAD, "title": {"zh": "星辰"}}), "normalize", "title is dict"),
        (json.dumps({**BASE_PAYLOAD, "title": 2022}), "normalize", "title is int"),
        # a date that is a list: never its repr read as a date ("[1]" -> the 1st of this month)
        (json.dumps({**BASE_PAYLOAD, "showTime": [1]}), "normalize", "date is list"),
    ],
    ids=["deep-json", "5000-digit-number", "deep-html", "huge-time", "surrogate", "list-title",
         "dict-title", "int-title", "list-date"],
)  # fmt: skip
def test_any_exception_is_a_failure_record_and_the_next_page_goes_on(
    tmp_path, text, stage, names
) -> None:
    other = API_URL.replace("000001", "000002")
    good = api_page(url=other, final_url=other, context={})
    with open_store(f"sqlite:///{tmp_path}/hostile.sqlite3") as store:
        bad, after = ingest_pages([api_page(text=text), good], store)
        (record,) = list(store.iter_failures())
        assert after.status == "new"  # the crawl goes on
        assert store.count_articles() == 1
    assert bad.status == "failed" and {key: record[key] for key in bad.failure} == bad.failure
    assert (record["stage"], record["url"]) == (stage, SHARE_URL)
    assert names in record["reason"] and len(record["reason"]) <= 500
    assert "[" not in record["reason"][:40]  # no repr of the value in front


def test_ingest_pages_returns_each_pages_own_failure(tmp_path) -> None:
    """More failures than the run keeps in memory (1,000): each result still has its own."""
    codes = [f"NW2022041323420{n:05d}" for n in range(1, 1003)]
    pages = [
        api_page(
            text="{}",  # the text API's answer for an unknown id
            url=f"http://mirror.test/NewsData/GetNewsText.do?id={code}",
            final_url=f"http://mirror.test/NewsData/GetNewsText.do?id={code}",
            context={},
        )
        for code in codes
    ]
    with open_store(f"sqlite:///{tmp_path}/many.sqlite3") as store:
        results = ingest_pages(pages, store)
        assert sum(1 for _ in store.iter_failures()) == len(codes)
    for code, result in zip(codes, results, strict=True):
        assert result.status == "failed"
        assert result.failure["url"] == result.url
        assert (
            result.failure["reason"] == f"text API has no article for {code} (empty or unknown id)"
        )


def test_an_exception_in_a_spider_callback_becomes_a_failure_record(tmp_path) -> None:
    """What Scrapy would log as "Spider error processing" and forget is a record instead."""
    from scrapy.http import Request, TextResponse

    from finews_crawler.crawl.middlewares import CallbackErrorsMiddleware
    from finews_crawler.spiders.newsshare import NewsShareSpider

    spider = NewsShareSpider(url=SHARE_URL)
    request = Request(API_URL, cb_kwargs={"context": {"entry_url": SHARE_URL}})
    response = TextResponse(API_URL, body=b"{}", encoding="utf-8", request=request)
    try:
        raise RecursionError("maximum recursion depth exceeded")
    except RecursionError as exc:
        output = CallbackErrorsMiddleware().process_spider_exception(response, exc, spider)
    (page,) = output
    with open_store(f"sqlite:///{tmp_path}/callback.sqlite3") as store:
        (result,) = ingest_pages([page], store)
        (record,) = list(store.iter_failures())
    assert result.status == "failed"
    assert (record["stage"], record["url"], record["status"]) == ("parse", SHARE_URL, 200)
    assert record["reason"] == "RecursionError: maximum recursion depth exceeded"
    assert record["retriable"] is False


def test_a_generic_page_nested_too_deep_fails_instead_of_losing_its_end(tmp_path) -> None:
    """libxml2 drops what lies below ~2,000 levels: the article would be stored cut short."""
    paragraph = "<p>" + "这是一段用来测试通用提取器的新闻正文。" * 5 + "</p>"
    deep = "<div>" * DEEP + paragraph + "</div>" * DEEP
    page = "<html><head><title>标题</title></head><body><article>{}</article></body></html>"
    url = "http://news.test/2024/05/01/story.html"
    raw = RawPage(url=url, final_url=url, status=200, content_type="text/html", spider="test",
                  text=page.format(paragraph * 3 + deep + paragraph), context={})  # fmt: skip
    with open_store(f"sqlite:///{tmp_path}/generic.sqlite3") as store:
        (result,) = ingest_pages([raw], store)
        assert store.count_articles() == 0
    assert result.status == "failed"
    assert result.failure["stage"] == "extract"
    assert result.failure["reason"].startswith("HTMLTooDeep: ")


# ---- the chain as Scrapy's one item pipeline -------------------------------------------


def test_chain_pipeline_runs_every_stage_and_keeps_their_failure_records(run) -> None:
    import asyncio

    from pipelines.chain import STAGES, ChainPipeline

    chain = ChainPipeline([stage(run) for stage in STAGES])
    assert [type(stage) for stage in chain.stages] == list(STAGES)
    stored = chain.process_item(api_page())
    assert isinstance(stored, Article) and stored["_id"]
    with pytest.raises(DuplicateArticle):  # dedupe's drop, not a failure
        chain.process_item(api_page())
    with pytest.raises(DropItem):  # extract's failure, filed under its stage (fetch)
        chain.process_item(api_page(status=503, text="busy"))
    with pytest.raises(DropItem):  # validate's
        chain.process_item(api_page({"title": "", "showTime": "", "content": "<p>x</p>"}))
    foreign = {"not": "ours"}
    assert chain.process_item(foreign) is foreign  # another project pipeline's item
    assert run.store.count_articles() == 0  # pending in the store stage's batch
    assert [f["stage"] for f in run.failures] == ["fetch", "validate"]
    # One record per URL in the store: the latest failure of this entry.
    assert [f["stage"] for f in run.store.iter_failures()] == ["validate"]
    asyncio.run(chain.close_spider())
    assert run.store.count_articles() == 1
    assert run.counts["articles/new"] == 1 and run.counts["articles/duplicate"] == 1
    assert run.counts["failures/fetch"] == 1 and run.counts["failures/validate"] == 1


def test_settings_run_the_stages_as_one_scrapy_pipeline() -> None:
    from finews_crawler import settings
    from pipelines.chain import ChainPipeline

    assert settings.ITEM_PIPELINES == {"pipelines.chain.ChainPipeline": 100}
    assert ChainPipeline.__module__ == "pipelines.chain"
