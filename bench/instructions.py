"""Instructions one `normalize` of a mock article executes, counted by valgrind's callgrind.

CPU time on a shared virtual machine moves by 15% from run to run; an instruction count does
not, so a before/after of the normalize stage can be read from one pair of runs. Each count
runs this module under callgrind twice, normalizing the same extracted mock articles once
(warm-up: parsers, caches) and then `passes` more times or none; the difference over the
articles normalized in between is the cost of one normalize.

    python -m bench.instructions [ARTICLES] [--passes N] [--code DIR] [--chain] [--by-library]

`--chain` counts the whole stage chain instead (extract, normalize, validate, dedupe, store into
a new SQLite file per pass, as `bench.stages` runs it). `--by-library` also splits the count by
where the instructions run (callgrind_annotate's object of each function): the interpreter
running Python code, the regular-expression engine, lxml/libxml2, nh3, SQLite, the C JSON
codec, hashlib, libc. `--code DIR` counts another checkout (its directory supplies every
module). Needs valgrind (Debian: `apt-get install valgrind`); says so and exits 2 without it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
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


def chain_passes(articles: int, passes: int) -> None:
    """`articles` mock text-API answers through the whole chain into SQLite, 1 + `passes` times."""
    from bench.stages import one_pass, raw_pages

    pages = raw_pages(articles)
    with tempfile.TemporaryDirectory(prefix="finews-instructions-") as work:
        for attempt in range(1 + passes):
            one_pass(pages, f"sqlite:///{work}/chain-{attempt}.sqlite3")


def counted(
    articles: int, passes: int, code: str | None, chain: bool = False, out: str = "/dev/null"
) -> int:
    """Instructions callgrind counts for one run of the passes (start-up included); the
    callgrind profile goes to `out`."""
    function = "chain_passes" if chain else "normalize_passes"
    command = [
        sys.executable,
        "-c",
        # This file by its path: the working directory (this checkout or --code's) supplies
        # every other module.
        "import importlib.util as u;"
        f"spec = u.spec_from_file_location('finews_bench_instructions', {__file__!r});"
        "module = u.module_from_spec(spec); spec.loader.exec_module(module);"
        f"module.{function}({articles}, {passes})",
    ]
    return callgrind(command, code, out)


def callgrind(
    command: list[str], cwd: str | None = None, out: str = "/dev/null", ok: tuple[int, ...] = (0,)
) -> int:
    """The instructions `command` executes under callgrind (its profile goes to `out`); a
    fixed hash seed, so that set and dict orders, and so the count, repeat run to run."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode not in ok or found is None:
        raise SystemExit(f"callgrind failed: {done.stderr[-2000:]}")
    return int(found.group(1))


# callgrind_annotate's lines: "  1,234 (12.5%)  file:function [object]" (object when known).
_ANNOTATED = re.compile(r"\s*([\d,]+) \([\s\d.]+%\)\s+(\S+?):(\S+)(?: \[(.*)\])?$")
# (category, test on "file function object") in order: the first that holds names the line.
_LIBRARIES = (
    ("regular expressions (re)", ("_sre/", "sre_")),
    ("lxml / libxml2", ("lxml", "libxml2", "libxslt", "libexslt")),
    ("nh3 (sanitiser)", ("nh3",)),
    ("SQLite", ("sqlite",)),
    ("JSON codec (C)", ("_json",)),
    ("hashlib", ("hashlib", "libcrypto", "sha1")),
    ("pyahocorasick", ("ahocorasick",)),
    ("libc (malloc, memcpy)", ("libc.so", "libm.so")),
)
INTERPRETER = "interpreter (Python code, objects, str, dict)"


def by_library(profile: str) -> Counter[str]:
    """A callgrind profile's self instructions, summed by where they ran (see _LIBRARIES);
    the rest is the CPython library: the interpreter and its objects."""
    listing = subprocess.run(
        ["callgrind_annotate", "--threshold=100", profile],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    totals: Counter[str] = Counter()
    for line in listing.splitlines():
        found = _ANNOTATED.match(line)
        if found is None:
            continue
        where = " ".join(part or "" for part in found.group(2, 3, 4))
        category = next(
            (name for name, marks in _LIBRARIES if any(mark in where for mark in marks)),
            INTERPRETER,
        )
        totals[category] += int(found.group(1).replace(",", ""))
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("articles", type=int, nargs="?", default=200)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--code", help="a checkout whose code is counted")
    parser.add_argument("--chain", action="store_true", help="the whole chain, not normalize")
    parser.add_argument("--by-library", action="store_true", help="split by library too")
    args = parser.parse_args(argv)
    needed = ["valgrind"] + (["callgrind_annotate"] if args.by_library else [])
    if any(shutil.which(tool) is None for tool in needed):
        print("bench.instructions needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 2
    what = "pass of the chain" if args.chain else "normalize"
    done = args.articles * args.passes
    with tempfile.TemporaryDirectory(prefix="finews-callgrind-") as work:
        profiles = [str(Path(work) / name) for name in ("base.out", "more.out")]
        base = counted(args.articles, 0, args.code, args.chain, profiles[0])
        more = counted(args.articles, args.passes, args.code, args.chain, profiles[1])
        per_article = (more - base) / done / 1e6
        print(f"{per_article:.3f} million instructions per {what} ({args.articles} articles)")
        if args.by_library:
            spent = by_library(profiles[1])
            spent.subtract(by_library(profiles[0]))
            total = sum(spent.values())
            for name, count in spent.most_common():
                print(f"  {count / done / 1e6:7.3f} M  {100 * count / total:5.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
