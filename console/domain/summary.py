"""The end-of-run summary: planned vs filled per leg, slippage, totals and residual drift (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from console.domain.market import AccountSnapshot
from console.domain.money import ZERO, add, cents_half_up, div, mul, sub
from console.domain.orders import Side
from console.domain.preview_model import Leg, PreviewStatus
from console.domain.runstate import LegState, RunState


@dataclass(frozen=True)
class SummaryRow:
    """One leg: what was planned and previewed against what actually filled."""

    client_order_id: str
    symbol: str
    side: Side
    status: str
    reason: str | None
    planned_amount: Decimal  # the approved amount, always
    scaled_amount: Decimal  # after the between-phase funding (buys); = planned for sells
    planned_qty: Decimal | None  # as sized (after funding)
    planned_notional: Decimal | None
    preview_price: Decimal | None
    filled_qty: Decimal
    avg_price: Decimal | None
    filled_notional: Decimal
    slippage: Decimal | None  # fraction of the preview price; positive = worse for us
    slippage_cost: Decimal | None  # money lost (+) or gained (-) against the preview price
    target_weight: Decimal
    weight_after: Decimal | None
    drift: Decimal | None  # weight after the run - target weight


@dataclass(frozen=True)
class RunSummary:
    """Every leg's row and the run's totals."""

    run_id: str
    plan_id: str
    status: str
    halted_reason: str | None
    rows: tuple[SummaryRow, ...]
    sell_proceeds: Decimal
    buy_spent: Decimal
    planned_sells: Decimal
    planned_buys: Decimal
    slippage_cost: Decimal
    submitted: int
    filled: int  # filled in full
    partly_filled: int  # some quantity filled, then canceled/expired/still open
    equity_after: Decimal | None
    max_abs_drift: Decimal | None


def leg_slippage(leg: LegState) -> tuple[Decimal | None, Decimal | None]:
    """(fraction, money) of the average fill against the preview price; + is worse for us."""
    if leg.price is None or leg.price == 0 or leg.filled_avg_price is None or leg.filled_qty == 0:
        return None, None
    diff = sub(leg.filled_avg_price, leg.price)
    if leg.side is Side.SELL:
        diff = -diff
    return div(diff, leg.price), cents_half_up(mul(diff, leg.filled_qty))


def weights_after(snapshot: AccountSnapshot) -> tuple[Decimal, dict[str, Decimal]]:
    """(equity, weight by symbol) of an account snapshot taken after the run."""
    equity = snapshot.equity()
    weights: dict[str, Decimal] = {}
    if equity == 0:
        return equity, weights
    for symbol, held in snapshot.positions.items():
        mid = snapshot.mid(symbol)
        if mid is not None:
            weights[symbol] = div(mul(held, mid), equity)
    return equity, weights


def compute_summary(state: RunState, after: AccountSnapshot | None = None) -> RunSummary:
    """Summarise a folded run; `after` (a fresh snapshot) gives the residual drift."""
    equity_after: Decimal | None = None
    weights: dict[str, Decimal] = {}
    if after is not None:
        equity_after, weights = weights_after(after)
    rows: list[SummaryRow] = []
    for leg in state.legs:
        fraction, cost = leg_slippage(leg)
        weight = weights.get(leg.symbol, ZERO) if after is not None else None
        rows.append(
            SummaryRow(
                client_order_id=leg.client_order_id,
                symbol=leg.symbol,
                side=leg.side,
                status=leg.status,
                reason=leg.reason,
                planned_amount=leg.planned_amount,
                scaled_amount=leg.scaled_amount,
                planned_qty=leg.est_qty,
                planned_notional=leg.est_notional,
                preview_price=leg.price,
                filled_qty=leg.filled_qty,
                avg_price=leg.filled_avg_price,
                filled_notional=leg.filled_notional,
                slippage=fraction,
                slippage_cost=cost,
                target_weight=leg.target_weight,
                weight_after=weight,
                drift=sub(weight, leg.target_weight) if weight is not None else None,
            )
        )
    sent = [leg for leg in state.legs if leg.intent]
    drifts = [abs(row.drift) for row in rows if row.drift is not None]
    return RunSummary(
        run_id=state.run_id,
        plan_id=state.plan_id,
        status=state.status,
        halted_reason=state.halted_reason,
        rows=tuple(rows),
        sell_proceeds=state.sell_proceeds,
        buy_spent=state.buy_spent,
        planned_sells=_planned(state, Side.SELL),
        planned_buys=_planned(state, Side.BUY),
        slippage_cost=cents_half_up(add(*(row.slippage_cost or ZERO for row in rows))),
        submitted=len(sent),
        filled=sum(1 for leg in sent if leg.status == "filled"),
        partly_filled=sum(1 for leg in sent if leg.filled_qty > 0 and leg.status != "filled"),
        equity_after=equity_after,
        max_abs_drift=max(drifts) if drifts else None,
    )


def planned_notional(leg: LegState) -> Decimal:
    """A leg's expected notional (est_notional; the scaled amount when it has none)."""
    return leg.est_notional if leg.est_notional is not None else leg.scaled_amount


def _planned(state: RunState, side: Side) -> Decimal:
    return phase_progress(state, side)[1]


def phase_progress(state: RunState, side: Side) -> tuple[Decimal, Decimal]:
    """(filled notional, planned notional) of one phase, for its progress bar."""
    legs = [
        leg
        for leg in state.legs
        if leg.side is side and (leg.intent or leg.status not in ("skipped", "blocked"))
    ]
    filled = cents_half_up(add(*(leg.filled_notional for leg in legs)))
    planned = cents_half_up(add(*(planned_notional(leg) for leg in legs)))
    return filled, planned


def approved_planned(legs: Sequence[Leg], side: Side) -> Decimal:
    """The approved estimate of one phase: est_notional of its ready legs, half-up to cents.

    This is what "planned" means on the live console and in replay (progress and summary).
    """
    return cents_half_up(
        add(
            ZERO,
            *(
                leg.est_notional or ZERO
                for leg in legs
                if leg.side is side and leg.status is PreviewStatus.READY
            ),
        )
    )
