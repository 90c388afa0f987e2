"""SimBroker: the embedded, scenario-driven Broker with latency, 429s, faults and persistence."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import structlog

from console.brokers.fanout import UpdateFanout
from console.brokers.sim.exchange import Exchange, utc_now
from console.brokers.sim.resources import demo_path
from console.brokers.sim.scenario import Scenario, load_scenario
from console.brokers.sim.window import SlidingWindow
from console.domain.errors import InputError
from console.domain.market import Asset, MarketClock, Quote
from console.domain.orders import OrderRequest, OrderSnapshot
from console.engine.ports import (
    AccountInfo,
    BrokerTimeoutError,
    BrokerUnavailableError,
    RateLimitedError,
)

log = structlog.get_logger(__name__)

_MS = Decimal(1000)


def _seconds(ms: int | Decimal) -> float:
    """Milliseconds as the float seconds asyncio.sleep takes (time, never money)."""
    return float(Decimal(ms) / _MS)


class SimBroker:
    """The `sim` Broker: an Exchange behind latency, a sliding-window rate limit and faults."""

    name = "sim"
    mode = "SIM"

    def __init__(
        self,
        scenario: Scenario,
        state_path: str | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        """Start from the scenario, or from `state_path` when that file exists."""
        self.scenario = scenario
        self.rate_limit_per_minute = scenario.rate_limit_per_minute
        self.updates_live = True  # every fill is reported as it happens
        self.updates_epoch = 1  # and never missed
        self.requests_made = 0
        self.rate_limited = 0
        self._state_path = state_path
        self._now = now
        self._window = SlidingWindow(scenario.rate_limit_per_minute, clock)
        self._burst_left = 0
        self._updates = UpdateFanout()
        self._tasks: set[asyncio.Task[None]] = set()
        self._fill_due: dict[str, datetime] = {}
        self._to_schedule: list[str] = []
        self._closed = False
        loaded = self._load() if state_path and os.path.exists(state_path) else None
        self.exchange: Exchange = loaded if loaded is not None else Exchange(scenario, now=now)
        self._persist()

    # ---- persistence --------------------------------------------------------------------

    def _load(self) -> Exchange:
        assert self._state_path is not None
        path = self._state_path
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            exchange = Exchange.from_state(self.scenario, data["exchange"], now=self._now)
            due = {k: datetime.fromisoformat(v) for k, v in data.get("pending_fills", {}).items()}
        except KeyError as exc:
            raise InputError.single(
                path,
                "",
                f"unreadable sim state: {exc.args[0]!r} is missing (not a file --sim-state wrote)",
            ) from None
        except (OSError, ValueError, TypeError) as exc:
            raise InputError.single(path, "", f"unreadable sim state: {exc}") from None
        # The broker kept working while we were away: fill what came due, schedule the rest.
        now = self._now()
        for order in exchange.open_orders():
            when = due.get(order.broker_order_id)
            if when is None or when <= now:
                exchange.execute(order.broker_order_id)
            else:
                self._fill_due[order.broker_order_id] = when
                self._to_schedule.append(order.broker_order_id)
        return exchange

    def _persist(self) -> None:
        if self._state_path is None:
            return
        state = {
            "exchange": self.exchange.to_state(),
            "pending_fills": {k: v.isoformat() for k, v in self._fill_due.items()},
        }
        directory = os.path.dirname(os.path.abspath(self._state_path))
        fd, tmp = tempfile.mkstemp(prefix=".sim-state-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(state, handle, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._state_path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    # ---- request plumbing ---------------------------------------------------------------

    async def _request(self) -> None:
        """Count a request against the window (429 past it), then wait the latency."""
        if self._closed:
            raise BrokerUnavailableError("sim broker is closed")
        self._start_pending()
        self.requests_made += 1
        if self._burst_left > 0:
            self._burst_left -= 1
            self.rate_limited += 1
            retry = _seconds(self.scenario.faults.burst_retry_after_ms)
            raise RateLimitedError(retry, "HTTP 429: rate limit burst (scenario fault)")
        try:
            self._window.admit()
        except RateLimitedError:
            self.rate_limited += 1
            raise
        await asyncio.sleep(_seconds(self.scenario.fills.latency_ms))

    def _start_pending(self) -> None:
        """Schedule fills of orders reloaded from the state file (needs a running loop)."""
        pending, self._to_schedule = self._to_schedule, []
        for broker_id in pending:
            delay = (self._fill_due[broker_id] - self._now()).total_seconds()
            self._schedule_fill(broker_id, max(0.0, delay))

    def _schedule_fill(self, broker_id: str, delay: float) -> None:
        task = asyncio.get_running_loop().create_task(
            self._fill_later(broker_id, delay), name=f"sim-fill-{broker_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("sim_fill_failed", task=task.get_name(), error=repr(exc), exc_info=exc)

    async def _fill_later(self, broker_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        self._fill_due.pop(broker_id, None)
        updates = self.exchange.execute(broker_id)
        self._persist()
        for snapshot in updates:
            log.debug("sim_order_update", order=broker_id, status=snapshot.status.value)
            self._publish(snapshot)

    def _publish(self, snapshot: OrderSnapshot) -> None:
        self._updates.publish(snapshot)

    def _fault(self, kind: str, symbols: frozenset[str] | dict[str, int], symbol: str) -> bool:
        """Fire a configured fault once per (kind, symbol); the firing is persisted."""
        if symbol not in symbols or not self.exchange.take_fault(kind, symbol):
            return False
        self._persist()
        log.info("sim_fault", fault=kind, symbol=symbol)
        return True

    # ---- the Broker port ----------------------------------------------------------------

    async def get_account(self) -> AccountInfo:
        """Account id, cash and buying power."""
        await self._request()
        ex = self.exchange
        before = ex.count_account_read()
        faults = self.scenario.faults
        if (
            faults.account_errors_after
            <= before
            < faults.account_errors_after + faults.account_errors
        ):
            self._persist()
            raise BrokerUnavailableError("HTTP 503: service unavailable (scenario fault)")
        return AccountInfo(
            account_id=ex.account_id,
            cash=ex.cash,
            buying_power=ex.buying_power,
            status=ex.account_status(),
        )

    async def get_positions(self) -> dict[str, Decimal]:
        """Held quantities by symbol."""
        await self._request()
        return self.exchange.positions()

    async def get_quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Quotes of the symbols that have one."""
        await self._request()
        quotes = {symbol: self.exchange.quote(symbol) for symbol in symbols}
        return {symbol: quote for symbol, quote in quotes.items() if quote is not None}

    async def get_assets(self, symbols: Sequence[str]) -> dict[str, Asset]:
        """Assets of the symbols the sim knows."""
        await self._request()
        assets = {symbol: self.exchange.asset(symbol) for symbol in symbols}
        return {symbol: asset for symbol, asset in assets.items() if asset is not None}

    async def get_clock(self) -> MarketClock:
        """The simulated market clock."""
        await self._request()
        return self.exchange.clock()

    async def list_orders(
        self, *, open_only: bool, after: datetime | None = None
    ) -> list[OrderSnapshot]:
        """Working orders, or every order since `after` (one request)."""
        await self._request()
        return self.exchange.list_orders(open_only=open_only, after=after)

    async def submit_order(self, request: OrderRequest) -> OrderSnapshot:
        """Place an order (status accepted); its fill follows on the update stream."""
        await self._request()
        faults, symbol = self.scenario.faults, request.symbol
        if faults.rate_limit_burst and self._fault("rate_limit_burst", {"*": 0}, "*"):
            self._burst_left = faults.rate_limit_burst
        if self._fault("submit_hang", faults.submit_hang, symbol):
            await asyncio.sleep(float(faults.hang_seconds))
        if self._fault("submit_error", faults.submit_error, symbol):
            raise BrokerUnavailableError("HTTP 500: internal server error (scenario fault)")
        snapshot = self.exchange.place(request)
        delay_ms = self.scenario.fills.latency_ms
        if self._fault("fill_delay_ms", faults.fill_delay_ms, symbol):
            delay_ms = faults.fill_delay_ms[symbol]
        broker_id = snapshot.broker_order_id
        self._fill_due[broker_id] = self._now() + timedelta(milliseconds=delay_ms)
        self._persist()
        log.debug("sim_order_accepted", order=broker_id, client_order_id=request.client_order_id)
        self._publish(snapshot.model_copy(update={"event": "new"}))
        self._schedule_fill(broker_id, _seconds(delay_ms))
        if self._fault("submit_timeout", faults.submit_timeout, symbol):
            raise BrokerTimeoutError("submit timed out (scenario fault; the order was placed)")
        return snapshot

    async def get_order_by_client_id(self, client_order_id: str) -> OrderSnapshot | None:
        """The order with this client_order_id, or None when the sim has none."""
        await self._request()
        return self.exchange.order_by_client_id(client_order_id)

    async def cancel_order(self, broker_order_id: str) -> None:
        """Cancel an open order (published on the stream); a terminal one is left alone."""
        await self._request()
        before = self.exchange.order(broker_order_id)
        if before is None:
            log.warning("sim_cancel_unknown_order", order=broker_order_id)
            return
        if before.symbol in self.scenario.faults.cancel_fail and not before.status.is_terminal:
            raise BrokerUnavailableError("HTTP 503: cancel not processed (scenario fault)")
        after = self.exchange.cancel(broker_order_id)
        if after is not None and after is not before:
            self._fill_due.pop(broker_order_id, None)
            self._persist()
            self._publish(after)

    def updates(self) -> AsyncIterator[OrderSnapshot]:
        """Every snapshot published from now on, until close()."""
        return self._updates.subscribe()

    def reset(self) -> None:
        """Back to the scenario's opening account: pending fills dropped, orders forgotten."""
        for task in list(self._tasks):
            task.cancel()
        self._fill_due.clear()
        self._to_schedule.clear()
        self.exchange = Exchange(self.scenario, now=self._now)
        self._persist()
        log.info("sim_account_reset", account_id=self.exchange.account_id)

    async def close(self) -> None:
        """Cancel pending fills and end every update stream; idempotent."""
        if self._closed:
            return
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._updates.close()


def create_sim_broker(scenario_path: str | None, state_path: str | None = None) -> SimBroker:
    """A SimBroker over a scenario file (None: the bundled demo scenario)."""
    path = scenario_path if scenario_path is not None else str(demo_path("scenario.json"))
    return SimBroker(load_scenario(path), state_path)
