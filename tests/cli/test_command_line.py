"""`--version`, `--help`, `help`, the word `demo` and the no-display message (DESIGN §6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from console.cli.gui import display_problem
from console.cli.parser import COMMANDS
from console.resources import demo_plan_path, demo_scenario_path, resource_path
from tests.cli.helpers import DEMO_PLAN, Result, cli

NO_DISPLAY = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def run_in(cwd: Path, *args: str | Path, drop: tuple[str, ...] = ()) -> Result:
    """`python -m console.cli ARGS` as a process started in `cwd`."""
    env = {k: v for k, v in os.environ.items() if k not in drop}
    proc = subprocess.run(
        [sys.executable, "-m", "console.cli", *(str(a) for a in args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def test_help_lists_every_sub_command_on_one_line(tmp_path: Path) -> None:
    result = run_in(tmp_path, "--help")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    for name in ("preview", "run", "replay", "journal", "schema", "emulator"):
        assert name in COMMANDS
        (line,) = [ln for ln in lines if COMMANDS[name] in ln]
        assert line.split()[0] == name
    assert "phase-console demo" in result.out
    assert "phase-console [PLAN]" in result.out
    assert all(len(ln) <= 100 for ln in lines)


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    result = run_in(tmp_path, "--version")
    assert result.code == 0, result.err
    assert result.out == f"phase-console {version('phase-console')}\n"


def test_help_word_prints_help_and_opens_no_window(tmp_path: Path) -> None:
    result = run_in(tmp_path, "help", drop=NO_DISPLAY)
    assert result.code == 0, result.err
    assert "commands:" in result.out
    assert result.err == ""


def test_help_word_with_a_command_prints_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "help", "run")
    assert result.code == 0
    assert result.out.startswith("usage: phase-console run")
    assert "--yes" in result.out


def test_preview_demo_works_from_any_directory(tmp_path: Path) -> None:
    result = run_in(tmp_path, "preview", "demo", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["plan_id"] == json.loads(DEMO_PLAN.read_text())["plan_id"]
    assert data["sell"] and data["buy"]


def test_a_file_named_demo_in_the_working_directory_wins(tmp_path: Path) -> None:
    doc = json.loads(DEMO_PLAN.read_text())
    doc["plan_id"] = "my-own-demo-file"
    (tmp_path / "demo").write_text(json.dumps(doc))
    result = run_in(tmp_path, "preview", "demo", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["plan_id"] == "my-own-demo-file"


def test_run_demo_yes_works_from_any_directory(tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    result = run_in(tmp_path, "run", "demo", "--yes", "--journal", journal, "--format", "json")
    assert result.code == 3, result.err  # the demo ends partial (resources/demo/README.md)
    data = json.loads(result.out)
    assert data["status"] == "partial"
    assert any(leg["status"] == "filled" for leg in data["legs"])


def test_gui_without_a_display_says_so_and_exits_2(tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the display check is Linux-only")
    result = run_in(tmp_path, "demo", drop=NO_DISPLAY)
    assert result.code == 2
    assert "no display" in result.err
    assert "phase-console preview demo" in result.err
    assert "Traceback" not in result.err
    assert "qt.qpa" not in result.err
    assert len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({}, True),
        ({"DISPLAY": ":0"}, False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, False),
        ({"QT_QPA_PLATFORM": "offscreen"}, False),
        ({"QT_QPA_PLATFORM": "xcb"}, True),
        ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, True),
        ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":1"}, False),
    ],
)
def test_display_problem(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], problem: bool
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    for name in NO_DISPLAY:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert (display_problem() is not None) is problem


def test_bundled_files_are_found() -> None:
    assert demo_plan_path().is_file()
    assert demo_scenario_path().is_file()
    assert resource_path("demo", "targets.csv").is_file()
    assert demo_plan_path().read_bytes() == DEMO_PLAN.read_bytes()


def test_a_directory_named_demo_does_not_hide_the_bundled_demo(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    result = run_in(tmp_path, "preview", "demo", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["plan_id"] == json.loads(DEMO_PLAN.read_text())["plan_id"]
