"""Every sizing, funding and problem rule of DESIGN §3."""

from __future__ import annotations

from decimal import Decimal

from console.domain.config import Settings
from console.domain.orders import OrderSpec
from console.domain.preview import compute_preview, funding_scale
from console.domain.preview_model import Note, Preview, PreviewStatus, Reason
from tests.domain.factories import item, load, plan_doc, snapshot

D = Decimal


def preview(*items: dict, settings: Settings | None = None, **snap: object) -> Preview:
    loaded = load(plan_doc(*items))
    # The equity-share limit and the spread limit are lifted unless a test is about them: small
    # test accounts would trip the first, the tests' round-number quotes the second.
    chosen = settings or Settings(max_order_pct_of_equity=D("1"), max_spread_bps=D("100000"))
    return compute_preview(loaded.plan, loaded.digest, snapshot(**snap), chosen)  # type: ignore[arg-type]


# -- prices ---------------------------------------------------------------------------------


def test_mid_is_exact_and_leg_prices_use_the_right_side() -> None:
    snap = snapshot(
        quotes={"A": ("10.01", "10.02"), "B": (None, "5"), "C": ("4", "0"), "D": (None, None)}
    )
    assert snap.mid("A") == D("10.015")
    assert snap.mid("B") == D("5") and snap.mid("C") == D("4") and snap.mid("D") is None
    assert snap.leg_price("A", "sell") == D("10.01") and snap.leg_price("A", "buy") == D("10.02")
    assert snap.leg_price("B", "sell") == D("5") and snap.leg_price("C", "buy") == D("4")
    assert snap.leg_price("D", "buy") is None


def test_equity_counts_unpriced_positions_as_zero() -> None:
    snap = snapshot(cash="100", positions={"A": "2", "B": "5"}, quotes={"A": ("10", "12")})
    assert snap.equity() == D("122")


# -- sells ----------------------------------------------------------------------------------


def test_sell_sized_at_bid_rounded_down_to_9_decimals() -> None:
    p = preview(item("A", "SELL", "-100"), positions={"A": "50"}, quotes={"A": ("3", "3.1")})
    leg = p.sell[0]
    assert leg.status is PreviewStatus.READY and leg.price == D("3")
    assert leg.order == OrderSpec(qty=D("33.333333333"))
    assert leg.est_notional == D("100.00") and leg.est_qty == D("33.333333333")
    assert leg.client_order_id == f"pc-{p.plan_digest[:12]}-1-s-A"


def test_sell_non_fractionable_rounds_to_whole_shares() -> None:
    p = preview(
        item("A", "SELL", "-100"),
        positions={"A": "50"},
        quotes={"A": ("3", "3.1")},
        non_fractionable=("A",),
    )
    assert p.sell[0].order == OrderSpec(qty=D("33")) and p.sell[0].est_notional == D("99.00")


def test_sell_unknown_or_not_tradable_is_blocked_first() -> None:
    p = preview(
        item("A", "SELL", "-10"),
        item("B", "SELL", "-10"),
        positions={"B": "1"},
        quotes={"B": ("1", "1")},
        not_tradable=("B",),
        unknown=("A",),
    )
    assert [(leg.status, leg.reason) for leg in p.sell] == [
        (PreviewStatus.BLOCKED, Reason.NOT_TRADABLE)
    ] * 2
    assert p.sell[0].order is None and p.sell[0].est_qty is None and p.sell[0].est_notional is None


def test_sell_without_position_is_blocked() -> None:
    p = preview(item("A", "SELL", "-10"), quotes={"A": ("1", "1")})
    assert (p.sell[0].status, p.sell[0].reason) == (PreviewStatus.BLOCKED, Reason.NO_POSITION)


