"""The chaos suite: crawls that meet kills, outages and faults must lose and double nothing.

`python -m tests.chaos` (`make chaos`, `make chaos QUICK=1`) runs every scenario of
`scenarios.catalogue()` against its own mock site (loopback only), a real SQLite file or a
real SecantusDB, and a real redis-server for the two-worker rows. Each scenario runs one
faulty crawl, heals what it broke, runs at most two plain crawls and counts from the store,
against the mock site's truth, what was expected, stored, lost (with and without a failure
record) and doubled. It prints one table and exits non-zero when a row lost or doubled an
article or its faulty run exited 0 although something was left unfinished.
"""
