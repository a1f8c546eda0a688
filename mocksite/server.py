"""aiohttp app serving a MockCorpus as an East-Money-like site on loopback.

One process, asyncio, keep-alive, no access log: crawlers benchmark against it, so a request
costs at most one (cached) article generation plus string formatting. A middleware counts
requests per raw path+query so tests can assert exactly what a crawler fetched (/_log).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import faults as fault_injection
from . import render
from .clist import register as register_clist
from .corpus import MAX_ARTICLES, Headline, MockCorpus
from .index import index_page
from .wires import WireSet
from .wires import options as wire_options
from .wires import register as register_wires

CORPUS_KEY: web.AppKey[MockCorpus] = web.AppKey("corpus", MockCorpus)
LOG_KEY: web.AppKey[Counter[str]] = web.AppKey("request_log", Counter)
_UNLOGGED = ("/_log", "/_truth", "/_admin", "/_wires")
_INFO_CODE_RE = re.compile(r"NW\d{18}")
_RELATED = 6
_JSON = "application/json"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200) -> web.Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return web.Response(text=body, status=status, content_type=_JSON, charset="utf-8")


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def _base(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _int(value: str | None, default: int, lo: int, hi: int) -> int:
    """Lenient query-int parsing: junk falls back to default, the rest is clamped."""
    try:
        n = int(value) if value is not None else default
    except ValueError:
        n = default
    return max(lo, min(hi, n))


def _related(corpus: MockCorpus, i: int) -> list[Headline]:
    """A few neighbouring (older first, else newer) articles for the "相关阅读" box."""
    others = [j for j in range(i - 1, i - 1 - _RELATED, -1) if j >= 0]
    others += range(i + 1, min(corpus.count, i + 1 + _RELATED - len(others)))
    return [corpus.headline(j) for j in others[:_RELATED]]


@web.middleware
async def _count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(_UNLOGGED):
        request.app[LOG_KEY][request.raw_path] += 1
    return await handler(request)


# -- public site ----------------------------------------------------------------------------
async def share(request: web.Request) -> web.Response:
    corpus = request.app[CORPUS_KEY]
    code = request.query.get("infoCode")
    art = corpus.by_id(code) if code and _INFO_CODE_RE.fullmatch(code) else None
    if art is None or not art.share_rendered:
        return _html(render.share_shell(code))
    return _html(render.share_page(art, _related(corpus, art.index)))


async def news_text(request: web.Request) -> web.Response:
    corpus = request.app[CORPUS_KEY]
    code = request.query.get("id", "")
    if not _INFO_CODE_RE.fullmatch(code):
        return _json({"error": "bad id", "id": code}, status=404)
    art = corpus.by_id(code)
    return _json({} if art is None else render.text_api(art))


async def article(request: web.Request) -> web.Response:
    corpus = request.app[CORPUS_KEY]
    art = corpus.by_id(request.match_info["aid"])
    if art is None:
        return _html(render.not_found_page(), status=404)
    return _html(render.article_page(art, _base(request), _related(corpus, art.index)))


def _page_indices(corpus: MockCorpus, request: web.Request, mod: int, rem: int) -> list[int]:
    """Newest-first indices i with i % mod == rem for the requested page."""
    page = _int(request.query.get("page"), 1, 1, 10**9)
    size = _int(request.query.get("count"), 100, 1, 200)
    n = corpus.count
    if n <= rem:
        return []
    top = n - 1 - ((n - 1 - rem) % mod)
    start = top - (page - 1) * size * mod
    return [i for i in range(start, start - size * mod, -mod) if i >= 0]


def _total(corpus: MockCorpus, mod: int, rem: int) -> int:
    n = corpus.count
    return 0 if n <= rem else (n - rem + mod - 1) // mod


async def webapi(request: web.Request) -> web.Response:
    corpus = request.app[CORPUS_KEY]
    kind = request.query.get("type")
    if kind == "102":
        idx = _page_indices(corpus, request, 1, 0)
        base = _base(request)
        recs = [render.feed_102_record(corpus.article(i), base) for i in idx]
        return _json({"records": recs, "total": corpus.count})
    if kind == "45":
        idx = _page_indices(corpus, request, 2, 0)
        nodes = [render.feed_45_node(corpus.article(i)) for i in idx]
        return _json({"nodeList": nodes, "total": _total(corpus, 2, 0)})
    return _json({"error": "unknown type", "type": kind}, status=404)


async def market_webapi(request: web.Request) -> web.Response:
    corpus = request.app[CORPUS_KEY]
    market = request.query.get("marketType")
    if market not in ("37", "38", "39"):
        return _json({"error": "unknown marketType", "marketType": market}, status=404)
    rem = int(market) - 37
    idx = _page_indices(corpus, request, 3, rem)
    recs = [render.market_record(corpus.article(i)) for i in idx]
    return _json({"record": recs, "total": _total(corpus, 3, rem)})


async def index(request: web.Request) -> web.Response:
    return _html(index_page(request.app[CORPUS_KEY], _base(request)))


async def robots(request: web.Request) -> web.Response:
    return web.Response(text=render.ROBOTS_TXT, content_type="text/plain", charset="utf-8")


async def newsshare_js(request: web.Request) -> web.Response:
    return web.Response(
        text=render.NEWSSHARE_JS, content_type="application/javascript", charset="utf-8"
    )


# -- test/bench helpers -----------------------------------------------------------------------
async def truth_one(request: web.Request) -> web.Response:
    art = request.app[CORPUS_KEY].by_id(request.match_info["aid"])
    if art is None:
        return _json({"error": "unknown id"}, status=404)
    return _json(art.truth())


async def truth_list(request: web.Request) -> web.Response:
    corpus = request.app[CORPUS_KEY]
    offset = _int(request.query.get("offset"), 0, 0, corpus.count)
    limit = _int(request.query.get("limit"), 100, 0, 1000)
    end = min(corpus.count, offset + limit)
    return _json([corpus.truth(i) for i in range(offset, end)])


async def request_log(request: web.Request) -> web.Response:
    log = request.app[LOG_KEY]
    return _json({"requests": dict(log), "total": sum(log.values())})


async def redirect(request: web.Request) -> web.Response:
    """`/_redirect?to=URL[&status=30x]`: a redirect to anywhere, for link-safety tests (the
    crawler must refuse the target before connecting; this server never contacts it)."""
    target = request.query.get("to")
    status = _int(request.query.get("status"), 302, 301, 308)
    if not target or status not in (301, 302, 303, 307, 308):
        return _json({"ok": False, "error": "need to=URL and status 301-303/307/308"}, 400)
    return web.Response(status=status, headers={"Location": target})


def _state(corpus: MockCorpus) -> dict[str, Any]:
    return {"ok": True, "seed": corpus.seed, "count": corpus.count}


async def admin_edit(request: web.Request) -> web.Response:
    corpus = request.app[CORPUS_KEY]
    try:
        i = int(request.query["i"])
    except (KeyError, ValueError):
        return _json({"ok": False, "error": "need integer i"}, status=400)
    if not 0 <= i < corpus.count:
        return _json({"ok": False, "error": "i out of range"}, status=404)
    art = corpus.edit(i)
    return _json(
        {**_state(corpus), "i": i, "id": art.id, "revision": art.revision, "truth": art.truth()}
    )


async def admin_add(request: web.Request) -> web.Response:
    corpus = request.app[CORPUS_KEY]
    try:
        n = int(request.query.get("n", "1"))
        corpus.add(n)
    except ValueError as exc:
        return _json({"ok": False, "error": str(exc)}, status=400)
    return _json({**_state(corpus), "added": n})


def latency_middleware(seconds: float):
    """Delay every answer like a distant server would (the real source is not on loopback)."""

    @web.middleware
    async def delay(request: web.Request, handler):
        if not request.path.startswith("/_"):
            await asyncio.sleep(seconds)
        return await handler(request)

    return delay


def make_app(
    corpus: MockCorpus,
    faults: fault_injection.FaultPlan | None = None,
    cases: dict[str, fault_injection.Canned] | None = None,
    *,
    latency: float = 0.0,
    wires: WireSet | None = None,
) -> web.Application:
    """The mock site for ``corpus`` (mutated in place by /_admin routes), faults optional."""
    middlewares: list = [_count_requests]
    if latency > 0:
        middlewares.append(latency_middleware(latency))
    if faults is not None and faults.active:
        middlewares.append(fault_injection.make_middleware(faults))
    if cases:
        middlewares.append(fault_injection.make_cases_middleware(cases))
    app = web.Application(middlewares=middlewares)
    app[CORPUS_KEY] = corpus
    app[LOG_KEY] = Counter()
    aid = r"{aid:\d{18}}"
    r = app.router
    r.add_get("/html_News/NewsShare.html", share)
    r.add_get("/NewsData/GetNewsText.do", news_text)
    r.add_get(f"/a/{aid}.html", article)
    r.add_get(r"/news/{col:\d+}," + aid + ".html", article)
    r.add_get("/web/webapi", webapi)
    r.add_get("/information/newmarket/web/webapi", market_webapi)
    r.add_get("/", index)
    r.add_get("/robots.txt", robots)
    r.add_get("/js/newsshare.js", newsshare_js)
    r.add_get(f"/_truth/{aid}.json", truth_one)
    r.add_get("/_truth", truth_list)
    r.add_get("/_log", request_log)
    r.add_get("/_redirect", redirect)
    for path, handler in (("/_admin/edit", admin_edit), ("/_admin/add", admin_add)):
        r.add_get(path, handler)
        r.add_post(path, handler)
    register_wires(app, wires if wires is not None else WireSet.build(corpus.seed))
    register_clist(app)
    return app


# -- process entry ----------------------------------------------------------------------------
def _write_port_file(path: str, port: int) -> None:
    """Atomic write so a poller never reads a half-written number."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(f"{port}\n")
    os.replace(tmp, path)


