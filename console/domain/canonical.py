"""Canonical JSON (sorted keys, no whitespace, normalized decimals) and sha256 digests."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from console.domain.money import normalized_str


def to_plain(value: Any) -> Any:
    """Convert models, decimals, enums and datetimes into JSON-ready plain values."""
    if isinstance(value, BaseModel):
        return {k: to_plain(v) for k, v in value.model_dump(mode="python").items()}
    if isinstance(value, Decimal):
        return normalized_str(value)
    if isinstance(value, Enum):
        return to_plain(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Sequence):
        return [to_plain(v) for v in value]
    raise TypeError(f"cannot canonicalize {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, decimals as normalized strings."""
    return canonical_json_text(to_plain(value))


def canonical_json_text(plain: Any) -> str:
    """The canonical JSON text of values already plain (`to_plain`'s output)."""
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(data: str | bytes) -> str:
    """Hex sha256 of text (UTF-8) or bytes."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()
