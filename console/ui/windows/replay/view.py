"""One run in replay: the live leg, monitor, progress and summary widgets at the cursor."""

from __future__ import annotations

import html
from dataclasses import replace

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.domain.columns import Tone
from console.domain.events import RunStarted, RunUnfinished
from console.domain.orders import Side
from console.domain.reasons import reapproval_outcome
from console.domain.replay import ReplayIndex
from console.domain.rows import MonitorRow
from console.domain.runstate import RunState, reported_status
from console.domain.summary import approved_planned, compute_summary, phase_progress
from console.ui import fmt
from console.ui.models.table_model import RecordTableModel
from console.ui.palette import css_colour, status_colour
from console.ui.viewmodels.replay_player import SPEEDS, ReplayPlayer
from console.ui.viewmodels.run_vm import monitor_columns
from console.ui.widgets.pages import MonitorPage, ReviewPages, SummaryPage
from console.ui.widgets.panels import PhaseProgress
from console.ui.widgets.timeline import Timeline

TAB_SELL, TAB_BUY, TAB_MONITOR, TAB_SUMMARY, TAB_FUNDING = range(5)


def funding_html(index: ReplayIndex, state: RunState) -> str:
    """Approved funding vs the between-phase recomputation known at the cursor."""
    f = state.funding
    rows = [
        ("Buying power", fmt.money(f.buying_power)),
        *(
            [("Cash", fmt.money(f.cash)), (f"Spendable ({f.funded_by()})", fmt.money(f.spendable))]
            if f.cash is not None and f.spendable is not None
            else []
        ),
        ("Expected sell proceeds", fmt.money(f.expected_sell_proceeds)),
        ("Reserve", fmt.money(f.reserve)),
        ("Available for buys", fmt.money(f.available_for_buys)),
        ("Planned buys", fmt.money(f.planned_buys)),
        ("Scale", str(f.scale)),
    ]
    approved = "".join(f"<tr><td>{k}</td><td align='right'>{v}</td></tr>" for k, v in rows)
    parts = [f"<h3>Approved funding (preview)</h3><table cellspacing='6'>{approved}</table>"]
    r = state.recomputed
    marks = [b for b in index.boundaries if b.kind == "funding_recomputed"]
    if r is None:
        when = f" (recorded at seq {marks[0].seq})" if marks else ""
        parts.append(f"<h3>Recomputation between phases</h3><p>Not yet at this seq{when}.</p>")
        return _side_by_side(parts)
    seq = next((b.seq for b in reversed(marks) if b.seq <= state.at_seq), None)
    verdict = (
        f"<b style='{css_colour(Tone.BAD)}'>below the approved scale by more than the tolerance: "
        f"re-approval needed</b> ({html.escape(reapproval_outcome(state).removeprefix('yes: '))})"
        if r.needs_reapproval
        else "within tolerance"
    )
    recomputed = [
        ("Actual sell proceeds", fmt.money(r.sell_proceeds)),
        ("Buying power before → now", f"{fmt.money(r.buying_power_before)} → "
         f"{fmt.money(r.buying_power_now)}"),
        *([("Cash now", fmt.money(r.cash_now))] if r.cash_now is not None else []),
        *([("Spendable now", fmt.money(r.spendable_now))] if r.spendable_now is not None else []),
        ("Reserve", fmt.money(r.reserve)),
        ("Available for buys", fmt.money(r.available_for_buys)),
        ("Planned buys", fmt.money(r.planned_buys)),
        ("Scale approved → recomputed", f"{r.approved_scale} → {r.scale}"),
        ("Buys resized", str(len(r.legs))),
    ]  # fmt: skip
    body = "".join(f"<tr><td>{k}</td><td align='right'>{v}</td></tr>" for k, v in recomputed)
    parts.append(
        f"<h3>Recomputation between phases (seq {seq})</h3><table cellspacing='6'>{body}</table>"
        f"<p>{verdict}</p>"
    )
    return _side_by_side(parts)


def _side_by_side(sections: list[str]) -> str:
    """The approved and the recomputed waterfalls in columns (a short window need not scroll)."""
    cells = "<td width='32'></td>".join(f"<td valign='top'>{s}</td>" for s in sections)
    return f"<table cellspacing='0'><tr>{cells}</tr></table>"


