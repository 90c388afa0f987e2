"""The broker's rules (issue 9) read right by the adapter, alpaca-py against the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import structlog
from alpaca_testkit import Collector, broker, emulator, order

from console.brokers.alpaca.assets import FRESH_FOR_S, AssetCache
from console.brokers.alpaca.credentials import check_connection
from console.domain.errors import InputError
from console.domain.market import Asset
from console.domain.orders import OrderStatus
from console.emulator import AlpacaEmulator
from console.emulator.handler import AlpacaHandler
from console.engine.gateway import BrokerGateway
from console.engine.ports import (
    AuthenticationError,
    BrokerError,
    BrokerUnavailableError,
    OrderRejectedError,
)
from console.engine.session import fetch_snapshot


def _run(emu: AlpacaEmulator, coro_fn, **env: str):  # type: ignore[no-untyped-def]
    """Run `coro_fn(broker)` on a fresh adapter, closing it after."""

    async def main():  # type: ignore[no-untyped-def]
        b = broker(emu, **env)
        try:
            return await coro_fn(b)
        finally:
            await b.close()

    return asyncio.run(main())


async def _run_async(emu: AlpacaEmulator, coro_fn):  # type: ignore[no-untyped-def]
    """`coro_fn(broker)` on a fresh adapter (a process of its own), closing it after."""
    b = broker(emu)
    try:
        return await coro_fn(b)
    finally:
        await b.close()


# ---- refusals ---------------------------------------------------------------------------


def test_wash_trade_403_is_a_rejection_with_code_and_message(emu: AlpacaEmulator) -> None:
    async def go(b):  # type: ignore[no-untyped-def]
        await b.submit_order(order("SLOW", "buy", qty="1"))  # stays working (never fills)
        with pytest.raises(OrderRejectedError) as info:
            await b.submit_order(order("SLOW", "sell", qty="1"))
        return info.value

    refused = _run(emu, go)
    assert not isinstance(refused, AuthenticationError)
    assert refused.http_status == 403
    assert refused.code == "40310000"
    assert refused.message == "potential wash trade detected. use complex orders"
    assert refused.reason == "potential wash trade detected. use complex orders (403 40310000)"


def test_buying_power_qty_pdt_and_min_notional_refusals_carry_alpaca_codes() -> None:
    emu = emulator(fills={"refuse": {"VTI": "trade denied due to pattern day trading protection"}})

    async def go(b):  # type: ignore[no-untyped-def]
        refused = {}
        for name, request in (
            ("power", order("AAPL", "buy", notional="20000.00")),
            ("qty", order("AAPL", "sell", qty="11")),
            ("pdt", order("VTI", "buy", notional="10.00")),
            ("notional", order("AAPL", "buy", notional="0.50")),
            ("fractional", order("BRK.A", "buy", qty="0.5")),
            ("tradable", order("XYZ", "buy", qty="1")),
        ):
            with pytest.raises(OrderRejectedError) as info:
                await b.submit_order(request)
            refused[name] = info.value
        return refused

    try:
        refused = _run(emu, go)
        assert emu.exchange.orders() == []  # nothing was placed
    finally:
        emu.stop()
    assert (refused["power"].http_status, refused["power"].code) == (403, "40310000")
    assert "insufficient buying power" in refused["power"].message
    assert (refused["qty"].http_status, refused["qty"].code) == (403, "40310000")
    assert "insufficient qty" in refused["qty"].message
    assert (refused["pdt"].http_status, refused["pdt"].code) == (403, "40310100")
    assert "pattern day trading" in refused["pdt"].message
    for name in ("notional", "fractional", "tradable"):
        assert (refused[name].http_status, refused[name].code) == (422, "42210000"), name
    assert refused["notional"].message == "notional value must be at least 1.00"


def test_blocked_account_is_read_and_refuses_orders() -> None:
    emu = emulator(account={"status": "ACTIVE", "trading_blocked": True})

    async def go(b):  # type: ignore[no-untyped-def]
        account = await b.get_account()
        with pytest.raises(OrderRejectedError) as info:
            await b.submit_order(order("AAPL", "buy", notional="10.00"))
        return account, info.value

    try:
        account, refused = _run(emu, go)
    finally:
        emu.stop()
    assert account.status.trading_blocked is True
    assert account.status.blocked_reason() == "trading_blocked is set"
    assert refused.http_status == 403
    assert "trading_blocked" in refused.message


# ---- credentials and the data feed --------------------------------------------------------


def test_401_anywhere_is_authentication(emu: AlpacaEmulator) -> None:
    async def go(b):  # type: ignore[no-untyped-def]
        with pytest.raises(AuthenticationError):
            await b.get_positions()
        with pytest.raises(AuthenticationError):
            await b.submit_order(order("AAPL", "buy", notional="10.00"))

    _run(emu, go, APCA_API_SECRET_KEY="wrong-secret")


def test_403_is_credentials_only_on_the_account_read(emu: AlpacaEmulator) -> None:
    async def go(b):  # type: ignore[no-untyped-def]
        emu.set_faults(forbidden_requests=1)
        with pytest.raises(AuthenticationError, match="HTTP 403"):
            await b.get_account()
        emu.set_faults(forbidden_requests=1)
        with pytest.raises(BrokerError) as info:
            await b.get_positions()
        assert not isinstance(info.value, AuthenticationError)
        emu.set_faults(forbidden_requests=1)
        with pytest.raises(OrderRejectedError) as refused:
            await b.submit_order(order("AAPL", "buy", notional="10.00"))
        assert refused.value.http_status == 403

    _run(emu, go)


def test_data_403_names_the_feed_the_subscription_lacks(emu: AlpacaEmulator) -> None:
    async def go(b):  # type: ignore[no-untyped-def]
        assert b.quote_feed == "sip"
        emu.set_faults(data_forbidden_feeds="sip")
        with pytest.raises(BrokerError) as info:
            await b.get_quotes(["AAPL"])
        return info.value

    error = _run(emu, go, APCA_DATA_FEED="sip")
    assert not isinstance(error, AuthenticationError)
    assert "your data subscription does not include the sip feed; set the feed to iex" in str(error)


def test_feed_is_a_setting_iex_by_default_and_checked(emu: AlpacaEmulator) -> None:
    async def feed(b):  # type: ignore[no-untyped-def]
        await b.get_quotes(["AAPL"])
        return b.quote_feed

    assert _run(emu, feed) == "iex"
    assert _run(emu, feed, APCA_DATA_FEED="SIP") == "sip"
    with pytest.raises(InputError) as info:
        broker(emu, APCA_DATA_FEED="premium")
    assert "APCA_DATA_FEED" in str(info.value)


# ---- statuses ---------------------------------------------------------------------------

STATUSES = [
    "new",
    "partially_filled",
    "filled",
    "done_for_day",
    "canceled",
    "expired",
    "pending_cancel",
    "pending_replace",
    "pending_new",
    "accepted",
    "accepted_for_bidding",
    "stopped",
    "rejected",
    "suspended",
    "calculated",
    "held",
]


def test_every_alpaca_status_is_mapped_and_an_unknown_one_is_open(emu: AlpacaEmulator) -> None:
    async def go(b):  # type: ignore[no-untyped-def]
        placed = await b.submit_order(order("SLOW", "buy", qty="1"))
        coid = placed.client_order_id
        seen = {}
        for status in [*STATUSES, "pending_review", "brand_new_status"]:
            emu.force_status(coid, status)
            found = await b.get_order_by_client_id(coid)
            listed = await b.list_orders(open_only=False, after=None)
            assert [o.status for o in listed if o.client_order_id == coid] == [found.status]
            seen[status] = found.status
        return seen

    with structlog.testing.capture_logs() as logs:
        seen = _run(emu, go)
    for status in STATUSES:
        assert seen[status] is OrderStatus(status)
    assert seen["pending_review"] is OrderStatus.PENDING_NEW
    assert seen["brand_new_status"] is OrderStatus.NEW  # open, never fatal
    assert not seen["brand_new_status"].is_terminal
    assert any(
        e["event"] == "alpaca.unknown_order_status" and e["status"] == "brand_new_status"
        for e in logs
    )


def test_replaced_order_is_followed_to_its_successor(emu: AlpacaEmulator) -> None:
    async def go(b):  # type: ignore[no-untyped-def]
        sub = Collector(b.updates())
        request = order("SLOW", "buy", qty="2")
        placed = await b.submit_order(request)
        successor_coid = emu.replace_order(request.client_order_id, qty=Decimal("3"))
        found = await b.get_order_by_client_id(request.client_order_id)
        listed = await b.list_orders(open_only=False, after=None)
        for _ in range(40):
            updates = sub.seen.get(request.client_order_id, [])
            if any(u.event == "replaced" for u in updates):
                break
            await asyncio.sleep(0.05)
        await b.close()
        await sub.stop()
        return placed, successor_coid, found, listed, sub.seen[request.client_order_id]

    placed, successor_coid, found, listed, updates = _run(emu, go)
    with emu.lock:
        successor = emu.exchange.order_by_client_id(successor_coid)
    assert successor is not None
    successor_id = emu._state.order_id(successor.broker_order_id)
    # Reported under the original client order id, with the successor's id, status and qty.
    assert found.client_order_id == placed.client_order_id
    assert found.broker_order_id == successor_id != placed.broker_order_id
    assert (found.status, found.qty) == (successor.status, Decimal("3"))
    by_coid = {o.client_order_id: o for o in listed}
    assert by_coid[placed.client_order_id].broker_order_id == successor_id
    replaced = [u for u in updates if u.event == "replaced"]
    assert replaced and replaced[-1].broker_order_id == successor_id
    assert replaced[-1].status is successor.status
    assert not successor.status.is_terminal


# ---- clock, account, quotes, open orders ----------------------------------------------------


def test_clock_account_quote_times_and_open_orders_are_read() -> None:
    emu = emulator(
        minutes_to_close="20",
        quotes={
            "AAPL": {"bid": "189.90", "ask": "190.10", "age_seconds": "120"},
            "VTI": {"bid": "268.20", "ask": "268.40"},
        },
        account={"status": "ACCOUNT_UPDATED", "trade_suspended_by_user": True},
        open_orders=[{"symbol": "VTI", "side": "sell", "qty": "1"}],
    )

    async def go(b):  # type: ignore[no-untyped-def]
        return (
            await b.get_clock(),
            await b.get_account(),
            await b.get_quotes(["AAPL", "VTI"]),
            await b.list_orders(open_only=True),
        )

    try:
        clock, account, quotes, working = _run(emu, go)
        requests = emu.requests_by_endpoint
    finally:
        emu.stop()
    assert clock.is_open is True
    assert clock.minutes_to_close() == pytest.approx(Decimal(20), abs=Decimal("0.1"))
    assert account.status.status == "ACCOUNT_UPDATED"
    assert account.status.trade_suspended_by_user is True
    assert account.status.account_blocked is False
    age = quotes["AAPL"].age_seconds(clock.timestamp)
    assert age is not None and Decimal(119) <= age <= Decimal(125)
    fresh = quotes["VTI"].age_seconds(clock.timestamp)
    assert fresh is not None and fresh < 5
    assert [(o.client_order_id, o.symbol, o.side.value, o.qty) for o in working] == [
        ("manual-1", "VTI", "sell", Decimal("1"))
    ]
    assert requests["GET /v2/orders"] == 1


def test_list_orders_is_one_request_however_many_orders(emu: AlpacaEmulator) -> None:
    async def go(b):  # type: ignore[no-untyped-def]
        since = datetime.now(UTC) - timedelta(minutes=1)
        for i in range(30):
            await b.submit_order(order("AAPL", "buy", notional="1.00", coid=f"pc-bulk-{i}"))
        before = emu.requests_by_endpoint.get("GET /v2/orders", 0)
        listed = await b.list_orders(open_only=False, after=since)
        return listed, emu.requests_by_endpoint["GET /v2/orders"] - before

    listed, requests = _run(emu, go)
    assert requests == 1
    assert len(listed) == 30


def test_list_orders_pages_only_past_a_full_page(
    emu: AlpacaEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.brokers.alpaca import sdk

    monkeypatch.setattr(sdk, "ORDERS_PAGE", 5)  # Alpaca's is 500: the same rule, smaller

    async def go(b):  # type: ignore[no-untyped-def]
        since = datetime.now(UTC) - timedelta(minutes=1)
        for i in range(12):
            await b.submit_order(order("AAPL", "buy", notional="1.00", coid=f"pc-page-{i:02d}"))
        listed = await b.list_orders(open_only=False, after=since)
        return listed, emu.requests_by_endpoint["GET /v2/orders"]

    listed, requests = _run(emu, go)
    assert [o.client_order_id for o in listed] == [f"pc-page-{i:02d}" for i in range(12)]
    assert requests == 3


# ---- faults -------------------------------------------------------------------------------


def test_cancel_failure_leaves_the_order_working(emu: AlpacaEmulator) -> None:
    async def go(b):  # type: ignore[no-untyped-def]
        placed = await b.submit_order(order("SLOW", "buy", qty="1"))
        emu.set_faults(cancel_fail="SLOW")
        with pytest.raises(BrokerUnavailableError, match="503"):
            await b.cancel_order(placed.broker_order_id)
        still = await b.get_order_by_client_id(placed.client_order_id)
        emu.set_faults(cancel_fail="")
        await b.cancel_order(placed.broker_order_id)
        await asyncio.sleep(0.05)
        gone = await b.get_order_by_client_id(placed.client_order_id)
        return still, gone

    still, gone = _run(emu, go)
    assert still.status is OrderStatus.ACCEPTED or not still.status.is_terminal
    assert gone.status is OrderStatus.CANCELED


def test_account_read_503_for_n_reads(emu: AlpacaEmulator) -> None:
    async def go(b):  # type: ignore[no-untyped-def]
        emu.set_faults(account_errors=2)
        for _ in range(2):
            with pytest.raises(BrokerUnavailableError, match="503"):
                await b.get_account()
        return await b.get_account()

    assert _run(emu, go).account_id == "PA-EMU-0001"


# ---- the one stream, and request economy ------------------------------------------------------


def test_a_second_stream_of_the_account_is_refused(emu: AlpacaEmulator) -> None:
    async def main() -> None:
        first, second = broker(emu), broker(emu)
        subs = [Collector(first.updates()), Collector(second.updates())]
        try:
            for _ in range(60):
                if first.stream_connects + second.stream_connects >= 1 and (
                    first._stream.auth_refusals + second._stream.auth_refusals >= 1
                ):
                    break
                await asyncio.sleep(0.05)
            refusals = [first._stream.last_refusal, second._stream.last_refusal]
            assert first.stream_connects + second.stream_connects == 1
            assert "connection limit exceeded" in refusals
            assert emu.stream_listeners == 1
            # The refused session still trades: its submits are answered, the engine's
            # reconciliation follows them.
            refused = first if first.stream_connects == 0 else second
            for symbol in ("AAPL", "VTI"):
                placed = await refused.submit_order(order(symbol, "buy", notional="5.00"))
                assert placed.client_order_id.endswith(symbol)
            assert refused._stream._gave_up is True  # later submits do not wait for it
        finally:
            await first.close()
            await second.close()
            for sub in subs:
                await sub.stop()

    asyncio.run(main())


def test_preview_and_connection_test_never_open_the_stream(emu: AlpacaEmulator) -> None:
    async def go(b):  # type: ignore[no-untyped-def]
        snapshot = await fetch_snapshot(BrokerGateway(b), ["AAPL", "VTI"])
        await asyncio.sleep(0.2)
        return snapshot, b.stream_started

    snapshot, started = _run(emu, go)
    assert snapshot.quote_feed == "iex"
    assert started is False
    summary = asyncio.run(
        check_connection(
            "PKTESTKEYID0001",
            "zz-Distinctive-S3cret-7f1c2e9a-DO-NOT-LEAK",
            live=False,
            env={"APCA_API_BASE_URL": emu.base_url, "APCA_API_DATA_URL": emu.base_url},
        )
    )
    assert summary.startswith("Connected: account PA-EMU-0001")
    assert emu.stream_connections == 0


def _symbols(n: int) -> list[str]:
    return [f"S{i:03d}" for i in range(n)]


def test_a_200_symbol_preview_after_the_first_of_the_day_costs_at_most_10_requests() -> None:
    symbols = _symbols(199)  # + NOPE, which Alpaca does not know: 200 symbols
    emu = emulator(
        quotes={s: {"bid": "9.99", "ask": "10.01"} for s in symbols},
        positions={"S000": "5"},
        assets={},
    )

    async def preview() -> tuple[int, dict[str, int]]:
        b = broker(emu)
        try:
            await fetch_snapshot(BrokerGateway(b), [*symbols, "NOPE"])
            return b.request_counts["total"], b.request_counts
        finally:
            await b.close()

    try:
        first, first_counts = asyncio.run(preview())
        cached, cached_counts = asyncio.run(preview())
    finally:
        emu.stop()
    # First: account, positions, quotes, asset list, one look-up (NOPE), clock, open orders.
    assert first == 7, first_counts
    assert first_counts["GET /v2/assets"] == 1
    # A new process lists the assets again (flags change during the day): within the budget.
    assert cached <= 10, cached_counts


def test_asset_facts_are_fresh_for_minutes_and_on_disk_only_when_asked(tmp_path: Path) -> None:
    facts = {"AAPL": Asset(symbol="AAPL", tradable=True, fractionable=True), "NOPE": None}
    url, now = "https://paper-api.alpaca.markets", [1000.0]
    cache = AssetCache(url, tmp_path, clock=lambda: now[0])
    assert cache.load() is None
    cache.store(facts)
    now[0] += FRESH_FOR_S - 1
    assert cache.load() == facts  # a refresh within minutes lists nothing
    now[0] += 1
    assert cache.load() is None  # older facts are listed again: flags change during the day
    assert AssetCache(url, tmp_path).load() is None  # another process lists them itself
    assert not list(tmp_path.iterdir())
    persisted = AssetCache(url, tmp_path, persist=True)
    persisted.store(facts)
    assert AssetCache(url, tmp_path, persist=True).load() == facts
    tomorrow = date.today() + timedelta(days=1)
    assert AssetCache(url, tmp_path, today=tomorrow, persist=True).load() is None


def _serving_assets(
    monkeypatch: pytest.MonkeyPatch, change: Callable[[list[dict[str, Any]]], None]
) -> None:
    """Let `change` edit every GET /v2/assets answer of the emulator."""
    listed = AlpacaHandler._assets

    def edited(handler: AlpacaHandler, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        answer = listed(handler, query)
        change(answer)
        return answer

    monkeypatch.setattr(AlpacaHandler, "_assets", edited)


def test_each_process_reads_the_asset_flags_the_server_has_now(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The same server URL, its flags changed between two previews: the second sees them."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    emu = emulator(quotes={"AAA": {"bid": "9.99", "ask": "10.01"}}, assets={})
    flags = {"tradable": True, "fractionable": True}

    def serve(answer: list[dict[str, Any]]) -> None:
        for entry in answer:
            entry.update(flags)

    _serving_assets(monkeypatch, serve)

    async def assets() -> dict[str, Asset]:
        return await _run_async(emu, lambda b: b.get_assets(["AAA"]))

    try:
        assert asyncio.run(assets())["AAA"].tradable
        flags.update(tradable=False, fractionable=False)
        changed = asyncio.run(assets())["AAA"]
    finally:
        emu.stop()
    assert (changed.tradable, changed.fractionable) == (False, False)


def test_an_asset_entry_the_sdk_could_not_parse_is_skipped_not_fatal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Real Alpaca has listed exchanges and classes alpaca-py's models refuse (its issue 624)."""
    emu = emulator(quotes={"AAA": {"bid": "9.99", "ask": "10.01"}}, assets={})

    def odd(answer: list[dict[str, Any]]) -> None:
        answer.append({**answer[0], "symbol": "ZZZQ", "exchange": "ASCX", "class": "crypto_perp"})
        answer.append({"symbol": "BROKEN", "tradable": "yes"})  # flags not booleans: skipped

    _serving_assets(monkeypatch, odd)
    try:
        found = _run(emu, lambda b: b.get_assets(["AAA", "ZZZQ", "BROKEN"]))
    finally:
        emu.stop()
    assert set(found) == {"AAA", "ZZZQ"}  # BROKEN was looked up alone: the emulator lacks it


def test_open_orders_past_one_page_of_500_are_all_read() -> None:
    """A foreign open order beyond the first 500 still blocks its symbol in the preview."""
    many = [{"symbol": "VTI", "side": "buy", "qty": "1"}] * 505
    emu = emulator(open_orders=[*many, {"symbol": "XOM", "side": "buy", "qty": "1"}])

    async def go(b):  # type: ignore[no-untyped-def]
        return await b.list_orders(open_only=True)

    try:
        working = _run(emu, go)
        pages = emu.requests_by_endpoint["GET /v2/orders"]
    finally:
        emu.stop()
    assert len(working) == 506 and len({o.broker_order_id for o in working}) == 506
    assert working[-1].symbol == "XOM"
    assert pages == 2  # 500, then the 6 after the first page's last time