async def serve_async(
    host: str,
    port: int,
    corpus: MockCorpus,
    port_file: str | None = None,
    faults: fault_injection.FaultPlan | None = None,
    cases: dict[str, fault_injection.Canned] | None = None,
    latency: float = 0.0,
    wires: WireSet | None = None,
) -> None:
    """Run until SIGTERM/SIGINT (or cancellation), then close sockets cleanly."""
    runner = web.AppRunner(
        make_app(corpus, faults, cases, latency=latency, wires=wires),
        access_log=None,
        handle_signals=False,
        shutdown_timeout=1.0,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, backlog=2048)
        await site.start()
        actual = runner.addresses[0][1]
        print(
            f"mock-site listening on http://{host}:{actual} "
            f"({corpus.count} articles, seed {corpus.seed})",
            flush=True,
        )
        if port_file:
            _write_port_file(port_file, actual)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


def serve(
    host: str,
    port: int,
    corpus: MockCorpus,
    port_file: str | None = None,
    faults: fault_injection.FaultPlan | None = None,
    cases: dict[str, fault_injection.Canned] | None = None,
    latency: float = 0.0,
    wires: WireSet | None = None,
) -> None:
    """Blocking: serve ``corpus`` on host:port (0 = any free port) until SIGTERM/SIGINT."""
    asyncio.run(serve_async(host, port, corpus, port_file, faults, cases, latency, wires))


