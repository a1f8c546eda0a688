"""Extraction quality and speed: our pipeline vs trafilatura and readability-lxml.

Every extractor reads the same HTML pages:
  mock    the mock site's article pages (/a/<id>.html), truth from the mock corpus generator;
  real    the archive's real posts under ../shared/corpus/finews-posts, each put into East
          Money's share-page layout as the mock site renders it (title with the site suffix
          `_东方财富网`, Beijing time, the article HTML in the body). The truth comes from
          `reading` (front matter for title and date, a generic lxml reading for body text and
          stock codes) and shares no code with ours. Skipped, with a reason, when absent.
Titles are compared after removing the site suffix from every extractor's title (and raw);
a date only to the day (trafilatura's) is scored on the day, not as a wrong minute.
Ours runs the whole chain (extract, normalize, validate, dedupe, store into SQLite).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from lxml import html as lxml_html

from bench.measure import cpu_time
from bench.quality import bigram_f1, precision_recall
from bench.reading import BEIJING, read_post
from finews_crawler.crawl.store_component import StoreComponent
from finews_crawler.items import RawPage
from finews_crawler.sources import configure_sources
from finews_crawler.storage.sqlite import SQLiteStore
from mocksite import MockCorpus, render
from pipelines.chain import ingest_pages

BASE = "http://bench.example"
# The mock's article paths on this host are East Money's only once it is a declared mirror
# (sources/eastmoney: generic-looking paths need a known host), as a crawl of a mirror says.
MIRROR_SETTINGS = {"FINEWS_EASTMONEY_MIRRORS": BASE}
SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "finews-posts"
SITE_SUFFIX = re.compile(r"\s*[_|｜-]\s*东方财富网\s*$")
Case = dict[str, Any]  # url, html, title, published (datetime), body_text, stocks (set) | None


# ---- inputs ----------------------------------------------------------------------------------


def mock_cases(count: int, seed: int = 17) -> list[Case]:
    corpus = MockCorpus(seed=seed, count=count)
    cases = []
    for i in range(count):
        article = corpus.article(i)
        truth = article.truth()
        published = datetime.fromisoformat(truth["published_at"]).replace(second=0)
        cases.append(
            {
                "url": f"{BASE}/a/{article.id}.html",
                "html": render.article_page(article, BASE, []),
                "title": truth["title"],
                "published": published,  # the page shows minutes
                "body_text": truth["body_text"],
                "stocks": {stock["secid"] for stock in truth["stocks"]},
            }
        )
    return cases


def real_cases() -> tuple[list[Case], str | None]:
    """Cases from the real archive posts, or ([], reason) when they are absent."""
    if not SHARED_CORPUS.is_dir():
        return [], f"{SHARED_CORPUS} absent (real posts ship only with the dev workspace)"
    cases = []
    for path in sorted(SHARED_CORPUS.glob("*.md")):
        reading = read_post(path)
        number = re.search(r"(\d{18})", path.name)
        if reading is None or not number:
            continue  # the archive's broken post: no title or date to compare with
        page = render.share_page(
            SimpleNamespace(  # type: ignore[arg-type]  # the fields share_page reads
                title=reading.title,
                published=reading.published.astimezone(BEIJING),
                media="东方财富网",
                content_html=reading.article_html,
            ),
            [],
        )
        cases.append(
            {
                "url": f"{BASE}/html_News/NewsShare.html?infoCode=NW{number.group(1)}",
                "html": page,
                "title": reading.title,
                "published": reading.published,
                "body_text": reading.body_text,
                "stocks": reading.stocks,
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
    configure_sources(MIRROR_SETTINGS)
    with tempfile.TemporaryDirectory() as work:
        store = SQLiteStore(Path(work) / "bench.sqlite3")
        results = ingest_pages(pages, run=StoreComponent(store, "bench"))
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
    extractors: dict[str, Callable[[list[Case]], list[dict]]] = {
        "ours": extract_ours,
        "trafilatura": extract_trafilatura,
    }
    try:
        import readability  # noqa: F401

        extractors["readability-lxml"] = extract_readability
    except ImportError:
        pass
    return extractors


# ---- scoring ---------------------------------------------------------------------------------


def as_time(value: Any) -> datetime | date | None:
    """An extractor's date as a datetime, or a date when it gives only the day."""
    if isinstance(value, datetime | date) or value in (None, ""):
        return value or None
    text = str(value).strip()
    try:
        return date.fromisoformat(text) if len(text) <= 10 else datetime.fromisoformat(text)
    except ValueError:
        return None


def date_scores(got: Any, want: datetime) -> tuple[bool | None, bool]:
    """(same minute, or None when no time was given; same day in Beijing)."""
    value = as_time(got)
    if value is None:
        return None, False  # no date given
    day = want.astimezone(BEIJING).date()
    if not isinstance(value, datetime):
        return None, value == day
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEIJING)
    return value.replace(second=0) == want.replace(second=0), value.astimezone(
        BEIJING
    ).date() == day


def title_key(title: Any) -> str:
    return SITE_SUFFIX.sub("", " ".join(str(title or "").split()))


def score(cases: list[Case], found: list[dict], seconds: float) -> dict[str, Any]:
    n = len(cases)
    pairs = list(zip(cases, found, strict=True))
    f1 = [bigram_f1(f["body_text"], c["body_text"]) for c, f in pairs]
    dates = [date_scores(f["published"], c["published"]) for c, f in pairs]
    minutes = [exact for exact, _ in dates if exact is not None]
    row: dict[str, Any] = {
        "articles": n,
        "body_f1": round(sum(f1) / n, 4),
        "body_f1_min": round(min(f1), 4),
        "title_exact": round(sum(title_key(f["title"]) == c["title"] for c, f in pairs) / n, 4),
        "title_raw_exact": round(sum(f["title"] == c["title"] for c, f in pairs) / n, 4),
        # right to the minute, of all articles; None for an extractor that never gives a time
        "date_exact": round(sum(minutes) / n, 4) if minutes else None,
        "date_with_time": round(len(minutes) / n, 4),
        "date_day": round(sum(day for _, day in dates) / n, 4),
        "articles_per_s": round(n / seconds, 1),
    }
    if all(f["stocks"] is not None for f in found):
        tp = fp = fn = 0
        for case, item in pairs:
            a, b, c = precision_recall(item["stocks"], case["stocks"])
            tp, fp, fn = tp + a, fp + b, fn + c
        row["stock_precision"] = round(tp / (tp + fp), 4) if tp + fp else 1.0
        row["stock_recall"] = round(tp / (tp + fn), 4) if tp + fn else 1.0
    return row


def run(mock_articles: int = 500) -> dict[str, Any]:
    datasets: dict[str, tuple[list[Case], str | None]] = {"mock": (mock_cases(mock_articles), None)}
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
