"""The `alpaca` broker (alpaca-py, imported lazily)."""

from __future__ import annotations

from console.brokers.alpaca.adapter import AlpacaBroker, create_alpaca_broker
from console.brokers.alpaca.config import AlpacaConfig, AlpacaOptions, load_config

__all__ = ["AlpacaBroker", "AlpacaConfig", "AlpacaOptions", "create_alpaca_broker", "load_config"]
