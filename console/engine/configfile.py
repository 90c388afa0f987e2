"""Reading config.toml into Settings: unknown keys and bad values name the file and key."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

from platformdirs import user_config_dir
from pydantic import ValidationError

from console.domain.config import Settings
from console.domain.errors import FieldIssue, InputError
from console.domain.money import DecimalParseError, to_decimal


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
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError.single(path, "", "no such config file") from None
    except OSError as exc:
        raise InputError.single(path, "", f"cannot be read: {exc.strerror}") from None
    try:
        # TOML floats would be binary: keep the text exact by parsing numbers as Decimal.
        data = tomllib.loads(raw.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError:
        raise InputError.single(path, "", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError.single(path, "", f"invalid TOML: {exc}") from None
    return settings_from_mapping(path, data)


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
                issues.append(FieldIssue(key, error["msg"]))
    raise InputError(source, tuple(issues))
