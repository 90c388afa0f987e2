"""Reason codes in plain words with their numbers (the code itself goes in a tooltip; pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from console.domain.config import Settings
from console.domain.events import RecordedEvent, RunStarted
from console.domain.formatting import qty_text
from console.domain.market import Frozen
from console.domain.orders import OrderStatus, Side
from console.domain.preview_model import Leg, Note, Preview, Problem, Reason
from console.domain.runstate import Incident, LegState, RunState

_CENT = Decimal("0.01")
_DEFAULTS = Settings()

PHASE_TIMEOUT = "phase_timeout"
HALT = "halt"
PARTIAL_CANCELED = "partial_canceled"
BROKER_REFUSED = "broker_refused"


def usd(value: Decimal | None) -> str:
    """$1,234.50 (half-up cents); '—' when unknown."""
    if value is None:
        return "—"
    shown = value.quantize(_CENT, rounding=ROUND_HALF_UP)
    return f"−${-shown:,.2f}" if shown < 0 else f"${shown:,.2f}"


def age(seconds: Decimal | None) -> str:
    """How old: '45 s', '10 min', '2 h 5 min'."""
    if seconds is None:
        return "of unknown age"
    total = int(seconds)
    if total < 120:
        return f"{total} s"
    minutes = total // 60
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 120 else f"{minutes} min"


def _limit_seconds(value: Decimal) -> str:
    return f"{qty_text(value)} s"


def _bps(value: Decimal | None) -> str:
    return "unknown" if value is None else f"{value.quantize(Decimal(1), ROUND_HALF_UP)} bps"


def _whole_shares(leg: Leg) -> str | None:
    if leg.fractionable or leg.order is None or leg.order.qty is None or leg.side is Side.SELL:
        return None
    return f"whole shares only: {qty_text(leg.order.qty)} sh = {usd(leg.est_notional)}"


def leg_reason_text(leg: Leg, settings: Settings = _DEFAULTS) -> str | None:
    """Why a preview leg is skipped or blocked, in plain words with its numbers (None: ready)."""
    code = leg.reason
    if code is None:
        return None
    amount = leg.scaled_amount
    if code is Reason.BELOW_MIN_NOTIONAL:
        return f"below the {usd(settings.min_notional)} minimum order ({usd(amount)})"
    if code is Reason.ZERO_QTY:
        price = f" at {usd(leg.price)}" if leg.price is not None else ""
        if not leg.fractionable:
            return f"whole shares only: {usd(amount)} buys 0 sh{price}"
        return f"{usd(amount)} rounds to 0 shares{price}"
    if code is Reason.STALE_QUOTE:
        return _quote_age_text(leg, settings)
    if code is Reason.WIDE_SPREAD:
        return _spread_text(leg, settings)
    if code is Reason.OPEN_ORDER:
        return f"an order placed outside this plan is working on {leg.symbol}"
    if code is Reason.RISK_LIMIT:
        pct = (settings.max_order_pct_of_equity * 100).normalize()
        return (
            f"{usd(leg.est_notional or amount)} is above the per-order limit "
            f"({usd(settings.max_order_notional)} or {pct:f} % of equity)"
        )
    if code is Reason.NO_POSITION:
        return f"no {leg.symbol} shares are held to sell"
    return code_text(code.value, leg.symbol)


def note_text(note: Note, leg: Leg, settings: Settings = _DEFAULTS) -> str:
    """A preview leg's note in plain words with its numbers."""
    if note is Note.CAPPED_AT_POSITION:
        return f"capped at the {qty_text(leg.position_qty)} shares held"
    if note is Note.LIQUIDATION:
        return f"sells every {leg.symbol} share held (target weight 0)"
    if note is Note.STALE_QUOTE:
        return _quote_age_text(leg, settings)
    if note is Note.WIDE_SPREAD:
        return _spread_text(leg, settings)
    return code_text(note.value, leg.symbol)


def _quote_age_text(leg: Leg, settings: Settings) -> str:
    limit = _limit_seconds(settings.max_quote_age_seconds)
    return f"quote {age(leg.quote_age_seconds)} old (limit {limit})"


def _spread_text(leg: Leg, settings: Settings) -> str:
    return f"spread {_bps(leg.spread_bps)} (limit {qty_text(settings.max_spread_bps)})"


def leg_notes_text(leg: Leg, settings: Settings = _DEFAULTS) -> str:
    """Every note of a preview leg (and a whole-share rounding) in plain words, '; '-separated."""
    parts = [note_text(note, leg, settings) for note in leg.notes]
    whole = _whole_shares(leg)
    if whole is not None and leg.reason is None:
        parts.append(whole)
    return "; ".join(parts)


