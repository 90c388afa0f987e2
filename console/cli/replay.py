"""`phase-console replay JOURNAL`: the folded state of a journaled run at any event."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from console.cli.common import EXIT_OK, emit_json
from console.cli.reportfiles import check_pdf_path, write_report
from console.cli.tables import run_table
from console.domain.errors import InputError
from console.domain.events import RecordedEvent, RunUnfinished
from console.domain.fold import fold
from console.domain.replay import replay_json
from console.domain.runstate import RunState, reported_status


def replay_command(args: argparse.Namespace) -> int:
    """`replay JOURNAL [--run ID] [--at SEQ]`: the folded RunState (verified journal only)."""
    from console.journal.store import SqliteJournal

    if args.pdf is not None:
        check_pdf_path(args.pdf)
    if not Path(args.journal).exists():
        raise InputError.single(args.journal, "", "no such journal")
    with SqliteJournal(args.journal, read_only=True) as journal:
        result = journal.verify(deep=False)  # the run's payloads are parsed by the fold below
        if not result.ok:
            raise InputError.single(
                args.journal,
                f"seq {result.first_bad_seq}",
                f"journal verification failed: {result.detail}",
            )
        runs = journal.runs()
        if not runs:
            raise InputError.single(args.journal, "", "the journal has no runs")
        if args.run is None:
            run = runs[-1]
        else:
            matches = [r for r in runs if r.run_id == args.run]
            if not matches:
                raise InputError.single(
                    args.journal, "--run", f"no run {args.run!r} in this journal"
                )
            run = matches[0]
        at = run.last_seq if args.at is None else args.at
        if at < run.first_seq:
            raise InputError.single(
                args.journal,
                "--at",
                f"seq {at} is before run {run.run_id} begins "
                f"(its first event is seq {run.first_seq})",
            )
        events = journal.events(run.run_id, upto_seq=at)
        state = fold(events)
        head = journal.head_hash(run.run_id, upto_seq=at)
        executing = journal.executing(run.plan_digest)
    at_seq = min(at, run.last_seq)
    report = replay_json(state, at, run.last_seq)
    shown = reported_status(state.status, executing=executing, at_end=at_seq == run.last_seq)
    unfinished = shown == "unfinished"
    working = [leg.client_order_id for leg in state.legs if leg.intent and not leg.is_terminal]
    last = events[-1].event if events else None
    why = last.reason if isinstance(last, RunUnfinished) else None  # a crash leaves no reason
    if unfinished:
        report["status"] = "unfinished"
        report["unfinished"] = {"reason": why, "orders": working}
    report["journal_head"] = head
    if args.pdf is not None:
        write_report(args.pdf, lambda path: _run_pdf(state, head, path, args.journal, events))
    if args.format == "json":
        emit_json(report)
    else:
        header = f"Replay of {args.journal} at seq {at_seq} of {run.last_seq}"
        lines = [run_table(state, header=header, status="unfinished" if unfinished else None)]
        if unfinished:
            lines.append(
                f"UNFINISHED: {why or 'the journal has no run_completed for this run'}; orders "
                f"that may still be working: {', '.join(working) or 'none'}; `run` of the plan "
                "resumes it"
            )
        lines.append(f"Journal head: {head}")
        sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def _run_pdf(
    state: RunState, head: str | None, path: str, journal: str, events: list[RecordedEvent]
) -> int:
    from console.ui.reports import write_run_pdf  # Qt only when a PDF is asked for

    return write_run_pdf(state, head, path, journal, events=events[:1])
