"""Opening a journal for replay: verify the chain, list runs, load a run into a ReplayIndex.

Integrity rule: the hash chain is verified on open. When it breaks at seq B, the journal is
replayed read-only and only up to seq B - 1 (the verified prefix): a run that began at or after
B cannot be opened, and a run that spans B ends at B - 1. Nothing shown is unverified.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from console.domain.errors import InputError
from console.domain.replay import ReplayIndex
from console.domain.runstate import reported_status
from console.engine.ports import Journal, RunSummary, VerifyResult

FIRST_PAGE = 1_000
"""Events indexed for the first screen of a large run, before the rest is read."""


@runtime_checkable
class SizedJournal(Protocol):
    """A journal that tells its newest seq cheaply (to choose a background load)."""

    def last_seq(self) -> int: ...


class ReplayError(Exception):
    """A run cannot be replayed (unknown, beyond the verified prefix, unreadable)."""


@dataclass(frozen=True)
class OpenTimes:
    """Seconds spent opening (verify + list runs) and loading a run (read + index)."""

    verify: float = 0.0
    runs: float = 0.0
    read: float = 0.0
    index: float = 0.0


def _as_reported(run: RunSummary, journal: Journal) -> RunSummary:
    """The run as `journal runs` shows it: `unfinished` when stopped without run_completed."""
    shown = reported_status(run.status, executing=journal.executing(run.plan_digest))
    return run if shown == run.status else replace(run, status=shown)


class ReplayJournal:
    """A journal opened for replay: its verification, its runs and loaded ReplayIndexes."""

    def __init__(self, journal: Journal, name: str = "") -> None:
        self.journal = journal
        self.name = name
        started = time.perf_counter()
        # Bytes and links only: every payload of the run is parsed when it is loaded anyway.
        self.verification: VerifyResult = journal.verify(deep=False)
        verified = time.perf_counter()
        self.runs_error: str | None = None
        try:
            listed = journal.runs()
        except InputError as exc:  # a tampered payload that no longer parses
            listed = []
            self.runs_error = str(exc)
        self.runs: list[RunSummary] = [_as_reported(run, journal) for run in listed]
        self.times = OpenTimes(verify=verified - started, runs=time.perf_counter() - verified)

    @property
    def tampered(self) -> bool:
        """True when the hash chain is broken."""
        return not self.verification.ok

    @property
    def first_bad_seq(self) -> int | None:
        """The first seq whose stored bytes break the chain."""
        return self.verification.first_bad_seq

    @property
    def replay_limit(self) -> int | None:
        """The last seq that may be replayed (None: every seq)."""
        bad = self.first_bad_seq
        return None if self.verification.ok or bad is None else bad - 1

    def can_open(self, run: RunSummary) -> bool:
        """False for a run that begins beyond the verified prefix."""
        limit = self.replay_limit
        return limit is None or run.first_seq <= limit

    def run(self, run_id: str) -> RunSummary:
        """The summary of one run."""
        for summary in self.runs:
            if summary.run_id == run_id:
                return summary
        raise ReplayError(f"no run {run_id!r} in this journal")

    def span(self, run_id: str) -> int:
        """An upper bound of the run's event count (its seq range within the verified prefix)."""
        summary = self.run(run_id)
        last = summary.last_seq
        if self.replay_limit is not None:
            last = min(last, self.replay_limit)
        return max(0, last - summary.first_seq + 1)

    def require_openable(self, run_id: str) -> RunSummary:
        """The run's summary; ReplayError when it is unknown or begins after the first bad seq."""
        summary = self.run(run_id)
        if not self.can_open(summary):
            raise ReplayError(
                f"run {run_id} begins at seq {summary.first_seq}, after the first bad seq "
                f"{self.first_bad_seq}: it cannot be replayed"
            )
        return summary

    def first_page(self, run_id: str, size: int = FIRST_PAGE) -> ReplayIndex:
        """The run's first `size` (verified) events indexed: the first screen of a large run."""
        summary = self.require_openable(run_id)
        upto = summary.first_seq + max(1, size) - 1
        if self.replay_limit is not None:
            upto = min(upto, self.replay_limit)
        try:
            events = self.journal.events(run_id, upto_seq=upto)
        except InputError as exc:
            raise ReplayError(str(exc)) from exc
        return ReplayIndex(events, log_ignored=False)

    def load(self, run_id: str, every: int | None = None) -> ReplayIndex:
        """Read a run's (verified) events and index them."""
        self.require_openable(run_id)
        started = time.perf_counter()
        try:
            events = self.journal.events(run_id, upto_seq=self.replay_limit)
        except InputError as exc:
            raise ReplayError(str(exc)) from exc
        read = time.perf_counter()
        index = ReplayIndex(events, every)
        self.times = OpenTimes(
            verify=self.times.verify,
            runs=self.times.runs,
            read=read - started,
            index=time.perf_counter() - read,
        )
        return index

    def close(self) -> None:
        """Close the underlying journal."""
        self.journal.close()
