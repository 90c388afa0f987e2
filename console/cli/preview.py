"""`phase-console preview PLAN`: the preview of DESIGN §3 as a table or JSON."""

from __future__ import annotations

import argparse
import sys

from console.cli.common import EXIT_OK, emit_json, existing_journal, make_gateway
from console.cli.reportfiles import check_pdf_path, write_report
from console.cli.tables import preview_json, preview_table
from console.domain.config import Settings
from console.domain.preview_model import Preview
from console.engine.session import load_plan_file, load_plan_source, next_attempt, preview_plan


async def preview_command(args: argparse.Namespace, settings: Settings) -> int:
    """Load the plan, read the account, print the preview (nothing is journaled)."""
    if args.pdf is not None:
        check_pdf_path(args.pdf)
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
    if args.pdf is not None:
        write_report(args.pdf, lambda path: _preview_pdf(preview, path, args.plan))
    if args.format == "json":
        emit_json(preview_json(preview))
    else:
        sys.stdout.write(preview_table(preview) + "\n")
    return EXIT_OK


def _preview_pdf(preview: Preview, path: str, source: str) -> int:
    from console.ui.reports import write_preview_pdf  # Qt only when a PDF is asked for

    return write_preview_pdf(preview, path, source)