def test_liquidation_sells_the_exact_position_even_without_price() -> None:
    p = preview(
        item("A", "SELL", "-1", target="0"),
        item("B", "SELL", "-99999999", target="0"),
        positions={"A": "3.123456789123", "B": "1000000"},
        quotes={"B": ("500", "501")},
    )
    a, b = p.sell
    assert a.status is PreviewStatus.READY and a.order == OrderSpec(qty=D("3.123456789123"))
    assert a.est_notional is None and a.notes == (Note.LIQUIDATION, Note.NO_PRICE)
    # never blocked by risk limits nor skipped for size
    assert (
        b.status is PreviewStatus.READY
        and b.est_notional == D("500000000.00")
        and b.notes == (Note.LIQUIDATION,)
    )


def test_liquidation_of_tiny_position_is_not_skipped() -> None:
    p = preview(
        item("A", "SELL", "-0.01", target="0"),
        positions={"A": "0.000000001"},
        quotes={"A": ("5", "5")},
    )
    assert p.sell[0].status is PreviewStatus.READY and p.sell[0].est_notional == D("0.00")


def test_sell_without_price_is_blocked() -> None:
    p = preview(item("A", "SELL", "-10"), positions={"A": "1"}, quotes={"A": (None, "0")})
    assert (p.sell[0].status, p.sell[0].reason, p.sell[0].order) == (
        PreviewStatus.BLOCKED,
        Reason.NO_PRICE,
        None,
    )


def test_sell_capped_at_position() -> None:
    p = preview(item("A", "SELL", "-1000"), positions={"A": "2.5"}, quotes={"A": ("100", "101")})
    assert p.sell[0].order == OrderSpec(qty=D("2.5")) and p.sell[0].notes == (
        Note.CAPPED_AT_POSITION,
    )
    p = preview(
        item("A", "SELL", "-1000"),
        positions={"A": "2.5"},
        quotes={"A": ("100", "101")},
        non_fractionable=("A",),
    )
    assert p.sell[0].order == OrderSpec(qty=D("2")) and p.sell[0].notes == (
        Note.CAPPED_AT_POSITION,
    )


def test_sell_rounding_to_zero_is_skipped_with_qty_zero() -> None:
    p = preview(
        item("A", "SELL", "-50"),
        positions={"A": "5"},
        quotes={"A": ("100", "100")},
        non_fractionable=("A",),
    )
    leg = p.sell[0]
    assert (leg.status, leg.reason, leg.order) == (
        PreviewStatus.SKIPPED,
        Reason.ZERO_QTY,
        OrderSpec(qty=D("0")),
    )


def test_sell_below_min_notional_is_skipped() -> None:
    p = preview(item("A", "SELL", "-0.994"), positions={"A": "5"}, quotes={"A": ("1", "1")})
    assert (p.sell[0].status, p.sell[0].reason) == (
        PreviewStatus.SKIPPED,
        Reason.BELOW_MIN_NOTIONAL,
    )
    assert p.sell[0].est_notional == D("0.99")


def test_sell_risk_limits_are_strictly_greater() -> None:
    settings = Settings(max_order_notional=D("1000"), max_order_pct_of_equity=D("1"))
    at = preview(
        item("A", "SELL", "-1000"),
        positions={"A": "100"},
        quotes={"A": ("10", "10")},
        settings=settings,
        cash="0",
    )
    assert at.sell[0].status is PreviewStatus.READY
    over = preview(
        item("A", "SELL", "-1000.01"),
        positions={"A": "200"},
        quotes={"A": ("10", "10")},
        settings=settings,
        cash="0",
    )
    assert (over.sell[0].status, over.sell[0].reason) == (PreviewStatus.BLOCKED, Reason.RISK_LIMIT)
    assert over.sell[0].order is not None  # sized, then blocked


def test_risk_pct_uses_exact_equity() -> None:
    # equity = 0.01 + 4 x 1000 = 4000.01; 25% = 1000.0025 -> a 1000.00 order passes
    p = preview(
        item("A", "SELL", "-1000"),
        positions={"A": "4"},
        quotes={"A": ("1000", "1000")},
        cash="0.01",
        settings=Settings(),
    )
    assert p.sell[0].status is PreviewStatus.READY
    p = preview(
        item("A", "SELL", "-1000"),
        positions={"A": "4"},
        quotes={"A": ("1000", "1000")},
        cash="0",
        settings=Settings(max_order_pct_of_equity=D("0.2499")),
    )
    assert p.sell[0].reason is Reason.RISK_LIMIT


