"""The broker registry: each broker name maps to its factory and its traits.

The command line and the console read this table and nothing else about brokers; adding a broker
touches this file and the broker's own package. Factories import their package lazily (alpaca-py
pulls pandas: start-up on the sim must not pay for it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from console.domain.config import Settings
from console.domain.errors import InputError
from console.engine.ports import Broker


@dataclass(frozen=True)
class BrokerOptions:
    """What a factory may need: the sim's scenario and state file, Alpaca's live opt-in."""

    scenario: str | None = None
    state_path: str | None = None
    live: bool = False
    request_timeout_s: float = 10.0


@dataclass(frozen=True)
class BrokerSpec:
    """A broker's factory and traits."""

    name: str
    summary: str
    package: str  # imported by `create`; the console imports it off the GUI thread first
    create: Callable[[BrokerOptions], Broker]
    # The gateway's outer timeout is request_timeout_s x this (room for the adapter's own I/O).
    timeout_factor: float
    # The broker refuses notional orders below this: a smaller min_notional is a config error.
    min_notional_floor: Decimal
    # Whether the sim scenario applies (its --scenario defaults to the bundled demo).
    uses_scenario: bool
    # Whether the console creates it after the window is shown (its SDK is slow to import).
    create_after_window: bool

    def check_settings(self, settings: Settings, source: str = "config") -> None:
        """Refuse settings this broker cannot honour (InputError naming the key)."""
        if settings.min_notional < self.min_notional_floor:
            raise InputError.single(
                source,
                "min_notional",
                f"{self.name} refuses orders below ${self.min_notional_floor}: use at least "
                f"{self.min_notional_floor}, got {settings.min_notional}",
            )


def _create_sim(options: BrokerOptions) -> Broker:
    from console.brokers.sim import create_sim_broker

    return create_sim_broker(options.scenario, state_path=options.state_path)


def _create_alpaca(options: BrokerOptions) -> Broker:
    from console.brokers.alpaca import AlpacaOptions, create_alpaca_broker

    return create_alpaca_broker(
        live=options.live, options=AlpacaOptions(request_timeout_s=options.request_timeout_s)
    )


BROKERS: dict[str, BrokerSpec] = {
    "sim": BrokerSpec(
        name="sim",
        summary="the embedded simulated broker (scenario-driven, deterministic)",
        package="console.brokers.sim",
        create=_create_sim,
        timeout_factor=1.0,
        min_notional_floor=Decimal(0),
        uses_scenario=True,
        create_after_window=False,
    ),
    "alpaca": BrokerSpec(
        name="alpaca",
        summary="Alpaca (paper unless --live), credentials from the environment or the keyring",
        package="console.brokers.alpaca",
        create=_create_alpaca,
        timeout_factor=2.0,
        min_notional_floor=Decimal("1.00"),
        uses_scenario=False,
        create_after_window=True,
    ),
}


def broker_spec(name: str) -> BrokerSpec:
    """The spec of a registered broker (KeyError names the known ones)."""
    try:
        return BROKERS[name]
    except KeyError:
        raise KeyError(f"unknown broker {name!r} (known: {', '.join(BROKERS)})") from None
