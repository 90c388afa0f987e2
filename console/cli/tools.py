"""`phase-console schema` and `phase-console emulator`: the tools around the plan format."""

from __future__ import annotations

import argparse

from console.cli.common import EXIT_OK, emit_json
from console.domain.schema import plan_json_schema


def schema_command(_: argparse.Namespace) -> int:
    """Print the plan JSON Schema."""
    emit_json(plan_json_schema())
    return EXIT_OK


def emulator_command(args: argparse.Namespace) -> int:
    """Serve the loopback Alpaca emulator in the foreground until Ctrl+C."""
    from console.emulator import serve

    serve(args.port, args.scenario)
    return EXIT_OK
