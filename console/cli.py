"""The `phase-console` command line (DESIGN §6): preview, run, replay, journal, schema, emulator."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import structlog

from console.cli_common import (
    EXIT_ERROR,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_RUN_NOT_CLEAN,
    emit_json,
)
from console.cli_journal import journal_command, replay_command
from console.domain.config import Settings
from console.domain.errors import InputError
from console.domain.report import preview_json, preview_table, run_table
from console.domain.runstate import RunState, run_state_json
from console.domain.schema import plan_json_schema
from console.engine.configfile import load_settings
from console.engine.executor import PhaseExecutor
from console.engine.gateway import BrokerGateway
from console.engine.ports import AuthenticationError, Broker, BrokerError, Journal
from console.engine.session import (
    load_plan_file,
    load_plan_source,
    next_attempt,
    preview_plan,
    unfinished_run,
)
from console.logsetup import configure_logging

log = structlog.get_logger(__name__)

SUBCOMMANDS = ("preview", "run", "replay", "journal", "schema", "emulator")


class RefusedError(Exception):
    """The command was refused (exit 4): plan already executed, approval missing or stale."""


class UsageError(Exception):
    """Bad usage or an unusable argument (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(f"{self.prog}: {message}")


def make_gateway(args: argparse.Namespace) -> BrokerGateway:
    """The selected broker behind the engine's gateway.

    alpaca-py calls carry their own per-request timeout and the adapter retries 429s itself, so
    the gateway's outer timeout leaves room for those retries.
    """
    outer = args.broker_timeout * (6 if args.broker == "alpaca" else 1)
    return BrokerGateway(make_broker(args), timeout=outer)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="config.toml (default: user config dir)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="debug logs on stderr")


def _broker_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", choices=("sim", "alpaca"), default="sim")
    parser.add_argument("--scenario", metavar="FILE", help="sim scenario (default: bundled demo)")
    parser.add_argument(
        "--sim-state",
        metavar="FILE",
        help="persist the sim broker's state here (orders survive a restart of this process)",
    )
    parser.add_argument("--live", action="store_true", help="alpaca: trade the LIVE account")
    parser.add_argument(
        "--broker-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="timeout of each broker call",
    )


def _format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json"), default="table")


def build_parser() -> argparse.ArgumentParser:
    """The sub-command parser."""
    parser = _Parser(prog="phase-console", description="Supervised sell-then-buy rebalancing.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("preview", help="preview a plan (JSON plan or targets CSV)")
    p.add_argument("plan")
    _broker_options(p)
    p.add_argument("--journal", metavar="FILE", help="journal used to number the attempt")
    _format(p)
    _common(p)

    p = sub.add_parser("run", help="execute a plan: sells, then buys with the proceeds")
    p.add_argument("plan")
    p.add_argument("--yes", action="store_true", help="approve the preview (required)")
    _broker_options(p)
    p.add_argument("--journal", metavar="FILE")
    p.add_argument("--new-attempt", action="store_true", help="run an executed plan again")
    p.add_argument("--phase-timeout", type=float, metavar="S")
    _format(p)
    _common(p)

    p = sub.add_parser("replay", help="the state of a journaled run at any event")
    p.add_argument("journal")
    p.add_argument("--run", metavar="RUN_ID")
    p.add_argument("--at", type=int, metavar="SEQ")
    _format(p)
    _common(p)

    p = sub.add_parser("journal", help="journal maintenance")
    jsub = p.add_subparsers(dest="journal_command", required=True, parser_class=_Parser)
    v = jsub.add_parser("verify", help="check the hash chain")
    v.add_argument("journal")
    _common(v)
    r = jsub.add_parser("runs", help="list the runs")
    r.add_argument("journal")
    _format(r)
    _common(r)

    p = sub.add_parser("schema", help="print the plan JSON Schema")
    _common(p)

    p = sub.add_parser("emulator", help="start the loopback Alpaca emulator")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--scenario", metavar="FILE")
    _common(p)
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    """`phase-console [PLAN]`: the operator console window."""
    parser = _Parser(prog="phase-console", description="Open the operator console.")
    parser.add_argument("plan", nargs="?")
    _broker_options(parser)
    parser.add_argument("--journal", metavar="FILE")
    _common(parser)
    return parser


def make_broker(args: argparse.Namespace) -> Broker:
    """The broker adapter the arguments select (alpaca imported only when chosen)."""
    if args.broker == "alpaca":
        from console.brokers.alpaca import AlpacaOptions, create_alpaca_broker

        return create_alpaca_broker(
            live=args.live, options=AlpacaOptions(request_timeout_s=args.broker_timeout)
        )
    from console.brokers.sim import create_sim_broker

    return create_sim_broker(args.scenario, state_path=args.sim_state)


def open_journal(path: str | None) -> Journal:
    """The journal at `path` (default: the user data directory), created when missing."""
    from console.journal.store import SqliteJournal, default_journal_path

    return SqliteJournal(path if path is not None else str(default_journal_path()))


def existing_journal(path: str | None) -> Journal | None:
    """The journal read-only, or None when it does not exist (preview never creates one)."""
    from console.journal.store import SqliteJournal, default_journal_path

    location = Path(path) if path is not None else default_journal_path()
    return SqliteJournal(str(location), read_only=True) if location.exists() else None


async def _preview(args: argparse.Namespace, settings: Settings) -> int:
    load_plan_file(args.plan)  # bad files fail before any broker or journal is touched
    gateway = make_gateway(args)
    journal = existing_journal(args.journal)
    try:
        loaded, snapshot = await load_plan_source(args.plan, gateway, settings)
        preview = preview_plan(loaded, snapshot, settings, next_attempt(journal, loaded.digest))
    finally:
        if journal is not None:
            journal.close()
        await gateway.close()
    if args.format == "json":
        emit_json(preview_json(preview))
    else:
        sys.stdout.write(preview_table(preview) + "\n")
    return EXIT_OK


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.phase_timeout is not None:
        if args.phase_timeout <= 0:
            raise UsageError("--phase-timeout must be > 0")
        settings = settings.model_copy(
            update={"phase_timeout_seconds": _seconds(args.phase_timeout)}
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


def _seconds(value: float) -> Any:
    from decimal import Decimal

    return Decimal(str(value))


def _print_run(fmt: str, state: RunState, gateway: BrokerGateway) -> None:
    requests = gateway.request_figures()
    if fmt == "json":
        emit_json({**run_state_json(state), "broker_requests": requests})
    else:
        footer = f"Broker requests: {requests['total']} ({requests['submit']} submits)"
        sys.stdout.write(run_table(state) + "\n" + footer + "\n")


def _emulator(args: argparse.Namespace) -> int:
    from console.emulator import serve

    serve(args.port, args.scenario)
    return EXIT_OK


def _gui(args: argparse.Namespace, settings: Settings) -> int:
    from console.app import run_gui

    return run_gui(
        args.plan,
        broker=args.broker,
        scenario=args.scenario,
        journal=args.journal,
        settings=settings,
        live=args.live,
        state_path=args.sim_state,
    )


def dispatch(argv: Sequence[str]) -> int:
    """Parse and run one command; exceptions map to exit codes in `main`."""
    if argv and argv[0] in SUBCOMMANDS:
        args = build_parser().parse_args(argv)
    else:
        args = build_gui_parser().parse_args(argv)
        args.command = "gui"
    configure_logging(args.verbose)
    settings = load_settings(args.config)  # every command validates its config (exit 2)
    if args.command == "schema":
        emit_json(plan_json_schema())
        return EXIT_OK
    if args.command == "replay":
        return replay_command(args)
    if args.command == "journal":
        return journal_command(args)
    if args.command == "emulator":
        return _emulator(args)
    if args.command == "preview":
        return asyncio.run(_preview(args, settings))
    if args.command == "run":
        args.plan_source = os.path.abspath(args.plan)
        return asyncio.run(_run(args, settings))
    return _gui(args, settings)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the command and map failures to the exit codes of DESIGN §6."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return dispatch(args)
    except InputError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_INPUT
    except UsageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_INPUT
    except AuthenticationError as exc:
        sys.stderr.write(f"error: broker credentials: {exc}\n")
        return EXIT_INPUT
    except RefusedError as exc:
        sys.stderr.write(f"refused: {exc}\n")
        return EXIT_REFUSED
    except BrokerError as exc:
        sys.stderr.write(f"broker error: {type(exc).__name__}: {exc}\n")
        log.error("broker_error", error=str(exc), exc_info=exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as exc:  # the last resort: a short message here, the traceback in the log
        log.error("unexpected_error", error=repr(exc), exc_info=exc)
        sys.stderr.write(
            f"unexpected error: {type(exc).__name__}: {exc} (details in the log file)\n"
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
