"""The emulator's HTTP handler: Alpaca's REST routes, auth, 429/5xx faults, and /stream."""

from __future__ import annotations

import hmac
import json
import re
import threading
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import structlog

from console.domain.orders import OrderRequest, OrderSnapshot, OrderSpec, Side
from console.emulator import render
from console.emulator.state import EmulatorState
from console.emulator.ws import WsSession
from console.engine.ports import DuplicateClientOrderIdError, OrderRejectedError

log = structlog.get_logger(__name__)

_ORDER_ID = re.compile(r"^/v2/orders/([0-9a-fA-F-]{36})$")
_ASSET = re.compile(r"^/v2/assets/([^/]+)$")
_HTML_5XX = "<html><head><title>{0}</title></head><body><h1>{0}</h1></body></html>"
_MAX_BODY = 1 << 20
_CLOSED = frozenset({"filled", "canceled", "expired", "rejected", "replaced", "done_for_day"})


class HandlerContext:
    """What every handler thread shares."""

    def __init__(self, state: EmulatorState, key_id: str | None, secret: str | None) -> None:
        self.state = state
        self.key_id = key_id
        self.secret = secret
        self.stopping = threading.Event()

    def authorize(self, key_id: str, secret: str) -> bool:
        """Configured credentials must match; otherwise any non-empty pair is accepted."""
        if not key_id or not secret:
            return False
        ok_key = self.key_id is None or hmac.compare_digest(key_id, self.key_id)
        ok_secret = self.secret is None or hmac.compare_digest(secret, self.secret)
        return ok_key and ok_secret


