"""TradingStream as a task on the running loop, with connect/auth hooks alpaca-py lacks.

Imported only when an AlpacaBroker is constructed (it pulls alpaca-py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import structlog
from alpaca.trading.stream import TradingStream

from console.brokers.alpaca.config import AlpacaConfig
from console.brokers.alpaca.convert import enum_text, snapshot_from_order
from console.domain.orders import OrderSnapshot

log = structlog.get_logger(__name__)

# websockets logs every frame at DEBUG, the authenticate frame (with the secret) included:
# the stream gets its own logger that never emits below WARNING.
_WS_LOGGER = logging.getLogger("console.brokers.alpaca.websocket")
_WS_LOGGER.setLevel(logging.WARNING)


class _Update:
    """A parsed TradeUpdate plus its raw payload."""

    __slots__ = ("model", "raw")

    def __init__(self, model: Any, raw: dict[str, Any]) -> None:
        self.model = model
        self.raw = raw


class _HookedStream(TradingStream):
    """TradingStream that reports (re)connections and refused authentication."""

    def __init__(
        self,
        *args: Any,
        on_connected: Callable[[], None],
        on_auth_refused: Callable[[], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._on_connected = on_connected
        self._on_auth_refused = on_auth_refused

    async def _auth(self) -> None:
        """Authenticate; report a refusal (alpaca-py would only retry forever)."""
        try:
            await super()._auth()  # type: ignore[no-untyped-call]
        except ValueError:
            self._on_auth_refused()
            raise

    def _cast(self, msg: dict[str, Any]) -> _Update:  # type: ignore[override]
        """Keep the raw payload next to the model (it may carry a reject reason)."""
        data = msg.get("data") or {}
        return _Update(super()._cast(msg), data if isinstance(data, dict) else {})

    async def _start_ws(self) -> None:
        """Connect, authenticate and listen; then report the (re)connection."""
        await super()._start_ws()  # type: ignore[no-untyped-call]
        self._on_connected()


class StreamSupervisor:
    """Runs the trade_updates stream and forwards each update as an OrderSnapshot."""

    def __init__(
        self,
        config: AlpacaConfig,
        on_update: Callable[[OrderSnapshot], None],
        on_connected: Callable[[], None],
    ) -> None:
        options = config.options
        self._on_update = on_update
        self._on_connected_cb = on_connected
        self.connects = 0
        self.auth_refusals = 0
        self.last_message = time.monotonic()
        self._first_connect: asyncio.Event | None = None
        self._stream = _HookedStream(
            config.key_id,
            config.secret_key,
            paper=not config.live,
            url_override=config.stream_url,
            websocket_params={
                "ping_interval": options.stream_ping_interval_s,
                "ping_timeout": options.stream_ping_timeout_s,
                "max_queue": 1024,
                "open_timeout": options.request_timeout_s,
                "close_timeout": 1,
                "logger": _WS_LOGGER,
            },
            on_connected=self._connected,
            on_auth_refused=self._auth_refused,
        )
        self._stream._reconnect_min_backoff = options.stream_reconnect_min_s
        self._stream._reconnect_max_backoff = options.stream_reconnect_max_s
        self._stream.subscribe_trade_updates(self._handle)
        self._task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"StreamSupervisor(connects={self.connects})"

    @property
    def connected(self) -> bool:
        """Whether the websocket is currently up and listening."""
        return bool(self._stream._running) and self._stream._ws is not None

    async def wait_first_connect(self, wait_s: float) -> bool:
        """Wait (bounded) until the stream has connected once; True if it has."""
        if self.connects > 0:
            return True
        if self._first_connect is None:
            return False
        try:
            await asyncio.wait_for(self._first_connect.wait(), wait_s)
        except TimeoutError:
            log.warning("alpaca.stream_not_connected_yet", waited_s=wait_s)
            return False
        return True

    def start(self) -> None:
        """Start the stream task on the running loop (idempotent)."""
        if self._task is None:
            self._first_connect = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="alpaca-trade-updates"
            )
            self._task.add_done_callback(_log_task_end)

    async def _run(self) -> None:
        """alpaca-py's own reconnecting loop (never `run()`, which owns a loop)."""
        await self._stream._run_forever()  # type: ignore[no-untyped-call]

    def _connected(self) -> None:
        """A (re)connection: events may have been missed meanwhile."""
        self.connects += 1
        self.last_message = time.monotonic()
        if self._first_connect is not None:
            self._first_connect.set()
        log.info("alpaca.stream_connected", connects=self.connects)
        self._on_connected_cb()

    def _auth_refused(self) -> None:
        """Stream credentials refused: say so once in a while (REST polling still works)."""
        self.auth_refusals += 1
        if self.auth_refusals in (1, 10, 100):
            log.error("alpaca.stream_auth_refused", refusals=self.auth_refusals)

    async def _handle(self, update: _Update) -> None:
        """One trade_updates message -> OrderSnapshot; never raises (alpaca-py would drop it)."""
        self.last_message = time.monotonic()
        try:
            model = update.model
            reason = update.raw.get("reason")
            snapshot = snapshot_from_order(
                model.order,
                event=enum_text(model.event),
                reason=str(reason) if isinstance(reason, str) and reason else None,
            )
        except Exception:
            log.exception("alpaca.stream_update_unreadable")
            return
        try:
            self._on_update(snapshot)
        except Exception:
            log.exception("alpaca.stream_update_failed", client_order_id=snapshot.client_order_id)

    async def drop(self) -> None:
        """Close the current socket; alpaca-py reconnects after its backoff."""
        await self._stream.close()

    async def stop(self) -> None:
        """Cancel the task, then close the socket (immediate; `stop()` would deadlock)."""
        self._stream._should_run = False
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=2)
        try:
            await asyncio.wait_for(self._stream.close(), timeout=2)
        except Exception:
            log.warning("alpaca.stream_close_failed", exc_info=True)


def _log_task_end(task: asyncio.Task[None]) -> None:
    """Log a stream task that ended with an exception."""
    if not task.cancelled() and task.exception() is not None:
        log.error("alpaca.stream_task_failed", exc_info=task.exception())
