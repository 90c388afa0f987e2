"""The replay window: open, scrub, speeds, steps, problem jumps, event log, tamper, exports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from console.cli import main
from console.domain.replay import replay_json
from console.ui.viewmodels.replay_player import FRAME_MS
from console.ui.windows.replay.view import TAB_FUNDING, TAB_MONITOR, TAB_SUMMARY
from tests.cli.test_report_pdfs import needs_poppler, render
from tests.replay.conftest import Recorded
from tests.ui.windows.replay.helpers import copy_journal, open_window, tamper, view_of


def test_open_lists_runs_and_shows_the_latest_run_at_its_end(
    qtbot: QtBot, recorded: Recorded
) -> None:
    window = open_window(qtbot, recorded.path)
    assert [r.run_id for r in window.runs_model.rows()] == [
        recorded.clean.run_id,
        recorded.incident.run_id,
    ]
    view = view_of(window)
    assert view.index.run_id == recorded.incident.run_id
    assert view.player.seq == view.index.last_seq
    assert view.state == view.index.final
    assert "HALTED" in view.header.text()
    assert not window.banner.isVisible()
    assert window.events_model.rowCount() == len(view.index)
    window.runs_table.view.doubleClicked.emit(window.runs_model.index(0, 0))
    assert view_of(window).index.run_id == recorded.clean.run_id


def test_gui_state_equals_cli_replay_json_at_every_seq(
    qtbot: QtBot, recorded: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    window = open_window(qtbot, recorded.path)
    for run in (recorded.clean, recorded.incident):
        window.open_run(run.run_id)
        view = view_of(window)
        view.tabs.setCurrentIndex(TAB_MONITOR)
        for position, seq in enumerate(view.index.seqs):
            view.player.seek(position)
            state = window.cursor_state
            assert state is not None and state.at_seq == seq
            code = main(["replay", str(recorded.path), "--run", run.run_id, "--at", str(seq),
                         "--format", "json"])  # fmt: skip
            assert code == 0
            cli = json.loads(capsys.readouterr().out)
            cli.pop("journal_head")
            assert replay_json(state, seq, view.index.last_seq) == cli
            shown = {row.leg.client_order_id: row.leg for row in view.monitor_model.rows()}
            assert shown == {leg.client_order_id: leg for leg in state.legs if leg.intent}
            assert window.events_model.rowCount() == position + 1


def test_scrubbing_the_timeline_moves_the_cursor(qtbot: QtBot, recorded: Recorded) -> None:
    window = open_window(qtbot, recorded.path)
    view = view_of(window)
    timeline = view.timeline
    x = int(timeline.x_of(5))
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(x, 12))
    assert view.player.position == 5
    assert timeline.position == 5 and window.events_model.rowCount() == 6
    qtbot.mousePress(timeline, Qt.MouseButton.LeftButton, pos=QPoint(int(timeline.x_of(2)), 12))
    qtbot.mouseMove(timeline, QPoint(int(timeline.x_of(9)), 12))
    assert view.player.position in (2, 9)  # offscreen drags deliver the move without buttons
    assert "seq" in timeline.describe(3)
    assert len(timeline.problem_positions) >= len(view.index.problems) >= 2
    assert all("[" in message for _, message in timeline.problem_positions)  # codes kept


def test_keyboard_steps_and_problem_jumps(qtbot: QtBot, recorded: Recorded) -> None:
    window = open_window(qtbot, recorded.path)
    view = view_of(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(view.timeline, Qt.Key.Key_Home)
    assert view.player.position == 0
    start = view.player.position
    for key, expected in ((Qt.Key.Key_Right, 1), (Qt.Key.Key_Period, 2), (Qt.Key.Key_Left, 1),
                          (Qt.Key.Key_Comma, 0), (Qt.Key.Key_Comma, 0)):  # fmt: skip
        qtbot.keyClick(window.focusWidget() or window, key)
        assert view.player.position == start + expected
    problems = [p.seq for p in view.index.problems]
    for seq in problems:
        qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_N)
        assert view.player.seq == seq
        assert "color:#b3261e" in view.where.text()
    window.next_problem()
    assert "No further problem" in window.statusBar().currentMessage()
    window.prev_problem()
    assert view.player.seq == problems[-2]
    window.go_end()
    assert view.player.seq == view.index.last_seq


def test_clicking_an_event_moves_the_cursor_there(qtbot: QtBot, recorded: Recorded) -> None:
    window = open_window(qtbot, recorded.path)
    view = view_of(window)
    target = window.events_model.index(3, 2)
    rect = window.events_view.visualRect(target)
    qtbot.mouseClick(window.events_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.player.position == 3
    assert window.events_model.rowCount() == 4


def test_play_at_max_runs_to_the_end_and_speeds_follow_event_time(
    qtbot: QtBot, recorded: Recorded
) -> None:
    window = open_window(qtbot, recorded.path)
    view = view_of(window)
    player = view.player
    window.go_start()
    window.speed_max()
    assert player.speed is None
    window.toggle_play()
    assert player.playing and view.play.text() == "Pause"
    assert player.next_interval == FRAME_MS
    qtbot.waitUntil(lambda: not player.playing, timeout=5000)
    assert player.at_end and view.play.text() == "Play"
    for action, speed in ((window.speed_1, 1.0), (window.speed_10, 10.0),
                          (window.speed_100, 100.0)):  # fmt: skip
        action()
        assert player.speed == speed
        player.seek(0)
        assert player.interval_ms() == round(player.gap_ms(0) / speed)
        target = player.target_after_tick()
        events = view.index.events
        budget = FRAME_MS * speed / 1000
        assert all((events[i].ts - events[1].ts).total_seconds() <= budget
                   for i in range(1, target + 1))  # fmt: skip
    window.speed_100()
    window.go_start()
    player.play()
    assert player.next_interval == round(player.gap_ms(0) / 100)
    qtbot.waitUntil(lambda: player.at_end, timeout=10_000)
    assert not player.playing
    player.play()  # at the end, play starts over
    assert player.position <= 1
    window.step_forward()  # a step pauses playback
    assert not player.playing


def test_pages_show_planned_vs_actual_and_the_funding_recomputation(
    qtbot: QtBot, recorded: Recorded
) -> None:
    window = open_window(qtbot, recorded.path)
    view = view_of(window)
    funding_seq = next(b.seq for b in view.index.boundaries if b.kind == "funding_recomputed")
    view.player.seek_seq(funding_seq - 1)
    view.refresh_all()
    assert "Not yet at this seq" in view.funding_text.text()
    view.player.seek_seq(funding_seq)
    view.tabs.setCurrentIndex(TAB_FUNDING)
    assert f"seq {funding_seq}" in view.funding_text.text()
    assert "re-approval needed" in view.funding_text.text()
    view.tabs.setCurrentIndex(TAB_SUMMARY)
    rows = view.summary_page.model.rows()
    assert [r.client_order_id for r in rows] == [leg.client_order_id for leg in view.state.legs]
    assert [r.filled_notional for r in rows] == [leg.filled_notional for leg in view.state.legs]
    assert view.review.sell_model.rowCount() + view.review.buy_model.rowCount() == len(
        view.state.legs
    )


def test_a_tampered_journal_opens_read_only_with_a_banner_and_stops_before_the_bad_seq(
    qtbot: QtBot, recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = copy_journal(recorded.path, tmp_path)
    window = open_window(qtbot, path)
    bad = view_of(window).index.seqs[-5]
    window.close()
    tamper(path, bad, "sim-", "SIM-")
    assert main(["replay", str(path), "--format", "json"]) == 2
    assert f"seq {bad}" in capsys.readouterr().err
    window = open_window(qtbot, path)
    assert window.banner.isVisible()
    assert f"FAILED at seq {bad}" in window.banner.text()
    chain = [window.runs_model.data(window.runs_model.index(row, 0)) for row in range(2)]
    assert chain == ["verified", f"verified to {bad - 1}"]
    assert window.replay is not None and window.replay.journal.read_only  # type: ignore[attr-defined]
    view = view_of(window)
    assert view.index.run_id == recorded.incident.run_id
    assert view.index.last_seq == bad - 1
    window.open_run(recorded.clean.run_id)
    assert view_of(window).index.final.status == "succeeded"
    # The replaced view is gone from the screen at once, not when deleteLater is processed.
    assert not view.isVisible()


def test_a_run_beyond_the_bad_seq_cannot_be_opened(
    qtbot: QtBot, recorded: Recorded, tmp_path: Path
) -> None:
    path = copy_journal(recorded.path, tmp_path)
    first = recorded.incident
    tamper(path, 2, '"approved_by":"', '"approved_by":"x')  # the clean run's approval
    window = open_window(qtbot, path)
    assert "FAILED at seq 2" in window.banner.text()
    assert window.runs_model.data(window.runs_model.index(1, 0)) == "after bad seq"
    assert view_of(window).index.run_id == recorded.clean.run_id
    assert view_of(window).index.last_seq == 1
    window.open_run(first.run_id)
    assert "cannot be replayed" in window.statusBar().currentMessage()


def test_exports_legs_events_and_state(
    qtbot: QtBot, recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    window = open_window(qtbot, recorded.path)
    view = view_of(window)
    view.player.seek(len(view.index) // 2)
    seq = view.player.seq
    window.export_legs(str(tmp_path / "legs.csv"))
    window.export_events(str(tmp_path / "events.csv"))
    window.export_state(str(tmp_path / "state.json"))
    with open(tmp_path / "legs.csv", newline="") as handle:
        legs = list(csv.DictReader(handle))
    assert [row["client_order_id"] for row in legs] == [
        leg.client_order_id for leg in view.state.legs
    ]
    assert [row["status"] for row in legs] == [leg.status for leg in view.state.legs]
    with open(tmp_path / "events.csv", newline="") as handle:
        events = list(csv.DictReader(handle))
    assert [int(row["seq"]) for row in events] == view.index.seqs[: view.player.position + 1]
    assert json.loads(events[0]["payload"])["kind"] == "run_started"
    main(["replay", str(recorded.path), "--run", view.index.run_id, "--at", str(seq),
          "--format", "json"])  # fmt: skip
    cli = json.loads(capsys.readouterr().out)
    cli.pop("journal_head")
    assert json.loads((tmp_path / "state.json").read_text()) == cli


@needs_poppler
def test_the_run_report_pdf_at_the_cursor_is_the_cli_report_at_that_seq(
    qtbot: QtBot, recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    window = open_window(qtbot, recorded.path)
    view = view_of(window)
    view.player.seek(len(view.index) // 2)
    seq = view.player.seq
    assert window.act_report.isEnabled()
    gui_pdf, cli_pdf = tmp_path / "gui.pdf", tmp_path / "cli.pdf"
    window.export_report(str(gui_pdf))
    said = window.statusBar().currentMessage()
    code = main(["replay", str(recorded.path), "--run", view.index.run_id, "--at", str(seq),
                 "--pdf", str(cli_pdf), "--format", "json"])  # fmt: skip
    assert code == 0
    head = json.loads(capsys.readouterr().out)["journal_head"]
    pages, _, text = render(gui_pdf)
    assert pages >= 1 and head in text.replace("\n", "")
    assert said == f"Exported {gui_pdf} ({pages} page{'' if pages == 1 else 's'}, at seq {seq})"
    assert text == render(cli_pdf)[2]


def test_every_replay_export_that_cannot_be_written_says_why(
    qtbot: QtBot, recorded: Recorded, tmp_path: Path
) -> None:
    window = open_window(qtbot, recorded.path)
    exports = {
        "legs.csv": window.export_legs,
        "events.csv": window.export_events,
        "state.json": window.export_state,
        "report.pdf": window.export_report,
    }
    for name, export in exports.items():
        target = tmp_path / "no-such-dir" / name
        export(str(target))
        assert window.statusBar().currentMessage() == (
            f"Cannot export {target}: No such file or directory"
        )
    assert not (tmp_path / "no-such-dir").exists()


def test_new_models_pass_the_qt_model_tester(
    qtbot: QtBot, recorded: Recorded, qtmodeltester: ModelTester
) -> None:
    window = open_window(qtbot, recorded.path)
    view = view_of(window)
    view.player.seek(4)
    qtmodeltester.check(window.events_model)
    qtmodeltester.check(window.runs_model)


def test_reload_picks_up_a_run_appended_by_a_writer(
    qtbot: QtBot, recorded: Recorded, tmp_path: Path
) -> None:
    from console.journal.store import SqliteJournal
    from tests.journal.helpers_journal import append_all
    from tests.journal.journal_factories import full_run

    path = copy_journal(recorded.path, tmp_path)
    window = open_window(qtbot, path)
    with SqliteJournal(path) as writer:
        append_all(writer, writer.new_run_id(), full_run())
    assert window.runs_model.rowCount() == 2
    window.reload()
    assert window.runs_model.rowCount() == 3
    assert view_of(window).index.run_id == recorded.incident.run_id
    window.show_shortcuts()


def test_a_run_whose_record_ends_without_run_completed_says_unfinished_at_its_end(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from console.journal.store import SqliteJournal
    from tests.journal.helpers_journal import append_all
    from tests.journal.journal_factories import PLAN_DIGEST, full_run

    path = tmp_path / "stopped.sqlite"
    events = full_run()
    assert events[-1].kind == "run_completed"
    with SqliteJournal(path) as journal:
        append_all(journal, "run-stopped", events[:-1])
    window = open_window(qtbot, path)
    view = view_of(window)
    assert view.player.seq == view.index.last_seq
    assert "UNFINISHED" in view.header.text() and "may still be working" in view.header.text()
    assert [r.status for r in window.runs_model.rows()] == ["unfinished"]
    view.tabs.setCurrentIndex(TAB_SUMMARY)
    assert "UNFINISHED" in view.summary_page.totals.text()
    view.player.seek(1)
    assert "RUNNING" in view.header.text() and "UNFINISHED" not in view.header.text()

    # While a live process executes the run, its end is `running`, not `unfinished`.
    with SqliteJournal(path) as journal:
        lock = journal.lock_run(PLAN_DIGEST)
        try:
            live = open_window(qtbot, path)
            assert [r.status for r in live.runs_model.rows()] == ["running"]
            assert "RUNNING" in view_of(live).header.text()
            assert "UNFINISHED" not in view_of(live).header.text()
        finally:
            lock.release()


def test_the_approved_pages_show_each_orders_status_at_the_cursor(
    qtbot: QtBot, recorded: Recorded
) -> None:
    from console.ui.windows.replay.view import TAB_BUY, TAB_SELL

    window = open_window(qtbot, recorded.path)
    view = view_of(window)
    view.tabs.setCurrentIndex(TAB_SELL)
    assert "Approved by" in view.review.sell_banner.text()
    live = view.review.live
    for position in (len(view.index) // 2, len(view.index) - 1, 0):
        view.player.seek(position)
        view.tabs.setCurrentIndex(TAB_BUY if position else TAB_SELL)
        state = view.state
        for model in (view.review.sell_model, view.review.buy_model):
            for leg in model.rows():
                assert live.text(leg).split(" · ")[0] == state.leg(leg.client_order_id).status
