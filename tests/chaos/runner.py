"""One scenario, start to verdict: faulty crawl, heal, at most two plain crawls, count.

The faulty run's exit status is what its caller (cron, a shell script) would have seen; it
must be non-zero when the store was left without an expected article or with a failure
record. The verdict comes from the store and the mock's truth, never from the crawl's own
summary.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from bench.mongo import LocalServer
from finews_crawler.sources.eastmoney import share_url
from mocksite.corpus import MockCorpus
from tests.mongo_server import with_database

from . import crawls, ledger
from .crawls import Crawl, CrawlSpec
from .ledger import Tally, Target, Truth
from .scenarios import MONGODB, SEED, Poison, Scenario
from .services import (
    MockSite,
    SharedMongo,
    Unavailable,
    start_mongo,
    start_private_redis,
    stop_redis,
    unknown_kinds,
)

PLAIN_RUNS = 2


@dataclass
class Row:
    """The outcome of one scenario: counts after the faulty run and at the end."""

    scenario: Scenario
    after_faulty: Tally | None = None
    final: Tally | None = None
    faulty_exit: int | str | None = None
    last_exit: int | str | None = None
    plain_runs: int = 0
    poison_unrecorded: int = 0
    skipped: str = ""
    error: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def unfinished_after_faulty(self) -> bool:
        tally = self.after_faulty
        return tally is not None and bool(tally.lost or tally.failures)

    @property
    def problems(self) -> list[str]:
        """Why this row fails (empty: it passes)."""
        found = [f"harness: {self.error}"] if self.error else []
        final = self.final
        if final is not None:
            if final.lost_unrecorded:
                found.append(f"{final.lost_unrecorded} lost without a failure record")
            if final.lost_recorded:
                found.append(f"{final.lost_recorded} lost with a failure record")
            if final.doubled:
                found.append(f"{final.doubled} doubled")
            if final.stray:
                found.append(f"{final.stray} stored records of no mock article")
        if self.faulty_exit == 0 and self.unfinished_after_faulty:
            found.append("faulty run exited 0 with work unfinished")
        if self.poison_unrecorded:
            found.append(f"{self.poison_unrecorded} failing URL(s) left no failure record")
        return found

    @property
    def verdict(self) -> str:
        if self.skipped:
            return "skip"
        if self.error:
            return "ERROR"
        return "FAIL" if self.problems else "ok"


@dataclass
class Context:
    """What rows share: a root for work directories, the shared SecantusDB, the deadline."""

    root: Path
    mongo: SharedMongo
    keep: bool = False
    deadline: float = math.inf  # time.monotonic() by which every crawl must have ended


# ---- the pieces of a row -------------------------------------------------------------------


def _index(corpus: MockCorpus, share: float, needs_text_api: bool) -> int:
    """The article at `share` of the corpus; for a newsshare text-API poison, the next one
    whose share page is a shell (rendered share pages never call the text API)."""
    i = min(corpus.count - 1, int(share * (corpus.count - 1)))
    while needs_text_api and corpus.article(i).share_rendered and i + 1 < corpus.count:
        i += 1
    return i


def poison_targets(poison: Poison | None, spider: str, articles: int) -> list[Target]:
    """The URL patterns a poison spoils, with the article each belongs to."""
    if poison is None:
        return []
    if poison.target == "feed":
        if not poison.where:
            return [(re.compile(r"webapi\?type=102&"), None)]
        pages = (int(page) for page in poison.where)
        return [(re.compile(rf"webapi\?type=102&.*\bpage={page}\b"), None) for page in pages]
    corpus = MockCorpus(SEED, articles)
    needs_text_api = poison.target == "text-api" and spider != "emnews"
    targets: list[Target] = []
    for share in poison.where:
        article = corpus.article(_index(corpus, share, needs_text_api))
        path = (
            r"GetNewsText\.do\?id="
            if poison.target == "text-api"
            else r"NewsShare\.html\?infoCode="
        )
        targets.append((re.compile(rf"{path}{article.info_code}$"), article.id))
    return targets


def fault_args(scenario: Scenario, targets: list[Target]) -> tuple[str, ...]:
    args: list[str] = []
    if scenario.faults:
        args += ["--faults", scenario.faults, "--fault-seed", str(scenario.fault_seed)]
    for pattern, _ in targets:
        assert scenario.poison is not None
        args += ["--fault-rule", f"{pattern.pattern}={scenario.poison.kind}"]
    return tuple(args)


def spider_args(scenario: Scenario, truth: Truth, site: MockSite, workdir: Path) -> tuple[str, ...]:
    if scenario.spider != "newsshare":
        return scenario.crawl_args
    urls = workdir / "urls.txt"
    lines = (share_url(site.base_url, code) for code in sorted(truth.codes.values()))
    urls.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return (*scenario.crawl_args, "-a", f"urls_file={urls}")


def _reached(site: MockSite, count: int) -> bool:
    try:
        return crawls.articles_requested(site.get_json("/_log", timeout=10)) >= count
    except (OSError, ValueError):  # busy or restarting: ask again at the next poll
        return False


def faulty_run(
    scenario: Scenario, spec: CrawlSpec, site: MockSite, db: LocalServer | None
) -> tuple[int | str, str]:
    """Run the faulty crawl with its disruption: (exit status, harness error or "")."""
    disruption = scenario.disruption
    if disruption.kind == "faults":
        status, _ = crawls.run(spec, "faulty")
        return status, ""
    workers = [Crawl(spec, "faulty")]
    if disruption.kind == "kill-worker":
        workers.append(Crawl(spec, "faulty-2"))
    try:
        return _disrupt(scenario, workers, site, db)
    finally:  # a harness failure must not leave a crawl running
        for worker in workers:
            worker.kill()


def _disrupt(
    scenario: Scenario, workers: list[Crawl], site: MockSite, db: LocalServer | None
) -> tuple[int | str, str]:
    disruption = scenario.disruption
    victim, survivor = workers[0], workers[-1]
    point = max(1, int(disruption.at * scenario.articles))
    alive = lambda: all(worker.running() for worker in workers)  # noqa: E731
    if not crawls.wait_until(lambda: _reached(site, point), alive, victim.spec.timeout()):
        ended = [n for n, worker in enumerate(workers, 1) if not worker.running()]
        statuses = [worker.wait() for worker in workers]
        which = f"worker {ended[0]} of 2" if len(workers) > 1 and ended else "the crawl"
        return statuses[-1], (
            f"{which} ended before the kill point ({point} of {scenario.articles} articles"
            f" requested); exit statuses {statuses}"
        )
    if disruption.kind == "kill-db":
        assert db is not None, "a kill-db row runs on a server of its own"
        db.kill()
        time.sleep(disruption.down_seconds)  # the harness thread, not the crawler's reactor
        try:
            db.start()
        except RuntimeError as exc:
            return survivor.wait(), f"database did not restart: {str(exc)[:100]}"
        return survivor.wait(), ""
    victim.kill()
    if disruption.kind == "kill-crawler":
        return victim.process.returncode, ""
    return survivor.wait(), ""


def _store_uri(scenario: Scenario, workdir: Path, context: Context, stack: ExitStack):
    """(store URI, the private database server a kill-db row kills, else None)."""
    if scenario.store != MONGODB:
        return f"sqlite:///{workdir / 'store.sqlite3'}", None
    database = f"chaos_{uuid.uuid4().hex[:12]}"
    if scenario.disruption.kind == "kill-db":
        server = start_mongo(workdir / "secantusdb")
        stack.callback(server.stop)
        return with_database(server.uri, database), server
    return with_database(context.mongo.uri(), database), None


# ---- the row -------------------------------------------------------------------------------


def run_scenario(scenario: Scenario, context: Context) -> Row:
    """Run one row; every server and work directory it started is gone afterwards."""
    row = Row(scenario)
    started = time.monotonic()
    unknown = unknown_kinds(scenario.fault_kinds)
    if unknown:
        row.skipped = f"the mock site has no fault kind {', '.join(sorted(unknown))} yet"
        return row
    context.root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=scenario.key.replace("/", "-") + "-", dir=context.root))
    try:
        with ExitStack() as stack:
            _run(row, scenario, context, workdir, stack)
    except Unavailable as exc:
        row.skipped = str(exc)
    except Exception as exc:  # a harness failure is reported in the row, not a traceback
        row.error = f"{type(exc).__name__}: {str(exc)[:150]}"
    finally:
        row.seconds = time.monotonic() - started
        if context.keep and row.verdict in ("FAIL", "ERROR"):
            row.notes.append(f"logs in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return row


def _run(row: Row, scenario: Scenario, context: Context, workdir: Path, stack: ExitStack) -> None:
    store_uri, db = _store_uri(scenario, workdir, context, stack)
    redis_url = ""
    if scenario.disruption.kind == "kill-worker":
        redis = start_private_redis()
        stack.callback(stop_redis, redis)
        redis_url = redis.url
    targets = poison_targets(scenario.poison, scenario.spider, scenario.articles)
    site = MockSite(scenario.articles, fault_args(scenario, targets), scenario.latency_ms)
    stack.callback(site.stop)
    truth = ledger.read_truth(site)
    arguments = spider_args(scenario, truth, site, workdir)
    spec = CrawlSpec(
        store_uri, scenario.spider, site.base_url, workdir, arguments, redis_url, context.deadline
    )

    row.faulty_exit, row.error = faulty_run(scenario, spec, site, db)
    if row.faulty_exit == crawls.TIMED_OUT and not row.error:
        row.error = "the faulty run did not end in time"
    contents = ledger.read_store(store_uri)
    row.after_faulty = tally = ledger.tally(contents, truth)
    row.poison_unrecorded = ledger.unrecorded(contents.failures, targets, truth)
    if row.error:
        row.final = tally
        return
    if scenario.heals:
        site.heal()
    while row.plain_runs < PLAIN_RUNS and not tally.complete:
        row.plain_runs += 1
        row.last_exit, crawl = crawls.run(spec, f"plain-{row.plain_runs}")
        if row.last_exit == crawls.TIMED_OUT:
            row.error = f"plain run {row.plain_runs} did not end: {crawl.tail(120)!r}"
        tally = ledger.tally(ledger.read_store(store_uri), truth)
        if row.error:
            break
    row.final = tally
    if tally.failures and not tally.lost:
        row.notes.append(f"{tally.failures} failure record(s) left for stored articles")
    if row.faulty_exit not in (0, -9) and row.after_faulty and row.after_faulty.complete:
        row.notes.append(f"faulty run exited {row.faulty_exit} with nothing unfinished")
    if row.last_exit not in (None, 0) and tally.complete:
        row.notes.append(f"last run exited {row.last_exit} with nothing unfinished")
