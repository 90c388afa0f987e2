"""Operator-tunable rules (DESIGN §6 config keys) with their defaults."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from console.domain.market import Frozen


class Settings(Frozen):
    """Risk limits, funding and approval parameters; every field is a config.toml key."""

    min_notional: Decimal = Field(default=Decimal("1.00"), ge=0)
    max_order_notional: Decimal = Field(default=Decimal("100000.00"), gt=0)
    max_order_pct_of_equity: Decimal = Field(default=Decimal("0.25"), gt=0, le=1)
    buy_reserve_pct: Decimal = Field(default=Decimal("0"), ge=0, lt=1)
    cash_reserve_pct: Decimal = Field(default=Decimal("0.01"), ge=0, lt=1)
    min_trade_pct: Decimal = Field(default=Decimal("0.01"), ge=0, lt=1)
    approval_ttl_seconds: Decimal = Field(default=Decimal("300"), gt=0)
    drift_band: Decimal = Field(default=Decimal("0.01"), ge=0, lt=1)
    phase_timeout_seconds: Decimal = Field(default=Decimal("300"), gt=0)
