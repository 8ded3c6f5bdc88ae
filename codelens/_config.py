"""Where codelens keeps its data and which services it talks to, from the environment."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path

from codelens.errors import ConfigError

__all__ = [
    "DEFAULT_OLLAMA_HOST",
    "DEFAULT_OLLAMA_QUERY_TIMEOUT",
    "DEFAULT_OLLAMA_RETRIES",
    "DEFAULT_OLLAMA_TIMEOUT",
    "ENV_EMBEDDER",
    "ENV_FIRST_PASS",
    "ENV_OLLAMA_HOST",
    "ENV_OLLAMA_QUERY_TIMEOUT",
    "ENV_OLLAMA_RETRIES",
    "ENV_OLLAMA_TIMEOUT",
    "ENV_READ_URL",
    "Settings",
    "ollama_host",
    "redact_password",
]

ENV_EMBEDDER = "CODELENS_EMBEDDER"
# "0" (or off, false, no): new projects get no first pass (README, "The first pass").
ENV_FIRST_PASS = "CODELENS_FIRST_PASS"
# A streaming replica of CODELENS_DATABASE_URL's server that searches, status and
# snapshots read from; writes, grants and migrations stay on the primary.
ENV_READ_URL = "CODELENS_DATABASE_READ_URL"
ENV_OLLAMA_HOST = "OLLAMA_HOST"  # Ollama's own variable, as its CLI reads it
DEFAULT_OLLAMA_HOST = "127.0.0.1:11434"
ENV_OLLAMA_TIMEOUT = "CODELENS_OLLAMA_TIMEOUT"
ENV_OLLAMA_QUERY_TIMEOUT = "CODELENS_OLLAMA_QUERY_TIMEOUT"
ENV_OLLAMA_RETRIES = "CODELENS_OLLAMA_RETRIES"
# A first request may wait for Ollama to load the model from disk: tens of seconds.
DEFAULT_OLLAMA_TIMEOUT = 120.0
# Someone is waiting for a search: better a quick error (and mode='lexical') than a hang.
DEFAULT_OLLAMA_QUERY_TIMEOUT = 10.0
DEFAULT_OLLAMA_RETRIES = 3


# Where a conninfo can carry a password: the URI's user info (scheme://user:password@),
# its query (?password=...) and the key=value form (password=..., quoted or not).
_URI_PASSWORD = re.compile(r"(\w[\w+.-]*://[^:/?#@\s]*:)[^@/?#\s]*@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#\s]*", re.IGNORECASE)
_KEYWORD_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s']\S*)")
HIDDEN = "***"


def redact_password(text: str) -> str:
    """``text`` with every password a database URL or conninfo in it carries shown as ***."""
    text = _URI_PASSWORD.sub(rf"\g<1>{HIDDEN}@", text)
    text = _QUERY_PASSWORD.sub(rf"\g<1>{HIDDEN}", text)
    return _KEYWORD_PASSWORD.sub(rf"\g<1>{HIDDEN}", text)


def _default_home() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("codelens", appauthor=False))


def _switch(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "on", "true", "yes"):
        return True
    if raw in ("0", "off", "false", "no"):
        return False
    raise ConfigError(f"{name}={raw!r} is neither on nor off: set {name}=1 or {name}=0")


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds above 0: set e.g. {name}=30")
    return value


def _count(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise ConfigError(f"{name}={raw!r} is not a whole number of 0 or more: set e.g. {name}=3")
    return int(raw)


# The settings whose values may carry a password.
_URLS = ("database_url", "database_read_url")


@dataclass(frozen=True, slots=True, repr=False)
class Settings:
    """Read once per workspace; tests and users pass their own to isolate one."""

    home: Path
    database_url: str | None = None
    embedder: str | None = None  # the model of new projects; None: the default rule
    ollama_host: str | None = None  # None: OLLAMA_HOST when used, else DEFAULT_OLLAMA_HOST
    ollama_timeout: float = DEFAULT_OLLAMA_TIMEOUT  # one embedding request while indexing
    ollama_query_timeout: float = DEFAULT_OLLAMA_QUERY_TIMEOUT  # a search's query, retries incl.
    ollama_retries: int = DEFAULT_OLLAMA_RETRIES  # after a transient failure
    database_read_url: str | None = None  # a read replica of database_url's server
    # New projects whose model is not inline get the static model's vectors first.
    first_pass: bool = True

    def __post_init__(self) -> None:
        home: object = self.home
        if isinstance(home, str | os.PathLike) and str(home).strip():
            # A notebook user types the folder as text, often with a tilde.
            object.__setattr__(self, "home", Path(home).expanduser())
        else:
            raise ConfigError(
                f"home must be a folder (a str or Path), not {home!r}:"
                " pass e.g. Settings(home='~/codelens')"
            )

    @classmethod
    def from_env(cls) -> Settings:
        home = os.environ.get("CODELENS_HOME")
        return cls(
            home=Path(home).expanduser().resolve() if home else _default_home(),
            database_url=os.environ.get("CODELENS_DATABASE_URL") or None,
            embedder=os.environ.get(ENV_EMBEDDER, "").strip() or None,
            ollama_timeout=_seconds(ENV_OLLAMA_TIMEOUT, DEFAULT_OLLAMA_TIMEOUT),
            ollama_query_timeout=_seconds(ENV_OLLAMA_QUERY_TIMEOUT, DEFAULT_OLLAMA_QUERY_TIMEOUT),
            ollama_retries=_count(ENV_OLLAMA_RETRIES, DEFAULT_OLLAMA_RETRIES),
            database_read_url=os.environ.get(ENV_READ_URL) or None,
            first_pass=_switch(ENV_FIRST_PASS, True),
        )

    def __repr__(self) -> str:
        # The connection gets the password; a notebook, a log or a traceback never does.
        shown = ", ".join(
            f"{f.name}={redact_password(value) if isinstance(value, str) else value!r}"
            if f.name in _URLS and value is not None
            else f"{f.name}={value!r}"
            for f in fields(self)
            for value in [getattr(self, f.name)]
        )
        return f"Settings({shown})"

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def snapshots(self) -> Path:
        return self.home / "snapshots"


def ollama_host(settings: Settings | None = None) -> str:
    """The Ollama server: the settings' own, else ``OLLAMA_HOST`` now (it may change while a
    workspace lives, as when a test or a notebook points it at another server)."""
    given = settings.ollama_host if settings is not None else None
    return given or os.environ.get(ENV_OLLAMA_HOST) or DEFAULT_OLLAMA_HOST
