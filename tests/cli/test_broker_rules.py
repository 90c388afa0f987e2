"""The broker's rules on the sim, through the command line: cash-only funding, the market and
account gates, trusted quotes, open orders, refusals read right (DESIGN §3, §4, §6)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.cli.helpers import REPO, Result, cli, write_json

D = Decimal


def _scenario(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "cash": "1000.00",
        "positions": {"BIG": "100", "AAA": "10"},
        "quotes": {
            "BIG": {"bid": "100.00", "ask": "100.02"},
            "AAA": {"bid": "50.00", "ask": "50.01"},
            "BUY1": {"bid": "20.00", "ask": "20.01"},
            "BUY2": {"bid": "40.00", "ask": "40.02"},
        },
        "fills": {"latency_ms": 5},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    return doc


def _item(symbol: str, action: str, amount: str, target: str = "0.1") -> dict[str, Any]:
    return {
        "symbol": symbol,
        "current_weight": "0.1",
        "target_weight": target,
        "weight_diff": "0",
        "target_value": "0",
        "current_value": "0",
        "trade_amount": amount,
        "action": action,
        "priority": 1,
    }


def _plan(*items: dict[str, Any], plan_id: str = "rules") -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "plan_id": plan_id,
        "correlation_id": "c",
        "causation_id": "c",
        "timestamp": "2026-12-01T14:00:00Z",
        "items": list(items),
        "total_portfolio_value": "11000",
        "total_trade_value": "0",
        "execution_urgency": "NORMAL",
        "estimated_duration_minutes": 5,
        "metadata": None,
    }


class Files:
    """A plan, a scenario and a journal in a temporary folder."""

    def __init__(self, tmp: Path, plan: dict[str, Any], scenario: dict[str, Any]) -> None:
        self.tmp = tmp
        self.plan = write_json(tmp / "plan.json", plan)
        self.scenario = write_json(tmp / "scenario.json", scenario)
        self.journal = tmp / "journal.sqlite"
        self.state = tmp / "sim-state.json"

    def preview(self, capsys: pytest.CaptureFixture[str], *extra: str | Path) -> Result:
        return cli(
            capsys, "preview", self.plan, "--scenario", self.scenario, "--format", "json", *extra
        )

    def run(self, capsys: pytest.CaptureFixture[str], *extra: str | Path) -> Result:
        return cli(
            capsys,
            "run",
            self.plan,
            "--yes",
            "--scenario",
            self.scenario,
            "--journal",
            self.journal,
            "--sim-state",
            self.state,
            "--format",
            "json",
            *extra,
        )

    def runs_in_journal(self) -> int:
        if not self.journal.exists():
            return 0
        with sqlite3.connect(self.journal) as conn:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM events WHERE kind = 'run_started'"
            ).fetchone()
        return int(count)

    def sim(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.state.read_text())
        return data["exchange"]


def _legs(result: Result) -> dict[str, dict[str, Any]]:
    data = result.json()
    return {
        leg["symbol"]: leg for leg in data.get("legs", data.get("sell", []) + data.get("buy", []))
    }


# -- cash-only funding --------------------------------------------------------------------


def test_margin_account_with_a_refused_sell_scales_buys_and_never_borrows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 2x margin: buying power 2,000 on 1,000 cash; the big sell is refused at submit.
    files = Files(
        tmp_path,
        _plan(
            _item("BIG", "SELL", "-9000"),
            _item("BUY1", "BUY", "6000"),
            _item("BUY2", "BUY", "4000"),
        ),
        _scenario(buying_power="2000.00", fills={"refuse": {"BIG": "insufficient qty available"}}),
    )
    config = tmp_path / "limits.toml"
    config.write_text("max_order_pct_of_equity = 1\n")
    preview = files.preview(capsys, "--config", config).json()
    assert preview["funding"]["cash"] == "1000.00"
    assert preview["funding"]["buying_power"] == "2000.00"
    assert preview["funding"]["spendable"] == "1000.00"  # min(cash, buying power)
    assert all(leg["status"] == "ready" for leg in preview["sell"] + preview["buy"])

    result = files.run(capsys, "--config", config)
    assert result.code == 3, result.err
    legs = _legs(result)
    assert legs["BIG"]["status"] == "rejected"
    assert "insufficient qty available" in legs["BIG"]["reason"]
    assert "40310000" in legs["BIG"]["reason"]
    spent = D(result.json()["buy_spent"])
    assert D(0) < spent <= D("1000.00")  # buys scaled to the cash, not to buying power
    assert D(files.sim()["cash"]) >= 0


def test_allow_margin_opts_into_buying_power(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = Files(
        tmp_path,
        _plan(_item("BUY1", "BUY", "1500")),
        _scenario(buying_power="2000.00"),
    )
    assert D(files.preview(capsys).json()["funding"]["scale"]) < 1
    config = tmp_path / "margin.toml"
    config.write_text("allow_margin = true\n")
    funding = files.preview(capsys, "--config", config).json()["funding"]
    assert funding["spendable"] == "2000.00" and funding["scale"] == "1"


def test_allow_margin_must_be_a_boolean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = Files(tmp_path, _plan(_item("BUY1", "BUY", "100")), _scenario())
    config = tmp_path / "bad.toml"
    config.write_text('allow_margin = "yes"\n')
    result = files.preview(capsys, "--config", config)
    assert result.code == 2 and "allow_margin" in result.err and "bad.toml" in result.err


# -- the market clock and the account -----------------------------------------------------


def test_closed_market_places_nothing_and_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = Files(
        tmp_path,
        _plan(_item("AAA", "SELL", "-100"), _item("BUY1", "BUY", "100")),
        _scenario(market_open=False, minutes_to_open=75),
    )
    problems = {p["code"]: p["message"] for p in files.preview(capsys).json()["problems"]}
    assert "market_closed" in problems and "opens at" in problems["market_closed"]
    result = files.run(capsys)
    assert result.code == 4
    assert "market is closed" in result.err and "1 h 15 min" in result.err
    assert not files.journal.exists()  # nothing journaled: not even an empty journal file
    assert files.sim()["orders"] == []


def test_near_the_close_is_refused_with_the_time_to_the_close(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = Files(tmp_path, _plan(_item("BUY1", "BUY", "100")), _scenario(minutes_to_close=7))
    problems = {p["code"] for p in files.preview(capsys).json()["problems"]}
    assert "near_close" in problems
    result = files.run(capsys)
    assert result.code == 4 and "closes at" in result.err and "min_minutes_to_close" in result.err
    assert files.runs_in_journal() == 0
    config = tmp_path / "late.toml"
    config.write_text("min_minutes_to_close = 5\n")
    assert files.run(capsys, "--config", config).code == 0


@pytest.mark.parametrize(
    ("account", "named"),
    [
        ({"status": "ACCOUNT_UPDATED"}, "ACCOUNT_UPDATED"),
        ({"trading_blocked": True}, "trading_blocked"),
        ({"account_blocked": True}, "account_blocked"),
        ({"trade_suspended_by_user": True}, "trade_suspended_by_user"),
    ],
)
def test_an_account_that_cannot_trade_is_a_problem_and_refuses_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], account: dict[str, Any], named: str
) -> None:
    files = Files(tmp_path, _plan(_item("BUY1", "BUY", "100")), _scenario(account=account))
    problems = {p["code"]: p["message"] for p in files.preview(capsys).json()["problems"]}
    assert named in problems["account_blocked"]
    result = files.run(capsys)
    assert result.code == 4 and named in result.err
    assert files.runs_in_journal() == 0


def test_market_closing_between_the_phases_halts_without_sending_buys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = Files(
        tmp_path,
        _plan(_item("AAA", "SELL", "-100"), _item("BUY1", "BUY", "100")),
        _scenario(faults={"close_after_fills": 1}),
    )
    result = files.run(capsys)
    assert result.code == 3, result.err
    data = result.json()
    assert data["status"] == "halted"
    legs = _legs(result)
    assert legs["AAA"]["status"] == "filled"
    assert legs["BUY1"]["status"] == "skipped" and legs["BUY1"]["reason"] == "halted"
    assert len(files.sim()["orders"]) == 1  # the buy was never sent


# -- quotes and open orders ---------------------------------------------------------------


def test_stale_and_wide_quotes_block_legs_but_liquidations_only_get_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = Files(
        tmp_path,
        _plan(
            _item("AAA", "SELL", "-100"),
            _item("BIG", "SELL", "-5000", target="0"),
            _item("BUY1", "BUY", "100"),
            _item("BUY2", "BUY", "100"),
        ),
        _scenario(
            quotes={
                "AAA": {"bid": "50.00", "ask": "50.01", "age_seconds": 61},
                "BIG": {"bid": "90.00", "ask": "110.00"},
                "BUY1": {"bid": "20.00", "ask": "20.01", "age_seconds": 600},
                "BUY2": {"bid": "40.00", "ask": "41.00"},
            }
        ),
    )
    legs = _legs(files.preview(capsys))
    assert (legs["AAA"]["status"], legs["AAA"]["reason"]) == ("blocked", "stale_quote")
    assert (legs["BUY1"]["status"], legs["BUY1"]["reason"]) == ("blocked", "stale_quote")
    assert (legs["BUY2"]["status"], legs["BUY2"]["reason"]) == ("blocked", "wide_spread")
    assert legs["BIG"]["status"] == "ready"  # a liquidation keeps its price, with the note
    assert legs["BIG"]["notes"] == ["liquidation", "wide_spread"]
    table = cli(capsys, "preview", files.plan, "--scenario", files.scenario).out
    assert "10 min" in table  # BUY1's quote age is shown


def test_a_quote_exactly_as_old_as_the_limit_is_still_fresh(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'Older than max_quote_age_seconds' is strict: 60 s old at the preview is trusted."""
    # The sim stamps each quote its age before the snapshot's clock: the boundary is exact.
    ages = {"AAA": "60", "BUY1": "59.999", "BUY2": "60.001", "BUY3": "60.05"}
    files = Files(
        tmp_path,
        _plan(
            _item("AAA", "SELL", "-100"),
            _item("BUY1", "BUY", "100"),
            _item("BUY2", "BUY", "100"),
            _item("BUY3", "BUY", "100"),
        ),
        _scenario(
            quotes={
                symbol: {"bid": "40.00", "ask": "40.02", "age_seconds": age}
                for symbol, age in ages.items()
            }
        ),
    )
    legs = _legs(files.preview(capsys))
    assert (legs["AAA"]["status"], legs["BUY1"]["status"]) == ("ready", "ready")
    for symbol in ("BUY2", "BUY3"):
        assert (legs[symbol]["status"], legs[symbol]["reason"]) == ("blocked", "stale_quote")


