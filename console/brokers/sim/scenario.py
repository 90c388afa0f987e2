"""The simulated-broker scenario (DESIGN §2.3) and its exact, all-errors JSON loader."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import Field, model_validator

from console.domain.errors import FieldIssue, InputError
from console.domain.inputlimits import refuse_absurd_numbers
from console.domain.market import AccountStatus, Asset, Frozen, Quote
from console.domain.money import DecimalParseError, to_decimal
from console.domain.plan import parse_json_document, parse_symbol
from console.engine.session import read_user_file

MAX_SCENARIO_BYTES = 10 * 1024 * 1024
DEFAULT_ACCOUNT_ID = "SIM-000001"
# Top-level keys that carry prose, not settings; keys starting with "_" are ignored too.
_COMMENT_KEYS = frozenset({"description", "name", "comment"})

T = TypeVar("T")


class AssetRule(Frozen):
    """Tradability of a symbol as the scenario states it."""

    tradable: bool = True
    fractionable: bool = True


class FillRules(Frozen):
    """How and when accepted orders fill."""

    latency_ms: int = Field(default=20, ge=0)
    slippage_bps: Decimal = Field(default=Decimal(0), ge=0)
    partial: frozenset[str] = frozenset()
    reject: frozenset[str] = frozenset()
    never_fill: frozenset[str] = frozenset()
    # Refused at submit with this message, as Alpaca refuses with HTTP 403/422.
    refuse: dict[str, str] = Field(default_factory=dict)


class Faults(Frozen):
    """Injected failures; each fires at most once per symbol per exchange state."""

    submit_timeout: frozenset[str] = frozenset()
    submit_error: frozenset[str] = frozenset()
    submit_hang: frozenset[str] = frozenset()
    hang_seconds: Decimal = Field(default=Decimal(3600), ge=0)
    fill_delay_ms: dict[str, int] = Field(default_factory=dict)
    rate_limit_burst: int = Field(default=0, ge=0)
    burst_retry_after_ms: int = Field(default=100, ge=0)
    # Every cancel of these symbols' orders fails (HTTP 503): the order keeps working.
    cancel_fail: frozenset[str] = frozenset()
    # After `account_errors_after` good account reads, the next `account_errors` fail (503).
    account_errors: int = Field(default=0, ge=0)
    account_errors_after: int = Field(default=1, ge=0)
    # The market closes once this many orders have filled (0: never), e.g. between the phases.
    close_after_fills: int = Field(default=0, ge=0)


class ScenarioOpenOrder(Frozen):
    """An order already working at the broker that is not the plan's (placed by hand)."""

    symbol: str
    side: str
    qty: Decimal | None = None
    notional: Decimal | None = None


