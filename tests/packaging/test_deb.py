"""scripts/package builds a .deb whose installed binary runs (slow: it builds the bundle)."""

from __future__ import annotations

import configparser
import json
import shutil
from pathlib import Path

import pytest

from tests.packaging.helpers import DEMO_PLAN, ROOT, project_version, run

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

DEV_TOOLS = ("hypothesis", "mypy", "pytest", "_pytest", "pytestqt", "ruff", "importlinter")


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .deb that `scripts/package` builds (once per module)."""
    for tool in ("dpkg-deb", "dpkg", "readelf"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not available: the .deb is built on Debian/Ubuntu only")
    out = tmp_path_factory.mktemp("deb-out")
    done = run(["bash", str(ROOT / "scripts" / "package"), str(out)], cwd=ROOT, timeout=1700)
    assert done.returncode == 0, done.stderr[-4000:]
    path = Path(done.stdout.strip().splitlines()[-1])
    assert path.parent == out
    assert path.name == f"phase-console_{project_version()}_amd64.deb"
    return path


@pytest.fixture(scope="module")
def installed(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch root the package is unpacked into (`dpkg-deb -x`)."""
    root = tmp_path_factory.mktemp("root")
    done = run(["dpkg-deb", "-x", str(deb), str(root)], cwd=root)
    assert done.returncode == 0, done.stderr
    return root


def test_control_declares_the_qt_system_libraries(deb: Path) -> None:
    """Depends names the libraries Qt needs from the system, and a glibc floor."""
    fields = run(["dpkg-deb", "-f", str(deb), "Package", "Version", "Depends"], cwd=deb.parent)
    assert fields.returncode == 0, fields.stderr
    assert "Package: phase-console" in fields.stdout
    assert f"Version: {project_version()}" in fields.stdout
    depends = {
        dep.strip().split(" ")[0]
        for dep in fields.stdout.split("Depends:", 1)[1].strip().split(",")
    }
    for lib in ("libc6", "libegl1", "libxkbcommon0", "libfontconfig1", "libdbus-1-3"):
        assert lib in depends
    assert "libxcb-cursor0" in depends


def test_installed_layout(installed: Path) -> None:
    """App under /opt, launcher on PATH, desktop entry, plan MIME type, icons, metainfo."""
    launcher = installed / "usr" / "bin" / "phase-console"
    assert launcher.is_symlink()
    assert launcher.resolve() == (installed / "opt" / "phase-console" / "phase-console").resolve()
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(installed / "usr" / "share" / "applications" / "phase-console.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Exec"] == "phase-console %f"
    assert desktop["Icon"] == "phase-console"
    # Plan files only: not every JSON or CSV file on the desktop.
    assert desktop["MimeType"].strip(";").split(";") == ["application/x-phase-console-plan"]
    mime = (installed / "usr" / "share" / "mime" / "packages" / "phase-console.xml").read_text()
    assert 'type="application/x-phase-console-plan"' in mime
    assert 'pattern="*.plan.json"' in mime
    icons = installed / "usr" / "share" / "icons" / "hicolor"
    assert (icons / "scalable" / "apps" / "phase-console.svg").is_file()
    for size in (48, 128, 256):
        png = (icons / f"{size}x{size}" / "apps" / "phase-console.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(png[16:20], "big") == size  # IHDR width
    assert list((installed / "usr" / "share" / "metainfo").glob("*.metainfo.xml"))
    bundled = installed / "opt" / "phase-console" / "_internal"
    assert (bundled / "console" / "_resources" / "icons" / "phase-console.svg").is_file()
    assert (bundled / "console" / "_resources" / "demo" / "plan.json").is_file()
    for tool in DEV_TOOLS:
        assert not (bundled / tool).exists(), f"the bundle carries {tool}"


def test_installed_binary_prints_its_version(installed: Path, tmp_path: Path) -> None:
    """`phase-console --version` from the package exits 0 with the project version."""
    done = run([str(installed / "usr" / "bin" / "phase-console"), "--version"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert project_version() in done.stdout


def test_installed_binary_previews_the_bundled_demo(installed: Path, tmp_path: Path) -> None:
    """`phase-console preview demo --format json` from the package: the demo plan's preview."""
    binary = installed / "usr" / "bin" / "phase-console"
    done = run([str(binary), "preview", "demo", "--format", "json"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    preview = json.loads(done.stdout)
    assert preview["plan_id"] == json.loads(DEMO_PLAN.read_text())["plan_id"]
    assert preview["sell"] and preview["buy"]
    assert {leg["side"] for leg in preview["sell"]} == {"sell"}
