"""`phase-console run PLAN --yes`: execute a plan (sells, then buys), or resume its run."""

from __future__ import annotations

import argparse
import asyncio
import sys
from decimal import Decimal
from pathlib import Path

import structlog

from console.cli.common import (
    EXIT_OK,
    EXIT_RUN_NOT_CLEAN,
    RefusedError,
    UsageError,
    emit_json,
    make_gateway,
    open_journal,
)
from console.cli.tables import run_table
from console.domain.config import Settings
from console.domain.preview import gate_refusal
from console.domain.runstate import RunState, run_state_json
from console.engine.executor import PhaseExecutor, Unfinished
from console.engine.gateway import BrokerGateway
from console.engine.ports import Journal
from console.engine.session import load_plan_file, load_plan_source, start_or_resume

log = structlog.get_logger(__name__)


async def run_command(args: argparse.Namespace, settings: Settings) -> int:
    """Start (or resume) the plan's run; exit 0 when it succeeded, 3 otherwise."""
    if args.phase_timeout is not None:
        if args.phase_timeout <= 0:
            raise UsageError("--phase-timeout must be > 0")
        settings = settings.model_copy(
            update={"phase_timeout_seconds": Decimal(str(args.phase_timeout))}
        )
    load_plan_file(args.plan)
    gateway = make_gateway(args)
    journal: Journal | None = None
    try:
        loaded, snapshot = await load_plan_source(args.plan, gateway, settings)
        if not args.yes:
            raise RefusedError(
                "approval missing: review `phase-console preview` and pass --yes to run"
            )
        clock = snapshot.clock
        if clock is not None and not await asyncio.to_thread(Path(args.journal).exists):
            # No journal file is created for a run that cannot start now (DESIGN §4: nothing
            # journaled); the executor reads the gate again, fresh, under the run lock.
            refusal = gate_refusal(clock, snapshot.account_status, settings)
            if refusal is not None:
                raise RefusedError(refusal)
        journal = open_journal(args.journal)
        executor = PhaseExecutor(gateway, journal, settings)
        state = await start_or_resume(
            executor,
            journal,
            loaded,
            snapshot,
            settings,
            new_attempt=args.new_attempt,
            plan_source=args.plan_source,
        )
        head = journal.head_hash(state.run_id)
    finally:
        if journal is not None:
            journal.close()
        await gateway.close()
    _print_run(args.format, state, gateway, head, executor.unfinished)
    if executor.unfinished is not None:
        sys.stderr.write(
            f"run {state.run_id} unfinished: {executor.unfinished.describe()}; "
            "run the same command again to resume it\n"
        )
        return EXIT_RUN_NOT_CLEAN
    return EXIT_OK if state.status == "succeeded" else EXIT_RUN_NOT_CLEAN


def _print_run(
    fmt: str,
    state: RunState,
    gateway: BrokerGateway,
    head: str | None,
    unfinished: Unfinished | None,
) -> None:
    requests = gateway.request_figures()
    report = run_state_json(state)
    if unfinished is not None:
        report["status"] = "unfinished"
        report["unfinished"] = {"reason": unfinished.reason, "orders": list(unfinished.open_orders)}
    report["journal_head"] = head
    if fmt == "json":
        emit_json({**report, "broker_requests": requests})
    else:
        footer = f"Broker requests: {requests['total']} ({requests['submit']} submits)"
        status = "unfinished" if unfinished is not None else None
        lines = [run_table(state, status=status), footer, f"Journal head: {head}"]
        if unfinished is not None:
            lines.insert(1, f"UNFINISHED: {unfinished.describe()}")
        sys.stdout.write("\n".join(lines) + "\n")
