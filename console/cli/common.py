"""What the command-line modules share: exit codes (DESIGN §6), errors, JSON output, factories."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from console.brokers.registry import BrokerOptions, broker_spec
from console.engine.gateway import BrokerGateway
from console.engine.ports import Broker, Journal, RunRefusedError

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_RUN_NOT_CLEAN, EXIT_REFUSED = 0, 1, 2, 3, 4


class RefusedError(RunRefusedError):
    """The command was refused (exit 4): plan already executed, approval missing or stale."""


class UsageError(Exception):
    """Bad usage or an unusable argument (exit 2)."""


def emit_json(data: Any) -> None:
    """Print one JSON document on stdout (logs never go there)."""
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def make_broker(args: argparse.Namespace) -> Broker:
    """The broker adapter the arguments select, from the registry (its SDK imported lazily)."""
    spec = broker_spec(args.broker)
    options = BrokerOptions(
        scenario=args.scenario,
        state_path=getattr(args, "sim_state", None),
        live=args.live,
        request_timeout_s=args.broker_timeout,
    )
    return spec.create(options)


def make_gateway(args: argparse.Namespace) -> BrokerGateway:
    """The selected broker behind the engine's gateway (timeout per the broker's traits)."""
    outer = args.broker_timeout * broker_spec(args.broker).timeout_factor
    return BrokerGateway(make_broker(args), timeout=outer)


def open_journal(path: str | None) -> Journal:
    """The journal at `path` (default: the user data directory), created when missing."""
    from console.journal.store import SqliteJournal, default_journal_path

    return SqliteJournal(path if path is not None else str(default_journal_path()))


def existing_journal(path: str | None) -> Journal | None:
    """The journal read-only, or None when it does not exist (preview never creates one)."""
    from console.journal.store import SqliteJournal, default_journal_path

    location = Path(path) if path is not None else default_journal_path()
    return SqliteJournal(str(location), read_only=True) if location.exists() else None
