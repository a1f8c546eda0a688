"""A duplicate-request filter whose memory stays small on 100,000-article crawls.

Scrapy's RFPDupeFilter keeps every 20-byte fingerprint as a bytes object in a set (about
80 bytes each). This one keeps the first 8 bytes of each fingerprint as an integer in a sorted
array (8 bytes each), with a small set for the newest ones. Two different requests share an
8-byte prefix with a probability of about n^2 / 2^65: 1e-9 for 200,000 requests. JOBDIR
files are written exactly as Scrapy writes them, so resumes work either way.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from pathlib import Path
from typing import BinaryIO

from scrapy.dupefilters import RFPDupeFilter
from scrapy.http import Request
from scrapy.utils.request import RequestFingerprinterProtocol

RECENT_LIMIT = 4096  # newest keys in a set; merged into the sorted array when it fills
SEEN_FILE = "requests.seen"  # Scrapy's (< 2.19) name and format: one hex fingerprint a line


def read_fingerprints(data: bytes) -> tuple[list[bytes], int]:
    """The fingerprints of a requests.seen file and where its complete lines end (a line cut
    off by a crash, or one that is not hex, ends the readable part)."""
    fingerprints: list[bytes] = []
    position = 0
    while (end := data.find(b"\n", position)) >= 0:
        try:
            fingerprints.append(bytes.fromhex(data[position:end].decode("ascii")))
        except ValueError:
            break
        position = end + 1
    return fingerprints, position


def key_of(fingerprint: bytes) -> int:
    return int.from_bytes(fingerprint[:8], "big")


class CompactKeys:
    """A set of 64-bit integers: a sorted array plus a small set of recent additions."""

    def __init__(self) -> None:
        self.sorted = array("Q")
        self.recent: set[int] = set()

    def __contains__(self, key: int) -> bool:
        if key in self.recent:
            return True
        index = bisect_left(self.sorted, key)
        return index < len(self.sorted) and self.sorted[index] == key

    def add(self, key: int) -> None:
        self.recent.add(key)
        if len(self.recent) >= RECENT_LIMIT:
            self.sorted = array("Q", sorted([*self.sorted, *self.recent]))
            self.recent = set()

    def __len__(self) -> int:
        return len(self.sorted) + len(self.recent)


class CompactDupeFilter(RFPDupeFilter):
    """RFPDupeFilter with compact memory; same filtering, same JOBDIR file.

    Only Scrapy's public surface is used (its `fingerprinter`, its `close`): the parent is
    built without the JOBDIR path, so it never loads the fingerprints into its own set, and
    this class reads and appends its own binary file."""

    def __init__(
        self,
        path: str | None = None,
        debug: bool = False,
        *,
        fingerprinter: RequestFingerprinterProtocol | None = None,
    ) -> None:
        super().__init__(None, debug, fingerprinter=fingerprinter)
        self.keys = CompactKeys()
        self.seen_file: BinaryIO | None = None
        if path:
            self.seen_file = Path(path, SEEN_FILE).open("a+b")  # noqa: SIM115 (see close())
            self.seen_file.seek(0)
            data = self.seen_file.read()
            fingerprints, end = read_fingerprints(data)  # a JOBDIR resume
            for fingerprint in fingerprints:
                self.keys.add(key_of(fingerprint))
            if end < len(data):  # appends after a cut-off record would misalign the file
                self.seen_file.truncate(end)

    def request_seen(self, request: Request) -> bool:
        fingerprint = self.fingerprinter.fingerprint(request)
        key = key_of(fingerprint)
        if key in self.keys:
            return True
        self.keys.add(key)
        if self.seen_file:
            self.seen_file.write(fingerprint.hex().encode("ascii") + b"\n")
            self.seen_file.flush()  # line by line, as Scrapy writes it (a crash loses none)
        return False

    def close(self, reason: str) -> None:
        if self.seen_file:
            self.seen_file.close()
        super().close(reason)