class ReplayRunView(QWidget):
    """Header, transport, timeline and the live pages, all showing the state at the cursor."""

    def __init__(
        self, index: ReplayIndex, settings: QSettings | None = None, *, executing: bool = True
    ) -> None:
        super().__init__()
        self.setObjectName("replayRunView")
        self.index = index
        self.executing = executing  # a live process executes the run (else `unfinished` at its end)
        first = index.events[0].event
        self._approved_legs = first.legs if isinstance(first, RunStarted) else ()
        self.player = ReplayPlayer(index, self)
        self.state: RunState = index.final
        self.header = QLabel()
        self.header.setObjectName("replayHeader")
        self.header.setWordWrap(True)
        self.progress = PhaseProgress(self)
        self._build_transport()
        self.timeline = Timeline(self)
        self.timeline.set_index(index)
        self.review = ReviewPages(settings)
        self.monitor_model: RecordTableModel[MonitorRow] = RecordTableModel(
            monitor_columns(age=False), key=lambda row: row.key, parent=self
        )
        self.monitor = MonitorPage(self.monitor_model, settings)
        self.summary_page = SummaryPage(settings)
        self.funding_text = QLabel()
        self.funding_text.setObjectName("replayFunding")
        self.funding_text.setWordWrap(True)
        self.funding_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        funding_body = QWidget()
        funding_layout = QVBoxLayout(funding_body)
        funding_layout.addWidget(self.funding_text)
        funding_layout.addStretch(1)
        funding_page = QScrollArea()  # both waterfalls are taller than a short window
        funding_page.setObjectName("replayFundingScroll")
        funding_page.setWidgetResizable(True)
        funding_page.setFrameShape(QFrame.Shape.NoFrame)
        funding_page.setWidget(funding_body)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("replayTabs")
        self.tabs.setMinimumSize(320, 160)  # pages scroll; their size hints never grow the window
        for page, title in (
            (self.review.sell, "&Sell phase (approved)"),
            (self.review.buy, "&Buy phase (approved) + funding"),
            (self.monitor, "Order &monitor"),
            (self.summary_page, "Planned vs &actual"),
            (funding_page, "&Funding recomputation"),
        ):
            self.tabs.addTab(page, title)
        top = QHBoxLayout()
        top.addWidget(self.header, 3)
        top.addWidget(self.progress, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(self.transport)
        layout.addWidget(self.timeline)
        layout.addWidget(self.tabs, 1)
        start = index.events[0].event
        if isinstance(start, RunStarted):  # as the live console pins them during a run
            final = index.final
            who = ", ".join(a.approved_by for a in final.approvals if a.scope == "run") or "—"
            self.review.show_run(
                start.legs,
                start.funding,
                f"Approved by {html.escape(who)} · attempt {start.attempt} — the approved "
                "preview, read-only; the Live status column is each order's status at the cursor",
            )
        self._dirty: set[int] = set()
        self._monitor_rows: dict[str, MonitorRow] = {}
        self.loading_upto: int | None = None  # the run's last seq while only a first page is in
        self.player.position_changed.connect(self.show_position)
        self.player.playing_changed.connect(self._playing)
        self.timeline.scrubbed.connect(self._scrub)
        self.tabs.currentChanged.connect(lambda _n: self._refresh_pages())
        self.show_position(self.player.position)

    def set_index(self, index: ReplayIndex) -> None:
        """The same run, indexed further (the whole run after its first page): keep the cursor,
        or follow to the new end when it was at the old one."""
        at_end = self.player.at_end
        self.loading_upto = None
        self.index = index
        self.player.index = index
        self.timeline.set_index(index)
        position = len(index) - 1 if at_end else min(self.player.position, len(index) - 1)
        self.player.position = position
        self.player.position_changed.emit(position)  # shows it here and in the event log

    def _build_transport(self) -> None:
        self.back = QPushButton("◀ Step")
        self.back.setToolTip("One event back (Left or ,)")
        self.play = QPushButton("Play")
        self.play.setObjectName("replayPlay")
        self.play.setToolTip("Play / pause in event time (Space)")
        self.forward = QPushButton("Step ▶")
        self.forward.setToolTip("One event forward (Right or .)")
        self.problem = QPushButton("Next problem")
        self.problem.setObjectName("replayNextProblem")
        self.problem.setToolTip("Jump to the next reject, unknown, halt, re-approval (N)")
        self.speed = QComboBox()
        self.speed.setObjectName("replaySpeed")
        for label, value in SPEEDS:
            self.speed.addItem(label, value)
        self.speed.setToolTip("Playback speed in event time (1 – 4)")
        self.where = QLabel()
        self.where.setObjectName("replayWhere")
        # A long problem note is cut at the window's edge (full text on hover): never widens it.
        self.where.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.transport = QHBoxLayout()
        for widget in (self.back, self.play, self.forward, self.problem):
            self.transport.addWidget(widget)
        speed_label = QLabel("Spee&d:")
        speed_label.setBuddy(self.speed)
        self.transport.addWidget(speed_label)
        self.transport.addWidget(self.speed)
        self.transport.addWidget(self.where, 1)
        self.back.clicked.connect(lambda: self.player.step(-1))
        self.forward.clicked.connect(lambda: self.player.step(1))
        self.play.clicked.connect(self.player.toggle)
        self.problem.clicked.connect(self.player.next_problem)
        self.speed.currentIndexChanged.connect(self._speed_changed)

    def set_speed_index(self, number: int) -> None:
        """Choose 1×, 10×, 100× or max by position (0–3)."""
        self.speed.setCurrentIndex(number)

    def _speed_changed(self, number: int) -> None:
        self.player.set_speed(SPEEDS[number][1])

    def _scrub(self, position: int) -> None:
        self.player.pause()
        self.player.seek(position)

    def _playing(self, playing: bool) -> None:
        self.play.setText("Pause" if playing else "Play")

    def _shown_status(self, state: RunState, position: int) -> str:
        """The run's status at the cursor: `unfinished` at the end of a stopped run's record."""
        at_end = position == len(self.index) - 1 and not self.loading_upto
        return reported_status(state.status, executing=self.executing, at_end=at_end)

    def show_position(self, position: int) -> None:
        """Fold to the cursor (from the nearest checkpoint) and show it."""
        state = self.index.state_at_index(position)
        self.state = state
        self.timeline.set_position(position)
        recorded = self.index.events[position]
        marks = [f"{p.kind}: {p.message}" for p in self.index.problems_at(recorded.seq)]
        bad = css_colour(Tone.BAD)
        note = f" · <b style='{bad}'>{html.escape('; '.join(marks))}</b>" if marks else ""
        self.where.setToolTip("; ".join(marks))
        loading = " loaded so far" if self.loading_upto else ""
        self.where.setText(
            f"seq <b>{recorded.seq}</b> ({position + 1} of {len(self.index)}{loading}) · "
            f"{html.escape(recorded.event.kind)} · {fmt.clock_time(recorded.ts)}{note}"
        )
        status = self._shown_status(state, position)
        halted = f" — {html.escape(state.halted_reason)}" if state.halted_reason else ""
        if status == "unfinished":  # DESIGN §4: may still be working
            last = recorded.event
            why = last.reason if isinstance(last, RunUnfinished) else "no run_completed"
            halted = f" — {html.escape(why)}: orders may still be working; `run` resumes it"
        colour = status_colour(status).name()
        self.header.setText(
            f"<b>Run {state.run_id}</b> · plan {html.escape(state.plan_id)} · attempt "
            f"{state.attempt} · {state.broker}/{state.mode} · account {state.account_id}<br>"
            f"At this seq: phase <b>{state.phase}</b> · status <b style='color:{colour}'>"
            f"{status.upper()}</b>{halted} · stream {state.stream} · "
            f"{len(state.incidents)} of {len(self.index.problems)} problems so far"
        )
        # QProgressBar.setValue repaints at once (~5 ms each offscreen); a seek paints once.
        self.progress.setUpdatesEnabled(False)
        try:
            for side in (Side.SELL, Side.BUY):  # as the live console: of the approved estimate
                filled, _now = phase_progress(state, side)
                approved = approved_planned(self._approved_legs, side)
                self.progress.set_progress(side.value, filled, approved, "approved")
            self.progress.set_phase(
                f"Replay at seq {recorded.seq} of {self.loading_upto or self.index.last_seq}"
                + (" (loading…)" if self.loading_upto else "")
            )
        finally:
            self.progress.setUpdatesEnabled(True)
        self._dirty = {TAB_SELL, TAB_BUY, TAB_MONITOR, TAB_SUMMARY, TAB_FUNDING}
        self._refresh_pages()

    def refresh_all(self) -> None:
        """Bring every page (not only the visible one) to the cursor."""
        self._dirty = {TAB_SELL, TAB_BUY, TAB_MONITOR, TAB_SUMMARY, TAB_FUNDING}
        for tab in list(self._dirty):
            self._refresh(tab)

    def _refresh_pages(self) -> None:
        current = self.tabs.currentIndex()
        if current in self._dirty:
            self._refresh(current)

    def _refresh(self, tab: int) -> None:
        self._dirty.discard(tab)
        state = self.state
        if tab in (TAB_SELL, TAB_BUY):
            self._dirty -= {TAB_SELL, TAB_BUY}  # one update serves both pages
            self.review.update_live(state.legs)
        elif tab == TAB_MONITOR:
            self._refresh_monitor(state)
        elif tab == TAB_SUMMARY:
            summary = compute_summary(state, None)
            shown = self._shown_status(state, self.player.position)
            if shown != summary.status:
                summary = replace(summary, status=shown)
            self.summary_page.show_run(summary, state, self._approved_legs)
        elif tab == TAB_FUNDING:
            self.funding_text.setText(funding_html(self.index, state))

    def _refresh_monitor(self, state: RunState) -> None:
        """Same rows as the live monitor: every leg with a journaled intent.

        A leg's row is rebuilt only when the fold gave it a new LegState; intents never
        revert, so the same number of rows means the same keys (only changed rows repaint).
        """
        cache = self._monitor_rows
        intent_ts = self.index.intent_ts
        rows: list[MonitorRow] = []
        changed: list[MonitorRow] = []
        for leg in state.legs:
            if not leg.intent:
                continue
            coid = leg.client_order_id
            row = cache.get(coid)
            if row is None or row.leg is not leg:
                row = cache[coid] = MonitorRow(leg, intent_ts.get(coid))
                changed.append(row)
            rows.append(row)
        model = self.monitor_model
        if model.rowCount() == len(rows):
            model.upsert_rows(changed)
            model.flush()
        else:
            model.set_rows(rows)
