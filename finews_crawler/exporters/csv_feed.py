"""Scrapy's CSV feed export (`finews crawl ... -O articles.csv`) with list and object fields as
JSON, so a spreadsheet or pandas reads `stocks` back exactly.

Scrapy's own CSV exporter writes a list of dicts as its Python repr (single quotes, None),
which no CSV consumer can parse. Here every list or dict cell is one JSON document and every
date ISO 8601 with its offset, the same serialisation as `finews export jsonl`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from scrapy.exporters import CsvItemExporter

from finews_crawler.exporters.jsonl import _iso


def csv_cell(value: Any) -> Any:
    """A field value as a CSV cell: JSON for lists/dicts, ISO 8601 for dates, else as is."""
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False, default=_iso, separators=(",", ":"))
    if isinstance(value, datetime):
        return _iso(value)
    return value


class JsonFieldsCsvItemExporter(CsvItemExporter):
    """CsvItemExporter whose list/dict cells are JSON (registered for `csv` in settings.py)."""

    def serialize_field(self, field: Any, name: str, value: Any) -> Any:
        return super().serialize_field(field, name, csv_cell(value))
