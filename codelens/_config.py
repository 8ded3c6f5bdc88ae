"""Where codelens keeps its data and which services it talks to, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings"]


def _default_home() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("codelens", appauthor=False))


@dataclass(frozen=True, slots=True)
class Settings:
    """Read once per workspace; tests and users pass their own to isolate one."""

    home: Path
    database_url: str | None = None
    embedder: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        home = os.environ.get("CODELENS_HOME")
        return cls(
            home=Path(home).expanduser().resolve() if home else _default_home(),
            database_url=os.environ.get("CODELENS_DATABASE_URL") or None,
            embedder=os.environ.get("CODELENS_EMBEDDER") or None,
        )

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def snapshots(self) -> Path:
        return self.home / "snapshots"
