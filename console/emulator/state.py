"""Emulator state: the sim Exchange behind a lock, Alpaca ids, fill scheduling and faults."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import structlog

from console.brokers.sim.exchange import Exchange
from console.brokers.sim.scenario import Scenario
from console.brokers.sim.window import SlidingWindow
from console.domain.money import ZERO
from console.domain.orders import OrderRequest, OrderSnapshot, OrderSpec
from console.emulator import render
from console.emulator.ws import StreamHub
from console.engine.ports import RateLimitedError

log = structlog.get_logger(__name__)


@dataclass
class Faults:
    """Fault switches; counts are consumed one per affected request."""

    latency_ms: int = 0  # added before every REST answer
    rate_limit_burst: int = 0  # the next N REST requests answer 429
    rate_limit_retry_after_s: float = 0.2  # Retry-After of a burst 429
    server_errors: int = 0  # the next N matching REST requests answer 5xx with an HTML body
    server_error_status: int = 502
    server_error_methods: str = "ANY"  # ANY, GET, POST or DELETE
    submit_timeouts: int = 0  # the next N order submits land, then the answer is held
    hang_s: float = 5.0  # how long a held answer waits (past the client's timeout)
    cancel_fail: str = ""  # symbols (comma-separated, * for all) whose cancels answer 503
    account_errors: int = 0  # the next N GET /v2/account answer 503
    data_forbidden_feeds: str = ""  # feeds (comma-separated) the data plan lacks: 403
    forbidden_requests: int = 0  # the next N trading requests answer 403 (e.g. keys revoked)
    unauthorized_submits: int = 0  # the next N order submits answer 401 (keys revoked)
    stream_unavailable: bool = False  # /stream answers 404: a REST-only server

    def cancel_fails(self, symbol: str) -> bool:
        """Whether a cancel of `symbol`'s order is switched to fail."""
        names = {s.strip().upper() for s in self.cancel_fail.split(",") if s.strip()}
        return "*" in names or symbol.upper() in names

    def feed_forbidden(self, feed: str) -> bool:
        """Whether the data subscription lacks `feed`."""
        names = {s.strip().lower() for s in self.data_forbidden_feeds.split(",") if s.strip()}
        return feed.lower() in names

    def update(self, values: dict[str, Any]) -> None:
        """Set fields from a JSON object (unknown keys are an error)."""
        known = {f.name: f.type for f in fields(self)}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"unknown fault {key!r}")
            current = getattr(self, key)
            setattr(self, key, type(current)(value))

    def as_dict(self) -> dict[str, Any]:
        """Current switches."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Scheduler:
    """One thread running callbacks at due times (fills after the scenario's latency)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="emulator-fills", daemon=True)
        self._thread.start()

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        """Run `fn` on the scheduler thread after `delay` seconds."""
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), fn))
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                _, _, fn = heapq.heappop(self._heap)
            try:
                fn()
            except Exception:
                log.exception("emulator.scheduled_call_failed")

    def stop(self) -> None:
        """Stop (pending callbacks are dropped)."""
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=2)


