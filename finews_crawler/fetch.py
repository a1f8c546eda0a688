"""`finews fetch URL|INFOCODE ... [-] [--json|--table] [--no-store]`: articles now, by hand.

One Scrapy process fetches every target concurrently with the `fetch` spider, through the
same middlewares and pipelines as a crawl (extract -> normalize -> validate -> dedupe ->
store). Each target ends as exactly one outcome: an article (new / updated / unchanged /
not stored) or a failure with its stage and reason. `--no-store` points the run at a
throwaway SQLite file, so nothing touches the configured store and the pipelines stay
unchanged.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from finews_crawler.crawl.store_component import StoreComponent
from finews_crawler.exporters.jsonl import article_json
from finews_crawler.parsing.dates import to_source_time
from finews_crawler.spiders.fetch import BadTarget, FetchSpider, target_url

# "spooled": the store was unreachable; the article waits in the local spool for replay.
OK_STATUSES = ("new", "updated", "unchanged", "spooled", "not stored")


@dataclass
class FetchOutcome:
    """What became of one command-line target."""

    target: str
    url: str
    status: str = "failed"  # one of OK_STATUSES, or failed
    article: dict[str, Any] | None = None
    stage: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES


@dataclass
class _Collector:
    """Articles and duplicate drops of the crawl, keyed by the target URL they came from."""

    articles: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicates: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def _entry(item: Any, response: Any) -> str | None:
        request = getattr(response, "request", None)
        context = (request.cb_kwargs.get("context") if request is not None else None) or {}
        return context.get("entry_url")

    def item_scraped(self, item: Any, response: Any, spider: Any) -> None:
        entry = self._entry(item, response)
        if entry and "_id" in item:
            self.articles.setdefault(entry, dict(item))

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any):
        from pipelines.dedupe import DuplicateArticle

        entry = self._entry(item, response)
        if entry and isinstance(exception, DuplicateArticle) and "_id" in item:
            self.duplicates.setdefault(entry, item["_id"])


def read_targets(arguments: Sequence[str], stdin: TextIO) -> list[str]:
    """Targets in order, `-` replaced by stdin's lines (blank and # lines skipped), no repeats."""
    found: list[str] = []
    for argument in arguments:
        if argument == "-":
            found += [
                line.strip() for line in stdin if line.strip() and not line.lstrip().startswith("#")
            ]
        else:
            found.append(argument.strip())
    return list(dict.fromkeys(target for target in found if target))