class Scenario(Frozen):
    """A simulated account and market: balances, positions, quotes, assets and fill rules."""

    account_id: str = DEFAULT_ACCOUNT_ID
    cash: Decimal = Field(default=Decimal(0), ge=0)
    buying_power: Decimal = Field(default=Decimal(0), ge=0)
    positions: dict[str, Decimal] = Field(default_factory=dict)
    quotes: dict[str, Quote] = Field(default_factory=dict)
    assets: dict[str, AssetRule] = Field(default_factory=dict)
    market_open: bool = True
    minutes_to_close: Decimal = Field(default=Decimal(390), ge=0)
    minutes_to_open: Decimal = Field(default=Decimal(900), ge=0)
    quote_ages: dict[str, Decimal] = Field(default_factory=dict)
    account: AccountStatus = AccountStatus()
    open_orders: tuple[ScenarioOpenOrder, ...] = ()
    fills: FillRules = FillRules()
    faults: Faults = Faults()
    rate_limit_per_minute: int = Field(default=200, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _buying_power_defaults_to_cash(cls, data: Any) -> Any:
        if isinstance(data, dict) and "buying_power" not in data and "cash" in data:
            return {**data, "buying_power": data["cash"]}
        return data

    def knows(self, symbol: str) -> bool:
        """True when the symbol appears in quotes, positions or assets."""
        return symbol in self.quotes or symbol in self.positions or symbol in self.assets

    def asset(self, symbol: str) -> Asset | None:
        """The asset of a known symbol (tradable and fractionable unless stated), else None."""
        if not self.knows(symbol):
            return None
        rule = self.assets.get(symbol, AssetRule())
        return Asset(symbol=symbol, tradable=rule.tradable, fractionable=rule.fractionable)


class _Reader:
    """Collects field issues while validating a decoded scenario document."""

    def __init__(self) -> None:
        self.issues: list[FieldIssue] = []

    def add(self, path: str, message: str) -> None:
        self.issues.append(FieldIssue(path, message))

    def get(
        self, obj: dict[str, Any], key: str, path: str, convert: Callable[[Any], T]
    ) -> T | None:
        """Convert obj[key] when present and not null; record an issue on failure."""
        if obj.get(key) is None:
            return None
        try:
            return convert(obj[key])
        except (TypeError, ValueError) as exc:
            self.add(path, str(exc))
            return None

    def obj(self, value: Any, path: str, allowed: frozenset[str] | None) -> dict[str, Any]:
        """An object (null counts as empty), reporting keys outside `allowed`."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(path, f"expected an object, got {_json_type(value)}")
            return {}
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    self.add(_join(path, key), "unknown key")
        return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, Decimal)):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


def _decimal_at_least(low: Decimal) -> Callable[[Any], Decimal]:
    def convert(value: Any) -> Decimal:
        if isinstance(value, (dict, list)) or value is None:
            raise TypeError(f"expected a decimal number, got {_json_type(value)}")
        try:
            number = to_decimal(value)
        except DecimalParseError as exc:
            raise ValueError(str(exc)) from exc
        if number < low:
            raise ValueError(f"must be >= {low}, got {value}")
        return number

    return convert


_NON_NEGATIVE = _decimal_at_least(Decimal(0))


def _positive(value: Any) -> Decimal:
    number = _NON_NEGATIVE(value)
    if number <= 0:
        raise ValueError(f"must be > 0, got {value}")
    return number


_POSITIVE = _positive


def _int_at_least(low: int) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise TypeError(f"expected an integer, got {_json_type(value)}")
        number = Decimal(value)
        if not number.is_finite() or number != number.to_integral_value():
            raise ValueError(f"expected an integer, got {value}")
        if number < low:
            raise ValueError(f"must be >= {low}, got {value}")
        return int(number)

    return convert


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {_json_type(value)}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {_json_type(value)}")
    if not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _symbol(value: Any) -> str:
    return parse_symbol(_text(value))  # validated as written, then upper-cased


def _symbol_map(
    rd: _Reader, raw: Any, path: str, convert: Callable[[Any, str], T | None]
) -> dict[str, T]:
    """Read {symbol: value}, upper-casing symbols and refusing duplicates."""
    result: dict[str, T] = {}
    for key, value in rd.obj(raw, path, None).items():
        where = _join(path, key)
        try:
            symbol = _symbol(key)
        except (TypeError, ValueError) as exc:
            rd.add(where, f"bad symbol: {exc}")
            continue
        if symbol in result:
            rd.add(where, f"{symbol} appears twice")
            continue
        item = convert(value, where)
        if item is not None:
            result[symbol] = item
    return result


def _symbol_list(rd: _Reader, raw: Any, path: str) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        rd.add(path, f"expected an array of symbols, got {_json_type(raw)}")
        return frozenset()
    symbols: set[str] = set()
    for index, value in enumerate(raw):
        symbol = rd.get({"v": value}, "v", f"{path}[{index}]", _symbol)
        if symbol is not None:
            symbols.add(symbol)
    return frozenset(symbols)


def _read_quote(rd: _Reader, raw: Any, path: str) -> tuple[Quote, Decimal] | None:
    obj = rd.obj(raw, path, frozenset({"bid", "ask", "age_seconds"}))
    if raw is not None and not isinstance(raw, dict):
        return None
    bid = rd.get(obj, "bid", f"{path}.bid", _NON_NEGATIVE)
    ask = rd.get(obj, "ask", f"{path}.ask", _NON_NEGATIVE)
    age = rd.get(obj, "age_seconds", f"{path}.age_seconds", _NON_NEGATIVE)
    return Quote(bid=bid, ask=ask), Decimal(0) if age is None else age


def _read_account(rd: _Reader, raw: Any) -> AccountStatus:
    flags = ("trading_blocked", "account_blocked", "trade_suspended_by_user")
    obj = rd.obj(raw, "account", frozenset({"status", *flags}))
    status = rd.get(obj, "status", "account.status", _text)
    values = {flag: rd.get(obj, flag, f"account.{flag}", _bool) for flag in flags}
    return AccountStatus(
        status=(status or "ACTIVE").upper(),
        trading_blocked=bool(values["trading_blocked"]),
        account_blocked=bool(values["account_blocked"]),
        trade_suspended_by_user=bool(values["trade_suspended_by_user"]),
    )


def _read_open_orders(rd: _Reader, raw: Any) -> tuple[ScenarioOpenOrder, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        rd.add("open_orders", f"expected an array of orders, got {_json_type(raw)}")
        return ()
    orders: list[ScenarioOpenOrder] = []
    for index, item in enumerate(raw):
        path = f"open_orders[{index}]"
        obj = rd.obj(item, path, frozenset({"symbol", "side", "qty", "notional"}))
        if not isinstance(item, dict):
            continue
        symbol = rd.get(obj, "symbol", f"{path}.symbol", _symbol)
        side = rd.get(obj, "side", f"{path}.side", _side)
        qty = rd.get(obj, "qty", f"{path}.qty", _POSITIVE)
        notional = rd.get(obj, "notional", f"{path}.notional", _POSITIVE)
        if symbol is None:
            rd.add(f"{path}.symbol", "required")
        if side is None:
            rd.add(f"{path}.side", "required: sell or buy")
        if (qty is None) == (notional is None):
            rd.add(path, "exactly one of qty and notional is required")
        if symbol is not None and side is not None and (qty is None) != (notional is None):
            orders.append(ScenarioOpenOrder(symbol=symbol, side=side, qty=qty, notional=notional))
    return tuple(orders)


def _side(value: Any) -> str:
    text = _text(value).lower()
    if text not in ("sell", "buy"):
        raise ValueError(f"must be sell or buy, got {value!r}")
    return text


def _refusals(rd: _Reader, raw: Any) -> dict[str, str]:
    return _symbol_map(rd, raw, "fills.refuse", lambda v, p: rd.get({"v": v}, "v", p, _text))


def _read_asset(rd: _Reader, raw: Any, path: str) -> AssetRule | None:
    obj = rd.obj(raw, path, frozenset({"tradable", "fractionable"}))
    tradable = rd.get(obj, "tradable", f"{path}.tradable", _bool)
    fractionable = rd.get(obj, "fractionable", f"{path}.fractionable", _bool)
    return AssetRule(
        tradable=True if tradable is None else tradable,
        fractionable=True if fractionable is None else fractionable,
    )


def _read_position(rd: _Reader, raw: Any, path: str) -> Decimal | None:
    qty = rd.get({"q": raw}, "q", path, _NON_NEGATIVE)
    if raw is None:
        rd.add(path, "expected a quantity, got null")
    return qty  # a 0 position holds nothing, but makes its symbol known (DESIGN §2.3)


def _read_fills(rd: _Reader, raw: Any) -> FillRules:
    keys = frozenset({"latency_ms", "slippage_bps", "partial", "reject", "never_fill", "refuse"})
    obj = rd.obj(raw, "fills", keys)
    latency = rd.get(obj, "latency_ms", "fills.latency_ms", _int_at_least(0))
    slippage = rd.get(obj, "slippage_bps", "fills.slippage_bps", _NON_NEGATIVE)
    return FillRules(
        latency_ms=20 if latency is None else latency,
        slippage_bps=Decimal(0) if slippage is None else slippage,
        partial=_symbol_list(rd, obj.get("partial"), "fills.partial"),
        reject=_symbol_list(rd, obj.get("reject"), "fills.reject"),
        never_fill=_symbol_list(rd, obj.get("never_fill"), "fills.never_fill"),
        refuse=_refusals(rd, obj.get("refuse")),
    )


def _read_faults(rd: _Reader, raw: Any) -> Faults:
    keys = frozenset(Faults.model_fields)
    obj = rd.obj(raw, "faults", keys)
    hang = rd.get(obj, "hang_seconds", "faults.hang_seconds", _NON_NEGATIVE)
    burst = rd.get(obj, "rate_limit_burst", "faults.rate_limit_burst", _int_at_least(0))
    retry = rd.get(obj, "burst_retry_after_ms", "faults.burst_retry_after_ms", _int_at_least(0))
    account_errors = rd.get(obj, "account_errors", "faults.account_errors", _int_at_least(0))
    errors_after = rd.get(
        obj, "account_errors_after", "faults.account_errors_after", _int_at_least(0)
    )
    close_after = rd.get(obj, "close_after_fills", "faults.close_after_fills", _int_at_least(0))
    as_ms = _int_at_least(0)
    delays = _symbol_map(
        rd,
        obj.get("fill_delay_ms"),
        "faults.fill_delay_ms",
        lambda v, p: rd.get({"v": v}, "v", p, as_ms),
    )
    return Faults(
        submit_timeout=_symbol_list(rd, obj.get("submit_timeout"), "faults.submit_timeout"),
        submit_error=_symbol_list(rd, obj.get("submit_error"), "faults.submit_error"),
        submit_hang=_symbol_list(rd, obj.get("submit_hang"), "faults.submit_hang"),
        hang_seconds=Decimal(3600) if hang is None else hang,
        fill_delay_ms=delays,
        rate_limit_burst=0 if burst is None else burst,
        burst_retry_after_ms=100 if retry is None else retry,
        cancel_fail=_symbol_list(rd, obj.get("cancel_fail"), "faults.cancel_fail"),
        account_errors=0 if account_errors is None else account_errors,
        account_errors_after=1 if errors_after is None else errors_after,
        close_after_fills=0 if close_after is None else close_after,
    )


_TOP_KEYS = frozenset(
    {
        "account_id",
        "cash",
        "buying_power",
        "positions",
        "quotes",
        "assets",
        "market_open",
        "minutes_to_close",
        "minutes_to_open",
        "account",
        "open_orders",
        "fills",
        "faults",
        "rate_limit_per_minute",
    }
)


def scenario_from_document(source: str, doc: Any) -> Scenario:
    """Validate a decoded JSON document as a Scenario, collecting every issue."""
    if not isinstance(doc, dict):
        raise InputError.single(source, "", f"expected a JSON object, got {_json_type(doc)}")
    rd = _Reader()
    for key in doc:
        if key not in _TOP_KEYS and key not in _COMMENT_KEYS and not key.startswith("_"):
            rd.add(key, "unknown key")
    account_id = rd.get(doc, "account_id", "account_id", _text)
    cash = rd.get(doc, "cash", "cash", _NON_NEGATIVE)
    buying_power = rd.get(doc, "buying_power", "buying_power", _NON_NEGATIVE)
    market_open = rd.get(doc, "market_open", "market_open", _bool)
    rate = rd.get(doc, "rate_limit_per_minute", "rate_limit_per_minute", _int_at_least(1))
    positions = _symbol_map(
        rd, doc.get("positions"), "positions", lambda v, p: _read_position(rd, v, p)
    )
    quoted = _symbol_map(rd, doc.get("quotes"), "quotes", lambda v, p: _read_quote(rd, v, p))
    quotes = {symbol: quote for symbol, (quote, _) in quoted.items()}
    ages = {symbol: age for symbol, (_, age) in quoted.items() if age > 0}
    to_close = rd.get(doc, "minutes_to_close", "minutes_to_close", _NON_NEGATIVE)
    to_open = rd.get(doc, "minutes_to_open", "minutes_to_open", _NON_NEGATIVE)
    account = _read_account(rd, doc.get("account"))
    open_orders = _read_open_orders(rd, doc.get("open_orders"))
    assets = _symbol_map(rd, doc.get("assets"), "assets", lambda v, p: _read_asset(rd, v, p))
    fills = _read_fills(rd, doc.get("fills"))
    faults = _read_faults(rd, doc.get("faults"))
    if rd.issues:
        raise InputError(source, tuple(rd.issues))
    cash = Decimal(0) if cash is None else cash
    return Scenario(
        account_id=account_id or DEFAULT_ACCOUNT_ID,
        cash=cash,
        buying_power=cash if buying_power is None else buying_power,
        positions=positions,
        quotes=quotes,
        assets=assets,
        market_open=True if market_open is None else market_open,
        minutes_to_close=Decimal(390) if to_close is None else to_close,
        minutes_to_open=Decimal(900) if to_open is None else to_open,
        quote_ages=ages,
        account=account,
        open_orders=open_orders,
        fills=fills,
        faults=faults,
        rate_limit_per_minute=200 if rate is None else rate,
    )


def parse_scenario(source: str, data: bytes) -> Scenario:
    """Parse and validate scenario JSON bytes; errors name `source` and the field path."""
    if len(data) > MAX_SCENARIO_BYTES:
        raise InputError.single(source, "", f"files over {MAX_SCENARIO_BYTES:,} bytes are refused")
    doc = parse_json_document(source, data)  # nesting and Unicode limits
    refuse_absurd_numbers(source, doc)  # no decimal.Overflow later: |x| < 1E+15, sane exponents
    return scenario_from_document(source, doc)


def load_scenario(path: str) -> Scenario:
    """Read and validate a scenario file (over 10 MB, empty, non-UTF-8 or invalid: InputError)."""
    return parse_scenario(path, read_user_file(path, MAX_SCENARIO_BYTES))
