"""Phase Console: supervised sell-then-buy portfolio rebalancing."""

__version__ = "0.1.0"
