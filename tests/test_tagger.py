"""The stock tagger's rules (parsing/stocks), each checked on text written for it here:
every code notation, names from the right span, longest match first, short and ambiguous
names, words, places, A and H shares. Expected tags follow from the rules as written in
parsing/stocks/matcher.py and notations.py, and from the master records given."""

from __future__ import annotations

import pytest

from finews_crawler.parsing.stocks import (
    Tagger,
    code_mentions,
    facts_from_article,
    from_id,
    kind_of,
    market_of_a_share,
)


def keys(tags) -> list[str]:
    return [tag.key for tag in tags]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("渣打(2888.HK)", ("02888", "HK", "stock")),
        ("某某(0027.HK)", ("00027", "HK", "stock")),
        ("某某(002572.SZ，最新价8.1元)", ("002572", "SZ", "stock")),
        ("瑞信(CS.N)", ("CS", "US", "stock")),
        ("英特尔(INTC.O)", ("INTC", "US", "stock")),
        ("某公司（SUN.N）", ("SUN", "US", "stock")),
        ("某ETF（516380）", ("516380", "SH", "fund")),
        ("某ETF(159934)", ("159934", "SZ", "fund")),
        ("黄金ETF(518880)", ("518880", "SH", "fund")),
        ("创业板指(399006)", ("399006", "SZ", "index")),
        ("某转债(113050)", ("113050", "SH", "bond")),
        ("公司代码为600570.SH，", ("600570", "SH", "stock")),
        ("关注SZ000001的走势", ("000001", "SZ", "stock")),
        ("某股(920082.BJ)", ("920082", "BJ", "stock")),
        ("英伟达（纳斯达克：NVDA）", ("NVDA", "US", "stock")),
    ],
)
def test_every_code_notation(text: str, expected: tuple[str, str, str]) -> None:
    [mention] = list(code_mentions(text))
    security = mention.security
    assert (security.code, security.market, security.kind) == expected


@pytest.mark.parametrize(
    "text", ["报告期(2021)营收(1234567)元", "人工智能(AI)持续火热", "同比增长(12.5%)", "(ABC)"]
)
def test_numbers_and_words_in_brackets_are_no_codes(text: str) -> None:
    assert list(code_mentions(text)) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("记者从中国石化(600028)获悉", "中国石化"),
        ("位列金沙中国(01928.HK)之后", "金沙中国"),
        ("据报道，Sunoco Lp（SUN.N）完成收购", "Sunoco Lp"),
        ("与星辰科技(300999)合作", "星辰科技"),
        ("向日葵(300111)公告", "向日葵"),
        ("和而泰(002402)公告", "和而泰"),
        ("本周黄金ETF(518880)净流入", "黄金ETF"),
    ],
)
def test_name_is_taken_from_the_right_span(text: str, name: str) -> None:
    [mention] = list(code_mentions(text))
    assert mention.security.name == name


def test_markets_and_kinds_follow_the_number_plans() -> None:
    assert market_of_a_share("516380") == "SH" and kind_of("516380", "SH") == "fund"
    assert market_of_a_share("159934") == "SZ" and kind_of("159934", "SZ") == "fund"
    assert market_of_a_share("430047") == "BJ"
    assert kind_of("600000", "SH") == "stock"
    found = from_id("HK2476")
    assert found is not None and (found.code, found.market, found.secid) == (
        "02476",
        "HK",
        "116.02476",
    )
    cls_style = from_id("sh601633")
    assert cls_style is not None and cls_style.secid == "1.601633"


MASTER = [
    {"code": "601318", "market": "SH", "names": ["中国平安"], "listed": 3},
    {"code": "02318", "market": "HK", "names": ["中国平安"], "listed": 9},
    {"code": "000001", "market": "SZ", "names": ["平安银行"]},
    {"code": "LLY", "market": "US", "secid": "106.LLY", "names": ["礼来"]},
    {"code": "NVO", "market": "US", "secid": "106.NVO", "names": ["诺和诺德"]},
    {"code": "00388", "market": "HK", "names": ["香港交易所"]},
    {"code": "300024", "market": "SZ", "names": ["机器人"], "named_texts": 20, "listed_texts": 1},
    {"code": "META", "market": "US", "names": ["Meta"]},
    {"code": "601555", "market": "SH", "names": ["东吴证券"]},
    {"code": "399006", "market": "SZ", "kind": "index", "names": ["创业板指"]},
    {"code": "600999", "market": "SH", "names": ["锡城"]},  # invented: a name that is a city
]


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger.from_records(MASTER)