class ApiError(Exception):
    """An Alpaca error answer."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class AlpacaHandler(BaseHTTPRequestHandler):
    """One connection (keep-alive) of the loopback Alpaca API."""

    protocol_version = "HTTP/1.1"
    server_version = "AlpacaEmulator/1.0"
    ctx: HandlerContext  # set on the subclass the emulator builds

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet (requests are counted, not logged)."""

    def do_GET(self) -> None:
        """GET routes (and the /stream upgrade)."""
        if urlsplit(self.path).path == "/stream":
            if self.ctx.state.faults.stream_unavailable:
                self._send(404, {"message": "Not Found"})
                return
            self._websocket()
            return
        self._dispatch("GET")

    def do_POST(self) -> None:
        """POST routes."""
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        """DELETE routes."""
        self._dispatch("DELETE")

    # ---- plumbing -------------------------------------------------------------------------

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode("utf-8")
        self._raw(status, data, "application/json", headers)

    def _raw(
        self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if data:
                self.wfile.write(data)
        except OSError:  # the client gave up (e.g. it timed out): nothing to answer
            self.close_connection = True

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ApiError(413, 41300000, "request body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self, method: str) -> None:
        ctx = self.ctx
        state = ctx.state
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        body = self._body() if method == "POST" else b""
        if path.startswith("/_emulator/"):
            self._control(method, path, body)
            return
        key = _endpoint(method, path)
        with state.lock:
            state.requests[key] += 1
        if state.faults.latency_ms > 0:
            ctx.stopping.wait(state.faults.latency_ms / 1000)
        if not ctx.authorize(
            self.headers.get("APCA-API-KEY-ID", ""), self.headers.get("APCA-API-SECRET-KEY", "")
        ):
            self._send(401, render.error_json(40110000, "request is not authorized"))
            return
        if method == "POST" and path == "/v2/orders" and state.take("unauthorized_submits"):
            self._send(401, render.error_json(40110000, "request is not authorized"))
            return
        if not path.startswith("/v2/stocks/") and state.take("forbidden_requests"):
            self._send(403, render.error_json(40310000, "forbidden"))
            return
        if state.take("rate_limit_burst"):
            wait = state.faults.rate_limit_retry_after_s
            self._send(429, render.error_json(42910000, "rate limit exceeded"), _limit(wait))
            return
        wait_s = state.admit()
        if wait_s is not None:
            self._send(429, render.error_json(42910000, "rate limit exceeded"), _limit(wait_s))
            return
        if state.take("server_errors", method):
            status = state.faults.server_error_status
            title = f"{status} {'Bad Gateway' if status == 502 else 'Service Unavailable'}"
            self._raw(status, _HTML_5XX.format(title).encode(), "text/html")
            return
        try:
            status, answer = self._route(method, path, query, body)
        except ApiError as exc:
            error = render.error_json(exc.code, str(exc)) if exc.code else {"message": str(exc)}
            self._send(exc.status, error)
            return
        except Exception:
            log.exception("emulator.handler_failed", endpoint=key)
            self._send(500, render.error_json(50010000, "internal server error"))
            return
        self._send(status, answer)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, Any]:
        state = self.ctx.state
        ex = state.exchange
        if method == "GET" and path == "/v2/account":
            with state.lock:
                before = ex.count_account_read()
                faults = state.scenario.faults
                first, count = faults.account_errors_after, faults.account_errors
                if first <= before < first + count or state.take("account_errors"):
                    raise ApiError(503, 50300000, "service unavailable")
                return 200, render.account_json(
                    ex.account_id,
                    ex.cash,
                    ex.buying_power,
                    ex.positions(),
                    _quotes(state),
                    ex.account_status(),
                )
        if method == "GET" and path == "/v2/clock":
            with state.lock:
                return 200, render.clock_json(ex.clock())
        if method == "GET" and path == "/v2/assets":
            return 200, self._assets(query)
        if method == "GET" and path == "/v2/positions":
            with state.lock:
                quotes = _quotes(state)
                return 200, [render.position_json(s, q, quotes) for s, q in ex.positions().items()]
        if method == "GET" and (match := _ASSET.match(path)):
            symbol = match.group(1).upper()
            asset = ex.asset(symbol)
            if asset is None:
                raise ApiError(404, 40410000, "asset not found")
            return 200, render.asset_json(symbol, asset.tradable, asset.fractionable)
        if method == "GET" and path == "/v2/stocks/quotes/latest":
            return 200, self._quotes(query)
        if path == "/v2/orders":
            if method == "POST":
                return 200, self._submit(body)
            if method == "GET":
                return 200, self._list_orders(query)
            if method == "DELETE":
                return 207, self._cancel_all()
        if method == "GET" and path == "/v2/orders:by_client_order_id":
            coid = (query.get("client_order_id") or [""])[0]
            with state.lock:
                order = ex.order_by_client_id(coid)
                if order is None:
                    raise ApiError(404, 40410000, "order not found")
                return 200, state.order_json(order)
        if match := _ORDER_ID.match(path):
            sim_id = state.sim_id(match.group(1).lower())
            if sim_id is None:
                raise ApiError(404, 40410000, "order not found")
            if method == "GET":
                with state.lock:
                    order = ex.order(sim_id)
                    assert order is not None
                    return 200, state.order_json(order)
            if method == "DELETE":
                with state.lock:
                    order = ex.order(sim_id)
                    if order is not None and order.status.is_terminal:
                        raise ApiError(422, 42210000, "order is not cancelable")
                    if order is not None and self._cancel_fails(order.symbol):
                        raise ApiError(503, 50300000, "cancel not processed; try again later")
                    state.cancel(sim_id)
                return 204, None
        raise ApiError(404, 40410000, "endpoint not found")

    def _cancel_fails(self, symbol: str) -> bool:
        state = self.ctx.state
        return symbol in state.scenario.faults.cancel_fail or state.faults.cancel_fails(symbol)

    def _quotes(self, query: dict[str, list[str]]) -> dict[str, Any]:
        symbols = [s for s in ",".join(query.get("symbols", [])).upper().split(",") if s]
        if not symbols:
            raise ApiError(400, 40010001, "symbols is required")
        feed = (query.get("feed") or ["iex"])[0].lower()
        state = self.ctx.state
        if state.faults.feed_forbidden(feed):
            raise ApiError(
                403, 0, f"subscription does not permit querying recent {feed.upper()} data"
            )
        with state.lock:
            quotes = {s: q for s in symbols if (q := state.exchange.quote(s)) is not None}
        now = datetime.now(UTC)
        return {"quotes": {s: render.quote_json(q, now) for s, q in quotes.items()}}

    def _assets(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        """GET /v2/assets: every symbol the scenario knows (all are active US equities)."""
        first = {k: v[0].lower() for k, v in query.items() if v}
        if first.get("status", "active") != "active":
            return []
        if first.get("asset_class", "us_equity") != "us_equity":
            return []
        scenario = self.ctx.state.scenario
        symbols = sorted(set(scenario.quotes) | set(scenario.positions) | set(scenario.assets))
        listed = []
        for symbol in symbols:
            asset = scenario.asset(symbol)
            if asset is not None:
                listed.append(render.asset_json(symbol, asset.tradable, asset.fractionable))
        return listed

    def _submit(self, body: bytes) -> dict[str, Any]:
        state = self.ctx.state
        text = body.decode("utf-8", errors="replace")
        with state.lock:
            state.order_bodies.append(text)
        request = _order_request(text)
        try:
            answer = state.place(request)
        except DuplicateClientOrderIdError:
            raise ApiError(422, 40010001, "client_order_id must be unique") from None
        except OrderRejectedError as exc:
            # The Exchange's refusal as Alpaca answers it: 403 (buying power, qty, wash trade,
            # pattern day trader, blocked account) or 422, with its code and message.
            status = exc.http_status or (403 if "insufficient" in exc.message else 422)
            default = 40310000 if status == 403 else 42210000
            code = int(exc.code) if exc.code and exc.code.isdigit() else default
            raise ApiError(status, code, exc.message) from None
        if state.take("submit_timeouts"):
            # The order landed; the answer comes after the client has given up.
            self.ctx.stopping.wait(state.faults.hang_s)
        return answer

    def _list_orders(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        state = self.ctx.state
        first = {k: v[0] for k, v in query.items() if v}
        status = first.get("status", "open").lower()
        limit = min(500, max(1, int(first.get("limit", "50"))))
        after = _when(first.get("after"))
        until = _when(first.get("until"))
        symbols = {s for s in first.get("symbols", "").upper().split(",") if s}
        side = first.get("side")
        with state.lock:
            picked: list[OrderSnapshot] = []
            for order in state.orders():
                terminal = state.status_of(order) in _CLOSED
                if (status == "open" and terminal) or (status == "closed" and not terminal):
                    continue
                created = state.created(order)
                if (after and created <= after) or (until and created >= until):
                    continue
                if (symbols and order.symbol not in symbols) or (side and order.side != side):
                    continue
                picked.append(order)
            if first.get("direction", "desc").lower() != "asc":
                picked.reverse()
            return [state.order_json(order) for order in picked[:limit]]

    def _cancel_all(self) -> list[dict[str, Any]]:
        state = self.ctx.state
        result = []
        with state.lock:
            for order in state.orders():
                if not order.status.is_terminal:
                    after = state.cancel(order.broker_order_id)
                    if after is not None:
                        result.append(
                            {
                                "id": state.order_id(order.broker_order_id),
                                "status": 200,
                                "body": state.order_json(after),
                            }
                        )
        return result

    def _control(self, method: str, path: str, body: bytes) -> None:
        emulator = self.ctx.state
        if path == "/_emulator/faults" and method == "POST":
            try:
                values = json.loads(body or b"{}")
                actions = {
                    k: values.pop(k) for k in ("drop_stream", "silence_stream_s") if k in values
                }
                with emulator.lock:
                    emulator.faults.update(values)
                    emulator.faults.server_error_methods = (
                        emulator.faults.server_error_methods.upper()
                    )
            except (ValueError, TypeError, AttributeError) as exc:
                self._send(400, render.error_json(40000000, str(exc)))
                return
            if actions.get("drop_stream"):
                emulator.hub.drop()
            if actions.get("silence_stream_s"):
                emulator.hub.silence(float(actions["silence_stream_s"]))
            self._send(200, emulator.faults.as_dict())
        elif path == "/_emulator/orders" and method == "POST":
            self._order_control(body)
        elif path == "/_emulator/stats" and method == "GET":
            with emulator.lock:
                counts = dict(emulator.requests)
            self._send(200, {"requests_by_endpoint": counts, "listeners": emulator.hub.listeners})
        else:
            self._send(404, render.error_json(40410000, "endpoint not found"))

    def _order_control(self, body: bytes) -> None:
        """{"client_order_id", "status"} forces a status; {"client_order_id", "replace_qty"}
        replaces the order (its successor's client order id is answered)."""
        state = self.ctx.state
        try:
            values = json.loads(body or b"{}")
            coid = str(values["client_order_id"])
            if "status" in values:
                state.force_status(coid, str(values["status"]))
                answer: dict[str, Any] = {"client_order_id": coid, "status": values["status"]}
            else:
                qty = values.get("replace_qty")
                successor = state.replace(coid, None if qty is None else Decimal(str(qty)))
                answer = {"client_order_id": coid, "replaced_by": successor}
        except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as exc:
            self._send(400, render.error_json(40000000, f"bad order control: {exc!r}"))
            return
        self._send(200, answer)

    def _websocket(self) -> None:
        ctx = self.ctx
        raw = f"{self.requestline}\r\n".encode("latin-1")
        for name, value in self.headers.items():
            raw += f"{name}: {value}\r\n".encode("latin-1")
        raw += b"\r\n"
        self.close_connection = True
        session = WsSession(self.connection, ctx.state.hub, ctx.authorize, ctx.stopping)
        session.serve(raw)


def _endpoint(method: str, path: str) -> str:
    """Counter key: ids and symbols elided."""
    path = _ORDER_ID.sub("/v2/orders/{id}", path)
    path = _ASSET.sub("/v2/assets/{symbol}", path)
    return f"{method} {path}"


def _limit(wait_s: float) -> dict[str, str]:
    return {
        "Retry-After": f"{wait_s:.3f}",
        "X-RateLimit-Limit": "200",
        "X-RateLimit-Remaining": "0",
    }


def _quotes(state: EmulatorState) -> dict[str, Any]:
    return dict(state.scenario.quotes)


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(422, 40010001, f"invalid timestamp {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _order_request(text: str) -> OrderRequest:
    """POST /v2/orders JSON (numbers read exactly) -> OrderRequest, or a 422."""
    try:
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        raise ApiError(400, 40010000, "request body format is invalid") from None
    if not isinstance(data, dict):
        raise ApiError(400, 40010000, "request body format is invalid")
    if str(data.get("type", "")).lower() != "market":
        raise ApiError(422, 40010001, "only market orders are emulated")
    if str(data.get("time_in_force", "")).lower() != "day":
        raise ApiError(422, 40010001, "fractional and notional orders must be DAY orders")
    qty, notional = _amount(data.get("qty")), _amount(data.get("notional"))
    if (qty is None) == (notional is None):
        raise ApiError(422, 40010001, "qty or notional is required, not both")
    side = str(data.get("side", "")).lower()
    if side not in ("buy", "sell"):
        raise ApiError(422, 40010001, "side must be buy or sell")
    coid = str(data.get("client_order_id") or render.stable_uuid("coid", text))
    if len(coid) > 128:
        raise ApiError(422, 40010001, "client_order_id must be no more than 128 characters")
    return OrderRequest(
        client_order_id=coid,
        symbol=str(data.get("symbol", "")).upper(),
        side=Side(side),
        spec=OrderSpec(qty=qty, notional=notional),
    )


def _amount(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise ApiError(422, 40010001, f"invalid number {value!r}") from None
