"""The rows the tables show besides legs and problems: monitor, weights, file issues, log (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from console.domain.errors import FieldIssue, InputError
from console.domain.runstate import LegState


@dataclass(frozen=True, slots=True)
class MonitorRow:
    """One order in the live monitor: the folded leg and when its intent was journaled."""

    leg: LegState
    first_seen: datetime | None

    @property
    def key(self) -> str:
        """Rows are keyed by client order id."""
        return self.leg.client_order_id


@dataclass(frozen=True)
class IssueRow:
    """One error of a refused file, split into file, item index, field and message."""

    number: int
    file: str
    item: int | None
    field: str
    message: str


def issue_rows(error: InputError) -> list[IssueRow]:
    """Every issue of an InputError, with the 0-based item index pulled out of `items[3].x`."""
    rows: list[IssueRow] = []
    for number, issue in enumerate(error.issues or (FieldIssue("", "invalid file"),), start=1):
        item: int | None = None
        field = issue.path
        if field.startswith("items[") and "]" in field:
            index_text = field[len("items[") : field.index("]")]
            if index_text.isdigit():
                item = int(index_text)
                field = field[field.index("]") + 1 :].lstrip(".") or "(item)"
        rows.append(
            IssueRow(number=number, file=error.file, item=item, field=field, message=issue.message)
        )
    return rows


@dataclass(frozen=True)
class WeightBar:
    """Current and target weight of one symbol (for the chart and the holds table)."""

    symbol: str
    action: str
    current: Decimal
    target: Decimal


@dataclass(frozen=True)
class LogRow:
    """One structlog record shown in the event-log dock."""

    number: int
    ts: datetime
    level: str
    event: str
    details: str
