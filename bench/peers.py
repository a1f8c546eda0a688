"""Peer crawlers for the throughput comparison, each run as its own process.

    python -m bench.peers requests-loop BASE ARTICLES OUT_DIR
    python -m bench.peers aiohttp BASE ARTICLES CONCURRENCY

Both read the rolling feed (type=102, 100 entries a page) and call the text API for each entry,
the same work as `finews crawl emnews`. requests-loop is the approach of the archive this
project replaces: one request at a time, one file per article. aiohttp makes the same requests
at our concurrency and does nothing with the answers (a fetch-only ceiling for asyncio).
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
from pathlib import Path

PAGE = 100


def feed_url(base: str, page: int) -> str:
    return f"{base}/web/webapi?type=102&count={PAGE}&newsid=1&page={page}"


def api_url(base: str, info_code: str) -> str:
    return f"{base}/NewsData/GetNewsText.do?id={info_code}"


def requests_loop(base: str, articles: int, out_dir: str) -> int:
    import requests

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    session = requests.Session()
    done = 0
    for page in range(1, math.ceil(articles / PAGE) + 1):
        for record in session.get(feed_url(base, page)).json()["records"]:
            if done == articles:
                return 0
            data = json.loads(session.get(api_url(base, record["infoCode"])).text)
            body = (data.get("content") or data.get("text") or "").replace("\u3000\u3000", "")
            (out / f"{record['showtime'][:10]}-{record['id']}.md").write_text(
                f'---\ntitle: "{record["title"]}"\ndate: {record["showtime"]} +0800\n---\n{body}',
                encoding="utf-8",
            )
            done += 1
    return 0


async def aiohttp_fetch(base: str, articles: int, concurrency: int) -> int:
    import aiohttp

    pages = math.ceil(articles / PAGE)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def get(url: str) -> bytes:
            async with session.get(url) as response:
                return await response.read()

        feeds = await asyncio.gather(*(get(feed_url(base, p)) for p in range(1, pages + 1)))
        codes = [r["infoCode"] for body in feeds for r in json.loads(body)["records"]][:articles]
        queue: asyncio.Queue[str] = asyncio.Queue()
        for code in codes:
            queue.put_nowait(code)

        async def worker() -> None:
            while not queue.empty():
                await get(api_url(base, queue.get_nowait()))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return 0


def main(argv: list[str]) -> int:
    kind, base, articles, last = argv
    if kind == "requests-loop":
        return requests_loop(base, int(articles), last)
    if kind == "aiohttp":
        return asyncio.run(aiohttp_fetch(base, int(articles), int(last)))
    raise SystemExit(f"unknown peer {kind!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
