"""`phase-console run PLAN --yes`: execute a plan (sells, then buys), or resume its run."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal

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
from console.domain.runstate import RunState, run_state_json
from console.engine.executor import PhaseExecutor
from console.engine.gateway import BrokerGateway
from console.engine.ports import Journal
from console.engine.session import (
    load_plan_file,
    load_plan_source,
    next_attempt,
    preview_plan,
    unfinished_run,
)

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
        journal = open_journal(args.journal)
        executor = PhaseExecutor(gateway, journal, settings)
        unfinished = unfinished_run(journal, loaded)
        if unfinished is not None:
            if args.new_attempt:
                raise RefusedError(
                    f"run {unfinished.run_id} of this plan did not finish; run without "
                    "--new-attempt to resume it first"
                )
            log.info("resuming_run", run_id=unfinished.run_id)
            state = await executor.resume(unfinished.run_id)
        else:
            runs = journal.runs_for_plan(loaded.digest)
            latest = runs[-1] if runs else None
            if latest is not None and not args.new_attempt:
                raise RefusedError(
                    f"plan {loaded.plan.plan_id} was already executed (run {latest.run_id}, "
                    f"{latest.status}); pass --new-attempt to run it again"
                )
            preview = preview_plan(loaded, snapshot, settings, next_attempt(journal, loaded.digest))
            state = await executor.start(preview, plan_source=args.plan_source)
    finally:
        if journal is not None:
            journal.close()
        await gateway.close()
    _print_run(args.format, state, gateway)
    return EXIT_OK if state.status == "succeeded" else EXIT_RUN_NOT_CLEAN


def _print_run(fmt: str, state: RunState, gateway: BrokerGateway) -> None:
    requests = gateway.request_figures()
    if fmt == "json":
        emit_json({**run_state_json(state), "broker_requests": requests})
    else:
        footer = f"Broker requests: {requests['total']} ({requests['submit']} submits)"
        sys.stdout.write(run_table(state) + "\n" + footer + "\n")
