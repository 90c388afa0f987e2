"""Replay exports: legs and events as CSV (exact decimals), the RunState at the cursor as JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from console.domain.canonical import canonical_json
from console.domain.events import RecordedEvent, event_payload
from console.domain.money import plain_str
from console.domain.replay import replay_json
from console.domain.runstate import RunState

LEGS_HEADER = [
    "client_order_id", "symbol", "side", "planned_amount", "scaled_amount", "price",
    "order_qty", "order_notional", "est_qty", "est_notional", "status", "reason",
    "filled_qty", "filled_avg_price", "filled_notional", "broker_order_id", "last_seq",
]  # fmt: skip
EVENTS_HEADER = ["seq", "ts", "run_id", "kind", "payload"]


def _d(value: Decimal | None) -> str:
    return "" if value is None else plain_str(value)


def legs_csv(state: RunState, path: str | Path) -> None:
    """Every leg at the cursor: planned (preview, rescaled) vs actual (fills), one row each."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(LEGS_HEADER)
        for leg in state.legs:
            writer.writerow(
                [
                    leg.client_order_id, leg.symbol, leg.side.value, _d(leg.planned_amount),
                    _d(leg.scaled_amount), _d(leg.price),
                    _d(leg.order.qty if leg.order else None),
                    _d(leg.order.notional if leg.order else None), _d(leg.est_qty),
                    _d(leg.est_notional), leg.status, leg.reason or "", _d(leg.filled_qty),
                    _d(leg.filled_avg_price), _d(leg.filled_notional),
                    leg.broker_order_id or "", "" if leg.last_seq is None else leg.last_seq,
                ]
            )  # fmt: skip


def events_csv(events: Iterable[RecordedEvent], path: str | Path) -> None:
    """Events as journaled: seq, UTC time, run, kind and the canonical JSON payload."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(EVENTS_HEADER)
        for recorded in events:
            writer.writerow(
                [
                    recorded.seq,
                    recorded.ts.isoformat(),
                    recorded.run_id,
                    recorded.event.kind,
                    canonical_json(event_payload(recorded.event)),
                ]
            )


def state_json(state: RunState, at: int, last_seq: int, path: str | Path) -> None:
    """The state at the cursor in the `replay --format json` shape."""
    Path(path).write_text(json.dumps(replay_json(state, at, last_seq), indent=2) + "\n")
