"""A static HTTP server of pre-rendered answers, so the crawler, not the site, is the bottleneck.

The aiohttp mock site renders every answer on request and shares the cores with the crawler;
above about 250 requests/s it, not the crawler, sets the pace. This server answers from a
dict of bytes recorded from the mock site (`record`), on one core, with an optional fixed
latency per answer. It serves HTTP/1.1 keep-alive GETs and nothing else.

    python -m bench.static_site ANSWERS.pickle PORT_FILE [--latency-ms N]

`GET /_stats` answers (and resets) {requests, first, last, cpu_s}: the request count and the
monotonic times of the first and last request since the previous reset, and this server's own
CPU seconds (so a run can show the server was not the limit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import signal
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mocksite.process import stop_process

Answers = dict[str, bytes]  # request target (path?query) -> the full HTTP response
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


def http_response(status: int, content_type: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return head.encode("latin-1") + b"\r\n" + body


def record(base: str, targets: Iterable[str], workers: int = 16) -> Answers:
    """Fetch every target from a live site (the mock) once and keep its answer."""

    def fetch(target: str) -> tuple[str, bytes]:
        try:
            with urllib.request.urlopen(base + target, timeout=60) as answer:
                status, ctype, body = answer.status, answer.headers["Content-Type"], answer.read()
        except urllib.error.HTTPError as error:
            status, ctype, body = error.code, error.headers["Content-Type"], error.read()
        return target, http_response(status, ctype or "text/plain", body)

    with ThreadPoolExecutor(workers) as pool:
        return dict(pool.map(fetch, sorted(set(targets))))


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests, self.first, self.last = 0, 0.0, 0.0

    def hit(self) -> None:
        now = time.monotonic()
        if not self.requests:
            self.first = now
        self.requests, self.last = self.requests + 1, now

    def answer(self) -> bytes:
        body = json.dumps(
            {
                "requests": self.requests,
                "first": self.first,
                "last": self.last,
                "cpu_s": time.process_time(),
            }
        ).encode()
        self.reset()
        return http_response(200, "application/json", body)


class Handler(asyncio.Protocol):
    """One connection: split requests on the blank line, answer each from the dict."""

    def __init__(self, answers: Answers, stats: Stats, latency: float) -> None:
        self.answers, self.stats, self.latency = answers, stats, latency
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            target = head.split(b" ", 2)[1].decode("latin-1")
            if target == "/_stats":
                self._send(self.stats.answer())
                continue
            self.stats.hit()
            answer = self.answers.get(target, NOT_FOUND)
            if self.latency > 0:
                asyncio.get_running_loop().call_later(self.latency, self._send, answer)
            else:
                self._send(answer)

    def _send(self, answer: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(answers: Answers, port_file: Path, latency: float) -> None:
    loop = asyncio.get_running_loop()
    stats = Stats()
    server = await loop.create_server(
        lambda: Handler(answers, stats, latency), "127.0.0.1", 0, backlog=2048
    )
    temp = port_file.with_suffix(".tmp")
    temp.write_text(str(server.sockets[0].getsockname()[1]))
    os.replace(temp, port_file)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


@dataclass
class StaticSite:
    process: object
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.base_url}/_stats", timeout=10) as answer:
            return json.loads(answer.read())


def last_cpu() -> set[int] | None:
    """The core the server gets (the crawler gets the others), when there are two or more."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return {cpus[-1]} if len(cpus) >= 2 else None


@contextmanager
def running_static_site(answers_file: Path, latency_ms: int = 0) -> Iterator[StaticSite]:
    """Start the server on its own core (when there are two), wait for its port, stop it after."""
    import subprocess

    port_file = answers_file.with_name(f"port-{os.getpid()}-{latency_ms}")
    port_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", __name__, str(answers_file), str(port_file)]
    command += ["--latency-ms", str(latency_ms)]
    core = last_cpu()
    process = subprocess.Popen(
        command, preexec_fn=(lambda: os.sched_setaffinity(0, core)) if core else None
    )
    try:
        deadline = time.monotonic() + 60
        while not port_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"static site did not start (exit {process.poll()})")
            time.sleep(0.02)
        site = StaticSite(process, int(port_file.read_text()))
        site.stats()  # answers, and resets
        yield site
    finally:
        stop_process(process)
        port_file.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("answers", type=Path)
    parser.add_argument("port_file", type=Path)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    answers: Answers = pickle.loads(args.answers.read_bytes())
    asyncio.run(serve(answers, args.port_file, args.latency_ms / 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
