"""Exit 1 is one line on stderr; tracebacks go to the log file (-v shows ours, never foreign)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pytest

import console.cli.dispatch as cli_main
import console.logsetup as logsetup
from console.domain.config import Settings
from tests.cli.helpers import DEMO_PLAN, cli


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "phase-console.log"
    monkeypatch.setattr(logsetup, "default_log_path", lambda: path)
    return path


async def _explode(args: argparse.Namespace, settings: Settings) -> int:
    raise RuntimeError("kaboom\nsecond line of the message")


async def _foreign_traceback(args: argparse.Namespace, settings: Settings) -> int:
    try:
        raise ConnectionError("auth refused")
    except ConnectionError:
        logging.getLogger("alpaca.trading.stream").exception("error during websocket")
        logging.getLogger("websockets.client").error("closed", exc_info=True)
        logging.getLogger("asyncio").error("Task exception was never retrieved", exc_info=True)
    return 0


def test_exit_1_prints_one_line_and_logs_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], log_file: Path
) -> None:
    monkeypatch.setattr(cli_main, "preview_command", _explode)
    result = cli(capsys, "preview", DEMO_PLAN)
    assert result.code == 1
    assert len(result.err.splitlines()) == 1, result.err
    assert "RuntimeError: kaboom second line of the message" in result.err
    assert str(log_file) in result.err
    assert "Traceback" not in result.err
    logged = log_file.read_text()
    assert "Traceback (most recent call last)" in logged
    assert "kaboom" in logged


def test_verbose_shows_our_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], log_file: Path
) -> None:
    monkeypatch.setattr(cli_main, "preview_command", _explode)
    result = cli(capsys, "preview", DEMO_PLAN, "-v")
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.err


@pytest.mark.parametrize("verbose", [[], ["-v"]])
def test_foreign_loggers_never_print_tracebacks_on_stderr(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    log_file: Path,
    verbose: list[str],
) -> None:
    monkeypatch.setattr(cli_main, "preview_command", _foreign_traceback)
    result = cli(capsys, "preview", DEMO_PLAN, *verbose)
    assert result.code == 0
    assert "error during websocket" in result.err  # the message line stays
    assert "Traceback" not in result.err
    assert "ConnectionError" not in result.err
    assert log_file.read_text().count("Traceback (most recent call last)") == 3
