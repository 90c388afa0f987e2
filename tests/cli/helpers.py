"""Running the `phase-console` command line in-process and as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from console.cli import main

REPO = Path(__file__).resolve().parents[2]
DEMO_PLAN = REPO / "resources" / "demo" / "plan.json"
DEMO_SCENARIO = REPO / "resources" / "demo" / "scenario.json"
DEMO_TARGETS = REPO / "resources" / "demo" / "targets.csv"


@dataclass
class Result:
    """Exit code and captured output of one command."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Result:
    """Run the command line in-process."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def cli_process(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 120
) -> Result:
    """Run `python -m console.cli` as a real process."""
    proc = subprocess.run(
        [sys.executable, "-m", "console.cli", *(str(a) for a in args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=2))
    return path
