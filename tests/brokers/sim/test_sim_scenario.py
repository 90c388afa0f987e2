"""Scenario parsing: defaults, exact decimals, and errors that name the file and the field."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from console.brokers.sim.exchange import Exchange
from console.brokers.sim.scenario import (
    MAX_SCENARIO_BYTES,
    Scenario,
    load_scenario,
    parse_scenario,
)
from console.domain.errors import InputError
from console.domain.market import Asset


def parse(text: str) -> object:
    return parse_scenario("scn.json", text.encode())


def error_of(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(InputError) as info:
        parse_scenario("scn.json", data)
    return str(info.value)


def test_defaults() -> None:
    scn = parse_scenario("scn.json", b'{"cash": "1000.50"}')
    assert scn.cash == Decimal("1000.50")
    assert scn.buying_power == Decimal("1000.50")
    assert scn.account_id == "SIM-000001"
    assert scn.positions == {}
    assert scn.market_open is True
    assert scn.fills.latency_ms == 20
    assert scn.fills.slippage_bps == 0
    assert scn.fills.partial == frozenset()
    assert scn.rate_limit_per_minute == 200
    assert scn.faults.rate_limit_burst == 0
    assert scn.faults.hang_seconds == 3600


def test_empty_object_is_an_empty_account() -> None:
    scn = parse_scenario("scn.json", b"{}")
    assert scn.cash == 0
    assert scn.buying_power == 0


def test_exact_decimals_from_numbers_and_strings() -> None:
    scn = parse_scenario(
        "scn.json",
        b'{"cash": 0.1, "buying_power": "2E+3", "positions": {"vti": 3.25},'
        b' "quotes": {"vti": {"bid": 250.10, "ask": "250.3000000000000000000000001"}},'
        b' "fills": {"slippage_bps": 2.5}}',
    )
    assert scn.cash == Decimal("0.1")
    assert str(scn.cash) == "0.1"
    assert scn.buying_power == Decimal("2000")
    assert scn.positions == {"VTI": Decimal("3.25")}
    assert scn.quotes["VTI"].ask == Decimal("250.3000000000000000000000001")
    assert scn.fills.slippage_bps == Decimal("2.5")


def test_symbols_are_upper_cased_everywhere() -> None:
    scn = parse_scenario(
        "scn.json",
        b'{"positions": {"aapl": "1"}, "quotes": {"brk.b": {"bid": "1"}},'
        b' "assets": {"xyz": {"tradable": false}},'
        b' "fills": {"partial": ["aapl"], "reject": ["xyz"], "never_fill": ["brk.b"]},'
        b' "faults": {"submit_timeout": ["aapl"], "fill_delay_ms": {"aapl": 500}}}',
    )
    assert set(scn.positions) == {"AAPL"}
    assert set(scn.quotes) == {"BRK.B"}
    assert scn.fills.partial == {"AAPL"}
    assert scn.fills.reject == {"XYZ"}
    assert scn.fills.never_fill == {"BRK.B"}
    assert scn.faults.submit_timeout == {"AAPL"}
    assert scn.faults.fill_delay_ms == {"AAPL": 500}


def test_quote_sides_may_be_missing_null_or_zero() -> None:
    scn = parse_scenario(
        "scn.json",
        b'{"quotes": {"A": {"bid": "10"}, "B": {"bid": null, "ask": "11"},'
        b' "C": {"bid": 0, "ask": 0}}}',
    )
    assert scn.quotes["A"].ask is None
    assert scn.quotes["B"].bid is None
    assert scn.quotes["C"].mid() is None


def test_a_zero_position_holds_nothing_but_makes_its_symbol_known() -> None:
    scn = parse_scenario("scn.json", b'{"positions": {"AAPL": "0", "VTI": "1"}}')
    assert scn.knows("AAPL") and scn.asset("AAPL") is not None
    assert Exchange(scn).positions() == {"VTI": Decimal("1")}


def test_assets_known_unknown_and_defaults() -> None:
    scn = parse_scenario(
        "scn.json",
        b'{"positions": {"AAPL": "1"}, "assets": {"XYZ": {"tradable": false},'
        b' "BRK.A": {"fractionable": false}}}',
    )
    assert scn.asset("AAPL") == Asset(symbol="AAPL")
    assert scn.asset("XYZ") == Asset(symbol="XYZ", tradable=False)
    assert scn.asset("BRK.A") == Asset(symbol="BRK.A", fractionable=False)
    assert scn.asset("NOPE") is None


def test_comment_keys_are_ignored() -> None:
    scn = parse_scenario(
        "scn.json", b'{"_note": 1, "description": "x", "name": "n", "comment": [], "cash": "1"}'
    )
    assert scn.cash == 1


def test_direct_construction_defaults_buying_power_to_cash() -> None:
    assert Scenario(cash=Decimal("12.5")).buying_power == Decimal("12.5")
    assert Scenario(cash=Decimal(5), buying_power=Decimal(9)).buying_power == 9


def test_scenario_is_frozen() -> None:
    scn = parse_scenario("scn.json", b'{"cash": "1"}')
    with pytest.raises(ValueError, match="frozen"):
        scn.cash = Decimal(2)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"cash": "-1"}', "scn.json: cash: must be >= 0"),
        ('{"cash": "1", "buying_power": "-0.01"}', "scn.json: buying_power: must be >= 0"),
        ('{"cash": true}', "scn.json: cash: expected a decimal number, got a boolean"),
        ('{"cash": {}}', "scn.json: cash: expected a decimal number, got an object"),
        ('{"cash": "abc"}', "scn.json: cash: not a decimal number"),
        ('{"cash": "NaN"}', "scn.json: cash: not a finite number"),
        ('{"bogus": 1}', "scn.json: bogus: unknown key"),
        ('{"quotes": {"AAPL": {"bid": "-1"}}}', "scn.json: quotes.AAPL.bid: must be >= 0"),
        ('{"quotes": {"AAPL": {"last": "1"}}}', "scn.json: quotes.AAPL.last: unknown key"),
        ('{"quotes": {"AAPL": 5}}', "scn.json: quotes.AAPL: expected an object, got a number"),
        ('{"quotes": []}', "scn.json: quotes: expected an object, got an array"),
        ('{"positions": {"AAPL": "-2"}}', "scn.json: positions.AAPL: must be >= 0"),
        ('{"positions": {"AAPL": null}}', "scn.json: positions.AAPL: expected a quantity"),
        (
            '{"positions": {"AAPL": "1", "aapl": "2"}}',
            "scn.json: positions.aapl: AAPL appears twice",
        ),
        ('{"positions": {"A B": "1"}}', "scn.json: positions.A B: bad symbol"),
        (
            '{"assets": {"X": {"tradable": "no"}}}',
            "scn.json: assets.X.tradable: expected true or false",
        ),
        ('{"market_open": 1}', "scn.json: market_open: expected true or false, got a number"),
        ('{"fills": {"latency_ms": 2.5}}', "scn.json: fills.latency_ms: expected an integer"),
        ('{"fills": {"latency_ms": -1}}', "scn.json: fills.latency_ms: must be >= 0"),
        (
            '{"fills": {"latency_ms": "20"}}',
            "scn.json: fills.latency_ms: expected an integer, got a string",
        ),
        ('{"fills": {"slippage_bps": "-1"}}', "scn.json: fills.slippage_bps: must be >= 0"),
        ('{"fills": {"partial": "AAPL"}}', "scn.json: fills.partial: expected an array of symbols"),
        ('{"fills": {"reject": [1]}}', "scn.json: fills.reject[0]: expected a string"),
        ('{"fills": {"speed": 1}}', "scn.json: fills.speed: unknown key"),
        ('{"faults": {"explode": []}}', "scn.json: faults.explode: unknown key"),
        (
            '{"faults": {"fill_delay_ms": {"A": -5}}}',
            "scn.json: faults.fill_delay_ms.A: must be >= 0",
        ),
        ('{"rate_limit_per_minute": 0}', "scn.json: rate_limit_per_minute: must be >= 1"),
        ('{"account_id": ""}', "scn.json: account_id: must be a non-empty string"),
        ("[1, 2]", "scn.json: expected a JSON object, got an array"),
    ],
)
def test_errors_name_file_and_field(text: str, expected: str) -> None:
    assert expected in error_of(text)


def test_every_issue_is_reported() -> None:
    message = error_of('{"cash": "-1", "quotes": {"A": {"ask": "x"}}, "oops": 1}')
    assert "cash: must be >= 0" in message
    assert "quotes.A.ask: not a decimal number" in message
    assert "oops: unknown key" in message


def test_bad_json_gives_line_and_column() -> None:
    message = error_of('{\n  "cash": "1",\n  "positions": {,}\n}')
    assert message.startswith("scn.json: invalid JSON at line 3 column")


def test_nan_and_infinity_are_refused() -> None:
    assert "NaN is not a number" in error_of('{"cash": NaN}')
    assert "Infinity is not a number" in error_of('{"cash": -Infinity}')


def test_empty_and_non_utf8_are_refused() -> None:
    assert error_of(b"") == "scn.json: the file is empty"
    assert error_of(b"  \n") == "scn.json: the file is empty"
    assert "not UTF-8" in error_of(b'{"cash": "\xff"}')


def test_load_scenario_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"cash": "5"}', encoding="utf-8")
    assert load_scenario(str(path)).cash == 5


def test_load_scenario_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(InputError, match=r"missing\.json: no such file"):
        load_scenario(str(missing))
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.json: the file is empty"):
        load_scenario(str(empty))
    bad = tmp_path / "bad.json"
    bad.write_text('{"cash": "-3"}', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.json: cash: must be >= 0"):
        load_scenario(str(bad))


def test_files_over_10_mb_are_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(MAX_SCENARIO_BYTES + 1)  # sparse: nothing to parse if it were read
    with pytest.raises(InputError, match=r"big\.json: the file is 10,485,761 bytes; files over"):
        load_scenario(str(big))
    with pytest.raises(InputError, match="refused"):
        parse_scenario("x.json", b" " * (MAX_SCENARIO_BYTES + 1))
