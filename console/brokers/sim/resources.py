"""Locate bundled resources from a source checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # .../console


def demo_path(name: str) -> Path:
    """Path of a bundled demo file (resources/demo/<name>); the first candidate that exists."""
    candidates = (
        _PACKAGE_ROOT / "_resources" / "demo" / name,  # installed wheel (force-include)
        _PACKAGE_ROOT.parent / "resources" / "demo" / name,  # source checkout
    )
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[-1]
