"""The command line on `--broker alpaca` against the loopback emulator, compared with the sim."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from console.brokers.sim.scenario import load_scenario
from console.emulator import AlpacaEmulator
from console.journal.store import SqliteJournal
from tests.cli.helpers import DEMO_PLAN, DEMO_SCENARIO, cli

KEY, SECRET = "PKTESTKEY", "pc-test-secret-Zq8v"


def _values(data: object) -> object:
    """Decimal strings as Decimals, recursively."""
    if isinstance(data, dict):
        return {k: _values(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_values(v) for v in data]
    if isinstance(data, str):
        try:
            return Decimal(data)
        except ArithmeticError:
            return data
    return data


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[AlpacaEmulator]:
    emu = AlpacaEmulator(load_scenario(str(DEMO_SCENARIO)), key_id=KEY, secret=SECRET)
    emu.start()
    monkeypatch.setenv("APCA_API_BASE_URL", emu.base_url)
    monkeypatch.setenv("APCA_API_DATA_URL", emu.base_url)
    monkeypatch.setenv("APCA_API_KEY_ID", KEY)
    monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)
    try:
        yield emu
    finally:
        emu.stop()


def test_preview_on_alpaca_equals_preview_on_sim(
    emulator: AlpacaEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    alpaca = cli(capsys, "preview", DEMO_PLAN, "--broker", "alpaca", "--format", "json")
    assert alpaca.code == 0, alpaca.err
    sim = cli(capsys, "preview", DEMO_PLAN, "--format", "json")
    # Alpaca sends quotes as JSON floats (189.9 for 189.90): compare values, not spellings.
    for key in ("sell", "buy", "holds", "funding", "problems", "account"):
        assert _values(alpaca.json()[key]) == _values(sim.json()[key]), key


def test_run_on_alpaca_places_each_leg_once_like_the_sim(
    emulator: AlpacaEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alpaca = cli(
        capsys,
        "run",
        DEMO_PLAN,
        "--broker",
        "alpaca",
        "--yes",
        "--journal",
        tmp_path / "a.sqlite",
        "--format",
        "json",
    )
    assert alpaca.code == 3, alpaca.err
    state = tmp_path / "sim-state.json"
    sim = cli(
        capsys,
        "run",
        DEMO_PLAN,
        "--yes",
        "--journal",
        tmp_path / "s.sqlite",
        "--sim-state",
        state,
        "--format",
        "json",
    )
    assert sim.code == 3
    assert _values(alpaca.json()["legs"]) == _values(sim.json()["legs"])
    assert alpaca.json()["status"] == sim.json()["status"] == "partial"
    coids = [o.client_order_id for o in emulator.exchange.orders()]
    assert (
        len(coids)
        == len(set(coids))
        == sum(1 for leg in sim.json()["legs"] if leg["status"] != "skipped")
    )
    import json

    sim_positions = {
        s: Decimal(q) for s, q in json.loads(state.read_text())["exchange"]["positions"].items()
    }
    assert emulator.exchange.positions() == sim_positions
    assert alpaca.json()["broker_requests"]["submit"] == len(coids)
    assert SECRET not in alpaca.out + alpaca.err


def test_missing_credentials_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    result = cli(capsys, "preview", DEMO_PLAN, "--broker", "alpaca")
    assert result.code == 2 and "APCA_API_KEY_ID" in result.err and "Traceback" not in result.err


def test_run_survives_the_fault_mix_without_a_duplicate(
    emulator: AlpacaEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import threading

    emulator.set_faults(
        rate_limit_burst=3,
        server_errors=2,
        server_error_methods="POST",
        submit_timeouts=2,
        hang_s=2.5,
    )
    dropper = threading.Timer(0.4, emulator.drop_stream)
    dropper.start()
    try:
        result = cli(
            capsys,
            "run",
            DEMO_PLAN,
            "--broker",
            "alpaca",
            "--yes",
            "--journal",
            tmp_path / "a.sqlite",
            "--broker-timeout",
            "1",
            "--format",
            "json",
        )
    finally:
        dropper.cancel()
    assert result.code == 3, result.err
    run = result.json()
    sent = [leg for leg in run["legs"] if leg["status"] not in ("skipped", "blocked")]
    coids = [o.client_order_id for o in emulator.exchange.orders()]
    assert sorted(coids) == sorted(leg["client_order_id"] for leg in sent)  # each leg exactly once
    assert {leg["status"] for leg in sent} <= {"filled", "canceled"}
    # filled values are those the server reports
    for order in emulator.exchange.orders():
        leg = next(x for x in sent if x["client_order_id"] == order.client_order_id)
        assert Decimal(leg["filled_qty"]) == order.filled_qty
    assert run["broker_requests"]["total"] > len(coids)


def test_preview_on_alpaca_opens_no_stream_and_costs_few_requests(
    emulator: AlpacaEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    first = cli(capsys, "preview", DEMO_PLAN, "--broker", "alpaca", "--format", "json")
    assert first.code == 0, first.err
    before = sum(emulator.requests_by_endpoint.values())
    again = cli(capsys, "preview", DEMO_PLAN, "--broker", "alpaca", "--format", "json")
    assert again.code == 0, again.err
    cached = sum(emulator.requests_by_endpoint.values()) - before
    # account, positions, quotes, clock, open orders: the asset facts come from the day's cache
    assert cached <= 10
    assert "GET /v2/assets/{symbol}" not in emulator.requests_by_endpoint
    assert emulator.stream_connections == 0  # the account's one stream is a run's, not a preview's


def test_a_refused_submit_is_rejected_with_the_brokers_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = load_scenario(str(DEMO_SCENARIO))
    refuse = {"AMZN": "trade denied due to pattern day trading protection"}
    scenario = scenario.model_copy(
        update={"fills": scenario.fills.model_copy(update={"refuse": refuse})}
    )
    emu = AlpacaEmulator(scenario, key_id=KEY, secret=SECRET)
    emu.start()
    for var, value in (
        ("APCA_API_BASE_URL", emu.base_url),
        ("APCA_API_DATA_URL", emu.base_url),
        ("APCA_API_KEY_ID", KEY),
        ("APCA_API_SECRET_KEY", SECRET),
    ):
        monkeypatch.setenv(var, value)
    try:
        result = cli(
            capsys,
            "run",
            DEMO_PLAN,
            "--broker",
            "alpaca",
            "--yes",
            "--journal",
            tmp_path / "a.sqlite",
            "--format",
            "json",
        )
        placed = {o.client_order_id for o in emu.exchange.orders()}
    finally:
        emu.stop()
    assert result.code == 3, result.err
    legs = {leg["symbol"]: leg for leg in result.json()["legs"]}
    amzn = legs["AMZN"]
    assert amzn["status"] == "rejected"  # at once, never `unknown`
    assert amzn["client_order_id"] not in placed
    journal = SqliteJournal(str(tmp_path / "a.sqlite"), read_only=True)
    try:
        reasons = [
            getattr(r.event, "reason", None)
            for run in journal.runs()
            for r in journal.events(run.run_id)
            if getattr(r.event, "client_order_id", None) == amzn["client_order_id"]
        ]
    finally:
        journal.close()
    assert any(r and "pattern day trading protection" in r for r in reasons), reasons
    assert "credentials" not in result.err.lower()
