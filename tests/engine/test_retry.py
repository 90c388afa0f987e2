"""The engine's one retry policy, as the gateway applies it to reads, cancels and submits."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from decimal import Decimal

import pytest

from console.domain.orders import OrderRequest, OrderSnapshot, OrderSpec, Side
from console.engine.gateway import BrokerGateway
from console.engine.ports import AccountInfo, BrokerUnavailableError, RateLimitedError
from console.engine.ratelimit import TokenBucket
from console.engine.retry import RetryPolicy


class Flaky:
    """A broker whose account read and submit fail `failures` times first."""

    name, mode, rate_limit_per_minute = "flaky", "SIM", 1000

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls: dict[str, int] = {}

    def _maybe_fail(self, kind: str) -> None:
        self.calls[kind] = self.calls.get(kind, 0) + 1
        if self.calls[kind] <= self.failures:
            raise self.error

    async def get_account(self) -> AccountInfo:
        self._maybe_fail("account")
        return AccountInfo("A", Decimal(1), Decimal(1))

    async def submit_order(self, request: OrderRequest) -> OrderSnapshot:
        self._maybe_fail("submit")
        raise AssertionError("not reached in these tests")

    async def get_quotes(self, symbols: Sequence[str]) -> dict[str, object]:
        return {}


def _gateway(broker: Flaky, waits: list[float]) -> BrokerGateway:
    """A gateway in virtual time: its sleeps move a clock that the token bucket reads too."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    policy = RetryPolicy(attempts=4, base=0.5, cap=8.0, rng=random.Random(7))
    bucket = TokenBucket(1000, sleep=sleep, clock=lambda: now[0])
    return BrokerGateway(broker, bucket=bucket, sleep=sleep, policy=policy)  # type: ignore[arg-type]


def test_reads_retry_transient_failures_with_jittered_backoff() -> None:
    broker, waits = Flaky(3, BrokerUnavailableError("HTTP 503")), []
    gateway = _gateway(broker, waits)
    account = asyncio.run(gateway.get_account())
    assert account.account_id == "A" and broker.calls["account"] == 4
    assert len(waits) == 3
    assert all(0 <= w <= cap for w, cap in zip(waits, (0.5, 1.0, 2.0), strict=True))
    assert gateway.by_kind["account"] == 4  # every try is a counted request


def test_reads_give_up_after_the_policys_attempts() -> None:
    broker, waits = Flaky(10, BrokerUnavailableError("HTTP 503")), []
    with pytest.raises(BrokerUnavailableError):
        asyncio.run(_gateway(broker, waits).get_account())
    assert broker.calls["account"] == 4


def test_a_submit_is_never_retried_after_an_ambiguous_failure() -> None:
    broker, waits = Flaky(1, BrokerUnavailableError("HTTP 502")), []
    request = OrderRequest(
        client_order_id="c", symbol="A", side=Side.BUY, spec=OrderSpec(notional=Decimal(5))
    )
    with pytest.raises(BrokerUnavailableError):
        asyncio.run(_gateway(broker, waits).submit_order(request))
    assert broker.calls["submit"] == 1 and waits == []


def test_a_429_waits_at_least_the_brokers_retry_after_even_for_a_submit() -> None:
    broker, waits = Flaky(1, RateLimitedError(3.0)), []
    request = OrderRequest(
        client_order_id="c", symbol="A", side=Side.BUY, spec=OrderSpec(notional=Decimal(5))
    )
    with pytest.raises(AssertionError, match="not reached"):
        asyncio.run(_gateway(broker, waits).submit_order(request))
    assert broker.calls["submit"] == 2 and waits[0] >= 3.0


def test_a_long_burst_of_429s_on_a_read_is_waited_out() -> None:
    """429s are counted apart: eight in a row do not exhaust a read's four tries."""
    broker, waits = Flaky(8, RateLimitedError(0.5)), []
    account = asyncio.run(_gateway(broker, waits).get_account())
    assert account.account_id == "A" and broker.calls["account"] == 9
    assert sum(w >= 0.5 for w in waits) == 8  # each 429 waited its retry_after
