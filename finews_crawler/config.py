"""The one configuration object: Scrapy settings, the environment and the command line,
resolved once (`Config.resolve`) and passed down.

This module is the only reader of the process environment. settings.py reads FINEWS_*
variables through `env_str`/`env_int`/`env_float`/`env_flag` so Scrapy sees them; the command
line resolves a `Config` once and hands it to every command (the store goes to a crawl as a
Scrapy setting, never by writing the environment).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finews_crawler import SETTINGS_MODULE
from finews_crawler.flags import flag

# The default store lives in the project's data folder: <project>/data/finews.sqlite3, where
# the project is $FINEWS_HOME, else the nearest folder holding scrapy.cfg from the current
# directory upward. Never the current directory by accident.
PROJECT_FILE = "scrapy.cfg"
STORE_FILE = Path("data") / "finews.sqlite3"
NO_STORE = (
    "no store given and no project found: give --store URI or set FINEWS_STORE, set"
    " FINEWS_HOME to a folder for the default store (FINEWS_HOME/data/finews.sqlite3), or run"
    " inside a project folder (one holding scrapy.cfg, or below it)"
)


def environment() -> Mapping[str, str]:
    """The process environment, read-only (children get a copy of it)."""
    return os.environ


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def env_flag(name: str, default: bool = False) -> bool:
    return flag(os.environ.get(name), default)


def project_home(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path | None:
    """The folder the default store belongs to: $FINEWS_HOME, else the nearest folder holding
    scrapy.cfg from `cwd` upward, else None (no default store)."""
    env = os.environ if env is None else env
    if env.get("FINEWS_HOME"):
        return Path(env["FINEWS_HOME"]).expanduser().resolve()
    here = (cwd or Path.cwd()).resolve()
    return next(
        (folder for folder in (here, *here.parents) if (folder / PROJECT_FILE).is_file()), None
    )


def default_store_uri(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    """sqlite:////<project>/data/finews.sqlite3, or "" when there is no project (see
    NO_STORE: opening the store then fails with that one line)."""
    home = project_home(env, cwd)
    return f"sqlite:///{home / STORE_FILE}" if home else ""


def checking_contracts() -> bool:
    """True inside `scrapy check` (it sets SCRAPY_CHECK): spiders then start without input,
    their contracts make the requests."""
    return bool(os.environ.get("SCRAPY_CHECK"))


def default_spool_dir(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    """The MongoDB outage spool's folder: data/spool in the project (as the default store),
    else ~/.local/state/finews/spool; never the current directory by accident."""
    home = project_home(env, cwd)
    if home is not None:
        return str(home / "data" / "spool")
    return str(Path.home() / ".local" / "state" / "finews" / "spool")


def project_settings() -> Any:
    """This project's Scrapy settings (scrapy.cfg not needed: SETTINGS_MODULE names them)."""
    from scrapy.utils.project import get_project_settings

    # Scrapy's own lookup (also by scrapy.cmdline.execute) goes through this variable.
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    return get_project_settings()


@dataclass(frozen=True)
class Config:
    """What the commands need to know, each value from the first of: the command line, Scrapy
    settings (`-s`), the environment, the default."""

    store_uri: str = ""  # "": no store given and no project (opening it says NO_STORE)
    store_given: bool = False  # named on the command line (--store), not a default
    spool: str = ""  # FINEWS_SPOOL: on/off/auto (storage/spool.py)
    spool_dir: str = ""  # "": default_spool_dir()
    share_base: str = ""  # FINEWS_SHARE_BASE; empty: the source adapter's default host
    push2_base: str = ""  # FINEWS_EM_PUSH2_BASE: East Money's security list API host
    fetch_allow_private: bool = False  # one-off fetches refuse private addresses by default
    log_level: str = "INFO"
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def resolve(
        cls,
        *,
        store: str | None = None,
        settings: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Config:
        env = dict(os.environ if env is None else env)
        settings = settings or {}

        def pick(name: str, default: str) -> str:
            return str(settings.get(name) or env.get(name) or default)

        return cls(
            store_uri=store or pick("FINEWS_STORE", "") or default_store_uri(env),
            store_given=bool(store),
            spool=pick("FINEWS_SPOOL", ""),
            spool_dir=pick("FINEWS_SPOOL_DIR", "") or default_spool_dir(env),
            share_base=pick("FINEWS_SHARE_BASE", ""),
            push2_base=pick("FINEWS_EM_PUSH2_BASE", ""),
            fetch_allow_private=flag(env.get("FINEWS_ALLOW_PRIVATE"), False),
            log_level=pick("FINEWS_LOG_LEVEL", "INFO"),
            env=env,
        )

    def scrapy_settings(self) -> Any:
        """The project's Scrapy settings with what the command line said (the store)."""
        settings = project_settings()
        if self.store_given:
            settings.set("FINEWS_STORE", self.store_uri, priority="cmdline")
        return settings


@dataclass(frozen=True)
class PushConfig:
    """Where `finews push` and a crawl's push hook publish (README "Push"): each value from
    the first of the command line, Scrapy settings (`-s`), the environment, the default."""

    redis: str = ""  # FINEWS_PUSH_REDIS: redis://host:port/db
    stream: str = "finews:articles"  # FINEWS_PUSH_STREAM
    webhook: str = ""  # FINEWS_PUSH_WEBHOOK: http(s) URL
    secret: str = field(default="", repr=False)  # FINEWS_PUSH_SECRET: HMAC key of the webhook
    max_attempts: int = 5  # FINEWS_PUSH_MAX_ATTEMPTS: tries before a dead-letter record
    backoff: float = 0.5  # FINEWS_PUSH_BACKOFF: seconds before the 2nd try, doubling
    backoff_max: float = 30.0
    grace: float = 60.0  # FINEWS_PUSH_GRACE: how long a hole/unstored entry is waited for
    interval: float = 1.0  # FINEWS_PUSH_INTERVAL: seconds between drains during a crawl

    @property
    def configured(self) -> bool:
        return bool(self.redis or self.webhook)

    @classmethod
    def resolve(
        cls,
        *,
        settings: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        **given: Any,
    ) -> PushConfig:
        env = os.environ if env is None else env
        settings = settings or {}
        defaults = cls()

        def pick(attr: str) -> Any:
            name = f"FINEWS_PUSH_{attr.upper()}"
            if given.get(attr) not in (None, ""):
                return given[attr]
            value = settings.get(name) or env.get(name)
            if value in (None, ""):
                return getattr(defaults, attr)
            return type(getattr(defaults, attr))(value)

        return cls(**{attr: pick(attr) for attr in cls.__dataclass_fields__})
