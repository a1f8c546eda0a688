"""The read-only HTTP API: the query layer (storage/query.py) over HTTP, JSON out.

Filters mean what the CLI's mean (exporters/filters.py builds both); times are shown in
Beijing time (+08:00). Lists are newest first; `/articles` pages with an opaque cursor
(`next_cursor` of one page is the `cursor` of the next), stable while articles arrive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import PlainTextResponse

from finews_crawler import __version__
from finews_crawler.api import metrics
from finews_crawler.api.stores import StoreAccess
from finews_crawler.exporters import filters
from finews_crawler.exporters.present import article_view, failure_view, run_view
from finews_crawler.storage import Store
from finews_crawler.storage.query import encode_cursor

DEFAULT_LIMIT = 20
TIME = "a date, date-time (no offset = +08:00) or look-back (6h, 1d, 2w)"
# The paging filters every article route takes, declared once.
Since = Annotated[str | None, Query(description=f"published at or after: {TIME}")]
Until = Annotated[str | None, Query(description=f"published before: {TIME}")]
Limit = Annotated[int, Query(ge=1, le=filters.MAX_LIMIT)]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


def create_app(store_uri: str, sources: Callable[[], list[str]] | None = None) -> FastAPI:
    """The application over the store at `store_uri` (opened lazily, per thread)."""
    access = StoreAccess(store_uri)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        access.close()

    app = FastAPI(
        title="finews-crawler",
        version=__version__,
        description="Read-only access to stored Chinese financial news: articles, runs, failures.",
        lifespan=lifespan,
    )

    def store() -> Store:
        return access.get()

    def bad_filter(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except filters.FilterError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None

    def article_page(**given: Any) -> dict[str, Any]:
        query = bad_filter(lambda: filters.article_query(store(), **given))
        found = list(store().find_articles(query))
        more = query.limit is not None and len(found) == query.limit
        return {
            "articles": [article_view(article) for article in found],
            "count": len(found),
            "next_cursor": encode_cursor(found[-1]) if more else None,
        }

    @app.get("/articles", summary="Stored articles matching the filters, newest first")
    def articles(
        stock: str | None = Query(
            None, description="600519, 600519.SH, SH600519, 1.600519 or a name"
        ),
        source: str | None = Query(None, description="source adapter name, e.g. eastmoney"),
        media: str | None = Query(None, description="media name contains (case-insensitive)"),
        since: Since = None,
        until: Until = None,
        text: str | None = Query(None, description="title or body contains (case-insensitive)"),
        importance: int | None = Query(None, ge=0, le=2, description="at least this importance"),
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        return article_page(
            stock=stock,
            source=source,
            media=media,
            since=since,
            until=until,
            text=text,
            importance=importance,
            limit=limit,
            cursor=cursor,
        )

    @app.get("/articles/{article_id}", summary="One stored article")
    def article(article_id: str) -> dict[str, Any]:
        found = store().get_article(article_id)
        if found is None:
            raise HTTPException(status_code=404, detail=f"no article {article_id!r}")
        return article_view(found)

    @app.get("/stocks/{code}/articles", summary="Articles mentioning a stock, newest first")
    def stock_articles(
        code: str,
        since: Since = None,
        until: Until = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        return article_page(stock=code, since=since, until=until, limit=limit, cursor=cursor)

    @app.get("/runs", summary="Recent crawl runs, most recent first")
    def runs(
        spider: str | None = None,
        since: str | None = Query(None, description=f"started at or after: {TIME}"),
        limit: Limit = DEFAULT_LIMIT,
    ) -> dict[str, Any]:
        query = bad_filter(lambda: filters.run_query(spider=spider, since=since, limit=limit))
        return {"runs": [run_view(run) for run in store().find_runs(query)]}

    @app.get("/failures", summary="Failure records, most recently seen first")
    def failures(
        since: str | None = Query(None, description=f"last seen at or after: {TIME}"),
        until: str | None = Query(None, description=f"last seen before: {TIME}"),
        stage: str | None = None,
        spider: str | None = None,
        text: str | None = Query(None, description="URL or reason contains"),
        retriable: bool | None = None,
        limit: int = Query(100, ge=1, le=filters.MAX_LIMIT),
    ) -> dict[str, Any]:
        query = bad_filter(
            lambda: filters.failure_query(
                since=since,
                until=until,
                stage=stage,
                spider=spider,
                text=text,
                retriable=retriable,
                limit=limit,
            )
        )
        return {"failures": [failure_view(f) for f in store().find_failures(query)]}

    @app.get("/healthz", summary="Whether the store answers")
    def healthz() -> dict[str, Any]:
        try:
            count = store().count_articles()
        except Exception as exc:
            raise HTTPException(status_code=503, detail=f"store unavailable: {exc}") from None
        return {"status": "ok", "store": store().uri_for_display, "articles": count}

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    def prometheus() -> PlainTextResponse:
        names = sources() if sources is not None else []
        return PlainTextResponse(
            metrics.render(store(), names), media_type="text/plain; version=0.0.4; charset=utf-8"
        )

    return app


def source_names() -> list[str]:
    """The sources articles can come from (each adapter's name)."""
    from finews_crawler.sources import all_adapters

    return [adapter.name for adapter in all_adapters()]
