"""Hypothesis properties of the sizing and funding rules (DESIGN §3)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.domain.config import Settings
from console.domain.ids import client_order_id, parse_client_order_id
from console.domain.money import CENT
from console.domain.orders import Side
from console.domain.preview import compute_preview
from console.domain.preview_model import Preview, PreviewStatus
from tests.domain.factories import item, load, plan_doc, snapshot

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=4)
amounts = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("50000"), places=6)
quantities = st.decimals(min_value=Decimal("0"), max_value=Decimal("1000"), places=9)
symbols = st.lists(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=5),
    min_size=1,
    max_size=6,
    unique=True,
)


@st.composite
def scenarios(draw: st.DrawFn) -> Preview:
    names = draw(symbols)
    items, positions, quotes, non_frac = [], {}, {}, []
    for name in names:
        side = draw(st.sampled_from(["BUY", "SELL"]))
        amount = draw(amounts)
        liquidate = side == "SELL" and draw(st.booleans())
        items.append(
            item(
                name,
                side,
                str(amount if side == "BUY" else -amount),
                target="0" if liquidate else "0.1",
            )
        )
        held = draw(quantities)
        if held > 0:
            positions[name] = str(held)
        bid, ask = draw(prices), draw(prices)
        quotes[name] = (str(min(bid, ask)), str(max(bid, ask)))
        if draw(st.booleans()):
            non_frac.append(name)
    cash = draw(st.decimals(min_value=Decimal(0), max_value=Decimal("100000"), places=2))
    loaded = load(plan_doc(*items))
    snap = snapshot(
        cash=str(cash), positions=positions, quotes=quotes, non_fractionable=tuple(non_frac)
    )
    config = Settings(
        max_order_pct_of_equity=Decimal("1"),
        buy_reserve_pct=draw(st.sampled_from([Decimal(0), Decimal("0.01")])),
    )
    return compute_preview(loaded.plan, loaded.digest, snap, config)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(scenarios())
def test_quantities_never_negative_and_sells_never_above_position(preview: Preview) -> None:
    for leg in preview.legs:
        if leg.order is not None:
            assert (leg.order.qty if leg.order.qty is not None else leg.order.notional) >= 0  # type: ignore[operator]
        if leg.est_qty is not None:
            assert leg.est_qty >= 0
    for leg in preview.sell:
        if leg.order is not None and leg.order.qty is not None:
            assert leg.order.qty <= leg.position_qty


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(scenarios())
def test_scaled_buys_never_exceed_available_funding(preview: Preview) -> None:
    ready_buys = [leg for leg in preview.buy if leg.status is PreviewStatus.READY]
    total = sum((leg.est_notional or Decimal(0) for leg in ready_buys), Decimal(0))
    assert total <= max(preview.funding.available_for_buys, Decimal(0))
    assert 0 <= preview.funding.scale <= 1


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(scenarios())
def test_notional_orders_are_whole_cents_and_qty_has_at_most_9_decimals(preview: Preview) -> None:
    for leg in preview.legs:
        if leg.order is None:
            continue
        if leg.order.notional is not None:
            assert leg.order.notional == leg.order.notional.quantize(CENT)
            assert leg.side is Side.BUY and leg.fractionable
        liquidation = "liquidation" in leg.notes  # sells the exact position, fractional or not
        if leg.order.qty is not None and not leg.fractionable and not liquidation:
            assert leg.order.qty == leg.order.qty.to_integral_value()
        if leg.order.qty is not None and "liquidation" not in leg.notes:
            assert leg.order.qty == leg.order.qty.quantize(Decimal("1E-9"))


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(scenarios())
def test_client_order_ids_are_unique_per_leg_and_deterministic(preview: Preview) -> None:
    ids = [leg.client_order_id for leg in preview.legs]
    assert len(ids) == len(set(ids))
    for leg in preview.legs:
        assert len(leg.client_order_id) <= 48
        assert leg.client_order_id == client_order_id(preview.plan_digest, 1, leg.side, leg.symbol)
        assert parse_client_order_id(leg.client_order_id) == (
            preview.plan_digest[:12],
            1,
            leg.side,
            leg.symbol,
        )


@given(
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    st.integers(1, 999),
    st.sampled_from(list(Side)),
    st.from_regex(r"[A-Z0-9.\-]{1,10}", fullmatch=True),
)
def test_client_order_id_shape(digest: str, attempt: int, side: Side, symbol: str) -> None:
    coid = client_order_id(digest, attempt, side, symbol)
    assert coid == f"pc-{digest[:12]}-{attempt}-{side.letter}-{symbol}" and len(coid) <= 48
