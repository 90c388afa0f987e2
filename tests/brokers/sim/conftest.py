"""Shared fixtures for the sim broker tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from console.brokers.sim.scenario import Scenario
from tests.brokers.sim.sim_helpers import BASE, scenario_from


@pytest.fixture
def make_scenario() -> Callable[..., Scenario]:
    """BASE with top-level keys replaced and `fills` / `faults` merged."""

    def build(**overrides: Any) -> Scenario:
        doc = json.loads(json.dumps(BASE))
        for key, value in overrides.items():
            if key in ("fills", "faults") and isinstance(value, dict):
                doc.setdefault(key, {}).update(value)
            else:
                doc[key] = value
        return scenario_from(doc)

    return build
