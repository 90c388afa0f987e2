"""SimBroker persistence: atomic state file, resume of pending fills, faults fire once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from console.brokers.sim import SimBroker, create_sim_broker
from console.brokers.sim.scenario import Scenario
from console.domain.errors import InputError
from console.domain.orders import OrderStatus
from console.engine.ports import BrokerTimeoutError, DuplicateClientOrderIdError
from tests.brokers.sim.sim_helpers import ManualNow, order, run

MakeScenario = Callable[..., Scenario]


def test_state_file_is_written_and_reloaded(make_scenario: MakeScenario, tmp_path: Path) -> None:
    state = tmp_path / "sim.json"
    scn = make_scenario()

    async def first() -> None:
        broker = SimBroker(scn, str(state))
        assert state.exists()  # the initial state is written at once
        await broker.submit_order(order("AAPL", "sell", qty="4", coid="s1"))
        await asyncio.sleep(0.02)
        await broker.close()

    run(first())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim.json"]  # no temp file left
    data = json.loads(state.read_text(encoding="utf-8"))
    assert data["exchange"]["positions"]["AAPL"] == "6"

    async def second() -> None:
        broker = SimBroker(scn, str(state))
        assert await broker.get_positions() == {"AAPL": Decimal("6"), "VTI": Decimal("3.25")}
        found = await broker.get_order_by_client_id("s1")
        assert found is not None
        assert found.status is OrderStatus.FILLED
        with pytest.raises(DuplicateClientOrderIdError):  # a resumed run cannot place it twice
            await broker.submit_order(order("AAPL", "sell", qty="4", coid="s1"))
        assert len(broker.exchange.orders()) == 1
        await broker.close()

    run(second())


def test_pending_fill_that_came_due_while_away_is_filled_on_load(
    make_scenario: MakeScenario, tmp_path: Path
) -> None:
    state = str(tmp_path / "sim.json")
    scn = make_scenario(faults={"fill_delay_ms": {"AAPL": 10_000}})
    now = ManualNow()

    async def killed() -> None:
        broker = SimBroker(scn, state, now=now)
        await broker.submit_order(order("AAPL", qty="1", coid="b1"))
        await broker.close()  # like a process killed before the fill

    run(killed())
    now.advance(11)
    broker = SimBroker(scn, state, now=now)  # no event loop needed to load
    found = broker.exchange.order_by_client_id("b1")
    assert found is not None
    assert found.status is OrderStatus.FILLED
    assert broker.exchange.positions()["AAPL"] == 11
    data = json.loads(Path(state).read_text(encoding="utf-8"))
    assert data["pending_fills"] == {}


def test_pending_fill_not_yet_due_is_scheduled_again(
    make_scenario: MakeScenario, tmp_path: Path
) -> None:
    state = str(tmp_path / "sim.json")
    scn = make_scenario(faults={"fill_delay_ms": {"AAPL": 10_000}})
    now = ManualNow()

    async def killed() -> None:
        broker = SimBroker(scn, state, now=now)
        await broker.submit_order(order("AAPL", qty="1", coid="b1"))
        await broker.close()

    run(killed())
    now.advance(9.95)  # 50 ms left

    async def resumed() -> None:
        broker = SimBroker(scn, state, now=now)
        stream = broker.updates()
        found = await broker.get_order_by_client_id("b1")
        assert found is not None
        assert found.status is OrderStatus.ACCEPTED
        fill = await asyncio.wait_for(anext(stream), timeout=5)
        assert (fill.event, fill.status, fill.client_order_id) == ("fill", OrderStatus.FILLED, "b1")
        await broker.close()

    run(resumed())
    reloaded = SimBroker(scn, state, now=now)
    assert reloaded.exchange.order_by_client_id("b1").status is OrderStatus.FILLED  # type: ignore[union-attr]


def test_fired_faults_do_not_fire_again_after_restart(
    make_scenario: MakeScenario, tmp_path: Path
) -> None:
    state = str(tmp_path / "sim.json")
    scn = make_scenario(faults={"submit_timeout": ["AAPL"]})

    async def first() -> None:
        broker = SimBroker(scn, state)
        with pytest.raises(BrokerTimeoutError):
            await broker.submit_order(order("AAPL", qty="1", coid="t1"))
        await broker.close()

    async def second() -> None:
        broker = SimBroker(scn, state)
        found = await broker.get_order_by_client_id("t1")  # the ambiguous submit did place it
        assert found is not None
        ack = await broker.submit_order(order("AAPL", qty="1", coid="t2"))
        assert ack.status is OrderStatus.ACCEPTED
        await broker.close()

    run(first())
    run(second())


def test_unreadable_state_file_is_an_input_error(
    make_scenario: MakeScenario, tmp_path: Path
) -> None:
    state = tmp_path / "sim.json"
    state.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"sim\.json: unreadable sim state"):
        SimBroker(make_scenario(), str(state))
    state.write_text('{"exchange": {"version": 1}}', encoding="utf-8")
    with pytest.raises(InputError, match="unreadable sim state"):
        SimBroker(make_scenario(), str(state))


def test_create_sim_broker_with_files(tmp_path: Path) -> None:
    scenario = tmp_path / "scn.json"
    scenario.write_text('{"cash": "42", "account_id": "ACC-1"}', encoding="utf-8")
    state = tmp_path / "state.json"
    broker = create_sim_broker(str(scenario), str(state))
    assert broker.exchange.account_id == "ACC-1"
    assert state.exists()
    with pytest.raises(InputError, match=r"nope\.json"):
        create_sim_broker(str(tmp_path / "nope.json"))
