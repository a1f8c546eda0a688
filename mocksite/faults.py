"""Fault injection for the mock site: the open web's failures, on demand and reproducible.

A fault plan decides per URL (path + query) whether and how a response goes wrong:

    --faults transient=0.1,permanent=0.05,attempts=2,kinds=http500+reset --fault-seed 3
    --fault-rule 'GetNewsText\\.do\\?id=NW2022=malformed:2'     (regex=KIND[:K])

Rates pick URLs by a hash of (seed, URL), so two runs fault exactly the same URLs and a test
can compute the plan itself (`FaultPlan.fault_for`). A transient fault spoils the first K
attempts of its URL (`attempts`, default 1) and then the URL behaves; a permanent one spoils
every attempt; rules win over rates. Failure kinds make the attempt fail; variant kinds serve
the same content in a hostile but valid form that a crawler must digest (slow, GBK, 10 MB);
hostile kinds (deepjson, bignumber, deephtml) serve content no retry cures, only when named.
Rule-only kinds: `ignore-paging` answers a feed page as if no paging parameter were given
(`--fault-rule 'type=102=ignore-paging'`: every page is page 1, a host ignoring `page=`).
Without --faults/--fault-rule no middleware is installed: the normal path stays fast.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import re
import socket
import struct
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from aiohttp import web

# Kinds that make an attempt fail (the crawler must retry it or record a failure).
FAILURE_KINDS = (
    "http500",
    "http502",
    "http503",
    "throttle",  # 429 with Retry-After
    "reset",  # TCP reset before any response
    "timeout",  # connection held open, no response, longer than the crawler waits
    "truncated",  # Content-Length larger than the body, then the connection closes
    "redirect-loop",  # 302 between two URLs that never land
    "empty",  # 200 with an empty body
    "malformed",  # JSON cut in half; HTML with broken markup (content still complete)
    "wrong-type",  # body labelled image/png
)
# Kinds that serve valid content in a hostile form (the crawler must store the same article).
VARIANT_KINDS = (
    "slow",  # body trickled out over `slow` seconds
    "gbk",  # GB18030/GBK bytes, charset=GBK in the header
    "gbk-meta",  # GBK bytes, no charset header, <meta charset="gb2312"> in HTML
    "gbk-bare",  # GBK bytes, no charset anywhere
    "huge",  # the page padded to 10 MB outside the article
    "mislabelled",  # JSON labelled text/html, HTML labelled text/plain
)
ALL_KINDS = FAILURE_KINDS + VARIANT_KINDS
# Hostile content no retry can cure (the crawler must end each as a failure record naming the
# error, and go on). Only when named (--fault-rule, kinds=): rates never pick them by default.
HOSTILE_KINDS = (
    "deepjson",  # JSON with a value nested 100,000 arrays deep
    "bignumber",  # JSON with a 5,000-digit number
    "deephtml",  # the article HTML (page or text-API body) inside 100,000 nested <div>s
)
KNOWN_KINDS = ALL_KINDS + HOSTILE_KINDS
DEEP_LEVELS = 100_000
BIG_NUMBER_DIGITS = 5_000
# Kinds only a --fault-rule can ask for (never picked by rates).
RULE_KINDS = ("ignore-paging",)  # answer as if no paging parameter were given (page 1 again)
PAGING_PARAMS = ("page", "sortEnd", "last_time")
HOP_PARAM = "_hop"
HUGE_BYTES = 10 * 1024 * 1024
# Never faulted by rates (rules may still name them): helpers, robots.txt, scripts.
_EXEMPT = ("/_", "/robots.txt", "/js/")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Fault:
    """One URL's fault: its kind and how many attempts it spoils (None: all of them)."""

    kind: str
    attempts: int | None

    def applies(self, attempt: int) -> bool:
        return self.attempts is None or attempt <= self.attempts


