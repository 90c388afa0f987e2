"""Each failure mode of DESIGN §7 / issue 4 against the emulator, through alpaca-py."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
from alpaca_testkit import FAST, Collector, broker, order

from console.domain.orders import OrderStatus
from console.emulator import AlpacaEmulator
from console.engine.ports import (
    BrokerTimeoutError,
    BrokerUnavailableError,
    RateLimitedError,
)


def _orders(emu: AlpacaEmulator) -> int:
    with emu.lock:
        return len(emu.exchange.orders())


def test_429_burst_backs_off_and_places_once(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        b = broker(emu)
        try:
            await b.get_account()
            emu.set_faults(rate_limit_burst=3, rate_limit_retry_after_s=0.05)
            started = time.monotonic()
            placed = await b.submit_order(order("AAPL", "buy", notional="100.00"))
            assert time.monotonic() - started >= 0.15  # waited Retry-After three times
            assert placed.status is OrderStatus.ACCEPTED
            assert emu.requests_by_endpoint["POST /v2/orders"] == 4
            assert _orders(emu) == 1
        finally:
            await b.close()

    asyncio.run(main())


def test_429_that_persists_raises_rate_limited(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        options = dataclasses.replace(FAST, rate_limit_retries=2)
        b = broker(emu, options)
        try:
            emu.set_faults(rate_limit_burst=10, rate_limit_retry_after_s=0.01)
            with pytest.raises(RateLimitedError) as info:
                await b.get_account()
            assert info.value.retry_after == pytest.approx(0.01)
            assert emu.requests_by_endpoint["GET /v2/account"] == 3
        finally:
            await b.close()

    asyncio.run(main())


def test_emulator_enforces_200_a_minute_and_the_adapter_stays_under_it() -> None:
    from alpaca_testkit import emulator

    emu = emulator(rate_limit_per_minute=5)

    async def main() -> None:
        options = dataclasses.replace(FAST, rate_limit_per_minute=5, rate_limit_margin=0)
        b = broker(emu, options)
        try:
            for _ in range(5):
                await b.is_market_open()
            # The 6th request would be the 6th in a minute: the adapter's own window holds it.
            task = asyncio.ensure_future(b.is_market_open())
            await asyncio.sleep(0.3)
            assert not task.done()
            assert emu.requests_by_endpoint["GET /v2/clock"] == 5
        finally:
            await b.close()
        with pytest.raises(BrokerUnavailableError):
            await task

    try:
        asyncio.run(main())
    finally:
        emu.stop()


def test_5xx_html_on_get_is_retried_then_reported(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        b = broker(emu)
        try:
            emu.set_faults(server_errors=2, server_error_methods="GET", server_error_status=503)
            account = await b.get_account()  # two 503s, then the answer
            assert account.account_id == "PA-EMU-0001"
            emu.set_faults(server_errors=10, server_error_status=502)
            with pytest.raises(BrokerUnavailableError, match="HTTP 502") as info:
                await b.get_positions()
            assert "<html>" not in str(info.value)
        finally:
            await b.close()

    asyncio.run(main())


def test_5xx_on_submit_is_unknown_and_resolved_by_lookup(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        b = broker(emu)
        try:
            emu.set_faults(server_errors=1, server_error_methods="POST")
            request = order("AAPL", "buy", notional="100.00")
            with pytest.raises(BrokerUnavailableError):
                await b.submit_order(request)
            assert emu.requests_by_endpoint["POST /v2/orders"] == 1  # never retried blindly
            assert await b.get_order_by_client_id(request.client_order_id) is None
            placed = await b.submit_order(request)  # the engine resubmits after the lookup
            assert placed.client_order_id == request.client_order_id
            assert _orders(emu) == 1
        finally:
            await b.close()

    asyncio.run(main())


def test_submit_that_lands_but_times_out_is_found_by_lookup(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        options = dataclasses.replace(FAST, request_timeout_s=0.3)
        b = broker(emu, options)
        sub = Collector(b.updates())
        try:
            emu.set_faults(submit_timeouts=1, hang_s=1.0)
            request = order("AAPL", "buy", notional="100.00")
            with pytest.raises(BrokerTimeoutError):
                await b.submit_order(request)
            found = await b.get_order_by_client_id(request.client_order_id)
            assert found is not None
            await sub.wait_terminal([request.client_order_id])
            assert sub.final(request.client_order_id).status is OrderStatus.FILLED  # type: ignore[union-attr]
            assert _orders(emu) == 1
            assert emu.requests_by_endpoint["POST /v2/orders"] == 1
        finally:
            await b.close()
            await sub.stop()

    asyncio.run(main())


def test_stream_drop_reconnects_and_reconciles_so_no_update_is_lost() -> None:
    from alpaca_testkit import emulator

    emu = emulator(fills={"latency_ms": 150})

    async def main() -> None:
        options = dataclasses.replace(FAST, stream_reconnect_min_s=0.6, stream_reconnect_max_s=0.8)
        b = broker(emu, options)
        sub = Collector(b.updates())
        try:
            await b.get_account()
            request = order("AAPL", "buy", notional="100.00")
            await b.submit_order(request)
            assert emu.drop_stream() == 1  # the fill (150 ms) happens while disconnected
            await sub.wait_terminal([request.client_order_id], within=5)
            final = sub.final(request.client_order_id)
            assert final is not None
            assert final.status is OrderStatus.FILLED
            for _ in range(50):
                if b.stream_connects >= 2:
                    break
                await asyncio.sleep(0.05)
            assert b.stream_connects >= 2
            assert b.reconciles >= 1
            assert emu.requests_by_endpoint.get("GET /v2/orders", 0) >= 1
        finally:
            await b.close()
            await sub.stop()

    try:
        asyncio.run(main())
    finally:
        emu.stop()


def test_stream_silence_is_covered_by_rest_reconciliation(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        b = broker(emu)
        sub = Collector(b.updates())
        try:
            await b.get_account()
            emu.silence_stream(30)  # every stream message is lost from now on
            requests = [order(s, "buy", notional="25.00") for s in ("AAPL", "VTI", "XOM")]
            for request in requests:
                await b.submit_order(request)
            await sub.wait_terminal([r.client_order_id for r in requests], within=5)
            for request in requests:
                final = sub.final(request.client_order_id)
                assert final is not None
                assert final.status is OrderStatus.FILLED
                assert final.event == "fill"
            assert b.stream_connects == 1  # no reconnect was needed
            assert emu.requests_by_endpoint["GET /v2/orders"] <= 2
        finally:
            await b.close()
            await sub.stop()

    asyncio.run(main())


def test_a_hung_call_does_not_hang_close(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        options = dataclasses.replace(FAST, request_timeout_s=5.0)
        b = broker(emu, options)
        await b.get_account()
        emu.set_faults(submit_timeouts=1, hang_s=10.0)
        task = asyncio.ensure_future(b.submit_order(order("AAPL", "buy", notional="10.00")))
        await asyncio.sleep(0.3)
        assert not task.done()
        started = time.monotonic()
        await b.close()
        await b.close()  # idempotent
        assert time.monotonic() - started < 1.0
        with pytest.raises(BrokerUnavailableError, match="closed"):
            await task
        with pytest.raises(BrokerUnavailableError, match="closed"):
            await b.get_account()

    asyncio.run(main())
