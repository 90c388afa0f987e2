"""The broker registry: names, lazy factories and traits read by the CLI and the console."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from console.brokers.registry import BROKERS, BrokerOptions, broker_spec
from console.cli.common import UsageError
from console.cli.parser import build_parser
from console.domain.config import Settings
from console.domain.errors import InputError
from tests.cli.helpers import cli


def test_every_registered_broker_is_a_cli_choice() -> None:
    parser = build_parser()
    for name in BROKERS:
        args = parser.parse_args(["preview", "demo", "--broker", name])
        assert args.broker == name
    with pytest.raises(UsageError, match="invalid choice"):
        parser.parse_args(["preview", "demo", "--broker", "nope"])


def test_unknown_broker_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="sim"):
        broker_spec("nope")


def test_the_sim_factory_builds_a_broker_on_the_demo() -> None:
    broker = broker_spec("sim").create(BrokerOptions())
    assert broker.name == "sim" and broker.mode == "SIM"


def test_min_notional_below_the_brokers_floor_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broker_spec("sim").check_settings(Settings(min_notional=Decimal("0.5")))
    with pytest.raises(InputError, match="min_notional"):
        broker_spec("alpaca").check_settings(Settings(min_notional=Decimal("0.5")))
    config = tmp_path / "low.toml"
    config.write_text("min_notional = 0.5\n")
    result = cli(capsys, "preview", "demo", "--broker", "alpaca", "--config", config)
    assert result.code == 2
    assert "min_notional" in result.err and "low.toml" in result.err


def test_registry_import_does_not_pull_alpaca() -> None:
    code = "import sys, console.brokers.registry; print('alpaca' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
