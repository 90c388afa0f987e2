"""ReplayIndex: RunFolder checkpoints over a run's events, so any seq is reached in <= K applies.

Replay uses the same `RunFolder.apply` as `fold` (and so as `replay --format json` and the live
monitor): the state at a seq is exactly fold(events up to that seq). The index folds the run
once, keeping a copy of the folder every `every` events; `state_at(seq)` copies the nearest
checkpoint at or before the seq and applies at most `every - 1` events.
"""

from __future__ import annotations

import bisect
import gc
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.domain.events import (
    FundingRecomputed,
    OrderIntent,
    PhaseCompleted,
    PhaseStarted,
    RecordedEvent,
)
from console.domain.fold import RunFolder
from console.domain.runstate import Incident, RunState, run_state_json

MIN_EVERY = 64
MAX_EVERY = 512


def checkpoint_every(count: int) -> int:
    """sqrt-sized checkpoint spacing, clamped to [64, 512] events."""
    return max(MIN_EVERY, min(MAX_EVERY, math.isqrt(max(count, 1))))


@dataclass(frozen=True)
class Boundary:
    """A phase boundary on the timeline: phase_started, funding_recomputed, phase_completed."""

    seq: int
    kind: str
    label: str


def _boundary(recorded: RecordedEvent) -> Boundary | None:
    event = recorded.event
    if isinstance(event, PhaseStarted):
        return Boundary(recorded.seq, event.kind, f"{event.phase.value} phase started")
    if isinstance(event, PhaseCompleted):
        return Boundary(recorded.seq, event.kind, f"{event.phase.value} phase completed")
    if isinstance(event, FundingRecomputed):
        return Boundary(recorded.seq, event.kind, f"funding recomputed: scale {event.scale}")
    return None


class ReplayIndex:
    """A run's events with RunFolder checkpoints; O(every) seeks to any seq (pure, no I/O)."""

    def __init__(
        self, events: Sequence[RecordedEvent], every: int | None = None, *, log_ignored: bool = True
    ) -> None:
        if not events:
            raise ValueError("a replay needs at least the run's run_started event")
        self.events: tuple[RecordedEvent, ...] = tuple(events)
        self.seqs: list[int] = [recorded.seq for recorded in self.events]
        if any(b <= a for a, b in zip(self.seqs, self.seqs[1:], strict=False)):
            raise ValueError("events must be in strictly increasing seq order")
        self.every = every if every is not None else checkpoint_every(len(self.events))
        if self.every < 1:
            raise ValueError("checkpoint spacing must be >= 1")
        self.run_id = self.events[0].run_id
        # _checkpoints[j] is the folder after the first (j + 1) * every events.
        self._checkpoints: list[RunFolder] = []
        self.intent_ts: dict[str, datetime] = {}
        folder = RunFolder(log_ignored=log_ignored)
        boundaries: list[Boundary] = []
        # Every checkpoint and leg built here stays alive: pausing the cyclic GC saves ~20 %.
        paused = gc.isenabled()
        gc.disable()
        try:
            self._build(folder, boundaries)
        finally:
            if paused:
                gc.enable()
        self.boundaries: tuple[Boundary, ...] = tuple(boundaries)
        self.final: RunState = folder.state()
        self.problems: tuple[Incident, ...] = self.final.incidents
        self._problem_seqs = [incident.seq for incident in self.problems]

    def _build(self, folder: RunFolder, boundaries: list[Boundary]) -> None:
        for number, recorded in enumerate(self.events, start=1):
            folder.apply(recorded)
            if (number % self.every) == 0:
                self._checkpoints.append(folder.copy())
            mark = _boundary(recorded)
            if mark is not None:
                boundaries.append(mark)
            if isinstance(recorded.event, OrderIntent):
                self.intent_ts.setdefault(recorded.event.client_order_id, recorded.ts)

    # -- positions ------------------------------------------------------------------------
    def __len__(self) -> int:
        """Number of events."""
        return len(self.events)

    @property
    def first_seq(self) -> int:
        """Seq of run_started."""
        return self.seqs[0]

    @property
    def last_seq(self) -> int:
        """Seq of the run's last event."""
        return self.seqs[-1]

    def index_of(self, seq: int) -> int:
        """Position of the last event with seq <= `seq` (ValueError before the run begins)."""
        position = bisect.bisect_right(self.seqs, seq) - 1
        if position < 0:
            raise ValueError(f"seq {seq} is before the run begins (first seq {self.first_seq})")
        return position

    def prev_seq(self, seq: int) -> int:
        """The event before the one at `seq` (the first event stays put)."""
        return self.seqs[max(0, self.index_of(seq) - 1)]

    def next_seq(self, seq: int) -> int:
        """The event after the one at `seq` (the last event stays put)."""
        return self.seqs[min(len(self.seqs) - 1, self.index_of(seq) + 1)]

    def next_problem(self, after_seq: int) -> Incident | None:
        """The first problem strictly after `after_seq`, if any."""
        position = bisect.bisect_right(self._problem_seqs, after_seq)
        return self.problems[position] if position < len(self.problems) else None

    def prev_problem(self, before_seq: int) -> Incident | None:
        """The last problem strictly before `before_seq`, if any."""
        position = bisect.bisect_left(self._problem_seqs, before_seq) - 1
        return self.problems[position] if position >= 0 else None

    def problems_at(self, seq: int) -> tuple[Incident, ...]:
        """The problems recorded at exactly this seq."""
        low = bisect.bisect_left(self._problem_seqs, seq)
        high = bisect.bisect_right(self._problem_seqs, seq)
        return self.problems[low:high]

    # -- states ---------------------------------------------------------------------------
    def folder_at_index(self, position: int) -> RunFolder:
        """A fresh RunFolder after events[0..position] (<= every - 1 applies after a copy)."""
        if not 0 <= position < len(self.events):
            raise IndexError(f"event position {position} out of range")
        count = position + 1
        slot = count // self.every
        if slot == 0:
            folder, done = RunFolder(log_ignored=False), 0
        else:
            folder, done = self._checkpoints[slot - 1].copy(), slot * self.every
            folder.log_ignored = False  # the index build logged these events already
        for recorded in self.events[done:count]:
            folder.apply(recorded)
        return folder

    def state_at_index(self, position: int) -> RunState:
        """RunState after events[0..position]."""
        return self.folder_at_index(position).state()

    def state_at(self, seq: int) -> RunState:
        """RunState after every event with seq <= `seq` (== fold of those events)."""
        return self.state_at_index(self.index_of(seq))


def replay_json(state: RunState, at: int, last_seq: int) -> dict[str, Any]:
    """The `replay --format json` object: the run JSON plus at_seq and last_seq."""
    return {**run_state_json(state), "at_seq": min(at, last_seq), "last_seq": last_seq}
