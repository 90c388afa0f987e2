"""Bundled files (the demo plan and scenario, icons) from an installed wheel or a source tree."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_SOURCE_TREE = Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """A bundled file: the wheel's `console/_resources/...`, else the source tree's `resources/`."""
    bundled = files("console").joinpath("_resources", *parts)
    if bundled.is_file() or bundled.is_dir():
        return Path(str(bundled))
    return _SOURCE_TREE.joinpath(*parts)


def demo_plan_path() -> Path:
    """The bundled demo plan (resources/demo/plan.json)."""
    return resource_path("demo", "plan.json")


def demo_scenario_path() -> Path:
    """The bundled demo scenario for the sim broker (resources/demo/scenario.json)."""
    return resource_path("demo", "scenario.json")
