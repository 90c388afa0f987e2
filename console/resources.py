"""Bundled files (resources/) through importlib.resources, in a checkout or an installed wheel.

The wheel force-includes the repository's `resources/` as the package data `console/_resources`
(pyproject.toml); a source checkout reads `resources/` next to the `console` package.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

PACKAGE = "console"
BUNDLED = "_resources"  # inside the installed package
CHECKOUT = Path(__file__).resolve().parents[1] / "resources"  # a source checkout

ICON = ("icons", "phase-console.svg")


def resources_root() -> Traversable:
    """The directory of bundled files: the wheel's package data, else the checkout's resources/."""
    bundled = files(PACKAGE).joinpath(BUNDLED)
    if bundled.is_dir():
        return bundled
    return CHECKOUT


def resource(*parts: str) -> Traversable:
    """A bundled file, e.g. resource("demo", "plan.json"); FileNotFoundError names it if absent."""
    found = resources_root().joinpath(*parts)
    if not found.is_file():
        raise FileNotFoundError(f"bundled resource {'/'.join(parts)} not found")
    return found


def resource_path(*parts: str) -> Path:
    """A bundled file as a filesystem path (checkout, wheel or bundle), e.g. the demo plan."""
    found = resource(*parts)
    if not isinstance(found, Path):  # only a zipped install has no real path
        raise FileNotFoundError(f"bundled resource {'/'.join(parts)} is not on the filesystem")
    return found


def read_bytes(*parts: str) -> bytes:
    """The bytes of a bundled file."""
    return resource(*parts).read_bytes()


def read_text(*parts: str) -> str:
    """The UTF-8 text of a bundled file."""
    return resource(*parts).read_text(encoding="utf-8")


def demo_plan_path() -> Path:
    """The bundled demo plan (resources/demo/plan.json)."""
    return resource_path("demo", "plan.json")


def demo_scenario_path() -> Path:
    """The bundled demo scenario for the sim broker (resources/demo/scenario.json)."""
    return resource_path("demo", "scenario.json")
