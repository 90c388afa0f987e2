"""The journal sub-commands of the command line: `journal verify`, `journal runs`."""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from console.cli.common import EXIT_INPUT, EXIT_OK, emit_json
from console.domain.columns import runs_table
from console.domain.errors import InputError

if TYPE_CHECKING:
    from console.journal.store import SqliteJournal

_HASH = re.compile(r"[0-9a-fA-F]{64}")


def _verify(journal: SqliteJournal, name: str, head: str | None) -> int:
    """`journal verify JOURNAL [--head HASH]`: the chain, and that HASH is one of its events."""
    if head is not None and _HASH.fullmatch(head) is None:
        raise InputError.single(name, "--head", "expected a journal_head: 64 hex digits")
    if head is None:
        result, head_seq = journal.verify(), None
    else:
        result, head_seq = journal.verify_head(head)
    if not result.ok:
        sys.stdout.write(f"FAILED at seq {result.first_bad_seq}: {result.detail}\n")
        sys.stderr.write(
            f"{name}: seq {result.first_bad_seq}: verification failed: {result.detail}\n"
        )
        return EXIT_INPUT
    if head is not None and head_seq is None:
        sys.stdout.write(f"FAILED: head {head.lower()} is not in the chain\n")
        sys.stderr.write(
            f"{name}: --head: {head.lower()} is not the hash of any event in the verified chain "
            f"({result.event_count} events): events after it were removed or the chain was "
            "rewritten\n"
        )
        return EXIT_INPUT
    sys.stdout.write(f"{result.event_count} events: hash chain intact\n")
    if head is not None:
        sys.stdout.write(f"head {head.lower()} is seq {head_seq}\n")
    return EXIT_OK


def journal_command(args: argparse.Namespace) -> int:
    """`journal verify|runs JOURNAL`."""
    from console.journal.store import SqliteJournal

    if not Path(args.journal).exists():
        raise InputError.single(args.journal, "", "no such journal")
    with SqliteJournal(args.journal, read_only=True) as journal:
        if args.journal_command == "verify":
            return _verify(journal, args.journal, args.head)
        runs = journal.runs()
        statuses = [journal.reported_status(r) for r in runs]
    if args.format == "json":
        emit_json(
            [
                {
                    "run_id": r.run_id,
                    "plan_id": r.plan_id,
                    "plan_digest": r.plan_digest,
                    "attempt": r.attempt,
                    "broker": r.broker,
                    "mode": r.mode,
                    "started_at": r.started_at,
                    "status": status,
                    "legs": r.legs,
                    "filled_notional": format(r.filled_notional, "f"),
                    "first_seq": r.first_seq,
                    "last_seq": r.last_seq,
                }
                for r, status in zip(runs, statuses, strict=True)
            ]
        )
    else:
        shown = [replace(r, status=status) for r, status in zip(runs, statuses, strict=True)]
        sys.stdout.write("\n".join(runs_table().terminal_lines(shown)) + "\n")
    return EXIT_OK
