"""Instructions one `normalize` of a mock article executes, counted by valgrind's callgrind.

CPU time on a shared virtual machine moves by 15% from run to run; an instruction count does
not, so a before/after of the normalize stage can be read from one pair of runs. Each count
runs this module under callgrind twice, normalizing the same extracted mock articles once
(warm-up: parsers, caches) and then `passes` more times or none; the difference over the
articles normalized in between is the cost of one normalize.

    python -m bench.instructions [ARTICLES] [--passes N] [--code DIR]

`--code DIR` counts another checkout (its directory supplies every module). Needs valgrind
(Debian: `apt-get install valgrind`); says so and exits 2 without it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from typing import Any


def normalize_passes(articles: int, passes: int) -> None:
    """Extract `articles` mock text-API answers, normalize them once, then `passes` times."""
    from bench.stages import raw_pages
    from finews_crawler.crawl.store_component import StoreComponent
    from finews_crawler.parsing.stocks import Tagger
    from pipelines.chain import STAGES
    from pipelines.normalize import normalize

    extract = STAGES[0](StoreComponent(None, spider="emnews"))  # type: ignore[arg-type]
    items: list[Any] = [extract.process_item(page) for page in raw_pages(articles)]
    tagger = Tagger()
    for _ in range(1 + passes):
        for item in items:
            normalize(item, tagger)


def counted(articles: int, passes: int, code: str | None) -> int:
    """Instructions callgrind counts for one run of `normalize_passes` (start-up included)."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-c",
        # This file by its path: the working directory (this checkout or --code's) supplies
        # every other module.
        "import importlib.util as u;"
        f"spec = u.spec_from_file_location('finews_bench_instructions', {__file__!r});"
        "module = u.module_from_spec(spec); spec.loader.exec_module(module);"
        f"module.normalize_passes({articles}, {passes})",
    ]
    # A fixed hash seed: set and dict orders, and so the instructions, repeat run to run.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, cwd=code, env=env, check=False)
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"callgrind failed: {done.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("articles", type=int, nargs="?", default=200)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--code", help="a checkout whose code is counted")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("bench.instructions needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 2
    base = counted(args.articles, 0, args.code)
    more = counted(args.articles, args.passes, args.code)
    per_article = (more - base) / (args.articles * args.passes)
    print(f"{per_article / 1e6:.3f} million instructions per normalize ({args.articles} articles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
