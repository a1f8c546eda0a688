"""Test suite of finews-crawler (a package so helpers import as tests.<module>)."""
