"""The generic table model, the filter proxy and the persisted table header state."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from console.domain.columns import Align, ColumnSpec
from console.ui.models.table_model import RecordFilterProxy, RecordTableModel
from console.ui.prefs import add_recent, open_settings, recent_files
from console.ui.widgets.tables import RecordTable
from tests.ui.conftest import DEMO_PLAN

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]


@dataclass(frozen=True)
class Row:
    key: str
    status: str
    amount: Decimal


def _model(coalesce_ms: int = 50) -> RecordTableModel[Row]:
    columns = [
        ColumnSpec[Row]("key", "Key", value=lambda r: r.key),
        ColumnSpec[Row]("status", "Status", value=lambda r: r.status, status=True),
        ColumnSpec[Row]("amount", "Amount", value=lambda r: r.amount, fmt=str, align=Align.RIGHT),
    ]
    return RecordTableModel(columns, key=lambda r: r.key, coalesce_ms=coalesce_ms)


def test_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = _model()
    model.upsert_rows(Row(f"k{i}", "new", Decimal(i)) for i in range(20))
    qtmodeltester.check(model)
    proxy = RecordFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_status_filter({"filled"})
    model.upsert_rows([Row("k3", "filled", Decimal("3.5"))])
    model.flush()
    qtmodeltester.check(proxy)
    assert proxy.rowCount() == 1


def test_upsert_appends_new_rows_and_coalesces_changes(qtbot: QtBot) -> None:
    model = _model()
    inserted: list[tuple[int, int]] = []
    changed: list[tuple[int, int]] = []
    resets: list[int] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.dataChanged.connect(lambda tl, br, _roles=(): changed.append((tl.row(), br.row())))
    model.modelReset.connect(lambda: resets.append(1))
    model.upsert_rows([Row("a", "new", Decimal(1)), Row("b", "new", Decimal(2))])
    model.upsert_rows([Row("c", "new", Decimal(3))])
    assert inserted == [(0, 1), (2, 2)]
    for amount in range(100):  # 300 changes to three rows
        model.upsert_rows([Row(k, "partially_filled", Decimal(amount)) for k in "abc"])
    assert changed == []  # nothing announced yet: coalesced
    qtbot.waitUntil(lambda: model.pending == 0, timeout=1000)
    assert changed == [(0, 2)]
    assert model.batches == 1
    assert resets == []
    assert model.data(model.index(2, 2)) == "99"
    assert model.rowCount() == 3


def test_sort_is_exact_on_decimals() -> None:
    model = _model()
    model.upsert_rows(
        [
            Row("a", "new", Decimal("10.000000001")),
            Row("b", "new", Decimal("10")),
            Row("c", "new", Decimal("9.99")),
        ]
    )
    proxy = RecordFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(2)
    assert [proxy.index(i, 0).data() for i in range(3)] == ["c", "b", "a"]


def test_header_state_and_recent_files_persist(tmp_path: Path, qapp: QApplication) -> None:
    settings = open_settings(str(tmp_path / "s.ini"))
    table = RecordTable("t", _model(), settings)
    table.view.horizontalHeader().resizeSection(0, 333)
    table.view.horizontalHeader().moveSection(2, 0)
    table.save_state()
    settings.sync()
    again = RecordTable("t", _model(), open_settings(str(tmp_path / "s.ini")))
    assert again.view.horizontalHeader().sectionSize(0) == 333
    assert again.view.horizontalHeader().logicalIndex(0) == 2
    add_recent(settings, DEMO_PLAN)
    add_recent(settings, str(tmp_path / "other.json"))
    add_recent(settings, DEMO_PLAN)
    assert recent_files(settings)[0].endswith("plan.json")
    assert len(recent_files(settings)) == 2
