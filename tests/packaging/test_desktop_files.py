"""The desktop integration files in packaging/: entry, MIME type, metainfo, rendered icons."""

from __future__ import annotations

import configparser
import importlib.util
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.packaging.helpers import ROOT, run

PACKAGING = ROOT / "packaging"
PLAN_TYPE = "application/x-phase-console-plan"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"


def test_desktop_entry_opens_plan_files_only() -> None:
    """The launcher registers the plan MIME type, not every JSON or CSV file."""
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(PACKAGING / "phase-console.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["MimeType"].strip(";").split(";") == [PLAN_TYPE]
    assert desktop["Exec"] == "phase-console %f"
    assert desktop["Icon"] == "phase-console"


def test_plan_mime_type_matches_plan_json_files() -> None:
    """shared-mime-info: *.plan.json is a plan, a kind of JSON."""
    root = ET.parse(PACKAGING / "phase-console-mime.xml").getroot()
    (mime,) = root.findall(f"{MIME_NS}mime-type")
    assert mime.get("type") == PLAN_TYPE
    assert [g.get("pattern") for g in mime.findall(f"{MIME_NS}glob")] == ["*.plan.json"]
    assert [s.get("type") for s in mime.findall(f"{MIME_NS}sub-class-of")] == ["application/json"]


def test_metainfo_names_the_launcher_and_the_plan_type() -> None:
    """AppStream metainfo points at the desktop entry and provides the plan MIME type."""
    (path,) = PACKAGING.glob("*.metainfo.xml")
    root = ET.parse(path).getroot()
    assert root.findtext("id") == path.name.removesuffix(".metainfo.xml")
    assert root.findtext("launchable") == "phase-console.desktop"
    assert [m.text for m in root.iter("mediatype")] == [PLAN_TYPE]


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli not installed")
def test_metainfo_validates(tmp_path: Path) -> None:
    """`appstreamcli validate --no-net` accepts the metainfo (with a release filled in)."""
    (path,) = PACKAGING.glob("*.metainfo.xml")
    filled = tmp_path / path.name
    text = path.read_text().replace("@VERSION@", "0.1.0").replace("@DATE@", "2026-12-01")
    filled.write_text(text)
    done = run(["appstreamcli", "validate", "--no-net", str(filled)], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_icons_render_at_the_hicolor_sizes(qapp: object, tmp_path: Path) -> None:
    """render_icons.py draws the SVG icon into 48, 128 and 256 pixel PNGs that are not empty."""
    from PySide6.QtGui import QImage

    spec = importlib.util.spec_from_file_location("render_icons", PACKAGING / "render_icons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.render(ROOT / "resources" / "icons" / "phase-console.svg", tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        f"{n}x{n}/apps/phase-console.png" for n in (48, 128, 256)
    ]
    for path, size in zip(written, (48, 128, 256), strict=True):
        image = QImage(str(path))
        assert (image.width(), image.height()) == (size, size)
        centre = image.pixelColor(size // 2, size // 2)
        assert centre.alpha() == 255  # the icon's body is drawn, not a transparent square