# -- buys -----------------------------------------------------------------------------------


def test_fractionable_buy_by_notional_rounded_down_to_cents() -> None:
    p = preview(item("A", "BUY", "100.999"), quotes={"A": ("2.9", "3")})
    leg = p.buy[0]
    assert leg.order == OrderSpec(notional=D("100.99")) and leg.price == D("3")
    assert leg.est_notional == D("100.99") and leg.est_qty == D("33.663333333")
    assert leg.client_order_id.endswith("-1-b-A")


def test_non_fractionable_buy_whole_shares() -> None:
    p = preview(item("A", "BUY", "1000"), quotes={"A": ("299", "300")}, non_fractionable=("A",))
    assert p.buy[0].order == OrderSpec(qty=D("3")) and p.buy[0].est_notional == D("900.00")


def test_buy_blocked_not_tradable_then_no_price() -> None:
    p = preview(
        item("A", "BUY", "10"),
        item("B", "BUY", "10"),
        item("C", "BUY", "10"),
        quotes={"A": ("1", "1"), "B": (None, None), "C": ("1", "1")},
        not_tradable=("A",),
        unknown=("C",),
    )
    assert [(leg.reason) for leg in p.buy] == [
        Reason.NOT_TRADABLE,
        Reason.NO_PRICE,
        Reason.NOT_TRADABLE,
    ]
    assert p.funding.planned_buys == 0 and p.funding.scale == 1


def test_buy_risk_limit_on_the_unscaled_amount() -> None:
    settings = Settings(max_order_notional=D("500"), max_order_pct_of_equity=D("1"))
    p = preview(
        item("A", "BUY", "600"),
        item("B", "BUY", "400"),
        quotes={"A": ("1", "1"), "B": ("1", "1")},
        cash="1000",
        settings=settings,
    )
    assert (p.buy[0].status, p.buy[0].reason, p.buy[0].order) == (
        PreviewStatus.BLOCKED,
        Reason.RISK_LIMIT,
        None,
    )
    # the blocked buy does not count in planned_buys
    assert p.funding.planned_buys == D("400")


def test_fractionable_buy_below_min_notional_shows_its_notional() -> None:
    p = preview(item("A", "BUY", "0.999"), quotes={"A": ("5", "5")})
    assert (p.buy[0].status, p.buy[0].reason, p.buy[0].order) == (
        PreviewStatus.SKIPPED,
        Reason.BELOW_MIN_NOTIONAL,
        OrderSpec(notional=D("0.99")),
    )
    p = preview(item("A", "BUY", "0.001"), quotes={"A": ("5", "5")})
    assert p.buy[0].order == OrderSpec(notional=D("0.00"))
    assert p.buy[0].order.to_json() == {"notional": "0.00"}


def test_non_fractionable_buy_zero_qty_and_below_min() -> None:
    p = preview(item("A", "BUY", "299"), quotes={"A": ("300", "300")}, non_fractionable=("A",))
    assert (p.buy[0].reason, p.buy[0].order) == (Reason.ZERO_QTY, OrderSpec(qty=D("0")))
    settings = Settings(min_notional=D("500"), max_order_pct_of_equity=D("1"))
    p = preview(
        item("A", "BUY", "400"),
        quotes={"A": ("300", "300")},
        non_fractionable=("A",),
        settings=settings,
    )
    assert (p.buy[0].status, p.buy[0].reason) == (PreviewStatus.SKIPPED, Reason.BELOW_MIN_NOTIONAL)


# -- funding --------------------------------------------------------------------------------


