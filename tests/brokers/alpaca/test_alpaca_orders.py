"""Order submission, what crosses the wire, stream updates, rejects, duplicates and cancels."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest
from alpaca_testkit import Collector, broker, order

from console.domain.orders import OrderStatus
from console.emulator import AlpacaEmulator
from console.engine.ports import DuplicateClientOrderIdError, OrderRejectedError


def _wire(emu: AlpacaEmulator) -> list[dict[str, object]]:
    return [json.loads(body) for body in emu.order_bodies]


def test_notional_and_qty_orders_cross_the_wire_exactly(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        b = broker(emu)
        sub = Collector(b.updates())
        try:
            buy = await b.submit_order(order("AAPL", "buy", notional="1234.57"))
            sell = await b.submit_order(order("XOM", "sell", qty="110.537"))
            whole = await b.submit_order(order("VTI", "sell", qty="0.123456789"))
            assert buy.notional == Decimal("1234.57")
            assert buy.qty is None
            assert sell.qty == Decimal("110.537")
            assert sell.notional is None
            assert buy.status is OrderStatus.ACCEPTED
            await sub.wait_terminal(
                [buy.client_order_id, sell.client_order_id, whole.client_order_id]
            )
            raw = emu.order_bodies
            assert '"notional": 1234.57' in raw[0]
            assert '"qty"' not in raw[0]
            assert '"qty": 110.537' in raw[1]
            assert '"qty": 0.123456789' in raw[2]
            first = _wire(emu)[0]
            assert first["type"] == "market"
            assert first["time_in_force"] == "day"
            assert first["client_order_id"] == "pc-0123456789ab-1-b-AAPL"
            fill = sub.final(buy.client_order_id)
            assert fill is not None
            assert fill.status is OrderStatus.FILLED
            assert fill.event == "fill"
            assert fill.filled_avg_price == Decimal("190.10")
            assert fill.filled_qty == Decimal("6.494318779")  # 1234.57 / 190.10 down to 9 dp
            events = [u.event for u in sub.seen[sell.client_order_id]]
            assert events == ["new", "fill"]
            positions = await b.get_positions()
            assert "XOM" not in positions
            assert positions["AAPL"] == Decimal("16.494318779")
        finally:
            await b.close()
            await sub.stop()

    asyncio.run(main())


@pytest.mark.parametrize(
    ("qty", "notional", "reason"),
    [
        (None, "10.005", "not rounded"),
        ("0.0000000001", None, "not rounded"),
        ("123456789.123456789", None, "cannot be sent exactly"),
        (None, "0", "positive"),
    ],
)
def test_amounts_a_float_would_change_are_refused_before_any_request(
    emu: AlpacaEmulator, qty: str | None, notional: str | None, reason: str
) -> None:
    async def main() -> None:
        b = broker(emu)
        try:
            with pytest.raises(OrderRejectedError, match=reason):
                await b.submit_order(order("AAPL", "buy", qty=qty, notional=notional))
            assert emu.requests_by_endpoint.get("POST /v2/orders", 0) == 0
        finally:
            await b.close()

    asyncio.run(main())


def test_reject_reasons_reach_the_operator(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        b = broker(emu)
        sub = Collector(b.updates())
        try:
            with pytest.raises(OrderRejectedError, match="insufficient buying power"):
                await b.submit_order(order("BRK.A", "buy", qty="1"))
            with pytest.raises(OrderRejectedError, match="not tradable"):
                await b.submit_order(order("XYZ", "buy", notional="10.00"))
            with pytest.raises(OrderRejectedError, match="insufficient qty"):
                await b.submit_order(order("AAPL", "sell", qty="11"))
            rejected = await b.submit_order(order("REJ", "buy", notional="10.00"))
            await sub.wait_terminal([rejected.client_order_id])
            final = sub.final(rejected.client_order_id)
            assert final is not None
            assert final.status is OrderStatus.REJECTED
            assert final.reason == "rejected by scenario"
        finally:
            await b.close()
            await sub.stop()

    asyncio.run(main())


def test_duplicate_client_order_id_means_the_order_exists(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        b = broker(emu)
        try:
            request = order("AAPL", "buy", notional="100.00")
            first = await b.submit_order(request)
            with pytest.raises(DuplicateClientOrderIdError, match="client_order_id must be unique"):
                await b.submit_order(request)
            found = await b.get_order_by_client_id(request.client_order_id)
            assert found is not None
            assert found.broker_order_id == first.broker_order_id
            assert await b.get_order_by_client_id("pc-0123456789ab-1-b-NONE") is None
            with emu.lock:
                assert len(emu.exchange.orders()) == 1
        finally:
            await b.close()

    asyncio.run(main())


def test_cancel_open_order_and_terminal_order(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        b = broker(emu)
        sub = Collector(b.updates())
        try:
            slow = await b.submit_order(order("SLOW", "buy", notional="50.00"))
            done = await b.submit_order(order("AAPL", "buy", notional="50.00"))
            await sub.wait_terminal([done.client_order_id])
            await b.cancel_order(slow.broker_order_id)
            await b.cancel_order(done.broker_order_id)  # already filled: not an error
            await b.cancel_order("00000000-0000-0000-0000-000000000000")  # unknown: not an error
            await sub.wait_terminal([slow.client_order_id])
            final = sub.final(slow.client_order_id)
            assert final is not None
            assert final.status is OrderStatus.CANCELED
        finally:
            await b.close()
            await sub.stop()

    asyncio.run(main())


def test_partial_fill_then_cancel_like_alpaca(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        b = broker(emu)
        sub = Collector(b.updates())
        try:
            half = await b.submit_order(order("HALF", "buy", notional="100.01"))
            await sub.wait_terminal([half.client_order_id])
            updates = sub.seen[half.client_order_id]
            assert [u.status for u in updates] == [
                OrderStatus.ACCEPTED,
                OrderStatus.PARTIALLY_FILLED,
                OrderStatus.CANCELED,
            ]
            assert updates[-1].filled_qty == Decimal("0.998003992")  # 50.00 / 50.10, 9 dp
        finally:
            await b.close()
            await sub.stop()

    asyncio.run(main())
