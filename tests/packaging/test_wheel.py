"""`uv build` makes a wheel that installs in a clean venv and finds its bundled demo (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.packaging.helpers import DEMO_PLAN, ROOT, project_version, run, uv_command

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the built wheel (and its dependencies) installed."""
    uv = uv_command()
    work = tmp_path_factory.mktemp("wheel")
    built = run([*uv, "build", "--wheel", "--out-dir", str(work / "dist")], cwd=ROOT, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (work / "dist").glob("phase_console-*.whl")
    env = work / "venv"
    made = run([*uv, "venv", "--quiet", "--python", ">=3.11,<3.14", str(env)], cwd=work)
    assert made.returncode == 0, made.stderr
    install = [
        *uv,
        "pip",
        "install",
        "--quiet",
        "--python",
        str(env / "bin" / "python"),
        str(wheel),
    ]
    # From the uv cache when it has everything; from the index otherwise.
    done = run([*install, "--offline"], cwd=work, timeout=600)
    if done.returncode != 0:
        done = run(install, cwd=work, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return env


def test_wheel_carries_the_resources(venv: Path) -> None:
    """The wheel installs the demo and the icon as console/_resources."""
    (site,) = (venv / "lib").glob("python3.*/site-packages")
    assert (site / "console" / "_resources" / "demo" / "plan.json").is_file()
    assert (site / "console" / "_resources" / "icons" / "phase-console.svg").is_file()


def test_installed_command_prints_its_version(venv: Path, tmp_path: Path) -> None:
    """`phase-console --version` from the wheel's venv, outside the source tree."""
    done = run([str(venv / "bin" / "phase-console"), "--version"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert project_version() in done.stdout


def test_installed_command_previews_the_bundled_demo(venv: Path, tmp_path: Path) -> None:
    """`phase-console preview demo --format json` from a temp cwd uses the wheel's demo."""
    done = run(
        [str(venv / "bin" / "phase-console"), "preview", "demo", "--format", "json"], cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    preview = json.loads(done.stdout)
    assert preview["plan_id"] == json.loads(DEMO_PLAN.read_text())["plan_id"]
    assert preview["buy"]
