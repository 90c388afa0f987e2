"""Exports: the preview and the run summary as CSV (exact decimals), the preview as a PDF report."""

from __future__ import annotations

import csv
import html
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from console.domain.money import plain_str
from console.domain.preview_model import Preview
from console.domain.summary import RunSummary
from console.ui import fmt


def _d(value: Decimal | None) -> str:
    return "" if value is None else plain_str(value)


PREVIEW_HEADER = [
    "side", "symbol", "current_weight", "target_weight", "planned_amount", "scaled_amount",
    "price", "order_qty", "order_notional", "est_qty", "est_notional", "status", "reason",
    "notes", "client_order_id",
]  # fmt: skip

SUMMARY_HEADER = [
    "client_order_id", "symbol", "side", "status", "reason", "planned_qty", "filled_qty",
    "planned_notional", "filled_notional", "preview_price", "filled_avg_price", "slippage",
    "slippage_cost", "target_weight", "weight_after", "drift",
]  # fmt: skip


def preview_csv(preview: Preview, path: str | Path) -> None:
    """Every leg of the preview with exact decimals (one row per leg)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PREVIEW_HEADER)
        for leg in preview.legs:
            writer.writerow(
                [
                    leg.side.value, leg.symbol, _d(leg.current_weight), _d(leg.target_weight),
                    _d(leg.planned_amount), _d(leg.scaled_amount), _d(leg.price),
                    _d(leg.order.qty if leg.order else None),
                    _d(leg.order.notional if leg.order else None),
                    _d(leg.est_qty), _d(leg.est_notional), leg.status.value,
                    leg.reason.value if leg.reason else "",
                    " ".join(n.value for n in leg.notes), leg.client_order_id,
                ]
            )  # fmt: skip


def summary_csv(summary: RunSummary, path: str | Path) -> None:
    """Every leg of the run (planned vs filled) and a totals row, with exact decimals."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SUMMARY_HEADER)
        for r in summary.rows:
            writer.writerow(
                [
                    r.client_order_id, r.symbol, r.side.value, r.status, r.reason or "",
                    _d(r.planned_qty), _d(r.filled_qty), _d(r.planned_notional),
                    _d(r.filled_notional), _d(r.preview_price), _d(r.avg_price), _d(r.slippage),
                    _d(r.slippage_cost), _d(r.target_weight), _d(r.weight_after), _d(r.drift),
                ]
            )  # fmt: skip
        writer.writerow([])
        writer.writerow(["run_id", summary.run_id, "status", summary.status])
        writer.writerow(["sell_proceeds", _d(summary.sell_proceeds)])
        writer.writerow(["buy_spent", _d(summary.buy_spent)])
        writer.writerow(["slippage_cost", _d(summary.slippage_cost)])


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    table = '<table border="1" cellspacing="0" cellpadding="3" width="100%">'
    return f"{table}<tr>{head}</tr>{body}</table>"


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
    headers = ["Symbol", "Weight now → target", "Planned", "Price", "Order", "Est notional",
               "Status", "Notes", "Client order id"]  # fmt: skip
    for title, legs in (("Sell phase", preview.sell), ("Buy phase", preview.buy)):
        rows = [
            [
                leg.symbol,
                f"{fmt.pct(leg.current_weight)} → {fmt.pct(leg.target_weight)}",
                fmt.money(leg.planned_amount), fmt.price(leg.price), fmt.order(leg.order),
                fmt.money(leg.est_notional),
                fmt.status_text(leg.status.value, leg.reason.value if leg.reason else None),
                ", ".join(n.value for n in leg.notes), leg.client_order_id,
            ]
            for leg in legs
        ]  # fmt: skip
        parts += [f"<h3>{title}</h3>", _table(headers, rows)]
    parts.append(f"<h3>Holds</h3><p>{html.escape(', '.join(preview.holds) or 'none')}</p>")
    problems = [[p.code.value, p.symbol or "—", p.message] for p in preview.problems]
    parts += ["<h3>Problems</h3>", _table(["Code", "Symbol", "Message"], problems)]
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
    document.setDefaultStyleSheet(
        "body{font-size:8pt;} th{background:#e0e0e0;} td,th{font-size:7pt;}"
    )
    document.setHtml(preview_html(preview, source))
    document.setPageSize(writer.pageLayout().paintRectPixels(writer.resolution()).size().toSizeF())
    document.print_(writer)
