"""Shared helpers for the Alpaca adapter/emulator tests (alpaca-py itself, no mocks)."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from decimal import Decimal
from typing import Any

from console.brokers.alpaca import AlpacaBroker, AlpacaOptions, create_alpaca_broker
from console.brokers.sim.scenario import Scenario, parse_scenario
from console.domain.orders import OrderRequest, OrderSnapshot, OrderSpec, Side
from console.emulator import AlpacaEmulator

KEY_ID = "PKTESTKEYID0001"
SECRET = "zz-Distinctive-S3cret-7f1c2e9a-DO-NOT-LEAK"

BASE_SCENARIO: dict[str, Any] = {
    "account_id": "PA-EMU-0001",
    "cash": "10000.00",
    "buying_power": "10000.00",
    "positions": {"AAPL": "10", "VTI": "3.25", "BRK.A": "2", "XOM": "110.537"},
    "quotes": {
        "AAPL": {"bid": "189.90", "ask": "190.10"},
        "VTI": {"bid": "268.20", "ask": "268.40"},
        "BRK.A": {"bid": "612000.00", "ask": "612500.50"},
        "XOM": {"bid": "112.60", "ask": "112.70"},
        "ONEBID": {"bid": "10.25"},
        "REJ": {"bid": "5.00", "ask": "5.01"},
        "SLOW": {"bid": "20.00", "ask": "20.02"},
        "HALF": {"bid": "50.00", "ask": "50.10"},
    },
    "assets": {"BRK.A": {"fractionable": False}, "XYZ": {"tradable": False}},
    "market_open": True,
    "fills": {
        "latency_ms": 20,
        "partial": ["HALF"],
        "reject": ["REJ"],
        "never_fill": ["SLOW"],
    },
}

FAST = AlpacaOptions(
    request_timeout_s=1.0,
    stream_reconnect_min_s=0.05,
    stream_reconnect_max_s=0.2,
)


def scenario(**overrides: Any) -> Scenario:
    """The test scenario with top-level keys replaced."""
    doc = dict(BASE_SCENARIO)
    doc.update(overrides)
    return parse_scenario("test-scenario", json.dumps(doc).encode())


def emulator(**overrides: Any) -> AlpacaEmulator:
    """A started emulator requiring KEY_ID / SECRET."""
    emu = AlpacaEmulator(scenario(**overrides), key_id=KEY_ID, secret=SECRET)
    emu.start()
    return emu


def env_for(emu: AlpacaEmulator, secret: str = SECRET) -> dict[str, str]:
    """Environment pointing the adapter at the emulator."""
    return {
        "APCA_API_BASE_URL": emu.base_url + "/v2",
        "APCA_API_DATA_URL": emu.base_url,
        "APCA_API_KEY_ID": KEY_ID,
        "APCA_API_SECRET_KEY": secret,
    }


def broker(emu: AlpacaEmulator, options: AlpacaOptions = FAST, **env: str) -> AlpacaBroker:
    """An AlpacaBroker on the emulator (no keyring)."""
    merged = env_for(emu)
    merged.update(env)
    return create_alpaca_broker(env=merged, options=options, keyring_get=_no_keyring)


def _no_keyring(service: str, username: str) -> str | None:
    return None


def order(
    symbol: str,
    side: str,
    *,
    qty: str | None = None,
    notional: str | None = None,
    coid: str | None = None,
) -> OrderRequest:
    """An order request with a deterministic-looking client order id."""
    s = Side(side)
    return OrderRequest(
        client_order_id=coid or f"pc-0123456789ab-1-{s.letter}-{symbol}",
        symbol=symbol,
        side=s,
        spec=OrderSpec(
            qty=Decimal(qty) if qty is not None else None,
            notional=Decimal(notional) if notional is not None else None,
        ),
    )


class Collector:
    """Collects updates from one subscription in the background."""

    def __init__(self, updates: AsyncIterator[OrderSnapshot]) -> None:
        self.seen: dict[str, list[OrderSnapshot]] = defaultdict(list)
        self._changed = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(updates))

    async def _run(self, updates: AsyncIterator[OrderSnapshot]) -> None:
        async for update in updates:
            self.seen[update.client_order_id].append(update)
            self._changed.set()

    def final(self, coid: str) -> OrderSnapshot | None:
        """The last update of an order."""
        items = self.seen.get(coid)
        return items[-1] if items else None

    async def wait_terminal(self, coids: Iterable[str], within: float = 5.0) -> None:
        """Until every order has a terminal update."""
        wanted = set(coids)

        async def loop() -> None:
            while True:
                done = {c for c in wanted if (f := self.final(c)) and f.status.is_terminal}
                if done == wanted:
                    return
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), within)

    async def stop(self) -> None:
        """End the background task (after the broker closed)."""
        await asyncio.wait_for(self._task, 2)
