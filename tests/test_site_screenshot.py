"""`make site-check`'s path in a test: a sample site opened from disk in headless Chromium.

The screenshots must be the styled pages: the header band has the stylesheet's colour, which
only happens when the relative stylesheet link resolves from file://. Needs Debian's `jekyll`
and `chromium` (`make system-deps`); without them the test skips with that reason.
"""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from lxml import html as lxml_html

from tests.site_check import WINDOW, build_sample, offline_prefix, post_with_stocks, screenshot

HEADER_RGB = (0x12, 0x35, 0x5B)  # `.site-header` background in the theme's stylesheet


def png_first_row(path: Path) -> tuple[int, int, list[tuple[int, int, int]]]:
    """(width, height, RGB of the top row's pixels) of an 8-bit RGB/RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    offset, idat, header = 8, b"", b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        offset += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)[: 1 + width * channels]
    kind, row = raw[0], bytearray(raw[1:])
    for i in range(len(row)):  # undo the first row's filter (the row above is all zero)
        left = row[i - channels] if i >= channels else 0
        if kind in (1, 4):  # Sub; Paeth reduces to Sub on the first row
            row[i] = (row[i] + left) & 0xFF
        elif kind == 3:  # Average
            row[i] = (row[i] + left // 2) & 0xFF
    pixels = [tuple(row[i : i + 3]) for i in range(0, len(row), channels)]
    return width, height, pixels  # type: ignore[return-value]


def test_index_and_post_render_styled_from_disk(tmp_path: Path) -> None:
    missing = [name for name in ("jekyll", "chromium") if not shutil.which(name)]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (run `make system-deps` as root)")
    if offline_prefix() is None:
        pytest.skip("Chromium runs only without network, and `unshare --net` fails here")
    chromium = str(shutil.which("chromium"))
    uri, built = build_sample(tmp_path, articles=30)
    post = post_with_stocks(built, uri)
    assert len(lxml_html.fromstring(post.read_bytes()).xpath("//p[@class='stocks']/a")) >= 2

    for page in (built / "index.html", post):
        shot = screenshot(chromium, page, tmp_path / f"{page.stem}.png")
        width, height, top_row = png_first_row(shot)
        assert (width, height) == WINDOW
        assert top_row[width // 2] == HEADER_RGB, f"{page.name}: stylesheet not applied"


def test_chromium_runs_without_network() -> None:
    """What Chromium runs inside cannot reach even this machine's loopback listener."""
    prefix = offline_prefix()
    if prefix is None:
        pytest.skip("`unshare --net` fails here (Chromium tests skip too)")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        probe = (
            "import socket, sys\n"
            f"try: socket.create_connection(('127.0.0.1', {port}), timeout=5)\n"
            "except OSError as exc: sys.exit(f'unreachable: {exc}')\n"
        )
        reached = subprocess.run(
            [*prefix, sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
        )
    assert reached.returncode == 1 and "unreachable" in reached.stderr, reached.stderr