@dataclass
class FaultPlan:
    """Which URL gets which fault; pure and deterministic (tests rebuild it to predict)."""

    transient: float = 0.0
    permanent: float = 0.0
    attempts: int = 1
    kinds: tuple[str, ...] = ALL_KINDS
    seed: int = 0
    hold: float = 5.0  # seconds a "timeout" holds the connection
    slow: float = 1.0  # seconds a "slow" response takes
    rules: list[tuple[re.Pattern[str], Fault]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.rules) or self.transient > 0 or self.permanent > 0

    def fault_for(self, url_path: str) -> Fault | None:
        """The fault for a path+query (hop parameter ignored); None for a healthy URL."""
        key = strip_hop(url_path)
        for pattern, fault in self.rules:
            if pattern.search(key):
                return fault
        if key.startswith(_EXEMPT) or not self.kinds:
            return None
        digest = hashlib.blake2b(f"{self.seed}:{key}".encode(), digest_size=16).digest()
        draw, pick = struct.unpack(">QQ", digest)
        draw /= 2**64
        kind = self.kinds[pick % len(self.kinds)]
        if draw < self.permanent:
            return Fault(kind, None)
        if draw < self.permanent + self.transient:
            return Fault(kind, self.attempts)
        return None


def strip_hop(url_path: str) -> str:
    """The URL without the redirect-loop hop parameter (hops are not attempts)."""
    if HOP_PARAM not in url_path:
        return url_path
    path, _, query = url_path.partition("?")
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != HOP_PARAM]
    return f"{path}?{urlencode(kept)}" if kept else path


def _check_kind(kind: str, known: tuple[str, ...] = KNOWN_KINDS) -> str:
    if kind not in known:
        raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(known)})")
    return kind


def parse_faults(spec: str | None, seed: int = 0, rules: list[str] | None = None) -> FaultPlan:
    """Build a plan from `--faults k=v,...`, `--fault-seed` and `--fault-rule` values."""
    plan = FaultPlan(seed=seed)
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if name in ("transient", "permanent", "hold", "slow"):
            setattr(plan, name, float(value))
        elif name == "attempts":
            plan.attempts = int(value)
        elif name == "kinds":
            plan.kinds = tuple(_check_kind(k.strip()) for k in value.split("+") if k.strip())
        else:
            raise ValueError(f"unknown --faults option {name!r}")
    if not 0 <= plan.transient + plan.permanent <= 1:
        raise ValueError("transient + permanent must lie within 0..1")
    for rule in rules or []:
        pattern, sep, target = rule.rpartition("=")
        if not sep or not pattern:
            raise ValueError(f"--fault-rule wants REGEX=KIND[:K], got {rule!r}")
        kind, _, count = target.partition(":")
        fault = Fault(
            _check_kind(kind.strip(), KNOWN_KINDS + RULE_KINDS), int(count) if count else None
        )
        plan.rules.append((re.compile(pattern), fault))
    return plan


# ---- the aiohttp side ---------------------------------------------------------------------


