"""Bundled resources are found in a source checkout and in an installed wheel's package data."""

from __future__ import annotations

from pathlib import Path

import pytest

from console import resources


def test_a_checkout_reads_the_repository_resources() -> None:
    assert resources.read_bytes(*resources.ICON).startswith(b"<svg")
    assert "<svg" in resources.read_text(*resources.ICON)
    assert resources.read_text("demo", "plan.json").lstrip().startswith("{")
    assert resources.resource_path("demo", "plan.json").is_file()


def test_an_installed_wheel_reads_the_package_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "console"
    (package / "_resources" / "icons").mkdir(parents=True)
    (package / "_resources" / "icons" / "phase-console.svg").write_bytes(b"<svg wheel/>")
    monkeypatch.setattr(resources, "files", lambda name: tmp_path / name)
    assert resources.read_bytes(*resources.ICON) == b"<svg wheel/>"
    assert resources.resource_path(*resources.ICON).is_relative_to(package / "_resources")


def test_a_missing_resource_is_named() -> None:
    with pytest.raises(FileNotFoundError, match=r"icons/absent\.svg"):
        resources.resource("icons", "absent.svg")
