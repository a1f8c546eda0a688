"""Scrapy's CSV feed export (`finews crawl ... -O articles.csv`) with the cells of
`finews export csv`: list fields as JSON, dates ISO 8601 with their offset.

Scrapy's own CSV exporter writes a list of dicts as its Python repr (single quotes, None),
which no CSV consumer can parse; here each cell is serialised by `tables.csv_cell`, so a crawl's
`-O x.csv` and an export read back the same way.
"""

from __future__ import annotations

from typing import Any

from scrapy.exporters import CsvItemExporter

from finews_crawler.exporters.tables import csv_cell


class JsonFieldsCsvItemExporter(CsvItemExporter):
    """CsvItemExporter whose list cells are JSON (registered for `csv` in settings.py)."""

    def serialize_field(self, field: Any, name: str, value: Any) -> Any:
        return super().serialize_field(field, name, csv_cell(value))
