"""The bundled demo: plan and targets agree with the scenario and preview as intended."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from console.brokers.sim import Exchange, demo_path, load_scenario
from console.domain.config import Settings
from console.domain.market import AccountSnapshot
from console.domain.orders import OrderRequest, OrderSpec, OrderStatus, Side
from console.domain.plan import Action, parse_plan_bytes
from console.domain.preview import compute_preview
from console.domain.preview_model import Preview, PreviewStatus, Reason
from console.domain.targets import build_targets_plan

# symbol -> (side, status, reason, notes)
EXPECTED_PLAN_LEGS = {
    "AAPL": ("sell", "ready", None, ()),
    "META": ("sell", "ready", None, ()),
    "XOM": ("sell", "ready", None, ("liquidation",)),  # target 0: sell the whole position
    "VTI": ("sell", "ready", None, ()),  # in fills.partial: half fills, rest canceled
    "TSLA": ("sell", "ready", None, ()),
    "NVDA": ("buy", "ready", None, ()),
    "AMZN": ("buy", "ready", None, ()),
    "GOOGL": ("buy", "ready", None, ()),
    "KO": ("buy", "skipped", "below_min_notional", ()),  # a $0.73 micro-order
    "V": ("buy", "ready", None, ()),
    "UNH": ("buy", "ready", None, ()),
    "VXUS": ("buy", "ready", None, ()),
    "COST": ("buy", "ready", None, ()),  # non-fractionable: whole shares
}
EXPECTED_HOLDS = ("MSFT", "JPM", "BND")


def snapshot() -> AccountSnapshot:
    scn = load_scenario(str(demo_path("scenario.json")))
    ex = Exchange(scn)
    symbols = set(scn.quotes) | set(scn.positions) | set(scn.assets)
    assets = {s: a for s in symbols if (a := ex.asset(s)) is not None}
    return AccountSnapshot(
        account_id=ex.account_id,
        broker="sim",
        mode="SIM",
        cash=ex.cash,
        buying_power=ex.buying_power,
        positions=ex.positions(),
        quotes=dict(scn.quotes),
        assets=assets,
        market_open=ex.market_open,
    )


def plan_preview() -> Preview:
    loaded = parse_plan_bytes("plan.json", demo_path("plan.json").read_bytes())
    return compute_preview(loaded.plan, loaded.digest, snapshot(), Settings())


def test_demo_scenario_shape() -> None:
    scn = load_scenario(str(demo_path("scenario.json")))
    snap = snapshot()
    assert 12 <= len(scn.quotes) <= 20
    assert Decimal(240000) < snap.equity() < Decimal(260000)
    assert scn.cash < Decimal("0.01") * snap.equity()  # modest cash: buys need sell proceeds
    assert scn.fills.latency_ms == 20
    assert scn.market_open is True
    assert scn.rate_limit_per_minute == 200
    assert scn.fills.partial == {"VTI"}
    assert scn.asset("COST") is not None
    assert scn.asset("COST").fractionable is False  # type: ignore[union-attr]


def test_demo_plan_matches_the_scenario() -> None:
    raw = demo_path("plan.json").read_text(encoding="utf-8")
    assert '"strategy_id"' in raw  # an extra field real producers add
    assert '"0E-10"' in raw  # HOLD amount in exponent notation
    plan = parse_plan_bytes("plan.json", raw.encode()).plan
    snap = snapshot()
    equity = snap.equity()
    assert plan.total_portfolio_value == equity
    for item in plan.items:
        mid = snap.mid(item.symbol)
        assert mid is not None
        assert item.current_value == snap.position(item.symbol) * mid, item.symbol
        assert abs(item.current_weight - item.current_value / equity) < Decimal("1E-20")
    amounts = [item.trade_amount for item in plan.items if item.action is not Action.HOLD]
    assert any(a != a.quantize(Decimal("0.01")) for a in amounts)  # not rounded to cents


def test_demo_plan_previews_as_intended() -> None:
    preview = plan_preview()
    legs = {leg.symbol: leg for leg in preview.legs}
    assert set(legs) == set(EXPECTED_PLAN_LEGS)
    for symbol, (side, status, reason, notes) in EXPECTED_PLAN_LEGS.items():
        leg = legs[symbol]
        actual = (leg.side.value, leg.status.value, leg.reason, tuple(n.value for n in leg.notes))
        assert actual == (side, status, reason, notes), symbol
    assert preview.holds == EXPECTED_HOLDS
    assert legs["XOM"].order == OrderSpec(qty=Decimal("110.537"))  # the whole position
    assert legs["COST"].order == OrderSpec(qty=Decimal("8"))
    assert preview.funding.scale == 1
    sells = preview.funding.expected_sell_proceeds
    assert (
        preview.funding.buying_power
        < preview.funding.planned_buys
        < preview.funding.buying_power + sells
    )
    assert [p.code for p in preview.problems] == [Reason.BELOW_MIN_NOTIONAL]


def test_demo_sell_phase_on_the_sim_forces_a_buy_rescale() -> None:
    """Ready sells fill except VTI (half filled, rest canceled), so the buys must be scaled down."""
    preview = plan_preview()
    ex = Exchange(load_scenario(str(demo_path("scenario.json"))))
    final: dict[str, OrderStatus] = {}
    for leg in preview.ready_legs(Side.SELL):
        assert leg.order is not None
        request = OrderRequest(
            client_order_id=leg.client_order_id, symbol=leg.symbol, side=leg.side, spec=leg.order
        )
        placed = ex.place(request)
        final[leg.symbol] = ex.execute(placed.broker_order_id)[-1].status
    assert final.pop("VTI") is OrderStatus.CANCELED
    assert set(final.values()) == {OrderStatus.FILLED}
    assert "XOM" not in ex.positions()
    planned = sum(leg.est_notional or 0 for leg in preview.ready_legs(Side.BUY))
    assert Decimal("0.7") * planned < ex.buying_power < planned  # scale about 0.79


def test_demo_targets_preview() -> None:
    data = demo_path("targets.csv").read_bytes()
    assert data.startswith(b"symbol,target_weight\n")
    snap = snapshot()
    loaded = build_targets_plan(
        "targets.csv", data, snap, Settings(), datetime(2025, 6, 13, 14, 0, tzinfo=UTC)
    )
    preview = compute_preview(loaded.plan, loaded.digest, snap, Settings())
    legs = {leg.symbol: leg for leg in preview.legs}
    assert "liquidation" in [n.value for n in legs["XOM"].notes]  # held, not listed: liquidated
    assert legs["COST"].order == OrderSpec(qty=Decimal("8"))
    assert all(leg.status is PreviewStatus.READY for leg in preview.legs)
    assert preview.funding.scale == 1


@pytest.mark.parametrize("name", ["scenario.json", "plan.json", "targets.csv"])
def test_demo_files_exist(name: str) -> None:
    assert demo_path(name).is_file()
