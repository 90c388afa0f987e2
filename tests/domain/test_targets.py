"""Targets CSV -> plan against the account (DESIGN §2.2)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from console.domain.config import Settings
from console.domain.errors import InputError
from console.domain.plan import Action
from console.domain.targets import build_targets_plan
from tests.domain.factories import snapshot

D = Decimal
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _snap() -> object:
    # equity = 1000 + 10 x 100 + 5 x 200 + 1 x 50 = 3050
    return snapshot(
        cash="1000",
        positions={"AAA": "10", "BBB": "5", "OLD": "1"},
        quotes={
            "AAA": ("99", "101"),
            "BBB": ("199", "201"),
            "OLD": ("50", "50"),
            "NEW": ("10", "10.2"),
        },
    )


def _build(csv: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return build_targets_plan("t.csv", csv.encode(), _snap(), Settings(), kwargs.get("now", NOW))  # type: ignore[arg-type]


def test_builds_items_from_weights_and_the_account() -> None:
    loaded = _build("symbol,target_weight\nAAA,0.5\nBBB,0.33\nNEW,0.1\n")
    items = {i.symbol: i for i in loaded.plan.items}
    investable = D("3050") * D("0.99")
    assert items["AAA"].target_value == D("0.5") * investable
    assert items["AAA"].trade_amount == (D("0.5") * investable - D("1000")).quantize(D("0.01"))
    assert items["AAA"].action is Action.BUY
    assert abs(items["AAA"].current_weight - D("1000") / D("3050")) < D("1E-25")
    # |trade| below 1% of equity (30.50): HOLD with amount 0
    assert items["BBB"].trade_amount == 0 and items["BBB"].action is Action.HOLD
    assert items["NEW"].action is Action.BUY and items["NEW"].priority == 3
    # held but missing from the file: always a SELL liquidation
    assert items["OLD"].action is Action.SELL and items["OLD"].target_weight == 0
    assert items["OLD"].trade_amount == D("-50.00")
    assert loaded.plan.plan_id.startswith("targets-") and loaded.kind == "targets"


def test_listed_zero_weight_is_a_liquidation_even_when_tiny() -> None:
    items = {i.symbol: i for i in _build("symbol,target_weight\nAAA,0.3\nOLD,0\n").plan.items}
    assert items["OLD"].action is Action.SELL and items["OLD"].target_weight == 0


def test_priority_tiers() -> None:
    from console.domain.targets import target_priority

    assert [target_priority(D(v)) for v in ("10000", "9999.99", "1000", "100", "50", "49.99")] == [
        1,
        2,
        2,
        3,
        4,
        5,
    ]


def test_digest_is_per_account_and_utc_day() -> None:
    csv = "symbol,target_weight\nAAA,0.5\n"
    same_day = _build(csv, now=datetime(2026, 11, 24, 23, 0, tzinfo=UTC))
    assert _build(csv).digest == same_day.digest
    assert _build(csv, now=datetime(2026, 11, 25, 1, 0, tzinfo=UTC)).digest != same_day.digest


def test_weights_summing_above_one_and_out_of_range() -> None:
    with pytest.raises(InputError) as info:
        _build("symbol,target_weight\nAAA,0.7\nBBB,0.4\n")
    assert "sum" in str(info.value) and str(info.value).startswith("t.csv: target_weight")
    with pytest.raises(InputError) as info:
        _build("symbol,target_weight\nAAA,1.2\n")
    assert "line 2.target_weight" in str(info.value)


def test_held_symbol_without_price_refuses_the_file() -> None:
    snap = snapshot(cash="10", positions={"GHOST": "2"}, quotes={"AAA": ("1", "1")})
    with pytest.raises(InputError) as info:
        build_targets_plan("t.csv", b"symbol,target_weight\nAAA,0.5\n", snap, Settings(), NOW)
    assert "GHOST" in str(info.value)
