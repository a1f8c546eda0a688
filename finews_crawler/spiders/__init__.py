"""Spiders only fetch and navigate; every response becomes a RawPage for the pipelines."""
