"""aiohttp handlers: the three wire endpoints in the real paths and shapes, plus /_wires controls.

Paths and parameters are the real ones (shared/reference/wires.md); only the host differs, so a
crawler pointed at the mock by its base-URL settings sends exactly what it sends in production.
The site's middlewares (request log, latency, fault injection) wrap these routes like any other;
/_wires/* are helpers, exempt from fault rates, latency and the request log like /_admin.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .feed import WireItem, WireSet, wire_name
from .sign import sign_ok

WIRES_KEY: web.AppKey[WireSet] = web.AppKey("wires", WireSet)

EMFAST_PATH = "/comm/web/getFastNewsList"
CLS_PATH = "/v1/roll/get_roll_list"
CLS_NODEAPI_PATH = "/nodeapi/telegraphList"
THS_PATH = "/tapp/news/push/stock/"
# The reference says only that cls "refuses" unsigned requests; this answer is the mock's own.
CLS_SIGN_REFUSAL = {"errno": 1, "msg": "sign invalid", "data": None}


def _json(data: Any, status: int = 200) -> web.Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return web.Response(text=body, status=status, content_type="application/json", charset="utf-8")


def _int(value: str | None, default: int, lo: int, hi: int) -> int:
    """Lenient query int: junk falls back to ``default``, the rest is clamped."""
    try:
        n = int(value) if value not in (None, "") else default
    except ValueError:
        n = default
    return max(lo, min(hi, n))


def _raws(items: list[WireItem]) -> list[dict[str, Any]]:
    return [it.raw for it in items]


# -- East Money 7x24 ------------------------------------------------------------------------
async def emfast(request: web.Request) -> web.Response:
    """``sortEnd`` empty = newest page; else items with ``realSort`` below it. ``data: null``
    when ``sortEnd`` or ``req_trace`` is left out (as public code reports of the real host)."""
    q = request.query
    cursor = q.get("sortEnd")
    if cursor is None or "req_trace" not in q or not (cursor == "" or cursor.isdigit()):
        return _json({"code": "1", "message": "success", "data": None})
    feed = request.app[WIRES_KEY].feed("emfast")
    size = _int(q.get("pageSize"), 20, 1, 200)
    items = feed.older_than((int(cursor),), size) if cursor else feed.newest(0, size)
    sort_end = items[-1].raw["realSort"] if items else ""
    data = {"fastNewsList": _raws(items), "sortEnd": sort_end}
    return _json({"code": "1", "message": "success", "data": data})


# -- 财联社 telegraph -------------------------------------------------------------------------
def _cls_page(request: web.Request, last_time: str | None) -> web.Response:
    """Items strictly older than ``last_time`` (newest page when empty), newest first."""
    feed = request.app[WIRES_KEY].feed("cls")
    rn = _int(request.query.get("rn"), 20, 1, 100)
    if last_time in (None, ""):
        items = feed.newest(0, rn)
    elif last_time.isdigit():
        items = feed.older_than((int(last_time),), rn)
    else:
        return _json({"errno": 1, "msg": "bad last_time", "data": None})
    return _json({"errno": 0, "msg": "", "data": {"roll_data": _raws(items)}})


async def cls_roll(request: web.Request) -> web.Response:
    """The signed endpoint: a missing or wrong ``sign`` gets CLS_SIGN_REFUSAL, no items."""
    if not sign_ok(request.query.items()):
        return _json(CLS_SIGN_REFUSAL)
    return _cls_page(request, request.query.get("last_time"))


async def cls_nodeapi(request: web.Request) -> web.Response:
    """The older unsigned route: same ``data.roll_data``."""
    q = request.query
    return _cls_page(request, q.get("last_time", q.get("lastTime")))


# -- 同花顺 7x24 --------------------------------------------------------------------------------
async def ths(request: web.Request) -> web.Response:
    """Page numbers from 1 (newest); a page past the end is an empty list."""
    q = request.query
    page = _int(q.get("page"), 1, 1, 10**6)
    size = _int(q.get("pagesize"), 20, 1, 200)
    items = request.app[WIRES_KEY].feed("ths").newest((page - 1) * size, size)
    return _json({"code": "200", "msg": "success", "data": {"list": _raws(items)}})


# -- test controls ----------------------------------------------------------------------------
def _wires_from(request: web.Request) -> list[str]:
    name = request.query.get("wire", "")
    if not name:
        return list(request.app[WIRES_KEY].feeds)
    return [wire_name(name)]


def _source_id(value: str) -> str:
    prefix, sep, rest = value.partition(":")
    return rest if sep and prefix in ("cls", "ths") else value


async def state(request: web.Request) -> web.Response:
    return _json({"ok": True, **request.app[WIRES_KEY].state()})


def _one_wire(request: web.Request) -> str:
    """The ``wire=`` parameter, canonical; ValueError when missing or unknown."""
    return wire_name(request.query.get("wire", ""))


async def truth(request: web.Request) -> web.Response:
    """Truth records of a wire's published items, oldest first."""
    try:
        name = _one_wire(request)
    except ValueError as exc:
        return _json({"ok": False, "error": str(exc)}, status=400)
    return _json(request.app[WIRES_KEY].truth(name))


async def item(request: web.Request) -> web.Response:
    """One published item as the wire serves it (``raw``) with its truth and revision."""
    try:
        name = _one_wire(request)
    except ValueError as exc:
        return _json({"ok": False, "error": str(exc)}, status=400)
    found = request.app[WIRES_KEY].feed(name).find(_source_id(request.query.get("id", "")))
    if found is None:
        return _json({"ok": False, "error": "unknown id"}, status=404)
    return _json({"ok": True, "raw": found.raw, "truth": found.truth(), "revision": found.revision})


async def advance(request: web.Request) -> web.Response:
    """Publish the next ``n`` (default 1) items of one wire (``wire=``) or of all three."""
    wires = request.app[WIRES_KEY]
    try:
        names = _wires_from(request)
        n = int(request.query.get("n", "1"))
    except ValueError as exc:
        return _json({"ok": False, "error": str(exc)}, status=400)
    added = {name: [it.key for it in wires.feed(name).advance(n)] for name in names}
    return _json({"ok": True, "added": added, **wires.state()})


async def edit(request: web.Request) -> web.Response:
    """Next revision of a published item (``wire=``, default cls; ``id=`` its source id)."""
    wires = request.app[WIRES_KEY]
    try:
        name = wire_name(request.query.get("wire") or "cls")
        new = wires.feed(name).edit(_source_id(request.query.get("id", "")))
    except KeyError as exc:
        return _json({"ok": False, "error": str(exc.args[0])}, status=404)
    except ValueError as exc:
        return _json({"ok": False, "error": str(exc)}, status=400)
    return _json({"ok": True, "wire": name, "id": new.key, "revision": new.revision,
                  "raw": new.raw, "truth": new.truth()})  # fmt: skip


def register(app: web.Application, wires: WireSet) -> None:
    """Serve ``wires`` on ``app``: the wire endpoints and the /_wires controls."""
    app[WIRES_KEY] = wires
    r = app.router
    r.add_get(EMFAST_PATH, emfast)
    r.add_get(CLS_PATH, cls_roll)
    r.add_get(CLS_NODEAPI_PATH, cls_nodeapi)
    r.add_get(THS_PATH, ths)
    r.add_get("/_wires/state", state)
    r.add_get("/_wires/truth", truth)
    r.add_get("/_wires/item", item)
    for path, handler in (("/_wires/advance", advance), ("/_wires/edit", edit)):
        r.add_get(path, handler)
        r.add_post(path, handler)
