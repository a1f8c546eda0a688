"""The layers point one way (README "How it is built"; issue 12):

    sources -> parsing, model          storage -> model          parsing -> model
    crawl runtime (crawl/, spiders, settings) -> sources, parsing, model, storage
    pipelines -> the above (the crawl's store component included)
    downstream (exporters) -> anything but pipelines and commands
    commands (CLI, importers, one-off fetch, scheduling, demo) -> anything

Read from the source with ast (every import, also those inside functions), so a wrong-way
import fails here before it can grow into a cycle. A new module must be given a layer below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Module-name prefixes -> layer; the longest prefix wins.
LAYER_OF = {
    "finews_crawler": "util",  # the package itself: __version__
    "finews_crawler.errors": "util",
    "finews_crawler.flags": "util",
    "finews_crawler.items": "model",
    "finews_crawler.article": "model",
    "finews_crawler.parsing": "parsing",
    "finews_crawler.storage": "storage",
    "finews_crawler.sources": "sources",
    "finews_crawler.crawl": "crawl",
    "finews_crawler.spiders": "crawl",
    "finews_crawler.settings": "crawl",
    "pipelines": "pipelines",
    "finews_crawler.exporters": "downstream",
    "finews_crawler.api": "downstream",
    "finews_crawler.push": "downstream",
    "finews_crawler.cli": "commands",
    "finews_crawler.commands": "commands",
    "finews_crawler.importers": "commands",
    "finews_crawler.fetch": "commands",
    "finews_crawler.demo": "commands",
    "finews_crawler.retry_failures": "commands",
    "finews_crawler.scheduling": "commands",
    # Pure helpers that import nothing of ours (the crawl runtime uses them too).
    "finews_crawler.scheduling.cron": "util",
    "finews_crawler.scheduling.locks": "util",
    "finews_crawler.config": "util",
}
MAY_USE = {
    "util": {"util"},
    "model": {"util", "model"},
    "parsing": {"util", "model", "parsing"},
    "storage": {"util", "model", "storage"},
    "sources": {"util", "model", "parsing", "sources"},
    "crawl": {"util", "model", "parsing", "storage", "sources", "crawl"},
    "pipelines": {"util", "model", "parsing", "storage", "sources", "crawl", "pipelines"},
    "downstream": {"util", "model", "parsing", "storage", "sources", "crawl", "downstream"},
    "commands": {
        "util",
        "model",
        "parsing",
        "storage",
        "sources",
        "crawl",
        "pipelines",
        "downstream",
        "commands",
    },
}


def layer(module: str) -> str | None:
    """The layer of one of our modules (None: not ours)."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        found = LAYER_OF.get(".".join(parts[:end]))
        if found:
            return found
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return found


SOURCES = sorted(
    path
    for folder in ("finews_crawler", "pipelines")
    for path in (ROOT / folder).rglob("*.py")
    if "fixtures" not in path.parts
)


def test_every_module_has_a_layer() -> None:
    unplaced = [str(p.relative_to(ROOT)) for p in SOURCES if layer(module_name(p)) is None]
    assert not unplaced, f"give these modules a layer in LAYER_OF: {unplaced}"


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_imports_point_one_way(path: Path) -> None:
    own = layer(module_name(path))
    assert own is not None
    wrong = [
        f"{path.relative_to(ROOT)}:{line} ({own}) imports {target} ({layer(target)})"
        for line, target in imports(path)
        if layer(target) is not None and layer(target) not in MAY_USE[own]
    ]
    assert not wrong, "\n".join(wrong)


# The layers that serve every source name none (issue 12): a source's names, hosts and
# identity fields live in its adapter under finews_crawler/sources/ only.
SOURCE_FREE = [
    "pipelines",
    "finews_crawler/parsing",
    "finews_crawler/storage",
    "finews_crawler/exporters",
    "finews_crawler/spiders/base.py",
]
SOURCE_WORDS = (
    "eastmoney",
    "东方财富",
    "info_code",
    "infocode",
    "财联社",
    "cls.cn",
    "10jqka",
    "同花顺",
)


def source_free_files() -> list[Path]:
    found: list[Path] = []
    for entry in SOURCE_FREE:
        path = ROOT / entry
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


@pytest.mark.parametrize("path", source_free_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_source_free_layers_name_no_source(path: Path) -> None:
    text = path.read_text(encoding="utf-8").lower()
    named = [word for word in SOURCE_WORDS if word in text]
    assert not named, f"{path.relative_to(ROOT)} names a source: {named}"
