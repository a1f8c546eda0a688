"""Peer crawlers for the throughput comparison, run as their own processes.

    python -m finews_crawler.bench.peers requests-loop API_BASE CODES_FILE OUT_DIR
    python -m finews_crawler.bench.peers aiohttp SHARE_URLS_FILE CONCURRENCY

requests-loop is the approach of the archive this project replaces: one article at a time,
the text API, one file per article. aiohttp fetches the same share page + text API pairs as
our crawl at the same concurrency, and does nothing with them (a fetch-only ceiling).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


def requests_loop(api_base: str, codes_file: str, out_dir: str) -> int:
    import requests

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    session = requests.Session()
    for code in Path(codes_file).read_text().split():
        data = json.loads(session.get(f"{api_base}/NewsData/GetNewsText.do?id={code}").text)
        body = data.get("content") or data.get("text") or ""
        (out / f"{code}.md").write_text(
            f'---\ntitle: "{data.get("title", "")}"\ndate: {data.get("showTime", "")} +0800\n---\n'
            + body.replace("\u3000\u3000", ""),
            encoding="utf-8",
        )
    return 0


async def _aiohttp_fetch(urls: list[str], concurrency: int) -> int:
    import aiohttp

    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while not queue.empty():
                share = queue.get_nowait()
                async with session.get(share) as response:
                    await response.read()
                parts = urlsplit(share)
                code = parse_qs(parts.query)["infoCode"][0]
                api = f"{parts.scheme}://{parts.netloc}/NewsData/GetNewsText.do?id={code}"
                async with session.get(api) as response:
                    await response.read()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return 0


def main(argv: list[str]) -> int:
    kind, *args = argv
    if kind == "requests-loop":
        return requests_loop(*args)
    if kind == "aiohttp":
        urls = Path(args[0]).read_text().split()
        return asyncio.run(_aiohttp_fetch(urls, int(args[1])))
    raise SystemExit(f"unknown peer {kind!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
