"""`finews serve`: the read-only HTTP JSON API (finews_crawler/api), with uvicorn."""

from __future__ import annotations

import argparse
import sys

HELP = "read-only HTTP JSON API over the store (/articles, /runs, /failures, /metrics, /docs)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from finews_crawler.api.app import create_app, source_names
    except ModuleNotFoundError as exc:
        print(
            f"finews serve: needs {exc.name!r}: pip install 'finews-crawler[serve]'",
            file=sys.stderr,
        )
        return 2
    from finews_crawler.storage import open_store
    from finews_crawler.storage.redact import redact_uri

    uri = args.config.store_uri
    open_store(uri).close()  # an unreachable store: one line and exit 2, before listening
    app = create_app(uri, sources=source_names)
    print(
        f"finews serve: {redact_uri(uri)} on http://{args.host}:{args.port}"
        f" (docs: http://{args.host}:{args.port}/docs)",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
