"""What can go wrong, as data: one `Scenario` per table row, built by `catalogue()`.

To add a row, append a Scenario. A row whose mock fault kind is unknown to the mock site
(mocksite/faults.py) is reported as skipped with that reason, so rows for
kinds still being written (deep JSON, huge numbers, deep HTML) can be listed already.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SQLITE, MONGODB = "sqlite", "mongodb"
EMNEWS, NEWSSHARE = "emnews", "newsshare"
FEED_ARTICLES = 600  # the corpus of most rows
LARGE_ARTICLES = 3000  # rows the issue measured at 3,000 (full run only)
WORKER_ARTICLES = 2000  # the two-worker row (full run only)
MIXED_ARTICLES = 1937  # the 10% transient + 5% permanent row
SEED = 7
# Answers delayed like a distant server's, so a killed crawl has stored part of its work
# (the store flushes every 2 s) and has requests in flight.
KILL_LATENCY_MS = 150
NET_FAULT_KINDS = ("timeout", "reset", "truncated", "malformed")
# The bad inputs of issue 11, as mock fault kinds: (kind, target) per row. Target "feed"
# (a kind spoiling emnews feed page 2, e.g. entries that are strings or null) works too.
BAD_INPUTS = (
    ("deepjson", "text-api"),
    ("bignumber", "text-api"),
    ("deephtml", "text-api"),
    ("deephtml", "share"),
)
BAD_INPUT_SPIDERS = {"text-api": (EMNEWS, NEWSSHARE), "share": (NEWSSHARE,), "feed": (EMNEWS,)}


@dataclass(frozen=True)
class Disruption:
    """What the faulty run meets besides the mock's faults.

    kind: "faults" (only the mock's faults), "kill-crawler", "kill-db" (MongoDB only),
    "kill-worker" (two workers over Redis, one killed). `at`: the share of the corpus whose
    article URL the mock has served when the kill happens. `down_seconds`: how long a killed
    database stays down before it is restarted (while the crawl goes on).
    """

    kind: str = "faults"
    at: float = 0.0
    down_seconds: float = 0.0


@dataclass(frozen=True)
class Poison:
    """URLs that fail with `kind` on every attempt of the faulty run (healed afterwards).

    target "feed": `where` holds emnews feed page numbers (empty: every page); "share" /
    "text-api": `where` holds shares of the corpus (0.5 = the article in the middle). Each
    poisoned URL must leave a failure record in the faulty run.
    """

    kind: str
    target: str
    where: tuple[float, ...]


@dataclass(frozen=True)
class Scenario:
    name: str
    store: str
    spider: str
    articles: int = FEED_ARTICLES
    disruption: Disruption = field(default_factory=Disruption)
    faults: str = ""  # the mock's --faults spec for the faulty run
    fault_seed: int = 0
    poison: Poison | None = None
    crawl_args: tuple[str, ...] = ()  # spider arguments, e.g. ("-a", "count=50")
    latency_ms: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.store}/{self.spider}/{self.name}"

    @property
    def fault_kinds(self) -> set[str]:
        """Mock fault kinds this row needs (checked against the mock before running)."""
        kinds = {self.poison.kind} if self.poison else set()
        for part in self.faults.split(","):
            name, _, value = part.partition("=")
            if name.strip() == "kinds":
                kinds |= {kind for kind in value.split("+") if kind}
        return kinds

    @property
    def cost(self) -> int:
        """A rough size, so the biggest rows start first and the suite ends sooner."""
        waits = {"kill-worker": 3000, "kill-db": 1000}.get(self.disruption.kind, 0)
        return self.articles * (2 if self.spider == NEWSSHARE else 1) + waits

    @property
    def heals(self) -> bool:
        """Whether the mock must be restarted without its faults after the faulty run."""
        return bool(self.faults or self.poison)


def _rows(store: str, spider: str) -> list[Scenario]:
    """Every row of the full run for one store and one spider."""
    rows = [
        Scenario(
            f"kill-crawler-{point}",
            store,
            spider,
            disruption=Disruption("kill-crawler", at),
            latency_ms=KILL_LATENCY_MS,
        )
        for point, at in (("early", 0.1), ("middle", 0.5), ("late", 0.9))
    ]
    if store == MONGODB:
        rows.append(
            Scenario(
                "kill-db",
                store,
                spider,
                articles=LARGE_ARTICLES,
                disruption=Disruption("kill-db", 0.4, 10.0),
            )
        )
    if spider == EMNEWS:
        rows.append(
            Scenario(
                "feed-page-fails-healed",
                store,
                spider,
                articles=LARGE_ARTICLES,
                poison=Poison("http500", "feed", (5,)),
            )
        )
        rows.append(  # a host that ignores the paging parameter, with a backfill window
            Scenario(
                "feed-ignores-paging-healed",
                store,
                spider,
                poison=Poison("ignore-paging", "feed", ()),
                crawl_args=("-a", "since=2000-01-01"),
            )
        )
    else:
        rows.append(
            Scenario(
                "share-page-fails-healed",
                store,
                spider,
                poison=Poison("http500", "share", (0.2, 0.5, 0.8)),
            )
        )
    rows.append(
        Scenario("transient-10pct", store, spider, faults="transient=0.1,attempts=2,hold=3")
    )
    if spider == EMNEWS:  # the row; newsshare re-reads its whole list every run
        rows.append(
            Scenario(
                "transient-10pct-permanent-5pct",
                store,
                spider,
                articles=MIXED_ARTICLES,
                faults="transient=0.1,permanent=0.05,hold=3",
            )
        )
    # One row per kind on SQLite; MongoDB meets them all in one row (they hit the crawler,
    # not the store, and the suite must end within 15 minutes).
    kind_sets = NET_FAULT_KINDS if store == SQLITE else ("+".join(NET_FAULT_KINDS),)
    for kinds in kind_sets:
        rows.append(
            Scenario(
                f"{kinds.replace('+', '-')}-5pct-healed",
                store,
                spider,
                faults=f"permanent=0.05,kinds={kinds},hold=3",
                fault_seed=1,
            )
        )
    rows.append(
        Scenario(
            "two-workers-one-killed",
            store,
            spider,
            articles=WORKER_ARTICLES if spider == EMNEWS else FEED_ARTICLES,
            disruption=Disruption("kill-worker", 0.4),
            latency_ms=40,
            crawl_args=("-a", "count=50") if spider == EMNEWS else (),
        )
    )
    for kind, target in BAD_INPUTS:
        if spider not in BAD_INPUT_SPIDERS[target]:
            continue  # e.g. emnews reads the JSON text API only: no HTML page to poison
        where = (2,) if target == "feed" else (0.3, 0.7)
        name = f"bad-input-{kind}-{target}"
        rows.append(Scenario(name, store, spider, poison=Poison(kind, target, where)))
    return rows


def catalogue(quick: bool = False) -> list[Scenario]:
    """The full suite, or the reduced one `make test` and `make chaos QUICK=1` run."""
    if quick:
        return [
            Scenario(
                "kill-crawler-middle",
                SQLITE,
                EMNEWS,
                disruption=Disruption("kill-crawler", 0.5),
                latency_ms=KILL_LATENCY_MS,
            ),
            Scenario(
                "feed-page-fails-healed",
                SQLITE,
                EMNEWS,
                poison=Poison("http500", "feed", (5,)),
                crawl_args=("-a", "count=50"),
            ),
            Scenario("transient-10pct", SQLITE, EMNEWS, faults="transient=0.1,attempts=2,hold=3"),
        ]
    return [
        row
        for store in (SQLITE, MONGODB)
        for spider in (EMNEWS, NEWSSHARE)
        for row in _rows(store, spider)
    ]
