"""`finews export csv|parquet`: one row per article, fixed columns, for spreadsheets and analysts.

The columns are the schema's fields in schema order plus `revision`. CSV has text only, so
dates are ISO 8601 with their offset (stored UTC: `+00:00`, as in JSON Lines) and the list
fields (`stocks`, `boards`, `futures`, `images`, `tags`) are JSON; an empty cell is a missing
value. Parquet keeps types: dates are UTC timestamps, `stocks` a list of {code, market, secid,
name, kind, via, confidence, notation}, `boards` and `futures` lists of {code, secid, name},
`images`/`tags` lists of strings,
`title_derived` a boolean. Both stream from the
store cursor in batches (constant memory) and are written beside the target, then renamed.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from finews_crawler.exporters.jsonl import export_text_to, replace_atomically
from finews_crawler.items import ARTICLE_FIELDS
from finews_crawler.storage import ArticleQuery, Store

COLUMNS = (*ARTICLE_FIELDS, "revision")
DATES = frozenset({"published_at", "fetched_at", "first_seen_at", "updated_at", "modified_at"})
INTEGERS = frozenset({"importance", "revision"})
BOOLEANS = frozenset({"title_derived"})
STOCK_KEYS = ("code", "market", "secid", "name", "kind", "via", "confidence", "notation")
NUMBERS = frozenset({"confidence"})  # entry keys held as numbers, the rest as text
BOARD_KEYS = ("code", "secid", "name")
# futures (the wires') have a board's keys: a contract is no security with a market
LISTS = {
    "stocks": STOCK_KEYS,
    "boards": BOARD_KEYS,
    "futures": BOARD_KEYS,
    "images": None,
    "tags": None,
}
BATCH = 1000


class ParquetUnavailable(RuntimeError):
    """pyarrow is an optional extra; say how to get it rather than fail on an import."""


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    # A store that hands back naive datetimes (MongoDB without tz_aware) means UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _entry_value(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in NUMBERS:
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return str(value)


def _entries(value: Any, keys: tuple[str, ...] | None) -> list[Any]:
    """A list field as the columns hold it: mappings cut to their known keys, texts as text."""
    if not isinstance(value, list):
        return []
    if keys is None:
        return [str(item) for item in value if item is not None]
    return [
        {key: _entry_value(key, entry.get(key)) for key in keys}
        for entry in value
        if isinstance(entry, Mapping)
    ]


def row(article: Mapping[str, Any]) -> dict[str, Any]:
    """One article with every column, each value of its column's type (None when missing)."""
    values: dict[str, Any] = {}
    for name in COLUMNS:
        value = article.get(name)
        if name in DATES:
            values[name] = _utc(value)
        elif name in INTEGERS:
            values[name] = value if isinstance(value, int) and not isinstance(value, bool) else None
        elif name in BOOLEANS:
            values[name] = value if isinstance(value, bool) else None
        elif name in LISTS:
            values[name] = _entries(value, LISTS[name])
        else:
            values[name] = None if value is None else str(value)
    return values


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def export_csv(store: Store, query: ArticleQuery, out: TextIO) -> int:
    """A header line, then one line per matching article, oldest first."""
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(COLUMNS)
    written = 0
    for article in store.iter_articles(query):
        values = row(article)
        writer.writerow([csv_cell(values[name]) for name in COLUMNS])
        written += 1
    return written


def parquet_schema() -> Any:
    try:
        import pyarrow as pa
    except ImportError:
        raise ParquetUnavailable(
            "Parquet needs pyarrow: pip install 'finews-crawler[parquet]'"
        ) from None

    def structs(keys: tuple[str, ...]) -> Any:
        fields = [(key, pa.float64() if key in NUMBERS else pa.string()) for key in keys]
        return pa.list_(pa.struct(fields))

    types = {"importance": pa.int8(), "revision": pa.int64(), "title_derived": pa.bool_()}
    types.update(stocks=structs(STOCK_KEYS), boards=structs(BOARD_KEYS))
    types.update(futures=structs(BOARD_KEYS))
    types.update(images=pa.list_(pa.string()), tags=pa.list_(pa.string()))
    types.update({name: pa.timestamp("us", tz="UTC") for name in DATES})
    return pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])


def _batches(store: Store, query: ArticleQuery) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for article in store.iter_articles(query):
        batch.append(row(article))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def export_parquet(store: Store, query: ArticleQuery, path: Path) -> int:
    """Matching articles into one Parquet file (row groups of BATCH), oldest first."""
    schema = parquet_schema()
    import pyarrow as pa
    import pyarrow.parquet as pq

    written = 0
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        for batch in _batches(store, query):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            written += len(batch)
        if not written:
            writer.write_table(schema.empty_table())
    return written


def export_csv_to(store: Store, query: ArticleQuery, out: str | None) -> int:
    """To a file (never half written) or to stdout; the csv module writes the line ends."""
    return export_text_to(out, lambda handle: export_csv(store, query, handle), "")


def export_parquet_to(store: Store, query: ArticleQuery, out: str) -> int:
    parquet_schema()  # ParquetUnavailable before anything is written
    return replace_atomically(Path(out), lambda path: export_parquet(store, query, path))
