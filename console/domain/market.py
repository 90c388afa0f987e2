"""Market and account snapshots: quotes, assets, positions, and the price rules of DESIGN §3."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from console.domain.money import ZERO, add, div, mul


class Frozen(BaseModel):
    """Base for strict, frozen domain models."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")


class Quote(Frozen):
    """Best bid and ask of a symbol; either side may be missing (None) or 0."""

    bid: Decimal | None = None
    ask: Decimal | None = None

    def mid(self) -> Decimal | None:
        """(bid + ask) / 2 when both are > 0 (exact); else whichever is > 0; else None."""
        bid = self.bid if self.bid is not None and self.bid > 0 else None
        ask = self.ask if self.ask is not None and self.ask > 0 else None
        if bid is not None and ask is not None:
            return div(add(bid, ask), Decimal(2))
        return bid if bid is not None else ask

    def leg_price(self, side: str) -> Decimal | None:
        """Expected fill price of a market order: bid for a sell, ask for a buy, else the other."""
        bid = self.bid if self.bid is not None and self.bid > 0 else None
        ask = self.ask if self.ask is not None and self.ask > 0 else None
        first, second = (bid, ask) if side == "sell" else (ask, bid)
        return first if first is not None else second


class Asset(Frozen):
    """Tradability facts of a symbol."""

    symbol: str
    tradable: bool = True
    fractionable: bool = True


class AccountSnapshot(Frozen):
    """Everything a preview needs from the broker, fetched at one moment."""

    account_id: str
    broker: str
    mode: str  # SIM, PAPER or LIVE
    cash: Decimal
    buying_power: Decimal
    positions: dict[str, Decimal]
    quotes: dict[str, Quote]
    assets: dict[str, Asset]  # symbols the broker does not know are absent
    market_open: bool

    def mid(self, symbol: str) -> Decimal | None:
        """Mid price of `symbol`, or None when it has no usable quote."""
        quote = self.quotes.get(symbol)
        return quote.mid() if quote is not None else None

    def leg_price(self, symbol: str, side: str) -> Decimal | None:
        """Expected fill price of a `side` market order on `symbol`, or None."""
        quote = self.quotes.get(symbol)
        return quote.leg_price(side) if quote is not None else None

    def position(self, symbol: str) -> Decimal:
        """Held quantity (0 when flat)."""
        return self.positions.get(symbol, ZERO)

    def equity(self) -> Decimal:
        """cash + sum(qty x mid); a position without a price counts 0 (exact, unrounded)."""
        values = [self.cash]
        for symbol, qty in self.positions.items():
            mid = self.mid(symbol)
            if mid is not None:
                values.append(mul(qty, mid))
        return add(*values)