def test_names_without_codes_are_found(tagger: Tagger) -> None:
    tags = tagger.tag("隔夜美股医药股普遍收高，礼来、诺和诺德均上涨逾4%。")
    assert keys(tags) == ["US:LLY", "US:NVO"]
    assert {tag.via for tag in tags} == {"name"}
    assert all(0 < (tag.confidence or 0) < 1 for tag in tags)


def test_longest_name_first(tagger: Tagger) -> None:
    assert keys(tagger.tag("平安银行发布年报")) == ["SZ:000001"]


def test_a_shared_name_goes_to_the_code_in_the_text(tagger: Tagger) -> None:
    tags = tagger.tag("中国平安(02318.HK)公告，中国平安将回购")
    assert keys(tags) == ["HK:02318"]


def test_a_shared_name_goes_to_the_a_share_or_where_the_words_point(tagger: Tagger) -> None:
    assert keys(tagger.tag("中国平安发布公告")) == ["SH:601318"]
    assert keys(tagger.tag("中国平安港股涨超3%")) == ["HK:02318"]


def test_the_other_listing_of_a_listed_name_is_not_added(tagger: Tagger) -> None:
    listed = from_id("02318.HK")
    assert listed is not None
    named = type(listed)(**{**listed.__dict__, "name": "中国平安", "via": "source"})
    assert keys(tagger.tag("中国平安发布公告", listed=[named])) == ["HK:02318"]


def test_places_words_and_voices_are_not_securities(tagger: Tagger) -> None:
    assert tagger.tag("香港交易所市场数据显示") != []  # 市场 is no city
    assert tagger.tag("锡城市政府发布通知") == []  # a place
    assert keys(tagger.tag("锡城发布年报")) == ["SH:600999"]
    # the learned evidence says 机器人 is mostly a word: only with its code
    assert tagger.tag("人形机器人概念走强") == []
    assert keys(tagger.tag("机器人(300024)涨停")) == ["SZ:300024"]
    # a broker's analysts speaking about others
    assert tagger.tag("东吴证券认为，行业景气上行") == []
    assert keys(tagger.tag("东吴证券发布公告")) == ["SH:601555"]


def test_a_name_glued_to_a_latin_word_is_a_product(tagger: Tagger) -> None:
    assert tagger.tag("东吴证券App上线") == []
    assert keys(tagger.tag("礼来CEO表示")) == ["US:LLY"]


def test_listed_names_are_found_as_texts_write_them() -> None:
    tagger = Tagger.from_records(
        [
            {"code": "01810", "market": "HK", "names": ["小米集团-W"]},
            {"code": "000002", "market": "SZ", "names": ["万  科Ａ"]},
            {"code": "300999", "market": "SZ", "names": ["*ST星辰"]},
        ]
    )
    found = tagger.tag("小米集团发布新品，万科A公告，ST星辰与*ST星辰同一只")
    assert [(t.key, t.name) for t in found] == [
        ("HK:01810", "小米集团"),
        ("SZ:000002", "万科A"),
        ("SZ:300999", "ST星辰"),
    ]


def test_latin_names_only_at_word_boundaries(tagger: Tagger) -> None:
    assert keys(tagger.tag("Meta 股价上涨3.1%")) == ["US:META"]
    assert tagger.tag("Metaverse 概念") == []


def test_indexes_need_evidence_to_be_tagged_by_name(tagger: Tagger) -> None:
    assert tagger.tag("创业板指跌逾2%") == []
    assert keys(tagger.tag("创业板指(399006)跌逾2%")) == ["SZ:399006"]


def test_codes_take_the_masters_name(tagger: Tagger) -> None:
    [tag] = tagger.tag("今日记者从中国平安(601318)获悉")
    assert tag.name == "中国平安" and tag.via == "code"


def test_a_known_us_ticker_in_brackets(tagger: Tagger) -> None:
    assert keys(tagger.tag("礼来(LLY)盘前上涨")) == ["US:LLY"]


