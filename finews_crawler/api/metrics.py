"""/metrics in the Prometheus text exposition format (version 0.0.4), read from the store on
each scrape: articles stored, failure records, the last run of each spider, and the age of
the newest article of each source."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from finews_crawler.storage import ArticleQuery, FailureQuery, RunQuery, Store

RUNS_LOOKED_AT = 500  # "last run per spider" among this many most recent runs


def _label(value: Any) -> str:
    text = str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return f'"{text}"'


def _number(value: float) -> str:
    """Whole numbers without a fraction, others with full precision (never 1.5e+08)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _seconds(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


class Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(
        self, name: str, help_text: str, samples: Iterable[tuple[dict[str, Any], float]]
    ) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} gauge")
        for labels, value in samples:
            inside = ",".join(f"{key}={_label(val)}" for key, val in labels.items())
            shown = _number(value)
            self.lines.append(f"{name}{{{inside}}} {shown}" if inside else f"{name} {shown}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def last_runs(store: Store) -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for run in store.find_runs(RunQuery(limit=RUNS_LOOKED_AT)):
        latest.setdefault(str(run.get("spider")), run)
    return latest


def render(store: Store, sources: Iterable[str], now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    out = Exposition()
    out.metric("finews_articles_stored", "Articles in the store.", [({}, store.count_articles())])
    stages: dict[str, int] = {}
    for failure in store.find_failures(FailureQuery()):
        stage = str(failure.get("stage") or "unknown")
        stages[stage] = stages.get(stage, 0) + 1
    out.metric(
        "finews_failure_records",
        "Failure records in the store, by stage.",
        [({"stage": stage}, count) for stage, count in sorted(stages.items())] or [({}, 0)],
    )
    runs = sorted(last_runs(store).items())
    out.metric(
        "finews_last_run_start_timestamp_seconds",
        "When the last run of each spider started (Unix time).",
        [({"spider": s}, _seconds(r["started_at"])) for s, r in runs if r.get("started_at")],
    )
    out.metric(
        "finews_last_run_finish_timestamp_seconds",
        "When the last run of each spider ended (Unix time); absent while it runs.",
        [({"spider": s}, _seconds(r["finished_at"])) for s, r in runs if r.get("finished_at")],
    )
    out.metric(
        "finews_last_run_exit_status",
        "Exit status of the last run of each spider (0 ok, 1 failures or unfinished).",
        [({"spider": s}, r["exit_status"]) for s, r in runs if r.get("exit_status") is not None],
    )
    out.metric(
        "finews_last_run_articles",
        "Articles of the last run of each spider, by outcome.",
        [
            ({"spider": s, "outcome": outcome}, (r.get("counts") or {}).get(outcome, 0))
            for s, r in runs
            if r.get("counts")
            for outcome in ("new", "updated", "unchanged", "failures")
        ],
    )
    ages = []
    for source in sorted(set(sources)):
        newest = next(iter(store.find_articles(ArticleQuery(source=source, limit=1))), None)
        if newest is not None and newest.get("published_at"):
            ages.append(({"source": source}, now.timestamp() - _seconds(newest["published_at"])))
    out.metric(
        "finews_newest_article_age_seconds",
        "Seconds since the publish time of the newest stored article of each source.",
        ages,
    )
    return out.text()
