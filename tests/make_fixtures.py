"""Write the generated extraction fixtures (fundus-style golden files).

    python -m tests.make_fixtures            # write missing cases
    python -m tests.make_fixtures --overwrite

Each case is a folder under finews_crawler/sources/fixtures/<adapter>/<case>/ holding the input
page (`page.html` or `page.json`), `meta.json` (url, content type, context) and `expected.json`.
Generated cases come from the mock site's synthetic corpus, and their expected values come from
the corpus's ground truth, never from the extractor's own output. Hand-written cases live beside
them with hand-written expectations; this script leaves those alone.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mocksite import MockCorpus, render

FIXTURES = Path(__file__).resolve().parents[1] / "finews_crawler" / "sources" / "fixtures"
BASE = "http://mirror.example"
SEED = 11
EXPECTED_FIELDS = ("title", "media", "body_text", "stocks", "boards", "images")


def expected_from_truth(truth: dict, *, minute_precision: bool = False) -> dict:
    expected = {name: truth[name] for name in EXPECTED_FIELDS}
    expected["_id"] = truth["id"]
    expected["info_code"] = truth["info_code"]
    expected["url"] = f"https://finance.eastmoney.com/a/{truth['id']}.html"
    published = truth["published_at"]
    expected["published_at"] = (
        published[:17] + "00" + published[19:] if minute_precision else (published)
    )
    return expected


def pick(corpus: MockCorpus, predicate) -> int:
    return next(i for i in range(corpus.count) if predicate(corpus.article(i)))


def generated_cases(corpus: MockCorpus) -> dict[str, tuple[str, str, dict, dict]]:
    """case name -> (file name, body, meta, expected)."""
    cases = {}
    api_variants = {
        "api-both-keys": lambda a: (
            a.api_has_content and a.api_has_text and len(a.truth()["stocks"]) > 1
        ),
        "api-content-only": lambda a: not a.api_has_text,
        "api-text-only": lambda a: not a.api_has_content,
        "api-hk-us-stocks": lambda a: any(s["market"] in ("HK", "US") for s in a.truth()["stocks"]),
        "api-board-in-media-line": lambda a: (
            'em_media">（文章来源：' in a.content_html
            and "bk_90" in a.content_html.split("em_media")[-1]
        ),
    }
    for name, predicate in api_variants.items():
        article = corpus.article(pick(corpus, predicate))
        url = f"{BASE}/NewsData/GetNewsText.do?id={article.info_code}"
        meta = {"url": url, "content_type": "application/json; charset=utf-8", "context": {}}
        body = json.dumps(render.text_api(article), ensure_ascii=False, indent=1)
        cases[name] = ("page.json", body, meta, expected_from_truth(article.truth()))
    rendered = corpus.article(pick(corpus, lambda a: a.share_rendered))
    share = f"{BASE}/html_News/NewsShare.html?infoCode={rendered.info_code}"
    cases["share-page-server-rendered"] = (
        "page.html",
        render.share_page(rendered, []),
        {"url": share, "content_type": "text/html; charset=utf-8", "context": {}},
        expected_from_truth(rendered.truth()),
    )
    for name, path in (
        ("article-page-new-layout", "/a/{id}.html"),
        ("news-column-page", "/news/1350,{id}.html"),
    ):
        article = corpus.article(pick(corpus, lambda a, n=name: a.index % 7 == len(n) % 7))
        cases[name] = (
            "page.html",
            render.article_page(article, BASE, []),
            {
                "url": BASE + path.format(id=article.id),
                "content_type": "text/html",
                "context": {},
                # article paths are East Money's only on its hosts and declared mirrors
                "settings": {"FINEWS_EASTMONEY_MIRRORS": BASE},
            },
            expected_from_truth(article.truth(), minute_precision=True),
        )
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--overwrite", action="store_true", help="rewrite existing cases")
    args = parser.parse_args(argv)
    corpus = MockCorpus(seed=SEED, count=400)
    for name, (file_name, body, meta, expected) in generated_cases(corpus).items():
        folder = FIXTURES / "eastmoney" / f"generated-{name}"
        if folder.exists() and not args.overwrite:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        (folder / file_name).write_text(body, encoding="utf-8")
        for target, data in (("meta.json", meta), ("expected.json", expected)):
            (folder / target).write_text(
                json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        print(f"wrote {folder.relative_to(FIXTURES)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
