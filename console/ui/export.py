"""Exports: tables as CSV (exact decimals, the column specs), the preview as a PDF, replay JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from console.domain.columns import EVENTS, INCIDENTS, PREVIEW_LEGS, RUN_LEGS, SUMMARY, TableSpec
from console.domain.events import RecordedEvent
from console.domain.formatting import plain
from console.domain.preview_model import Preview
from console.domain.reasons import approved_legs, run_incidents
from console.domain.replay import replay_json
from console.domain.runstate import RunState
from console.domain.summary import RunSummary
from console.ui import reports

R = TypeVar("R")


def write_csv(path: str | Path, table: TableSpec[R], rows: Iterable[R]) -> None:
    """One table as CSV: its CSV header and every row with exact decimals."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.csv_header())
        writer.writerows(table.csv_rows(rows))


def preview_csv(preview: Preview, path: str | Path) -> None:
    """Every leg of the preview with exact decimals (one row per leg)."""
    write_csv(path, PREVIEW_LEGS, preview.legs)


def totals_path(path: str | Path) -> Path:
    """Where the run's totals go beside a summary CSV: `<name>-totals.csv`."""
    target = Path(path)
    return target.with_name(f"{target.stem}-totals{target.suffix or '.csv'}")


def summary_csv(summary: RunSummary, path: str | Path) -> Path:
    """Every leg of the run (planned vs filled) in `path`; the run's totals in their own file.

    One table per file: the totals (one row, plain numbers) go to `<name>-totals.csv`, whose
    path is returned.
    """
    write_csv(path, SUMMARY, summary.rows)
    totals = totals_path(path)
    with open(totals, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        keys = ["run_id", "plan_id", "status", "halted_reason", "sell_proceeds", "buy_spent"]
        keys += ["planned_sells", "planned_buys", "slippage_cost", "submitted", "filled"]
        keys += ["partly_filled"]
        writer.writerow(keys)
        writer.writerow([plain(getattr(summary, key)) for key in keys])
    return totals


def incidents_csv(state: RunState, path: str | Path, events: Sequence[RecordedEvent] = ()) -> None:
    """Every incident of the run in plain words with its code (one row each)."""
    approved, seq = approved_legs(events)
    write_csv(path, INCIDENTS, run_incidents(state, approved=approved, approved_seq=seq))


def legs_csv(state: RunState, path: str | Path) -> None:
    """Every leg at the replay's cursor: planned (preview, rescaled) vs actual (fills)."""
    write_csv(path, RUN_LEGS, state.legs)


def events_csv(events: Iterable[RecordedEvent], path: str | Path) -> None:
    """Events as journaled: seq, UTC time, run, kind and the canonical JSON payload."""
    write_csv(path, EVENTS, events)


def state_json(state: RunState, at: int, last_seq: int, path: str | Path) -> None:
    """The state at the replay's cursor in the `replay --format json` shape."""
    Path(path).write_text(json.dumps(replay_json(state, at, last_seq), indent=2) + "\n")


def cannot_export(path: str, exc: OSError) -> str:
    """What a window says when an export cannot be written."""
    return f"Cannot export {path}: {exc.strerror or exc}"


# The PDF reports are reports.py's; the windows export them through this module like the rest.
preview_pdf = reports.write_preview_pdf
run_pdf = reports.write_run_pdf
