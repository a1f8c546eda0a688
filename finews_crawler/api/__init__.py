"""`finews serve`: a read-only HTTP JSON API over the store (FastAPI, optional extra `serve`).

app.py builds the application (routes, OpenAPI at /docs); metrics.py writes /metrics in the
Prometheus text format; stores.py hands each request thread a store.
"""
