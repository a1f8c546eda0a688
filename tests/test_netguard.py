"""The suite's network guard (tests/netguard): what it lets through, and that every Python
child of the suite runs under it. Nothing here connects anywhere: the guard's refusals are
exercised by the link-safety tests, whose crawls would otherwise reach past loopback."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys

import pytest

from tests.netguard.sitecustomize import LOG_ENV, loopback_only


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.9.8.7", "::1", "[::1]", "::ffff:127.0.0.1", "localhost", "a.localhost"],
)
def test_loopback_passes(host: str) -> None:
    assert loopback_only(host)


@pytest.mark.parametrize(
    "host",
    [
        str(ipaddress.IPv4Address(0xA9FEA9FE)),  # cloud metadata
        str(ipaddress.IPv4Address(0x0A000001)),  # a LAN
        "0.0.0.0",
        "8.8.8.8",
        str(ipaddress.IPv6Address(0xFE80 << 112 | 1)),  # link-local
        "example.com",  # a name: looking it up is a DNS query
    ],
)
def test_everything_else_is_refused(host: str) -> None:
    assert not loopback_only(host)


def test_python_children_run_under_the_guard(network_guard) -> None:
    """Crawls, the mock site and helpers are child processes: they get the guard too."""
    probe = (
        "import socket, sitecustomize; "
        "print(socket.socket.connect.__module__, socket.socket.connect_ex.__module__, "
        "socket.getaddrinfo.__module__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["sitecustomize"] * 3
    assert os.environ[LOG_ENV] == str(network_guard)
