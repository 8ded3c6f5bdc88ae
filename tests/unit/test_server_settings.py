"""The embedded server's shared_buffers: a quarter of the machine's memory, 128MB to 1GB."""

from __future__ import annotations

import os

import pytest

from codelens._db.embedded import server_settings

_PAGE = 4096


def _memory(monkeypatch: pytest.MonkeyPatch, megabytes: int) -> None:
    # The one input that cannot vary on a test machine: how much memory it has.
    sizes = {"SC_PHYS_PAGES": megabytes * 2**20 // _PAGE, "SC_PAGE_SIZE": _PAGE}
    monkeypatch.setattr(os, "sysconf", lambda name: sizes[name])


@pytest.mark.parametrize(
    ("megabytes", "buffers"),
    [(256, "128MB"), (2048, "512MB"), (3000, "750MB"), (4096, "1024MB"), (65536, "1024MB")],
)
def test_a_quarter_of_the_memory_within_bounds(
    monkeypatch: pytest.MonkeyPatch, megabytes: int, buffers: str
) -> None:
    _memory(monkeypatch, megabytes)
    assert server_settings() == {"shared_buffers": buffers}


def test_memory_that_cannot_be_read_keeps_initdbs_value(monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown(name: str) -> int:
        raise ValueError(f"unrecognized configuration name {name!r}")

    monkeypatch.setattr(os, "sysconf", unknown)
    assert server_settings() == {"shared_buffers": "128MB"}
