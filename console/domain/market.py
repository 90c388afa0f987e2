"""Market and account snapshots: quotes, assets, positions, and the price rules of DESIGN §3."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict

from console.domain.money import EXACT, ZERO, add, div

_BPS = Decimal(10000)
_TWO = Decimal(2)
_TWENTY_K = Decimal(20000)
_SIXTY = Decimal(60)


# BaseModel's own slots, set directly (pydantic's __setattr__ refuses frozen models): the
# same four that BaseModel.model_construct sets.
_SET_DICT = BaseModel.__dict__["__dict__"].__set__
_SET_FIELDS_SET = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_SET_EXTRA = BaseModel.__dict__["__pydantic_extra__"].__set__
_SET_PRIVATE = BaseModel.__dict__["__pydantic_private__"].__set__
_new_object = object.__new__
_verify_trusted = False


def verify_trusted_builds(on: bool) -> None:
    """Validate every `Frozen.trusted` build as `model_validate` would (the test suite does)."""
    global _verify_trusted
    _verify_trusted = on


class Frozen(BaseModel):
    """Base for strict, frozen domain models."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    # Every field's name: a trusted build names them all, and its instances share this set (a
    # frozen model never adds to it; model_copy copies it first). One set of 19 names per leg
    # would be a fifth of a 5,000-leg preview's memory.
    every_field: ClassVar[set[str]] = set()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.every_field = set(cls.model_fields)

    @classmethod
    def trusted(cls, values: dict[str, Any]) -> Self:
        """An instance from every field's value, computed and typed by our code: not re-validated.

        For the hot paths of a 5,000-item plan (its items, the preview's legs and orders), where
        validation would cost a third of the time. `values` must name every field exactly once;
        with `verify_trusted_builds(True)` (as in the tests) it is validated and checked for that.
        """
        if _verify_trusted:
            if values.keys() != cls.every_field:
                raise TypeError(f"{cls.__name__}.trusted needs every field, got {sorted(values)}")
            return cls.model_validate(values)
        instance = _new_object(cls)
        _SET_DICT(instance, values)
        _SET_FIELDS_SET(instance, cls.every_field)
        _SET_EXTRA(instance, None)
        _SET_PRIVATE(instance, None)
        return instance


class Quote(Frozen):
    """Best bid and ask of a symbol; either side may be missing (None) or 0."""

    bid: Decimal | None = None
    ask: Decimal | None = None
    timestamp: datetime | None = None  # when the quote was made (the data API's time)

    def mid(self) -> Decimal | None:
        """(bid + ask) / 2 when both are > 0 (exact); else whichever is > 0; else None."""
        bid, ask = self.bid, self.ask
        if bid is not None and bid > 0:
            if ask is not None and ask > 0:
                return EXACT.divide(EXACT.add(bid, ask), _TWO)
            return bid
        return ask if ask is not None and ask > 0 else None

    def leg_price(self, side: str) -> Decimal | None:
        """Expected fill price of a market order: bid for a sell, ask for a buy, else the other."""
        bid = self.bid if self.bid is not None and self.bid > 0 else None
        ask = self.ask if self.ask is not None and self.ask > 0 else None
        first, second = (bid, ask) if side == "sell" else (ask, bid)
        return first if first is not None else second

    def spread_bps(self) -> Decimal | None:
        """(ask - bid) / mid in basis points when both sides are > 0 (exact), else None."""
        bid, ask = self.bid, self.ask
        if bid is None or ask is None or bid <= 0 or ask <= 0:
            return None
        # (ask - bid) / ((ask + bid) / 2) x 10,000, in one exact division
        width = EXACT.multiply(EXACT.subtract(ask, bid), _TWENTY_K)
        return EXACT.divide(width, EXACT.add(ask, bid))

    def age_seconds(self, as_of: datetime | None) -> Decimal | None:
        """Seconds between the quote's time and `as_of` (never negative), None when unknown."""
        if self.timestamp is None or as_of is None:
            return None
        seconds = Decimal(str((as_of - self.timestamp).total_seconds()))
        return max(ZERO, seconds)


class Asset(Frozen):
    """Tradability facts of a symbol."""

    symbol: str
    tradable: bool = True
    fractionable: bool = True


class OpenOrder(Frozen):
    """An order working at the broker: who placed it (client order id), what and which way."""

    client_order_id: str
    broker_order_id: str
    symbol: str
    side: str  # "sell" or "buy"
    qty: Decimal | None = None
    notional: Decimal | None = None
    status: str = "new"
    submitted_at: datetime | None = None


class MarketClock(Frozen):
    """The broker's market clock: open now, and when it next opens and closes."""

    is_open: bool
    timestamp: datetime | None = None
    next_open: datetime | None = None
    next_close: datetime | None = None

    def minutes_to_close(self) -> Decimal | None:
        """Minutes from now to the close while open (exact), else None."""
        if not self.is_open or self.timestamp is None or self.next_close is None:
            return None
        seconds = Decimal(str((self.next_close - self.timestamp).total_seconds()))
        return max(ZERO, div(seconds, _SIXTY))

    def minutes_to_open(self) -> Decimal | None:
        """Minutes from now to the next open while closed, else None."""
        if self.is_open or self.timestamp is None or self.next_open is None:
            return None
        seconds = Decimal(str((self.next_open - self.timestamp).total_seconds()))
        return max(ZERO, div(seconds, _SIXTY))


class AccountStatus(Frozen):
    """Whether the account may trade: its status and the broker's blocking flags."""

    status: str = "ACTIVE"
    trading_blocked: bool = False
    account_blocked: bool = False
    trade_suspended_by_user: bool = False

    def blocked_reason(self) -> str | None:
        """Why the account cannot trade (naming the status or flag), or None when it can."""
        reasons = []
        if self.status.upper() != "ACTIVE":
            reasons.append(f"account status is {self.status}")
        for flag in ("trading_blocked", "account_blocked", "trade_suspended_by_user"):
            if getattr(self, flag):
                reasons.append(f"{flag} is set")
        return "; ".join(reasons) if reasons else None


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
    clock: MarketClock | None = None
    account_status: AccountStatus = AccountStatus()
    # Orders working at the broker when the snapshot was taken: (client_order_id, symbol, side).
    open_orders: tuple[OpenOrder, ...] = ()
    as_of: datetime | None = None  # the snapshot's time, against which quote ages are measured
    quote_feed: str | None = None  # the market-data feed the quotes came from (Alpaca: iex/sip)

    def quote_age(self, symbol: str) -> Decimal | None:
        """Age in seconds of the symbol's quote at the snapshot's time, None when unknown."""
        quote = self.quotes.get(symbol)
        return quote.age_seconds(self.as_of) if quote is not None else None

    def spread_bps(self, symbol: str) -> Decimal | None:
        """Spread of the symbol's quote in basis points of the mid, None without two sides."""
        quote = self.quotes.get(symbol)
        return quote.spread_bps() if quote is not None else None

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
        quotes = self.quotes
        total = add(self.cash)
        for symbol, qty in self.positions.items():
            quote = quotes.get(symbol)
            if quote is not None and (mid := quote.mid()) is not None:
                total = EXACT.add(total, EXACT.multiply(qty, mid))  # add and mul, one position
        return total
