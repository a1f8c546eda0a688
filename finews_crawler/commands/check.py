"""`scrapy check`: Scrapy's contract check, with a throwaway store unless `-s FINEWS_STORE`
names one.

Each spider the check starts is a crawl like any other (the run report records a run in the
store): a check against the mock site must leave nothing in the store real crawls use.
"""

from __future__ import annotations

import argparse
import tempfile

from scrapy.commands.check import Command as ScrapyCheckCommand
from scrapy.settings import SETTINGS_PRIORITIES


class Command(ScrapyCheckCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if (self.settings.getpriority("FINEWS_STORE") or 0) < SETTINGS_PRIORITIES["cmdline"]:
            self.scratch = tempfile.TemporaryDirectory(prefix="finews-check-")
            uri = f"sqlite:///{self.scratch.name}/check.sqlite3"
            self.settings.set("FINEWS_STORE", uri, priority="cmdline")
        # the contracts' own report is the output; no crawl summary per spider
        self.settings.set("FINEWS_PRINT_SUMMARY", False, priority="cmdline")
