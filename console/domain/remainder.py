"""The remainder plan: what is left of a plan after a partial or halted run (DESIGN §6)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from console.domain.canonical import to_plain
from console.domain.config import Settings
from console.domain.market import AccountSnapshot
from console.domain.money import add
from console.domain.plan import Action, LoadedPlan, RebalancePlan, parse_plan_bytes
from console.domain.targets import target_items

REMAINDER_TAG = "-rem-"


def remainder_stamp(now: datetime) -> str:
    """The UTC time as `YYYYMMDDTHHMM` (the suffix of a remainder's plan_id and file name)."""
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M")


def remainder_plan_id(plan_id: str, now: datetime) -> str:
    """`<plan_id>-rem-YYYYMMDDTHHMM`."""
    return f"{plan_id}{REMAINDER_TAG}{remainder_stamp(now)}"


def build_remainder(
    loaded: LoadedPlan, snapshot: AccountSnapshot, settings: Settings, now: datetime
) -> LoadedPlan:
    """The §2.2 targets rule on the plan's own target weights against the account now (pure).

    Only the plan's symbols get items (symbols outside it are left alone); an item whose target
    weight is 0 is a SELL liquidation while it is still held, else a HOLD of 0. The result is an
    ordinary plan (schema 1.0) whose digest is its canonical JSON's, as if loaded from its file.
    """
    source = loaded.plan
    weights = {item.symbol: item.target_weight for item in source.items}
    items = target_items(loaded.source, weights, snapshot, settings, liquidate_unlisted=False)
    stamp = now.astimezone(UTC)
    metadata: dict[str, Any] = dict(source.metadata or {})
    metadata.update(
        {
            "remainder_of": source.plan_id,
            "remainder_of_digest": loaded.digest,
            "account_id": snapshot.account_id,
        }
    )
    plan = RebalancePlan(
        schema_version="1.0",
        plan_id=remainder_plan_id(source.plan_id, stamp),
        correlation_id=source.correlation_id,
        causation_id=f"remainder-of:{loaded.digest}",
        timestamp=stamp,
        items=items,
        total_portfolio_value=snapshot.equity(),
        total_trade_value=add(*(i.trade_amount.copy_abs() for i in items)),
        max_drift_tolerance=source.max_drift_tolerance,
        execution_urgency=source.execution_urgency,
        estimated_duration_minutes=source.estimated_duration_minutes,
        metadata=metadata,
    )
    # Read back from its own JSON: exactly the plan (and digest) its file will load as.
    return parse_plan_bytes("remainder plan", plan_json_bytes(plan))


def plan_document(plan: RebalancePlan) -> dict[str, Any]:
    """The plan as a schema-1.0 JSON document (decimals as strings, every field read)."""
    doc: dict[str, Any] = to_plain(plan)
    for item in doc["items"]:
        item["action"] = str(item["action"])
    return doc


def plan_json_bytes(plan: RebalancePlan) -> bytes:
    """The plan document as indented UTF-8 JSON, ending with a newline."""
    return (json.dumps(plan_document(plan), indent=2, ensure_ascii=False) + "\n").encode()


def trades(plan: RebalancePlan) -> tuple[int, int]:
    """How many sells and buys the plan asks for."""
    sells = sum(1 for i in plan.items if i.action is Action.SELL)
    buys = sum(1 for i in plan.items if i.action is Action.BUY)
    return sells, buys
