"""The sim's bundled demo files, found through console.resources (checkout or installed wheel)."""

from __future__ import annotations

from pathlib import Path

from console.resources import resource_path


def demo_path(name: str) -> Path:
    """Path of a bundled demo file (resources/demo/<name>)."""
    return resource_path("demo", name)
