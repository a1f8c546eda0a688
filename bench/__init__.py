"""Benchmarks against peers, side by side in one run: `finews bench` / `make bench`.

Every comparison runs ours and the peers on the same work in the same run and reports ratios,
because absolute times on a shared machine vary from run to run.
"""
