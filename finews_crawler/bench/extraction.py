"""Extraction quality and speed: our pipeline vs trafilatura and readability-lxml.

Every extractor reads the same HTML pages:
  mock    the mock site's article pages (/a/<id>.html), ground truth known exactly;
  real    the archive's real posts under ../shared/corpus, each wrapped in East Money's
          server-rendered page layout; the reference is the front matter for title and date and
          an independent reading of the visible paragraphs (and data-code attributes) for the
          body and stocks. Skipped, with a reason, when ../shared is absent.
Ours runs the whole chain (extract, normalize, validate, dedupe, store into SQLite).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import html as lxml_html

from finews_crawler.bench.measure import cpu_time
from finews_crawler.bench.quality import bigram_f1, precision_recall
from finews_crawler.importers.jekyll_posts import body_html, parse_post
from finews_crawler.items import RawPage
from finews_crawler.mocksite import MockCorpus, render
from finews_crawler.parsing.dates import SOURCE_TZ, parse_datetime
from finews_crawler.storage.sqlite import SQLiteStore
from pipelines import IngestRun
from pipelines.chain import ingest_pages

BASE = "http://bench.example"
SHARED_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "finews-posts"
Case = dict[str, Any]  # url, html, title, published (datetime), body_text, stocks (set) | None


# ---- inputs ----------------------------------------------------------------------------------


def mock_cases(count: int, seed: int = 17) -> list[Case]:
    corpus = MockCorpus(seed=seed, count=count)
    cases = []
    for i in range(count):
        article = corpus.article(i)
        truth = article.truth()
        published = parse_datetime(truth["published_at"]).replace(second=0)  # page shows minutes
        cases.append(
            {
                "url": f"{BASE}/a/{article.id}.html",
                "html": render.article_page(article, BASE, []),
                "title": truth["title"],
                "published": published,
                "body_text": truth["body_text"],
                "stocks": {stock["secid"] for stock in truth["stocks"]},
            }
        )
    return cases


_DATA_CODE = re.compile(r'data-code="(?:([0-9A-Z]+)\|(\d+)\||(\d+),([0-9A-Z]+)")')
_HK_MENTION = re.compile(r"[（(](\d{5})\.HK[)）]")
_A_MENTION = re.compile(r"[（(]([0-9]{6})[)）]")
_A_SECID = {"6": "1", "0": "0", "3": "0"}


def reference_body(fragment: str) -> tuple[str, set[str]]:
    """Visible paragraphs of a real post body, read independently of our extractor."""
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    lines = []
    for block in root:
        if not isinstance(block.tag, str):
            continue
        if "display:none" in (block.get("style") or "").replace(" ", ""):
            continue
        if block.xpath(".//a[contains(@class, 'EmImageRemark')]") or "em_media" in (
            block.get("class") or ""
        ):
            continue
        text = " ".join(block.text_content().split()).strip("\u3000 ")
        if text:
            lines.append(text)
    secids = set()
    for code, market, market2, code2 in _DATA_CODE.findall(fragment):
        number, value = (market, code) if code else (market2, code2)
        if number != "90":
            secids.add(f"{number}.{value}")
    text = "\n".join(lines)
    secids.update(f"116.{code}" for code in _HK_MENTION.findall(text))
    secids.update(
        f"{_A_SECID[code[0]]}.{code}" for code in _A_MENTION.findall(text) if code[0] in _A_SECID
    )
    return text, secids


def real_cases() -> tuple[list[Case], str | None]:
    """Cases from the real archive posts, or ([], reason) when they are absent."""
    if not SHARED_CORPUS.is_dir():
        return [], f"{SHARED_CORPUS} absent (real posts ship only with the dev workspace)"
    cases = []
    for path in sorted(SHARED_CORPUS.glob("*.md")):
        post = parse_post(path)
        front = post.front
        number = re.search(r"(\d{18})", path.name)
        if not front.get("title") or not number:
            continue  # the archive's broken post: no title to compare with
        fragment = body_html(post.body)
        published = parse_datetime(str(front["date"]))
        local = published.astimezone(SOURCE_TZ).strftime("%Y年%m月%d日 %H:%M:%S")
        page = (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{front['title']}</title>"
            "</head><body><div class='nav'><a href='/'>首页</a></div><div class='newsContent'>"
            f"<h1>{front['title']}</h1><div class='Info'><div class='time'>{local}</div></div>"
            f"<div id='ContentBody' class='Body'>{fragment}</div></div>"
            "<div class='footer'>版权所有</div></body></html>"
        )
        text, secids = reference_body(fragment)
        cases.append(
            {
                "url": f"{BASE}/html_News/NewsShare.html?infoCode=NW{number.group(1)}",
                "html": page,
                "title": front["title"],
                "published": published,
                "body_text": text,
                "stocks": secids,
            }
        )
    return cases, None


# ---- extractors: list of cases -> list of {title, published, body_text, stocks} --------------


def extract_ours(cases: list[Case]) -> list[dict]:
    pages = [
        RawPage(
            url=c["url"],
            final_url=c["url"],
            status=200,
            text=c["html"],
            content_type="text/html; charset=utf-8",
            context={},
            spider="bench",
        )
        for c in cases
    ]
    with tempfile.TemporaryDirectory() as work:
        store = SQLiteStore(Path(work) / "bench.sqlite3")
        results = ingest_pages(pages, run=IngestRun(store, "bench"))
        store.close()
    found = []
    for result in results:
        article = result.article or {}
        found.append(
            {
                "title": article.get("title"),
                "published": article.get("published_at"),
                "body_text": article.get("body_text", ""),
                "stocks": {stock["secid"] for stock in article.get("stocks", [])},
            }
        )
    return found


def extract_trafilatura(cases: list[Case]) -> list[dict]:
    import trafilatura

    found = []
    for case in cases:
        document = trafilatura.bare_extraction(
            case["html"], url=case["url"], with_metadata=True, output_format="python"
        )
        data = (
            {}
            if document is None
            else (document.as_dict() if hasattr(document, "as_dict") else dict(document))
        )
        found.append(
            {
                "title": data.get("title"),
                "published": data.get("date"),
                "body_text": data.get("text") or "",
                "stocks": None,
            }
        )
    return found


def extract_readability(cases: list[Case]) -> list[dict]:
    from readability import Document

    found = []
    for case in cases:
        document = Document(case["html"])
        summary = lxml_html.fromstring(document.summary())
        lines = [" ".join(el.text_content().split()) for el in summary.iter("p", "h2", "li")]
        found.append(
            {
                "title": document.short_title(),
                "published": None,
                "body_text": "\n".join(line for line in lines if line),
                "stocks": None,
            }
        )
    return found


def available_extractors() -> dict[str, Callable[[list[Case]], list[dict]]]:
    extractors = {"ours": extract_ours, "trafilatura": extract_trafilatura}
    try:
        import readability  # noqa: F401

        extractors["readability-lxml"] = extract_readability
    except ImportError:
        pass
    return extractors


# ---- scoring ---------------------------------------------------------------------------------


def _same_minute(got: Any, want: datetime) -> tuple[bool, bool]:
    """(exact to the minute, same calendar day in Beijing) for an extracted date."""
    if got in (None, ""):
        return False, False
    try:
        value = got if isinstance(got, datetime) else parse_datetime(str(got))
    except ValueError:
        return False, False
    exact = value.replace(second=0) == want.replace(second=0)
    day = value.astimezone(SOURCE_TZ).date() == want.astimezone(SOURCE_TZ).date()
    if isinstance(got, str) and len(got) <= 10:  # a bare day: exact only to the day
        exact = False
    return exact, day


def score(cases: list[Case], found: list[dict], seconds: float) -> dict[str, Any]:
    n = len(cases)
    f1 = [bigram_f1(f["body_text"], c["body_text"]) for c, f in zip(cases, found, strict=True)]
    titles = sum(f["title"] == c["title"] for c, f in zip(cases, found, strict=True))
    dates = [
        _same_minute(f["published"], c["published"]) for c, f in zip(cases, found, strict=True)
    ]
    row: dict[str, Any] = {
        "articles": n,
        "body_f1": round(sum(f1) / n, 4),
        "body_f1_min": round(min(f1), 4),
        "title_exact": round(titles / n, 4),
        "date_exact": round(sum(exact for exact, _ in dates) / n, 4),
        "date_day": round(sum(day for _, day in dates) / n, 4),
        "articles_per_s": round(n / seconds, 1),
    }
    if all(f["stocks"] is not None for f in found):
        tp = fp = fn = 0
        for case, item in zip(cases, found, strict=True):
            a, b, c = precision_recall(item["stocks"], case["stocks"])
            tp, fp, fn = tp + a, fp + b, fn + c
        row["stock_precision"] = round(tp / (tp + fp), 4) if tp + fp else 1.0
        row["stock_recall"] = round(tp / (tp + fn), 4) if tp + fn else 1.0
    return row


def run(mock_articles: int = 500) -> dict[str, Any]:
    datasets = {"mock": (mock_cases(mock_articles), None)}
    datasets["real"] = real_cases()
    report: dict[str, Any] = {}
    for dataset, (cases, skipped) in datasets.items():
        if skipped or not cases:
            report[dataset] = {"skipped": skipped or "no cases"}
            continue
        rows = {}
        for name, extractor in available_extractors().items():
            started = cpu_time()
            found = extractor(cases)
            rows[name] = score(cases, found, max(cpu_time() - started, 1e-9))
        ours = rows["ours"]["articles_per_s"]
        report[dataset] = {
            "rows": rows,
            "speed_ratio_vs_trafilatura": round(ours / rows["trafilatura"]["articles_per_s"], 2),
        }
    report["targets"] = {
        "body_f1": 0.99,
        "title_exact": 1.0,
        "date_exact": 1.0,
        "stock_precision": 0.99,
        "stock_recall": 0.99,
        "speed_ratio_vs_trafilatura": 5.0,
    }
    return report