def make_middleware(plan: FaultPlan) -> Callable:
    """An aiohttp middleware applying `plan`; counts attempts per URL (hops excluded)."""
    attempts: Counter[str] = Counter()

    @web.middleware
    async def faults(request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = request.raw_path
        if HOP_PARAM in request.query:
            return _redirect_hop(raw, int(request.query.get(HOP_PARAM) or 1) % 2 + 1)
        fault = plan.fault_for(raw)
        if fault is None:
            return await handler(request)
        key = strip_hop(raw)
        attempts[key] += 1
        if not fault.applies(attempts[key]):
            return await handler(request)
        return await apply(fault.kind, plan, request, handler)

    return faults


def _redirect_hop(raw: str, hop: int) -> web.Response:
    base = strip_hop(raw)
    sep = "&" if "?" in base else "?"
    return web.Response(status=302, headers={"Location": f"{base}{sep}{HOP_PARAM}={hop}"})


def _error_page(status: int, headers: dict[str, str] | None = None) -> web.Response:
    body = f"<html><body><h1>{status}</h1><p>mock fault</p></body></html>"
    return web.Response(
        text=body, status=status, content_type="text/html", charset="utf-8", headers=headers
    )


async def apply(
    kind: str, plan: FaultPlan, request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Serve `kind` for this request (failure kinds never call the real handler)."""
    if kind in ("http500", "http502", "http503"):
        return _error_page(int(kind[4:]))
    if kind == "throttle":
        return _error_page(429, {"Retry-After": "1"})
    if kind == "redirect-loop":
        return _redirect_hop(request.raw_path, 1)
    if kind == "reset":
        return await _reset(request)
    if kind == "timeout":
        await asyncio.sleep(plan.hold)
        return await _reset(request)
    if kind == "ignore-paging":
        query = [(k, v) for k, v in request.rel_url.query.items() if k not in PAGING_PARAMS]
        return await handler(request.clone(rel_url=request.rel_url.with_query(query)))
    response = await handler(request)
    if not isinstance(response, web.Response) or not isinstance(response.body, bytes | bytearray):
        return response
    body = bytes(response.body)
    ctype, charset = response.content_type, response.charset or "utf-8"
    if kind == "empty":
        return _raw(b"", response.status, f"{ctype}; charset={charset}")
    if kind == "wrong-type":
        return _raw(body, response.status, "image/png")
    if kind == "malformed":
        return _raw(malform(body, ctype), response.status, f"{ctype}; charset={charset}")
    if kind == "truncated":
        return await _truncated(request, body, f"{ctype}; charset={charset}")
    if kind == "slow":
        return await _trickle(request, body, f"{ctype}; charset={charset}", plan.slow)
    if kind.startswith("gbk"):
        return gbk_response(body.decode(charset), ctype, kind, response.status)
    if kind == "huge":
        return _raw(pad_to(body, ctype, HUGE_BYTES), response.status, f"{ctype}; charset={charset}")
    if kind == "mislabelled":
        other = "text/plain" if "html" in ctype else "text/html"
        return _raw(body, response.status, f"{other}; charset={charset}")
    if kind in HOSTILE_KINDS:
        text, ctype = hostile(kind, body.decode(charset), ctype)
        return _raw(text.encode("utf-8"), response.status, f"{ctype}; charset=utf-8")
    raise AssertionError(kind)


def _with_json_field(text: str, name: str, value_json: str) -> str:
    """A JSON object's text with one more field, written as raw JSON text (which
    json.dumps could not produce: too deep, or a number over int's digit limit)."""
    data = json.loads(text) if text.strip() else None
    if not isinstance(data, dict):
        return value_json
    head = json.dumps(data, ensure_ascii=False, separators=(",", ":"))[:-1]
    return f'{head}{"," if data else ""}"{name}":{value_json}}}'


def hostile(kind: str, text: str, ctype: str) -> tuple[str, str]:
    """(body, content type) of a HOSTILE_KINDS answer built from the real one."""
    deep_html = ("<div>" * DEEP_LEVELS, "</div>" * DEEP_LEVELS)
    if kind == "deephtml":
        if "json" in ctype:
            data = json.loads(text) if text.strip() else {}
            if isinstance(data, dict):
                for key in ("content", "text"):
                    if isinstance(data.get(key), str):
                        data[key] = deep_html[0] + data[key] + deep_html[1]
            return json.dumps(data, ensure_ascii=False, separators=(",", ":")), ctype
        if "<body>" in text and "</body>" in text:
            text = text.replace("<body>", "<body>" + deep_html[0], 1)
            return text.replace("</body>", deep_html[1] + "</body>", 1), ctype
        return deep_html[0] + text + deep_html[1], ctype
    deep_json = "[" * DEEP_LEVELS + "]" * DEEP_LEVELS
    value = deep_json if kind == "deepjson" else "7" * BIG_NUMBER_DIGITS
    if "json" not in ctype:
        return value, "application/json"
    return _with_json_field(text, kind, value), ctype


def _raw(body: bytes, status: int, content_type: str) -> web.Response:
    return web.Response(body=body, status=status, headers={"Content-Type": content_type})


async def _reset(request: web.Request) -> web.Response:
    """Abort the TCP connection with RST (SO_LINGER 0); the client sees a reset."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=500)  # never reaches the client


async def _truncated(request: web.Request, body: bytes, content_type: str) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={"Content-Type": content_type})
    response.content_length = len(body) + 1024
    await response.prepare(request)
    await response.write(body[: max(1, len(body) // 2)])
    await asyncio.sleep(0.05)
    if request.transport is not None:
        request.transport.close()
    return response


async def _trickle(
    request: web.Request, body: bytes, content_type: str, seconds: float
) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={"Content-Type": content_type})
    response.content_length = len(body)
    await response.prepare(request)
    pieces = 5
    step = max(1, -(-len(body) // pieces))
    for start in range(0, len(body), step):
        await response.write(body[start : start + step])
        await asyncio.sleep(seconds / pieces)
    await response.write_eof()
    return response


_META_CHARSET = re.compile(rb"<meta\s+charset=[\"']?utf-8[\"']?\s*/?>", re.I)


def gbk_response(text: str, ctype: str, kind: str, status: int = 200) -> web.Response:
    """The same text as GBK (GB18030, its superset, so every character survives) bytes."""
    body = text.encode("gb18030")
    meta = {"gbk": b'<meta charset="gbk">', "gbk-meta": b'<meta charset="gb2312">'}
    body = _META_CHARSET.sub(meta.get(kind, b""), body)
    header = f"{ctype}; charset=GBK" if kind == "gbk" else ctype
    return _raw(body, status, header)


def malform(body: bytes, ctype: str) -> bytes:
    """JSON: cut in half (unparseable). HTML: the sloppiness browsers forgive (optional end
    tags dropped, stray end tags, junk) without changing what the page shows."""
    if "json" in ctype:
        return body[: len(body) // 2]
    broken = re.sub(rb"</(?:p|li|body|html)>", b"", body)
    return broken.replace(b"<body>", b"<body></b></i></td><<>> &nbsp &bogus; ", 1)


def pad_to(body: bytes, ctype: str, size: int) -> bytes:
    """The page grown to `size` bytes with filler the article extractor must ignore."""
    missing = max(0, size - len(body))
    if "json" in ctype:
        data = json.loads(body) if body.strip() else {}
        if isinstance(data, dict):
            data["padding"] = "x" * missing
            return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return body
    block = b'<div class="pad">' + b"x" * 1000 + b"</div>"
    filler = block * (missing // len(block) + 1)
    marker = b"</body>"
    if marker in body:
        return body.replace(marker, filler + marker, 1)
    return body + filler


# ---- canned responses (the bad-input corpus served over HTTP) ------------------------------


@dataclass(frozen=True)
class Canned:
    status: int
    content_type: str
    body: bytes


def load_cases(directory: str | Path) -> dict[str, Canned]:
    """Path+query -> canned response, from case folders holding meta.json and input.*[.gz].

    meta.json gives the case's `url` (only its path and query matter here), `content_type`
    and `status`; cases with `"crawl": false` (fetch errors, context-dependent) are skipped.
    """
    cases: dict[str, Canned] = {}
    for meta_file in sorted(Path(directory).glob("*/meta.json")):
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if not meta.get("crawl", True) or meta.get("error"):
            continue
        (input_file,) = meta_file.parent.glob("input.*")
        body = input_file.read_bytes()
        if input_file.suffix == ".gz":
            body = gzip.decompress(body)
        parts = urlsplit(meta["url"])
        key = parts.path + (f"?{parts.query}" if parts.query else "")
        cases[key] = Canned(int(meta.get("status") or 200), meta.get("content_type") or "", body)
    return cases


def make_cases_middleware(cases: dict[str, Canned]) -> Callable:
    """An aiohttp middleware answering the canned URLs byte for byte (headers as given)."""

    @web.middleware
    async def canned(request: web.Request, handler: Handler) -> web.StreamResponse:
        found = cases.get(request.raw_path)
        if found is None:
            return await handler(request)
        headers = {"Content-Type": found.content_type} if found.content_type else {}
        return web.Response(body=found.body, status=found.status, headers=headers)

    return canned
