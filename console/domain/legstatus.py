"""LegStatus: a run leg's status (pending, each broker order status, unknown, skipped, blocked).

The transition table says which status may follow which. Broker updates may arrive out of order
(a stream fill before the submit answer, a late `accepted` after a fill), so the fold ignores an
update whose status may not follow the leg's current one instead of stepping back: a terminal
status is never left (a terminal leg's fills may still be completed), and once a fill was seen
the leg never returns to a no-fill acknowledgement.
"""

from __future__ import annotations

from enum import StrEnum

from console.domain.orders import OrderStatus


class LegStatus(StrEnum):
    """A run leg's status: before the broker, each broker order status, or never sent."""

    PENDING = "pending"  # not yet acknowledged by the broker (intent journaled or not)
    NEW = "new"
    ACCEPTED = "accepted"
    PENDING_NEW = "pending_new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    DONE_FOR_DAY = "done_for_day"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REPLACED = "replaced"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    REJECTED = "rejected"
    STOPPED = "stopped"
    SUSPENDED = "suspended"
    CALCULATED = "calculated"
    HELD = "held"
    ACCEPTED_FOR_BIDDING = "accepted_for_bidding"
    UNKNOWN = "unknown"  # the submit's outcome is not known (an ambiguous broker answer)
    SKIPPED = "skipped"  # never sent: sized to nothing, or the run ended first
    BLOCKED = "blocked"  # never sent: refused by the preview

    @classmethod
    def of(cls, status: OrderStatus) -> LegStatus:
        """The leg status of a broker order status (same value)."""
        return _OF_ORDER[status]

    @property
    def is_terminal(self) -> bool:
        """Filled, canceled, rejected, expired, replaced, done for day, skipped or blocked."""
        return self in TERMINAL

    @property
    def never_sent(self) -> bool:
        """Skipped or blocked: no order was ever sent for the leg."""
        return self is LegStatus.SKIPPED or self is LegStatus.BLOCKED

    def may_become(self, status: LegStatus) -> bool:
        """True when `status` may follow this one (staying put is always allowed)."""
        return status in TRANSITIONS[self]


_OF_ORDER: dict[OrderStatus, LegStatus] = {
    status: LegStatus(status.value) for status in OrderStatus
}
BROKER: frozenset[LegStatus] = frozenset(_OF_ORDER.values())
"""Every broker order status."""
TERMINAL: frozenset[LegStatus] = frozenset(
    {LegStatus.of(status) for status in OrderStatus if status.is_terminal}
    | {LegStatus.SKIPPED, LegStatus.BLOCKED}
)
"""Statuses a leg never leaves."""
NO_FILL_ACK: frozenset[LegStatus] = frozenset(
    {LegStatus.PENDING_NEW, LegStatus.NEW, LegStatus.ACCEPTED, LegStatus.ACCEPTED_FOR_BIDDING}
)
"""Acknowledged by the broker with nothing filled yet: never shown again after a fill."""


def _table() -> dict[LegStatus, frozenset[LegStatus]]:
    table: dict[LegStatus, frozenset[LegStatus]] = {}
    open_broker = BROKER - TERMINAL
    for status in LegStatus:
        if status in TERMINAL:
            follows: frozenset[LegStatus] = frozenset()
        elif status is LegStatus.PENDING:
            # Sent (any broker answer), ambiguous, or resized to nothing / ended before sending.
            follows = BROKER | {LegStatus.UNKNOWN, LegStatus.SKIPPED}
        elif status is LegStatus.UNKNOWN:
            # A look-up or the stream settles it; or the broker confirms none was placed.
            follows = BROKER | {LegStatus.SKIPPED}
        elif status is LegStatus.PARTIALLY_FILLED:
            follows = BROKER - NO_FILL_ACK
        else:
            assert status in open_broker, status
            follows = BROKER
        table[status] = follows | {status}
    return table


TRANSITIONS: dict[LegStatus, frozenset[LegStatus]] = _table()
"""For each status, the statuses that may follow it (itself included)."""
