"""Background loading for replay: verify, list runs, first screen, full index in a worker thread.

The worker never touches a widget: each stage's result is emitted on a signal, which Qt queues
to the window's (GUI) thread. Every load carries a token; the window ignores the results of a
load it has since replaced (another run chosen, another journal opened, the window closed).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable

import structlog
from PySide6.QtCore import QObject, Signal

from console.domain.replay import ReplayIndex
from console.engine.ports import Journal
from console.engine.replay import FIRST_PAGE, ReplayError, ReplayJournal

log = structlog.get_logger(__name__)


class ReplayLoader(QObject):
    """Runs one load at a time per call in a daemon thread; results arrive as queued signals."""

    opened = Signal(int, ReplayJournal)  # token, the verified journal and its runs
    first_page = Signal(int, ReplayIndex)  # token, the run's first events indexed
    loaded = Signal(int, ReplayIndex)  # token, the whole run indexed
    progress = Signal(int, str)  # token, what the worker is doing now
    failed = Signal(int, str)  # token, why the load stopped

    def __init__(self, parent: QObject | None = None, *, first_page_size: int = FIRST_PAGE):
        super().__init__(parent)
        self.first_page_size = first_page_size
        self.threads: list[threading.Thread] = []

    def open_journal(
        self, token: int, journal: Journal, name: str, pick: Callable[[ReplayJournal], str | None]
    ) -> None:
        """Verify and list the runs, then load the run `pick` chooses (if any)."""

        def work() -> None:
            self.progress.emit(token, "Verifying the journal's hash chain…")
            replay = ReplayJournal(journal, name)
            self.opened.emit(token, replay)
            run_id = pick(replay)
            if run_id is not None:
                self._load(token, replay, run_id)

        self._start(token, work)

    def load_run(self, token: int, replay: ReplayJournal, run_id: str) -> None:
        """Index the run's first page, then the whole run."""
        self._start(token, lambda: self._load(token, replay, run_id))

    def _load(self, token: int, replay: ReplayJournal, run_id: str) -> None:
        span = replay.span(run_id)
        # The run's ~1M objects live as long as the window shows it: the cyclic GC stays off
        # while they are built, then they are frozen out of its reach. Otherwise its next full
        # pass (hundreds of ms, holding the GIL) stalls the window, whichever thread runs it.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self.progress.emit(
                token, f"Reading the first {min(span, self.first_page_size):,} events…"
            )
            self.first_page.emit(token, replay.first_page(run_id, self.first_page_size))
            self.progress.emit(token, f"Reading and indexing all {span:,} events of the run…")
            index = replay.load(run_id)
            gc.freeze()
        finally:
            if enabled:
                gc.enable()
        self.loaded.emit(token, index)

    def _start(self, token: int, work: Callable[[], None]) -> None:
        def guarded() -> None:
            try:
                work()
            except ReplayError as exc:
                self._say_failed(token, str(exc))
            except Exception as exc:  # a closed or unreadable journal: said, never fatal
                log.warning("replay_load_failed", error=str(exc))
                self._say_failed(token, f"{type(exc).__name__}: {exc}")

        thread = threading.Thread(target=guarded, name=f"replay-load-{token}", daemon=True)
        self.threads = [t for t in self.threads if t.is_alive()]
        self.threads.append(thread)
        thread.start()

    def _say_failed(self, token: int, text: str) -> None:
        try:
            self.failed.emit(token, text)
        except RuntimeError:  # the window (and this loader) is gone: nobody to tell
            log.info("replay_load_dropped", token=token)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the worker threads (tests and shutdown)."""
        for thread in list(self.threads):
            thread.join(timeout)
