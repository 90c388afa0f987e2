"""The JSON Schema of the RebalancePlan file (1.x), as `phase-console schema` prints it."""

from __future__ import annotations

from typing import Any

_DECIMAL: dict[str, Any] = {
    "description": "a decimal, as a JSON string (exact, exponent allowed) or a JSON number",
    "anyOf": [
        {"type": "string", "pattern": r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"},
        {"type": "number"},
    ],
}


def _any_case(*words: str) -> str:
    """An ECMA-262-safe pattern matching any of `words` in any letter case."""
    spelled = ("".join(f"[{c.upper()}{c.lower()}]" for c in word) for word in words)
    return "^(" + "|".join(spelled) + ")$"


def _decimal(description: str) -> dict[str, Any]:
    return {**_DECIMAL, "description": description}


def plan_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of a plan file; numeric bounds are stated in the descriptions."""
    item = {
        "type": "object",
        "required": ["symbol", "target_weight", "trade_amount", "action"],
        "properties": {
            "symbol": {
                "type": "string",
                "pattern": r"^[A-Za-z0-9.\-]{1,10}$",
                "description": "1-10 letters, digits, '.' or '-'; upper-cased on load; unique",
            },
            "current_weight": _decimal("0..1 (default 0)"),
            "target_weight": _decimal("0..1; 0 on a SELL means liquidate the whole position"),
            "weight_diff": _decimal("target_weight - current_weight"),
            "target_value": _decimal(">= 0"),
            "current_value": _decimal(">= 0"),
            "trade_amount": _decimal("positive = buy, negative = sell; ignored for HOLD"),
            "action": {
                "type": "string",
                "pattern": _any_case("BUY", "SELL", "HOLD"),
                "description": "BUY, SELL or HOLD (case-insensitive)",
            },
            "priority": {"type": "integer", "minimum": 1, "maximum": 5},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:phase-console:rebalance-plan:1",
        "title": "RebalancePlan",
        "description": "A rebalance plan; unknown fields are ignored; files over 10 MB are refused",
        "type": "object",
        "required": [
            "schema_version",
            "plan_id",
            "correlation_id",
            "causation_id",
            "timestamp",
            "items",
            "total_portfolio_value",
            "total_trade_value",
        ],
        "properties": {
            "schema_version": {"type": "string", "pattern": r"^1(\.\d+){0,2}$"},
            "plan_id": {"type": "string", "minLength": 1},
            "correlation_id": {"type": "string", "minLength": 1},
            "causation_id": {"type": "string", "minLength": 1},
            "timestamp": {
                "type": "string",
                "format": "date-time",
                "description": "ISO-8601 with a timezone (Z or an offset); naive is an error",
            },
            "items": {"type": "array", "minItems": 1, "items": item},
            "total_portfolio_value": _decimal(">= 0"),
            "total_trade_value": _decimal("sum of trade amounts"),
            "max_drift_tolerance": {"anyOf": [_DECIMAL, {"type": "null"}]},
            "execution_urgency": {
                "type": "string",
                "pattern": _any_case("LOW", "NORMAL", "HIGH", "URGENT"),
                "description": "LOW/NORMAL/HIGH/URGENT (case-insensitive)",
            },
            "estimated_duration_minutes": {
                "anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]
            },
            "metadata": {"anyOf": [{"type": "object"}, {"type": "null"}]},
        },
    }
