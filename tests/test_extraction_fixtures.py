"""Every fixture case of every source adapter, through the whole pipeline chain.

A case is a folder finews_crawler/sources/fixtures/<adapter>/<case>/ with the input page
(`page.html` or `page.json`), `meta.json` (url, content_type, context) and `expected.json`
(the fields that must come out, exactly). Adding a case or a source adds tests here by itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from finews_crawler.config import project_settings
from finews_crawler.items import RawPage
from finews_crawler.sources import adapter_for, configure_sources
from finews_crawler.storage import open_store
from pipelines import ingest_pages
from tests.stock_truth import shown

FIXTURES = Path(__file__).resolve().parents[1] / "finews_crawler" / "sources" / "fixtures"
CASES = sorted(path for path in FIXTURES.glob("*/*") if (path / "expected.json").exists())


def load_case(folder: Path) -> tuple[RawPage, dict]:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    # The settings the page was captured under (e.g. the mirror it came from), else defaults.
    configure_sources({**project_settings().copy_to_dict(), **meta.get("settings", {})})
    [page_file] = [path for path in folder.glob("page.*")]
    raw = RawPage(
        url=meta["url"],
        final_url=meta.get("final_url", meta["url"]),
        status=meta.get("status", 200),
        text=page_file.read_text(encoding="utf-8"),
        content_type=meta["content_type"],
        context=meta.get("context", {}),
        spider="fixtures",
    )
    return raw, json.loads((folder / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def default_source_settings() -> Iterator[None]:
    """A case's settings hold for that case only: the defaults again after it."""
    yield
    configure_sources(project_settings())


def same(got: object, want: object) -> bool:
    """Equal values; dates are equal when they are the same instant, whatever the offset;
    stock entries are compared on the keys the case writes (a case may assert kind, via)."""
    if isinstance(got, datetime) and isinstance(want, str):
        return got == datetime.fromisoformat(want)
    if isinstance(got, list) and isinstance(want, list) and want and isinstance(want[0], dict):
        keys = tuple(dict.fromkeys(key for entry in want for key in entry))
        return shown(got, keys) == want if "secid" in keys else got == want
    return got == want


def test_every_adapter_has_fixture_cases() -> None:
    adapters_with_cases = {case.parent.name for case in CASES}
    assert {"eastmoney", "generic"} <= adapters_with_cases


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_fixture_case(case: Path, tmp_path: Path) -> None:
    raw, expected = load_case(case)
    adapter = adapter_for(raw["url"])
    assert adapter is not None and adapter.name == case.parent.name, "case filed under wrong source"
    with open_store(f"sqlite:///{tmp_path}/fixture.sqlite3") as store:
        [result] = ingest_pages([raw], store)
    assert result.status == "new", result.failure
    article = result.article
    mismatches = {
        name: {"got": article.get(name), "want": want}
        for name, want in expected.items()
        if not same(article.get(name), want)
    }
    assert not mismatches, json.dumps(mismatches, ensure_ascii=False, indent=1, default=str)
