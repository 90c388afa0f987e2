"""Preview: size every leg, fund the buy phase, report problems (DESIGN §3, normative)."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from console.domain.canonical import sha256_hex
from console.domain.config import Settings
from console.domain.gcpause import GcPaused
from console.domain.ids import MAX_CLIENT_ORDER_ID, client_order_id_prefix, plan_order_prefix
from console.domain.market import AccountSnapshot, AccountStatus, Asset, MarketClock
from console.domain.money import (
    CENT,
    EXACT,
    ONE,
    QTY_STEP,
    SCALE_STEP,
    ZERO,
    add,
    cents_half_up,
    div,
    mul,
    round_down,
    sub,
    whole,
)
from console.domain.orders import OrderSpec, Side
from console.domain.plan import Action, PlanItem, RebalancePlan
from console.domain.preview_model import (
    Funding,
    Leg,
    Note,
    Preview,
    PreviewStatus,
    Problem,
    Reason,
)

_MESSAGES = {
    Reason.NOT_TRADABLE: "the broker does not know this asset or it is not tradable",
    Reason.NO_POSITION: "nothing is held to sell",
    Reason.NO_PRICE: "no quote: the order cannot be sized",
    Reason.ZERO_QTY: "the amount rounds to zero shares",
    Reason.BELOW_MIN_NOTIONAL: "the order is below the minimum notional",
    Reason.RISK_LIMIT: "the order exceeds a risk limit",
    Reason.STALE_QUOTE: "the quote is too old to size the order on",
    Reason.WIDE_SPREAD: "the bid-ask spread is too wide to size the order on",
    Reason.OPEN_ORDER: "an order placed outside this plan is working on this symbol: "
    "cancel it or wait, then refresh",
}


class _Sizer:
    """Sizes the legs of one preview against one account snapshot.

    The hot paths of a 5,000-leg preview: each leg looks its symbol up once (asset, quote,
    position) and passes what it found on, rather than asking the snapshot again.
    """

    def __init__(self, plan_digest: str, attempt: int, snap: AccountSnapshot, settings: Settings):
        self.plan_digest = plan_digest
        self.attempt = attempt
        self.snap = snap
        self.settings = settings
        self.equity = snap.equity()
        self.equity_limit = mul(settings.max_order_pct_of_equity, self.equity)
        self.id_prefix = {side: client_order_id_prefix(plan_digest, attempt, side) for side in Side}
        own = plan_order_prefix(plan_digest)
        self._facts: dict[str, tuple[Decimal | None, Decimal | None]] = {}
        self.foreign_open = frozenset(
            order.symbol for order in snap.open_orders if not order.client_order_id.startswith(own)
        )

    def quote_facts(self, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        """(quote age in seconds, spread in bps) of a symbol, computed once per preview."""
        facts = self._facts.get(symbol)
        if facts is None:
            quote = self.snap.quotes.get(symbol)
            facts = self._facts[symbol] = (
                (None, None)
                if quote is None
                else (quote.age_seconds(self.snap.as_of), quote.spread_bps())
            )
        return facts

    def distrust(self, facts: tuple[Decimal | None, Decimal | None]) -> Reason | None:
        """stale_quote / wide_spread when the quote these facts describe may not size an order."""
        age, spread = facts
        if age is not None and age > self.settings.max_quote_age_seconds:
            return Reason.STALE_QUOTE
        if spread is not None and spread > self.settings.max_spread_bps:
            return Reason.WIDE_SPREAD
        return None

    def exceeds_risk(self, amount: Decimal) -> bool:
        """True when an amount is strictly above max_order_notional or the equity share."""
        return amount > self.settings.max_order_notional or amount > self.equity_limit

    def leg(
        self,
        item: PlanItem,
        side: Side,
        price: Decimal | None,
        *,
        asset: Asset | None,
        held: Decimal,
        scaled_amount: Decimal | None = None,
        order: OrderSpec | None = None,
        est_qty: Decimal | None = None,
        est_notional: Decimal | None = None,
        status: PreviewStatus = PreviewStatus.READY,
        reason: Reason | None = None,
        notes: tuple[Note, ...] = (),
    ) -> Leg:
        """A leg with the item's identity, the symbol's facts and the given sizing fields."""
        symbol = item.symbol
        planned = item.trade_amount.copy_abs()  # abs() would round to the context's 28 digits
        age, spread = self.quote_facts(symbol)
        coid = self.id_prefix[side] + symbol
        if len(coid) > MAX_CLIENT_ORDER_ID:
            raise ValueError(f"client order id too long: {coid}")
        return Leg.trusted(
            {
                "symbol": symbol,
                "side": side,
                "planned_amount": planned,
                "scaled_amount": planned if scaled_amount is None else scaled_amount,
                "price": price,
                "order": order,
                "est_qty": est_qty,
                "est_notional": est_notional,
                "status": status,
                "reason": reason,
                "notes": notes,
                "client_order_id": coid,
                "fractionable": asset.fractionable if asset is not None else True,
                "position_qty": held,
                "current_weight": item.current_weight,
                "target_weight": item.target_weight,
                "priority": item.priority,
                "quote_age_seconds": age,
                "spread_bps": spread,
            }
        )

    def blocked(self, item: PlanItem, side: Side, reason: Reason) -> Leg:
        """A leg that could not be sized."""
        symbol = item.symbol
        snap = self.snap
        return self.leg(
            item,
            side,
            snap.leg_price(symbol, side.value),
            asset=snap.assets.get(symbol),
            held=snap.position(symbol),
            status=PreviewStatus.BLOCKED,
            reason=reason,
        )

    def sell(self, item: PlanItem) -> Leg:
        """Size a sell (checks in the order of DESIGN §3)."""
        symbol = item.symbol
        snap = self.snap
        asset = snap.assets.get(symbol)
        held = snap.positions.get(symbol, ZERO)
        if asset is None or not asset.tradable:
            return self.blocked(item, Side.SELL, Reason.NOT_TRADABLE)
        if held <= 0:
            return self.blocked(item, Side.SELL, Reason.NO_POSITION)
        if symbol in self.foreign_open:
            return self.blocked(item, Side.SELL, Reason.OPEN_ORDER)
        quote = snap.quotes.get(symbol)
        price = quote.leg_price("sell") if quote is not None else None
        fractionable = asset.fractionable
        distrust = self.distrust(self.quote_facts(symbol)) if price is not None else None
        if item.target_weight == 0:
            notes: tuple[Note, ...] = (Note.LIQUIDATION,)
            if price is None:
                notes += (Note.NO_PRICE,)
            elif distrust is not None:
                notes += (Note(distrust.value),)
            return self.leg(
                item,
                Side.SELL,
                price,
                asset=asset,
                held=held,
                order=_qty_order(held),
                est_qty=held,
                est_notional=cents_half_up(mul(held, price)) if price is not None else None,
                notes=notes,
            )
        if price is None:
            return self.blocked(item, Side.SELL, Reason.NO_PRICE)
        if distrust is not None:
            return self.blocked(item, Side.SELL, distrust)
        # money's qty_down and cents_half_up, written out (helper calls are a tenth of a leg)
        step = QTY_STEP if fractionable else ONE
        qty = EXACT.divide(item.trade_amount.copy_abs(), price).quantize(step, ROUND_DOWN, EXACT)
        capped: tuple[Note, ...] = ()
        if qty > held:
            qty = held if fractionable else whole(held)
            capped = (Note.CAPPED_AT_POSITION,)
        est = EXACT.multiply(qty, price).quantize(CENT, ROUND_HALF_UP, EXACT)
        status, reason = PreviewStatus.READY, None
        if qty == 0:
            qty = ZERO  # shown {"qty": "0"}, not "0.000000000" (DESIGN §6)
            status, reason = PreviewStatus.SKIPPED, Reason.ZERO_QTY
        elif est < self.settings.min_notional:
            status, reason = PreviewStatus.SKIPPED, Reason.BELOW_MIN_NOTIONAL
        elif self.exceeds_risk(est):
            status, reason = PreviewStatus.BLOCKED, Reason.RISK_LIMIT
        return self.leg(
            item,
            Side.SELL,
            price,
            asset=asset,
            held=held,
            order=_qty_order(qty),
            est_qty=qty,
            est_notional=est,
            notes=capped,
            status=status,
            reason=reason,
        )

    def buy_precheck(self, item: PlanItem) -> Leg | None:
        """Steps 1-2 of a buy: a blocked leg, or None when it goes on to funding."""
        symbol = item.symbol
        asset = self.snap.assets.get(symbol)
        if asset is None or not asset.tradable:
            return self.blocked(item, Side.BUY, Reason.NOT_TRADABLE)
        if self.snap.leg_price(symbol, "buy") is None:
            return self.blocked(item, Side.BUY, Reason.NO_PRICE)
        if (distrust := self.distrust(self.quote_facts(symbol))) is not None:
            return self.blocked(item, Side.BUY, distrust)
        if symbol in self.foreign_open:
            return self.blocked(item, Side.BUY, Reason.OPEN_ORDER)
        if self.exceeds_risk(item.trade_amount):
            return self.blocked(item, Side.BUY, Reason.RISK_LIMIT)
        return None

    def buy(self, item: PlanItem, scale: Decimal) -> Leg:
        """Steps 3-5 of a buy: scale, then size by notional or whole shares."""
        price = self.snap.leg_price(item.symbol, "buy")
        assert price is not None
        return size_buy(self, item, mul(item.trade_amount, scale), price)


def size_buy(sizer: _Sizer, item: PlanItem, scaled: Decimal, price: Decimal) -> Leg:
    """Size a funded buy amount at `price` (fractionable: notional; else whole shares)."""
    symbol = item.symbol
    snap = sizer.snap
    asset = snap.assets[symbol]
    order, est_qty, est_notional, reason = size_buy_amount(
        scaled, price, asset.fractionable, sizer.settings.min_notional
    )
    return sizer.leg(
        item,
        Side.BUY,
        price,
        asset=asset,
        held=snap.positions.get(symbol, ZERO),
        scaled_amount=scaled,
        order=order,
        est_qty=est_qty,
        est_notional=est_notional,
        status=PreviewStatus.READY if reason is None else PreviewStatus.SKIPPED,
        reason=reason,
    )


def size_buy_amount(
    scaled: Decimal, price: Decimal, fractionable: bool, min_notional: Decimal
) -> tuple[OrderSpec, Decimal, Decimal, Reason | None]:
    """(order, est_qty, est_notional, skip reason or None) for a funded buy amount."""
    # money's cents_down, round_down, whole and cents_half_up, written out (as in sell)
    if fractionable:
        notional = scaled.quantize(CENT, ROUND_DOWN, EXACT)
        est_qty = EXACT.divide(notional, price).quantize(QTY_STEP, ROUND_DOWN, EXACT)
        reason = Reason.BELOW_MIN_NOTIONAL if notional < min_notional else None
        return OrderSpec.trusted({"qty": None, "notional": notional}), est_qty, notional, reason
    qty = EXACT.divide(scaled, price).quantize(ONE, ROUND_DOWN, EXACT)
    est = EXACT.multiply(qty, price).quantize(CENT, ROUND_HALF_UP, EXACT)
    if qty == 0:
        return _qty_order(qty), qty, est, Reason.ZERO_QTY
    reason = Reason.BELOW_MIN_NOTIONAL if est < min_notional else None
    return _qty_order(qty), qty, est, reason


def _qty_order(qty: Decimal) -> OrderSpec:
    return OrderSpec.trusted({"qty": qty, "notional": None})


def spendable_amount(cash: Decimal, buying_power: Decimal, allow_margin: bool) -> Decimal:
    """What buys may spend besides sell proceeds: cash (never borrowed) unless margin is allowed."""
    return buying_power if allow_margin else min(cash, buying_power)


def clock_problem(
    is_open: bool, clock: MarketClock | None, settings: Settings
) -> tuple[Reason, str] | None:
    """(market_closed | near_close, message saying when it opens or closes), or None."""
    if not is_open:
        when = ""
        if clock is not None and clock.next_open is not None:
            when = f"; it opens at {clock.next_open.isoformat()}"
            minutes = clock.minutes_to_open()
            if minutes is not None:
                when += f" (in {_minutes_text(minutes)})"
        return Reason.MARKET_CLOSED, f"the market is closed: orders would wait for the open{when}"
    minutes = clock.minutes_to_close() if clock is not None else None
    if minutes is not None and minutes < settings.min_minutes_to_close:
        assert clock is not None and clock.next_close is not None
        return Reason.NEAR_CLOSE, (
            f"the market closes at {clock.next_close.isoformat()} (in {_minutes_text(minutes)}), "
            f"within min_minutes_to_close ({settings.min_minutes_to_close} min): orders might "
            "not fill before the close"
        )
    return None


def clock_refusal(clock: MarketClock, settings: Settings) -> str | None:
    """Why orders placed now could not fill in regular hours, or None."""
    problem = clock_problem(clock.is_open, clock, settings)
    return problem[1] if problem is not None else None


def gate_refusal(clock: MarketClock, account: AccountStatus, settings: Settings) -> str | None:
    """Why a run may not start now: the market's clock, then the account's status; or None."""
    refusal = clock_refusal(clock, settings)
    if refusal is not None:
        return refusal
    blocked = account.blocked_reason()
    return f"the account cannot trade: {blocked}" if blocked is not None else None


def market_gate(snapshot: AccountSnapshot, settings: Settings) -> Problem | None:
    """The market_closed / near_close problem of a snapshot, or None."""
    problem = clock_problem(snapshot.market_open, snapshot.clock, settings)
    if problem is None:
        return None
    return Problem(code=problem[0], symbol=None, message=problem[1])


def account_gate(snapshot: AccountSnapshot) -> Problem | None:
    """Why the account cannot trade (status or blocking flag), or None."""
    reason = snapshot.account_status.blocked_reason()
    if reason is None:
        return None
    return Problem(
        code=Reason.ACCOUNT_BLOCKED,
        symbol=None,
        message=f"the account cannot trade: {reason}",
    )


GATE_CODES = frozenset({Reason.MARKET_CLOSED, Reason.NEAR_CLOSE, Reason.ACCOUNT_BLOCKED})


def run_refusal(preview: Preview) -> str | None:
    """Why a run of this preview may not start now (market or account gate), or None."""
    reasons = [p.message for p in preview.problems if p.code in GATE_CODES]
    return "; ".join(reasons) if reasons else None


def _minutes_text(minutes: Decimal) -> str:
    whole_minutes = int(minutes)
    hours, mins = divmod(whole_minutes, 60)
    return f"{hours} h {mins} min" if hours else f"{mins} min"


def funding_scale(available: Decimal, planned: Decimal) -> Decimal:
    """1 when nothing is planned; 0 when nothing is available; else min(1, a/p) down to 6 dp."""
    if planned == 0:
        return ONE
    if available <= 0:
        return ZERO
    return min(ONE, round_down(div(available, planned), SCALE_STEP))


def compute_preview(
    plan: RebalancePlan,
    plan_digest: str,
    snapshot: AccountSnapshot,
    settings: Settings,
    attempt: int = 1,
) -> Preview:
    """The full preview of a plan against an account snapshot."""
    with GcPaused():
        return _compute_preview(plan, plan_digest, snapshot, settings, attempt)


def _compute_preview(
    plan: RebalancePlan,
    plan_digest: str,
    snapshot: AccountSnapshot,
    settings: Settings,
    attempt: int,
) -> Preview:
    sizer = _Sizer(plan_digest, attempt, snapshot, settings)
    sells = tuple(sizer.sell(item) for item in plan.items if item.action is Action.SELL)
    buy_items = [item for item in plan.items if item.action is Action.BUY]
    holds = tuple(item.symbol for item in plan.items if item.action is Action.HOLD)
    prechecked = {item.symbol: sizer.buy_precheck(item) for item in buy_items}

    expected = cents_half_up(
        add(*(leg.est_notional or ZERO for leg in sells if leg.status is PreviewStatus.READY))
    )
    reserve = cents_half_up(mul(settings.buy_reserve_pct, sizer.equity))
    spendable = spendable_amount(snapshot.cash, snapshot.buying_power, settings.allow_margin)
    available = sub(add(spendable, expected), reserve)
    planned = add(*(item.trade_amount for item in buy_items if prechecked[item.symbol] is None))
    scale = funding_scale(available, planned)

    buys = tuple(
        blocked.model_copy(update={"scaled_amount": mul(item.trade_amount, scale)})
        if (blocked := prechecked[item.symbol]) is not None
        else sizer.buy(item, scale)
        for item in buy_items
    )
    funding = Funding(
        buying_power=snapshot.buying_power,
        cash=snapshot.cash,
        spendable=spendable,
        expected_sell_proceeds=expected,
        reserve=reserve,
        available_for_buys=available,
        planned_buys=planned,
        scale=scale,
    )
    problems = _problems(snapshot, settings, scale, sells + buys)
    digest = preview_digest(plan_digest, snapshot.account_id, sells + buys, scale)
    return Preview(
        plan_id=plan.plan_id,
        plan_digest=plan_digest,
        preview_digest=digest,
        attempt=attempt,
        account=snapshot,
        equity=sizer.equity,
        sell=sells,
        buy=buys,
        holds=holds,
        funding=funding,
        problems=problems,
    )


def _problems(
    snapshot: AccountSnapshot, settings: Settings, scale: Decimal, legs: tuple[Leg, ...]
) -> tuple[Problem, ...]:
    problems: list[Problem] = []
    for gate in (market_gate(snapshot, settings), account_gate(snapshot)):
        if gate is not None:
            problems.append(gate)
    if scale < 1:
        problems.append(
            Problem(
                code=Reason.BUYS_SCALED,
                symbol=None,
                message=f"funding covers {scale} of the planned buys: every buy is scaled",
            )
        )
    for leg in legs:
        if leg.status is not PreviewStatus.READY and leg.reason is not None:
            problems.append(
                Problem(
                    code=leg.reason,
                    symbol=leg.symbol,
                    message=(
                        f"{leg.side.value} {leg.symbol} {leg.status.value}: {_MESSAGES[leg.reason]}"
                    ),
                )
            )
    return tuple(problems)


def preview_digest(plan_digest: str, account_id: str, legs: tuple[Leg, ...], scale: Decimal) -> str:
    """sha256 binding plan, account, every leg's order and price snapshot, and the buy scale."""
    # str(Decimal) is exact and deterministic; the digest binds the snapshot exactly as fetched.
    lines = [plan_digest, account_id, str(scale)]
    for leg in legs:
        order = leg.order
        if order is None:
            order_text = "-"
        elif order.qty is not None:
            order_text = f"qty={order.qty}"
        else:
            order_text = f"notional={order.notional}"
        price = str(leg.price) if leg.price is not None else "-"
        reason = leg.reason if leg.reason is not None else "-"
        # StrEnum members format as their values (a member's .value costs a descriptor call)
        lines.append(
            f"{leg.client_order_id}|{leg.symbol}|{leg.side}|{leg.status}|{reason}|{price}|{order_text}"
        )
    return sha256_hex("\n".join(lines))
