"""`finews export csv|parquet`: read back with the csv module and pyarrow, compared with the store.

Articles reach a real SQLite file through the pipelines (mock text-API pages plus the hostile
titles, media and bodies of test_export); the exports run as the real CLI.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from finews_crawler.items import ARTICLE_FIELDS
from finews_crawler.storage import open_store
from pipelines.chain import ingest_pages
from tests.test_export import CST, HOSTILE, fill_store, hostile_pages, mock_pages

pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow missing: pip install -e '.[test]'")

ARTICLES = 200
COLUMNS = [*ARTICLE_FIELDS, "revision"]  # README "Exports": schema order, then revision
LIST_FIELDS = ("stocks", "boards", "futures", "images", "tags")
DATE_FIELDS = ("published_at", "fetched_at", "first_seen_at", "updated_at")


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[dict[str, Any]]]:
    uri = fill_store(tmp_path_factory.mktemp("tables") / "articles.sqlite3", ARTICLES)
    with open_store(uri) as store:
        return uri, list(store.iter_articles())


def export(uri: str, fmt: str, out: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "finews_crawler.cli", "export", fmt, "--store", uri,
         *options, "--out", str(out)],
        capture_output=True, text=True, timeout=120, cwd=out.parent, env=dict(os.environ),
    )  # fmt: skip


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def stored_value(article: dict[str, Any], name: str) -> Any:
    value = article.get(name)
    return [] if name in LIST_FIELDS and value is None else value


STRUCTS = ("stocks", "boards", "futures")


def present(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """List entries without their absent (None) keys."""
    return [{k: v for k, v in entry.items() if v is not None} for entry in entries]


def test_csv_holds_every_article_and_value(stored, tmp_path: Path) -> None:
    uri, articles = stored
    out = tmp_path / "all.csv"
    result = export(uri, "csv", out)
    assert result.returncode == 0, result.stderr
    assert f"exported {len(articles)} article(s)" in result.stderr
    rows = read_csv(out)
    assert [r["_id"] for r in rows] == [a["_id"] for a in articles]  # oldest first
    for record, article in zip(rows, articles, strict=True):
        for name in COLUMNS:
            value, cell = stored_value(article, name), record[name]
            if value is None:
                assert cell == "", (name, cell)
            elif name in DATE_FIELDS:
                assert cell.endswith("+00:00") and datetime.fromisoformat(cell) == value
            elif name in LIST_FIELDS:
                got = json.loads(cell)  # stocks as JSON, not a Python repr
                if name in STRUCTS:
                    got, value = present(got), present(value)
                assert got == value, name
            else:
                assert cell == str(value), name
    # The values compared above include what CSV must quote: line breaks, quotes, commas.
    assert any("\n" in r["body_html"] for r in rows)
    assert any('"' in r["title"] for r in rows) and any("," in r["stocks"] for r in rows)


def test_parquet_keeps_types_and_values(stored, tmp_path: Path) -> None:
    import pyarrow as pa

    uri, articles = stored
    out = tmp_path / "all.parquet"
    result = export(uri, "parquet", out)
    assert result.returncode == 0, result.stderr
    table = pq.read_table(out)
    assert table.column_names == COLUMNS
    assert table.schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert pa.types.is_list(table.schema.field("stocks").type)
    rows = table.to_pylist()
    assert [r["_id"] for r in rows] == [a["_id"] for a in articles]
    for record, article in zip(rows, articles, strict=True):
        for name in COLUMNS:
            value = stored_value(article, name)
            if name in DATE_FIELDS:
                assert record[name] == value.astimezone(UTC), name
            elif name in STRUCTS:  # a struct has every key: None where the entry has none
                assert present(record[name]) == present(value), name
            else:
                assert record[name] == value, name


def test_filters_match_the_jsonl_filters(stored, tmp_path: Path) -> None:
    uri, articles = stored
    media = articles[10]["media"]
    stock = next(a["stocks"][0]["code"] for a in articles if a["stocks"])
    since = datetime(2022, 1, 4, 0, 0, tzinfo=CST)
    until = datetime(2022, 1, 6, 12, 0, tzinfo=CST)
    cases = [
        (["--media", media], [a for a in articles if a["media"] == media]),
        (["--stock", stock], [a for a in articles if stock in {s["code"] for s in a["stocks"]}]),
        (
            ["--since", "2022-01-04", "--until", "2022-01-06T12:00:00"],
            [a for a in articles if since <= a["published_at"] < until],
        ),
        (["--media", "no such media"], []),
    ]
    for options, expected in cases:
        ids = [a["_id"] for a in expected]
        assert export(uri, "csv", tmp_path / "f.csv", *options).returncode == 0
        assert [r["_id"] for r in read_csv(tmp_path / "f.csv")] == ids, options
        assert export(uri, "parquet", tmp_path / "f.parquet", *options).returncode == 0
        table = pq.read_table(tmp_path / "f.parquet")
        assert table.column("_id").to_pylist() == ids, options
        assert table.column_names == COLUMNS  # an empty export still has the columns


def test_parquet_needs_an_output_file(stored, tmp_path: Path) -> None:
    uri, _ = stored
    result = subprocess.run(
        [sys.executable, "-m", "finews_crawler.cli", "export", "parquet", "--store", uri],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env=dict(os.environ),
    )  # fmt: skip
    assert result.returncode == 2 and "--out" in result.stderr


def test_both_exports_from_mongodb(mongo_store_uri: str, tmp_path: Path) -> None:
    """The same columns and values from the MongoDB store (its dates may come back naive)."""
    with open_store(mongo_store_uri) as store:
        ingest_pages(mock_pages(30) + hostile_pages(), store)
        articles = list(store.iter_articles())
    assert len(articles) == 30 + len(HOSTILE)
    assert export(mongo_store_uri, "csv", tmp_path / "m.csv").returncode == 0
    assert export(mongo_store_uri, "parquet", tmp_path / "m.parquet").returncode == 0
    rows, records = read_csv(tmp_path / "m.csv"), pq.read_table(tmp_path / "m.parquet").to_pylist()
    assert [r["_id"] for r in rows] == [r["_id"] for r in records] == [a["_id"] for a in articles]
    for cells, record, article in zip(rows, records, articles, strict=True):
        for name in DATE_FIELDS:
            stored_at = article[name] if article[name].tzinfo else article[name].replace(tzinfo=UTC)
            assert datetime.fromisoformat(cells[name]) == record[name] == stored_at
        for name in LIST_FIELDS:
            cell, typed, value = json.loads(cells[name]), record[name], stored_value(article, name)
            if name in STRUCTS:
                cell, typed, value = present(cell), present(typed), present(value)
            assert cell == typed == value
        assert cells["body_html"] == record["body_html"] == article["body_html"]


def test_wire_fields_are_typed_cells_not_python_reprs(tmp_path: Path) -> None:
    """A 10jqka item (issue 13) brings `futures`, `modified_at` and `title_derived`: CSV holds
    the futures as JSON and the edit time as ISO 8601, Parquet a list, a timestamp and a
    boolean (README "CSV and Parquet")."""
    import pyarrow as pa

    from finews_crawler.items import RawPage

    item = {
        "seq": "500000001",
        "ctime": "1709600000",
        "rtime": "1709600300",
        "title": "",
        "digest": "原油期货夜盘走高。多家机构上调预期。",
        "short": "",
        "import": "1",
        "stock": [{"stockMarket": "65", "stockCode": "sc9999", "name": "原油主连"}],
        "field": [],
        "tags": [],
        "url": "https://news.10jqka.com.cn/20240305/c500000001.shtml",
    }
    page = RawPage(
        url="http://wire.example/tapp/news/push/stock/#500000001",
        final_url="http://wire.example/tapp/news/push/stock/#500000001",
        status=200,
        text=json.dumps(item, ensure_ascii=False),
        content_type="application/json",
        context={},
        spider="test",
    )
    uri = f"sqlite:///{tmp_path / 'wire.sqlite3'}"
    with open_store(uri) as store:
        [result] = ingest_pages([page], store)
        assert result.status == "new", result.failure
        article = store.get_article("ths:500000001")
    assert article is not None and article["futures"] and article["title_derived"] is True
    futures = [{k: f[k] for k in ("code", "secid", "name")} for f in article["futures"]]
    assert export(uri, "csv", tmp_path / "w.csv").returncode == 0
    [record] = read_csv(tmp_path / "w.csv")
    assert json.loads(record["futures"]) == futures
    assert datetime.fromisoformat(record["modified_at"]) == article["modified_at"]
    assert export(uri, "parquet", tmp_path / "w.parquet").returncode == 0
    table = pq.read_table(tmp_path / "w.parquet")
    assert table.schema.field("modified_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("title_derived").type == pa.bool_()
    [row] = table.to_pylist()
    assert row["futures"] == futures and row["title_derived"] is True
    assert row["modified_at"] == article["modified_at"].astimezone(UTC)
