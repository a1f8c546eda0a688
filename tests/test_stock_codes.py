"""Stock-code notations, each resolved to code, market and secid: East Money's own markup
notations (its adapter's stocks module) and the generic text notations (parsing)."""

from __future__ import annotations

import pytest

from finews_crawler.parsing import stocks as stock_codes
from finews_crawler.parsing.stocks import Board, Security
from finews_crawler.sources.eastmoney import stocks as em_stocks


@pytest.mark.parametrize(
    ("data_code", "expected"),
    [
        ("600570|1|1", ("600570", "SH", "1.600570")),
        ("688001|1|1", ("688001", "SH", "1.688001")),
        ("002752|0|2", ("002752", "SZ", "0.002752")),
        ("300343|0|2", ("300343", "SZ", "0.300343")),
        ("830799|0|2", ("830799", "BJ", "0.830799")),
        ("00700|116|1", ("00700", "HK", "116.00700")),
        ("NIO|106|7", ("NIO", "US", "106.NIO")),
        ("AAPL|105|1", ("AAPL", "US", "105.AAPL")),
        ("1,600519", ("600519", "SH", "1.600519")),
        ("0,300343", ("300343", "SZ", "0.300343")),
        ("116,01315", ("01315", "HK", "116.01315")),
        ("K 600570|1|1", ("600570", "SH", "1.600570")),
    ],
)
def test_data_code_notations(data_code: str, expected: tuple[str, str, str]) -> None:
    security = em_stocks.from_data_code(data_code)
    assert isinstance(security, Security)
    assert (security.code, security.market, security.secid) == expected


@pytest.mark.parametrize("data_code", ["BK1037|90|1", "90,BK0473"])
def test_boards_are_not_securities(data_code: str) -> None:
    board = em_stocks.from_data_code(data_code)
    assert isinstance(board, Board)
    assert board.secid.startswith("90.BK")


@pytest.mark.parametrize("data_code", ["", "garbage", "12345|1|1", "600570|99|1", "1,ABC"])
def test_malformed_data_codes_give_nothing(data_code: str) -> None:
    assert em_stocks.from_data_code(data_code) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://quote.eastmoney.com/unify/r/1.600570", "1.600570"),
        ("https://quote.eastmoney.com/r/0.002353", "0.002353"),
        ("http://quote.eastmoney.com/hk/00700.html", "116.00700"),
        ("http://quote.eastmoney.com/us/AAPL.html", "105.AAPL"),
    ],
)
def test_quote_urls(url: str, expected: str) -> None:
    found = em_stocks.from_quote_url(url)
    assert found is not None and found.secid == expected


def test_text_mentions_with_names_and_markets() -> None:
    text = "宏达电子(600123)晚间公告；康源生物(01548.HK)与星辰科技（300999）同日披露。苹果(AAPL.US)"
    found = [(s.code, s.market, s.name) for s in stock_codes.from_text(text)]
    assert found == [
        ("600123", "SH", "宏达电子"),
        ("01548", "HK", "康源生物"),
        ("300999", "SZ", "星辰科技"),
        ("AAPL", "US", "苹果"),
    ]


def test_text_mentions_ignore_years_and_long_numbers() -> None:
    assert stock_codes.from_text("报告期(2021)营收(1234567)元，同比(12.5%)") == []


def test_from_html_orders_dedupes_and_names() -> None:
    fragment = (
        '<!-- EM_StockImg_Start --><p><a class="EmImageRemark" data-code="600123|1|1">'
        '<img data-code="K 600123|1|1" src="x"></a></p><!-- EM_StockImg_End -->'
        '<p><span id="stock_0.300999"><a class="keytip" data-code="0,300999">星辰科技</a></span>'
        '和<span web="1" class="em_stock_key_common" data-code="1,600123">宏达电子</span>，'
        '<span id="Info.3321"><a class="infokey" href="http://data.eastmoney.com/bbsj/">业绩</a>'
        '</span><span id="bk_90.BK0473"><a class="keytip" data-code="90,BK0473">证券</a></span></p>'
    )
    securities, boards = stock_codes.from_html(fragment, em_stocks.stock_mention, em_stocks.MARKUP)
    # The markup rule only spares asking the other elements: asking every one finds the same.
    assert stock_codes.from_html(fragment, em_stocks.stock_mention) == (securities, boards)
    assert [(s.code, s.market, s.secid, s.name, s.via) for s in securities] == [
        ("600123", "SH", "1.600123", "宏达电子", "quote"),
        ("300999", "SZ", "0.300999", "星辰科技", "link"),
    ]
    assert [b.as_dict() for b in boards] == [
        {"code": "BK0473", "secid": "90.BK0473", "name": "证券"}
    ]


def test_market_of_a_share_prefixes() -> None:
    assert stock_codes.market_of_a_share("600000") == "SH"
    assert stock_codes.market_of_a_share("000001") == "SZ"
    assert stock_codes.market_of_a_share("430047") == "BJ"
    assert stock_codes.market_of_a_share("12345") is None
