"""Settings from the environment: a password in the database URL is never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from codelens import Settings, Workspace
from codelens.errors import ConfigError, DatabaseError

SECRET = "s3cretpw"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://u:{SECRET}@host/db",
        f"postgresql://u@host/db?sslmode=disable&password={SECRET}",
        f"host=db.example user=u password={SECRET} dbname=db",
        f"host=db.example password = '{SECRET} with space' dbname=db",
    ],
)
def test_a_password_in_the_database_url_is_in_no_repr_but_still_used(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODELENS_DATABASE_URL", url)
    settings = Settings.from_env()
    assert settings.database_url == url  # the connection still gets it
    for shown in (repr(settings), str(settings)):
        assert SECRET not in shown
        assert "***" in shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql://alice:{SECRET}@db.example:5432/codelens", "postgresql://alice@db.example:5432/codelens"),
        (f"postgresql://alice@db.example/codelens?password={SECRET}&sslmode=verify-full", "postgresql://alice@db.example/codelens"),
        (f"host=db.example port=6432 user=alice password={SECRET} dbname=codelens", "postgresql://alice@db.example:6432/codelens"),
        ("service=codelens-team", "service=codelens-team"),
    ],
)  # fmt: skip
def test_a_workspace_names_its_server_as_user_host_port_and_database(
    url: str, shown: str, tmp_path: Path
) -> None:
    assert f"server {shown}," in repr(Workspace(Settings(home=tmp_path, database_url=url)))


# libpq refuses these before any connection is tried (psycopg.ProgrammingError, not the
# OperationalError of a server that cannot be reached).
UNPARSABLE = [
    f"postgresql://u:{SECRET}@127.0.0.1:1/db?h=1",
    f"postgresql://u:{SECRET}@[::1/db",
    f"host=127.0.0.1 port=1 password={SECRET} dbname",
]


@pytest.mark.parametrize("url", UNPARSABLE)
def test_a_database_url_libpq_cannot_parse_is_one_line_naming_the_variable(
    url: str, tmp_path: Path
) -> None:
    workspace = Workspace(Settings(home=tmp_path, database_url=url))
    with pytest.raises(DatabaseError) as raised:
        workspace.ids()
    message = str(raised.value)
    assert "\n" not in message
    assert "check CODELENS_DATABASE_URL" in message
    assert SECRET not in message
    assert SECRET not in repr(workspace) and "***" in repr(workspace)


def test_the_drivers_warnings_stay_off_stderr_unless_asked_for() -> None:
    """psycopg warns of a pipeline it could not end on a lost connection, psycopg_pool of
    each connection it discards: with no logging configured Python's last-resort handler
    would print them before codelens's one line."""
    import subprocess
    import sys

    script = (
        "import logging, codelens\n"
        "for name in ('psycopg', 'psycopg.pool'):\n"
        "    logging.getLogger(name).warning('error ignored terminating <Pipeline [BAD]>')\n"
        "logging.getLogger('psycopg').setLevel(logging.WARNING)\n"
        "logging.getLogger('psycopg').warning('asked for')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stderr.splitlines() == ["asked for"]


def test_a_home_given_as_text_or_with_a_tilde_is_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Settings(home="/data/codelens") is what a notebook user types.
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Settings(home=str(tmp_path / "h")).pgdata == tmp_path / "h" / "pgdata"  # type: ignore[arg-type]
    assert Settings(home="~/cl").home == tmp_path / "cl"  # type: ignore[arg-type]


def test_a_home_that_is_no_path_is_one_line_naming_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"home must be a folder .*Settings\(home="):
        Settings(home=42)  # type: ignore[arg-type]
