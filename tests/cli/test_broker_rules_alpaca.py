"""The broker's rules through the command line on `--broker alpaca` against the emulator
(alpaca-py as the client): the same outcomes as on the sim (tests/cli/test_broker_rules.py)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from console.brokers.sim.scenario import parse_scenario
from console.domain.events import PhaseCompleted, StreamStatus
from console.emulator import AlpacaEmulator
from console.journal.store import SqliteJournal
from tests.cli.helpers import Result, cli, write_json
from tests.cli.test_broker_rules import _item, _legs, _plan, _scenario

KEY, SECRET = "PKTESTKEY", "pc-test-secret-Zq8v"
D = Decimal

Start = Callable[[dict[str, Any]], AlpacaEmulator]


@pytest.fixture
def start(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Start]:
    running: list[AlpacaEmulator] = []

    def go(doc: dict[str, Any]) -> AlpacaEmulator:
        scenario = parse_scenario("scenario.json", json.dumps(doc).encode())
        emu = AlpacaEmulator(scenario, key_id=KEY, secret=SECRET)
        emu.start()
        capsys.readouterr()  # the emulator's start-up log line is not the command's output
        running.append(emu)
        monkeypatch.setenv("APCA_API_BASE_URL", emu.base_url)
        monkeypatch.setenv("APCA_API_DATA_URL", emu.base_url)
        monkeypatch.setenv("APCA_API_KEY_ID", KEY)
        monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)
        return emu

    try:
        yield go
    finally:
        for emu in running:
            emu.stop()


def _run(
    capsys: pytest.CaptureFixture[str], tmp: Path, plan: dict[str, Any], *extra: str | Path
) -> Result:
    path = write_json(tmp / "plan.json", plan)
    return cli(
        capsys, "run", path, "--broker", "alpaca", "--yes", "--journal", tmp / "j.sqlite",
        "--format", "json", *extra,
    )  # fmt: skip


def _preview(capsys: pytest.CaptureFixture[str], tmp: Path, plan: dict[str, Any]) -> Result:
    path = write_json(tmp / "plan.json", plan)
    return cli(capsys, "preview", path, "--broker", "alpaca", "--format", "json")


def test_margin_account_refused_sell_never_borrows_on_alpaca(
    start: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emu = start(
        _scenario(buying_power="2000.00", fills={"refuse": {"BIG": "insufficient qty available"}})
    )
    config = tmp_path / "limits.toml"
    config.write_text("max_order_pct_of_equity = 1\n")
    plan = _plan(
        _item("BIG", "SELL", "-9000"), _item("BUY1", "BUY", "6000"), _item("BUY2", "BUY", "4000")
    )
    result = _run(capsys, tmp_path, plan, "--config", config)
    assert result.code == 3, result.err
    legs = _legs(result)
    assert legs["BIG"]["status"] == "rejected"
    assert "insufficient qty available" in legs["BIG"]["reason"]
    assert D(0) < D(result.json()["buy_spent"]) <= D("1000.00")
    assert emu.exchange.cash >= 0


def test_closed_market_places_nothing_on_alpaca(
    start: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emu = start(_scenario(market_open=False, minutes_to_open=75))
    plan = _plan(_item("AAA", "SELL", "-100"), _item("BUY1", "BUY", "100"))
    result = _run(capsys, tmp_path, plan)
    assert result.code == 4 and "market is closed" in result.err and "opens at" in result.err
    assert [o for o in emu.exchange.orders() if not o.client_order_id.startswith("manual")] == []
    assert not (tmp_path / "j.sqlite").exists() or "run_started" not in (
        tmp_path / "j.sqlite"
    ).read_bytes().decode("latin-1")


def test_wash_trade_refusal_is_rejected_at_once_on_alpaca(
    start: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start(_scenario(fills={"refuse": {"AAA": "potential wash trade detected. use complex orders"}}))
    plan = _plan(_item("AAA", "SELL", "-100"), _item("BUY1", "BUY", "100"))
    began = time.monotonic()
    result = _run(capsys, tmp_path, plan, "--phase-timeout", "120")
    assert time.monotonic() - began < 60
    assert result.code == 3, result.err
    leg = _legs(result)["AAA"]
    assert leg["status"] == "rejected"
    assert "potential wash trade detected" in leg["reason"] and "40310000" in leg["reason"]
    assert "credentials" not in result.err


def test_quotes_open_orders_and_account_problems_match_the_sim_on_alpaca(
    start: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _scenario(
        quotes={
            "AAA": {"bid": "50.00", "ask": "50.01", "age_seconds": 61},
            "BIG": {"bid": "90.00", "ask": "110.00"},
            "BUY1": {"bid": "20.00", "ask": "20.01"},
            "BUY2": {"bid": "40.00", "ask": "40.02"},
        },
        open_orders=[{"symbol": "BUY1", "side": "buy", "notional": "50"}],
        account={"trading_blocked": True},
    )
    start(doc)
    plan = _plan(
        _item("AAA", "SELL", "-100"),
        _item("BIG", "SELL", "-5000", target="0"),
        _item("BUY1", "BUY", "100"),
        _item("BUY2", "BUY", "100"),
    )
    data = _preview(capsys, tmp_path, plan).json()
    legs = {leg["symbol"]: leg for leg in data["sell"] + data["buy"]}
    assert legs["AAA"]["reason"] == "stale_quote"
    assert legs["BIG"]["notes"] == ["liquidation", "wide_spread"]
    assert legs["BUY1"]["reason"] == "open_order"
    assert legs["BUY2"]["status"] == "ready"
    assert "account_blocked" in {p["code"] for p in data["problems"]}
    assert _run(capsys, tmp_path, plan).code == 4


def test_a_failed_cancel_ends_unfinished_on_alpaca(
    start: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emu = start(_scenario(fills={"never_fill": ["AAA"]}))
    emu.set_faults(cancel_fail="AAA")
    plan = _plan(_item("AAA", "SELL", "-100"), _item("BUY1", "BUY", "100"))
    first = _run(capsys, tmp_path, plan, "--phase-timeout", "1")
    assert first.code == 3, first.err
    assert first.json()["status"] == "unfinished"
    emu.set_faults(cancel_fail="")
    done = _run(capsys, tmp_path, plan, "--phase-timeout", "1")
    assert done.code == 3, done.err
    assert done.json()["run_id"] == first.json()["run_id"]
    assert done.json()["status"] == "partial"
    coids = [o.client_order_id for o in emu.exchange.orders()]
    assert len(coids) == len(set(coids))


def test_a_401_on_submit_halts_the_run_without_waiting_for_the_phase_timeout(
    start: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Keys refused mid-run: nothing was placed, nothing more is sent, the run says why."""
    emu = start(_scenario())
    emu.set_faults(unauthorized_submits=1)
    plan = _plan(_item("AAA", "SELL", "-100"), _item("BUY1", "BUY", "100"))
    began = time.monotonic()
    result = _run(capsys, tmp_path, plan, "--phase-timeout", "120")
    assert time.monotonic() - began < 60
    assert result.code == 3, result.err
    data = result.json()
    assert data["status"] == "halted"
    legs = _legs(result)
    assert (legs["AAA"]["status"], legs["AAA"]["reason"]) == ("skipped", "halted")  # never placed
    assert legs["BUY1"]["status"] not in ("filled", "new", "accepted")
    assert emu.requests_by_endpoint["POST /v2/orders"] == 1  # the refused one: no resubmit, no buy
    assert [o for o in emu.exchange.orders() if not o.client_order_id.startswith("manual")] == []
    assert "refused the credentials" in result.err and "APCA_API_KEY_ID" in result.err


