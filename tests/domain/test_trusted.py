"""Frozen.trusted: the unvalidated hot-path build equals the validated one, field for field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from console.domain.config import Settings
from console.domain.market import AccountSnapshot, Asset, OpenOrder, Quote, verify_trusted_builds
from console.domain.orders import OrderSpec
from console.domain.plan import parse_plan_bytes
from console.domain.preview import compute_preview
from console.domain.preview_model import Leg, Preview
from tests.domain.factories import item, plan_doc

D = Decimal
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture
def unverified() -> Iterator[None]:
    """Build as production does: `trusted` without validation (the suite validates it)."""
    verify_trusted_builds(False)
    try:
        yield
    finally:
        verify_trusted_builds(True)


def _every_branch() -> tuple[bytes, AccountSnapshot]:
    """A plan and account reaching every sizing branch (blocked, liquidation, capped, ...)."""
    items, positions, quotes, assets = [], {}, {}, {}
    for i in range(120):
        symbol = f"S{i:03d}"
        kind = i % 12
        price = D(5 + i) + D(i % 7) / 8
        quotes[symbol] = Quote(
            bid=None if kind == 1 else price,
            ask=None if kind == 1 else price + (D("0.9") if kind == 2 else D("0.01")),
            timestamp=NOW - timedelta(seconds=600 if kind == 3 else 2),
        )
        if kind != 4:
            assets[symbol] = Asset(symbol=symbol, fractionable=i % 5 != 0, tradable=kind != 5)
        if kind < 7:
            positions[symbol] = D(3 + i % 9) if kind != 6 else D(0)
            target = "0" if (i // 12) % 2 else "0.001"
            items.append(item(symbol, "SELL", f"-{D(40 + i * 7)}.37", target=target))
        elif kind < 11:
            amount = "0.4" if kind == 8 else f"{D(200 + i * 90)}.5"
            items.append(item(symbol, "BUY", amount, target="0.002"))
        else:
            items.append(item(symbol, "HOLD", "0", target="0.001"))
    snap = AccountSnapshot(
        account_id="ACC-T",
        broker="sim",
        mode="SIM",
        cash=D("4000"),
        buying_power=D("9000"),
        positions=positions,
        quotes=quotes,
        assets=assets,
        market_open=True,
        as_of=NOW,
        open_orders=(
            OpenOrder(client_order_id="x-1", broker_order_id="b-1", symbol="S019", side="buy"),
        ),
    )
    return json.dumps(plan_doc(*items)).encode(), snap


def test_a_trusted_build_equals_the_validated_one(unverified: None) -> None:
    values = {"qty": D("1.5"), "notional": None}
    fast, checked = OrderSpec.trusted(dict(values)), OrderSpec.model_validate(values)
    assert fast == checked and hash(fast) == hash(checked)
    assert fast.model_dump() == checked.model_dump()
    assert fast.model_fields_set == checked.model_fields_set


def test_trusted_builds_share_a_set_no_copy_can_grow(unverified: None) -> None:
    first = OrderSpec.trusted({"qty": D(1), "notional": None})
    second = OrderSpec.trusted({"qty": D(2), "notional": None})
    copied = first.model_copy(update={"qty": D(3)})
    assert copied.qty == D(3) and first.qty == D(1)
    assert first.model_fields_set == second.model_fields_set == {"qty", "notional"}
    with pytest.raises(ValidationError):
        first.qty = D(9)  # type: ignore[misc]


def test_verified_builds_refuse_a_missing_field_or_a_wrong_type() -> None:
    # verified: the suite's default (tests/conftest.py)
    with pytest.raises(TypeError, match="needs every field"):
        OrderSpec.trusted({"qty": D(1)})
    with pytest.raises(ValidationError):
        OrderSpec.trusted({"qty": 1.5, "notional": None})


def test_a_preview_built_unverified_equals_the_validated_preview(unverified: None) -> None:
    data, snap = _every_branch()
    settings = Settings(max_order_notional=D("3000"))
    fast_plan = parse_plan_bytes("p.json", data)
    fast = compute_preview(fast_plan.plan, fast_plan.digest, snap, settings)
    verify_trusted_builds(True)
    checked_plan = parse_plan_bytes("p.json", data)
    checked = compute_preview(checked_plan.plan, checked_plan.digest, snap, settings)
    assert fast_plan == checked_plan
    assert fast == checked and fast.model_dump() == checked.model_dump()
    # every branch was reached, so every trusted build path was compared
    reasons = {leg.reason for leg in fast.legs}
    assert {"not_tradable", "no_position", "no_price", "stale_quote", "wide_spread"} <= reasons
    assert {"open_order", "risk_limit", "below_min_notional"} <= reasons
    notes = {note for leg in fast.legs for note in leg.notes}
    assert {"liquidation", "capped_at_position", "no_price", "stale_quote", "wide_spread"} <= notes
    # and each leg survives validation from its own fields
    for leg in fast.legs:
        assert Leg.model_validate(dict(leg)) == leg
    assert Preview.model_validate(dict(fast)) == fast
