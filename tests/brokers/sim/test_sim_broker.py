"""SimBroker: the Broker port, latency, the sliding-window rate limit, faults and the stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest
from structlog.testing import capture_logs

from console.brokers.sim import SimBroker, SlidingWindow, create_sim_broker, demo_path
from console.brokers.sim.scenario import Scenario
from console.domain.orders import OrderSnapshot, OrderStatus
from console.engine.ports import (
    Broker,
    BrokerTimeoutError,
    BrokerUnavailableError,
    RateLimitedError,
)
from tests.brokers.sim.sim_helpers import ManualClock, order, run

MakeScenario = Callable[..., Scenario]
D = Decimal


async def take(stream: AsyncIterator[OrderSnapshot], n: int) -> list[OrderSnapshot]:
    """The next n snapshots of a stream (fails instead of hanging)."""

    async def go() -> list[OrderSnapshot]:
        return [await anext(stream) for _ in range(n)]

    return await asyncio.wait_for(go(), timeout=5)


def test_implements_the_broker_port(make_scenario: MakeScenario) -> None:
    broker = SimBroker(make_scenario(rate_limit_per_minute=150))
    assert isinstance(broker, Broker)
    assert (broker.name, broker.mode, broker.rate_limit_per_minute) == ("sim", "SIM", 150)


def test_read_requests(make_scenario: MakeScenario) -> None:
    async def main() -> None:
        broker = SimBroker(make_scenario(assets={"XYZ": {"tradable": False}}))
        account = await broker.get_account()
        assert (account.account_id, account.cash, account.buying_power) == (
            "SIM-000001",
            D("10000.00"),
            D("10000.00"),
        )
        assert await broker.get_positions() == {"AAPL": D("10"), "VTI": D("3.25")}
        quotes = await broker.get_quotes(["AAPL", "NOPE"])
        assert set(quotes) == {"AAPL"}
        assert quotes["AAPL"].bid == D("189.90")
        assets = await broker.get_assets(["AAPL", "XYZ", "NOPE"])
        assert set(assets) == {"AAPL", "XYZ"}
        assert assets["XYZ"].tradable is False
        assert (await broker.get_clock()).is_open is True
        assert await broker.get_order_by_client_id("none") is None
        assert broker.requests_made == 6
        assert broker.rate_limited == 0
        await broker.close()

    run(main())


def test_every_request_waits_the_latency(make_scenario: MakeScenario) -> None:
    async def main() -> float:
        broker = SimBroker(make_scenario(fills={"latency_ms": 60}))
        loop = asyncio.get_running_loop()
        start = loop.time()
        await broker.get_account()
        await broker.get_clock()
        elapsed = loop.time() - start
        await broker.close()
        return elapsed

    assert run(main()) >= 0.11


def test_submit_acknowledges_then_streams_new_and_fill(make_scenario: MakeScenario) -> None:
    async def main() -> None:
        broker = SimBroker(make_scenario(fills={"latency_ms": 5}))
        first, second = broker.updates(), broker.updates()
        ack = await broker.submit_order(order("AAPL", qty="2", coid="c1"))
        assert ack.status is OrderStatus.ACCEPTED
        assert ack.event is None
        for stream in (first, second):  # fan-out: every subscriber sees every update
            new, fill = await take(stream, 2)
            assert (new.event, new.status) == ("new", OrderStatus.ACCEPTED)
            assert (fill.event, fill.status, fill.filled_qty) == ("fill", OrderStatus.FILLED, D(2))
        found = await broker.get_order_by_client_id("c1")
        assert found is not None
        assert found.status is OrderStatus.FILLED
        assert (await broker.get_account()).cash == D("10000.00") - D("380.20")
        await broker.close()
        assert [s async for s in first] == []
        assert [s async for s in second] == []

    run(main())


def test_partial_streams_partial_fill_then_canceled(make_scenario: MakeScenario) -> None:
    async def main() -> None:
        broker = SimBroker(make_scenario(fills={"partial": ["AAPL"]}))
        stream = broker.updates()
        await broker.submit_order(order("AAPL", "sell", qty="4"))
        events = [(s.event, s.status, s.filled_qty) for s in await take(stream, 3)]
        assert events == [
            ("new", OrderStatus.ACCEPTED, D(0)),
            ("partial_fill", OrderStatus.PARTIALLY_FILLED, D(2)),
            ("canceled", OrderStatus.CANCELED, D(2)),
        ]
        await broker.close()

    run(main())


def test_cancel_publishes_and_terminal_is_left_alone(make_scenario: MakeScenario) -> None:
    async def main() -> None:
        broker = SimBroker(make_scenario(fills={"never_fill": ["MSFT"]}))
        stream = broker.updates()
        ack = await broker.submit_order(order("MSFT", qty="1"))
        await take(stream, 1)  # new
        await asyncio.sleep(0.01)  # the fill attempt runs and leaves it open
        assert (await broker.get_order_by_client_id(ack.client_order_id)).status is (  # type: ignore[union-attr]
            OrderStatus.ACCEPTED
        )
        await broker.cancel_order(ack.broker_order_id)
        (canceled,) = await take(stream, 1)
        assert (canceled.event, canceled.status) == ("canceled", OrderStatus.CANCELED)
        await broker.cancel_order(ack.broker_order_id)  # already terminal: not an error
        await broker.cancel_order("sim-999999")  # unknown: logged, not an error
        await broker.close()
        assert [s async for s in stream] == []  # nothing more was published

    run(main())


def test_sliding_window_rate_limit(make_scenario: MakeScenario) -> None:
    async def main() -> None:
        clock = ManualClock()
        broker = SimBroker(make_scenario(rate_limit_per_minute=3), clock=clock)
        for _ in range(3):
            await broker.get_clock()
            clock.advance(10)
        with pytest.raises(RateLimitedError) as info:  # t=30: the t=0 slot frees at t=60
            await broker.get_account()
        assert info.value.retry_after == pytest.approx(30)
        clock.advance(29.5)
        with pytest.raises(RateLimitedError) as info:
            await broker.get_positions()
        assert info.value.retry_after == pytest.approx(0.5)
        clock.advance(0.5)  # t=60: the first request left the window
        await broker.get_account()
        with pytest.raises(RateLimitedError) as info:
            await broker.get_account()
        assert info.value.retry_after == pytest.approx(10)  # t=10 leaves at t=70
        assert (broker.requests_made, broker.rate_limited) == (7, 3)
        await broker.close()

    run(main())


def test_sliding_window_unit() -> None:
    clock = ManualClock(0)
    window = SlidingWindow(2, clock)
    window.admit()
    clock.advance(59)
    window.admit()
    with pytest.raises(RateLimitedError) as info:
        window.admit()
    assert info.value.retry_after == pytest.approx(1)
    clock.advance(1)
    window.admit()


def test_submit_timeout_fault_places_the_order(make_scenario: MakeScenario) -> None:
    async def main() -> None:
        broker = SimBroker(make_scenario(faults={"submit_timeout": ["AAPL"]}))
        with pytest.raises(BrokerTimeoutError):
            await broker.submit_order(order("AAPL", qty="1", coid="t1"))
        found = await broker.get_order_by_client_id("t1")
        assert found is not None  # the outcome was ambiguous, but the order exists
        await asyncio.sleep(0.02)
        assert (await broker.get_order_by_client_id("t1")).status is OrderStatus.FILLED  # type: ignore[union-attr]
        again = await broker.submit_order(order("AAPL", qty="1", coid="t2"))  # fires once
        assert again.status is OrderStatus.ACCEPTED
        await broker.close()

    run(main())


def test_submit_error_fault_places_nothing(make_scenario: MakeScenario) -> None:
    async def main() -> None:
        broker = SimBroker(make_scenario(faults={"submit_error": ["AAPL"]}))
        with pytest.raises(BrokerUnavailableError, match="500"):
            await broker.submit_order(order("AAPL", qty="1", coid="e1"))
        assert await broker.get_order_by_client_id("e1") is None
        assert broker.exchange.orders() == []
        ack = await broker.submit_order(order("AAPL", qty="1", coid="e1"))  # retry works
        assert ack.status is OrderStatus.ACCEPTED
        await broker.close()

    run(main())


def test_submit_hang_fault_lets_the_caller_time_out(make_scenario: MakeScenario) -> None:
    async def main() -> None:
        broker = SimBroker(make_scenario(faults={"submit_hang": ["AAPL"]}))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(broker.submit_order(order("AAPL", qty="1", coid="h1")), 0.05)
        assert await broker.get_order_by_client_id("h1") is None
        ack = await asyncio.wait_for(broker.submit_order(order("AAPL", qty="1", coid="h1")), 1)
        assert ack.status is OrderStatus.ACCEPTED
        await broker.close()

    run(main())


def test_fill_delay_fault(make_scenario: MakeScenario) -> None:
    async def main() -> None:
        broker = SimBroker(make_scenario(faults={"fill_delay_ms": {"AAPL": 150}}))
        ack = await broker.submit_order(order("AAPL", qty="1", coid="d1"))
        await asyncio.sleep(0.05)
        assert broker.exchange.order(ack.broker_order_id).status is OrderStatus.ACCEPTED  # type: ignore[union-attr]
        await asyncio.sleep(0.2)
        assert broker.exchange.order(ack.broker_order_id).status is OrderStatus.FILLED  # type: ignore[union-attr]
        second = await broker.submit_order(order("AAPL", qty="1", coid="d2"))  # normal latency
        await asyncio.sleep(0.02)
        assert broker.exchange.order(second.broker_order_id).status is OrderStatus.FILLED  # type: ignore[union-attr]
        await broker.close()

    run(main())


def test_rate_limit_burst_fault(make_scenario: MakeScenario) -> None:
    async def main() -> None:
        faults = {"rate_limit_burst": 2, "burst_retry_after_ms": 250}
        broker = SimBroker(make_scenario(faults=faults))
        await broker.get_account()  # before the first submit: fine
        await broker.submit_order(order("AAPL", qty="1", coid="b1"))
        for _ in range(2):
            with pytest.raises(RateLimitedError) as info:
                await broker.get_order_by_client_id("b1")
            assert info.value.retry_after == pytest.approx(0.25)
        assert await broker.get_order_by_client_id("b1") is not None
        await broker.submit_order(order("AAPL", qty="1", coid="b2"))
        await broker.get_account()  # fired once
        assert (broker.requests_made, broker.rate_limited) == (7, 2)
        await broker.close()

    run(main())


def test_close_is_idempotent_and_ends_streams(make_scenario: MakeScenario) -> None:
    async def main() -> None:
        broker = SimBroker(make_scenario(faults={"fill_delay_ms": {"AAPL": 60_000}}))
        stream = broker.updates()
        reader = asyncio.create_task(take(stream, 5))
        await broker.submit_order(order("AAPL", qty="1"))
        await broker.close()
        await broker.close()
        with pytest.raises(StopAsyncIteration):
            await reader
        assert [s async for s in broker.updates()] == []  # subscribed after close: ends at once
        with pytest.raises(BrokerUnavailableError):
            await broker.get_account()

    run(main())


def test_unsubscribed_stream_gets_nothing_more(make_scenario: MakeScenario) -> None:
    async def main() -> None:
        broker = SimBroker(make_scenario())
        stream = broker.updates()
        await stream.aclose()  # type: ignore[attr-defined]
        await broker.submit_order(order("AAPL", qty="1"))
        assert [s async for s in stream] == []
        await broker.close()

    run(main())


def test_fill_task_failures_are_logged(make_scenario: MakeScenario) -> None:
    async def main() -> None:
        broker = SimBroker(make_scenario())

        def explode(broker_order_id: str) -> list[OrderSnapshot]:
            raise RuntimeError("boom")

        broker.exchange.execute = explode  # type: ignore[method-assign]
        with capture_logs() as logs:
            await broker.submit_order(order("AAPL", qty="1"))
            await asyncio.sleep(0.02)
        assert any(e["event"] == "sim_fill_failed" and "boom" in e["error"] for e in logs)
        await broker.close()

    run(main())


def test_create_sim_broker_defaults_to_the_demo() -> None:
    assert demo_path("scenario.json").is_file()
    broker = create_sim_broker(None)
    assert broker.name == "sim"
    assert broker.exchange.cash == D("1874.36")