def test_a_server_without_the_stream_is_followed_by_rest_at_once(
    start: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A REST-only server: no wait for a stream that is not there; REST is polled every 2 s."""
    emu = start(_scenario())
    emu.set_faults(stream_unavailable=True)
    plan = _plan(_item("AAA", "SELL", "-100"), _item("BUY1", "BUY", "100"))
    # Polling only after 15 s of quiet, the phases used to time out at 10 s and cancel.
    result = _run(capsys, tmp_path, plan, "--phase-timeout", "10")
    assert result.code == 0, result.err
    assert result.json()["status"] == "succeeded"
    assert emu.stream_connections == 0
    with SqliteJournal(tmp_path / "j.sqlite", read_only=True) as journal:
        events = [recorded.event for recorded in journal.all_events()]
    phases = [e for e in events if isinstance(e, PhaseCompleted)]
    assert len(phases) == 2 and all(not phase.timed_out for phase in phases)
    said = [e.detail for e in events if isinstance(e, StreamStatus)]
    assert said and said[0].startswith("the order stream is not connected"), said


def _run_dropping_the_stream(
    capsys: pytest.CaptureFixture[str],
    tmp: Path,
    emu: AlpacaEmulator,
    after_s: float,
    *,
    for_good: bool,
) -> tuple[Result, list[PhaseCompleted]]:
    """A run whose stream drops `after_s` after it connects (and stays down, `for_good`)."""
    plan = _plan(_item("AAA", "SELL", "-100"), _item("BUY1", "BUY", "100"))

    def drop() -> None:
        deadline = time.monotonic() + 10
        while emu.stream_connections == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(after_s)
        if for_good:
            emu.set_faults(stream_unavailable=True)
        emu.drop_stream()

    thread = threading.Thread(target=drop, daemon=True)
    thread.start()
    result = _run(capsys, tmp, plan, "--phase-timeout", "10")
    thread.join(timeout=10)
    with SqliteJournal(tmp / "j.sqlite", read_only=True) as journal:
        events = [recorded.event for recorded in journal.all_events()]
    return result, [e for e in events if isinstance(e, PhaseCompleted)]


def test_a_stream_lost_mid_phase_is_replaced_by_rest_within_seconds(
    start: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The stream drops before the fills and cannot reconnect: REST finds them in seconds."""
    emu = start(_scenario(fills={"latency_ms": 1500}))
    # 0.6 s in, the phase is waiting for updates on a live stream. Noticing only after 15 s of
    # quiet, the sell phase used to time out at 10 s.
    result, phases = _run_dropping_the_stream(capsys, tmp_path, emu, 0.6, for_good=True)
    assert result.code == 0, result.err
    assert len(phases) == 2 and all(not phase.timed_out for phase in phases)


def test_a_quick_stream_reconnect_is_followed_by_one_listing_of_the_orders(
    start: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fills made while the stream was down are never sent: a reconnect means look now."""
    emu = start(_scenario(fills={"latency_ms": 1000}))
    # 0.3 s in, the sell was sent; its fill comes while the stream is down. Live again after
    # alpaca-py's ~1 s backoff, the stream never says what it missed: the phase used to wait
    # for 15 s of quiet and time out here at 10 s.
    result, phases = _run_dropping_the_stream(capsys, tmp_path, emu, 0.3, for_good=False)
    assert result.code == 0, result.err
    assert emu.stream_connections >= 2
    assert len(phases) == 2 and all(not phase.timed_out for phase in phases)
