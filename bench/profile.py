"""Where the CPU-bound crawl spends its time: our crawl under pyinstrument, against the static
site with no latency (the same set-up as the CPU-bound crawl), report kept beside the results.

Besides the text report, the frame tree is summed per function of ours (pipelines/,
finews_crawler/) so the results carry the share of each pipeline stage and the hottest of our
functions, as input for the speed work.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import static_site
from bench.crawl import CRAWL_TIMEOUT, commands, crawler_cpus, record_answers
from bench.measure import run_measured, scratch_dir

OURS = ("pipelines/", "finews_crawler/")


def _walk(frame, totals: dict[str, float], selves: dict[str, float], stack: tuple) -> None:
    """Sum each of our functions' total time (recursion once) and its own time."""
    path = frame.file_path or ""
    name = f"{frame.class_name}.{frame.function}" if frame.class_name else frame.function
    key = f"{name}  {frame.file_path_short}:{frame.line_no}"
    ours = any(part in path for part in OURS)
    if ours:
        if key not in stack:
            totals[key] += frame.time
        selves[key] += frame.time - sum(c.time for c in frame.children if not c.is_synthetic)
    for child in frame.children:
        _walk(child, totals, selves, (*stack, key) if ours else stack)


def summarise(session_path: Path, text_path: Path, top: int = 25) -> dict[str, Any]:
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    session = Session.load(str(session_path))
    text_path.write_text(ConsoleRenderer(unicode=True, color=False).render(session))
    root = session.root_frame()
    totals: dict[str, float] = defaultdict(float)
    selves: dict[str, float] = defaultdict(float)
    if root is not None:
        _walk(root, totals, selves, ())
    duration = root.time if root is not None else 1.0

    def share(table: dict[str, float], keys) -> list[dict]:
        return [{"function": k, "share": round(table[k] / duration, 4)} for k in keys]

    stages = sorted((k for k in totals if ".process  pipelines/" in k), key=lambda k: -totals[k])
    return {
        "duration_s": round(duration, 2),
        "pipeline_stages": share(totals, stages),
        "ours_cumulative": share(totals, sorted(totals, key=lambda k: -totals[k])[:top]),
        "ours_self": share(selves, sorted(selves, key=lambda k: -selves[k])[:top]),
    }


def run(articles: int, out_dir: Path, seed: int = 37) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with scratch_dir("finews-bench-profile-") as work:
        answers = work / "answers.pickle"
        record_answers(articles, seed, answers)
        session = work / "crawl.pyisession"
        with static_site.running_static_site(answers, 0) as site:
            crawl = commands("ours", site.base_url, articles, work)
            # crawl[0:3] is "python -m finews_crawler.cli": the same module under the profiler.
            command = [sys.executable, "-m", "pyinstrument", "-r", "pyisession"]
            command += ["-o", str(session), "-m", *crawl[2:]]
            measure = run_measured(command, timeout=CRAWL_TIMEOUT, cpus=crawler_cpus())
        summary = summarise(session, out_dir / "profile.txt") if session.exists() else {}
    # The sampler counts wall time; the crawl is CPU-bound, so each share of the samples is
    # taken as the same share of the process's CPU time, spread over the articles.
    per_article = 1000 * measure.cpu_s / articles
    for entry in summary.get("pipeline_stages", []) + summary.get("ours_self", []):
        entry["cpu_ms_per_article"] = round(entry["share"] * per_article, 3)
    return {
        "articles": articles,
        "report": str(out_dir / "profile.txt"),
        "ok": measure.returncode == 0,
        "cpu_s": round(measure.cpu_s, 2),
        **summary,
    }
