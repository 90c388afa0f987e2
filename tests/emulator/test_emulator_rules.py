"""The emulator models the broker's rules over plain HTTP and websocket, as Alpaca answers them."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from websockets.sync.client import connect

from console.brokers.sim.scenario import parse_scenario
from console.emulator import AlpacaEmulator

KEY, SECRET = "PKEMU", "emu-secret"
HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
SCENARIO: dict[str, Any] = {
    "account_id": "PA-RULES",
    "cash": "1000.00",
    "buying_power": "2000.00",
    "positions": {"AAPL": "10"},
    "quotes": {
        "AAPL": {"bid": "99.00", "ask": "101.00", "age_seconds": "90"},
        "SLOW": {"bid": "20.00", "ask": "20.02"},
    },
    "minutes_to_close": "15",
    "account": {"account_blocked": False, "trading_blocked": False},
    "open_orders": [{"symbol": "AAPL", "side": "sell", "qty": "4"}],
    "fills": {"never_fill": ["SLOW"], "refuse": {"PDT": "pattern day trading protection"}},
}


def _emulator(**overrides: Any) -> AlpacaEmulator:
    doc = {**SCENARIO, **overrides}
    emu = AlpacaEmulator(
        parse_scenario("rules", json.dumps(doc).encode()), key_id=KEY, secret=SECRET
    )
    emu.start()
    return emu


@pytest.fixture
def emu() -> Iterator[AlpacaEmulator]:
    """A started emulator on the rules scenario."""
    emulator = _emulator()
    try:
        yield emulator
    finally:
        emulator.stop()


def _call(emu: AlpacaEmulator, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(emu.base_url + path, data=data, method=method, headers=HEADERS)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            text = answer.read()
            return answer.status, json.loads(text) if text else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _order(symbol: str, side: str, **amount: str) -> dict[str, str]:
    return {"symbol": symbol, "side": side, "type": "market", "time_in_force": "day", **amount}


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_clock_comes_from_the_exchange(emu: AlpacaEmulator) -> None:
    status, clock = _call(emu, "GET", "/v2/clock")
    assert status == 200 and clock["is_open"] is True
    minutes = (_time(clock["next_close"]) - _time(clock["timestamp"])).total_seconds() / 60
    assert minutes == pytest.approx(15, abs=0.1)
    closed = _emulator(market_open=False, minutes_to_open="45")
    try:
        _, clock = _call(closed, "GET", "/v2/clock")
    finally:
        closed.stop()
    assert clock["is_open"] is False
    minutes = (_time(clock["next_open"]) - _time(clock["timestamp"])).total_seconds() / 60
    assert minutes == pytest.approx(45, abs=0.1)


def test_account_reports_status_flags_and_margin() -> None:
    emu = _emulator(account={"status": "INACTIVE", "account_blocked": True})
    try:
        _, account = _call(emu, "GET", "/v2/account")
        status, refused = _call(emu, "POST", "/v2/orders", _order("AAPL", "buy", notional="5"))
    finally:
        emu.stop()
    assert (account["status"], account["account_blocked"]) == ("INACTIVE", True)
    assert (account["trading_blocked"], account["trade_suspended_by_user"]) == (False, False)
    assert (account["cash"], account["buying_power"]) == ("1000.00", "2000.00")
    assert status == 403 and refused["code"] == 40310000
    assert "account_blocked" in refused["message"]


def test_quotes_carry_their_own_time(emu: AlpacaEmulator) -> None:
    _, clock = _call(emu, "GET", "/v2/clock")
    _, body = _call(emu, "GET", "/v2/stocks/quotes/latest?symbols=AAPL,SLOW&feed=iex")
    now = _time(clock["timestamp"])
    assert (now - _time(body["quotes"]["AAPL"]["t"])).total_seconds() == pytest.approx(90, abs=3)
    assert (now - _time(body["quotes"]["SLOW"]["t"])).total_seconds() < 3


def test_open_orders_list_the_manual_orders_which_reserve_shares(emu: AlpacaEmulator) -> None:
    _, working = _call(emu, "GET", "/v2/orders?status=open")
    assert [(o["client_order_id"], o["symbol"], o["side"], o["qty"]) for o in working] == [
        ("manual-1", "AAPL", "sell", "4")
    ]
    status, refused = _call(emu, "POST", "/v2/orders", _order("AAPL", "sell", qty="7"))
    assert status == 403 and refused["code"] == 40310000
    assert refused["message"].startswith("insufficient qty")


def test_refusals_answer_403_or_422_with_alpaca_codes(emu: AlpacaEmulator) -> None:
    status, _ = _call(emu, "POST", "/v2/orders", _order("SLOW", "buy", qty="1"))
    assert status == 200
    cases = [
        (_order("SLOW", "sell", qty="1"), 403, 40310000, "potential wash trade detected"),
        (_order("SLOW", "buy", notional="5000"), 403, 40310000, "insufficient buying power"),
        (_order("PDT", "buy", notional="5"), 403, 40310100, "pattern day"),
        (_order("AAPL", "buy", notional="0.99"), 422, 42210000, "at least 1.00"),
    ]
    for body, want_status, want_code, words in cases:
        status, error = _call(emu, "POST", "/v2/orders", body)
        assert (status, error["code"]) == (want_status, want_code), body
        assert words in error["message"]


def test_runtime_faults_cancel_account_and_data_feed(emu: AlpacaEmulator) -> None:
    _, placed = _call(emu, "POST", "/v2/orders", _order("SLOW", "buy", qty="1"))
    faults = {"cancel_fail": "SLOW", "account_errors": 2, "data_forbidden_feeds": "sip"}
    status, _ = _call(emu, "POST", "/_emulator/faults", faults)
    assert status == 200
    status, _ = _call(emu, "DELETE", f"/v2/orders/{placed['id']}")
    assert status == 503
    _, still = _call(emu, "GET", f"/v2/orders/{placed['id']}")
    assert still["status"] == "accepted"
    assert [_call(emu, "GET", "/v2/account")[0] for _ in range(3)] == [503, 503, 200]
    status, body = _call(emu, "GET", "/v2/stocks/quotes/latest?symbols=AAPL&feed=sip")
    assert status == 403 and "SIP" in body["message"]
    assert _call(emu, "GET", "/v2/stocks/quotes/latest?symbols=AAPL&feed=iex")[0] == 200


def test_control_endpoint_forces_statuses_and_replaces_orders(emu: AlpacaEmulator) -> None:
    _, placed = _call(
        emu, "POST", "/v2/orders", _order("SLOW", "buy", qty="2", client_order_id="c1")
    )
    status, _ = _call(emu, "POST", "/_emulator/orders", {"client_order_id": "c1", "status": "held"})
    assert status == 200
    assert _call(emu, "GET", f"/v2/orders/{placed['id']}")[1]["status"] == "held"
    status, answer = _call(
        emu, "POST", "/_emulator/orders", {"client_order_id": "c1", "replace_qty": "3"}
    )
    assert status == 200
    _, original = _call(emu, "GET", f"/v2/orders/{placed['id']}")
    assert original["status"] == "replaced"
    _, successor = _call(emu, "GET", f"/v2/orders/{original['replaced_by']}")
    assert successor["client_order_id"] == answer["replaced_by"]
    assert (successor["qty"], successor["replaces"]) == ("3", placed["id"])
    assert (
        _call(emu, "POST", "/_emulator/orders", {"client_order_id": "nope", "status": "x"})[0]
        == 400
    )


def test_asset_list_is_one_request(emu: AlpacaEmulator) -> None:
    status, assets = _call(emu, "GET", "/v2/assets?status=active&asset_class=us_equity")
    assert status == 200
    assert {a["symbol"] for a in assets} == {"AAPL", "SLOW"}
    assert emu.requests_by_endpoint == {"GET /v2/assets": 1}


def _authenticate(ws: Any) -> dict[str, Any]:
    ws.send(json.dumps({"action": "authenticate", "data": {"key_id": KEY, "secret_key": SECRET}}))
    return dict(json.loads(ws.recv(timeout=5))["data"])


def test_one_trade_updates_stream_per_account(emu: AlpacaEmulator) -> None:
    url = emu.base_url.replace("http://", "ws://") + "/stream"
    with connect(url) as first:
        assert _authenticate(first)["status"] == "authorized"
        with connect(url) as second:
            answer = _authenticate(second)
            assert answer["status"] == "unauthorized"
            assert answer["error"] == "connection limit exceeded"
    for _ in range(20):  # the slot frees once the server sees the first connection end
        with connect(url) as again:
            answer = _authenticate(again)
        if answer["status"] == "authorized":
            break
        time.sleep(0.1)
    assert answer["status"] == "authorized"


def test_emulator_rate_limit_is_the_sims_rolling_window() -> None:
    emu = _emulator(rate_limit_per_minute=3)
    try:
        codes = [_call(emu, "GET", "/v2/clock")[0] for _ in range(4)]
    finally:
        emu.stop()
    assert codes == [200, 200, 200, 429]
