"""The blocking side of the adapter: one worker thread, a guarded requests session, error mapping.

Imported only when an AlpacaBroker is constructed (it pulls requests and alpaca-py).
"""

from __future__ import annotations

import concurrent.futures
import json
import queue
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import requests
import structlog
from alpaca.common.exceptions import APIError
from pydantic import ValidationError

from console.brokers.alpaca.config import KEY_ID_VAR, SECRET_VAR
from console.engine.ports import (
    AuthenticationError,
    BrokerError,
    BrokerTimeoutError,
    BrokerUnavailableError,
    DataSubscriptionError,
    DuplicateClientOrderIdError,
    OrderRejectedError,
    RateLimitedError,
)

log = structlog.get_logger(__name__)

T = TypeVar("T")

DUPLICATE_MESSAGE = "client_order_id must be unique"
_ID_SEGMENT = re.compile(r"/orders/[^/?]+|/assets/[^/?]+|/positions/[^/?]+")


class NotFoundError(BrokerError):
    """HTTP 404 (internal: callers turn it into None / absent)."""


class ClosedError(BrokerUnavailableError):
    """The broker was closed while the call waited."""


class RequestLog:
    """Thread-safe counts of HTTP requests actually sent, by `METHOD /path` (ids elided)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def record(self, method: str, url: str) -> None:
        """Count one request."""
        path = url.split("://", 1)[-1]
        path = path[path.find("/") :] if "/" in path else "/"
        path = _ID_SEGMENT.sub(lambda m: m.group(0).rsplit("/", 1)[0] + "/{id}", path)
        with self._lock:
            self._counts[f"{method.upper()} {path.split('?', 1)[0]}"] += 1

    def snapshot(self) -> dict[str, int]:
        """Counts by endpoint plus `total` and `submit`."""
        with self._lock:
            counts = dict(self._counts)
        counts["total"] = sum(counts.values())
        counts["submit"] = counts.get("POST /v2/orders", 0)
        return counts


class GuardedSession(requests.Session):
    """A requests session that gives every request a timeout and counts it.

    Rate limiting and retries are the engine's (BrokerGateway): this session sends each request
    once, when asked.
    """

    def __init__(self, timeout: float, log_: RequestLog, stop: threading.Event) -> None:
        super().__init__()
        self._timeout = timeout
        self._log = log_
        self._stop = stop

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Send with the default timeout (alpaca-py passes none)."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        if self._stop.is_set():
            raise ClosedError("Alpaca broker closed")
        self._log.record(method, url)
        return super().request(method, url, *args, **kwargs)


class Worker:
    """One daemon thread that runs every blocking SDK call in order (never joined on close)."""

    def __init__(self, name: str) -> None:
        self._queue: queue.SimpleQueue[
            tuple[Callable[[], Any], concurrent.futures.Future[Any]] | None
        ]
        self._queue = queue.SimpleQueue()
        self._pending: set[concurrent.futures.Future[Any]] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._final: Callable[[], None] | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Queue `fn`; its future resolves on the worker thread."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                future.set_exception(ClosedError("Alpaca broker closed"))
                return future
            self._pending.add(future)
        self._queue.put((fn, future))
        return future

    def _run(self) -> None:
        """Worker loop: one call at a time until the sentinel."""
        while True:
            item = self._queue.get()
            if item is None:
                if self._final is not None:
                    try:
                        self._final()
                    except Exception:
                        log.exception("alpaca.worker_final_failed")
                return
            fn, future = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn())
                except BaseException as exc:
                    future.set_exception(exc)
            with self._lock:
                self._pending.discard(future)

    def shutdown(self, final: Callable[[], None] | None = None) -> None:
        """Cancel queued calls; after the running call, run `final` and stop (never waits)."""
        self._final = final
        with self._lock:
            self._closed = True
            pending = list(self._pending)
        for future in pending:
            future.cancel()
        self._queue.put(None)

    @property
    def alive(self) -> bool:
        """Whether the thread still runs (a hung call keeps it alive until its timeout)."""
        return self._thread.is_alive()


def _body(exc: APIError) -> tuple[Any, str]:
    """(code, message) from an APIError body without using its raising properties."""
    text = str(exc)
    try:
        data = json.loads(text)
    except ValueError:
        return None, text.strip()[:200]
    if isinstance(data, dict):
        return data.get("code"), str(data.get("message", "")).strip()
    return None, text.strip()[:200]


def _retry_after(exc: APIError) -> float | None:
    """Seconds to wait from Retry-After or X-RateLimit-Reset, when the answer has them."""
    response = exc.response
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After")
    try:
        if value is not None:
            return max(0.0, float(value))
        reset = headers.get("X-RateLimit-Reset")
        if reset is not None:
            return min(60.0, max(0.0, float(reset) - time.time()))
    except ValueError:
        return None
    return None


class Call:
    """What a request was, for reading its error: the kind of call and the data feed."""

    ACCOUNT = "account"  # GET /v2/account: a 403 means the credentials
    DATA = "data"  # the market-data API: a 403 means the data subscription
    SUBMIT = "submit"  # POST /v2/orders: a 4xx is the broker refusing the order
    OTHER = "other"


def map_error(exc: BaseException, *, kind: str = Call.OTHER, feed: str = "iex") -> BrokerError:
    """An alpaca-py / requests exception -> the Broker port's error (messages carry no secret).

    | answer                          | error                                               |
    |---------------------------------|-----------------------------------------------------|
    | 401 (any call)                  | AuthenticationError                                 |
    | 403 on GET /v2/account          | AuthenticationError                                 |
    | 403 on the data API             | BrokerError naming the feed the subscription lacks  |
    | 422 client_order_id not unique  | DuplicateClientOrderIdError                         |
    | other 4xx on a submit           | OrderRejectedError(message, code, http_status)      |
    | 404 (not a submit)              | NotFoundError (callers: None / absent)              |
    | 408, 504, transport timeout     | BrokerTimeoutError                                  |
    | 429                             | RateLimitedError(retry_after)                       |
    | 5xx, transport failure          | BrokerUnavailableError                              |
    """
    if isinstance(exc, BrokerError):
        return exc
    if isinstance(exc, APIError):
        status = exc.status_code  # always check this before the body: HTML bodies are common
        if status is None:
            return BrokerUnavailableError("Alpaca answered without an HTTP status")
        code, message = _body(exc)
        if status == 429:
            return RateLimitedError(_retry_after(exc) or 0.0, f"HTTP 429: {message or 'too many'}")
        if status >= 500:
            text = f"Alpaca HTTP {status}" + (f": {message}" if code is not None else "")
            return BrokerTimeoutError(text) if status == 504 else BrokerUnavailableError(text)
        if status == 408:
            return BrokerTimeoutError("Alpaca HTTP 408: request timeout")
        if status == 401 or (status == 403 and kind == Call.ACCOUNT):
            return AuthenticationError(
                f"Alpaca refused the credentials (HTTP {status}): check {KEY_ID_VAR} and "
                f"{SECRET_VAR} (or the keys stored in the OS keyring) and the base URL"
            )
        if status == 403 and kind == Call.DATA:
            return DataSubscriptionError(_feed_refused(feed, message))
        if status == 404 and kind != Call.SUBMIT:
            return NotFoundError(message or "not found")
        if status == 422 and DUPLICATE_MESSAGE in message.lower():
            return DuplicateClientOrderIdError(message)
        code_text = None if code is None else str(code)
        if kind == Call.SUBMIT:
            return OrderRejectedError(
                message or f"rejected (HTTP {status})", code=code_text, http_status=status
            )
        suffix = f" (code {code_text})" if code_text else ""
        return BrokerError(f"Alpaca HTTP {status}: {message}{suffix}")
    if isinstance(exc, requests.Timeout):
        return BrokerTimeoutError(f"no answer from Alpaca in time ({type(exc).__name__})")
    if isinstance(exc, requests.ConnectionError):
        return BrokerUnavailableError(f"cannot reach Alpaca ({type(exc).__name__})")
    if isinstance(exc, requests.RequestException):
        return BrokerUnavailableError(f"request to Alpaca failed ({type(exc).__name__})")
    if isinstance(exc, (ValidationError, ValueError, KeyError, TypeError)):
        return BrokerUnavailableError(f"unexpected answer from Alpaca ({type(exc).__name__})")
    return BrokerError(f"Alpaca call failed ({type(exc).__name__})")


def _feed_refused(feed: str, message: str) -> str:
    """The operator's message for a data-API 403: which feed the subscription lacks."""
    said = f" (Alpaca: {message})" if message else ""
    if feed != "iex":
        return (
            f"your data subscription does not include the {feed} feed; set the feed to iex "
            f"(APCA_DATA_FEED=iex){said}"
        )
    return f"your data subscription does not include the {feed} feed{said}"