def leg_codes(leg: Leg) -> str:
    """The codes behind a preview leg's reason and notes (the tooltip)."""
    codes = ([leg.reason.value] if leg.reason is not None else []) + [n.value for n in leg.notes]
    return ", ".join(codes)


_CODES: dict[str, str] = {
    "not_tradable": "the broker does not trade {symbol}",
    "no_position": "no {symbol} shares are held to sell",
    "no_price": "no quote for {symbol}: the order cannot be sized",
    "zero_qty_after_rounding": "the amount rounds to 0 shares",
    "below_min_notional": "below the minimum order",
    "risk_limit": "above the per-order risk limit",
    "stale_quote": "the quote is too old",
    "wide_spread": "the bid-ask spread is too wide",
    "open_order": "an order placed outside this plan is working on {symbol}",
    "market_closed": "the market is closed",
    "near_close": "too close to the market close",
    "account_blocked": "the account cannot trade",
    "buys_scaled": "every buy is scaled down to the funding",
    "liquidation": "sells every {symbol} share held (target weight 0)",
    "capped_at_position": "capped at the shares held",
    "no_price_note": "no quote",
    PHASE_TIMEOUT: "canceled at the phase timeout",
    HALT: "canceled by halt",
    "halted": "not sent: the run was halted",
    "not_submitted": "not sent: the run ended before it",
    PARTIAL_CANCELED: "partially filled, rest canceled by the broker",
    "unknown": "outcome unknown: look the order up at the broker",
    "rejected": "refused by the broker",
    "reapproval": "the buy phase needed re-approval",
    "stream_silent": "the order stream went silent",
    "stream_dropped": "the order stream dropped",
}


def code_text(code: str, symbol: str | None = None) -> str:
    """A reason code in plain words (unknown codes are shown as they are)."""
    template = _CODES.get(code)
    if template is None:
        return code.replace("_", " ")
    return template.format(symbol=symbol or "this symbol")


def outcome_code(status: str, reason: str | None, filled_qty: Decimal) -> str | None:
    """The code behind an order's outcome: its reason, or partial_canceled (None: filled)."""
    if status == OrderStatus.FILLED.value:
        return None
    if status == OrderStatus.REJECTED.value:
        return BROKER_REFUSED
    if status == OrderStatus.CANCELED.value and reason is None:
        return PARTIAL_CANCELED if filled_qty > 0 else "canceled"
    return reason


def outcome_text(
    status: str,
    reason: str | None,
    filled_qty: Decimal,
    filled_notional: Decimal,
    *,
    symbol: str,
    amount: Decimal | None = None,
    settings: Settings = _DEFAULTS,
) -> str | None:
    """Why an order did not fill in full, in plain words (None for a filled or working one)."""
    if status == OrderStatus.FILLED.value:
        return None
    filled = f" after {qty_text(filled_qty)} sh filled" if filled_qty > 0 else ""
    if status == OrderStatus.REJECTED.value:
        return "refused by the broker" + (f": {reason}" if reason else "")
    if status in (OrderStatus.CANCELED.value, OrderStatus.EXPIRED.value):
        if reason == PHASE_TIMEOUT:
            return f"canceled at the phase timeout{filled}"
        if reason == HALT:
            return f"canceled by halt{filled}"
        if reason is None and filled_qty > 0:
            return (
                f"partially filled ({qty_text(filled_qty)} sh, {usd(filled_notional)}), "
                "rest canceled by the broker"
            )
        if reason is None:
            return f"{status} by the broker, nothing filled"
        return f"{status}: {reason}{filled}"
    if status in ("skipped", "blocked") and reason is not None:
        if reason == Reason.BELOW_MIN_NOTIONAL.value and amount is not None:
            return f"below the {usd(settings.min_notional)} minimum order ({usd(amount)})"
        return code_text(reason, symbol)
    if status == "unknown":
        return code_text("unknown")
    return code_text(reason, symbol) if reason else None


def run_leg_code(leg: LegState) -> str | None:
    """The code behind a run leg's outcome (None for a filled leg)."""
    return outcome_code(leg.status, leg.reason, leg.filled_qty)


def run_leg_reason_text(leg: LegState, settings: Settings = _DEFAULTS) -> str | None:
    """Why a run leg did not fill in full, in plain words (None for a filled or working leg)."""
    return outcome_text(
        leg.status,
        leg.reason,
        leg.filled_qty,
        leg.filled_notional,
        symbol=leg.symbol,
        amount=leg.scaled_amount,
        settings=settings,
    )


class IncidentRow(Frozen):
    """One thing that went wrong in a run, in plain words, with its code and where it happened."""

    seq: int | None
    code: str
    symbol: str | None
    text: str


