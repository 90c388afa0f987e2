"""The loopback Alpaca emulator (REST + trade_updates on 127.0.0.1 over the sim Exchange).

Production code never imports it (an import-linter contract): only the command line starts it,
and tests use it.
"""

from __future__ import annotations

from console.emulator.server import AlpacaEmulator, serve
from console.emulator.state import Faults

__all__ = ["AlpacaEmulator", "Faults", "serve"]
