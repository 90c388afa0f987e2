"""`phase-console remainder PLAN --out FILE`: a new plan that trades what a run left (DESIGN §6)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from console.cli.common import EXIT_OK, make_gateway
from console.domain.config import Settings
from console.domain.errors import InputError
from console.domain.plan import LoadedPlan
from console.domain.remainder import build_remainder, plan_json_bytes, trades
from console.domain.targets import build_targets_plan, parse_targets
from console.engine.session import fetch_snapshot, load_plan_file


def check_out_path(out: str, *, force: bool, plan: str) -> Path:
    """--out as a path: refused when it is a directory, its folder is missing, or it holds data.

    An existing non-empty file is never overwritten without --force (a plan that may have run
    is not replaced silently); an empty file (as `mktemp` leaves one) is used.
    """
    path = Path(out)
    if path.resolve() == Path(plan).resolve():
        raise InputError.single(out, "--out", "is the plan itself; choose another file")
    if path.is_dir():
        raise InputError.single(out, "--out", "is a directory, not a file")
    if not path.parent.is_dir():
        raise InputError.single(out, "--out", f"the folder {str(path.parent)!r} does not exist")
    if path.exists() and path.stat().st_size > 0 and not force:
        raise InputError.single(
            out, "--out", "exists already; choose another file or pass --force to overwrite it"
        )
    return path


def write_plan_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (a temporary file beside it, then a rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


async def remainder_command(args: argparse.Namespace, settings: Settings) -> int:
    """Read the plan and the account now, write the remainder plan to --out."""
    out = check_out_path(args.out, force=args.force, plan=args.plan)
    loaded = load_plan_file(args.plan)  # bad files fail before the broker is touched
    gateway = make_gateway(args)
    now = datetime.now(UTC)
    try:
        if isinstance(loaded, LoadedPlan):
            symbols = [item.symbol for item in loaded.plan.items]
            snapshot = await fetch_snapshot(gateway, symbols)
            source = loaded
        else:  # a targets CSV: its plan is the file's weights (held unlisted symbols at 0)
            weights = parse_targets(args.plan, loaded)
            snapshot = await fetch_snapshot(gateway, list(weights))
            source = build_targets_plan(args.plan, loaded, snapshot, settings, now)
    finally:
        await gateway.close()
    remainder = build_remainder(source, snapshot, settings, now)
    write_plan_file(out, plan_json_bytes(remainder.plan))
    sells, buys = trades(remainder.plan)
    left = "nothing left to trade" if sells + buys == 0 else f"{sells} sells, {buys} buys"
    sys.stdout.write(
        f"wrote {out}: plan {remainder.plan.plan_id} ({left}; digest {remainder.digest[:12]})\n"
        f"review it with: phase-console preview {out}\n"
    )
    return EXIT_OK