def incident_text(incident: Incident) -> str:
    """A folded incident in plain words."""
    kind = incident.kind
    if kind == "rejected":
        message = incident.message.split(": ", 1)[1] if ": " in incident.message else ""
        return "refused by the broker" + (f": {message}" if message else "")
    if kind == "halt":
        return f"run halted: {incident.message}"
    if kind == "unknown":
        return f"outcome unknown ({incident.message}): looked up by client order id"
    if kind == "reapproval" and incident.message.startswith("buy scale fell to "):
        scale = incident.message.removeprefix("buy scale fell to ")
        return f"sell proceeds fell short: every buy scaled to {scale}, re-approval needed"
    if kind == "reapproval":
        return incident.message
    if kind.startswith("stream_"):
        return f"{code_text(kind)}: {incident.message}"
    return incident.message


def reapproval_outcome(state: RunState) -> str:
    """Whether the recomputed buys needed re-approval, and what became of them."""
    recomputed = state.recomputed
    if recomputed is None or not recomputed.needs_reapproval:
        return "no"
    again = [a for a in state.approvals if a.scope == "buy_phase"]
    if again:
        return f"yes: re-approved by {again[-1].approved_by} at scale {again[-1].scale}"
    if any(leg.side is Side.BUY and leg.intent for leg in state.legs):
        return "yes: a headless run (--yes) sends the buys at the recomputed scale and reports it"
    return "yes: the buys were not sent"


def run_settings(text: dict[str, str]) -> Settings:
    """The settings a run journaled (Settings.as_text), for its numbers; defaults if unreadable."""
    values: dict[str, object] = {}
    for key, field in Settings.model_fields.items():
        if key not in text:
            continue
        raw = text[key]
        try:
            if field.annotation is bool:
                values[key] = raw == "true"
            elif field.annotation is int:
                values[key] = int(raw)
            else:
                values[key] = Decimal(raw)
        except (ArithmeticError, ValueError):
            continue
    try:
        return Settings.model_validate(values)
    except ValueError:
        return _DEFAULTS


def approved_legs(events: Iterable[RecordedEvent]) -> tuple[tuple[Leg, ...], int | None]:
    """The approved preview's legs (with their notes) from a run's run_started, and its seq."""
    for recorded in events:
        if isinstance(recorded.event, RunStarted):
            return recorded.event.legs, recorded.seq
    return (), None


def cap_incidents(legs: Sequence[Leg], seq: int | None = None) -> list[IncidentRow]:
    """The sells the preview capped at the shares held."""
    return [
        IncidentRow(
            seq=seq,
            code=Note.CAPPED_AT_POSITION.value,
            symbol=leg.symbol,
            text=f"{leg.side.value} {note_text(Note.CAPPED_AT_POSITION, leg)}",
        )
        for leg in legs
        if Note.CAPPED_AT_POSITION in leg.notes
    ]


def run_incidents(
    state: RunState,
    settings: Settings = _DEFAULTS,
    approved: Sequence[Leg] = (),
    approved_seq: int | None = None,
) -> tuple[IncidentRow, ...]:
    """Every incident of a run: caps of the approved preview, the folded incidents (refusals,
    unknown outcomes, halts, re-approvals, stream silences) and each leg that did not fill in
    full (partly filled then canceled, canceled at the phase timeout or by halt, skipped)."""
    rows = cap_incidents(approved, approved_seq) + [
        IncidentRow(seq=i.seq, code=i.kind, symbol=i.symbol, text=incident_text(i))
        for i in state.incidents
        if i.kind != "rejected"
    ]
    for leg in state.legs:
        code = run_leg_code(leg)
        text = run_leg_reason_text(leg, settings)
        if code is None or text is None or leg.status in ("pending", "new", "accepted"):
            continue
        if leg.status == OrderStatus.PARTIALLY_FILLED.value:
            continue  # still working
        rows.append(IncidentRow(seq=leg.last_seq, code=code, symbol=leg.symbol, text=text))
    rows.sort(key=lambda row: (row.seq is None, row.seq or 0))
    return tuple(rows)


def problem_text(problem: Problem, preview: Preview, settings: Settings = _DEFAULTS) -> str:
    """A preview problem in plain words with its numbers (a leg's problem names its figures)."""
    if problem.symbol is not None:
        for leg in preview.legs:
            if leg.symbol == problem.symbol and leg.reason is problem.code:
                words = leg_reason_text(leg, settings)
                return f"{leg.side.value} {leg.symbol} {leg.status.value}: {words}"
    return problem.message


def plain_problems(preview: Preview, settings: Settings = _DEFAULTS) -> tuple[Problem, ...]:
    """The preview's problems with their messages in plain words (codes unchanged)."""
    return tuple(
        problem.model_copy(update={"message": problem_text(problem, preview, settings)})
        for problem in preview.problems
    )
