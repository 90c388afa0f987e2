"""Limits on hostile input: decimal range and exponent, nesting depth, valid Unicode."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from console.domain.errors import InputError

MAX_DEPTH = 64  # arrays/objects inside each other; plans need 3, scenarios 4
MAX_ADJUSTED_EXPONENT = 14  # |x| < 1E+15: no amount, value or weight is larger
MAX_EXPONENT = 100  # as written: "1E-8" and "0E+5" are fine, "1E-1000000" is not

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# A numeric string written with an exponent ("1E+400"): the only way to write an absurd one short.
_NUMBER_TEXT = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+\s*")


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_decimal_range(value: Decimal) -> Decimal:
    """`value` (finite) when its size and exponent are sane (|x| < 1E+15), else ValueError.

    Uses only context-free operations, so nothing here can raise decimal.Overflow; the common
    case costs one `adjusted()` call (a 5,000-item plan has 30,000 decimals).
    """
    adjusted = value.adjusted()
    if -MAX_EXPONENT <= adjusted <= MAX_ADJUSTED_EXPONENT:
        return value
    if value.is_zero():  # "0E+5" is what real producers write; "0E+1000000" is not
        if -MAX_EXPONENT <= adjusted <= MAX_EXPONENT:
            return value
        raise ValueError(
            f"exponent out of range (-{MAX_EXPONENT}..{MAX_EXPONENT}): {_shown(value)}"
        )
    if adjusted > MAX_ADJUSTED_EXPONENT:
        raise ValueError(f"out of range: must be below 1E+15 in size, got {_shown(value)}")
    raise ValueError(f"out of range: too small (below 1E-{MAX_EXPONENT}), got {_shown(value)}")


def too_deep(doc: Any, limit: int = MAX_DEPTH) -> bool:
    """True when arrays/objects nest deeper than `limit` (level by level: no recursion)."""
    level = [doc] if type(doc) is dict or type(doc) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        deeper: list[Any] = []
        for node in level:
            for child in node.values() if type(node) is dict else node:
                kind = type(child)
                if kind is dict or kind is list:
                    deeper.append(child)
        level = deeper
    return False


def nesting_message(limit: int = MAX_DEPTH) -> str:
    """The error for a document nested too deep."""
    return f"arrays and objects nested deeper than {limit} levels are refused"


def may_hold_surrogates(text: str) -> bool:
    """True when JSON text has a \\uD800-\\uDFFF escape (the only way to write a lone one)."""
    return _SURROGATE_ESCAPE.search(text) is not None


def first_path(doc: Any, wanted: Callable[[Any], bool]) -> str | None:
    """Path (`items[2].trade_amount`) of the first value, in document order, that is `wanted`."""
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        node, path = stack.pop()
        if wanted(node):
            return path
        if isinstance(node, dict):
            children = [(v, f"{path}.{k}" if path else str(k)) for k, v in node.items()]
        elif isinstance(node, list):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(node)]
        else:
            continue
        stack.extend(reversed(children))
    return None


def bad_unicode_path(doc: Any) -> str | None:
    """Path of the first key or string that is not valid Unicode (a lone surrogate), or None."""
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if not _encodes(node):
                return path
        elif isinstance(node, dict):
            for key, value in node.items():
                where = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and not _encodes(key):
                    return path or "(a key)"
                stack.append((value, where))
        elif isinstance(node, list):
            stack.extend((value, f"{path}[{i}]") for i, value in enumerate(node))
    return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def first_absurd_number(doc: Any, *, strings: bool = True) -> tuple[str, str] | None:
    """(path, message) of the first number out of range (JSON numbers, numeric strings too)."""
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        node, path = stack.pop()
        value: Decimal | None = None
        if isinstance(node, Decimal):
            value = node
        elif isinstance(node, int) and not isinstance(node, bool):
            value = Decimal(node)
        elif strings and isinstance(node, str) and len(node) < 200 and _NUMBER_TEXT.fullmatch(node):
            value = Decimal(node.strip())
        elif isinstance(node, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node))
        if value is not None:
            try:
                check_decimal_range(value)
            except ValueError as exc:
                return path, str(exc)
    return None


def refuse_absurd_numbers(source: str, doc: Any) -> None:
    """Raise InputError naming the first out-of-range number of a decoded document."""
    found = first_absurd_number(doc)
    if found is not None:
        raise InputError.single(source, found[0], found[1])
