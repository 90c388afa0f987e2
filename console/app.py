"""GUI composition root: settings, logging, the qasync loop, a broker, the journal, windows."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import getpass
import hashlib
import importlib
import logging
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import qasync
import structlog
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from console.brokers.registry import BrokerOptions, broker_spec
from console.domain.config import Settings
from console.domain.market import Asset, MarketClock, Quote
from console.domain.orders import OrderRequest, OrderSnapshot
from console.engine.gateway import BrokerGateway
from console.engine.ports import AccountInfo, Broker, BrokerUnavailableError, CredentialStore
from console.engine.tasks import TaskGroup
from console.journal.store import SqliteJournal, default_journal_path
from console.ui.models.logbridge import LogBridge
from console.ui.prefs import APPLICATION, ORGANIZATION, live_trading, open_settings
from console.ui.viewmodels.run_vm import executor_factory
from console.ui.windows.main_window import MainWindow, WindowContext
from console.ui.windows.replay.hook import ReplayLauncher

log = structlog.get_logger(__name__)


class DeferredBroker:
    """Stands in for a broker whose SDK is imported after the window is shown (Alpaca)."""

    def __init__(self, name: str, mode: str, rate_limit_per_minute: int = 200) -> None:
        self.name = name
        self.mode = mode
        self.rate_limit_per_minute = rate_limit_per_minute
        self._ready = asyncio.Event()
        self._broker: Broker | None = None
        self._error: Exception | None = None

    @property
    def quote_feed(self) -> str | None:
        """The real broker's market-data feed, once it exists."""
        return getattr(self._broker, "quote_feed", None)

    @property
    def updates_live(self) -> bool:
        """The real broker's, once it exists."""
        return self._broker.updates_live if self._broker is not None else True

    @property
    def updates_epoch(self) -> int:
        """The real broker's, once it exists."""
        return self._broker.updates_epoch if self._broker is not None else 0

    def resolve(self, broker: Broker | None, error: Exception | None = None) -> None:
        """Hand over the real broker (or the error that prevented creating it)."""
        self._broker, self._error = broker, error
        self._ready.set()

    async def _real(self) -> Broker:
        await self._ready.wait()
        if self._broker is None:
            raise BrokerUnavailableError(f"{self.name} broker unavailable: {self._error}")
        return self._broker

    async def get_account(self) -> AccountInfo:
        """Account balances."""
        return await (await self._real()).get_account()

    async def get_positions(self) -> dict[str, Decimal]:
        """Positions."""
        return await (await self._real()).get_positions()

    async def get_quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Quotes."""
        return await (await self._real()).get_quotes(symbols)

    async def get_assets(self, symbols: Sequence[str]) -> dict[str, Asset]:
        """Assets."""
        return await (await self._real()).get_assets(symbols)

    async def get_clock(self) -> MarketClock:
        """Market clock."""
        return await (await self._real()).get_clock()

    async def list_orders(
        self, *, open_only: bool, after: datetime | None = None
    ) -> list[OrderSnapshot]:
        """Working orders, or every order since `after`."""
        return await (await self._real()).list_orders(open_only=open_only, after=after)

    async def submit_order(self, request: OrderRequest) -> OrderSnapshot:
        """Submit."""
        return await (await self._real()).submit_order(request)

    async def get_order_by_client_id(self, client_order_id: str) -> OrderSnapshot | None:
        """Look up."""
        return await (await self._real()).get_order_by_client_id(client_order_id)

    async def cancel_order(self, broker_order_id: str) -> None:
        """Cancel."""
        await (await self._real()).cancel_order(broker_order_id)

    async def _updates(self) -> AsyncIterator[OrderSnapshot]:
        async for snapshot in (await self._real()).updates():
            yield snapshot

    def updates(self) -> AsyncIterator[OrderSnapshot]:
        """The real broker's update stream, once it exists."""
        return self._updates()

    async def close(self) -> None:
        """Close the real broker, if it was created."""
        if self._broker is not None:
            await self._broker.close()


async def import_off_thread(name: str) -> ModuleType:
    """Import a module in a short-lived worker thread so the GUI thread keeps painting."""
    # Not the loop's default executor: qasync's QThreadExecutor outlives a loop that is never
    # closed (tests share one) and Qt warns about running QThreads at exit.
    pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="import")
    try:
        return await asyncio.wrap_future(pool.submit(importlib.import_module, name))
    finally:
        pool.shutdown(wait=False)


async def _create_deferred(deferred: DeferredBroker, live: bool) -> None:
    """Import the broker's package off the GUI thread, then create the adapter."""
    spec = broker_spec(deferred.name)
    try:
        await import_off_thread(spec.package)
        deferred.resolve(spec.create(BrokerOptions(live=live)))
        log.info("broker_ready", broker=spec.name, live=live)
    except Exception as exc:  # missing credentials, network: shown in the window
        log.error("broker_unavailable", broker=spec.name, error=str(exc))
        deferred.resolve(None, exc)


class LazyCredentialStore:
    """The OS-keyring credential store, imported on first use (start-up does not pay for it)."""

    def __init__(self) -> None:
        self._store: CredentialStore | None = None

    def _real(self) -> CredentialStore:
        if self._store is None:
            from console.brokers.alpaca.credentials import KeyringCredentialStore

            self._store = KeyringCredentialStore()
        return self._store

    def available(self) -> str | None:
        """None when the keyring is usable, else why not."""
        return self._real().available()

    def has(self, name: str) -> bool:
        """A value is stored under `name`."""
        return self._real().has(name)

    def store(self, name: str, value: str) -> None:
        """Store a value (never logged)."""
        self._real().store(name, value)

    def delete(self, name: str) -> None:
        """Delete a value."""
        self._real().delete(name)


