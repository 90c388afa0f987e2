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
    # Buys are funded from cash (and proceeds) unless the operator opts into margin.
    allow_margin: bool = False
    min_minutes_to_close: Decimal = Field(default=Decimal("10"), ge=0)
    max_quote_age_seconds: Decimal = Field(default=Decimal("60"), gt=0)
    max_spread_bps: Decimal = Field(default=Decimal("200"), gt=0)

    def as_text(self) -> dict[str, str]:
        """Every setting as text (decimals plain, booleans lower case), for the journal."""
        return {
            key: (str(value).lower() if isinstance(value, bool) else format(value, "f"))
            for key, value in self.model_dump().items()
        }
