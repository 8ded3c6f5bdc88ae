"""Settings from the environment: a password in the database URL is never shown."""

from __future__ import annotations

import pytest

from codelens import Settings

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
