"""Command-line options of the mock's wires (added to ``python -m mocksite``)."""

from __future__ import annotations

import argparse

from .feed import DEFAULT_ITEMS, WireSet, wire_name


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("real-time wires (emfast, cls, ths)")
    group.add_argument(
        "--wire-items",
        type=int,
        default=DEFAULT_ITEMS,
        metavar="N",
        help=f"published items per synthetic wire (default {DEFAULT_ITEMS})",
    )
    group.add_argument(
        "--wire-seed", type=int, default=None, help="synthetic wire seed (default: --seed)"
    )
    group.add_argument(
        "--wire-replay",
        action="append",
        default=[],
        metavar="WIRE=PATH",
        help="serve WIRE (emfast|cls|ths, or eastmoney-fastnews|10jqka) from a JSONL file whose"
        " lines hold the item under 'raw'; repeat for more files or wires",
    )
    group.add_argument(
        "--wire-hold",
        action="append",
        default=[],
        metavar="WIRE=N",
        help="publish only the N oldest items of WIRE at start (/_wires/advance adds more)",
    )


def _pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not rest:
            raise ValueError(f"{option} wants WIRE=VALUE, got {value!r}")
        out.append((wire_name(name), rest))
    return out


def from_args(args: argparse.Namespace) -> WireSet:
    """The WireSet the options describe (ValueError/OSError on bad values or files)."""
    replay: dict[str, list[str]] = {}
    for name, path in _pairs(args.wire_replay, "--wire-replay"):
        replay.setdefault(name, []).append(path)
    hold = {name: int(n) for name, n in _pairs(args.wire_hold, "--wire-hold")}
    seed = args.seed if args.wire_seed is None else args.wire_seed
    return WireSet.build(seed, args.wire_items, replay, hold)
