"""The command-line contract of DESIGN §6: outputs, exit codes, refusals, replay, verify."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.helpers import DEMO_PLAN, DEMO_SCENARIO, DEMO_TARGETS, cli, write_json

LEG_KEYS = {
    "symbol",
    "side",
    "planned_amount",
    "scaled_amount",
    "price",
    "order",
    "est_qty",
    "est_notional",
    "status",
    "reason",
    "notes",
    "client_order_id",
}
RUN_LEG_KEYS = {
    "client_order_id",
    "symbol",
    "side",
    "planned_amount",
    "order",
    "status",
    "reason",
    "filled_qty",
    "filled_avg_price",
    "filled_notional",
}


def _clean_scenario(tmp_path: Path) -> Path:
    doc = json.loads(DEMO_SCENARIO.read_text())
    doc["fills"]["partial"] = []
    return write_json(tmp_path / "clean.json", doc)


def test_preview_json_matches_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "preview", DEMO_PLAN, "--format", "json")
    assert result.code == 0, result.err
    data = result.json()
    assert set(data) == {
        "plan_id",
        "plan_digest",
        "preview_digest",
        "account",
        "sell",
        "buy",
        "holds",
        "funding",
        "problems",
    }
    assert set(data["account"]) == {"equity", "cash", "buying_power"}
    assert all(Decimal(v) == Decimal(v).quantize(Decimal("0.01")) for v in data["account"].values())
    assert set(data["funding"]) == {
        "buying_power",
        "cash",
        "spendable",
        "expected_sell_proceeds",
        "reserve",
        "available_for_buys",
        "planned_buys",
        "scale",
    }
    for leg in data["sell"] + data["buy"]:
        assert set(leg) == LEG_KEYS
        assert leg["status"] in ("ready", "skipped", "blocked")
        for key in ("planned_amount", "scaled_amount", "price", "est_qty", "est_notional"):
            assert leg[key] is None or isinstance(leg[key], str)
        assert leg["client_order_id"].startswith(f"pc-{data['plan_digest'][:12]}-1-")
        assert len(leg["client_order_id"]) <= 48
    assert all(set(p) == {"code", "symbol", "message"} for p in data["problems"])
    assert {"below_min_notional"} <= {p["code"] for p in data["problems"]}


def test_preview_table_fits_100_columns(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "preview", DEMO_PLAN)
    assert result.code == 0
    assert max(len(line) for line in result.out.splitlines()) <= 100
    assert "SELL PHASE" in result.out and "FUNDING" in result.out


def test_targets_csv_previews_against_the_account(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "preview", DEMO_TARGETS, "--format", "json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["plan_id"].startswith("targets-")
    assert any("liquidation" in leg["notes"] for leg in data["sell"])


def test_run_refuse_new_attempt_verify_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "j.sqlite"
    first = cli(capsys, "run", DEMO_PLAN, "--yes", "--journal", journal, "--format", "json")
    assert first.code == 3, first.err  # the demo's VTI sell fills half: partial
    run = first.json()
    assert run["status"] == "partial"
    assert {leg["status"] for leg in run["legs"]} <= {"filled", "canceled", "skipped"}
    assert all(set(leg) == RUN_LEG_KEYS for leg in run["legs"])
    assert run["broker_requests"]["submit"] == sum(
        1 for leg in run["legs"] if leg["status"] != "skipped"
    )
    assert Decimal(run["sell_proceeds"]) == sum(
        Decimal(x["filled_notional"]) for x in run["legs"] if x["side"] == "sell"
    )

    again = cli(capsys, "run", DEMO_PLAN, "--yes", "--journal", journal)
    assert again.code == 4 and "already executed" in again.err

    second = cli(
        capsys, "run", DEMO_PLAN, "--yes", "--journal", journal, "--new-attempt", "--format", "json"
    )
    assert second.code == 3
    assert all("-2-" in leg["client_order_id"] for leg in second.json()["legs"])

    assert cli(capsys, "journal", "verify", journal).code == 0
    replay = cli(capsys, "replay", journal, "--format", "json").json()
    for key in ("run_id", "status", "legs", "sell_proceeds", "buy_spent"):
        assert replay[key] == second.json()[key]
    assert replay["at_seq"] == replay["last_seq"]
    earlier = cli(capsys, "replay", journal, "--run", run["run_id"], "--format", "json").json()
    assert earlier["legs"] == run["legs"]

    runs = cli(capsys, "journal", "runs", journal, "--format", "json").json()
    assert [r["attempt"] for r in runs] == [1, 2] and [r["status"] for r in runs] == [
        "partial",
        "partial",
    ]
    table = cli(capsys, "journal", "runs", journal).out.splitlines()
    assert table[0].split()[:3] == ["Run", "id", "Plan"] and len(table) == 2 + len(runs)
    for line, listed in zip(table[2:], runs, strict=True):
        assert line.split()[:3] == [listed["run_id"], listed["plan_id"], str(listed["attempt"])]
        assert "partial" in line.split()


def test_tampered_payload_is_caught_at_its_seq(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "j.sqlite"
    assert (
        cli(
            capsys,
            "run",
            DEMO_PLAN,
            "--yes",
            "--journal",
            journal,
            "--scenario",
            _clean_scenario(tmp_path),
        ).code
        == 0
    )
    with sqlite3.connect(journal) as db:
        seq, payload = db.execute(
            "SELECT seq, payload FROM events WHERE kind='order_update' LIMIT 1"
        ).fetchone()
        db.execute(
            "UPDATE events SET payload=? WHERE seq=?", (payload.replace("filled", "fillet", 1), seq)
        )
    result = cli(capsys, "journal", "verify", journal)
    assert result.code == 2 and f"seq {seq}" in result.err
    replay = cli(capsys, "replay", journal, "--format", "json")
    assert replay.code == 2 and f"seq {seq}" in replay.err and "Traceback" not in replay.err


def test_run_without_yes_is_refused_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "j.sqlite"
    result = cli(capsys, "run", DEMO_PLAN, "--journal", journal)
    assert result.code == 4 and "approval missing" in result.err
    assert not journal.exists()


def test_succeeded_run_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(
        capsys,
        "run",
        DEMO_PLAN,
        "--yes",
        "--journal",
        tmp_path / "j.sqlite",
        "--scenario",
        _clean_scenario(tmp_path),
        "--format",
        "json",
    )
    assert result.code == 0 and result.json()["status"] == "succeeded"


def test_replay_at_every_seq_and_bounds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    journal = tmp_path / "j.sqlite"
    cli(capsys, "run", DEMO_PLAN, "--yes", "--journal", journal)
    last = cli(capsys, "replay", journal, "--format", "json").json()
    first_seq = 1
    start = cli(capsys, "replay", journal, "--at", str(first_seq), "--format", "json").json()
    assert start["status"] == "running" and start["at_seq"] == 1
    assert {leg["status"] for leg in start["legs"]} <= {"pending", "skipped", "blocked"}
    mid = cli(
        capsys, "replay", journal, "--at", str(last["last_seq"] // 2), "--format", "json"
    ).json()
    assert mid["at_seq"] == last["last_seq"] // 2
    cli(capsys, "run", DEMO_PLAN, "--yes", "--journal", journal, "--new-attempt")
    second_first = last["last_seq"] + 1
    result = cli(capsys, "replay", journal, "--at", str(second_first - 1), "--format", "json")
    assert result.code == 2 and "--at" in result.err
    assert cli(capsys, "replay", journal, "--run", "nope").code == 2
    huge = cli(capsys, "replay", journal, "--at", "9" * 30)  # beyond SQLite's INTEGER
    assert huge.code == 2 and "--at" in huge.err and "Traceback" not in huge.err
    last_possible = cli(capsys, "replay", journal, "--at", str(2**63 - 1), "--format", "json")
    assert last_possible.code == 0
    assert last_possible.json()["at_seq"] == last_possible.json()["last_seq"]


def test_an_emulator_port_out_of_range_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = cli(capsys, "emulator", "--port", "99999999")
    assert result.code == 2 and "--port" in result.err and "Traceback" not in result.err


def test_schema_prints_a_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "schema")
    assert result.code == 0 and result.json()["title"] == "RebalancePlan"


def test_config_file_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.toml"
    good.write_text("min_notional = 0.5\nbuy_reserve_pct = '0.001'\n")
    data = cli(capsys, "preview", DEMO_PLAN, "--config", good, "--format", "json").json()
    ko = next(leg for leg in data["buy"] if leg["symbol"] == "KO")
    assert ko["status"] == "ready" and Decimal(data["funding"]["reserve"]) > 0
    bad_key = tmp_path / "bad.toml"
    bad_key.write_text("min_notionl = 1\n")
    result = cli(capsys, "preview", DEMO_PLAN, "--config", bad_key)
    assert result.code == 2 and "min_notionl" in result.err and str(bad_key) in result.err
    bad_value = tmp_path / "bad2.toml"
    bad_value.write_text("max_order_pct_of_equity = 'lots'\n")
    result = cli(capsys, "preview", DEMO_PLAN, "--config", bad_value)
    assert result.code == 2 and "max_order_pct_of_equity" in result.err
    # Bounds and non-numbers in plain words, not a validator's or Python's.
    for text, said in (
        ("min_notional = -1\n", "min_notional: must be >= 0, got -1"),
        ("phase_timeout_seconds = -5\n", "phase_timeout_seconds: must be > 0, got -5"),
        ("min_notional = nan\n", "min_notional: not a finite number: NaN"),
    ):
        bad_value.write_text(text)
        result = cli(capsys, "preview", DEMO_PLAN, "--config", bad_value)
        assert result.code == 2 and said in result.err, result.err


def test_a_file_that_is_not_a_sim_state_is_refused_naming_the_missing_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"cash": "1"}')
    journal = tmp_path / "j.sqlite"
    result = cli(capsys, "run", DEMO_PLAN, "--yes", "--sim-state", state, "--journal", journal)
    assert result.code == 2, result.err
    assert f"{state}: unreadable sim state: 'exchange' is missing" in result.err
    assert not journal.exists()


def test_unknown_subcommand_option_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "preview", DEMO_PLAN, "--frobnicate").code == 2
    assert cli(capsys, "replay").code == 2
