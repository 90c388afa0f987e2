"""The RebalancePlan (schema 1.x) model and its exact, all-errors JSON loader (DESIGN §2.1)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from itertools import repeat
from typing import Any, TypeVar

from console.domain.canonical import canonical_json_text, sha256_hex, to_plain
from console.domain.errors import FieldIssue, InputError
from console.domain.gcpause import GcPaused
from console.domain.inputlimits import (
    MAX_ADJUSTED_EXPONENT,
    MAX_EXPONENT,
    bad_unicode_path,
    check_decimal_range,
    first_absurd_number,
    first_path,
    may_hold_surrogates,
    nesting_message,
    too_deep,
)
from console.domain.market import Frozen
from console.domain.money import DecimalParseError, normalized_str, sub, to_decimal

MAX_PLAN_BYTES = 10 * 1024 * 1024
SYMBOL_RE = re.compile(r"^[A-Z0-9.\-]{1,10}$")
# Checked as written, before upper-casing: "ıbm", "ſpy" and "ﬁx" upper-case to IBM, SPY, FIX.
SYMBOL_AS_WRITTEN_RE = re.compile(r"[A-Za-z0-9.\-]{1,10}")
SCHEMA_RE = re.compile(r"^1(\.\d+){0,2}$")
WEIGHT_SUM_TOLERANCE = Decimal("0.000001")


class Action(StrEnum):
    """What the plan asks for a symbol."""

    BUY = "BUY"
    SELL = "SELL"
    HOLD = "HOLD"


class Urgency(StrEnum):
    """Execution urgency hint."""

    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class PlanItem(Frozen):
    """One symbol of the plan."""

    symbol: str
    current_weight: Decimal
    target_weight: Decimal
    weight_diff: Decimal
    target_value: Decimal
    current_value: Decimal
    trade_amount: Decimal
    action: Action
    priority: int


class RebalancePlan(Frozen):
    """A validated rebalance plan."""

    schema_version: str
    plan_id: str
    correlation_id: str
    causation_id: str
    timestamp: datetime
    items: tuple[PlanItem, ...]
    total_portfolio_value: Decimal
    total_trade_value: Decimal
    max_drift_tolerance: Decimal | None = None
    execution_urgency: Urgency = Urgency.NORMAL
    estimated_duration_minutes: int | None = None
    metadata: dict[str, Any] | None = None

    def digest(self) -> str:
        """sha256 of the canonical JSON of the validated plan."""
        return sha256_hex(self.canonical_text())

    def canonical_text(self) -> str:
        """`canonical_json(self)`, written field by field (a 5,000-item plan's digest is hot).

        Keys in sorted order, no whitespace, decimals normalized: byte for byte what
        canonical_json gives (tests/domain/test_plan_fast_path.py checks it on many plans).
        """
        drift = self.max_drift_tolerance
        duration = self.estimated_duration_minutes
        fields = (
            ("causation_id", _json_text(self.causation_id)),
            ("correlation_id", _json_text(self.correlation_id)),
            ("estimated_duration_minutes", "null" if duration is None else str(int(duration))),
            ("execution_urgency", _json_text(self.execution_urgency.value)),
            ("items", "[" + ",".join(map(_item_text, self.items)) + "]"),
            ("max_drift_tolerance", "null" if drift is None else f'"{normalized_str(drift)}"'),
            ("metadata", canonical_json_text(to_plain(self.metadata))),
            ("plan_id", _json_text(self.plan_id)),
            ("schema_version", _json_text(self.schema_version)),
            ("timestamp", _json_text(self.timestamp.isoformat())),
            ("total_portfolio_value", f'"{normalized_str(self.total_portfolio_value)}"'),
            ("total_trade_value", f'"{normalized_str(self.total_trade_value)}"'),
        )
        # a field added to the model must be added above, or digests would silently drift
        assert [name for name, _ in fields] == _PLAN_KEYS
        return "{" + ",".join(f'"{name}":{text}' for name, text in fields) + "}"


_PLAN_KEYS = sorted(RebalancePlan.model_fields)
_SAFE_TEXT = re.compile(r"[A-Za-z0-9.\- ]*")  # JSON writes these characters as they are


def _json_text(text: str) -> str:
    if _SAFE_TEXT.fullmatch(text) is not None:
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)


def _item_text(item: PlanItem) -> str:
    """One item's canonical JSON (keys sorted; decimals normalized, never escaped)."""
    # An Action formats as its value (BUY/SELL/HOLD: nothing to escape); priority is an int.
    return (
        f'{{"action":"{item.action}",'
        f'"current_value":"{normalized_str(item.current_value)}",'
        f'"current_weight":"{normalized_str(item.current_weight)}",'
        f'"priority":{item.priority},'
        f'"symbol":{_json_text(item.symbol)},'
        f'"target_value":"{normalized_str(item.target_value)}",'
        f'"target_weight":"{normalized_str(item.target_weight)}",'
        f'"trade_amount":"{normalized_str(item.trade_amount)}",'
        f'"weight_diff":"{normalized_str(item.weight_diff)}"}}'
    )


_ITEM_KEYS = sorted(PlanItem.model_fields)
assert _ITEM_KEYS == [
    "action",
    "current_value",
    "current_weight",
    "priority",
    "symbol",
    "target_value",
    "target_weight",
    "trade_amount",
    "weight_diff",
], "PlanItem changed: update _item_text"


class LoadedPlan(Frozen):
    """A plan with the digest that identifies it and where it came from."""

    plan: RebalancePlan
    digest: str
    source: str
    kind: str  # "plan" (JSON) or "targets" (CSV)


T = TypeVar("T")


class _Collector:
    """Collects field issues while reading a JSON document."""

    def __init__(self) -> None:
        self.issues: list[FieldIssue] = []

    def add(self, path: str, message: str) -> None:
        self.issues.append(FieldIssue(path, message))

    def field(
        self,
        obj: dict[str, Any],
        key: str,
        path: str,
        convert: Callable[[Any], T],
        *,
        required: bool = True,
        default: T | None = None,
    ) -> T | None:
        if key not in obj or (obj[key] is None and not required):
            if required:
                self.add(path, "is required")
            return default
        try:
            return convert(obj[key])
        except (ValueError, TypeError) as exc:
            self.add(path, str(exc))
            return None


def _nonempty_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {_json_type(value)}")
    if not value.strip():
        raise ValueError("must be a non-empty string")
    return value


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, (dict, list)) or value is None:
        raise TypeError(f"expected a decimal number, got {_json_type(value)}")
    try:
        return check_decimal_range(to_decimal(value))
    except DecimalParseError as exc:
        raise ValueError(str(exc)) from exc


