"""The fast item reader accepts exactly what the field-by-field reader accepts, identically."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from console.domain.canonical import canonical_json, sha256_hex
from console.domain.errors import InputError
from console.domain.plan import (
    _Collector,
    _read_item_checked,
    _read_item_fast,
    _read_items_at_once,
    parse_json_document,
    parse_plan_bytes,
)
from tests.cli.helpers import DEMO_PLAN

_ODD = ["0E+5", "0E-10", "-0", " 1.5 ", "1_000", "1E+14", "1E+15", "1E-100", "1E-101", "0E+101"]
_ODD += ["", " ", "abc", "NaN", "Infinity", "1e999999", "-1E+400", "0.5", "1", "-1", "2"]
_DECIMALS = st.decimals(allow_nan=False, allow_infinity=False, places=None)
_VALUE = st.one_of(
    _DECIMALS.map(str),
    st.sampled_from(_ODD),
    _DECIMALS,
    st.integers(min_value=-(10**16), max_value=10**16),
    st.sampled_from([None, True, False, [], {}, "x"]),
)
_ITEM_KEYS = (
    "current_weight",
    "target_weight",
    "weight_diff",
    "target_value",
    "current_value",
    "trade_amount",
)


@st.composite
def _items(draw: st.DrawFn) -> Any:
    item: dict[str, Any] = {
        "symbol": draw(st.sampled_from(["AAPL", " brk.b ", "ıbm", "", "A" * 11, 5, None, "X-Y"])),
        "action": draw(st.sampled_from(["BUY", "sell", " hold ", "Buy", "x", None, 1])),
    }
    for key in _ITEM_KEYS:
        if draw(st.booleans()):
            item[key] = draw(_VALUE)
    if draw(st.booleans()):
        item["priority"] = draw(st.sampled_from([1, 3, 5, 0, 6, True, Decimal(2), "2", None, 2]))
    if draw(st.booleans()):  # a valid item with one field changed
        valid: dict[str, Any] = {
            "symbol": "VTI",
            "action": draw(st.sampled_from(["BUY", "SELL", "HOLD"])),
            "target_weight": "0.1",
            "trade_amount": "0E-10",
        }
        if valid["action"] != "HOLD":
            valid["trade_amount"] = "12.5" if valid["action"] == "BUY" else "-12.5"
        key = draw(st.sampled_from([*_ITEM_KEYS, "priority"]))
        valid[key] = item.get(key, draw(_VALUE))
        return valid
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return draw(st.sampled_from([[], "item", None, 3]))
    return item


@settings(max_examples=300, deadline=None)
@given(_items())
def test_fast_reader_agrees_with_the_checked_reader(raw: Any) -> None:
    fast = _read_item_fast(raw)
    event(f"fast path taken: {fast is not None}")
    checked = _read_item_checked(_Collector(), raw, 0)
    if fast is not None:
        assert checked is not None
        assert fast == checked
        assert fast.model_dump() == checked.model_dump()
        assert canonical_json(fast) == canonical_json(checked)


@st.composite
def _item_lists(draw: st.DrawFn) -> list[Any]:
    """Lists of items: arbitrary ones, or valid ones with now and then one odd value."""
    if draw(st.booleans()):
        raws: list[Any] = draw(st.lists(_items(), min_size=1, max_size=6))
    else:
        raws = [
            {
                "symbol": f"s{number}",
                "action": "SELL",
                "target_weight": "0.1",
                "trade_amount": draw(st.sampled_from(["-1", "-0.5", "-1E+3"])),
                **draw(
                    st.dictionaries(st.sampled_from([*_ITEM_KEYS, "priority"]), _VALUE, max_size=1)
                ),
            }
            for number in range(draw(st.integers(1, 5)))
        ]
    if draw(st.booleans()):  # unique symbols, so that the list may be read at once
        for number, raw in enumerate(raws):
            if isinstance(raw, dict) and draw(st.integers(0, 5)):
                raw["symbol"] = f"s{number}"
    return raws


@settings(max_examples=400, deadline=None)
@given(_item_lists())
def test_reading_at_once_agrees_with_reading_item_by_item(raws: list[Any]) -> None:
    at_once = _read_items_at_once(raws)
    event(f"read at once: {at_once is not None}")
    collector = _Collector()
    one_by_one = [_read_item_checked(collector, raw, index) for index, raw in enumerate(raws)]
    if at_once is None:
        return
    assert not collector.issues
    assert at_once == one_by_one
    assert [item.model_dump() for item in at_once] == [item.model_dump() for item in one_by_one]
    assert len({item.symbol for item in at_once}) == len(at_once)


def _generated_items(count: int) -> list[dict[str, Any]]:
    return [
        {
            "symbol": f"s{index:04d}",
            "action": ("BUY", "SELL", "HOLD")[index % 3],
            "target_weight": "0.0001",
            "trade_amount": ("12.5", "-7.25", "0")[index % 3],
            **({"current_value": index} if index % 2 else {"priority": 2, "weight_diff": None}),
        }
        for index in range(count)
    ]


def test_a_uniform_plan_is_read_at_once_and_an_odd_item_sends_it_item_by_item() -> None:
    demo = parse_json_document("demo", DEMO_PLAN.read_bytes())
    assert _read_items_at_once(demo["items"]) is not None
    raws = _generated_items(300)  # optional keys absent or null in every other item
    at_once = _read_items_at_once(raws)
    assert at_once is not None and at_once == [_read_item_fast(raw) for raw in raws]
    for odd in ({"action": "buy"}, {"symbol": "S0000"}, {"priority": True}, {"trade_amount": "1"}):
        changed = [dict(raw) for raw in raws]
        changed[1].update(odd)
        assert _read_items_at_once(changed) is None, odd


def test_the_plan_digest_is_the_canonical_json_of_the_plan() -> None:
    loaded = parse_plan_bytes("demo", DEMO_PLAN.read_bytes())
    assert loaded.digest == sha256_hex(canonical_json(loaded.plan))
    assert loaded.digest == "d880e07ff2826c7ad13c0abdb60bbbe8010916af40612972569d43c0e3d1b440"
    doc = parse_json_document("demo", DEMO_PLAN.read_bytes())
    assert all(_read_item_fast(item) is not None for item in doc["items"])  # the fast path runs
    assert json.loads(canonical_json(loaded.plan))["items"][0]["symbol"] == "AAPL"


_TEXT = st.text(min_size=1, max_size=12).filter(lambda t: t.strip() != "")
_JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), _TEXT, _DECIMALS)
_METADATA = st.one_of(
    st.none(),
    st.dictionaries(
        _TEXT,
        st.recursive(_JSON_LEAF, lambda inner: st.lists(inner, max_size=3), max_leaves=6),
        max_size=4,
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    ids=st.lists(_TEXT, min_size=3, max_size=3),
    metadata=_METADATA,
    drift=st.one_of(st.none(), st.sampled_from(["0.05", "1E-7", "100"])),
    duration=st.one_of(st.none(), st.integers(min_value=1, max_value=10**6)),
    urgency=st.sampled_from(["low", "URGENT"]),
    stamp=st.sampled_from(["2025-06-13T13:45:12.481230+00:00", "2026-01-01T00:00:00Z"]),
)
def test_canonical_text_is_canonical_json(
    ids: list[str],
    metadata: Any,
    drift: str | None,
    duration: int | None,
    urgency: str,
    stamp: str,
) -> None:
    doc = json.loads(DEMO_PLAN.read_text())
    doc.update(plan_id=ids[0], correlation_id=ids[1], causation_id=ids[2], metadata=metadata)
    doc.update(max_drift_tolerance=drift, execution_urgency=urgency, timestamp=stamp)
    doc["estimated_duration_minutes"] = duration
    text = json.dumps(doc, default=str, ensure_ascii=False)
    try:
        loaded = parse_plan_bytes("p", text.encode("utf-8", "surrogatepass"))
    except InputError:  # a generated value the loader refuses (out of range, lone surrogate)
        event("refused")
        return
    assert loaded.plan.canonical_text() == canonical_json(loaded.plan)
    assert loaded.digest == sha256_hex(canonical_json(loaded.plan))
