"""The compact duplicate filter filters exactly like Scrapy's and shares its JOBDIR file."""

from __future__ import annotations

from scrapy.dupefilters import RFPDupeFilter
from scrapy.http import Request

from finews_crawler.crawl.dupefilter import RECENT_LIMIT, CompactDupeFilter


def requests(count: int) -> list[Request]:
    return [
        Request(f"http://mirror.test/NewsData/GetNewsText.do?id=NW{i:018d}") for i in range(count)
    ]


def test_filters_like_scrapy_across_merges() -> None:
    ours, scrapys = CompactDupeFilter(), RFPDupeFilter()
    batch = requests(3 * RECENT_LIMIT + 17)  # several merges into the sorted array
    for request in batch + batch[::7] + batch[:100]:
        assert ours.request_seen(request) == scrapys.request_seen(request)
    assert len(ours.keys) == len(batch)
    assert not ours.request_seen(Request("http://mirror.test/new"))
    assert ours.request_seen(Request("http://mirror.test/new"))


def test_jobdir_file_round_trips_with_scrapys_filter(tmp_path) -> None:
    first = CompactDupeFilter(str(tmp_path))
    batch = requests(RECENT_LIMIT + 5)
    for request in batch:
        assert not first.request_seen(request)
    first.close("shutdown")
    # Scrapy's own filter reads our file, and ours reads it back after a restart.
    scrapys = RFPDupeFilter(str(tmp_path))
    assert all(scrapys.request_seen(request) for request in batch)
    scrapys.close("shutdown")
    resumed = CompactDupeFilter(str(tmp_path))
    assert all(resumed.request_seen(request) for request in batch)
    assert not resumed.request_seen(Request("http://mirror.test/after-resume"))
    resumed.close("shutdown")


def test_a_cut_off_jobdir_record_is_ignored(tmp_path) -> None:
    first = CompactDupeFilter(str(tmp_path))
    batch = requests(3)
    for request in batch:
        assert not first.request_seen(request)
    first.close("shutdown")
    seen = tmp_path / "requests.seen"
    seen.write_bytes(seen.read_bytes()[:-5])  # SIGKILL in the middle of the last record
    resumed = CompactDupeFilter(str(tmp_path))
    assert [resumed.request_seen(request) for request in batch] == [True, True, False]
    resumed.close("shutdown")
    # The cut-off record was dropped, so the file stays readable by Scrapy's own filter.
    scrapys = RFPDupeFilter(str(tmp_path))
    assert all(scrapys.request_seen(request) for request in batch)
    assert not scrapys.request_seen(Request("http://mirror.test/never-seen"))
    scrapys.close("shutdown")
