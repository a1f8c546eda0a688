"""Imports: existing archives brought into the store through the same pipelines as a crawl."""
