"""The emulator's trade_updates websocket, on the HTTP server's own port (websockets sans-I/O)."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable

import structlog
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

log = structlog.get_logger(__name__)

_QUIET = logging.getLogger("console.emulator.websocket")
_QUIET.setLevel(logging.WARNING)  # frames carry the client's secret: never log them
_POLL_S = 0.2
_MAX_MESSAGE = 1 << 20


class StreamHub:
    """Listening sessions; one authenticated connection per account; drop/silence faults."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: set[WsSession] = set()
        self._authorized: set[WsSession] = set()
        self.refused = 0
        self._silent_until = 0.0
        self.sent = 0
        self.dropped_messages = 0
        self.connections = 0

    def add(self, session: WsSession) -> None:
        """A session that authenticated and listens to trade_updates."""
        with self._lock:
            self._sessions.add(session)

    def remove(self, session: WsSession) -> None:
        """A session that ended (its account's connection slot frees)."""
        with self._lock:
            self._sessions.discard(session)
            self._authorized.discard(session)

    def claim(self, session: WsSession) -> bool:
        """Take the account's one stream connection; False while another session holds it."""
        with self._lock:
            if self._authorized - {session}:
                self.refused += 1
                return False
            self._authorized.add(session)
            return True

    def silence(self, seconds: float) -> None:
        """Send nothing for `seconds`: messages meanwhile are lost (the socket stays open)."""
        with self._lock:
            self._silent_until = time.monotonic() + max(0.0, seconds)

    def drop(self) -> int:
        """Close every stream socket abruptly; returns how many were closed."""
        with self._lock:
            sessions = list(self._sessions | self._authorized)
            self._sessions.clear()
            self._authorized.clear()
        for session in sessions:
            session.abort()
        return len(sessions)

    @property
    def listeners(self) -> int:
        """Sessions currently listening."""
        with self._lock:
            return len(self._sessions)

    def broadcast(self, message: dict[str, object]) -> None:
        """Send a message to every listener, unless the stream is silenced."""
        payload = json.dumps(message)
        with self._lock:
            sessions = list(self._sessions)
            silent = time.monotonic() < self._silent_until
        if silent or not sessions:
            self.dropped_messages += 1
            return
        for session in sessions:
            if session.send_text(payload):
                self.sent += 1


class WsSession:
    """One websocket connection served on a handler thread's socket."""

    def __init__(
        self,
        sock: socket.socket,
        hub: StreamHub,
        authorize: Callable[[str, str], bool],
        stopping: threading.Event,
    ) -> None:
        self._sock = sock
        self._hub = hub
        self._authorize = authorize
        self._stopping = stopping
        self._protocol = ServerProtocol(max_size=_MAX_MESSAGE, logger=_QUIET)
        self._send_lock = threading.Lock()
        self._authorized = False
        self._closed = False

    def serve(self, raw_request: bytes) -> None:
        """Complete the handshake for `raw_request`, then read frames until the socket ends."""
        protocol = self._protocol
        protocol.receive_data(raw_request)
        events = protocol.events_received()
        if not events:
            return
        response = protocol.accept(events[0])  # type: ignore[arg-type]
        protocol.send_response(response)
        self._flush()
        if response.status_code != 101:
            return
        self._hub.connections += 1
        self._sock.settimeout(_POLL_S)
        try:
            self._read_loop()
        finally:
            self._hub.remove(self)
            self.abort()

    def _read_loop(self) -> None:
        protocol = self._protocol
        while not self._closed and not self._stopping.is_set():
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._send_lock:
                if data:
                    protocol.receive_data(data)
                else:
                    protocol.receive_eof()
            for event in protocol.events_received():
                if isinstance(event, Frame) and event.opcode in (Opcode.TEXT, Opcode.BINARY):
                    self._on_message(bytes(event.data))
            self._flush()
            if not data or protocol.state is State.CLOSED or protocol.close_expected():
                return

    def _on_message(self, data: bytes) -> None:
        """Alpaca's authenticate / listen actions."""
        try:
            message = json.loads(data)
            action = message.get("action")
            payload = message.get("data") or {}
        except (ValueError, AttributeError):
            self.send_text(json.dumps({"stream": "error", "data": {"error_message": "bad json"}}))
            return
        if action == "authenticate":
            ok = self._authorize(str(payload.get("key_id", "")), str(payload.get("secret_key", "")))
            answer: dict[str, str] = {"status": "authorized" if ok else "unauthorized"}
            if ok and not self._hub.claim(self):
                # Alpaca allows one trade_updates connection per account.
                ok = False
                answer = {"status": "unauthorized", "error": "connection limit exceeded"}
            self._authorized = ok
            answer["action"] = action
            self.send_text(json.dumps({"stream": "authorization", "data": answer}))
            if not ok:
                self.close()
        elif action == "listen":
            if not self._authorized:
                self.send_text(json.dumps({"stream": "listening", "data": {"streams": []}}))
                return
            streams = [s for s in payload.get("streams", []) if s == "trade_updates"]
            # Registered before the answer: once `listening` is read, no update can be missed.
            if streams:
                self._hub.add(self)
            else:
                self._hub.remove(self)
            self.send_text(json.dumps({"stream": "listening", "data": {"streams": streams}}))

    def send_text(self, payload: str) -> bool:
        """Queue and write one text frame; False when the connection is gone."""
        with self._send_lock:
            if self._closed or self._protocol.state is not State.OPEN:
                return False
            self._protocol.send_text(payload.encode("utf-8"))
        return self._flush()

    def _flush(self) -> bool:
        with self._send_lock:
            chunks = self._protocol.data_to_send()
            try:
                for chunk in chunks:
                    if chunk:
                        self._sock.sendall(chunk)
            except OSError:
                self._closed = True
                return False
        return True

    def close(self) -> None:
        """A clean close frame."""
        with self._send_lock:
            if self._protocol.state is State.OPEN:
                self._protocol.send_close(1000, "")
        self._flush()

    def abort(self) -> None:
        """Shut the socket down without a close frame (a network drop)."""
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
