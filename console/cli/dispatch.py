"""Entry point of the `phase-console` command line: parse, dispatch, map failures to exit codes."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import structlog

from console.brokers.registry import broker_spec
from console.cli.common import (
    EXIT_ERROR,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    UsageError,
)
from console.cli.gui import gui_command
from console.cli.journal import journal_command
from console.cli.parser import COMMANDS, PROG, build_gui_parser, build_parser
from console.cli.preview import preview_command
from console.cli.replay import replay_command
from console.cli.run import run_command
from console.cli.tools import emulator_command, schema_command
from console.domain.errors import InputError
from console.engine.configfile import load_settings
from console.engine.ports import (
    AuthenticationError,
    BrokerError,
    DataSubscriptionError,
    RunRefusedError,
)
from console.logsetup import configure_logging

log = structlog.get_logger(__name__)

SUBCOMMANDS = tuple(COMMANDS)
DEMO_WORD = "demo"


class _Logging:
    """Whether logging is configured yet, and where the log file is."""

    configured = False
    path: Path | None = None


def _configure_logging(verbosity: int) -> None:
    _Logging.path = configure_logging(verbosity)
    _Logging.configured = True


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


def _failure(kind: str, exc: BaseException) -> None:
    """Exit-1 report: the traceback to the log file (stderr only with -v), one line on stderr."""
    if not _Logging.configured:
        _configure_logging(0)
    log.error(kind, error=repr(exc)[:1000], exc_info=exc, file_only=True)
    where = f"the log file {_Logging.path}" if _Logging.path is not None else "the log"
    label = "broker error" if kind == "broker_error" else "unexpected error"
    sys.stderr.write(
        f"{label}: {type(exc).__name__}: {_one_line(exc)} (details in {where}; -v shows them)\n"
    )


def version() -> str:
    """The installed distribution's version (package metadata), else the package's own."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("phase-console")
    except PackageNotFoundError:
        from console import __version__

        return __version__


def resolve_plan(plan: str) -> str:
    """PLAN as given, or the bundled demo plan for the word `demo` (unless such a file exists)."""
    if plan == DEMO_WORD and not Path(plan).is_file():
        from console.resources import demo_plan_path

        return str(demo_plan_path())
    return plan


def _default_scenario(scenario: str | None, broker: str) -> str | None:
    if scenario is None and broker_spec(broker).uses_scenario:
        from console.resources import demo_scenario_path

        return str(demo_scenario_path())
    return scenario


def dispatch(argv: Sequence[str]) -> int:
    """Parse and run one command; exceptions map to exit codes in `main`."""
    if argv and argv[0] in ("-h", "--help", "help"):
        topic = argv[1:2] if argv[0] == "help" else []
        if topic and topic[0] in SUBCOMMANDS:
            build_parser().parse_args([topic[0], "--help"])  # prints it and exits 0
        build_parser().print_help(sys.stdout)
        return EXIT_OK
    if argv and argv[0] == "--version":
        sys.stdout.write(f"{PROG} {version()}\n")
        return EXIT_OK
    if argv and argv[0] in SUBCOMMANDS:
        args = build_parser().parse_args(argv)
    else:
        args = build_gui_parser().parse_args(argv)
        args.command = "gui"
    _configure_logging(args.verbose)
    settings = load_settings(args.config)  # every command validates its config (exit 2)
    if getattr(args, "broker", None) is not None:
        # e.g. a min_notional below what the broker accepts is a config error (exit 2)
        broker_spec(args.broker).check_settings(settings, args.config or "config")
    if getattr(args, "plan", None) is not None:
        args.plan = resolve_plan(args.plan)
    if args.command == "schema":
        return schema_command(args)
    if args.command == "replay":
        return replay_command(args)
    if args.command == "journal":
        return journal_command(args)
    if args.command == "emulator":
        return emulator_command(args)
    if args.command == "preview":
        args.scenario = _default_scenario(args.scenario, args.broker)
        return asyncio.run(preview_command(args, settings))
    if args.command == "remainder":
        from console.cli.remainder import remainder_command

        args.scenario = _default_scenario(args.scenario, args.broker)
        return asyncio.run(remainder_command(args, settings))
    if args.command == "run":
        args.scenario = _default_scenario(args.scenario, args.broker)
        args.plan_source = os.path.abspath(args.plan)
        return asyncio.run(run_command(args, settings))
    return gui_command(args, settings)


# Expected failures, most specific first: (kind, what stderr says before the message, exit code).
_EXPECTED_FAILURES: tuple[tuple[type[Exception], str, int], ...] = (
    (InputError, "error: ", EXIT_INPUT),
    (UsageError, "error: ", EXIT_INPUT),
    (AuthenticationError, "error: broker credentials: ", EXIT_INPUT),
    (DataSubscriptionError, "error: market data feed (APCA_DATA_FEED): ", EXIT_INPUT),
    (RunRefusedError, "refused: ", EXIT_REFUSED),
)
_EXPECTED = tuple(kind for kind, _, _ in _EXPECTED_FAILURES)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the command and map failures to the exit codes of DESIGN §6."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return dispatch(args)
    except _EXPECTED as exc:  # bad input, credentials or feed, refusals: one line, no traceback
        prefix, code = next((p, c) for kind, p, c in _EXPECTED_FAILURES if isinstance(exc, kind))
        sys.stderr.write(f"{prefix}{exc}\n")
        return code
    except BrokerError as exc:
        _failure("broker_error", exc)
        return EXIT_ERROR
    except SystemExit as exc:  # argparse after printing `COMMAND --help`
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as exc:  # the last resort: one line here, the traceback in the log file
        _failure("unexpected_error", exc)
        return EXIT_ERROR
