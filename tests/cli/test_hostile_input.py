"""Hostile input is exit 2 naming the file and field, never a traceback (issue 10, DESIGN §2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.helpers import DEMO_PLAN, DEMO_SCENARIO, Result, cli

Doc = dict[str, Any]


def plan_doc() -> Doc:
    doc: Doc = json.loads(DEMO_PLAN.read_text())
    return doc


def index_of(doc: Doc, action: str) -> int:
    return next(i for i, item in enumerate(doc["items"]) if item["action"].upper() == action)


def preview(capsys: pytest.CaptureFixture[str], path: Path, *extra: str | Path) -> Result:
    return cli(capsys, "preview", path, "--format", "json", *extra)


def refused(result: Result, *words: str) -> None:
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err
    assert result.out == ""
    for word in words:
        assert word in result.err


def write_plan(tmp_path: Path, doc: Doc, name: str = "plan.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# -- decimals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [
        ("HOLD", "trade_amount", "1E+1000000"),  # decimal.Overflow on a HOLD today
        ("SELL", "trade_amount", "-1E+400"),  # InvalidOperation today
        ("BUY", "trade_amount", "1E+15"),
        ("BUY", "target_value", "9E+999999"),
        ("BUY", "current_weight", "1E-1000000"),
        ("SELL", "weight_diff", "-1E+1000000"),
        ("HOLD", "priority", "1E+1000000"),
    ],
)
def test_out_of_range_decimals_name_the_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    action: str,
    field: str,
    value: str,
) -> None:
    doc = plan_doc()
    index = index_of(doc, action)
    doc["items"][index][field] = value
    refused(preview(capsys, write_plan(tmp_path, doc)), f"items[{index}].{field}")


def test_out_of_range_json_numbers_are_refused_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = plan_doc()
    index = index_of(doc, "HOLD")
    text = json.dumps(doc).replace(
        '"total_trade_value": ', '"total_trade_value": 1E+1000000, "x": '
    )
    path = tmp_path / "plan.json"
    path.write_text(text)
    refused(preview(capsys, path), "total_trade_value")
    doc["items"][index]["trade_amount"] = "__N__"
    path.write_text(json.dumps(doc).replace('"__N__"', "1E+1000000"))
    refused(preview(capsys, path), f"items[{index}].trade_amount")


def test_metadata_numbers_cannot_overflow_the_digest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = plan_doc()
    doc["metadata"] = {"note": "__N__"}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc).replace('"__N__"', "1E+1000000"))
    refused(preview(capsys, path), "metadata")


def test_real_producer_decimals_still_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = plan_doc()
    hold = index_of(doc, "HOLD")
    doc["items"][hold]["trade_amount"] = "0E-10"
    doc["items"][hold]["current_weight"] = "1.631183031914913770169642438E-8"
    doc["total_trade_value"] = "0E+5"
    assert preview(capsys, write_plan(tmp_path, doc)).code == 0


# -- nesting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [100, 1000, 100_000])
def test_deeply_nested_json_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], depth: int
) -> None:
    text = json.dumps(plan_doc())
    path = tmp_path / "plan.json"
    path.write_text(text[:-1] + ', "metadata": {"x": ' + "[" * depth + "]" * depth + "}}")
    refused(preview(capsys, path), "nested deeper than 64")


def test_a_deeply_nested_document_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"a": ' * 1000 + "1" + "}" * 1000)
    refused(preview(capsys, path), "nested deeper than 64")


def test_a_key_written_twice_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # json would keep the last value silently: a money field written twice is an error.
    text = json.dumps(plan_doc())
    amount = f'"trade_amount": {json.dumps(plan_doc()["items"][0]["trade_amount"])}'
    assert amount in text
    path = tmp_path / "plan.json"
    path.write_text(text.replace(amount, '"trade_amount": "60.00", ' + amount, 1))
    refused(preview(capsys, path), "items[0].trade_amount", "more than once")
    path.write_text(text.replace('"plan_id":', '"plan_id": "other", "plan_id":', 1))
    refused(preview(capsys, path), "plan_id", "more than once")


# -- Unicode -----------------------------------------------------------------------------------


def test_a_lone_surrogate_is_invalid_unicode_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = plan_doc()
    doc["plan_id"] = "plan-\ud800"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))  # ensure_ascii: written as the escape \ud800
    refused(preview(capsys, path), "invalid Unicode", "plan_id")


def test_a_surrogate_pair_escape_is_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = plan_doc()
    doc["plan_id"] = "plan-\U0001f600"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))  # written as \ud83d\ude00
    result = preview(capsys, path)
    assert result.code == 0, result.err
    assert result.json()["plan_id"] == "plan-\U0001f600"


@pytest.mark.parametrize("name", ["plan.json", "targets.csv"])
def test_invalid_utf8_bytes_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    path = tmp_path / name
    if name.endswith(".csv"):
        path.write_bytes(b"symbol,target_weight\nAAPL\xff,0.5\n")
    else:
        path.write_bytes(json.dumps(plan_doc()).encode()[:40] + b"\xed\xa0\x80" + b'"}')
    refused(preview(capsys, path), "not UTF-8")


# -- symbols as written -----------------------------------------------------------------------


@pytest.mark.parametrize("symbol", ["ıbm", "ſpy", "ﬁx", "ＡＡＰＬ", "AAPL\u0130"])
def test_plan_symbols_are_validated_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], symbol: str
) -> None:
    doc = plan_doc()
    doc["items"][0]["symbol"] = symbol
    refused(preview(capsys, write_plan(tmp_path, doc)), "items[0].symbol", "ASCII")


@pytest.mark.parametrize("symbol", ["ıbm", "ſpy", "ﬁx"])
def test_targets_symbols_are_validated_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], symbol: str
) -> None:
    path = tmp_path / "targets.csv"
    path.write_text(f"symbol,target_weight\n{symbol},0.5\n", encoding="utf-8")
    refused(preview(capsys, path), "line 2.symbol")


def test_lower_case_ascii_symbols_are_still_upper_cased(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = plan_doc()
    doc["items"][0]["symbol"] = doc["items"][0]["symbol"].lower()
    result = preview(capsys, write_plan(tmp_path, doc))
    assert result.code == 0, result.err
    symbols = [leg["symbol"] for leg in result.json()["sell"] + result.json()["buy"]]
    assert doc["items"][0]["symbol"].upper() in symbols + result.json()["holds"]


@pytest.mark.parametrize("weight", ["1E+1000000", "1E-1000000", "-1E+400"])
def test_targets_weights_out_of_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], weight: str
) -> None:
    path = tmp_path / "targets.csv"
    path.write_text(f"symbol,target_weight\nAAPL,{weight}\n")
    refused(preview(capsys, path), "line 2.target_weight")


# -- config TOML -------------------------------------------------------------------------------


def test_a_bom_is_accepted_in_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b"\xef\xbb\xbfmin_trade_pct = 0.02\n")
    result = preview(capsys, DEMO_PLAN, "--config", config)
    assert result.code == 0, result.err


@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 1000 + "]" * 1000 + "\n",
        "a = " + "{b = " * 1000 + "1" + "}" * 1000 + "\n",
        "a = " + "[" * 70 + "]" * 70 + "\n",
    ],
)
def test_deeply_nested_toml_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text)
    refused(preview(capsys, DEMO_PLAN, "--config", config), "nested deeper than 64")


def test_brackets_in_toml_strings_and_comments_do_not_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('min_notional = "1.00" # ' + "[" * 100 + "\n")
    assert preview(capsys, DEMO_PLAN, "--config", config).code == 0


@pytest.mark.parametrize(
    "line", ["max_order_notional = 1E+1000000", 'max_order_notional = "1E+1000000"']
)
def test_toml_numbers_out_of_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(line + "\n")
    refused(preview(capsys, DEMO_PLAN, "--config", config), "max_order_notional")


def test_invalid_utf8_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b"min_notional = '\xff'\n")
    refused(preview(capsys, DEMO_PLAN, "--config", config), "not UTF-8")


# -- scenario JSON -----------------------------------------------------------------------------


def scenario(tmp_path: Path, mutate: Any) -> Path:
    doc = json.loads(DEMO_SCENARIO.read_text())
    text = mutate(doc)
    path = tmp_path / "scenario.json"
    path.write_text(text if isinstance(text, str) else json.dumps(doc))
    return path


def test_scenario_cash_out_of_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario(tmp_path, lambda d: d.update(cash="1E+1000000"))
    refused(preview(capsys, DEMO_PLAN, "--scenario", path), "scenario.json", "cash")


def test_scenario_quote_out_of_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def mutate(doc: Doc) -> None:
        symbol = next(iter(doc["quotes"]))
        doc["quotes"][symbol]["bid"] = "-1E+400"

    refused(preview(capsys, DEMO_PLAN, "--scenario", scenario(tmp_path, mutate)), "quotes.")


def test_scenario_nesting_and_unicode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = scenario(
        tmp_path, lambda d: json.dumps(d)[:-1] + ', "_x": ' + "[" * 1000 + "]" * 1000 + "}"
    )
    refused(preview(capsys, DEMO_PLAN, "--scenario", deep), "nested deeper than 64")
    lone = scenario(tmp_path, lambda d: d.update(account_id="\ud800"))
    refused(preview(capsys, DEMO_PLAN, "--scenario", lone), "invalid Unicode", "account_id")


def test_an_integer_of_5000_digits_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = plan_doc()
    doc["items"][0]["priority"] = "__N__"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc).replace('"__N__"', "9" * 5000))
    refused(preview(capsys, path), "over 4,300 digits")
