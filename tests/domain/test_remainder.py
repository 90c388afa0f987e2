"""build_remainder: the targets rule on a plan's own weights against the account now (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from console.domain.config import Settings
from console.domain.plan import Action, parse_plan_bytes
from console.domain.remainder import build_remainder, plan_json_bytes, remainder_plan_id
from tests.domain.factories import item, load, plan_doc, snapshot

D = Decimal
NOW = datetime(2026, 11, 24, 15, 7, 59, tzinfo=UTC)


def _plan():  # type: ignore[no-untyped-def]
    return load(
        plan_doc(
            item("AAA", "SELL", "-500", target="0.2"),
            item("BBB", "BUY", "500", target="0.5"),
            item("OLD", "SELL", "-50", target="0"),
            item("GONE", "SELL", "-50", target="0"),
        )
    )


def test_remainder_sizes_the_plans_weights_against_the_account_now() -> None:
    # equity = 1000 + 10 x 100 + 5 x 100 + 1 x 50 + 20 x 10 (OUT, outside the plan) = 2750
    snap = snapshot(
        cash="1000",
        positions={"AAA": "10", "BBB": "5", "OLD": "1", "OUT": "20"},
        quotes={"AAA": ("100", "100"), "BBB": ("100", "100"), "OLD": ("50", "50"),
                "OUT": ("10", "10"), "GONE": ("5", "5")},
    )  # fmt: skip
    rem = build_remainder(_plan(), snap, Settings(), NOW)
    plan = rem.plan
    assert plan.plan_id == "plan-test-rem-20261124T1507" == remainder_plan_id("plan-test", NOW)
    items = {i.symbol: i for i in plan.items}
    assert list(items) == ["AAA", "BBB", "OLD", "GONE"]  # OUT is left alone
    investable = D(2750) * D("0.99")
    assert items["AAA"].trade_amount == (D("0.2") * investable - 1000).quantize(D("0.01"))
    assert items["AAA"].action is Action.SELL
    assert items["BBB"].trade_amount == (D("0.5") * investable - 500).quantize(D("0.01"))
    assert items["OLD"].action is Action.SELL and items["OLD"].trade_amount == D("-50.00")
    assert items["GONE"].action is Action.HOLD and items["GONE"].trade_amount == 0  # not held
    assert plan.total_portfolio_value == D(2750)
    assert plan.correlation_id == "corr-1" and plan.causation_id == f"remainder-of:{_plan().digest}"
    # written and read back, it is the same plan with the same digest
    again = parse_plan_bytes("rem.json", plan_json_bytes(plan))
    assert again.plan == plan and again.digest == rem.digest != _plan().digest
    assert b'"trade_amount": "-' in plan_json_bytes(plan)  # decimals as strings


def test_small_differences_are_holds() -> None:
    snap = snapshot(
        cash="0", positions={"AAA": "5.5", "BBB": "13.5"},
        quotes={"AAA": ("100", "100"), "BBB": ("100", "100")},
    )  # fmt: skip
    plan = load(
        plan_doc(item("AAA", "BUY", "1", target="0.3"), item("BBB", "SELL", "-1", target="0.7"))
    )
    items = {i.symbol: i for i in build_remainder(plan, snap, Settings(), NOW).plan.items}
    # AAA: 0.3 x 1881 - 550 = 14.30, below 1% of equity (19): a hold
    assert items["AAA"].action is Action.HOLD and items["AAA"].trade_amount == 0
