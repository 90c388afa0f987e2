"""Bad input: exit 2 naming the file and the field, no traceback, no run journaled, no order."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from console.journal.store import SqliteJournal
from tests.cli.helpers import DEMO_PLAN, DEMO_SCENARIO, cli
from tests.domain.factories import item, plan_doc


def _demo() -> dict:
    return json.loads(DEMO_PLAN.read_text())


def _write(tmp: Path, name: str, data: bytes | str) -> Path:
    path = tmp / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _mutated(change: Callable[[dict], None]) -> str:
    doc = _demo()
    change(doc)
    return json.dumps(doc)


def _set_item(index: int, key: str, value: object) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        doc["items"][index][key] = value

    return change


def _first(doc: dict, action: str) -> int:
    return next(i for i, it in enumerate(doc["items"]) if it["action"].upper() == action)


BUY = _first(_demo(), "BUY")
SELL = _first(_demo(), "SELL")

CASES: dict[str, tuple[str, bytes | str, str]] = {
    "invalid_json": ("plan.json", '{"schema_version": "1.0", "items": [}', "line 1 column"),
    "empty": ("plan.json", b"", "empty"),
    "non_utf8": ("plan.json", b'{"plan_id": "caf\xe9"}', "UTF-8"),
    "nan": (
        "plan.json",
        _mutated(_set_item(BUY, "trade_amount", "NaN")),
        f"items[{BUY}].trade_amount",
    ),
    "duplicate_symbol": (
        "plan.json",
        _mutated(lambda d: d["items"].append(dict(d["items"][BUY]))),
        ".symbol",
    ),
    "buy_negative": (
        "plan.json",
        _mutated(_set_item(BUY, "trade_amount", "-10")),
        f"items[{BUY}].trade_amount",
    ),
    "sell_positive": (
        "plan.json",
        _mutated(_set_item(SELL, "trade_amount", "10")),
        f"items[{SELL}].trade_amount",
    ),
    "weight_above_one": (
        "plan.json",
        _mutated(_set_item(BUY, "target_weight", "1.5")),
        f"items[{BUY}].target_weight",
    ),
    "naive_timestamp": (
        "plan.json",
        _mutated(lambda d: d.update(timestamp="2026-11-24T10:00:00")),
        "timestamp",
    ),
    "wrong_major": (
        "plan.json",
        _mutated(lambda d: d.update(schema_version="2.0")),
        "schema_version",
    ),
    "targets_sum_above_one": (
        "targets.csv",
        "symbol,target_weight\nAAPL,0.6\nMSFT,0.5\n",
        "target_weight",
    ),
    "targets_bad_weight": (
        "targets.csv",
        "symbol,target_weight\nAAPL,abc\n",
        "line 2.target_weight",
    ),
    "targets_bad_header": ("targets.csv", "ticker,weight\nAAPL,0.5\n", "header"),
}


@pytest.mark.parametrize("command", ["preview", "run"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_plan_exits_2_names_file_and_field(
    case: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, data, field = CASES[case]
    path = _write(tmp_path, name, data)
    journal = tmp_path / "j.sqlite"
    args = [command, path, "--journal", journal] + (["--yes"] if command == "run" else [])
    result = cli(capsys, *args)
    assert result.code == 2, result.err
    assert str(path) in result.err and field in result.err
    assert "Traceback" not in result.err + result.out
    assert result.out == ""
    assert not journal.exists() or not SqliteJournal(str(journal), read_only=True).runs()


def test_fifty_megabyte_file_is_refused_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = cli(capsys, "run", path, "--yes", "--journal", tmp_path / "j.sqlite")
    assert result.code == 2 and str(path) in result.err and "refused" in result.err
    assert not (tmp_path / "j.sqlite").exists()


def test_missing_plan_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "preview", tmp_path / "nope.json")
    assert result.code == 2 and "nope.json" in result.err


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(cash="-5"), "cash"),
        (lambda d: d["quotes"]["AAPL"].update(bid="NaN"), "quotes.AAPL.bid"),
        (lambda d: d.update(market_open="yes"), "market_open"),
        (lambda d: d.update(surprise=1), "surprise"),
        (lambda d: d["fills"].update(latency_ms=-1), "fills.latency_ms"),
    ],
)
def test_invalid_scenario_exits_2(
    change: Callable[[dict], None], field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(DEMO_SCENARIO.read_text())
    change(doc)
    scenario = _write(tmp_path, "scenario.json", json.dumps(doc))
    journal = tmp_path / "j.sqlite"
    result = cli(capsys, "run", DEMO_PLAN, "--yes", "--scenario", scenario, "--journal", journal)
    assert result.code == 2, result.err
    assert str(scenario) in result.err and field in result.err and "Traceback" not in result.err
    assert not journal.exists()


def test_scenario_that_is_not_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = _write(tmp_path, "scenario.json", "cash: 5")
    result = cli(capsys, "preview", DEMO_PLAN, "--scenario", scenario)
    assert result.code == 2 and str(scenario) in result.err


def test_targets_with_unpriced_holding_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = _write(
        tmp_path,
        "s.json",
        json.dumps(
            {
                "cash": "100",
                "positions": {"GHOST": "3"},
                "quotes": {"AAPL": {"bid": "1", "ask": "1"}},
            }
        ),
    )
    targets = _write(tmp_path, "t.csv", "symbol,target_weight\nAAPL,0.5\n")
    result = cli(
        capsys, "run", targets, "--yes", "--scenario", scenario, "--journal", tmp_path / "j.sqlite"
    )
    assert result.code == 2 and "GHOST" in result.err and str(targets) in result.err
    assert not (tmp_path / "j.sqlite").exists()


def test_plan_with_every_item_blocked_still_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "p.json", json.dumps(plan_doc(item("NOPE", "BUY", "10"))))
    result = cli(capsys, "preview", path, "--format", "json")
    assert result.code == 0 and result.json()["buy"][0]["reason"] == "not_tradable"
