"""What the command-line modules share: the exit codes of DESIGN §6 and JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_RUN_NOT_CLEAN, EXIT_REFUSED = 0, 1, 2, 3, 4


def emit_json(data: Any) -> None:
    """Print one JSON document on stdout (logs never go there)."""
    sys.stdout.write(json.dumps(data, indent=2) + "\n")