def _bounded(low: Decimal | None, high: Decimal | None) -> Callable[[Any], Decimal]:
    def convert(value: Any) -> Decimal:
        number = _decimal(value)
        if low is not None and number < low:
            raise ValueError(f"must be >= {low}, got {value}")
        if high is not None and number > high:
            raise ValueError(f"must be <= {high}, got {value}")
        return number

    return convert


def _enum(kind: type[StrEnum]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {_json_type(value)}")
        try:
            return kind(value.strip().upper())
        except ValueError:
            allowed = "/".join(m.value for m in kind)
            raise ValueError(f"must be one of {allowed}, got {value!r}") from None

    return convert


def _int_in(low: int, high: int | None) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise TypeError(f"expected an integer, got {_json_type(value)}")
        number = check_decimal_range(Decimal(value))
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        if number < low or (high is not None and number > high):
            raise ValueError(f"must be {bound}, got {value}")
        if number != number.to_integral_value():
            raise ValueError(f"expected an integer, got {value}")
        return int(number)

    return convert


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO-8601 string, got {_json_type(value)}")
    try:
        stamp = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"not an ISO-8601 timestamp: {value!r}") from None
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError(f"needs a timezone (Z or an offset): {value!r}")
    return stamp


def _schema_version(value: Any) -> str:
    text = _nonempty_str(value).strip()
    if not SCHEMA_RE.match(text):
        raise ValueError(f"unsupported schema version {text!r} (this console reads 1.x)")
    return text


def parse_symbol(value: str) -> str:
    """The symbol upper-cased, once it is 1-10 ASCII letters, digits, '.' or '-' as written."""
    text = value.strip()
    if SYMBOL_AS_WRITTEN_RE.fullmatch(text) is None:
        raise ValueError(f"must be 1-10 ASCII letters, digits, '.' or '-', got {value!r}")
    return text.upper()


