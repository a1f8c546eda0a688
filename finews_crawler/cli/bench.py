"""`finews bench [--quick] [--only PART...]`: the benchmarks against peers (development package
`bench`; its own options are passed through). `finews bench tagging [...]` runs the stock
tagging benchmark (bench/tagging.py) on the shared real wire days."""

from __future__ import annotations

import argparse

from finews_crawler.cli.common import dev_import

HELP = "benchmarks against peers (--quick: < 3 min; options: finews bench --help)"
PASS_THROUGH = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Every option belongs to the benchmark runner's own parser."""


def run(args: argparse.Namespace) -> int:
    if args.passed[:1] == ["tagging"]:
        return int(dev_import("bench.tagging", "bench", "bench").main(args.passed[1:]))
    main = dev_import("bench.runner", "bench", "bench").main
    return int(main(args.passed))
