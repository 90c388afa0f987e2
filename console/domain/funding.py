"""Between-phase funding: rescale the buys from actual sell fills (DESIGN §4)."""

from __future__ import annotations

from decimal import Decimal

from console.domain.events import FundingRecomputed, LegResized
from console.domain.money import ONE, add, mul, sub
from console.domain.orders import Side
from console.domain.preview import funding_scale, size_buy_amount, spendable_amount
from console.domain.runstate import RunState

REAPPROVAL_TOLERANCE = Decimal("0.005")


def approved_scale(state: RunState) -> Decimal:
    """The buy scale the operator last approved."""
    return state.approvals[-1].scale if state.approvals else state.funding.scale


def recompute_funding(
    state: RunState,
    *,
    cash_now: Decimal,
    buying_power_now: Decimal,
    allow_margin: bool,
    min_notional: Decimal,
) -> FundingRecomputed:
    """Fund the buys from actual proceeds and what the account may spend now; never scale up.

    available = min(spendable now, spendable at preview + actual sell proceeds) - reserve, where
    spendable is min(cash, buying power) (buying power only with allow_margin): the broker's
    figure is trusted only as far as our own fills explain it, and margin is never borrowed.
    """
    funding = state.funding
    proceeds = state.sell_proceeds
    spendable_before = funding.spendable if funding.spendable is not None else funding.buying_power
    spendable_now = spendable_amount(cash_now, buying_power_now, allow_margin)
    ceiling = add(spendable_before, proceeds)
    available = sub(min(spendable_now, ceiling), funding.reserve)
    approved = approved_scale(state)
    scale = min(approved, funding_scale(available, funding.planned_buys))
    resized: list[LegResized] = []
    for leg in state.legs:
        if leg.side is not Side.BUY or leg.status in ("skipped", "blocked") or leg.intent:
            continue
        if leg.order is None or leg.price is None:
            continue
        fractionable = leg.order.notional is not None
        amount = mul(leg.planned_amount, scale)
        order, est_qty, est_notional, reason = size_buy_amount(
            amount, leg.price, fractionable, min_notional
        )
        resized.append(
            LegResized(
                client_order_id=leg.client_order_id,
                scaled_amount=amount,
                order=order,
                est_qty=est_qty,
                est_notional=est_notional,
                skipped_reason=reason,
            )
        )
    return FundingRecomputed(
        sell_proceeds=proceeds,
        buying_power_before=funding.buying_power,
        buying_power_now=buying_power_now,
        cash_now=cash_now,
        spendable_now=spendable_now,
        reserve=funding.reserve,
        available_for_buys=available,
        planned_buys=funding.planned_buys,
        approved_scale=approved,
        scale=scale,
        needs_reapproval=scale < mul(approved, sub(ONE, REAPPROVAL_TOLERANCE)),
        legs=tuple(resized),
    )
