"""A synthetic East Money push2 `clist` security list (the shape, not real data).

    GET /api/qt/clist/get?pn=1&pz=100&np=1&fs=m:1+t:2,m:1+t:23&fields=f12,f13,f14
    -> {"rc": 0, "data": {"total": N, "diff": [{"f12": code, "f13": market number,
        "f14": name}, ...]}}     (np=0: diff is an object keyed "0", "1", ...)
A page past the end answers "data": null, as the real API does. The securities are the mock
vocabulary's (invented names); `fs` filters by market number `m:` (m:0 with t:81 = the
Beijing exchange, other m:0 = Shenzhen; m:90 boards). /_truth/clist lists them all, with the
fs group each belongs to, for tests.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from . import vocabulary as V

PATH = "/api/qt/clist/get"
TRUTH_PATH = "/_truth/clist"
_GROUP = re.compile(r"m:(\d+)(?:[ +]t:(\d+))?")


def _all() -> tuple[V.Security, ...]:
    return V.STOCKS + V.BOARDS


def _in_group(sec: V.Security, number: int, board_type: str | None) -> bool:
    if sec.market_num != number:
        return False
    if number == 0:
        return (sec.market == "BJ") == (board_type == "81")
    return True


def selected(fs: str) -> list[V.Security]:
    groups = [(int(m), t) for m, t in _GROUP.findall(fs.replace("%2B", "+"))]
    return [sec for sec in _all() if any(_in_group(sec, m, t) for m, t in groups)]


async def clist(request: web.Request) -> web.Response:
    query = request.query
    try:
        page, size = int(query.get("pn", "1")), int(query.get("pz", "20"))
    except ValueError:
        return web.json_response({"rc": 102, "data": None})
    chosen = selected(query.get("fs", ""))
    part = chosen[(page - 1) * size : page * size] if page >= 1 and size >= 1 else []
    rows = [{"f12": sec.code, "f13": sec.market_num, "f14": sec.name} for sec in part]
    if not rows:
        return web.json_response({"rc": 0, "rt": 6, "data": None})
    diff: Any = rows if query.get("np") == "1" else {str(i): row for i, row in enumerate(rows)}
    return web.json_response({"rc": 0, "rt": 6, "data": {"total": len(chosen), "diff": diff}})


async def truth(request: web.Request) -> web.Response:
    return web.json_response(
        [
            {"code": s.code, "market": s.market, "market_num": s.market_num, "name": s.name}
            for s in _all()
        ]
    )


def register(app: web.Application) -> None:
    app.router.add_get(PATH, clist)
    app.router.add_get(TRUTH_PATH, truth)
