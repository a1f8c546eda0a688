"""`finews bench [--quick] [--only PART...]`: the benchmarks against peers (development package
`bench`; its own options are passed through)."""

from __future__ import annotations

import argparse

from finews_crawler.cli.common import dev_import

HELP = "benchmarks against peers (--quick: < 3 min; options: finews bench --help)"
PASS_THROUGH = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Every option belongs to the benchmark runner's own parser."""


def run(args: argparse.Namespace) -> int:
    main = dev_import("bench.runner", "bench", "bench").main
    return int(main(args.passed))
