"""Boilerplate rules of `html_text.clean`: class rules, line prefixes and their shortcuts.

The class rules are checked against the XPath they stand for (lxml's own XPath engine is the
oracle), the prefix rule against its written definition: a block goes when its text, spaces
collapsed and ends stripped, starts with a prefix.
"""

from __future__ import annotations

import itertools

import pytest
from lxml import etree

from finews_crawler.parsing import html_text
from finews_crawler.parsing.html_text import Boilerplate, clean, parse_fragment

_CLASS = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"
RULES = (("p", "em_media"), ("*", "ad"), ("div", "sourcebox"))


def _xpath_of(rules: tuple[tuple[str, str], ...]) -> str:
    return " | ".join(f"//{tag}[{_CLASS.format(name)}]" for tag, name in rules)


def _markup(tag: str, classes: str, text: str) -> str:
    return f'<{tag} class="{classes}">{text}<b>in</b></{tag}>after'


CASES = [
    _markup(tag, classes, "x")
    for tag, classes in itertools.product(
        ("p", "div", "span", "img"),
        (
            "em_media",
            "a em_media",
            "em_media_x",
            "x-em_media",
            "ad",
            "AD",
            "ad\tother",
            "\nsourcebox ",
            "sourcebox2",
            "",
        ),
    )
]


@pytest.mark.parametrize("markup", CASES)
def test_class_rules_remove_what_their_xpath_selects(markup: str) -> None:
    by_class = clean(f"<div>{markup}</div><p>kept</p>", Boilerplate(classes=RULES))
    by_xpath = clean(f"<div>{markup}</div><p>kept</p>", Boilerplate(xpaths=(_xpath_of(RULES),)))
    assert by_class.html == by_xpath.html
    assert by_class.lines == by_xpath.lines
    assert "after" in by_class.text and "kept" in by_class.text  # tails stay


def test_the_leading_blanks_are_what_strip_takes_and_the_zero_width_space() -> None:
    expected = {chr(c) for c in range(0x110000) if chr(c).isspace()} | {"\u200b"}
    assert set(html_text._LEADING_BLANKS) == expected


PREFIXES = ("责任编辑：", "（文章来源：", "风险提示")


@pytest.mark.parametrize(
    "block, dropped",
    [
        ("<p>责任编辑：王</p>", True),
        ("<p>\u3000\u3000责任编辑：王</p>", True),
        ("<p>\u200b\xa0 风险提示：投资有风险</p>", True),
        ("<p><span>（文章来源：</span>某报）</p>", True),
        ("<p> <b> 责任</b>编辑：王</p>", True),
        ("<div><p>风险提示</p>以及更多</div>", True),
        ("<p>本文责任编辑：王</p>", False),
        ("<p>责任 编辑：王</p>", False),
        ("<p>文章来源：某报</p>", False),
        ("<p>" + "很长的一段正文" * 20 + "</p>", False),
    ],
)
def test_a_block_goes_when_its_collapsed_text_starts_with_a_prefix(
    block: str, dropped: bool
) -> None:
    root = parse_fragment(f"{block}<p>正文</p>")
    text = etree.tostring(root[0], method="text", encoding="unicode", with_tail=False)
    rule = html_text._SPACES.sub(" ", text).strip().startswith(PREFIXES)
    assert rule == dropped  # the case itself is what its label says
    body = clean(root, Boilerplate(line_prefixes=PREFIXES))
    assert body.lines[-1] == "正文"
    assert (len(body.lines) == 1) == dropped
