"""The matching engine: validation, every fill rule, accounting and state round-trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest

from console.brokers.sim.exchange import Exchange
from console.brokers.sim.scenario import Scenario
from console.domain.orders import OrderRequest, OrderSnapshot, OrderSpec, OrderStatus, Side
from console.engine.ports import DuplicateClientOrderIdError, OrderRejectedError
from tests.brokers.sim.sim_helpers import ManualNow, order

MakeScenario = Callable[..., Scenario]
D = Decimal


def fill_one(
    ex: Exchange, request_symbol: str, side: str = "buy", **spec: str
) -> list[OrderSnapshot]:
    placed = ex.place(order(request_symbol, side, **spec))
    assert placed.status is OrderStatus.ACCEPTED
    return ex.execute(placed.broker_order_id)


# ---- place: validation -------------------------------------------------------------------


def test_place_accepts_and_indexes(make_scenario: MakeScenario) -> None:
    now = ManualNow()
    ex = Exchange(make_scenario(), now=now)
    snap = ex.place(order("AAPL", qty="1", coid="c-1"))
    assert snap.status is OrderStatus.ACCEPTED
    assert snap.broker_order_id == "sim-000001"
    assert snap.qty == 1
    assert snap.notional is None
    assert snap.filled_qty == 0
    assert snap.updated_at == now.now
    assert ex.order("sim-000001") == snap
    assert ex.order_by_client_id("c-1") == snap
    assert ex.orders() == [snap]
    second = ex.place(order("AAPL", qty="1", coid="c-2"))
    assert second.broker_order_id == "sim-000002"
    assert ex.order("nope") is None
    assert ex.order_by_client_id("nope") is None


def test_duplicate_client_order_id_any_status(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario())
    snap = ex.place(order("AAPL", qty="1", coid="dup"))
    with pytest.raises(DuplicateClientOrderIdError, match="must be unique"):
        ex.place(order("AAPL", qty="1", coid="dup"))
    ex.execute(snap.broker_order_id)
    assert ex.order_by_client_id("dup").status is OrderStatus.FILLED  # type: ignore[union-attr]
    with pytest.raises(DuplicateClientOrderIdError):
        ex.place(order("MSFT", qty="1", coid="dup"))


@pytest.mark.parametrize(
    ("request_args", "message"),
    [
        (("NOPE", "buy", {"qty": "1"}), "not found"),
        (("XYZ", "buy", {"qty": "1"}), "not tradable"),
        (("AAPL", "buy", {}), "exactly one of qty and notional"),
        (("AAPL", "buy", {"qty": "1", "notional": "10"}), "exactly one of qty and notional"),
        (("COST", "buy", {"qty": "1.5"}), "not fractionable"),
        (("COST", "buy", {"notional": "100"}), "not fractionable"),
        (("AAPL", "sell", {"notional": "100"}), "notional sell"),
        (("AAPL", "sell", {"qty": "10.000000001"}), "insufficient qty"),
        (("MSFT", "sell", {"qty": "1"}), "insufficient qty"),
        (("AAPL", "buy", {"qty": "0"}), "qty must be > 0"),
        (("AAPL", "buy", {"qty": "0.0000000001"}), "more than 9 decimal"),
        (("AAPL", "buy", {"notional": "10.001"}), "more than 2 decimal"),
        (("AAPL", "buy", {"notional": "10000.01"}), "insufficient buying power"),
        (("AAPL", "buy", {"qty": "53"}), "insufficient buying power"),  # 53 x 190.10 > 10000
    ],
)
def test_place_rejections(make_scenario: MakeScenario, request_args: tuple, message: str) -> None:  # type: ignore[type-arg]
    scn = make_scenario(assets={"XYZ": {"tradable": False}, "COST": {"fractionable": False}})
    ex = Exchange(scn)
    symbol, side, spec = request_args
    with pytest.raises(OrderRejectedError, match=message):
        ex.place(order(symbol, side, **spec))
    assert ex.orders() == []
    # a refused order consumes no client_order_id
    ex.place(order("AAPL", qty="1"))


def test_buying_power_and_qty_account_for_open_orders(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario())
    ex.place(order("AAPL", qty="6", side="sell", coid="s1"))
    with pytest.raises(OrderRejectedError, match="available: 4"):
        ex.place(order("AAPL", qty="5", side="sell", coid="s2"))
    ex.place(order("MSFT", notional="6000", coid="b1"))
    with pytest.raises(OrderRejectedError, match="insufficient buying power"):
        ex.place(order("VTI", notional="4000.01", coid="b2"))
    ex.place(order("VTI", notional="4000", coid="b3"))


def test_whole_qty_on_non_fractionable_is_accepted(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario(cash="2000"))
    updates = fill_one(ex, "COST", qty="2")
    assert updates[0].status is OrderStatus.FILLED
    assert ex.positions()["COST"] == 2


# ---- execute: fill rules ----------------------------------------------------------------


def test_market_buy_fills_at_ask_and_sell_at_bid(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario())
    (buy,) = fill_one(ex, "AAPL", qty="2")
    assert (buy.status, buy.event, buy.filled_qty, buy.filled_avg_price) == (
        OrderStatus.FILLED,
        "fill",
        D("2"),
        D("190.10"),
    )
    (sell,) = fill_one(ex, "VTI", "sell", qty="3.25")
    assert sell.filled_avg_price == D("250.00")
    assert sell.filled_qty == D("3.25")
    assert "VTI" not in ex.positions()  # sold to zero: removed
    assert ex.positions()["AAPL"] == D("12")


def test_other_side_when_one_is_missing_or_zero(make_scenario: MakeScenario) -> None:
    quotes = {"A": {"bid": "10.00"}, "B": {"bid": "0", "ask": "11.00"}, "C": {"ask": "12.00"}}
    ex = Exchange(make_scenario(quotes=quotes, positions={"C": "5"}))
    assert fill_one(ex, "A", qty="1")[0].filled_avg_price == D("10.00")  # buy, no ask: bid
    assert fill_one(ex, "B", qty="1")[0].filled_avg_price == D("11.00")
    assert fill_one(ex, "C", "sell", qty="1")[0].filled_avg_price == D("12.00")  # sell, no bid


def test_no_price_is_rejected(make_scenario: MakeScenario) -> None:
    quotes = {"A": {"bid": "0", "ask": None}}
    ex = Exchange(make_scenario(quotes=quotes, positions={"B": "1"}))
    (a,) = fill_one(ex, "A", qty="1")  # no price: the buying-power check cannot apply
    assert (a.status, a.event, a.reason) == (OrderStatus.REJECTED, "rejected", "no price")
    (b,) = fill_one(ex, "B", "sell", qty="1")  # held but never quoted
    assert b.reason == "no price"
    assert ex.positions() == {"B": 1}
    assert ex.cash == D("10000.00")


def test_slippage_moves_against_the_trader(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario(fills={"slippage_bps": "12.5"}))
    (buy,) = fill_one(ex, "AAPL", qty="1")
    assert buy.filled_avg_price == D("190.3376")  # 190.10 x 1.00125 = 190.337625 -> 4 dp half-up
    (sell,) = fill_one(ex, "AAPL", "sell", qty="1")
    assert sell.filled_avg_price == D("189.6626")  # 189.90 x 0.99875 = 189.662625


def test_notional_buy_shares_round_down_to_9_decimals(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario())
    (buy,) = fill_one(ex, "AAPL", notional="1000.00")
    assert buy.filled_qty == D("5.260389268")  # 1000 / 190.10 = 5.2603892688...
    assert buy.notional == D("1000.00")
    assert buy.qty is None
    assert ex.cash == D("10000.00") - D("5.260389268") * D("190.10")
    assert ex.cash == D("9000.0000001532")


def test_cash_and_buying_power_accounting(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario(cash="100.00", buying_power="250.00"))
    fill_one(ex, "AAPL", "sell", qty="1.5")
    assert ex.cash == D("100.00") + D("284.850")
    assert ex.buying_power == D("250.00") + D("284.850")
    fill_one(ex, "VTI", qty="0.5")
    assert ex.cash == D("384.850") - D("125.250")
    assert ex.buying_power == D("534.850") - D("125.250")
    assert ex.positions() == {"AAPL": D("8.5"), "VTI": D("3.75")}


def test_partial_qty_fills_half_then_cancels(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario(fills={"partial": ["AAPL"]}))
    first, second = fill_one(ex, "AAPL", "sell", qty="7.000000001")
    assert (first.status, first.event) == (OrderStatus.PARTIALLY_FILLED, "partial_fill")
    assert first.filled_qty == D("3.5")  # 3.5000000005 rounded down to 9 dp
    assert (second.status, second.event) == (OrderStatus.CANCELED, "canceled")
    assert second.filled_qty == D("3.5")
    assert second.filled_avg_price == D("189.90")
    assert ex.positions()["AAPL"] == D("6.5")
    assert ex.cash == D("10000.00") + D("3.5") * D("189.90")


def test_partial_non_fractionable_halves_in_whole_shares(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario(cash="10000", fills={"partial": ["COST"]}))
    first, second = fill_one(ex, "COST", qty="5")
    assert first.filled_qty == D("2")
    assert second.status is OrderStatus.CANCELED
    assert second.filled_qty == D("2")


def test_partial_notional_halves_to_cents(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario(fills={"partial": ["AAPL"]}))
    first, _ = fill_one(ex, "AAPL", notional="100.01")
    # half = 50.005 -> 50.00 (down to cents); 50.00 / 190.10 = 0.26301946...
    assert first.filled_qty == D("0.263019463")


def test_partial_that_rounds_to_zero_cancels_with_nothing_filled(
    make_scenario: MakeScenario,
) -> None:
    ex = Exchange(make_scenario(cash="100000", fills={"partial": ["COST", "AAPL"]}))
    (only,) = fill_one(ex, "COST", qty="1")  # half of 1 whole share = 0
    assert (only.status, only.event, only.filled_qty) == (OrderStatus.CANCELED, "canceled", D(0))
    assert ex.cash == D("100000")


def test_notional_below_one_dollar_is_refused_422(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario(cash="100000"))
    with pytest.raises(OrderRejectedError) as refused:
        ex.place(
            OrderRequest(
                client_order_id="c1",
                symbol="AAPL",
                side=Side.BUY,
                spec=OrderSpec(notional=D("0.99")),
            )
        )
    assert refused.value.http_status == 422 and "at least 1.00" in refused.value.message


def test_reject_symbols_are_rejected(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario(fills={"reject": ["AAPL"]}))
    (snap,) = fill_one(ex, "AAPL", qty="1")
    assert (snap.status, snap.reason, snap.filled_qty) == (
        OrderStatus.REJECTED,
        "rejected by scenario",
        D(0),
    )


def test_never_fill_stays_open_until_canceled(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario(fills={"never_fill": ["AAPL"]}))
    placed = ex.place(order("AAPL", qty="1"))
    assert ex.execute(placed.broker_order_id) == []
    assert ex.order(placed.broker_order_id).status is OrderStatus.ACCEPTED  # type: ignore[union-attr]
    canceled = ex.cancel(placed.broker_order_id)
    assert canceled is not None
    assert (canceled.status, canceled.event) == (OrderStatus.CANCELED, "canceled")
    assert ex.cancel(placed.broker_order_id) == canceled  # terminal: unchanged
    assert ex.execute(placed.broker_order_id) == []
    assert ex.cancel("unknown") is None


def test_market_closed_keeps_orders_open(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario(market_open=False))
    placed = ex.place(order("AAPL", qty="1"))
    assert ex.execute(placed.broker_order_id) == []
    assert ex.order(placed.broker_order_id).status is OrderStatus.ACCEPTED  # type: ignore[union-attr]
    ex.market_open = True
    assert ex.execute(placed.broker_order_id)[0].status is OrderStatus.FILLED


def test_execute_is_applied_once(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario())
    placed = ex.place(order("AAPL", qty="1"))
    assert len(ex.execute(placed.broker_order_id)) == 1
    assert ex.execute(placed.broker_order_id) == []
    assert ex.execute("unknown") == []
    assert ex.positions()["AAPL"] == 11


# ---- state ---------------------------------------------------------------------------------


def test_state_round_trip_is_json_and_exact(make_scenario: MakeScenario) -> None:
    scn = make_scenario(fills={"never_fill": ["MSFT"]})
    ex = Exchange(scn)
    fill_one(ex, "AAPL", notional="1000.00")
    open_order = ex.place(order("MSFT", qty="1.5", coid="open"))
    assert ex.take_fault("submit_timeout", "AAPL")
    state = json.loads(json.dumps(ex.to_state()))
    assert isinstance(state["cash"], str)
    assert D(state["cash"]) == D("9000.0000001532")
    back = Exchange.from_state(scn, state)
    assert back.cash == ex.cash
    assert back.buying_power == ex.buying_power
    assert back.positions() == ex.positions()
    assert back.orders() == ex.orders()
    assert back.order_by_client_id("open") == open_order
    assert back.fault_fired("submit_timeout", "AAPL")
    assert not back.take_fault("submit_timeout", "AAPL")
    assert back.place(order("AAPL", qty="1", coid="next")).broker_order_id == "sim-000003"
    with pytest.raises(DuplicateClientOrderIdError):
        back.place(order("MSFT", qty="1", coid="open"))


def test_from_state_refuses_another_version(make_scenario: MakeScenario) -> None:
    scn = make_scenario()
    state = Exchange(scn).to_state() | {"version": 99}
    with pytest.raises(ValueError, match="version"):
        Exchange.from_state(scn, state)


def test_quote_and_asset_lookups(make_scenario: MakeScenario) -> None:
    ex = Exchange(make_scenario())
    assert ex.quote("AAPL") is not None
    assert ex.quote("NOPE") is None
    brk = ex.asset("BRK.A")
    assert brk is not None
    assert brk.fractionable is False
    assert ex.asset("NOPE") is None
