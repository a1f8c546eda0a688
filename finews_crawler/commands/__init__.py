"""Scrapy commands of this project (COMMANDS_MODULE): `scrapy crawl` with a meaningful exit code."""
