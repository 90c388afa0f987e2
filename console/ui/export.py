"""Exports: tables as CSV (exact decimals, the column specs), the preview as a PDF, replay JSON."""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from console.domain.columns import EVENTS, PREVIEW_LEGS, PROBLEMS, RUN_LEGS, SUMMARY, TableSpec
from console.domain.events import RecordedEvent
from console.domain.formatting import plain
from console.domain.preview_model import Preview
from console.domain.replay import replay_json
from console.domain.runstate import RunState
from console.domain.summary import RunSummary
from console.ui import fmt
from console.ui.assets import report_css

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


def summary_csv(summary: RunSummary, path: str | Path) -> None:
    """Every leg of the run (planned vs filled), then the run's totals, with exact decimals."""
    write_csv(path, SUMMARY, summary.rows)
    with open(path, "a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([])
        writer.writerow(["run_id", summary.run_id, "status", summary.status])
        writer.writerow(["sell_proceeds", plain(summary.sell_proceeds)])
        writer.writerow(["buy_spent", plain(summary.buy_spent)])
        writer.writerow(["slippage_cost", plain(summary.slippage_cost)])


def legs_csv(state: RunState, path: str | Path) -> None:
    """Every leg at the replay's cursor: planned (preview, rescaled) vs actual (fills)."""
    write_csv(path, RUN_LEGS, state.legs)


def events_csv(events: Iterable[RecordedEvent], path: str | Path) -> None:
    """Events as journaled: seq, UTC time, run, kind and the canonical JSON payload."""
    write_csv(path, EVENTS, events)


def state_json(state: RunState, at: int, last_seq: int, path: str | Path) -> None:
    """The state at the replay's cursor in the `replay --format json` shape."""
    Path(path).write_text(json.dumps(replay_json(state, at, last_seq), indent=2) + "\n")


def _table(table: TableSpec[R], rows: Iterable[R]) -> str:
    columns = table.window_columns()
    head = "".join(f"<th>{html.escape(column.header)}</th>" for column in columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(column.text(row))}</td>" for column in columns)
        + "</tr>"
        for row in rows
    )
    frame = '<table border="1" cellspacing="0" cellpadding="3" width="100%">'
    return f"{frame}<tr>{head}</tr>{body}</table>"


def preview_html(preview: Preview, source: str = "") -> str:
    """A printable review document of the preview (for a second reviewer)."""
    f = preview.funding
    acct = preview.account
    parts = [
        f"<h2>Rebalance preview — {html.escape(preview.plan_id)}</h2>",
        f"<p>Source: {html.escape(source)}<br>Plan digest: {preview.plan_digest}<br>"
        f"Preview digest: {preview.preview_digest}<br>Attempt: {preview.attempt}<br>"
        f"Account {html.escape(acct.account_id)} ({acct.broker}, {acct.mode}) — equity "
        f"{fmt.money(preview.equity)}, cash {fmt.money(acct.cash)}, buying power "
        f"{fmt.money(acct.buying_power)}, market {'open' if acct.market_open else 'closed'}</p>",
        "<h3>Funding</h3>",
        f"<p>buying power {fmt.money(f.buying_power)} + expected sell proceeds "
        f"{fmt.money(f.expected_sell_proceeds)} − reserve {fmt.money(f.reserve)} = available "
        f"{fmt.money(f.available_for_buys)}; planned buys {fmt.money(f.planned_buys)}; "
        f"<b>scale {f.scale}</b></p>",
    ]
    for title, legs in (("Sell phase", preview.sell), ("Buy phase", preview.buy)):
        parts += [f"<h3>{title}</h3>", _table(PREVIEW_LEGS, legs)]
    parts.append(f"<h3>Holds</h3><p>{html.escape(', '.join(preview.holds) or 'none')}</p>")
    parts += ["<h3>Problems</h3>", _table(PROBLEMS, preview.problems)]
    parts.append("<p><br>Reviewed by: ____________________ &nbsp; Date: ____________</p>")
    return "\n".join(parts)


def preview_pdf(preview: Preview, path: str | Path, source: str = "") -> None:
    """Write the preview report as an A4 landscape PDF."""
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageOrientation(QPageLayout.Orientation.Landscape)
    writer.setPageMargins(QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter)
    writer.setTitle(f"Rebalance preview {preview.plan_id}")
    writer.setCreator("Phase Console")
    document = QTextDocument()
    document.setDefaultStyleSheet(report_css())
    document.setHtml(preview_html(preview, source))
    document.setPageSize(writer.pageLayout().paintRectPixels(writer.resolution()).size().toSizeF())
    document.print_(writer)
