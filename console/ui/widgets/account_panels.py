"""Account panels: positions (qty, value, weight now vs target) and the account's open orders."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from console.domain import formatting as f
from console.domain.columns import Align, ColumnSpec, Tone
from console.domain.market import AccountSnapshot, OpenOrder
from console.domain.money import ZERO, div, mul
from console.ui.models.table_model import RecordTableModel
from console.ui.viewmodels.units import qty_full, qty_shown, usd, usd_price
from console.ui.widgets.inline import ConfirmBar
from console.ui.widgets.tables import RecordTable


@dataclass(frozen=True)
class PositionRow:
    """One held (or targeted) symbol: quantity, value and weight now vs target."""

    symbol: str
    qty: Decimal
    price: Decimal | None
    value: Decimal | None
    weight: Decimal | None
    target: Decimal | None


def position_rows(
    snapshot: AccountSnapshot, targets: dict[str, Decimal] | None = None
) -> list[PositionRow]:
    """Every position of a snapshot plus every target symbol not held, by symbol."""
    targets = targets or {}
    equity = snapshot.equity()
    rows: list[PositionRow] = []
    for symbol in sorted(set(snapshot.positions) | set(targets)):
        qty = snapshot.position(symbol)
        price = snapshot.mid(symbol)
        value = mul(qty, price) if price is not None else None
        weight = div(value, equity) if value is not None and equity > 0 else None
        rows.append(PositionRow(symbol, qty, price, value, weight, targets.get(symbol)))
    return rows


def _drift_tone(row: PositionRow) -> Tone | None:
    if row.weight is None or row.target is None:
        return None
    return Tone.GOOD if abs(row.weight - row.target) < Decimal("0.005") else Tone.WARN


POSITION_COLUMNS: tuple[ColumnSpec[PositionRow], ...] = (
    ColumnSpec("symbol", "Symbol", lambda r: r.symbol, width=80),
    ColumnSpec(
        "qty", "Qty", lambda r: r.qty, qty_shown, Align.RIGHT,
        tooltip=lambda r: qty_full(r.qty), width=100,
    ),
    ColumnSpec("price", "Mid price", lambda r: r.price, usd_price, Align.RIGHT, width=100),
    ColumnSpec("value", "Value", lambda r: r.value, usd, Align.RIGHT, width=120),
    ColumnSpec("weight", "Weight now", lambda r: r.weight, f.pct, Align.RIGHT, width=100),
    ColumnSpec("target", "Target", lambda r: r.target, f.pct, Align.RIGHT, width=90),
    ColumnSpec(
        "gap", "Gap", lambda r: None if r.weight is None or r.target is None
        else r.target - r.weight, f.signed_pct, Align.RIGHT, tone=_drift_tone, width=90,
    ),
)  # fmt: skip


class PositionsPanel(QWidget):
    """The account's positions, refreshed with the account strip (after each phase, at the end)."""

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model: RecordTableModel[PositionRow] = RecordTableModel(
            POSITION_COLUMNS, key=lambda row: row.symbol, parent=self
        )
        self.table = RecordTable("positions", self.model, settings, parent=self)
        self.caption = QLabel("No account read yet.")
        self.caption.setObjectName("positionsCaption")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.table)

    def set_account(
        self, snapshot: AccountSnapshot | None, targets: dict[str, Decimal] | None = None
    ) -> None:
        """Show the positions of `snapshot` against the plan's targets."""
        if snapshot is None:
            return
        rows = position_rows(snapshot, targets)
        self.model.set_rows(rows)
        held = sum((row.value or ZERO for row in rows), ZERO)
        when = f.clock_time(snapshot.as_of) if snapshot.as_of is not None else "now"
        self.caption.setText(
            f"{len([r for r in rows if r.qty])} positions worth {usd(held)} · cash "
            f"{usd(snapshot.cash)} · read at {when}"
        )


def _order_text(order: OpenOrder) -> str:
    if order.qty is not None:
        return f"{qty_shown(order.qty)} sh"
    return usd(order.notional)


OPEN_ORDER_COLUMNS: tuple[ColumnSpec[OpenOrder], ...] = (
    ColumnSpec("symbol", "Symbol", lambda o: o.symbol, width=80),
    ColumnSpec("side", "Side", lambda o: o.side, align=Align.CENTER, width=50),
    ColumnSpec("order", "Order", lambda o: o.qty if o.qty is not None else o.notional,
               display=_order_text, align=Align.RIGHT, width=110),
    ColumnSpec("status", "Status", lambda o: o.status, width=90),
    ColumnSpec("submitted_at", "Submitted", lambda o: o.submitted_at, f.clock_time, width=110),
    ColumnSpec("client_order_id", "Client order id", lambda o: o.client_order_id, width=220),
)  # fmt: skip


class OpenOrdersPanel(QWidget):
    """Working orders at the broker that are not this plan's; cancel one after a confirmation."""

    cancel_requested = Signal(OpenOrder)

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("openOrdersPanel")
        self.model: RecordTableModel[OpenOrder] = RecordTableModel(
            OPEN_ORDER_COLUMNS, key=lambda o: o.broker_order_id or o.client_order_id, parent=self
        )
        self.table = RecordTable("openOrders", self.model, settings, parent=self)
        self.caption = QLabel()
        self.caption.setObjectName("openOrdersCaption")
        self.caption.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel selected order…")
        self.cancel_button.setObjectName("cancelOpenOrder")
        self.cancel_button.clicked.connect(self._ask)
        self.confirm = ConfirmBar("openOrderConfirm", self)
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.confirm)
        layout.addWidget(self.table)
        self.table.view.selectionModel().selectionChanged.connect(self._selection)
        self.set_orders(())
        self.hide()  # until a live preview lists the account's orders (replay never does)

    def set_orders(self, orders: tuple[OpenOrder, ...] | list[OpenOrder]) -> None:
        """List these orders (already filtered to the ones that are not this plan's)."""
        self.model.set_rows(orders)
        self.confirm.hide()
        n = len(orders)
        self.caption.setText(
            "<b>Open orders at the broker that are not this plan's:</b> none."
            if not n
            else f"<b>{n} open order{'s' if n != 1 else ''} at the broker that "
            f"{'are' if n != 1 else 'is'} not this plan's.</b> A plan symbol with one is "
            "blocked (open_order): cancel it here or wait, then refresh (F5)."
        )
        self.show()
        self._selection()

    def selected(self) -> OpenOrder | None:
        """The selected order, if any."""
        rows = self.table.view.selectionModel().selectedRows()
        if not rows:
            return None
        source = self.table.proxy.mapToSource(rows[0])
        return self.model.row_at(source.row())

    def _selection(self, *_: object) -> None:
        self.cancel_button.setEnabled(self.selected() is not None)

    def _ask(self) -> None:
        order = self.selected()
        if order is None:
            return
        self.confirm.ask(
            f"Cancel the {order.side} order for {order.symbol} ({_order_text(order)}, "
            f"{order.client_order_id or order.broker_order_id}) at the broker?",
            "Cancel the order",
            lambda: self.cancel_requested.emit(order),
            no="Keep it",
        )
