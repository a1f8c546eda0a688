"""``python -m mocksite --port 0 --articles 200 --seed 7``."""

from __future__ import annotations

import sys

from .server import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