def _symbol(value: Any) -> str:
    return parse_symbol(_nonempty_str(value))


def _metadata(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object or null, got {_json_type(value)}")
    absurd = first_absurd_number(value, strings=False)  # the digest normalizes its numbers
    if absurd is not None:
        raise ValueError(f"{absurd[0]}: {absurd[1]}")
    return value


_WEIGHT = _bounded(Decimal(0), Decimal(1))
_NON_NEGATIVE = _bounded(Decimal(0), None)


def _fast_decimal(value: Any, low: Decimal | None, high: Decimal | None) -> Decimal | None:
    """The value as `_bounded(low, high)` reads it, or None when only the slow path may judge.

    Same steps as `to_decimal` + `check_decimal_range` for the common case (a JSON string or
    number, finite, |x| in 1E-100..1E+15 or zero at a small exponent); anything else returns
    None and the item is read again by `_read_item`, which gives the exact error.
    """
    kind = type(value)
    if kind is str:
        try:
            number = Decimal(value)  # strips the same whitespace as str.strip()
        except ArithmeticError:
            return None
    elif kind is Decimal:
        number = value
    elif kind is int:
        number = Decimal(value)
    else:
        return None
    if not number.is_finite():
        return None
    adjusted = number.adjusted()
    if adjusted < -MAX_EXPONENT or adjusted > MAX_ADJUSTED_EXPONENT:
        return None
    if (low is not None and number < low) or (high is not None and number > high):
        return None
    return number


_ZERO = Decimal(0)
_ONE = Decimal(1)
_ACTIONS = {member.value: member for member in Action}
_DEFAULT_PRIORITY = 3  # an item without a priority
_SYMBOL_MATCH = SYMBOL_AS_WRITTEN_RE.fullmatch


def _read_item_fast(raw: Any) -> PlanItem | None:
    """A valid item read without collecting issues, or None (then `_read_item` reads it).

    A 5,000-item plan is read here in a fraction of the time the general path takes; every
    value it accepts, the general path accepts identically, and it gives up on anything else
    (a symbol or action written with spaces around it, say).
    """
    if type(raw) is not dict:
        return None
    get = raw.get
    symbol = get("symbol")
    if type(symbol) is not str or _SYMBOL_MATCH(symbol) is None:
        return None
    action_text = get("action")
    if type(action_text) is not str:
        return None
    action = _ACTIONS.get(action_text) or _ACTIONS.get(action_text.strip().upper())
    if action is None:
        return None
    priority = get("priority")
    if priority is None:
        priority = _DEFAULT_PRIORITY
    elif type(priority) is not int or not 1 <= priority <= 5:
        return None
    decimal = _fast_decimal
    trade_amount = decimal(get("trade_amount"), None, None)
    if (
        trade_amount is None
        or (action is Action.BUY and trade_amount <= 0)
        or (action is Action.SELL and trade_amount >= 0)
    ):
        return None
    target_weight = decimal(get("target_weight"), _ZERO, _ONE)
    if target_weight is None:
        return None
    # Optional values: absent or null take their default; present, they must read (else None).
    current_weight = weight_diff = target_value = current_value = None
    if (value := get("current_weight")) is not None and (
        current_weight := decimal(value, _ZERO, _ONE)
    ) is None:
        return None
    if (value := get("weight_diff")) is not None and (
        weight_diff := decimal(value, None, None)
    ) is None:
        return None
    if (value := get("target_value")) is not None and (
        target_value := decimal(value, _ZERO, None)
    ) is None:
        return None
    if (value := get("current_value")) is not None and (
        current_value := decimal(value, _ZERO, None)
    ) is None:
        return None
    if current_weight is None:
        current_weight = _ZERO
    return PlanItem.trusted(
        {
            "symbol": symbol.upper(),
            "current_weight": current_weight,
            "target_weight": target_weight,
            "weight_diff": weight_diff
            if weight_diff is not None
            else sub(target_weight, current_weight),
            "target_value": _ZERO if target_value is None else target_value,
            "current_value": _ZERO if current_value is None else current_value,
            "trade_amount": trade_amount,
            "action": action,
            "priority": priority,
        }
    )


_NUMBER_KINDS = frozenset({str, int, Decimal})  # bool is its own type: never a number here


def _column(raw_items: list[dict[str, Any]], key: str) -> list[Any]:
    """Every item's value of `key` (None when absent), gathered at C speed."""
    return list(map(dict.get, raw_items, repeat(key)))


def _decimal_column(
    values: list[Any], low: Decimal | None, high: Decimal | None
) -> list[Decimal] | None:
    """The values as decimals when each reads as `_fast_decimal(value, low, high)`; else None."""
    if not values:
        return []
    if not _NUMBER_KINDS.issuperset(map(type, values)):
        return None
    try:
        numbers = list(map(Decimal, values))  # strips the same whitespace as str.strip()
    except ArithmeticError:
        return None
    if not all(map(Decimal.is_finite, numbers)):
        return None
    exponents = list(map(Decimal.adjusted, numbers))
    if min(exponents) < -MAX_EXPONENT or max(exponents) > MAX_ADJUSTED_EXPONENT:
        return None
    if (low is not None and min(numbers) < low) or (high is not None and max(numbers) > high):
        return None
    return numbers


def _optional_decimal_column(
    values: list[Any], low: Decimal | None, high: Decimal | None, default: Decimal | None
) -> Sequence[Decimal | None] | None:
    """`_decimal_column` of an optional key: absent or null values take `default`."""
    if None not in values:
        return _decimal_column(values, low, high)
    numbers = _decimal_column([value for value in values if value is not None], low, high)
    if numbers is None:
        return None
    read = iter(numbers)
    return [default if value is None else next(read) for value in values]


def _read_items_at_once(raw_items: list[Any]) -> list[PlanItem] | None:
    """Every item of a valid list, read column by column; None when any item is out of the way.

    Each column is converted and checked by map/min/max over all the items at once (a fraction
    of the per-item cost on a 5,000-item plan). It gives up on anything `_read_item_fast` would
    give up on, and on a duplicate symbol; the item-by-item readers then give the exact result
    or every error. What it returns equals what they return (tests/domain/test_plan_fast_path).
    """
    if set(map(type, raw_items)) != {dict}:
        return None
    symbols = _column(raw_items, "symbol")
    if set(map(type, symbols)) != {str} or not all(map(_SYMBOL_MATCH, symbols)):
        return None
    action_texts = _column(raw_items, "action")
    if set(map(type, action_texts)) != {str}:
        return None
    actions = list(map(_ACTIONS.get, action_texts))  # upper-case as written; else item by item
    if None in actions:
        return None
    priorities = _column(raw_items, "priority")
    if None in priorities:
        priorities = [_DEFAULT_PRIORITY if value is None else value for value in priorities]
    if set(map(type, priorities)) != {int} or min(priorities) < 1 or max(priorities) > 5:
        return None
    trade_amounts = _decimal_column(_column(raw_items, "trade_amount"), None, None)
    target_weights = _decimal_column(_column(raw_items, "target_weight"), _ZERO, _ONE)
    current_weights = _optional_decimal_column(
        _column(raw_items, "current_weight"), _ZERO, _ONE, _ZERO
    )
    weight_diffs = _optional_decimal_column(_column(raw_items, "weight_diff"), None, None, None)
    target_values = _optional_decimal_column(_column(raw_items, "target_value"), _ZERO, None, _ZERO)
    current_values = _optional_decimal_column(
        _column(raw_items, "current_value"), _ZERO, None, _ZERO
    )
    if (
        trade_amounts is None
        or target_weights is None
        or current_weights is None
        or weight_diffs is None
        or target_values is None
        or current_values is None
    ):
        return None
    upper_symbols = list(map(str.upper, symbols))
    if len(set(upper_symbols)) != len(upper_symbols):
        return None  # the item-by-item reader names both places
    items: list[PlanItem] = []
    build = PlanItem.trusted
    for symbol, current, target, diff, target_value, current_value, amount, action, priority in zip(
        upper_symbols,
        current_weights,
        target_weights,
        weight_diffs,
        target_values,
        current_values,
        trade_amounts,
        actions,
        priorities,
        strict=True,
    ):
        if (action is Action.BUY and amount <= 0) or (action is Action.SELL and amount >= 0):
            return None
        assert current is not None and target_value is not None and current_value is not None
        items.append(
            build(
                {
                    "symbol": symbol,
                    "current_weight": current,
                    "target_weight": target,
                    "weight_diff": sub(target, current) if diff is None else diff,
                    "target_value": target_value,
                    "current_value": current_value,
                    "trade_amount": amount,
                    "action": action,
                    "priority": priority,
                }
            )
        )
    return items


def _read_item(col: _Collector, raw: Any, index: int) -> PlanItem | None:
    fast = _read_item_fast(raw)
    return fast if fast is not None else _read_item_checked(col, raw, index)


def _read_item_checked(col: _Collector, raw: Any, index: int) -> PlanItem | None:
    """Read one item field by field, collecting every issue (None when it has any)."""
    base = f"items[{index}]"
    if not isinstance(raw, dict):
        col.add(base, f"expected an object, got {_json_type(raw)}")
        return None
    before = len(col.issues)
    symbol = col.field(raw, "symbol", f"{base}.symbol", _symbol)
    target_weight = col.field(raw, "target_weight", f"{base}.target_weight", _WEIGHT)
    current_weight = col.field(
        raw, "current_weight", f"{base}.current_weight", _WEIGHT, required=False, default=Decimal(0)
    )
    weight_diff = col.field(raw, "weight_diff", f"{base}.weight_diff", _decimal, required=False)
    target_value = col.field(
        raw,
        "target_value",
        f"{base}.target_value",
        _NON_NEGATIVE,
        required=False,
        default=Decimal(0),
    )
    current_value = col.field(
        raw,
        "current_value",
        f"{base}.current_value",
        _NON_NEGATIVE,
        required=False,
        default=Decimal(0),
    )
    trade_amount = col.field(raw, "trade_amount", f"{base}.trade_amount", _decimal)
    action = col.field(raw, "action", f"{base}.action", _enum(Action))
    priority = col.field(
        raw,
        "priority",
        f"{base}.priority",
        _int_in(1, 5),
        required=False,
        default=_DEFAULT_PRIORITY,
    )
    if len(col.issues) > before:
        return None
    assert symbol is not None and target_weight is not None and trade_amount is not None
    assert current_weight is not None and target_value is not None and current_value is not None
    assert priority is not None and action is not None
    if action is Action.BUY and trade_amount <= 0:
        col.add(f"{base}.trade_amount", f"a BUY needs a positive amount, got {raw['trade_amount']}")
        return None
    if action is Action.SELL and trade_amount >= 0:
        col.add(
            f"{base}.trade_amount", f"a SELL needs a negative amount, got {raw['trade_amount']}"
        )
        return None
    return PlanItem(
        symbol=symbol,
        current_weight=current_weight,
        target_weight=target_weight,
        weight_diff=weight_diff if weight_diff is not None else sub(target_weight, current_weight),
        target_value=target_value,
        current_value=current_value,
        trade_amount=trade_amount,
        action=action,
        priority=priority,
    )


class _Constant:
    """A bare NaN, Infinity or -Infinity in JSON, kept in place so its path can be named."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def decode_text(source: str, data: bytes) -> str:
    """UTF-8 text of a user file (a BOM is allowed); empty or undecodable files are errors."""
    if not data.strip():
        raise InputError.single(source, "", "the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.single(
            source, "", f"not UTF-8 text (invalid byte at offset {exc.start})"
        ) from None


def parse_json_document(source: str, data: bytes) -> Any:
    """Decode UTF-8 JSON exactly (decimals as Decimal); errors name the file, line and column."""
    text = decode_text(source, data)
    constants: list[_Constant] = []
    repeated: list[tuple[dict[str, Any], str]] = []  # (object, its first repeated key)

    def keep_constant(name: str) -> _Constant:
        constants.append(_Constant(name))
        return constants[-1]

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # json keeps the last of two equal keys: one money field written twice is refused.
        obj = dict(pairs)
        if len(obj) != len(pairs) and not repeated:
            seen: set[str] = set()
            key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
            repeated.append((obj, key))
        return obj

    try:
        doc = json.loads(
            text,
            parse_float=Decimal,
            parse_constant=keep_constant,
            object_pairs_hook=unique_keys,
        )
    except json.JSONDecodeError as exc:
        raise InputError.single(
            source, "", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:  # an integer of over 4,300 digits
        message = str(exc)
        if "integer string conversion" in message:
            message = "a number has over 4,300 digits"
        raise InputError.single(source, "", f"invalid JSON: {message}") from None
    except RecursionError:
        raise InputError.single(source, "", nesting_message()) from None
    if too_deep(doc):
        raise InputError.single(source, "", nesting_message())
    if repeated:
        obj, key = repeated[0]
        where = first_path(doc, lambda node: node is obj)
        field = f"{where}.{key}" if where else key
        raise InputError.single(source, field, "the key appears more than once in this object")
    if constants:
        where = first_path(doc, lambda node: isinstance(node, _Constant))
        raise InputError.single(
            source, where or "", f"{constants[0].name} is not a number this console accepts"
        )
    if may_hold_surrogates(text):
        where = bad_unicode_path(doc)
        if where is not None:
            raise InputError.single(
                source, where, "invalid Unicode (a lone surrogate escape such as \\ud800)"
            )
    return doc


def plan_from_document(source: str, doc: Any) -> RebalancePlan:
    """Validate a decoded JSON document as a RebalancePlan, collecting every issue."""
    if not isinstance(doc, dict):
        raise InputError.single(source, "", f"expected a JSON object, got {_json_type(doc)}")
    col = _Collector()
    version = col.field(doc, "schema_version", "schema_version", _schema_version)
    ids = {
        key: col.field(doc, key, key, _nonempty_str)
        for key in ("plan_id", "correlation_id", "causation_id")
    }
    timestamp = col.field(doc, "timestamp", "timestamp", _timestamp)
    tpv = col.field(doc, "total_portfolio_value", "total_portfolio_value", _NON_NEGATIVE)
    ttv = col.field(doc, "total_trade_value", "total_trade_value", _decimal)
    drift = col.field(doc, "max_drift_tolerance", "max_drift_tolerance", _decimal, required=False)
    urgency = col.field(
        doc,
        "execution_urgency",
        "execution_urgency",
        _enum(Urgency),
        required=False,
        default=Urgency.NORMAL,
    )
    duration = col.field(
        doc,
        "estimated_duration_minutes",
        "estimated_duration_minutes",
        _int_in(1, None),
        required=False,
    )
    metadata = col.field(doc, "metadata", "metadata", _metadata, required=False)
    items: list[PlanItem] = []
    raw_items = doc.get("items")
    if "items" not in doc:
        col.add("items", "is required")
    elif not isinstance(raw_items, list):
        col.add("items", f"expected an array, got {_json_type(raw_items)}")
    elif not raw_items:
        col.add("items", "needs at least one item")
    elif (at_once := _read_items_at_once(raw_items)) is not None:
        items = at_once
    else:
        seen: dict[str, int] = {}
        for index, raw in enumerate(raw_items):
            item = _read_item(col, raw, index)
            if item is None:
                continue
            if item.symbol in seen:
                col.add(
                    f"items[{index}].symbol",
                    f"{item.symbol} appears twice (first at items[{seen[item.symbol]}])",
                )
                continue
            seen[item.symbol] = index
            items.append(item)
    if items:
        total_target = sum((item.target_weight for item in items), Decimal(0))
        if total_target > 1 + WEIGHT_SUM_TOLERANCE:
            col.add("items", f"target weights sum to {total_target}, above 1")
    if col.issues:
        raise InputError(source, tuple(col.issues))
    assert version is not None and timestamp is not None and tpv is not None and ttv is not None
    return RebalancePlan(
        schema_version=version,
        plan_id=ids["plan_id"] or "",
        correlation_id=ids["correlation_id"] or "",
        causation_id=ids["causation_id"] or "",
        timestamp=timestamp,
        items=tuple(items),
        total_portfolio_value=tpv,
        total_trade_value=ttv,
        max_drift_tolerance=drift,
        execution_urgency=urgency or Urgency.NORMAL,
        estimated_duration_minutes=duration,
        metadata=metadata,
    )


def parse_plan_bytes(source: str, data: bytes) -> LoadedPlan:
    """Parse and validate plan JSON bytes into a LoadedPlan."""
    if len(data) > MAX_PLAN_BYTES:
        raise InputError.single(source, "", f"files over {MAX_PLAN_BYTES:,} bytes are refused")
    with GcPaused():
        plan = plan_from_document(source, parse_json_document(source, data))
        return LoadedPlan(plan=plan, digest=plan.digest(), source=source, kind="plan")