async def check_alpaca_connection(key_id: str, secret: str, *, live: bool) -> str:
    """The Settings dialog's connection test; alpaca-py is imported off the GUI thread."""
    await import_off_thread("console.brokers.alpaca.sdk")
    from console.brokers.alpaca.credentials import check_connection

    return await check_connection(key_id, secret, live=live)


def freeze_startup_objects() -> None:
    """Move start-up objects out of the cyclic GC's reach, so full collections stay short."""
    # Modules, Qt wrappers and pydantic schemas live for the whole session; a full collection
    # traversing them (~56,000 objects, ~13 ms) is pure loop stall during a run.
    gc.collect()
    gc.freeze()


def sim_state_path(journal_path: Path, scenario: str | None) -> str:
    """Where the GUI's simulated account persists (per scenario, beside the journal)."""
    key = str(Path(scenario).resolve()) if scenario else "demo"
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return str(journal_path.parent / f"sim-state-{digest}.json")


def _attach_log_bridge(bridge: LogBridge) -> None:
    """Copy every log record into the event-log dock (stdlib handler behind structlog)."""
    root = logging.getLogger()
    if not root.handlers:
        from console.logsetup import configure_logging

        configure_logging(0)
    root.addHandler(bridge.handler())


def _operator() -> str:
    try:
        return f"gui:{getpass.getuser()}"
    except (KeyError, OSError):
        return "gui"


@dataclass
class Console:
    """What the composition root built: the main window and everything it is wired to."""

    window: MainWindow
    gateway: BrokerGateway
    journal: SqliteJournal
    tasks: TaskGroup
    deferred: DeferredBroker | None = None
    live: bool = False

    def after_shown(self, plan: str | None) -> None:
        """Once the window is shown: create a deferred broker (Alpaca), then load the plan."""
        if self.deferred is not None:
            self.tasks.spawn(
                _create_deferred(self.deferred, self.live), name=f"create-{self.deferred.name}"
            )
        QTimer.singleShot(0, lambda: self.window.start(plan))

    async def close(self) -> None:
        """Cancel the console's tasks, close the broker and the journal."""
        await self.tasks.cancel_all()
        await self.gateway.close()
        self.journal.close()


def compose(
    *,
    bridge: LogBridge,
    broker: str = "sim",
    scenario: str | None = None,
    journal: str | None = None,
    settings: Settings | None = None,
    live: bool = False,
    state_path: str | None = None,
    qsettings_path: str | None = None,
) -> Console:
    """Build the broker, journal and main window (not shown; Alpaca is not imported yet)."""
    journal_path = Path(journal) if journal else default_journal_path()
    journal_path.parent.mkdir(parents=True, exist_ok=True)
    store = SqliteJournal(journal_path)
    qsettings = open_settings(qsettings_path)
    deferred: DeferredBroker | None = None
    reset: Callable[[], None] | None = None
    real: Broker
    spec = broker_spec(broker)
    if spec.create_after_window:
        live = live or live_trading(qsettings)
        deferred = DeferredBroker(spec.name, "LIVE" if live else "PAPER")
        real = deferred
    else:
        state = state_path or sim_state_path(journal_path, scenario)
        real = spec.create(BrokerOptions(scenario=scenario, state_path=state, live=live))
        reset = getattr(real, "reset", None)
    rules = settings or Settings()
    gateway = BrokerGateway(real)
    tasks = TaskGroup()
    ctx = WindowContext(
        gateway=gateway,
        journal=store,
        settings=rules,
        qsettings=qsettings,
        executor_factory=executor_factory(gateway, store, rules),
        log_bridge=bridge,
        tasks=tasks,
        operator=_operator(),
        credentials=LazyCredentialStore(),
        check_connection=check_alpaca_connection,
        reset_account=reset,
    )
    window = MainWindow(ctx)
    # File > Open journal… (issue 5): replay windows read any journal read-only.
    ReplayLauncher(window, lambda p: SqliteJournal(p, read_only=True), journal_path, qsettings)
    return Console(window, gateway, store, tasks, deferred, live)


def run_gui(
    plan: str | None,
    *,
    broker: str = "sim",
    scenario: str | None = None,
    journal: str | None = None,
    settings: Settings | None = None,
    live: bool = False,
    state_path: str | None = None,
    qsettings_path: str | None = None,
    on_shown: Callable[[MainWindow], None] | None = None,
) -> int:
    """Open the operator console and run the qasync loop until the window closes."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setDesktopFileName("phase-console")  # the .desktop entry: its icon on Wayland too
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    bridge = LogBridge()
    _attach_log_bridge(bridge)
    console = compose(
        bridge=bridge,
        broker=broker,
        scenario=scenario,
        journal=journal,
        settings=settings,
        live=live,
        state_path=state_path,
        qsettings_path=qsettings_path,
    )
    window = console.window
    done = asyncio.Event()
    window.closed.connect(done.set)

    async def main() -> int:
        window.show()
        console.after_shown(plan)
        if on_shown is not None:
            QTimer.singleShot(0, lambda: on_shown(window))
        QTimer.singleShot(0, freeze_startup_objects)
        await done.wait()
        await console.close()
        return 0

    try:
        with loop:
            code: int = loop.run_until_complete(main())
            return code
    finally:
        bridge.detach()
        asyncio.set_event_loop(None)