def test_legs_that_round_to_zero_show_a_plain_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """DESIGN §6: a sell that rounds to zero shows {"qty": "0"}, fractionable or not."""
    files = Files(
        tmp_path,
        _plan(_item("AAA", "SELL", "-0.00000001"), _item("BIG", "SELL", "-0.5")),
        _scenario(assets={"BIG": {"fractionable": False}}),
    )
    legs = _legs(files.preview(capsys))
    for symbol in ("AAA", "BIG"):
        assert legs[symbol]["order"] == {"qty": "0"}, legs[symbol]
        assert (legs[symbol]["est_qty"], legs[symbol]["reason"]) == ("0", "zero_qty_after_rounding")


def test_a_zero_position_in_the_scenario_makes_its_symbol_known(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """DESIGN §2.3: a symbol in `positions` is known (tradable), even at 0 shares."""
    files = Files(
        tmp_path,
        _plan(_item("ZED", "SELL", "-10"), _item("WHY", "BUY", "10")),
        _scenario(positions={"ZED": "0", "WHY": "0"}),
    )
    legs = _legs(files.preview(capsys))
    assert (legs["ZED"]["status"], legs["ZED"]["reason"]) == ("blocked", "no_position")
    assert (legs["WHY"]["status"], legs["WHY"]["reason"]) == ("blocked", "no_price")


def test_amounts_beyond_28_digits_are_carried_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """abs() and unary minus round to the default context's 28 digits; the preview must not."""
    exact = "10.123456789012345678901234567890123"
    files = Files(
        tmp_path, _plan(_item("AAA", "SELL", f"-{exact}"), _item("BUY1", "BUY", exact)), _scenario()
    )
    result = files.preview(capsys)
    legs = _legs(result)
    assert legs["AAA"]["planned_amount"] == legs["BUY1"]["planned_amount"] == exact
    assert result.json()["funding"]["planned_buys"] == exact


def test_a_foreign_open_order_blocks_its_symbol_on_both_sides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = Files(
        tmp_path,
        _plan(_item("AAA", "SELL", "-100"), _item("BUY1", "BUY", "100")),
        _scenario(
            open_orders=[
                {"symbol": "AAA", "side": "sell", "qty": "2"},
                {"symbol": "BUY1", "side": "buy", "notional": "50"},
            ]
        ),
    )
    legs = _legs(files.preview(capsys))
    assert (legs["AAA"]["status"], legs["AAA"]["reason"]) == ("blocked", "open_order")
    assert (legs["BUY1"]["status"], legs["BUY1"]["reason"]) == ("blocked", "open_order")


def test_an_open_sell_reserves_its_shares(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A liquidation of AAA beside a manual sell of 4: only 6 are available, Alpaca refuses 10.
    files = Files(
        tmp_path,
        _plan(_item("AAA", "SELL", "-500", target="0"), _item("BUY1", "BUY", "100")),
        _scenario(open_orders=[{"symbol": "AAA", "side": "sell", "qty": "4"}]),
    )
    legs = _legs(files.preview(capsys))
    assert legs["AAA"]["reason"] == "open_order"


# -- refusals -----------------------------------------------------------------------------


def test_wash_trade_refusal_is_rejected_at_once_with_the_brokers_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = Files(
        tmp_path,
        _plan(_item("AAA", "SELL", "-100"), _item("BUY1", "BUY", "100")),
        _scenario(fills={"refuse": {"AAA": "potential wash trade detected. use complex orders"}}),
    )
    started = time.monotonic()
    result = files.run(capsys, "--phase-timeout", "120")
    elapsed = time.monotonic() - started
    assert result.code == 3, result.err
    legs = _legs(result)
    assert legs["AAA"]["status"] == "rejected"
    assert "potential wash trade detected" in legs["AAA"]["reason"]
    assert "403" in legs["AAA"]["reason"] and "40310000" in legs["AAA"]["reason"]
    assert elapsed < 60  # not held until the 120 s phase timeout
    replay = cli(capsys, "replay", files.journal, "--format", "json").json()
    assert replay["legs"] == result.json()["legs"]


def test_pattern_day_trader_refusal_carries_its_own_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = "trade denied due to pattern day trading protection"
    files = Files(
        tmp_path,
        _plan(_item("BUY1", "BUY", "100")),
        _scenario(fills={"refuse": {"BUY1": message}}),
    )
    result = files.run(capsys)
    leg = _legs(result)["BUY1"]
    assert leg["status"] == "rejected" and message in leg["reason"] and "40310100" in leg["reason"]
    assert result.json()["status"] == "failed"


# -- outages, unfinished runs, one executor -----------------------------------------------


def test_three_503s_on_the_account_between_the_phases_do_not_end_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Account reads: the preview, the start gate; then three 503s between the phases.
    files = Files(
        tmp_path,
        _plan(_item("AAA", "SELL", "-100"), _item("BUY1", "BUY", "100")),
        _scenario(faults={"account_errors": 3, "account_errors_after": 2}),
    )
    result = files.run(capsys)
    assert result.code == 0, result.err
    assert result.json()["status"] == "succeeded"
    assert "Traceback" not in result.err


def test_a_cancel_that_fails_ends_unfinished_and_the_next_run_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stuck = _scenario(fills={"never_fill": ["AAA"]}, faults={"cancel_fail": ["AAA"]})
    files = Files(tmp_path, _plan(_item("AAA", "SELL", "-100"), _item("BUY1", "BUY", "100")), stuck)
    first = files.run(capsys, "--phase-timeout", "1")
    assert first.code == 3, first.err
    data = first.json()
    aaa = _legs(first)["AAA"]
    assert data["status"] == "unfinished"
    assert data["unfinished"]["orders"] == [aaa["client_order_id"]]
    assert aaa["client_order_id"] in first.err and "resume" in first.err
    assert _legs(first)["BUY1"]["status"] == "pending"  # never sent beside a working sell
    assert "Traceback" not in first.err

    replayed = cli(capsys, "replay", files.journal)
    assert "status UNFINISHED" in replayed.out and aaa["client_order_id"] in replayed.out
    runs = cli(capsys, "journal", "runs", files.journal, "--format", "json").json()
    assert [r["status"] for r in runs] == ["unfinished"]  # no process executes it now
    replay_json = cli(capsys, "replay", files.journal, "--format", "json").json()
    assert replay_json["status"] == "unfinished"
    # The journal says where the process stopped and why (run_unfinished), as `run` printed.
    assert replay_json["unfinished"] == data["unfinished"]

    # Resumes (not "already executed"); the table says what the JSON says.
    again = files.run(capsys, "--phase-timeout", "1", "--format", "table")
    assert again.code == 3
    assert f"Run {data['run_id']}" in again.out and "status UNFINISHED" in again.out

    # The broker lets the cancel through now: the same command finishes the run.
    write_json(files.scenario, _scenario(fills={"never_fill": ["AAA"]}))
    done = files.run(capsys, "--phase-timeout", "1")
    assert done.code == 3, done.err
    assert done.json()["run_id"] == data["run_id"]
    assert done.json()["status"] == "partial"
    assert _legs(done)["AAA"]["status"] == "canceled"
    assert _legs(done)["AAA"]["reason"] == "phase_timeout"
    client_ids = [o["client_order_id"] for o in files.sim()["orders"]]
    assert len(client_ids) == len(set(client_ids))  # never a second order
    assert files.runs_in_journal() == 1


def test_two_processes_started_together_run_the_plan_once(tmp_path: Path) -> None:
    files = Files(
        tmp_path,
        _plan(_item("AAA", "SELL", "-100"), _item("BUY1", "BUY", "100")),
        _scenario(fills={"never_fill": ["AAA"]}),
    )
    args = [
        sys.executable, "-m", "console.cli", "run", str(files.plan), "--yes",
        "--scenario", str(files.scenario), "--journal", str(files.journal),
        "--sim-state", str(files.state), "--phase-timeout", "3", "--format", "json",
    ]  # fmt: skip
    procs = [
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        for _ in range(2)
    ]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        outcomes.append((proc.returncode, out, err))
    codes = sorted(code for code, _, _ in outcomes)
    assert codes == [3, 4], outcomes
    refused = next(err for code, _, err in outcomes if code == 4)
    assert ("pid" in refused and "since" in refused) or "already executed" in refused
    assert "Traceback" not in refused
    assert files.runs_in_journal() == 1


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "1e999", "soon"])
@pytest.mark.parametrize("option", ["--phase-timeout", "--broker-timeout"])
def test_timeouts_on_the_command_line_must_be_finite_and_positive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    files = Files(tmp_path, _plan(_item("BUY1", "BUY", "100")), _scenario())
    result = files.run(capsys, option, value)
    assert result.code == 2 and option in result.err
    assert files.runs_in_journal() == 0
