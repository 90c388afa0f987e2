"""Account, positions, assets, quotes and clock through alpaca-py against the emulator."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from alpaca_testkit import broker

from console.domain.market import Asset
from console.emulator import AlpacaEmulator
from console.engine.ports import AccountInfo, Broker


def test_adapter_satisfies_the_broker_protocol(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        b = broker(emu)
        try:
            assert isinstance(b, Broker)
            assert (b.name, b.mode, b.rate_limit_per_minute) == ("alpaca", "PAPER", 200)
        finally:
            await b.close()

    asyncio.run(main())


def test_account_positions_quotes_assets_clock_are_exact(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        b = broker(emu)
        try:
            account = await b.get_account()
            assert account == AccountInfo("PA-EMU-0001", Decimal("10000.00"), Decimal("10000.00"))
            positions = await b.get_positions()
            assert positions == {
                "AAPL": Decimal("10"),
                "VTI": Decimal("3.25"),
                "BRK.A": Decimal("2"),
                "XOM": Decimal("110.537"),
            }
            assert str(positions["XOM"]) == "110.537"
            quotes = await b.get_quotes(["AAPL", "BRK.A", "ONEBID", "NOPE", "AAPL"])
            assert set(quotes) == {"AAPL", "BRK.A", "ONEBID"}
            assert quotes["AAPL"].bid == Decimal("189.90")
            assert quotes["AAPL"].ask == Decimal("190.10")
            assert quotes["BRK.A"].ask == Decimal("612500.50")
            assert quotes["AAPL"].mid() == Decimal("190.00")
            assert quotes["ONEBID"].bid == Decimal("10.25")
            assert quotes["ONEBID"].leg_price("buy") == Decimal("10.25")  # ask 0 -> the other side
            assets = await b.get_assets(["AAPL", "BRK.A", "XYZ", "NOPE"])
            assert assets == {
                "AAPL": Asset(symbol="AAPL", tradable=True, fractionable=True),
                "BRK.A": Asset(symbol="BRK.A", tradable=True, fractionable=False),
                "XYZ": Asset(symbol="XYZ", tradable=False, fractionable=True),
            }
            assert (await b.get_clock()).is_open is True
            counts = emu.requests_by_endpoint
            # One request for every quote; the asset list once, one look-up for the unknown.
            assert counts["GET /v2/stocks/quotes/latest"] == 1
            assert counts["GET /v2/assets"] == 1
            assert counts["GET /v2/assets/{symbol}"] == 1
            assert b.request_counts["total"] == sum(counts.values())
        finally:
            await b.close()

    asyncio.run(main())


def test_closed_market_is_reported() -> None:
    from alpaca_testkit import emulator

    emu = emulator(market_open=False)

    async def main() -> None:
        b = broker(emu)
        try:
            clock = await b.get_clock()
            assert clock.is_open is False
            assert clock.minutes_to_open() == 900  # the scenario's minutes_to_open
        finally:
            await b.close()

    try:
        asyncio.run(main())
    finally:
        emu.stop()
