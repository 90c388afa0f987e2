"""`remainder PLAN --out FILE` through the command line on the sim (DESIGN §6)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from console.domain.plan import parse_plan_bytes
from tests.cli.helpers import DEMO_PLAN, DEMO_SCENARIO, DEMO_TARGETS, cli, write_json

D = Decimal
Capsys = pytest.CaptureFixture[str]


def _legs(preview: dict[str, object], side: str) -> dict[str, dict[str, object]]:
    return {leg["symbol"]: leg for leg in preview[side]}  # type: ignore[attr-defined,index]


def _partial_demo(capsys: Capsys, tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """The demo run (VTI fills half, the rest is canceled) on a persisted sim account."""
    state = tmp_path / "sim.json"
    run = cli(
        capsys, "run", "demo", "--yes", "--sim-state", state, "--journal", tmp_path / "j.db",
        "--format", "json",
    )  # fmt: skip
    assert run.code == 3 and run.json()["status"] == "partial"
    return state, run.json()


def test_remainder_of_the_partial_demo_run_trades_what_is_left(
    capsys: Capsys, tmp_path: Path
) -> None:
    state, run = _partial_demo(capsys, tmp_path)
    vti = next(leg for leg in run["legs"] if leg["symbol"] == "VTI")  # type: ignore[attr-defined]
    assert vti["status"] == "canceled" and D(vti["filled_qty"]) > 0
    out = tmp_path / "rem.json"
    result = cli(capsys, "remainder", "demo", "--out", out, "--sim-state", state)
    assert result.code == 0, result.err
    assert str(out) in result.out
    doc = json.loads(out.read_text())
    assert re.fullmatch(r"rebal-2025-06-13-core-growth-rem-\d{8}T\d{4}", doc["plan_id"])
    assert doc["schema_version"] == "1.0"
    assert all(isinstance(i["trade_amount"], str) for i in doc["items"])
    loaded = parse_plan_bytes(str(out), out.read_bytes())  # an ordinary plan for the loader
    assert loaded.digest != parse_plan_bytes("demo", DEMO_PLAN.read_bytes()).digest
    # the same symbols as the demo plan, nothing else
    demo = json.loads(DEMO_PLAN.read_text())
    assert [i["symbol"] for i in doc["items"]] == [i["symbol"] for i in demo["items"]]

    preview = cli(capsys, "preview", out, "--sim-state", state, "--format", "json").json()
    assert preview["plan_digest"] == loaded.digest
    sells, buys = _legs(preview, "sell"), _legs(preview, "buy")
    held_vti = D(300) - D(vti["filled_qty"])
    target_vti = D(demo["items"][8]["target_weight"]) * D(preview["account"]["equity"]) * D("0.99")
    rest = held_vti * D("268.30") - target_vti  # current value at the mid minus the target
    assert set(sells) == {"VTI"}
    assert abs(D(sells["VTI"]["planned_amount"]) - rest) < 5  # equity is rounded to cents
    # the buys are sized from the account now: what the scaled-down buys left short
    assert buys and all(D(leg["planned_amount"]) > 0 for leg in buys.values())
    assert "VXUS" in buys and D(buys["VXUS"]["planned_amount"]) < D("19850.34") / 2
    # XOM (target 0) was sold in full: no liquidation left, a hold
    assert "XOM" in preview["holds"] and "XOM" not in sells
    assert "remainder" in out.read_text()  # metadata names the plan it continues

    # running the remainder works; it is a new plan with attempt 1
    second = cli(
        capsys, "run", out, "--yes", "--sim-state", state, "--journal", tmp_path / "j.db",
        "--format", "json",
    )  # fmt: skip
    assert second.code in (0, 3), second.err
    legs = {(leg["symbol"], leg["side"]): leg for leg in second.json()["legs"]}
    assert set(legs) == {("VTI", "sell")} | {(s, "buy") for s in buys}
    assert legs[("VXUS", "buy")]["status"] == "filled"
    assert "-1-s-VTI" in legs[("VTI", "sell")]["client_order_id"]


def test_symbols_outside_the_plan_are_left_alone(capsys: Capsys, tmp_path: Path) -> None:
    scenario = json.loads(DEMO_SCENARIO.read_text())
    scenario["positions"]["IBM"] = "100"  # held, not in the plan
    scenario["quotes"]["IBM"] = {"bid": "200", "ask": "200.2"}
    path = write_json(tmp_path / "scenario.json", scenario)
    out = tmp_path / "rem.json"
    assert cli(capsys, "remainder", "demo", "--out", out, "--scenario", path).code == 0
    doc = json.loads(out.read_text())
    assert "IBM" not in {i["symbol"] for i in doc["items"]}
    preview = cli(capsys, "preview", out, "--scenario", path, "--format", "json").json()
    assert "IBM" not in _legs(preview, "sell") and "IBM" not in preview["holds"]
    # before any run the remainder is the whole plan again, sized against the account now
    assert {"VTI", "XOM"} <= set(_legs(preview, "sell"))


def test_a_zero_target_item_is_a_liquidation_only_while_held(
    capsys: Capsys, tmp_path: Path
) -> None:
    scenario = json.loads(DEMO_SCENARIO.read_text())
    del scenario["positions"]["XOM"]
    path = write_json(tmp_path / "scenario.json", scenario)
    out = tmp_path / "rem.json"
    assert cli(capsys, "remainder", DEMO_PLAN, "--out", out, "--scenario", path).code == 0
    xom = next(i for i in json.loads(out.read_text())["items"] if i["symbol"] == "XOM")
    assert xom["action"] == "HOLD" and D(xom["trade_amount"]) == 0
    held = tmp_path / "held.json"
    assert cli(capsys, "remainder", DEMO_PLAN, "--out", held).code == 0
    xom = next(i for i in json.loads(held.read_text())["items"] if i["symbol"] == "XOM")
    assert xom["action"] == "SELL" and D(xom["trade_amount"]) == D("-12451.99")


def test_an_existing_file_is_not_overwritten_without_force(capsys: Capsys, tmp_path: Path) -> None:
    out = tmp_path / "rem.json"
    out.write_text("keep me")
    refused = cli(capsys, "remainder", "demo", "--out", out)
    assert refused.code == 2 and str(out) in refused.err and "--out" in refused.err
    assert out.read_text() == "keep me"
    assert cli(capsys, "remainder", "demo", "--out", out, "--force").code == 0
    assert json.loads(out.read_text())["schema_version"] == "1.0"
    empty = tmp_path / "empty.json"
    empty.write_text("")
    assert cli(capsys, "remainder", "demo", "--out", empty).code == 0


def test_bad_input_names_the_file_and_field(capsys: Capsys, tmp_path: Path) -> None:
    bad = write_json(tmp_path / "bad.json", {"schema_version": "1.0"})
    result = cli(capsys, "remainder", bad, "--out", tmp_path / "x.json")
    assert result.code == 2 and "bad.json" in result.err and "plan_id" in result.err
    assert "Traceback" not in result.err and not (tmp_path / "x.json").exists()
    missing = cli(capsys, "remainder", "demo", "--out", tmp_path / "no" / "x.json")
    assert missing.code == 2 and "--out" in missing.err
    usage = cli(capsys, "remainder", "demo")
    assert usage.code == 2 and "--out" in usage.err


def test_a_targets_file_remainder_keeps_the_targets_rule(capsys: Capsys, tmp_path: Path) -> None:
    out = tmp_path / "rem.json"
    assert cli(capsys, "remainder", DEMO_TARGETS, "--out", out).code == 0
    doc = json.loads(out.read_text())
    assert re.fullmatch(r"targets-[0-9a-f]{8}-rem-\d{8}T\d{4}", doc["plan_id"])


def test_help_lists_remainder(capsys: Capsys) -> None:
    listing = cli(capsys, "--help").out
    assert re.search(r"remainder\s+after a partial or halted run", listing)