class EmulatorState:
    """Thread-safe account state, Alpaca-shaped views of it, and request accounting."""

    def __init__(self, scenario: Scenario, faults: Faults) -> None:
        self.scenario = scenario
        self.faults = faults
        self.lock = threading.RLock()
        self.exchange = Exchange(scenario)
        self.hub = StreamHub()
        self.scheduler = Scheduler()
        self.requests: Counter[str] = Counter()
        self.order_bodies: deque[str] = deque(maxlen=2000)
        self._window = SlidingWindow(scenario.rate_limit_per_minute)
        self._created: dict[str, datetime] = {}
        self._uuid_to_sim: dict[str, str] = {}
        self._status_override: dict[str, str] = {}  # sim id -> the Alpaca status to report
        self._replaced_by: dict[str, str] = {}  # sim id -> sim id of its replacement
        self._replaces: dict[str, str] = {}  # sim id of a replacement -> the one it replaced
        for order in self.exchange.orders():  # the scenario's manual open orders
            self._uuid_to_sim[self.order_id(order.broker_order_id)] = order.broker_order_id
            self._created[order.broker_order_id] = order.updated_at or _now()

    # ---- rate limit and faults --------------------------------------------------------

    def admit(self) -> float | None:
        """Count a request in the rolling minute (the sim's limiter); seconds to wait if full."""
        with self.lock:
            try:
                self._window.admit()
            except RateLimitedError as exc:
                return max(0.01, exc.retry_after)
            return None

    def take(self, name: str, method: str = "ANY") -> bool:
        """Consume one unit of a counted fault."""
        with self.lock:
            left = getattr(self.faults, name)
            if left <= 0:
                return False
            if name == "server_errors" and self.faults.server_error_methods not in ("ANY", method):
                return False
            setattr(self.faults, name, left - 1)
            return True

    # ---- orders --------------------------------------------------------------------------

    def order_id(self, sim_id: str) -> str:
        """The Alpaca (UUID) id of a sim order id."""
        return render.stable_uuid(self.exchange.account_id, sim_id)

    def sim_id(self, order_id: str) -> str | None:
        """The sim id of an Alpaca order id, or None."""
        return self._uuid_to_sim.get(order_id)

    def order_json(self, order: OrderSnapshot) -> dict[str, Any]:
        """The Alpaca entity of an order (with a forced status or its replacement, if any)."""
        sim_id = order.broker_order_id
        created = self._created.get(sim_id, order.updated_at or _now())
        data = render.order_json(order, self.order_id(sim_id), created, self.exchange.account_id)
        successor = self._replaced_by.get(sim_id)
        if successor is not None:
            data["status"] = "replaced"
            data["canceled_at"] = None
            data["replaced_at"] = data["updated_at"]
            data["replaced_by"] = self.order_id(successor)
        if sim_id in self._replaces:
            data["replaces"] = self.order_id(self._replaces[sim_id])
        forced = self._status_override.get(sim_id)
        if forced is not None:
            data["status"] = forced
        return data

    def status_of(self, order: OrderSnapshot) -> str:
        """The Alpaca status the emulator reports for an order."""
        return str(self.order_json(order)["status"])

    def force_status(self, client_order_id: str, status: str) -> None:
        """Report `status` (any text, known to Alpaca or not) for an order from now on."""
        with self.lock:
            order = self.exchange.order_by_client_id(client_order_id)
            if order is None:
                raise KeyError(client_order_id)
            self._status_override[order.broker_order_id] = status
            self._announce([order.model_copy(update={"event": status})])

    def replace(self, client_order_id: str, qty: Decimal | None = None) -> str:
        """Replace a working order (PATCH /v2/orders/{id}): a successor takes over its rest.

        The original reports `replaced` with `replaced_by`; the successor gets a new client
        order id and fills as the original would have. Returns the successor's client order id.
        """
        with self.lock:
            original = self.exchange.order_by_client_id(client_order_id)
            if original is None or original.status.is_terminal:
                raise KeyError(client_order_id)
            successor_coid = render.stable_uuid("replace", original.broker_order_id)
            spec = OrderSpec(
                qty=qty if qty is not None else original.qty,
                notional=None if qty is not None else original.notional,
            )
            self.exchange.cancel(original.broker_order_id)
            request = OrderRequest(
                client_order_id=successor_coid,
                symbol=original.symbol,
                side=original.side,
                spec=spec,
            )
            placed = self.exchange.place(request)
            self._created[placed.broker_order_id] = placed.updated_at or _now()
            self._uuid_to_sim[self.order_id(placed.broker_order_id)] = placed.broker_order_id
            self._status_override.pop(original.broker_order_id, None)
            self._replaced_by[original.broker_order_id] = placed.broker_order_id
            self._replaces[placed.broker_order_id] = original.broker_order_id
            gone = self.exchange.order(original.broker_order_id) or original
            self._announce(
                [
                    gone.model_copy(update={"event": "replaced"}),
                    placed.model_copy(update={"event": "new"}),
                ]
            )
        delay = self.scenario.fills.latency_ms / 1000
        self.scheduler.call_later(delay, lambda: self._execute(placed.broker_order_id))
        return successor_coid

    def place(self, request: OrderRequest) -> dict[str, Any]:
        """Place through the Exchange (raises its refusals); schedule the fill; announce 'new'."""
        with self.lock:
            placed = self.exchange.place(request)
            self._created[placed.broker_order_id] = placed.updated_at or _now()
            self._uuid_to_sim[self.order_id(placed.broker_order_id)] = placed.broker_order_id
            body = self.order_json(placed)
            self._announce([placed.model_copy(update={"event": "new"})])
        delay = self.scenario.fills.latency_ms / 1000
        self.scheduler.call_later(delay, lambda: self._execute(placed.broker_order_id))
        return body

    def _execute(self, sim_id: str) -> None:
        with self.lock:
            updates = self.exchange.execute(sim_id)
            self._announce(updates)

    def cancel(self, sim_id: str) -> OrderSnapshot | None:
        """Cancel (announced when it changes anything)."""
        with self.lock:
            before = self.exchange.order(sim_id)
            after = self.exchange.cancel(sim_id)
            if after is not None and after is not before:
                self._announce([after])
            return after

    def _announce(self, updates: list[OrderSnapshot]) -> None:
        positions = self.exchange.positions()
        for update in updates:
            message = render.trade_update_json(
                update, self.order_json(update), positions.get(update.symbol, ZERO)
            )
            self.hub.broadcast(message)

    def orders(self) -> list[OrderSnapshot]:
        """Every order, oldest first."""
        with self.lock:
            return self.exchange.orders()

    def created(self, order: OrderSnapshot) -> datetime:
        """When an order was submitted."""
        return self._created.get(order.broker_order_id, _now())


def _now() -> datetime:
    return datetime.now(UTC)
