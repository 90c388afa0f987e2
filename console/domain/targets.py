"""Build a RebalancePlan from a targets CSV against the account (DESIGN §2.2)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from console.domain.canonical import sha256_hex
from console.domain.config import Settings
from console.domain.errors import FieldIssue, InputError
from console.domain.inputlimits import check_decimal_range
from console.domain.market import AccountSnapshot
from console.domain.money import (
    ONE,
    ZERO,
    DecimalParseError,
    add,
    cents_half_up,
    div,
    mul,
    sub,
    to_decimal,
)
from console.domain.plan import (
    Action,
    LoadedPlan,
    PlanItem,
    RebalancePlan,
    decode_text,
    parse_symbol,
)


def parse_targets(source: str, data: bytes) -> dict[str, Decimal]:
    """Read `symbol,target_weight` rows: weights in 0..1 summing to at most 1."""
    text = decode_text(source, data)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:  # e.g. a lone carriage return inside a line
        raise InputError.single(source, "", f"not a readable CSV file: {exc}") from None
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    if header != ["symbol", "target_weight"]:
        raise InputError.single(
            source, "line 1", "the header must be exactly: symbol,target_weight"
        )
    issues: list[FieldIssue] = []
    weights: dict[str, Decimal] = {}
    for line_no, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        where = f"line {line_no}"
        if len(row) != 2:
            issues.append(FieldIssue(where, f"expected 2 columns, got {len(row)}"))
            continue
        try:
            symbol = parse_symbol(row[0])
        except ValueError as exc:
            issues.append(FieldIssue(f"{where}.symbol", str(exc)))
            continue
        try:
            weight = check_decimal_range(to_decimal(row[1]))
        except (DecimalParseError, ValueError) as exc:
            issues.append(FieldIssue(f"{where}.target_weight", str(exc)))
            continue
        if weight < 0 or weight > 1:
            issues.append(
                FieldIssue(f"{where}.target_weight", f"must be within 0..1, got {row[1].strip()}")
            )
            continue
        if symbol in weights:
            issues.append(FieldIssue(f"{where}.symbol", f"{symbol} appears twice"))
            continue
        weights[symbol] = weight
    if not issues and not weights:
        issues.append(FieldIssue("", "no target rows"))
    total = add(*weights.values()) if weights else ZERO
    if total > ONE:
        issues.append(FieldIssue("target_weight", f"weights sum to {total}, above 1"))
    if issues:
        raise InputError(source, tuple(issues))
    return weights


def target_priority(amount: Decimal) -> int:
    """Priority by size: >= 10,000 -> 1, >= 1,000 -> 2, >= 100 -> 3, >= 50 -> 4, else 5."""
    size = amount.copy_abs()
    for bound, priority in ((10_000, 1), (1_000, 2), (100, 3), (50, 4)):
        if size >= bound:
            return priority
    return 5


def targets_digest(data: bytes, account_id: str, day: date) -> str:
    """sha256 of the file's bytes, the account id and the UTC date."""
    return sha256_hex(data + b"\x00" + account_id.encode() + b"\x00" + day.isoformat().encode())


def _refuse_unpriced(source: str, snapshot: AccountSnapshot) -> None:
    unpriced = sorted(s for s, q in snapshot.positions.items() if q > 0 and snapshot.mid(s) is None)
    if unpriced:
        raise InputError(
            source,
            tuple(
                FieldIssue(s, "is held but has no price, so the account cannot be valued")
                for s in unpriced
            ),
        )


def target_items(
    source: str,
    weights: Mapping[str, Decimal],
    snapshot: AccountSnapshot,
    settings: Settings,
    *,
    liquidate_unlisted: bool,
) -> tuple[PlanItem, ...]:
    """The §2.2 rule: one item per weighted symbol, sized against the account now (pure).

    With `liquidate_unlisted`, every held symbol missing from `weights` is added with weight 0
    (a targets file); without it, symbols outside `weights` are left alone (a remainder plan).
    A symbol whose weight is 0 is a SELL liquidation while it is held, else a HOLD of 0.
    A held symbol with no price cannot be valued: InputError naming it (against `source`).
    """
    _refuse_unpriced(source, snapshot)
    equity = snapshot.equity()
    investable = mul(equity, sub(ONE, settings.cash_reserve_pct))
    threshold = mul(settings.min_trade_pct, equity)
    held = (
        [s for s, q in sorted(snapshot.positions.items()) if q > 0 and s not in weights]
        if liquidate_unlisted
        else []
    )
    items: list[PlanItem] = []
    for symbol, weight in [*weights.items(), *((s, ZERO) for s in held)]:
        qty = snapshot.position(symbol)
        mid = snapshot.mid(symbol)
        current = mul(qty, mid) if mid is not None and qty > 0 else ZERO
        target = mul(weight, investable)
        amount = cents_half_up(sub(target, current))
        current_weight = div(current, equity) if equity > 0 else ZERO
        if weight == 0 and qty > 0:
            action = Action.SELL
        elif amount.copy_abs() < threshold or amount == 0:
            action, amount = Action.HOLD, cents_half_up(ZERO)
        else:
            action = Action.BUY if amount > 0 else Action.SELL
        items.append(
            PlanItem(
                symbol=symbol,
                current_weight=current_weight,
                target_weight=weight,
                weight_diff=sub(weight, current_weight),
                target_value=target,
                current_value=current,
                trade_amount=amount,
                action=action,
                priority=target_priority(amount),
            )
        )
    return tuple(items)


def build_targets_plan(
    source: str,
    data: bytes,
    snapshot: AccountSnapshot,
    settings: Settings,
    now: datetime,
) -> LoadedPlan:
    """The plan a targets file asks for against this account, at UTC time `now`."""
    weights = parse_targets(source, data)
    items = target_items(source, weights, snapshot, settings, liquidate_unlisted=True)
    file_hash = sha256_hex(data)
    plan_id = f"targets-{file_hash[:8]}"
    plan = RebalancePlan(
        schema_version="1.0",
        plan_id=plan_id,
        correlation_id=plan_id,
        causation_id=f"sha256:{file_hash}",
        timestamp=now,
        items=items,
        total_portfolio_value=snapshot.equity(),
        total_trade_value=add(*(i.trade_amount.copy_abs() for i in items)),
    )
    digest = targets_digest(data, snapshot.account_id, now.date())
    return LoadedPlan(plan=plan, digest=digest, source=source, kind="targets")
