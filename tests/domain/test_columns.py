"""The column specs: one spec renders the window's text, the CSV cells and the terminal table."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from console.domain.columns import (
    MONITOR,
    PREVIEW_LEGS,
    RUN_LEGS,
    SUMMARY,
    Align,
    ColumnSpec,
    TableSpec,
)


@dataclass(frozen=True)
class Row:
    name: str
    amount: Decimal | None


@dataclass(frozen=True)
class Holder:
    row: Row


def _table() -> TableSpec[Row]:
    return TableSpec(
        "t",
        (
            ColumnSpec("name", "Name", lambda r: r.name),
            ColumnSpec("amount", "Amount", lambda r: r.amount, fmt=str, align=Align.RIGHT),
            ColumnSpec("note", "Note", lambda r: "x", short="N"),
        ),
        window=("name", "amount"),
        csv=("amount", "name"),
    )


def test_each_rendering_picks_its_columns_in_its_order() -> None:
    table = _table()
    assert [c.key for c in table.window_columns()] == ["name", "amount"]
    assert table.csv_header() == ["amount", "name"]
    rows = [Row("a", Decimal("1E+3")), Row("b", None)]
    assert table.csv_rows(rows) == [["1000", "a"], ["", "b"]]  # exact, no exponent, '' for None
    lines = table.terminal_lines(rows)
    assert lines[0] == "Name  Amount  N"
    assert lines[2] == "a       1E+3  x"  # right-aligned amount, left-aligned text


def test_unknown_or_duplicate_keys_are_refused() -> None:
    column = ColumnSpec[Row]("name", "Name", lambda r: r.name)
    with pytest.raises(ValueError, match="unknown column keys"):
        TableSpec("t", (column,), csv=("nope",))
    with pytest.raises(ValueError, match="duplicate"):
        TableSpec("t", (column, column))


def test_via_reads_the_same_column_from_a_holder() -> None:
    lifted = _table().via("held", lambda h: h.row)
    holder = Holder(Row("a", Decimal("2.50")))
    assert [c.text(holder) for c in lifted.window_columns()] == ["a", "2.50"]
    assert lifted.csv_rows([holder]) == [["2.50", "a"]]


def test_the_shipped_tables_are_consistent() -> None:
    for table in (PREVIEW_LEGS, RUN_LEGS, MONITOR, SUMMARY):
        assert table.window_columns()
        assert table.csv_header() == [c.key for c in table.pick(table.csv)]
    assert [c.key for c in MONITOR.window_columns()][:2] == ["time", "client_order_id"]
    assert "Avg price" in RUN_LEGS.terminal_lines([])[0]  # the terminal's shorter header
