"""The embedded, scenario-driven simulated broker (DESIGN §2.3, §7)."""

from __future__ import annotations

from console.brokers.sim.broker import SimBroker, create_sim_broker
from console.brokers.sim.exchange import Exchange
from console.brokers.sim.resources import demo_path
from console.brokers.sim.scenario import Scenario, load_scenario, parse_scenario
from console.brokers.sim.window import SlidingWindow

__all__ = [
    "Exchange",
    "Scenario",
    "SimBroker",
    "SlidingWindow",
    "create_sim_broker",
    "demo_path",
    "load_scenario",
    "parse_scenario",
]
