"""Each failure mode of DESIGN §7 / issue 4 against the emulator, through alpaca-py."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

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


def test_429_is_reported_after_one_request_and_nothing_is_placed(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        b = broker(emu)
        try:
            await b.get_account()
            emu.set_faults(rate_limit_burst=1, rate_limit_retry_after_s=0.25)
            request = order("AAPL", "buy", notional="100.00")
            with pytest.raises(RateLimitedError) as info:
                await b.submit_order(request)
            assert info.value.retry_after == pytest.approx(0.25)
            # One request: the engine (not the adapter) waits and sends it again.
            assert emu.requests_by_endpoint["POST /v2/orders"] == 1
            assert _orders(emu) == 0
            placed = await b.submit_order(request)
            assert placed.status is OrderStatus.ACCEPTED
            assert _orders(emu) == 1
        finally:
            await b.close()

    asyncio.run(main())


def test_emulator_enforces_its_rolling_minute_and_the_adapter_does_not_pace() -> None:
    from alpaca_testkit import emulator

    emu = emulator(rate_limit_per_minute=5)

    async def main() -> None:
        b = broker(emu)
        try:
            for _ in range(5):
                await b.get_clock()
            # The adapter keeps no limiter of its own: the 6th request goes out and the
            # emulator's window (the sim's SlidingWindow) answers 429 with its Retry-After.
            with pytest.raises(RateLimitedError) as info:
                await b.get_clock()
            assert 0 < info.value.retry_after <= 60
            assert emu.requests_by_endpoint["GET /v2/clock"] == 6
        finally:
            await b.close()

    try:
        asyncio.run(main())
    finally:
        emu.stop()


def test_5xx_html_is_reported_once_without_retry(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        b = broker(emu)
        try:
            emu.set_faults(server_errors=1, server_error_methods="GET", server_error_status=503)
            with pytest.raises(BrokerUnavailableError, match="HTTP 503") as info:
                await b.get_account()
            assert "<html>" not in str(info.value)
            assert emu.requests_by_endpoint["GET /v2/account"] == 1
            account = await b.get_account()  # the engine's retry would get the answer
            assert account.account_id == "PA-EMU-0001"
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


def test_stream_drop_reconnects_and_one_list_request_finds_what_was_missed() -> None:
    from alpaca_testkit import emulator

    emu = emulator(fills={"latency_ms": 150})

    async def main() -> None:
        options = dataclasses.replace(FAST, stream_reconnect_min_s=0.6, stream_reconnect_max_s=0.8)
        b = broker(emu, options)
        sub = Collector(b.updates())
        try:
            await b.get_account()
            since = datetime.now(UTC) - timedelta(minutes=1)
            request = order("AAPL", "buy", notional="100.00")
            await b.submit_order(request)
            assert emu.drop_stream() == 1  # the fill (150 ms) happens while disconnected
            for _ in range(60):
                if b.stream_connects >= 2:
                    break
                await asyncio.sleep(0.05)
            assert b.stream_connects >= 2  # the transport reconnects with backoff
            await asyncio.sleep(0.2)
            # The adapter does no REST reconciliation of its own ...
            assert emu.requests_by_endpoint.get("GET /v2/orders", 0) == 0
            # ... the engine's pass is ONE list request, and it finds the fill.
            orders = await b.list_orders(open_only=False, after=since)
            assert emu.requests_by_endpoint["GET /v2/orders"] == 1
            found = {o.client_order_id: o for o in orders}
            assert found[request.client_order_id].status is OrderStatus.FILLED
        finally:
            await b.close()
            await sub.stop()

    try:
        asyncio.run(main())
    finally:
        emu.stop()


def test_stream_silence_is_left_to_the_engine_reconciliation(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        b = broker(emu)
        sub = Collector(b.updates())
        try:
            await b.get_account()
            since = datetime.now(UTC) - timedelta(minutes=1)
            emu.silence_stream(30)  # every stream message is lost from now on
            requests = [order(s, "buy", notional="25.00") for s in ("AAPL", "VTI", "XOM")]
            for request in requests:
                await b.submit_order(request)
            await asyncio.sleep(0.5)
            assert emu.requests_by_endpoint.get("GET /v2/orders", 0) == 0
            orders = {
                o.client_order_id: o for o in await b.list_orders(open_only=False, after=since)
            }
            assert emu.requests_by_endpoint["GET /v2/orders"] == 1
            for request in requests:
                assert orders[request.client_order_id].status is OrderStatus.FILLED
            assert b.stream_connects == 1  # no reconnect was needed
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


def _first_order_with(
    monkeypatch: pytest.MonkeyPatch, on_listen: Callable[[Any], bool]
) -> tuple[list[str | None], int, bool]:
    """The first order's events, connects and liveness; `on_listen` True: do not answer."""
    from alpaca_testkit import emulator

    from console.emulator.ws import WsSession

    original = WsSession._on_message

    def listen(self: WsSession, data: bytes) -> None:
        if b'"listen"' in data and on_listen(self):
            return
        original(self, data)

    monkeypatch.setattr(WsSession, "_on_message", listen)
    emu = emulator()

    async def main() -> tuple[list[str | None], int, bool]:
        b = broker(emu)
        sub = Collector(b.updates())
        try:
            request = order("AAPL", "buy", notional="100.00")
            await b.submit_order(request)
            await sub.wait_terminal([request.client_order_id])
            events = [u.event for u in sub.seen[request.client_order_id]]
            return events, b.stream_connects, b.updates_live
        finally:
            await b.close()
            await sub.stop()

    try:
        return asyncio.run(main())
    finally:
        emu.stop()


def test_the_first_submit_waits_until_the_server_confirms_listening(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server slow to register `listen` must not cost the first order its `new` event."""

    def late(_session: Any) -> bool:
        time.sleep(0.4)  # the server registers the listener (and answers) late
        return False

    events, _connects, _live = _first_order_with(monkeypatch, late)
    assert events[0] == "new" and events[-1] == "fill"


def test_a_server_that_never_answers_listen_is_trusted_after_a_bounded_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def silent(session: Any) -> bool:
        session._hub.add(session)  # registered, but no `listening` answer
        return True

    events, connects, live = _first_order_with(monkeypatch, silent)
    assert connects == 1 and live  # connected without the answer, after the bounded wait
    assert events[-1] == "fill"
