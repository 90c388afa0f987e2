"""Printable PDF reports: the pre-trade review of a preview and the post-trade run report.

Built with Qt (QTextDocument laid out on a QPdfWriter, so point sizes are real points) and used
by the window's exports and by `preview --pdf` / `replay --pdf` (offscreen works).
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QFont,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)
from PySide6.QtWidgets import QApplication

from console.domain import reasons
from console.domain.config import Settings
from console.domain.events import RecordedEvent, RunStarted
from console.domain.formatting import counted, qty_text
from console.domain.money import ZERO, add
from console.domain.orders import Side
from console.domain.preview_model import Leg, Preview, Reason
from console.domain.runstate import LegState, RunState
from console.domain.summary import compute_summary

RESOLUTION = 300  # dots per inch of the PDF's layout
BODY_PT = 9.5
FOOTER_PT = 8.0
_CSS = f"""
body {{ font-size: {BODY_PT}pt; }}
h1 {{ font-size: 15pt; margin-bottom: 2pt; }}
h2 {{ font-size: 12pt; margin-top: 10pt; margin-bottom: 3pt; }}
p {{ margin-top: 2pt; margin-bottom: 2pt; }}
table {{ border-collapse: collapse; border-color: #888888; }}
th {{ background-color: #e4e4e4; font-weight: bold; }}
td.num, th.num {{ text-align: right; }}
.muted {{ color: #555555; }}
.bad {{ color: #a01010; font-weight: bold; }}
.mono {{ font-family: 'DejaVu Sans Mono', monospace; font-size: 8.5pt; }}
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int], width: int = 100
) -> str:
    """An HTML table (cells already escaped) whose numeric columns are right-aligned."""

    def cls(i: int) -> str:
        return ' class="num"' if i in numeric else ""

    head = "".join(f"<th{cls(i)}>{h}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    frame = f'<table border="1" cellspacing="0" cellpadding="3" width="{width}%">'
    return f"{frame}<thead><tr>{head}</tr></thead>{body}</table>"


def _order(leg: Leg | LegState) -> str:
    if leg.order is None:
        return "—"
    if leg.order.qty is not None:
        return f"{qty_text(leg.order.qty)} sh"
    return reasons.usd(leg.order.notional)


def _stamp(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _preview_leg_row(leg: Leg) -> list[str]:
    why = reasons.leg_reason_text(leg) or ""
    notes = reasons.leg_notes_text(leg)
    words = "; ".join(part for part in (why, notes) if part)
    codes = reasons.leg_codes(leg)
    return [
        _e(leg.symbol),
        _e(reasons.usd(leg.planned_amount)),
        _e(reasons.usd(leg.scaled_amount)),
        _e(reasons.usd(leg.price) if leg.price is not None else "—"),
        _e(_order(leg)),
        _e(reasons.usd(leg.est_notional)),
        _e(leg.status.value),
        _e(words) + (f' <span class="muted">[{_e(codes)}]</span>' if codes else ""),
    ]


def preview_report_html(preview: Preview, source: str = "", approver: str = "") -> str:
    """The pre-trade review report: account, funding, each phase's legs, holds and problems."""
    f = preview.funding
    acct = preview.account
    coid = preview.legs[0].client_order_id.rsplit("-", 2)[0] if preview.legs else "—"
    parts = [
        f"<h1>Pre-trade review — {_e(preview.plan_id)}</h1>",
        f"<p>Plan file: {_e(source or '—')}<br>Plan digest: <span class='mono'>"
        f"{_e(preview.plan_digest)}</span><br>Preview digest: <span class='mono'>"
        f"{_e(preview.preview_digest)}</span><br>Attempt {preview.attempt} · client order ids "
        f"<span class='mono'>{_e(coid)}-&lt;s|b&gt;-&lt;SYMBOL&gt;</span></p>",
        f"<p>Account {_e(acct.account_id)} ({_e(acct.broker)}, {_e(acct.mode)}) as of "
        f"{_e(_stamp(acct.as_of))} — equity {_e(reasons.usd(preview.equity))}, cash "
        f"{_e(reasons.usd(acct.cash))}, buying power {_e(reasons.usd(acct.buying_power))}, "
        f"market {'open' if acct.market_open else 'closed'}</p>",
        "<h2>Funding of the buy phase</h2>",
        _table(
            ["Step", "Amount"],
            [
                ["cash", _e(reasons.usd(f.cash))],
                ["spendable (cash; buying power only with margin)", _e(reasons.usd(f.spendable))],
                ["+ expected sell proceeds", _e(reasons.usd(f.expected_sell_proceeds))],
                ["− reserve", _e(reasons.usd(f.reserve))],
                ["= available for buys", _e(reasons.usd(f.available_for_buys))],
                ["planned buys", _e(reasons.usd(f.planned_buys))],
                ["<b>scale of every buy</b>", f"<b>{_e(f.scale)}</b>"],
            ],
            {1},
            width=60,
        ),
    ]
    headers = ["Symbol", "Planned", "After funding", "Price", "Order", "Est notional"]
    headers += ["Status", "Reason and notes (codes)"]
    for title, legs in (("Sell phase", preview.sell), ("Buy phase", preview.buy)):
        parts.append(f"<h2>{title} ({counted(len(legs), 'leg')})</h2>")
        if legs:
            parts.append(_table(headers, map(_preview_leg_row, legs), {1, 2, 3, 4, 5}))
        else:
            parts.append("<p>No legs.</p>")
    parts.append(f"<h2>Holds</h2><p>{_e(', '.join(preview.holds) or 'none')}</p>")
    parts.append(f"<h2>Problems ({len(preview.problems)})</h2>")
    if preview.problems:
        rows = [
            [_e(p.symbol or "—"), _e(p.message), _e(p.code.value)]
            for p in reasons.plain_problems(preview)
        ]
        parts.append(_table(["Symbol", "Problem", "Code"], rows, set()))
    else:
        parts.append("<p>None.</p>")
    reviewer = _e(approver) if approver else "____________________"
    parts.append(
        f"<p><br>Reviewed by: {reviewer} &nbsp;&nbsp; Date: ____________ &nbsp;&nbsp; "
        "Signature: ____________________</p>"
    )
    return "\n".join(parts)


def _run_leg_row(leg: LegState, settings: Settings) -> list[str]:
    why = reasons.run_leg_reason_text(leg, settings) or ""
    code = reasons.run_leg_code(leg)
    tail = f' <span class="muted">[{_e(code)}]</span>' if code and why else ""
    return [
        _e(leg.symbol),
        _e(leg.side.value),
        _e(reasons.usd(leg.planned_amount)),
        _e(reasons.usd(leg.scaled_amount)),
        _e(_order(leg)),
        _e(qty_text(leg.filled_qty)),
        _e(reasons.usd(leg.filled_avg_price) if leg.filled_avg_price is not None else "—"),
        _e(reasons.usd(leg.filled_notional)),
        _e(leg.status),
        _e(why) + tail,
    ]


_SIZING_SKIPS = frozenset(reason.value for reason in Reason)  # never-sent legs are `halted` etc.


def side_totals(state: RunState, side: str) -> tuple[Decimal, Decimal, Decimal]:
    """(planned, after funding, filled) of one side: planned is the plan's approved amount.

    After funding leaves out legs that sizing skipped (below min notional, zero shares): they
    get nothing, so the buys' total never exceeds what funding made available.
    """
    wanted = Side.SELL if side == "sells" else Side.BUY
    legs = [leg for leg in state.legs if leg.side is wanted and leg.status != "blocked"]
    sent = [leg for leg in legs if not (leg.status == "skipped" and leg.reason in _SIZING_SKIPS)]
    planned = add(*(leg.planned_amount for leg in legs)) if legs else ZERO
    scaled = add(*(leg.scaled_amount for leg in sent)) if sent else ZERO
    filled = state.sell_proceeds if wanted is Side.SELL else state.buy_spent
    return planned, scaled, filled


RUN_HEADERS = ["Symbol", "Side", "Planned", "After funding", "Order", "Filled qty", "Avg price"]
RUN_HEADERS += ["Filled", "Status", "Reason (code)"]


def run_report_html(
    state: RunState,
    journal_head: str | None,
    journal: str = "",
    events: Sequence[RecordedEvent] = (),
) -> str:
    """The post-trade run report: planned vs filled, reasons, funding, problems, approver, head.

    `events` (at least the run's run_started) give the approved preview's caps and the
    settings the run used, for the figures in the reasons.
    """
    summary = compute_summary(state)
    approved, approved_seq = reasons.approved_legs(events)
    started = next((r.event for r in events if isinstance(r.event, RunStarted)), None)
    settings = reasons.run_settings(started.settings) if started is not None else Settings()
    status = state.status if state.finished else f"not finished at seq {state.at_seq}"
    approvals = "; ".join(
        f"{a.scope.replace('_', ' ')} approved by {a.approved_by} at scale {a.scale}"
        for a in state.approvals
    )
    parts = [
        f"<h1>Run report — {_e(state.plan_id)}</h1>",
        f"<p>Run {_e(state.run_id)} · attempt {state.attempt} · {_e(state.broker)} / "
        f"{_e(state.mode)} · account {_e(state.account_id)}<br>"
        f"Started {_e(_stamp(state.started_at))} · status <b>{_e(status.upper())}</b>"
        + (f" · halted: {_e(state.halted_reason)}" if state.halted_reason else "")
        + f"<br>Approver: {_e(approvals or 'none journaled')}<br>"
        f"Plan file: {_e(state.plan_source or '—')}<br>Plan digest: <span class='mono'>"
        f"{_e(state.plan_digest)}</span><br>Preview digest: <span class='mono'>"
        f"{_e(state.preview_digest)}</span></p>",
        "<h2>Totals</h2>",
        _table(
            ["", "Planned", "After funding", "Filled"],
            [
                [side, *(_e(reasons.usd(v)) for v in side_totals(state, side))]
                for side in ("sells", "buys")
            ]
            + [
                [
                    "legs filled in full / partly / submitted",
                    "",
                    "",
                    _e(f"{summary.filled} / {summary.partly_filled} / {summary.submitted}"),
                ]
            ],
            {1, 2, 3},
            width=75,
        ),
        "<h2>Planned vs filled</h2>",
        _table(
            RUN_HEADERS,
            [_run_leg_row(leg, settings) for leg in state.legs],
            {2, 3, 4, 5, 6, 7},
        ),
        "<h2>Funding recomputation between the phases</h2>",
    ]
    r = state.recomputed
    if r is None:
        parts.append("<p>Not recomputed (the buy phase did not start).</p>")
    else:
        rows = [
            ["actual sell proceeds", _e(reasons.usd(r.sell_proceeds))],
            ["buying power now", _e(reasons.usd(r.buying_power_now))],
            ["cash now", _e(reasons.usd(r.cash_now))],
            ["spendable now", _e(reasons.usd(r.spendable_now))],
            ["− reserve", _e(reasons.usd(r.reserve))],
            ["= available for buys", _e(reasons.usd(r.available_for_buys))],
            ["planned buys", _e(reasons.usd(r.planned_buys))],
            ["approved scale → scale now", _e(f"{r.approved_scale} → {r.scale}")],
            ["needed re-approval", _e(reasons.reapproval_outcome(state))],
        ]
        parts.append(_table(["Step", "Amount"], rows, {1}, width=60))
    incidents = reasons.run_incidents(state, settings, approved, approved_seq)
    parts.append(f"<h2>Problems ({len(incidents)})</h2>")
    if incidents:
        rows = [
            [_e(i.seq if i.seq is not None else "—"), _e(i.symbol or "—"), _e(i.text), _e(i.code)]
            for i in incidents
        ]
        parts.append(_table(["Seq", "Symbol", "What happened", "Code"], rows, {0}))
    else:
        parts.append("<p>None.</p>")
    parts.append(
        f"<h2>Journal</h2><p>{_e(journal or '—')} · {state.event_count} events up to seq "
        f"{state.at_seq}<br>Journal head: <span class='mono'>{_e(journal_head or '—')}</span><br>"
        "<span class='muted'>Check it with: phase-console journal verify JOURNAL --head HASH"
        "</span></p>"
    )
    return "\n".join(parts)


class _App:
    """The QApplication made for a headless report (kept alive for the process)."""

    app: QApplication | None = None


def ensure_gui_app() -> None:
    """A Qt application for fonts and painting; offscreen when there is no display.

    A QApplication (not only a QGuiApplication), so the process can still open windows later.
    """
    if QGuiApplication.instance() is not None:
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _App.app = QApplication([])


def write_pdf(body_html: str, path: str | Path, title: str) -> int:
    """Lay the HTML out on A4 landscape pages with page numbers; returns the page count.

    OSError when `path` cannot be written (QPdfWriter itself would only warn and write nothing).
    """
    Path(path).open("wb").close()
    ensure_gui_app()
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageOrientation(QPageLayout.Orientation.Landscape)
    writer.setPageMargins(QMarginsF(12, 12, 12, 10), QPageLayout.Unit.Millimeter)
    writer.setTitle(title)
    writer.setCreator("Phase Console")
    document = QTextDocument()
    # Measured on the PDF device: point sizes are real points (the default device is the screen,
    # whose 96 dpi laid out on a 300 dpi page gave text about a third of its size, or less).
    document.documentLayout().setPaintDevice(writer)
    font = QFont("DejaVu Sans")
    font.setPointSizeF(BODY_PT)
    document.setDefaultFont(font)
    document.setDefaultStyleSheet(_CSS)
    document.setHtml(body_html)
    body = writer.pageLayout().paintRectPixels(writer.resolution())
    footer = int(RESOLUTION * 0.28)  # about 7 mm under the text
    page = QSizeF(body.width(), body.height() - footer)
    document.setPageSize(page)
    pages = document.pageCount()
    painter = QPainter(writer)
    try:
        small = QFont("DejaVu Sans")
        small.setPointSizeF(FOOTER_PT)
        for index in range(pages):
            if index:
                writer.newPage()
            painter.save()
            painter.translate(0, -index * page.height())
            clip = QRectF(0, index * page.height(), page.width(), page.height())
            painter.setClipRect(clip)
            context = QAbstractTextDocumentLayout.PaintContext()
            context.clip = clip
            document.documentLayout().draw(painter, context)
            painter.restore()
            painter.setFont(small)
            line = QRectF(0, page.height(), page.width(), footer)
            flags = Qt.AlignmentFlag.AlignBottom
            painter.drawText(line, int(flags | Qt.AlignmentFlag.AlignLeft), title)
            painter.drawText(
                line, int(flags | Qt.AlignmentFlag.AlignRight), f"Page {index + 1} of {pages}"
            )
    finally:
        painter.end()
    return pages


def write_preview_pdf(
    preview: Preview, path: str | Path, source: str = "", approver: str = ""
) -> int:
    """The pre-trade review report of a preview as PDF; returns the page count."""
    title = f"Phase Console · pre-trade review · {preview.plan_id} · attempt {preview.attempt}"
    return write_pdf(preview_report_html(preview, source, approver), path, title)


def write_run_pdf(
    state: RunState,
    journal_head: str | None,
    path: str | Path,
    journal: str = "",
    events: Sequence[RecordedEvent] = (),
) -> int:
    """The post-trade run report of a (folded) run as PDF; returns the page count."""
    title = f"Phase Console · run report · {state.plan_id} · {state.run_id}"
    return write_pdf(run_report_html(state, journal_head, journal, events), path, title)