def build_parser(prog: str = "python -m mocksite") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Deterministic local East-Money-like site.")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="TCP port, 0 = pick a free one")
    p.add_argument("--articles", type=int, default=1000, help=f"article count (<= {MAX_ARTICLES})")
    p.add_argument("--seed", type=int, default=7, help="corpus seed")
    p.add_argument("--port-file", default=None, help="write the bound port number here")
    p.add_argument(
        "--faults",
        default=None,
        help="fault rates, e.g. transient=0.1,permanent=0.05,attempts=2,kinds=http500+reset"
        " (see mocksite/faults.py)",
    )
    p.add_argument("--fault-seed", type=int, default=0, help="which URLs the rates pick")
    p.add_argument(
        "--fault-rule",
        action="append",
        default=[],
        metavar="REGEX=KIND[:K]",
        help="fault every URL matching REGEX (the first K attempts; always without :K)",
    )
    p.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="delay every answer by this many milliseconds, like a distant server",
    )
    p.add_argument(
        "--serve-cases",
        default=None,
        metavar="DIR",
        help="answer the URLs of bad-input cases (DIR/*/meta.json + input.*) byte for byte",
    )
    wire_options.add_arguments(p)
    return p


def main(argv: list[str] | None = None, prog: str = "python -m mocksite") -> int:
    """CLI entry (also behind ``finews mock-site``, which names itself as `prog`); returns the
    process exit code."""
    args = build_parser(prog).parse_args(argv)
    try:
        corpus = MockCorpus(args.seed, args.articles)
        faults = fault_injection.parse_faults(args.faults, args.fault_seed, args.fault_rule)
        cases = fault_injection.load_cases(args.serve_cases) if args.serve_cases else None
        wires = wire_options.from_args(args)
    except (ValueError, OSError, re.error) as exc:
        print(f"mock-site: {exc}", file=sys.stderr)
        return 2
    try:
        latency = args.latency_ms / 1000
        serve(args.host, args.port, corpus, args.port_file, faults, cases, latency, wires)
    except OSError as exc:
        print(f"mock-site: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0
