"""The speed work's shortcuts give what the plain way gives: adapter_for's kept answers, the
orjson path of JSON out (article.json_bytes), the plain query split of info_code_of."""

from __future__ import annotations

import enum
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import parse_qs

import orjson
import pytest

from finews_crawler.article import _HASH_ENCODER, content_hash, json_bytes
from finews_crawler.config import project_settings
from finews_crawler.items import Article, fields_of
from finews_crawler.sources import adapter_for, all_adapters, configure_sources
from finews_crawler.sources.eastmoney import info_code_of
from finews_crawler.storage.base import json_default
from finews_crawler.storage.sqlite import _ENCODER, dumps

URLS = [
    "http://mirror.example/NewsData/GetNewsText.do?id=NW202201032300000000",
    "http://mirror.example/a/202201032300000002.html",
    "http://mirror.example/news/1350,202201032300000002.html",
    "http://mirror.example/html_News/NewsShare.html?infoCode=NW202201032300000013",
    "http://finance.eastmoney.com/news/1355,202112082206000001.html",
    "https://finance.eastmoney.com/a/202112082206000001.html",
    "http://183.136.162.242/a/202112082206000001.html",
    "http://wire.example/comm/web/getFastNewsList#202403043700000023",
    "http://wire.example/tapp/news/push/stock/#500000010",
    "http://wire.example/v1/roll/get_roll_list#1500000",
    "https://news.example.org/local/2023/port.html?utm_source=feed",
    "ftp://files.example/a/202201032300000002.html",
    "not a url",
    "",
]


def uncached(url: str):
    return next((adapter for adapter in all_adapters() if adapter.owns(url)), None)


@pytest.fixture(autouse=True)
def default_sources() -> Iterator[None]:
    configure_sources(project_settings())
    yield
    configure_sources(project_settings())


@pytest.mark.parametrize("url", URLS)
def test_owns_reads_no_query_or_fragment(url: str) -> None:
    """What adapter_for keeps by scheme, host and path holds for every query and fragment."""
    base = url.partition("#")[0].partition("?")[0]
    for variant in (base, base + "?id=1#x", base + "?infoCode=NW202201032300000013", base + "#9"):
        for adapter in all_adapters():
            assert adapter.owns(variant) == adapter.owns(url), (adapter.name, variant)


def test_adapter_for_answers_as_asking_every_adapter() -> None:
    for url in URLS + URLS:  # the second time from what it kept
        assert adapter_for(url) is uncached(url), url


def test_configuring_sources_forgets_kept_answers() -> None:
    """A mirror declared later owns its article pages from then on (and no longer after)."""
    url = "http://mirror.test/a/202201032300000002.html"
    assert adapter_for(url).name == "generic"
    configure_sources(
        {**project_settings().copy_to_dict(), "FINEWS_EASTMONEY_MIRRORS": "mirror.test"}
    )
    assert adapter_for(url).name == "eastmoney"
    configure_sources(project_settings())
    assert adapter_for(url).name == "generic"


@pytest.mark.parametrize(
    "url",
    [
        "http://h/x.do?id=NW202201032300000000",
        "http://h/x.do?a=1&&id=&id=nw202201032300000000&infocode=x",
        "http://h/x.do?infoCode=NW1&id=NW202201032300000001",
        "http://h/x.do?id=NW202201032300000000%20",
        "http://h/x.do?id=+NW202201032300000000",
        "http://h/x.do?id",
        "http://h/x.do",
    ],
)
def test_info_code_of_plain_split_is_parse_qs(url: str) -> None:
    query = parse_qs(url.partition("?")[2])
    want = next(
        (
            value.strip().upper()
            for key in ("infoCode", "infocode", "id")
            for value in query.get(key, [])
            if re.fullmatch(r"NW\d{18}", value.strip(), re.I)
        ),
        None,
    )
    assert info_code_of(url) == want


class Colour(enum.Enum):
    RED = "red"


class Kind(enum.StrEnum):
    STOCK = "stock"


class Level(enum.IntEnum):
    TOP = 2


@dataclass
class Point:
    x: int
    y: int


AWKWARD = [
    {"confidence": 0.98, "tiny": 1e-05, "n": 2**70, "neg": -(2**63) - 1},
    {"nan": float("nan")},
    {"inf": [float("inf"), -float("inf")]},
    {"small": [9.99e-05, 1e-4, 5e-324, 1e16, 1e22, -0.0, 0.0]},
    {1: "int key", "b": None},
    {"text": '控制\x01\x1f\u2028"\\/ 中文 \U0001f600'},
    {"when": datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=8)))},
    {"naive": datetime(2024, 1, 2, 3, 4, 5)},
    {"tuple": (1, "a", [2.5, {"z": 1, "a": 2}])},
    [[[[[[[[[[[]]]]]]]]]]],
    {"surrogate": "\ud800"},
    {"uuid": uuid.UUID(int=1)},
    {"enum": [Colour.RED]},
    {"str enum": Kind.STOCK, "int enum": Level.TOP},
    {"dataclass": Point(1, 2)},
    {"date": date(2024, 1, 2)},
]


@pytest.mark.parametrize("value", AWKWARD)
def test_json_bytes_are_the_standard_encoders_bytes(value) -> None:
    for encoder, option, default in (
        (_HASH_ENCODER, orjson.OPT_SORT_KEYS, None),
        (_ENCODER, 0, json_default),
    ):
        try:
            want = encoder.encode(value).encode("utf-8")
        except (TypeError, ValueError, UnicodeEncodeError) as exc:
            with pytest.raises(type(exc)):
                json_bytes(value, encoder, option, default)
        else:
            assert json_bytes(value, encoder, option, default) == want


def test_stored_document_text_and_hash_of_an_article() -> None:
    """An Article item: its document text and content hash as the standard library makes
    them (the content hash format, CONTENT_HASH_VERSION 1, unchanged)."""
    article = Article(
        _id="1",
        title="标题",
        published_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        body_html="<p>正文</p>",
        stocks=[{"secid": "1.600000", "code": "600000", "confidence": 0.95, "via": "quote"}],
        boards=[],
        tags=["a"],
        category=None,
    )
    record = dict(fields_of(article))
    assert record == dict(article)
    assert dumps(record) == json.dumps(
        record, ensure_ascii=False, default=json_default, separators=(",", ":")
    )
    assert content_hash(article) == content_hash(dict(article))
    # The digest the standard library's encoder gave for it (before orjson).
    assert content_hash(article) == "a4f183158bc3a2bedb10090d784f00c0db49d6d9"
