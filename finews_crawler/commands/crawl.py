"""`scrapy crawl` / `finews crawl`: Scrapy's crawl, exiting non-zero when anything failed or a
feed was left unfinished.

A one-off crawl must tell its caller (cron, CI, a shell script) that an article could not
be completed; Scrapy's own command exits 0 whenever the crawl started.
"""

from __future__ import annotations

import argparse
import logging
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from finews_crawler.crawl.extensions import run_counts, run_failed
from finews_crawler.storage import StoreError, open_store

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def refuse(self, message: str) -> None:
        """One line and exit status 2; into the log file when there is one (a Scrapyd job's
        log), else on stderr."""
        assert self.settings is not None
        if self.settings.get("LOG_FILE"):
            logger.error(message)
        else:
            print(message, file=sys.stderr)
        self.exitcode = 2

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        assert self.crawler_process
        known = sorted(self.crawler_process.spider_loader.list())
        if args[0] not in known:  # one line naming the known ones and exit 2, not a KeyError
            self.refuse(f"finews crawl: no spider {args[0]!r} (spiders: {', '.join(known)})")
            return
        crawler = self.crawler_process.create_crawler(args[0])
        problem = argument_problem(crawler.spidercls, opts.spargs)
        if problem:  # bad -a arguments: one line and exit 2, before anything starts
            self.refuse(f"finews crawl {args[0]}: {problem}")
            return
        try:  # an unreachable store is one clear line and exit 2, not a traceback
            open_store(crawler.settings.get("FINEWS_STORE") or None).close()
        except StoreError as exc:
            self.refuse(f"finews crawl: {exc}")
            return
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        try:
            stats = crawler.stats.get_stats()
        except RuntimeError:  # the crawl never started (Scrapy logged why)
            self.exitcode = 2
            return
        counts = run_counts(stats)
        finish_reason = crawler.stats.get_value("finish_reason")
        if self.crawler_process.bootstrap_failed or run_failed(counts, finish_reason):
            self.exitcode = 1


def argument_problem(spidercls: type, spargs: dict[str, str]) -> str | None:
    """Why the spider refuses these `-a` arguments, or None: a name it does not take (never
    silently ignored; `_`-names such as Scrapyd's `_job` pass), or its constructor's
    ValueError/TypeError. Building the spider once here, without a crawler, turns a refusal
    into one line instead of Scrapy's tracebacks."""
    from finews_crawler.cli.crawl import spider_arguments

    known = spider_arguments(spidercls)
    unknown = sorted(name for name in spargs if name not in known and not name.startswith("_"))
    if unknown:
        takes = ", ".join(known) or "none"
        return f"unknown argument(s) {', '.join(unknown)} (it takes: {takes})"
    try:
        spidercls(**spargs)
    except (ValueError, TypeError) as exc:
        return str(exc)
    return None
