"""East Money's security list API (push2 `clist`): the URLs to ask and the answer read as
securities with their names, for the security master.

    {base}/api/qt/clist/get?pn=<page>&pz=<size>&po=1&np=1&fltt=2&invt=2&fid=f12
        &fs=<groups>&fields=f12,f13,f14
    -> {"rc": 0, "data": {"total": N, "diff": [{"f12": code, "f13": market number,
        "f14": name}]}}   (np=0 answers diff as an object keyed "0", "1", ...; past the last
        page "data" is null)
The `fs` groups are the ones public code uses (../shared/reference facts): m:1 t:2 / t:23
Shanghai main board / STAR, m:0 t:6 / t:80 Shenzhen main / ChiNext, m:0 t:81 s:2048 Beijing,
m:116 t:3 Hong Kong, m:105/106/107 the US exchanges, m:90 t:2 boards. The host comes from
FINEWS_EM_PUSH2_BASE.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from finews_crawler.parsing.stocks import Board, Security
from finews_crawler.sources.eastmoney.stocks import from_secid

DEFAULT_BASE = "https://push2.eastmoney.com"
PATH = "/api/qt/clist/get"
GROUPS = (
    "m:1 t:2,m:1 t:23",
    "m:0 t:6,m:0 t:80",
    "m:0 t:81 s:2048",
    "m:116 t:3",
    "m:105,m:106,m:107",
    "m:90 t:2",
)
PAGE_SIZE = 100
KEYS = ("f12", "f13", "f14")  # code, market number (0 is Shenzhen: not "empty"), name


class ClistError(ValueError):
    """The answer is not a clist answer (what it was is in the message)."""


def page_url(base: str, fs: str, page: int, size: int = PAGE_SIZE) -> str:
    query = {
        "pn": page,
        "pz": size,
        "po": 1,
        "np": 1,
        "fltt": 2,
        "invt": 2,
        "fid": "f12",
        "fs": fs.replace(" ", "+"),
        "fields": "f12,f13,f14",
    }
    return f"{(base or DEFAULT_BASE).rstrip('/')}{PATH}?{urlencode(query, safe=':,+')}"


def read_page(payload: Any) -> tuple[list[Security], int | None]:
    """The securities of one answer (boards as kind "board") and the total it announces;
    ([], None) past the last page. Raises ClistError on anything else."""
    if not isinstance(payload, dict) or "data" not in payload:
        raise ClistError(f"not a clist answer: {str(payload)[:120]!r}")
    data = payload["data"]
    if data is None:
        return [], None
    rows = data.get("diff") if isinstance(data, dict) else None
    if isinstance(rows, dict):
        rows = list(rows.values())
    if not isinstance(rows, list):
        raise ClistError(f"clist answer without a diff list: {str(data)[:120]!r}")
    found: list[Security] = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        code, number, name = (str(row.get(f) if row.get(f) is not None else "") for f in KEYS)
        security = from_secid(number, code, name or None)
        if isinstance(security, Board):
            security = Security(security.code, None, security.secid, security.name, "board")
        if security is not None:
            found.append(security)
    total = data.get("total") if isinstance(data, dict) else None
    return found, int(total) if isinstance(total, int) else None
