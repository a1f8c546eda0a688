"""Access to ../shared (real archive posts); tests using it skip when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLE_POST = SHARED / "samples" / "newsshare-post-2022-04-13.md"
CORPUS_DIR = SHARED / "corpus" / "finews-posts"


def require(path: Path) -> Path:
    """The path, or skip the test saying what is missing and why."""
    if not path.exists():
        pytest.skip(f"{path} is absent: real archive posts ship only with the dev workspace")
    return path
