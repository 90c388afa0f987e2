"""Reading config.toml into Settings: unknown keys and bad values name the file and key."""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir
from pydantic import ValidationError

from console.domain.config import Settings
from console.domain.errors import FieldIssue, InputError
from console.domain.inputlimits import MAX_DEPTH, nesting_message, refuse_absurd_numbers, too_deep
from console.domain.money import DecimalParseError, to_decimal

MAX_CONFIG_BYTES = 1024 * 1024


def default_config_path() -> Path:
    """config.toml in the user config directory."""
    return Path(user_config_dir("phase-console", appauthor=False)) / "config.toml"


def load_settings(path: str | None) -> Settings:
    """Settings from `path`, or from the default config file when it exists, else defaults."""
    if path is None:
        default = default_config_path()
        if not default.is_file():
            return Settings()
        path = str(default)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise InputError.single(path, "", "no such config file") from None
    except OSError as exc:
        raise InputError.single(path, "", f"cannot be read: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise InputError.single(path, "", f"files over {MAX_CONFIG_BYTES:,} bytes are refused")
    return settings_from_mapping(path, parse_toml(path, raw))


def parse_toml(source: str, raw: bytes) -> dict[str, object]:
    """Decode a TOML file (UTF-8, a BOM allowed) with the nesting and number limits of plans."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.single(
            source, "", f"not UTF-8 text (invalid byte at offset {exc.start})"
        ) from None
    if toml_depth(text) > MAX_DEPTH:
        raise InputError.single(source, "", nesting_message())
    try:
        # TOML floats would be binary: keep the text exact by parsing numbers as Decimal.
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InputError.single(source, "", f"invalid TOML: {exc}") from None
    except RecursionError:
        raise InputError.single(source, "", nesting_message()) from None
    except ValueError as exc:  # e.g. an integer of over 4,300 digits
        raise InputError.single(source, "", f"invalid TOML: {exc}") from None
    if too_deep(data):
        raise InputError.single(source, "", nesting_message())
    refuse_absurd_numbers(source, data)
    return data


# A comment, a string (brackets inside do not nest) or one bracket, in TOML text.
_TOML_TOKEN = re.compile(
    r"""#[^\n]*|\"\"\"(?:\\.|[^\\])*?\"\"\"|'''.*?'''|"(?:\\.|[^"\\\n])*"|'[^'\n]*'|[\[\]{}]""",
    re.DOTALL,
)


def toml_depth(text: str) -> int:
    """How deep arrays and inline tables nest in TOML text (a cheap scan before parsing)."""
    depth = deepest = 0
    for token in _TOML_TOKEN.finditer(text):
        mark = token.group()
        if mark in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif mark in ("]", "}"):
            depth = max(depth - 1, 0)
    return deepest


_BOUNDS = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}


def _bound_text(error: Any) -> str:
    """'must be >= 0, got -1' for a bound pydantic checks; its own words otherwise."""
    sign = _BOUNDS.get(str(error.get("type")))
    ctx = error.get("ctx") or {}
    limit = next((ctx[k] for k in ("gt", "ge", "lt", "le") if k in ctx), None)
    if sign is None or limit is None:
        return str(error["msg"])
    return f"must be {sign} {limit}, got {error.get('input')}"


def settings_from_mapping(source: str, data: dict[str, object]) -> Settings:
    """Validate a mapping of config keys into Settings."""
    known = set(Settings.model_fields)
    issues: list[FieldIssue] = []
    values: dict[str, Decimal | bool] = {}
    for key, value in data.items():
        if key not in known:
            issues.append(FieldIssue(key, f"unknown key (known: {', '.join(sorted(known))})"))
            continue
        if Settings.model_fields[key].annotation is bool:
            if isinstance(value, bool):
                values[key] = value
            else:
                issues.append(FieldIssue(key, f"expected true or false, got {value!r}"))
            continue
        if isinstance(value, bool):
            issues.append(FieldIssue(key, f"expected a number, got {str(value).lower()}"))
            continue
        try:
            values[key] = to_decimal(value)
        except DecimalParseError as exc:
            issues.append(FieldIssue(key, str(exc)))
    if not issues:
        try:
            return Settings.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                key = ".".join(str(part) for part in error["loc"])
                issues.append(FieldIssue(key, _bound_text(error)))
    raise InputError(source, tuple(issues))
