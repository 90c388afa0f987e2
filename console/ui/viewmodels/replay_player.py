"""The replay cursor: steps, seeks, jumps to problems, and play at 1×/10×/100×/max in event time."""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, QTimer, Signal

from console.domain.replay import ReplayIndex
from console.domain.runstate import Incident

FRAME_MS = 16  # events closer together than one frame (in real time) are shown in one step
MAX_FRAMES = 480  # at "max" the whole run plays in about MAX_FRAMES frames (~8 s)
SPEEDS: tuple[tuple[str, float | None], ...] = (
    ("1×", 1.0),
    ("10×", 10.0),
    ("100×", 100.0),
    ("max", None),
)


class ReplayPlayer(QObject):
    """Owns the cursor (an event position) over one ReplayIndex; a QTimer drives playback."""

    position_changed = Signal(int)
    playing_changed = Signal(bool)

    def __init__(self, index: ReplayIndex, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.position = len(index) - 1
        self.speed: float | None = 1.0
        self.next_interval: int | None = None  # ms until the next tick (None: paused)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)

    # -- cursor ---------------------------------------------------------------------------
    @property
    def seq(self) -> int:
        """Seq of the event at the cursor."""
        return self.index.seqs[self.position]

    @property
    def at_end(self) -> bool:
        """True on the run's last event."""
        return self.position >= len(self.index) - 1

    def seek(self, position: int) -> None:
        """Move the cursor to an event position (clamped)."""
        position = max(0, min(len(self.index) - 1, position))
        if position != self.position:
            self.position = position
            self.position_changed.emit(position)

    def seek_seq(self, seq: int) -> None:
        """Move the cursor to the last event with seq <= `seq`."""
        self.seek(self.index.index_of(max(seq, self.index.first_seq)))

    def step(self, delta: int) -> None:
        """One (or `delta`) events forward or back; pauses playback."""
        self.pause()
        self.seek(self.position + delta)

    def next_problem(self) -> Incident | None:
        """Jump to the next reject, unknown outcome, halt, re-approval or stream problem."""
        found = self.index.next_problem(self.seq)
        if found is not None:
            self.pause()
            self.seek_seq(found.seq)
        return found

    def prev_problem(self) -> Incident | None:
        """Jump to the previous problem."""
        found = self.index.prev_problem(self.seq)
        if found is not None:
            self.pause()
            self.seek_seq(found.seq)
        return found

    # -- playback -------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        """True while the timer drives the cursor."""
        return self.next_interval is not None

    def set_speed(self, speed: float | None) -> None:
        """1.0, 10.0, 100.0 (event time) or None for max."""
        self.speed = speed
        if self.playing:
            self._schedule()

    def play(self) -> None:
        """Play from the cursor (from the start when at the end)."""
        if self.playing:
            return
        if self.at_end:
            self.seek(0)
        self._schedule()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        """Stop playback."""
        if not self.playing:
            return
        self._timer.stop()
        self.next_interval = None
        self.playing_changed.emit(False)

    def toggle(self) -> None:
        """Play or pause."""
        if self.playing:
            self.pause()
        else:
            self.play()

    def gap_ms(self, position: int) -> float:
        """Event time from events[position] to the next event, in ms (0 at the end)."""
        events = self.index.events
        if position + 1 >= len(events):
            return 0.0
        delta = events[position + 1].ts - events[position].ts
        return max(0.0, delta.total_seconds() * 1000)

    def interval_ms(self) -> int:
        """Real-time wait before the next tick at the current speed."""
        if self.speed is None:
            return FRAME_MS
        return max(0, round(self.gap_ms(self.position) / self.speed))

    def target_after_tick(self) -> int:
        """Where one tick moves the cursor: every event within one frame of real time."""
        last = len(self.index) - 1
        if self.speed is None:
            return min(last, self.position + max(1, math.ceil(len(self.index) / MAX_FRAMES)))
        events = self.index.events
        budget = FRAME_MS * self.speed / 1000  # event seconds shown per frame
        base = events[min(last, self.position + 1)].ts
        target = min(last, self.position + 1)
        while target < last and (events[target + 1].ts - base).total_seconds() <= budget:
            target += 1
        return target

    def _schedule(self) -> None:
        self.next_interval = self.interval_ms()
        self._timer.start(self.next_interval)

    def _tick(self) -> None:
        if not self.at_end:
            self.seek(self.target_after_tick())
        if self.at_end:
            self.pause()
        else:
            self._schedule()
