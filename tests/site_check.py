"""`make site-check`: export a sample site, build it with Jekyll, render it in headless Chromium.

    python -m tests.site_check [--out docs/screenshots] [--articles 60]

The sample comes from the mock site's generator (its text-API pages through the pipelines into
a SQLite file), so the screenshots show what a crawl stores. Writes `index.png` (the first
index page) and `post.png` (the newest post with two or more stocks) for the README. The
tests use the same helpers (tests/test_jekyll_build.py, tests/test_site_screenshot.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BUILD_TIMEOUT = 300
SHOT_TIMEOUT = 120
WINDOW = (1280, 1500)
# Nothing Chromium does on its own (updates, sync, safe browsing) leaves the machine.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # runs as root in containers; the page is our own static file
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--dns-prefetch-disable",
    # Pages are opened from disk; their images and links point at the sources' hosts. No name
    # is resolved and every request goes to a closed loopback port, so nothing is fetched.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
]
NOISE = ("warn", "error", "deprecat", "liquid")
# Chromium probes the network by itself (a socket connected to a public resolver to learn
# whether IPv6 is routable), whatever the flags; so it runs in a network namespace of its
# own, where no interface exists to send anything through.
OFFLINE_PREFIXES = (["unshare", "--net"], ["unshare", "--user", "--map-root-user", "--net"])


class SiteCheckError(RuntimeError):
    """The site did not build cleanly, or Chromium wrote no screenshot."""


def mock_page(info_code: str, data: dict[str, Any]) -> dict[str, Any]:
    """A fetched text-API page, as the spiders hand it to the pipelines (the site check's
    articles and tests/test_export.py's)."""
    url = f"http://127.0.0.1:9/NewsData/GetNewsText.do?id={info_code}"
    return {
        "url": url,
        "final_url": url,
        "status": 200,
        "text": json.dumps(data, ensure_ascii=False),
        "content_type": "application/json; charset=utf-8",
        "error": None,
        "context": {},
        "spider": "site-check",
        "fetched_at": datetime.now(UTC),
    }


def sample_store(path: Path, articles: int, seed: int = 7) -> str:
    """A SQLite store holding the mock generator's first `articles` articles."""
    from finews_crawler.storage import open_store
    from mocksite import MockCorpus
    from mocksite.render import text_api
    from pipelines.chain import ingest_pages

    corpus = MockCorpus(seed, articles)
    pages = [
        mock_page(corpus.article(i).info_code, text_api(corpus.article(i))) for i in range(articles)
    ]
    uri = f"sqlite:///{path}"
    with open_store(uri) as store:
        results = ingest_pages(pages, store)
    failed = [r.failure for r in results if r.status != "new"]
    if failed:
        raise SiteCheckError(f"sample store: {len(failed)} page(s) not stored: {failed[:3]}")
    return uri


def jekyll_build(site: Path, jekyll: str = "jekyll") -> str:
    """`jekyll build` of site into site/_site; its output, which must hold no warning."""
    build = subprocess.run(
        [jekyll, "build", "--source", str(site), "--destination", str(site / "_site")],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        cwd=site.parent,
    )
    output = build.stdout + build.stderr
    if build.returncode != 0:
        raise SiteCheckError(f"jekyll build failed ({build.returncode}):\n{output[-3000:]}")
    noisy = [line for line in output.splitlines() if any(w in line.lower() for w in NOISE)]
    if noisy:
        raise SiteCheckError("jekyll build warned:\n" + "\n".join(noisy[:20]))
    return output


def offline_prefix() -> list[str] | None:
    """`unshare` arguments that run a command without network, None when none work here."""
    if not shutil.which("unshare"):
        return None
    for prefix in OFFLINE_PREFIXES:
        probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return prefix
    return None


def screenshot(chromium: str, page: Path, out: Path, window: tuple[int, int] = WINDOW) -> Path:
    """Render a built page from disk (file://) in headless Chromium, offline, into a PNG."""
    offline = offline_prefix()
    if offline is None:
        raise SiteCheckError("cannot run Chromium without network: `unshare --net` fails here")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="finews-chromium-") as profile:
        run = subprocess.run(
            [
                *offline,
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={window[0]},{window[1]}",
                f"--screenshot={out}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=SHOT_TIMEOUT,
        )
    if run.returncode != 0 or not out.is_file():
        raise SiteCheckError(f"chromium wrote no {out.name}: {run.stderr[-2000:]}")
    return out


def post_with_stocks(built: Path, store_uri: str, minimum: int = 2) -> Path:
    """The built page of the newest article naming at least `minimum` stocks."""
    from finews_crawler.exporters.jekyll import local_time, media_labels
    from finews_crawler.storage import open_store

    with open_store(store_uri) as store:
        articles = sorted(store.iter_articles(), key=lambda a: a["published_at"], reverse=True)
    for article in articles:
        if len(article.get("stocks") or []) >= minimum:
            slug, _, _ = media_labels(article)
            day = local_time(article["published_at"])
            return built / slug / f"{day:%Y/%m/%d}" / f"{article['_id']}.html"
    raise SiteCheckError(f"no sample article names {minimum} stocks")


def build_sample(workdir: Path, articles: int) -> tuple[str, Path]:
    """(store URI, built _site) of a sample export."""
    from finews_crawler.exporters.jekyll import export_jekyll
    from finews_crawler.storage import open_store

    uri = sample_store(workdir / "sample.sqlite3", articles)
    site = workdir / "site"
    with open_store(uri) as store:
        result = export_jekyll(store, site)
    if result.failed:
        raise SiteCheckError(f"export skipped {result.failed[:3]}")
    jekyll_build(site)
    return uri, site / "_site"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.site_check", description=__doc__)
    parser.add_argument("--out", default="docs/screenshots", help="where the PNGs go")
    parser.add_argument("--articles", type=int, default=60)
    args = parser.parse_args(argv)
    missing = [name for name in ("jekyll", "chromium") if not shutil.which(name)]
    if missing:
        print(f"site-check: {' and '.join(missing)} missing (run `make system-deps` as root)")
        return 2
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="finews-site-check-") as workdir:
        try:
            uri, built = build_sample(Path(workdir), args.articles)
            chromium = str(shutil.which("chromium"))
            shots = [
                screenshot(chromium, built / "index.html", out / "index.png"),
                screenshot(chromium, post_with_stocks(built, uri), out / "post.png"),
            ]
        except (SiteCheckError, subprocess.TimeoutExpired) as exc:
            print(f"site-check: {exc}", file=sys.stderr)
            return 1
    for shot in shots:
        print(f"site-check: wrote {shot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
