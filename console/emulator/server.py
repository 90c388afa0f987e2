"""A loopback Alpaca emulator: REST + trade_updates websocket on 127.0.0.1, sim Exchange fills.

`phase-console emulator --port N [--scenario FILE]` runs `serve()`; tests use AlpacaEmulator.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import structlog

from console.brokers.sim.resources import demo_path
from console.brokers.sim.scenario import Scenario, load_scenario
from console.emulator.handler import AlpacaHandler, HandlerContext
from console.emulator.state import EmulatorState, Faults

log = structlog.get_logger(__name__)

HOST = "127.0.0.1"  # loopback only, always

__all__ = ["AlpacaEmulator", "Faults", "serve"]


class _Server(ThreadingHTTPServer):
    """Threaded HTTP server whose close never waits for idle keep-alive connections."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class AlpacaEmulator:
    """An in-process Alpaca API (trading, latest quotes, trade_updates) over a scenario."""

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        port: int = 0,
        key_id: str | None = None,
        secret: str | None = None,
        faults: Faults | None = None,
    ) -> None:
        if scenario is None:
            scenario = demo_path("scenario.json")
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(str(scenario))
        self.scenario = scenario
        self.faults = faults or Faults()
        self._state = EmulatorState(scenario, self.faults)
        self._ctx = HandlerContext(self._state, key_id, secret)
        handler = type("BoundAlpacaHandler", (AlpacaHandler,), {"ctx": self._ctx})
        self._server = _Server((HOST, port), handler)
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"AlpacaEmulator(base_url={self.base_url!r})"

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT (trading and data base; the stream is ws://.../stream)."""
        return f"http://{HOST}:{self.port}"

    @property
    def exchange(self) -> Any:
        """The sim Exchange holding the account (read it under `lock`)."""
        return self._state.exchange

    @property
    def lock(self) -> threading.RLock:
        """The state lock."""
        return self._state.lock

    @property
    def requests_by_endpoint(self) -> dict[str, int]:
        """REST requests received, by `METHOD /path` (ids elided); control calls excluded."""
        with self._state.lock:
            return dict(self._state.requests)

    @property
    def order_bodies(self) -> list[str]:
        """Raw JSON bodies of POST /v2/orders, oldest first (what crossed the wire)."""
        with self._state.lock:
            return list(self._state.order_bodies)

    @property
    def stream_listeners(self) -> int:
        """Websocket sessions currently listening to trade_updates."""
        return self._state.hub.listeners

    @property
    def stream_connections(self) -> int:
        """Websocket handshakes completed so far."""
        return self._state.hub.connections

    def set_faults(self, **values: Any) -> None:
        """Change fault switches at runtime (same keys as Faults)."""
        with self._state.lock:
            self.faults.update(values)

    def force_status(self, client_order_id: str, status: str) -> None:
        """Report `status` (any text) for an order from now on, and announce it on the stream."""
        self._state.force_status(client_order_id, status)

    def replace_order(self, client_order_id: str, qty: Decimal | None = None) -> str:
        """Replace a working order (as PATCH /v2/orders/{id}); the successor's client order id."""
        return self._state.replace(client_order_id, qty)

    def drop_stream(self) -> int:
        """Close every stream socket abruptly; returns how many."""
        return self._state.hub.drop()

    def silence_stream(self, seconds: float) -> None:
        """Send no stream message for `seconds` (messages meanwhile are lost)."""
        self._state.hub.silence(seconds)

    def start(self) -> None:
        """Serve on a background thread."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"alpaca-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        log.info("emulator.started", base_url=self.base_url)

    def stop(self) -> None:
        """Stop serving, close every stream and release the port; idempotent."""
        self._ctx.stopping.set()
        self._state.hub.drop()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        self._state.scheduler.stop()

    def __enter__(self) -> AlpacaEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(port: int, scenario_path: str | None = None) -> None:
    """Run the emulator in the foreground until Ctrl+C (None scenario: the bundled demo)."""
    emulator = AlpacaEmulator(scenario_path, port=port)
    url = emulator.base_url
    print(
        f"Alpaca emulator on {url} (loopback only). Try:\n"
        f"  export APCA_API_BASE_URL={url} APCA_API_DATA_URL={url}\n"
        "  export APCA_API_KEY_ID=demo APCA_API_SECRET_KEY=demo\n"
        "  phase-console preview PLAN --broker alpaca\n"
        "Ctrl+C stops it.",
        flush=True,
    )
    try:
        emulator._server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        emulator._ctx.stopping.set()
        emulator._state.hub.drop()
        emulator._server.server_close()
        emulator._state.scheduler.stop()
