"""The emulator speaks what alpaca-py expects: models parse, filters, errors, control API."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from alpaca_testkit import KEY_ID, SECRET

from console.emulator import AlpacaEmulator


def _client(emu: AlpacaEmulator, secret: str = SECRET):  # type: ignore[no-untyped-def]
    from alpaca.trading.client import TradingClient

    client = TradingClient(KEY_ID, secret, paper=True, url_override=emu.base_url)
    client._retry = 0
    return client


def _submit(client, symbol: str, coid: str, **amount: float):  # type: ignore[no-untyped-def]
    from alpaca.trading.enums import OrderSide, TimeInForce
    from alpaca.trading.requests import MarketOrderRequest

    return client.submit_order(
        MarketOrderRequest(
            symbol=symbol,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.DAY,
            client_order_id=coid,
            **amount,
        )
    )


def test_alpaca_py_models_parse_every_answer(emu: AlpacaEmulator) -> None:
    from alpaca.trading.enums import QueryOrderStatus
    from alpaca.trading.requests import GetOrdersRequest

    client = _client(emu)
    account = client.get_account()
    assert account.account_number == "PA-EMU-0001"
    assert account.cash == "10000.00"
    assert client.get_clock().is_open is True
    assert {p.symbol for p in client.get_all_positions()} == {"AAPL", "VTI", "BRK.A", "XOM"}
    assert client.get_asset("BRK.A").fractionable is False
    filled = _submit(client, "AAPL", "c-1", notional=10.0)
    slow = _submit(client, "SLOW", "c-2", qty=1.5)
    time.sleep(0.2)
    assert client.get_order_by_id(filled.id).status.value == "filled"
    assert client.get_order_by_client_id("c-2").id == slow.id
    assert [o.client_order_id for o in client.get_orders()] == ["c-2"]  # default: open only
    every = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, direction="asc"))
    assert [o.client_order_id for o in every] == ["c-1", "c-2"]
    assert (
        client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=1))[0].client_order_id
        == "c-2"
    )
    closed = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED, symbols=["AAPL"]))
    assert [o.client_order_id for o in closed] == ["c-1"]
    future = datetime.now(UTC) + timedelta(minutes=1)
    assert client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, after=future)) == []
    cancelled = client.cancel_orders()
    assert [c.status for c in cancelled] == [200]
    assert client.get_order_by_id(slow.id).status.value == "canceled"


def test_quotes_endpoint_for_the_data_client(emu: AlpacaEmulator) -> None:
    from alpaca.data.historical.stock import StockHistoricalDataClient
    from alpaca.data.requests import StockLatestQuoteRequest

    data = StockHistoricalDataClient(KEY_ID, SECRET, url_override=emu.base_url)
    quotes = data.get_stock_latest_quote(
        StockLatestQuoteRequest(symbol_or_symbols=["AAPL", "ONEBID", "ZZZ"])
    )
    assert set(quotes) == {"AAPL", "ONEBID"}
    assert quotes["AAPL"].bid_price == 189.9
    assert quotes["ONEBID"].ask_price == 0


def test_errors_have_alpaca_codes(emu: AlpacaEmulator) -> None:
    from alpaca.common.exceptions import APIError

    with pytest.raises(APIError) as info:
        _client(emu, secret="wrong").get_account()
    assert info.value.status_code == 401
    client = _client(emu)
    _submit(client, "AAPL", "dup", notional=10.0)
    with pytest.raises(APIError) as info:
        _submit(client, "AAPL", "dup", notional=10.0)
    assert info.value.status_code == 422
    assert (info.value.code, info.value.message) == (40010001, "client_order_id must be unique")
    with pytest.raises(APIError) as info:
        client.get_order_by_client_id("nope")
    assert info.value.status_code == 404
    with pytest.raises(APIError) as info:
        client.get_asset("NOPE")
    assert info.value.status_code == 404


def test_control_endpoint_sets_faults_and_reports_counts(emu: AlpacaEmulator) -> None:
    body = json.dumps({"server_errors": 1, "server_error_status": 503}).encode()
    request = urllib.request.Request(emu.base_url + "/_emulator/faults", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert json.loads(answer.read())["server_errors"] == 1
    from alpaca.common.exceptions import APIError

    with pytest.raises(APIError) as info:
        _client(emu).get_clock()
    assert info.value.status_code == 503
    assert "<html>" in str(info.value)
    with urllib.request.urlopen(emu.base_url + "/_emulator/stats", timeout=5) as answer:
        stats = json.loads(answer.read())
    assert stats["requests_by_endpoint"] == {"GET /v2/clock": 1}
    bad = urllib.request.Request(
        emu.base_url + "/_emulator/faults", data=b'{"nope": 1}', method="POST"
    )
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(bad, timeout=5)


def test_emulator_binds_loopback_only(emu: AlpacaEmulator) -> None:
    assert emu.base_url.startswith("http://127.0.0.1:")