def test_funding_waterfall_and_scale() -> None:
    settings = Settings(buy_reserve_pct=D("0.01"), max_order_pct_of_equity=D("1"))
    p = preview(
        item("S", "SELL", "-500"),
        item("X", "SELL", "-1", target="0"),
        item("A", "BUY", "1000"),
        item("B", "BUY", "1000"),
        cash="300",
        buying_power="300",
        positions={"S": "100", "X": "1"},
        quotes={"S": ("10", "10.1"), "A": ("1", "1"), "B": ("1", "1")},
        settings=settings,
    )
    f = p.funding
    equity = D("300") + D("100") * D("10.05")
    assert f.expected_sell_proceeds == D("500.00")  # X has no price: counts 0
    assert f.reserve == (equity * D("0.01")).quantize(D("0.01"))
    assert f.available_for_buys == D("300") + D("500.00") - f.reserve
    assert f.planned_buys == D("2000")
    assert f.scale == (f.available_for_buys / D("2000")).quantize(
        D("0.000001"), rounding="ROUND_DOWN"
    )
    assert p.buy[0].order == OrderSpec(
        notional=(D("1000") * f.scale).quantize(D("0.01"), rounding="ROUND_DOWN")
    )
    assert p.buy[0].scaled_amount == D("1000") * f.scale
    assert [pr.code for pr in p.problems if pr.symbol is None] == [Reason.BUYS_SCALED]


def test_scale_rules() -> None:
    assert funding_scale(D("5"), D("0")) == 1
    assert funding_scale(D("0"), D("10")) == 0
    assert funding_scale(D("-5"), D("10")) == 0
    assert funding_scale(D("20"), D("10")) == 1
    assert funding_scale(D("2"), D("3")) == D("0.666666")


def test_zero_available_skips_every_buy() -> None:
    p = preview(
        item("A", "BUY", "100"),
        item("B", "BUY", "100"),
        cash="0",
        positions={"P": "100"},
        quotes={"A": ("1", "1"), "B": ("50", "50"), "P": ("10", "10")},
        non_fractionable=("B",),
    )
    assert p.funding.scale == 0
    assert [leg.reason for leg in p.buy] == [Reason.BELOW_MIN_NOTIONAL, Reason.ZERO_QTY]


def test_market_closed_warning_and_problem_per_leg() -> None:
    p = preview(
        item("A", "BUY", "0.5"), item("H", "HOLD", "0"), quotes={"A": ("1", "1")}, market_open=False
    )
    assert [(pr.code, pr.symbol) for pr in p.problems] == [
        (Reason.MARKET_CLOSED, None),
        (Reason.BELOW_MIN_NOTIONAL, "A"),
    ]
    assert p.holds == ("H",)


def test_legs_keep_plan_order_within_each_phase() -> None:
    p = preview(
        item("Z", "BUY", "5"),
        item("B", "SELL", "-5"),
        item("A", "BUY", "5"),
        item("Y", "SELL", "-5"),
        positions={"B": "10", "Y": "10"},
        quotes={s: ("1", "1") for s in "ZBAY"},
    )
    assert [leg.symbol for leg in p.sell] == ["B", "Y"] and [leg.symbol for leg in p.buy] == [
        "Z",
        "A",
    ]


def test_preview_digest_binds_prices_and_account() -> None:
    a = preview(item("A", "BUY", "10"), quotes={"A": ("1", "1")})
    b = preview(item("A", "BUY", "10"), quotes={"A": ("1", "1")})
    c = preview(item("A", "BUY", "10"), quotes={"A": ("1", "1.01")})
    assert a.preview_digest == b.preview_digest != c.preview_digest


def test_attempt_changes_client_order_ids() -> None:
    loaded = load(plan_doc(item("A", "BUY", "10")))
    snap = snapshot(quotes={"A": ("1", "1")})
    one = compute_preview(loaded.plan, loaded.digest, snap, Settings(), 1)
    two = compute_preview(loaded.plan, loaded.digest, snap, Settings(), 2)
    assert one.buy[0].client_order_id.replace("-1-b-", "-2-b-") == two.buy[0].client_order_id
