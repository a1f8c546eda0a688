"""`finews crawl SPIDER [Scrapy crawl options]`: Scrapy's crawl command, arguments passed through.

`finews crawl X ...` is `scrapy crawl X ...` with the project's settings, and the store given by
`--store` handed over as a setting (never through the environment).
"""

from __future__ import annotations

import argparse
import inspect
from typing import Any

HELP = "run a spider (all Scrapy crawl options work; finews crawl --help lists the spiders)"
PASS_THROUGH = True
QUIET_LOG_LEVEL = "WARNING"
USAGE = "finews crawl SPIDER [-a NAME=VALUE ...] [-s NAME=VALUE ...] [-O FILE] [-L LEVEL]"


def spider_classes(settings: Any = None) -> dict[str, type]:
    """The project's spiders by name."""
    from scrapy.spiderloader import SpiderLoader

    from finews_crawler.config import project_settings

    loader = SpiderLoader.from_settings(settings or project_settings())
    return {name: loader.load(name) for name in sorted(loader.list())}


def spider_arguments(spider: type) -> dict[str, str]:
    """A spider's `-a` arguments: its `spider_arguments` descriptions, plus any other keyword
    of its __init__ (undescribed)."""
    described: dict[str, str] = dict(getattr(spider, "spider_arguments", {}))
    for name, parameter in inspect.signature(spider).parameters.items():
        if parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
            described.setdefault(name, "")
    return described


def spiders_help() -> str:
    lines = ["spiders and their -a arguments:"]
    for name, spider in spider_classes().items():
        doc = (spider.__doc__ or "").strip().splitlines()
        lines.append(f"  {name}" + (f"  {doc[0]}" if doc else ""))
        for argument, description in spider_arguments(spider).items():
            lines.append(f"      -a {argument}=...  {description}".rstrip())
    lines.append("Scrapy's crawl options (-a, -s, -o/-O, -L, ...): scrapy crawl --help")
    return "\n".join(lines)


class _SpiderHelp(argparse.HelpFormatter):
    """Adds the spider list (read from the spider classes) when help is asked for."""

    def format_help(self) -> str:
        return super().format_help() + "\n" + spiders_help() + "\n"


def parser_options() -> dict[str, Any]:
    return {"usage": USAGE, "formatter_class": _SpiderHelp}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SPIDER and Scrapy's options are passed through to Scrapy's crawl command."""


def run(args: argparse.Namespace) -> int:
    """Hand over to Scrapy's command line: `finews crawl X` is `scrapy crawl X`."""
    from scrapy.cmdline import execute

    settings = args.config.scrapy_settings()
    if "FINEWS_LOG_LEVEL" not in args.config.env:
        # Quiet by default: the progress line and the summary, warnings and errors; -L INFO
        # (or FINEWS_LOG_LEVEL) for Scrapy's own lines. -L/-s are "cmdline" and win over this.
        settings.set("LOG_LEVEL", QUIET_LOG_LEVEL, priority="project")
    try:
        execute(["scrapy", "crawl", *args.passed], settings=settings)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0
