"""Plain-text and JSON renderings of previews and run states (formatting only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from console.domain.columns import PREVIEW_LEGS, RUN_LEGS
from console.domain.formatting import hours_minutes, money
from console.domain.money import cents_half_up, plain_str
from console.domain.preview_model import Leg, Preview
from console.domain.runstate import RunState


def _d(value: Decimal | None) -> str | None:
    return plain_str(value) if value is not None else None


def _cents(value: Decimal) -> str:
    return plain_str(cents_half_up(value))


def preview_leg_json(leg: Leg) -> dict[str, Any]:
    """A leg in the `preview --format json` shape."""
    return {
        "symbol": leg.symbol,
        "side": leg.side.value,
        "planned_amount": plain_str(leg.planned_amount),
        "scaled_amount": plain_str(leg.scaled_amount),
        "price": _d(leg.price),
        "order": leg.order.to_json() if leg.order is not None else None,
        "est_qty": _d(leg.est_qty),
        "est_notional": _d(leg.est_notional),
        "status": leg.status.value,
        "reason": leg.reason.value if leg.reason is not None else None,
        "notes": [note.value for note in leg.notes],
        "client_order_id": leg.client_order_id,
    }


def preview_json(preview: Preview) -> dict[str, Any]:
    """The `preview --format json` object of DESIGN §6."""
    account = preview.account
    funding = preview.funding
    return {
        "plan_id": preview.plan_id,
        "plan_digest": preview.plan_digest,
        "preview_digest": preview.preview_digest,
        "account": {
            "equity": _cents(preview.equity),
            "cash": _cents(account.cash),
            "buying_power": _cents(account.buying_power),
        },
        "sell": [preview_leg_json(leg) for leg in preview.sell],
        "buy": [preview_leg_json(leg) for leg in preview.buy],
        "holds": list(preview.holds),
        "funding": {
            "buying_power": plain_str(funding.buying_power),
            "cash": _d(funding.cash),
            "spendable": _d(funding.spendable),
            "expected_sell_proceeds": plain_str(funding.expected_sell_proceeds),
            "reserve": plain_str(funding.reserve),
            "available_for_buys": plain_str(funding.available_for_buys),
            "planned_buys": plain_str(funding.planned_buys),
            "scale": plain_str(funding.scale),
        },
        "problems": [
            {"code": p.code.value, "symbol": p.symbol, "message": p.message}
            for p in preview.problems
        ],
    }


def clock_text(preview: Preview) -> str:
    """' (closes in 2 h 5 min)' or ' (opens in 14 h 0 min)' from the preview's market clock."""
    clock = preview.account.clock
    if clock is None:
        return ""
    to_close, to_open = clock.minutes_to_close(), clock.minutes_to_open()
    if to_close is not None:
        return f" (closes in {hours_minutes(to_close)})"
    if to_open is not None:
        return f" (opens in {hours_minutes(to_open)})"
    return ""


def _funded_by(preview: Preview) -> str:
    funding = preview.funding
    if funding.funded_by() == "cash":
        return "   (cash: never borrowed)"
    if funding.cash is not None and funding.buying_power < funding.cash:
        return "   (buying power, below cash)"
    return "   (buying power: allow_margin)"


def preview_table(preview: Preview) -> str:
    """A preview readable in a 100-column terminal."""
    funding = preview.funding
    out = [
        f"Plan {preview.plan_id}   attempt {preview.attempt}   "
        f"preview {preview.preview_digest[:12]}",
        f"Account {preview.account.account_id} ({preview.account.broker} {preview.account.mode})",
        f"Equity {money(preview.equity)}   cash {money(preview.account.cash)}   "
        f"buying power {money(preview.account.buying_power)}   "
        f"market {'open' if preview.account.market_open else 'CLOSED'}"
        + clock_text(preview)
        + (f"   quotes: {preview.account.quote_feed}" if preview.account.quote_feed else ""),
    ]
    for title, legs in (("SELL PHASE", preview.sell), ("BUY PHASE", preview.buy)):
        out += ["", f"{title} ({len(legs)} legs)"]
        out += PREVIEW_LEGS.terminal_lines(legs) if legs else ["(none)"]
    out += ["", "HOLDS: " + (", ".join(preview.holds) if preview.holds else "(none)"), ""]
    out += [
        "FUNDING",
        f"  cash                    {money(funding.cash):>16}",
        f"  buying power            {money(funding.buying_power):>16}",
        f"  spendable               {money(funding.spendable):>16}" + _funded_by(preview),
        f"+ expected sell proceeds  {money(funding.expected_sell_proceeds):>16}",
        f"- reserve                 {money(funding.reserve):>16}",
        f"= available for buys      {money(funding.available_for_buys):>16}",
        f"  planned buys            {money(funding.planned_buys):>16}",
        f"  scale                   {plain_str(funding.scale):>16}",
    ]
    if preview.problems:
        out += ["", "PROBLEMS"]
        out += [
            f"  {p.code.value:<26} {p.symbol or '-':<8} {p.message}"[:100] for p in preview.problems
        ]
    out += ["", f"Client order ids: pc-{preview.plan_digest[:12]}-{preview.attempt}-<s|b>-<SYMBOL>"]
    return "\n".join(out)


def run_table(state: RunState, *, header: str = "", status: str | None = None) -> str:
    """A run's legs and totals, readable in a 100-column terminal (`status` as reported)."""
    out = [header] if header else []
    out.append(
        f"Run {state.run_id}   plan {state.plan_id}   attempt {state.attempt}   "
        f"status {(status or state.status).upper()}"
    )
    out += RUN_LEGS.terminal_lines(state.legs)
    out += [
        "",
        f"Sell proceeds {money(state.sell_proceeds)}   Buy spent {money(state.buy_spent)}",
    ]
    recomputed = state.recomputed
    if recomputed is not None and recomputed.scale != recomputed.approved_scale:
        out.append(
            f"Buys re-scaled from actual proceeds: scale {plain_str(recomputed.approved_scale)} -> "
            f"{plain_str(recomputed.scale)} (available {money(recomputed.available_for_buys)})"
        )
    if state.halted_reason:
        out.append(f"Halted: {state.halted_reason}")
    return "\n".join(out)
