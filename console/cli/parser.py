"""The argument parsers: the sub-commands of DESIGN §6 and the console window's options."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import NoReturn

from console.brokers.registry import BROKERS
from console.cli.common import UsageError

MAX_SECONDS = 86400.0

PROG = "phase-console"

# Every sub-command with its one-line summary: the parser and `--help` read this table.
COMMANDS: dict[str, str] = {
    "preview": "preview a plan against the account; nothing is submitted",
    "run": "execute a plan: sells, then buys with the proceeds (needs --yes)",
    "replay": "the state of a journaled run at any event",
    "remainder": "after a partial or halted run, write a plan that trades what is left",
    "journal": "`journal verify JOURNAL [--head HASH]` or `journal runs JOURNAL`",
    "schema": "print the plan JSON Schema",
    "emulator": "serve the loopback Alpaca emulator (try --broker alpaca offline)",
}

_DESCRIPTION = """\
Supervised sell-then-buy portfolio rebalancing.

  phase-console [PLAN] [--broker ...] [--scenario FILE] [--journal FILE]
      open the operator console window (on PLAN when given)
  phase-console demo
      open the console on the bundled demo plan
  phase-console COMMAND ...
      run a command in the terminal (`phase-console COMMAND --help` for its options)

PLAN is a plan JSON, a targets CSV, or the word `demo` (the bundled demo plan, unless a file
of that name exists in the current directory)."""

_EPILOG = """\
Exit codes: 0 success; 1 unexpected error; 2 bad input or usage; 3 run ended partial, failed,
halted or unfinished; 4 refused (plan already executed, approval missing or stale)."""


def _bounded_int(low: int, high: int, what: str) -> Callable[[str], int]:
    """An argparse type: an integer from low to high inclusive."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {what} from {low} to {high}, got {text!r}")
        return value

    return parse


_SEQ = _bounded_int(0, 2**63 - 1, "a journal seq")  # SQLite's INTEGER range
_PORT = _bounded_int(0, 65535, "a TCP port")


def _seconds(text: str) -> float:
    """A duration in seconds: a finite number > 0 and at most a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0 or value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"expected seconds > 0 and at most {MAX_SECONDS:g}, got {text!r}"
        )
    return value


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors become UsageError (exit 2) instead of SystemExit."""

    def error(self, message: str) -> NoReturn:
        """Print the usage and raise UsageError."""
        self.print_usage(sys.stderr)
        raise UsageError(f"{self.prog}: {message}")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="config.toml (default: user config dir)")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="debug logs and tracebacks on stderr"
    )


def _broker_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", choices=tuple(BROKERS), default="sim")
    parser.add_argument("--scenario", metavar="FILE", help="sim scenario (default: bundled demo)")
    parser.add_argument(
        "--sim-state",
        metavar="FILE",
        help="persist the sim broker's state here (orders survive a restart of this process)",
    )
    parser.add_argument("--live", action="store_true", help="alpaca: trade the LIVE account")
    parser.add_argument(
        "--broker-timeout",
        type=_seconds,
        default=10.0,
        metavar="S",
        help="timeout of each broker call",
    )


def _format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json"), default="table")


def _wide(prog: str) -> argparse.HelpFormatter:
    formatter = argparse.RawDescriptionHelpFormatter(prog, max_help_position=16, width=100)
    formatter._action_max_length = 14  # every sub-command's name fits before its help
    return formatter


def build_parser() -> argparse.ArgumentParser:
    """The sub-command parser; its help lists every sub-command."""
    parser = Parser(
        prog=PROG,
        usage=f"{PROG} [PLAN] [options] | {PROG} COMMAND ... | {PROG} --version",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=_wide,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(
        dest="command", required=True, parser_class=Parser, title="commands", metavar="COMMAND"
    )

    def add(name: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name, prog=f"{PROG} {name}", help=COMMANDS[name], description=COMMANDS[name]
        )

    p = add("preview")
    p.add_argument("plan", help="plan JSON, targets CSV or `demo`")
    _broker_options(p)
    p.add_argument("--journal", metavar="FILE", help="journal used to number the attempt")
    _format(p)
    p.add_argument("--pdf", metavar="FILE", help="also write the pre-trade review report (PDF)")
    _common(p)

    p = add("run")
    p.add_argument("plan", help="plan JSON, targets CSV or `demo`")
    p.add_argument("--yes", action="store_true", help="approve the preview (required)")
    _broker_options(p)
    p.add_argument("--journal", metavar="FILE")
    p.add_argument("--new-attempt", action="store_true", help="run an executed plan again")
    p.add_argument("--phase-timeout", type=_seconds, metavar="S")
    _format(p)
    _common(p)

    p = add("replay")
    p.add_argument("journal")
    p.add_argument("--run", metavar="RUN_ID")
    p.add_argument("--at", type=_SEQ, metavar="SEQ")
    _format(p)
    p.add_argument("--pdf", metavar="FILE", help="also write the post-trade run report (PDF)")
    _common(p)

    p = add("remainder")
    p.add_argument("plan", help="the plan that ran (plan JSON, targets CSV or `demo`)")
    p.add_argument("--out", metavar="FILE", required=True, help="where to write the new plan")
    p.add_argument(
        "--force", action="store_true", help="overwrite --out when it exists (refused otherwise)"
    )
    _broker_options(p)
    _common(p)

    p = add("journal")
    jsub = p.add_subparsers(dest="journal_command", required=True, parser_class=Parser)
    v = jsub.add_parser("verify", help="check the hash chain (and that --head is in it)")
    v.add_argument("journal")
    v.add_argument(
        "--head",
        metavar="HASH",
        help="a journal_head from a run's output: exit 2 unless it is in the verified chain",
    )
    _common(v)
    r = jsub.add_parser("runs", help="list the runs")
    r.add_argument("journal")
    _format(r)
    _common(r)

    p = add("schema")
    _common(p)

    p = add("emulator")
    p.add_argument("--port", type=_PORT, default=8765)
    p.add_argument("--scenario", metavar="FILE")
    _common(p)
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    """`phase-console [PLAN]`: the operator console window."""
    parser = Parser(prog=PROG, description="Open the operator console.")
    parser.add_argument("plan", nargs="?", help="plan JSON, targets CSV or `demo`")
    _broker_options(parser)
    parser.add_argument("--journal", metavar="FILE")
    _common(parser)
    return parser
