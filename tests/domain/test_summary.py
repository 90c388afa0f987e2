"""The end-of-run summary: "planned" is always the approved amount; funding is its own figure."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from console.domain.columns import SUMMARY
from console.domain.orders import Side
from console.domain.summary import compute_summary
from tests.engine.harness import Harness, execute, scenario


def test_a_rescaled_buy_keeps_its_approved_amount_as_planned(tmp_path: Path) -> None:
    # AAPL sells only half: the buys are scaled down between the phases.
    h = Harness(tmp_path, scenario_doc=scenario(fills={"partial": ["AAPL"]}))
    state = execute(h.run())
    summary = compute_summary(state)
    buys = [row for row in summary.rows if row.side is Side.BUY]
    legs = {leg.client_order_id: leg for leg in state.legs}
    assert state.recomputed is not None and state.recomputed.scale < 1
    for row in buys:
        leg = legs[row.client_order_id]
        assert row.planned_amount == leg.planned_amount  # what the operator approved
        assert row.scaled_amount == leg.scaled_amount < leg.planned_amount
    header = SUMMARY.csv_header()
    assert "planned_amount" in header and "scaled_amount" in header
    csv_row = dict(zip(header, SUMMARY.csv_rows([buys[0]])[0], strict=True))
    assert Decimal(csv_row["planned_amount"]) == buys[0].planned_amount
