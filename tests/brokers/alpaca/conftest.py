"""Fixtures for the Alpaca tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alpaca_testkit import emulator as start_emulator

from console.emulator import AlpacaEmulator


@pytest.fixture
def emu() -> Iterator[AlpacaEmulator]:
    """A started emulator on the test scenario."""
    emulator = start_emulator()
    try:
        yield emulator
    finally:
        emulator.stop()
