"""Scrapyd: `scrapyd-deploy` builds the project's egg and uploads it to a real Scrapyd on
loopback; `schedule.json` runs a crawl of the mock site into the store given by setting.

Scrapyd and scrapyd-client come with the `test` extra (`make venv`); nothing is installed here.
Every wait is bounded; Scrapyd is stopped at the end of the module.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from finews_crawler.storage import open_store

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
START_TIMEOUT = 60  # seconds for Scrapyd to answer daemonstatus.json
JOB_TIMEOUT = 180  # seconds for a scheduled crawl to finish
BUILD_TIMEOUT = 300  # seconds for scrapyd-deploy to build and upload the egg
ARTICLES = 5  # of the session mock site

pytestmark = pytest.mark.skipif(
    not (BIN / "scrapyd").exists() or not (BIN / "scrapyd-deploy").exists(),
    reason="scrapyd / scrapyd-client missing: run `make venv` (they are in the test extra)",
)


@dataclass
class Scrapyd:
    url: str
    home: Path  # Scrapyd's working directory
    egg: Path

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=10) as answer:
            return json.loads(answer.read())

    def schedule(self, spider: str, fields: list[tuple[str, str]]) -> str:
        body = urllib.parse.urlencode([("project", "finews_crawler"), ("spider", spider), *fields])
        request = urllib.request.Request(self.url + "schedule.json", data=body.encode())
        with urllib.request.urlopen(request, timeout=10) as answer:
            reply = json.loads(answer.read())
        assert reply["status"] == "ok", reply
        return reply["jobid"]

    def wait_finished(self, job: str) -> dict:
        deadline = time.monotonic() + JOB_TIMEOUT
        while time.monotonic() < deadline:
            jobs = self.get("listjobs.json?project=finews_crawler")
            done = [entry for entry in jobs["finished"] if entry["id"] == job]
            if done:
                return done[0]
            time.sleep(0.5)
        raise AssertionError(f"job {job} not finished within {JOB_TIMEOUT}s: {jobs}")

    def job_log(self, spider: str, job: str) -> str:
        return (self.home / "logs" / "finews_crawler" / spider / f"{job}.log").read_text("utf-8")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without FINEWS_* (no store given by accident), plus `extra`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FINEWS_")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    """A Scrapyd on a free loopback port in a temporary folder (no scrapy.cfg there), with the
    project deployed by `scrapyd-deploy` (egg built first with --build-egg, then uploaded)."""
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\neggs_dir = eggs\nlogs_dir = logs\nitems_dir =\ndbs_dir = dbs\n"
        "max_proc = 1\npoll_interval = 0.5\n",
        encoding="utf-8",
    )
    log = (home / "scrapyd.out").open("wb")
    server = subprocess.Popen(
        [str(BIN / "scrapyd"), "--nodaemon", "--pidfile="],
        cwd=home,
        env=clean_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(url + "daemonstatus.json", timeout=2) as answer:
                    assert json.loads(answer.read())["status"] == "ok"
                break
            except OSError:
                assert server.poll() is None, (home / "scrapyd.out").read_text()
                assert time.monotonic() < deadline, "scrapyd did not answer in time"
                time.sleep(0.3)
        # The deploy target comes from the user-level scrapy.cfg ($XDG_CONFIG_HOME), so the
        # project's own scrapy.cfg stays as shipped.
        config_home = home / "xdg"
        config_home.mkdir()
        (config_home / "scrapy.cfg").write_text(
            f"[deploy:test]\nurl = {url}\nproject = finews_crawler\n", encoding="utf-8"
        )
        env = clean_env(XDG_CONFIG_HOME=str(config_home))
        egg = home / "finews_crawler.egg"
        for args in (["--build-egg", str(egg)], ["test", "--egg", str(egg)]):
            done = subprocess.run(
                [str(BIN / "scrapyd-deploy"), *args],
                cwd=PROJECT,
                env=env,
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT,
                check=False,
            )
            assert done.returncode == 0, done.stdout + done.stderr
        assert '"status": "ok"' in done.stdout, done.stdout + done.stderr
        yield Scrapyd(url, home, egg)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
        log.close()


def test_the_egg_names_its_settings_and_carries_only_the_product(scrapyd: Scrapyd) -> None:
    """The `scrapy` entry point Scrapyd reads (`settings = finews_crawler.settings`), and the
    product packages only (mocksite/ and bench/ are development packages)."""
    with zipfile.ZipFile(scrapyd.egg) as egg:
        names = egg.namelist()
        entry_points = egg.read("EGG-INFO/entry_points.txt").decode()
    assert "[scrapy]\nsettings = finews_crawler.settings" in entry_points
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"EGG-INFO", "finews_crawler", "pipelines"}


def test_scrapyd_imports_the_deployed_egg(scrapyd: Scrapyd) -> None:
    """A job runs the egg's code, not another copy that the environment can import: Scrapyd's
    own egg activation, then the imports, in a fresh interpreter."""
    probe = (
        "import sys, os; from scrapyd.runner import activate_egg; activate_egg(sys.argv[1]);"
        " import finews_crawler.settings, pipelines;"
        " print(finews_crawler.settings.__file__); print(pipelines.__file__);"
        " print(os.environ['SCRAPY_SETTINGS_MODULE'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(scrapyd.egg)],
        cwd=scrapyd.home,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    settings_file, pipelines_file, settings_module = done.stdout.split()
    assert settings_file.startswith(str(scrapyd.egg)), settings_file
    assert pipelines_file.startswith(str(scrapyd.egg)), pipelines_file
    assert settings_module == "finews_crawler.settings"


def test_an_installed_pipelines_package_shadows_the_eggs(scrapyd: Scrapyd, tmp_path: Path) -> None:
    """What the README warns about: Scrapyd appends the egg to sys.path, so a top-level
    `pipelines` already importable in Scrapyd's environment wins over the egg's."""
    shadow = tmp_path / "site"
    (shadow / "pipelines").mkdir(parents=True)
    (shadow / "pipelines" / "__init__.py").write_text("", encoding="utf-8")
    probe = (
        "import sys; from scrapyd.runner import activate_egg; activate_egg(sys.argv[1]);"
        " import pipelines; print(pipelines.__file__)"
    )
    path = os.pathsep.join(filter(None, [str(shadow), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [sys.executable, "-c", probe, str(scrapyd.egg)],
        cwd=scrapyd.home,
        env=clean_env(PYTHONPATH=path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(shadow)), done.stdout


def test_schedule_json_crawls_into_the_store_given_by_setting(
    scrapyd: Scrapyd, mock_site, tmp_path: Path
) -> None:
    """schedule.json with `setting=FINEWS_STORE=...` and the spider's arguments: every
    article reaches that store, as the mock site's ground truth has it; nothing is written in
    Scrapyd's working directory."""
    store_uri = f"sqlite:///{tmp_path / 'scrapyd.sqlite3'}"
    ids = [mock_site.corpus.article_id(i) for i in range(ARTICLES)]
    job = scrapyd.schedule(
        "newsshare",
        [
            ("setting", f"FINEWS_STORE={store_uri}"),
            ("setting", f"FINEWS_SHARE_BASE={mock_site.base_url}"),
            ("info_codes", ",".join(f"NW{article_id}" for article_id in ids)),
        ],
    )
    scrapyd.wait_finished(job)
    log = scrapyd.job_log("newsshare", job)
    assert "Traceback" not in log, log[-3000:]
    truth = {entry["id"]: entry for entry in mock_site.get_json(f"/_truth?limit={ARTICLES}")}
    with open_store(store_uri) as store:
        stored = {article["_id"]: article for article in store.iter_articles()}
    assert set(stored) == set(ids) == set(truth)
    assert {i: stored[i]["title"] for i in ids} == {i: truth[i]["title"] for i in ids}
    assert not (scrapyd.home / "data").exists()


def test_a_job_without_a_store_is_refused_in_its_log(scrapyd: Scrapyd, mock_site) -> None:
    """No FINEWS_STORE and no project around Scrapyd's working directory: the job refuses in
    one log line instead of creating a store in Scrapyd's folder."""
    job = scrapyd.schedule(
        "newsshare",
        [
            ("setting", f"FINEWS_SHARE_BASE={mock_site.base_url}"),
            ("info_codes", f"NW{mock_site.corpus.article_id(0)}"),
        ],
    )
    scrapyd.wait_finished(job)
    log = scrapyd.job_log("newsshare", job)
    assert "no store given and no project found" in log, log[-3000:]
    assert "Traceback" not in log
    assert not (scrapyd.home / "data").exists()
