"""Plan JSON loading: exact decimals, every rule of DESIGN §2.1, errors naming file and field."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from console.domain.errors import InputError
from console.domain.plan import Action, Urgency
from tests.domain.factories import item, load, plan_doc


def _issues(doc: object) -> list[str]:
    with pytest.raises(InputError) as info:
        load(doc)  # type: ignore[arg-type]
    assert info.value.file == "plan.json"
    return [issue.render() for issue in info.value.issues]


def test_decimals_are_read_exactly_from_numbers_and_strings() -> None:
    text = json.dumps(plan_doc(item("AAPL", "BUY", "1"))).replace('"1"', "0.1")
    plan = load(text).plan
    assert plan.items[0].trade_amount == Decimal("0.1")
    assert str(plan.items[0].trade_amount) == "0.1"


def test_exponent_notation_and_long_decimals_are_exact() -> None:
    doc = plan_doc(
        item("AAPL", "BUY", "1.631183031914913770169642438E-8"),
        item("VTI", "HOLD", "0E-10", priority=4),
        item("MSFT", "sell", "-1234.5678901234567890123456789"),
        total_trade_value="0E+5",
    )
    plan = load(doc).plan
    assert plan.items[0].trade_amount == Decimal("1.631183031914913770169642438E-8")
    assert plan.items[1].action is Action.HOLD
    assert plan.items[2].trade_amount == Decimal("-1234.5678901234567890123456789")


def test_case_insensitive_enums_and_upper_cased_symbols() -> None:
    plan = load(plan_doc(item("brk.b", "buy", "10"), execution_urgency="uRgEnT")).plan
    assert plan.items[0].symbol == "BRK.B"
    assert plan.execution_urgency is Urgency.URGENT


def test_unknown_fields_are_ignored_and_do_not_change_the_digest() -> None:
    base = plan_doc(item("AAPL", "BUY", "10"))
    extra = {**base, "strategy_id": "momentum-7"}
    assert load(base).digest == load(extra).digest


def test_digest_ignores_formatting_and_number_spelling() -> None:
    doc = plan_doc(item("AAPL", "BUY", "10.50"))
    compact = json.dumps(doc, separators=(",", ":"))
    spaced = json.dumps(doc, indent=4).replace('"10.50"', "10.5")
    assert load(compact).digest == load(spaced).digest


def test_digest_tells_apart_amounts_that_differ_beyond_28_digits() -> None:
    # The default decimal context keeps 28 digits: normalizing in it made these two one plan.
    digests = {
        load(plan_doc(item("AAPL", "BUY", amount))).digest
        for amount in ("100", "100.000000000000000000000000000000001")
    }
    assert len(digests) == 2


def test_a_bare_nan_or_infinity_is_refused_naming_its_field() -> None:
    doc = plan_doc(item("AAPL", "BUY", "10"), item("MSFT", "BUY", "__X__"))
    for literal in ("NaN", "Infinity", "-Infinity"):
        text = json.dumps(doc).replace('"__X__"', literal)
        assert _issues(text) == [
            f"items[1].trade_amount: {literal} is not a number this console accepts"
        ]
    text = json.dumps(plan_doc(item("AAPL", "BUY", "1"), metadata={"a": [1, "__X__"]}))
    assert _issues(text.replace('"__X__"', "NaN")) == [
        "metadata.a[1]: NaN is not a number this console accepts"
    ]


@pytest.mark.parametrize("version", ["1.0", "1.0.0", "1.3"])
def test_any_1x_schema_version_is_accepted(version: str) -> None:
    assert (
        load(plan_doc(item("AAPL", "BUY", "1"), schema_version=version)).plan.schema_version
        == version
    )


def test_other_major_version_is_an_error() -> None:
    assert any(
        i.startswith("schema_version:")
        for i in _issues(plan_doc(item("A", "BUY", "1"), schema_version="2.0"))
    )


def test_naive_timestamp_is_an_error() -> None:
    issues = _issues(plan_doc(item("AAPL", "BUY", "1"), timestamp="2026-11-24T14:30:00"))
    assert any(i.startswith("timestamp:") and "timezone" in i for i in issues)


def test_offset_timestamp_is_accepted() -> None:
    plan = load(plan_doc(item("AAPL", "BUY", "1"), timestamp="2026-11-24T09:30:00-05:00")).plan
    assert plan.timestamp.utcoffset() is not None


def test_buy_with_negative_amount_names_the_item_field() -> None:
    issues = _issues(plan_doc(item("AAPL", "BUY", "5"), item("MSFT", "BUY", "-5")))
    assert any(i.startswith("items[1].trade_amount:") for i in issues)


def test_sell_with_positive_amount_names_the_item_field() -> None:
    assert any(
        i.startswith("items[0].trade_amount:") for i in _issues(plan_doc(item("AAPL", "SELL", "5")))
    )


def test_buy_with_zero_amount_is_an_error() -> None:
    assert any(
        i.startswith("items[0].trade_amount:") for i in _issues(plan_doc(item("AAPL", "BUY", "0")))
    )


def test_hold_amount_is_ignored() -> None:
    assert load(plan_doc(item("AAPL", "HOLD", "-55"))).plan.items[0].action is Action.HOLD


def test_duplicate_symbol_is_an_error() -> None:
    issues = _issues(plan_doc(item("AAPL", "BUY", "5"), item("aapl", "BUY", "6")))
    assert any(i.startswith("items[1].symbol:") and "twice" in i for i in issues)


def test_weight_above_one_is_an_error() -> None:
    issues = _issues(plan_doc(item("AAPL", "BUY", "5", target="1.2")))
    assert any(i.startswith("items[0].target_weight:") for i in issues)


def test_target_weights_summing_above_one_is_an_error() -> None:
    issues = _issues(
        plan_doc(item("AAPL", "BUY", "5", target="0.6"), item("MSFT", "BUY", "5", target="0.6"))
    )
    assert any(i.startswith("items:") and "sum" in i for i in issues)


def test_nan_and_infinity_are_errors() -> None:
    text = json.dumps(plan_doc(item("AAPL", "BUY", "1"))).replace('"1"', "NaN")
    assert any("NaN" in i for i in _issues(text))
    text = json.dumps(plan_doc(item("AAPL", "BUY", "1"))).replace('"1"', "Infinity")
    assert _issues(text)
    assert any(
        i.startswith("items[0].trade_amount:")
        for i in _issues(plan_doc(item("AAPL", "BUY", "NaN")))
    )


def test_syntax_error_gives_line_and_column() -> None:
    issues = _issues('{\n  "schema_version": "1.0",\n  "plan_id": \n}')
    assert any("line 4 column 1" in i for i in issues)


def test_empty_and_non_utf8_files() -> None:
    assert any("empty" in i for i in _issues(b""))
    assert any("UTF-8" in i for i in _issues(b'{"plan_id": "\xff\xfe"}'))


def test_every_error_is_listed_at_once() -> None:
    doc = plan_doc(item("AAPL", "BUY", "-1"), item("$$$", "SELL", "-1"), item("MSFT", "FOO", "1"))
    doc.pop("plan_id")
    issues = _issues(doc)
    assert {i.split(":")[0] for i in issues} >= {
        "plan_id",
        "items[0].trade_amount",
        "items[1].symbol",
        "items[2].action",
    }


def test_missing_and_empty_items() -> None:
    assert any(i.startswith("items:") for i in _issues(plan_doc()))
    doc = plan_doc(item("A", "BUY", "1"))
    del doc["items"]
    assert any(i.startswith("items:") for i in _issues(doc))


def test_bad_priority_and_negative_values() -> None:
    issues = _issues(plan_doc(item("AAPL", "BUY", "1", priority=9, current_value="-3")))
    assert any(i.startswith("items[0].priority:") for i in issues)
    assert any(i.startswith("items[0].current_value:") for i in issues)
    assert any(
        i.startswith("total_portfolio_value:")
        for i in _issues(plan_doc(item("A", "BUY", "1"), total_portfolio_value="-1"))
    )


def test_top_level_must_be_an_object() -> None:
    assert _issues("[1, 2]")


def test_error_text_names_the_file() -> None:
    with pytest.raises(InputError) as info:
        load(plan_doc(item("AAPL", "BUY", "-1")), source="/tmp/my-plan.json")
    assert str(info.value).startswith("/tmp/my-plan.json: items[0].trade_amount:")
