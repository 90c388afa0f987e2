"""Shared helpers for the packaging tests: the repository root, uv, and the project version."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_PLAN = ROOT / "resources" / "demo" / "plan.json"


def project_version() -> str:
    """The version in pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def uv_command() -> list[str]:
    """How to call uv: the one running the tests (`uv run` sets UV), else the one on PATH."""
    running = os.environ.get("UV")
    if running and Path(running).is_file():
        return [running]
    found = shutil.which("uv")
    if found:
        return [found]
    pytest.skip("uv not found: run the tests through `scripts/dev test` (uv run)")


def run(
    args: list[str], *, cwd: Path, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output; never raises on a non-zero exit."""
    return subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen") if env is None else env,
        check=False,
    )
