"""TradingStream as a task on the running loop (`_run_forever`, never `run()`), with hooks.

Imported only when an AlpacaBroker is constructed (it pulls alpaca-py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from alpaca.trading.stream import TradingStream

from console.brokers.alpaca.config import AlpacaConfig

log = structlog.get_logger(__name__)

# websockets logs every frame at DEBUG, the authenticate frame (with the secret) included:
# the stream gets its own logger that never emits below WARNING.
_WS_LOGGER = logging.getLogger("console.brokers.alpaca.websocket")
_WS_LOGGER.setLevel(logging.WARNING)

# Alpaca answers `listen` at once; a server that does not answer is trusted after this long.
_LISTEN_ANSWER_WAIT_S = 2.0


class _HookedStream(TradingStream):
    """TradingStream (raw payloads) that reports (re)connections and why authentication failed."""

    def __init__(
        self,
        *args: Any,
        on_connected: Callable[[], None],
        on_auth_refused: Callable[[str], None],
        on_connect_failed: Callable[[], None],
        listen_wait_s: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._listen_wait_s = listen_wait_s
        self._on_connected = on_connected
        self._on_auth_refused = on_auth_refused
        self._on_connect_failed = on_connect_failed

    async def _auth(self) -> None:
        """Authenticate; report a refusal with Alpaca's words (alpaca-py only retries)."""
        ws: Any = self._ws
        await ws.send(
            json.dumps(
                {
                    "action": "authenticate",
                    "data": {"key_id": self._api_key, "secret_key": self._secret_key},
                }
            )
        )
        answer = json.loads(await ws.recv())
        data = answer.get("data") or {} if isinstance(answer, dict) else {}
        if data.get("status") != "authorized":
            said = data.get("error") or data.get("message") or data.get("status") or "refused"
            self._on_auth_refused(str(said))
            raise ValueError(f"failed to authenticate: {said}")

    async def _subscribe_trade_updates(self) -> None:
        """Listen, then wait (bounded) for Alpaca's `listening` answer before reporting connected.

        alpaca-py only sends `listen`: an order placed before the server has registered it
        would lose its first events, so a run's first submit waits for the answer.
        """
        await super()._subscribe_trade_updates()
        ws: Any = self._ws
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._listen_wait_s
        while (left := deadline - loop.time()) > 0:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), left))
            except TimeoutError:
                break
            if isinstance(message, dict) and message.get("stream") == "listening":
                return
            if isinstance(message, dict):
                self._data_received = message.get("stream") == "trade_updates"
                await self._dispatch(message)
        log.warning("alpaca.stream_listen_unconfirmed", waited_s=self._listen_wait_s)

    async def _start_ws(self) -> None:
        """Connect, authenticate and listen; then report the (re)connection, or its failure."""
        try:
            await super()._start_ws()  # type: ignore[no-untyped-call]
        except Exception:
            self._on_connect_failed()
            raise
        self._on_connected()


class StreamSupervisor:
    """Runs the trade_updates stream (one per account) and forwards each update's payload.

    Reconnecting after a drop, with backoff, is alpaca-py's loop (a transport concern); what
    was missed meanwhile is the engine's to reconcile, not this class's.
    """

    def __init__(
        self, config: AlpacaConfig, on_update: Callable[[dict[str, Any]], Awaitable[None]]
    ) -> None:
        options = config.options
        self._on_update = on_update
        self.connects = 0
        self.connect_failures = 0
        self.auth_refusals = 0
        self.last_refusal: str | None = None
        self._gave_up = False
        self.last_message = time.monotonic()
        self._first_connect: asyncio.Event | None = None
        self._stream = _HookedStream(
            config.key_id,
            config.secret_key,
            paper=not config.live,
            url_override=config.stream_url,
            raw_data=True,
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
            on_connect_failed=self._connect_failed,
            listen_wait_s=min(options.request_timeout_s, _LISTEN_ANSWER_WAIT_S),
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
        """Wait (bounded, once) until the stream has connected; True if it has.

        A refused or slow stream delays only the first submit: later submits never wait.
        """
        if self.connects > 0:
            return True
        if self._first_connect is None or self._gave_up:
            return False
        try:
            await asyncio.wait_for(self._first_connect.wait(), wait_s)
        except TimeoutError:
            log.warning("alpaca.stream_not_connected_yet", waited_s=wait_s)
        if self.connects == 0:
            self._gave_up = True
        return self.connects > 0

    @property
    def started(self) -> bool:
        """Whether the stream task was started (the account's one connection is in use)."""
        return self._task is not None

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

    def _connect_failed(self) -> None:
        """A connection attempt failed (no endpoint, refused): a waiting submit goes ahead now."""
        self.connect_failures += 1
        if self._first_connect is not None:
            self._first_connect.set()

    def _auth_refused(self, said: str) -> None:
        """Stream refused (credentials, or a second connection of the account): say so."""
        self.auth_refusals += 1
        self.last_refusal = said
        if self._first_connect is not None:
            self._first_connect.set()  # a submit waiting for the stream goes ahead now
        if self.auth_refusals in (1, 10, 100):
            log.error("alpaca.stream_auth_refused", refusals=self.auth_refusals, said=said)

    async def _handle(self, message: Any) -> None:
        """One trade_updates message (raw payload) to the adapter; never raises."""
        self.last_message = time.monotonic()
        data = message.get("data") if isinstance(message, dict) else None
        if not isinstance(data, dict):
            log.warning("alpaca.stream_update_unreadable")
            return
        try:
            await self._on_update(data)
        except Exception:
            log.exception("alpaca.stream_update_failed")

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
