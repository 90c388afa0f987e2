"""GUI test fixtures: a qasync loop marked running inside pytest-qt, sim-backed windows."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.brokers.sim import SimBroker, create_sim_broker, demo_path
from console.domain.config import Settings
from console.engine.executor import ExecutorTuning
from console.engine.gateway import BrokerGateway
from console.engine.ports import Broker
from console.engine.tasks import TaskGroup
from console.journal.store import SqliteJournal
from console.ui.models.logbridge import LogBridge
from console.ui.prefs import open_settings
from console.ui.viewmodels.run_vm import executor_factory
from console.ui.windows.main_window import MainWindow, WindowContext

DATA = Path(__file__).parent / "data"
DEMO_PLAN = str(demo_path("plan.json"))
T = TypeVar("T")


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def session_loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """One qasync loop for the session, 'running' while pytest-qt pumps Qt events.

    A qasync loop created with already_running=True cannot be stopped and replaced by another
    in the same QApplication (stop() calls QApplication.exit()), so the session shares one.
    """
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.events._set_running_loop(None)
    return loop


@pytest.fixture
def qloop(
    qapp: QApplication, session_loop: asyncio.AbstractEventLoop
) -> Iterator[asyncio.AbstractEventLoop]:
    """The session loop; tasks a test leaves behind are cancelled and drained after it."""
    asyncio.set_event_loop(session_loop)
    asyncio.events._set_running_loop(session_loop)
    yield session_loop
    pending = [task for task in asyncio.all_tasks(session_loop) if not task.done()]
    for task in pending:
        task.cancel()
    for _ in range(500):
        if all(task.done() for task in pending):
            break
        qapp.processEvents()
    # Other suites call asyncio.run(): outside a GUI test no loop may look 'running'.
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


def drive(qtbot: QtBot, awaitable: Awaitable[T], timeout: int = 10_000) -> T:
    """Run a coroutine on the qasync loop while Qt processes events; return its result."""
    task = asyncio.ensure_future(awaitable)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@dataclass
class Env:
    """One console wired to a sim broker, a journal and isolated QSettings."""

    ctx: WindowContext
    broker: Broker
    journal: SqliteJournal
    clock: FakeClock | None
    tmp: Path


@pytest.fixture
def make_env(tmp_path: Path, qloop: asyncio.AbstractEventLoop) -> Iterator[Callable[..., Env]]:
    """Build console environments; everything they open is closed at teardown."""
    made: list[Env] = []

    def build(
        scenario: str = "fast",
        *,
        clock: FakeClock | None = None,
        settings: Settings | None = None,
        state: str | None = None,
        wrap: Callable[[SimBroker], Broker] | None = None,
        journal: Path | None = None,
    ) -> Env:
        path = scenario if scenario.endswith(".json") else str(DATA / f"{scenario}.json")
        sim = create_sim_broker(path, state)
        broker: Broker = wrap(sim) if wrap is not None else sim
        gateway = BrokerGateway(broker, timeout=5.0)
        store = SqliteJournal(journal or tmp_path / "journal.sqlite")
        rules = settings or Settings()
        tuning = ExecutorTuning(cancel_grace=2.0, quiet_poll=1.0)
        extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
        ctx = WindowContext(
            gateway=gateway,
            journal=store,
            settings=rules,
            qsettings=open_settings(str(tmp_path / "settings.ini")),
            executor_factory=executor_factory(gateway, store, rules, tuning),
            log_bridge=LogBridge(),
            tasks=TaskGroup(),
            operator="gui:test",
            **extra,
        )
        env = Env(ctx=ctx, broker=broker, journal=store, clock=clock, tmp=tmp_path)
        made.append(env)
        return env

    yield build
    for env in made:
        close = asyncio.ensure_future(env.ctx.gateway.close())
        for _ in range(200):
            if close.done():
                break
            QApplication.processEvents()
        env.journal.close()


def scenario_file(tmp: Path, base: str = "fast", **changes: Any) -> str:
    """A copy of a test scenario with top-level keys changed (market_open, open_orders, ...)."""
    data = json.loads((DATA / f"{base}.json").read_text(encoding="utf-8"))
    data.update(changes)
    path = tmp / f"{base}-{len(list(tmp.glob('*.json')))}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def open_window(qtbot: QtBot, env: Env) -> MainWindow:
    """A shown main window on `env`."""
    window = MainWindow(env.ctx)
    qtbot.addWidget(window)
    window.show()
    return window


def load(qtbot: QtBot, window: MainWindow, path: str = DEMO_PLAN) -> None:
    """Load a plan through the window and wait for the preview."""
    before = window.previews.preview
    window.files.open_path(path)
    qtbot.waitUntil(
        lambda: window.previews.preview is not before and not window.previews.busy, timeout=10_000
    )


def approve(qtbot: QtBot, window: MainWindow, code: str | None = None) -> None:
    """Approve through the non-modal approval dialog."""
    window.run_control.open_approval()
    dialog = window.run_control.approval_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    if code is not None:
        assert dialog.code is not None
        dialog.code.setText(code)
    assert dialog.approve_button.isEnabled()
    dialog.approve_button.click()
    qtbot.waitUntil(lambda: window.approval.valid)


def finish_run(qtbot: QtBot, window: MainWindow, timeout: int = 20_000) -> None:
    """Wait until the run and its summary are done."""
    qtbot.waitUntil(lambda: not window.runs.running, timeout=timeout)
    qtbot.waitUntil(lambda: window.runs.summary is not None, timeout=timeout)