def test_facts_from_an_article_teach_names_and_evidence(tagger: Tagger) -> None:
    article = {
        "source": "wire",
        "title": "礼来涨超5%",
        "body_text": "诺和诺德跟涨",
        "published_at": "2026-06-05T00:00:00+08:00",
        "stocks": [
            {"code": "LLY", "market": "US", "secid": "106.LLY", "name": "礼来", "via": "source"},
            {"code": "X", "market": "US", "secid": "105.X", "name": "某名", "via": "name"},
        ],
    }
    facts = facts_from_article(article, tagger)
    named = [f for f in facts if f.get("name")]
    assert [(f["code"], f["name"], f["learned_from"]) for f in named] == [
        ("LLY", "礼来", "source:wire")
    ]
    evidence = {f["code"]: f["listed_texts"] for f in facts if "named_texts" in f}
    assert evidence == {"LLY": 1, "NVO": 0}


def test_a_short_name_glued_inside_a_longer_word_is_no_tag(tagger: Tagger) -> None:
    assert tagger.tag("巴礼来华访问") == []
    assert keys(tagger.tag("今天，礼来上涨")) == ["US:LLY"]


def test_name_tags_make_no_new_revision() -> None:
    from finews_crawler.article import content_hash

    shown = {"code": "600570", "market": "SH", "secid": "1.600570", "name": None, "via": "quote"}
    named = {"code": "LLY", "market": "US", "secid": "106.LLY", "name": "礼来", "via": "name"}
    base = {"title": "t", "body_text": "礼来", "stocks": [shown]}
    assert content_hash(base) == content_hash({**base, "stocks": [shown, named]})
    assert content_hash(base) != content_hash({**base, "stocks": []})


# Names invented for the context rules below (parsing/stocks/matcher.py docstring).
CONTEXT_MASTER = [
    {"code": "512990", "market": "SH", "kind": "fund", "names": ["甲材料ETF"]},
    {"code": "513990", "market": "SH", "kind": "fund", "names": ["港股甲材料ETF"]},
    {"code": "600990", "market": "SH", "names": ["乙科技"]},
    # an index the sources list on every text naming it (indexes need that evidence)
    {
        "code": "980990",
        "market": "SZ",
        "kind": "index",
        "names": ["丙器件"],
        "named_texts": 4,
        "listed_texts": 4,
    },
]


@pytest.fixture(scope="module")
def context_tagger() -> Tagger:
    return Tagger.from_records(CONTEXT_MASTER)


def test_a_bracketed_code_after_a_name_owns_it(context_tagger: Tagger) -> None:
    # 丁区甲材料ETF is unknown: its code follows it, the shorter known name is not tagged
    assert keys(context_tagger.tag("丁区甲材料ETF（513991）成交额居前")) == ["SH:513991"]
    assert keys(context_tagger.tag("甲材料ETF（512990）成交额居前")) == ["SH:512990"]
    assert keys(context_tagger.tag("甲材料ETF成交额居前")) == ["SH:512990"]


def test_a_fund_or_index_name_inside_a_longer_name_is_no_tag(context_tagger: Tagger) -> None:
    assert context_tagger.tag("戊国甲材料ETF领跌") == []  # the tail of a longer fund name
    assert keys(context_tagger.tag("港股甲材料ETF领跌")) == ["SH:513990"]  # longest first
    assert keys(context_tagger.tag("，甲材料ETF领涨")) == ["SH:512990"]
    # a stock's name after Chinese characters stays a stock (对乙科技...)
    assert keys(context_tagger.tag("机构对乙科技的持仓下降")) == ["SH:600990"]


def test_an_index_name_running_on_into_a_board_is_that_board(context_tagger: Tagger) -> None:
    assert context_tagger.tag("丙器件零部件板块短线拉升") == []
    assert context_tagger.tag("丙器件概念走强") == []
    assert keys(context_tagger.tag("丙器件指数涨1.2%")) == ["SZ:980990"]


def test_a_name_opening_an_events_title_is_the_event(context_tagger: Tagger) -> None:
    assert context_tagger.tag("在2026乙科技汽车技术峰会上，多家车企发布新品") == []
    assert keys(context_tagger.tag("乙科技发布汽车芯片，将在峰会上展示")) == ["SH:600990"]