def fetch(
    targets: Sequence[str],
    *,
    store: str | None = None,
    no_store: bool = False,
    settings: dict[str, Any] | None = None,
) -> list[FetchOutcome]:
    """Fetch every target in one in-process crawl; one outcome per target, in input order.

    Runs Twisted's reactor, so it can be called once per process (the CLI's case).
    """
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from finews_crawler.config import project_settings

    project = project_settings()
    for name, value in (settings or {}).items():
        project.set(name, value, priority="cmdline")

    outcomes: list[FetchOutcome] = []
    by_url: dict[str, FetchOutcome] = {}
    for target in targets:
        try:
            url = target_url(target, project)
        except BadTarget as exc:
            outcomes.append(FetchOutcome(target, "", stage="input", reason=str(exc)))
            continue
        outcome = FetchOutcome(target, url)
        by_url.setdefault(url, outcome)
        outcomes.append(outcome)
    if not by_url:
        return outcomes

    with tempfile.TemporaryDirectory(prefix="finews-fetch-") as scratch:
        if no_store:
            scratch_uri = f"sqlite:///{Path(scratch) / 'unstored.sqlite3'}"
            project.set("FINEWS_STORE", scratch_uri, priority="cmdline")
            project.set("FINEWS_PUSH_ENABLED", False, priority="cmdline")  # nothing stored
        elif store:
            project.set("FINEWS_STORE", store, priority="cmdline")
        project.set("FINEWS_PRINT_SUMMARY", False, priority="cmdline")
        project.set("FINEWS_PROGRESS", False, priority="cmdline")
        process = CrawlerProcess(project)
        crawler = process.create_crawler(FetchSpider)
        collector = _Collector()
        crawler.signals.connect(collector.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(collector.item_dropped, signal=signals.item_dropped)
        # A crawl keeps only counts; a fetch reports each article's store outcome.
        crawler.signals.connect(
            lambda spider: setattr(StoreComponent.of(crawler), "keep_outcomes", True),
            signal=signals.spider_opened,
            weak=False,
        )
        process.crawl(crawler, targets=list(by_url))
        process.start()
        run = getattr(crawler, "finews_run", None)
        finish_reason = crawler.stats.get_value("finish_reason")

    stored = {o.article["_id"]: o for o in (run.outcomes if run else [])}
    failures = {record["url"]: record for record in (run.failures if run else [])}
    articles_by_id = {article["_id"]: article for article in collector.articles.values()}
    for url, outcome in by_url.items():
        article = collector.articles.get(url)
        if article is None and url in collector.duplicates:
            article = articles_by_id.get(collector.duplicates[url])
        if article is not None:
            upsert = stored.get(article["_id"])
            if no_store or upsert is None:
                outcome.status, outcome.article = "not stored", article
            elif upsert.status == "failed":  # the store refused this document
                outcome.stage, outcome.reason = "store", upsert.error or "refused by the store"
            else:
                outcome.status, outcome.article = upsert.status, upsert.article or article
        elif url in failures:
            outcome.stage, outcome.reason = failures[url]["stage"], failures[url]["reason"]
        else:
            outcome.stage = "crawl"
            outcome.reason = f"no result (crawl ended: {finish_reason or 'did not start'})"
    for index, outcome in enumerate(outcomes):  # repeated URLs share their first outcome
        first = by_url.get(outcome.url)
        if first is not None and first is not outcome:
            outcomes[index] = FetchOutcome(
                outcome.target, outcome.url, first.status, first.article, first.stage, first.reason
            )
    return outcomes


def print_json(outcomes: Iterable[FetchOutcome], out: TextIO) -> None:
    for outcome in outcomes:
        if outcome.article is not None:
            out.write(article_json(outcome.article) + "\n")


def print_table(outcomes: Sequence[FetchOutcome], out: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=True)
    for column, no_wrap in (
        ("target", False),
        ("status", True),
        ("id", True),
        ("published (+08:00)", True),
        ("media", False),
        ("title / reason", False),
    ):
        table.add_column(column, overflow="fold", no_wrap=no_wrap)
    for outcome in outcomes:
        article = outcome.article or {}
        published = article.get("published_at")
        table.add_row(
            outcome.target,
            outcome.status if outcome.ok else f"[red]failed[/red] ({outcome.stage})",
            article.get("_id", ""),
            to_source_time(published).strftime("%Y-%m-%d %H:%M") if published else "",
            article.get("media") or "",
            article.get("title", "") if outcome.ok else (outcome.reason or ""),
        )
    interactive = hasattr(out, "isatty") and out.isatty()
    Console(file=out, width=None if interactive else 160).print(table)


def report(outcomes: Sequence[FetchOutcome], err: TextIO) -> None:
    """One line per failed target and a summary, on stderr."""
    for outcome in outcomes:
        if not outcome.ok:
            where = f" ({outcome.url})" if outcome.url and outcome.url != outcome.target else ""
            print(
                f"finews fetch: FAILED {outcome.target}{where}: [{outcome.stage}] {outcome.reason}",
                file=err,
            )
    ok = [outcome for outcome in outcomes if outcome.ok]
    counts = {status: sum(o.status == status for o in ok) for status in OK_STATUSES}
    detail = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    print(
        f"finews fetch: {len(outcomes)} target(s): {len(ok)} ok"
        f"{f' ({detail})' if detail else ''}, {len(outcomes) - len(ok)} failed",
        file=err,
    )


def run_fetch(
    arguments: Sequence[str],
    *,
    table: bool = False,
    no_store: bool = False,
    store: str | None = None,
    settings: dict[str, Any] | None = None,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """The command: 0 when every target became an article, 1 otherwise, 2 without targets."""
    targets = read_targets(arguments, stdin)
    if not targets:
        print("finews fetch: no URL or infoCode given (use `-` to read them from stdin)", file=err)
        return 2
    if not no_store:
        from finews_crawler.storage import StoreError, open_store

        try:
            open_store(store or (settings or {}).get("FINEWS_STORE") or None).close()
        except StoreError as exc:
            print(f"finews fetch: {exc}", file=err)
            return 2
    outcomes = fetch(targets, store=store, no_store=no_store, settings=settings)
    if table:
        print_table(outcomes, out)
    else:
        print_json(outcomes, out)
    out.flush()
    report(outcomes, err)
    return 0 if all(outcome.ok for outcome in outcomes) else 1
