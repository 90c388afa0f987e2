"""Fixtures for the Alpaca tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alpaca_testkit import emulator as start_emulator

from console.emulator import AlpacaEmulator


@pytest.fixture(autouse=True)
def _asset_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The day's asset cache lives in a fresh directory per test (never the user's)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def emu() -> Iterator[AlpacaEmulator]:
    """A started emulator on the test scenario."""
    emulator = start_emulator()
    try:
        yield emulator
    finally:
        emulator.stop()
