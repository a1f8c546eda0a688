"""The suite's one table (Markdown, so a full run's output can go into the README as it is)."""

from __future__ import annotations

from collections.abc import Iterable

from .runner import Row

HEADER = (
    "scenario",
    "store",
    "spider",
    "expected",
    "faulty run: stored / failure records",
    "stored",
    "lost (record / none)",
    "doubled",
    "failure records",
    "exit faulty / last",
    "plain runs",
    "verdict",
)


def _exit(value: int | str | None) -> str:
    return "-" if value is None else str(value)


def cells(row: Row) -> tuple[str, ...]:
    s = row.scenario
    head = (s.name, s.store, s.spider)
    if row.skipped:
        return (*head, str(s.articles), "", "", "", "", "", "", "", "skip")
    final, faulty = row.final, row.after_faulty
    after = f"{faulty.stored} / {faulty.failures}" if faulty else ""
    if final is None:
        counts = (str(s.articles), after, "", "", "", "")
    else:
        counts = (
            str(final.expected),
            after,
            str(final.stored),
            f"{final.lost_recorded} / {final.lost_unrecorded}",
            str(final.doubled),
            str(final.failures),
        )
    exits = f"{_exit(row.faulty_exit)} / {_exit(row.last_exit)}"
    return (*head, *counts, exits, str(row.plain_runs), row.verdict)


def _why(row: Row) -> str:
    if row.skipped:
        return row.skipped
    return "; ".join(row.problems + row.notes)


def render(rows: Iterable[Row]) -> str:
    """The table, then one line per row that failed, errored, was skipped or has a note."""
    rows = list(rows)
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in rows]
    remarks = [(row, _why(row)) for row in rows]
    remarks = [(row, why) for row, why in remarks if why]
    if remarks:
        lines.append("")
        lines += [f"- {row.scenario.key} ({row.verdict}): {why}" for row, why in remarks]
    return "\n".join(lines)
