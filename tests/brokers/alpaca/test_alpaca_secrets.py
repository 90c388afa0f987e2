"""No secret in any log line, exception message, repr or output, through a full flow."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest
import structlog
from alpaca_testkit import FAST, KEY_ID, SECRET, Collector, broker, order

from console.brokers.alpaca import load_config
from console.emulator import AlpacaEmulator
from console.engine.ports import AuthenticationError, BrokerError


def test_secret_never_leaks(
    emu: AlpacaEmulator, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []

    async def main() -> None:
        wrong = broker(emu, APCA_API_SECRET_KEY=SECRET[::-1])
        wrong_sub = Collector(wrong.updates())  # following updates opens the stream
        try:
            with pytest.raises(AuthenticationError) as info:
                await wrong.get_account()
            texts.extend([str(info.value), repr(info.value), repr(wrong)])
            await asyncio.sleep(0.3)  # the stream is refused too
            assert wrong._stream.auth_refusals >= 1
        finally:
            await wrong.close()
            await wrong_sub.stop()

        options = dataclasses.replace(FAST, request_timeout_s=0.3)
        b = broker(emu, options)
        sub = Collector(b.updates())
        try:
            texts.append(repr(b))
            await b.get_account()
            await b.get_quotes(["AAPL"])
            first = await b.submit_order(order("AAPL", "buy", notional="10.00"))
            for fault, request in (
                ({"rate_limit_burst": 1}, order("V", "buy", notional="10.00")),
                ({"submit_timeouts": 1, "hang_s": 0.6}, order("VTI", "buy", notional="10.00")),
                ({"server_errors": 1}, order("XOM", "buy", notional="10.00")),
                ({}, order("AAPL", "buy", notional="10.00")),  # duplicate id
                ({}, order("BRK.A", "buy", qty="1")),  # rejected
            ):
                emu.set_faults(**fault)
                try:
                    await b.submit_order(request)
                except BrokerError as exc:
                    texts.extend([str(exc), repr(exc), str(exc.__cause__), repr(exc.__cause__)])
            emu.drop_stream()
            await sub.wait_terminal([first.client_order_id])
        finally:
            await b.close()
            await sub.stop()

    with structlog.testing.capture_logs() as events:
        asyncio.run(main())
    config = load_config(env={"APCA_API_KEY_ID": KEY_ID, "APCA_API_SECRET_KEY": SECRET})
    texts.extend([repr(config), str(config)])
    out, err = capfd.readouterr()
    texts.extend([out, err, caplog.text])
    texts.extend(repr(event) for event in events)
    texts.extend(record.getMessage() for record in caplog.records)
    assert events
    assert caplog.records
    for text in texts:
        assert SECRET not in text
        assert SECRET[::-1] not in text
