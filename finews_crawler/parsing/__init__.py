"""Shared parsing helpers, one job per module: stock codes, dates, HTML cleaning."""
