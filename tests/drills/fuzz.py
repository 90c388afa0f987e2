"""Hypothesis fuzz of the files a user brings: plans, targets files and config.toml.

Each input is a valid file mutated (byte flips, insertions, truncation, a BOM, deep nesting,
huge and tiny numbers, odd Unicode, duplicate keys, wrong types, missing fields). It is given
to `run --yes` on the sim (a fresh journal each time): the exit code is 0, 3 or 4 for a file
that loads and 2 for one that does not, never 1; stderr never carries a traceback; and a
refused file (exit 2) journals nothing.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.drills.drillkit import (
    DEMO_PLAN,
    Problems,
    cli_inprocess,
    count_events,
    demo_scenario,
    has_traceback,
    small_plan,
    write,
)

KINDS = ("plan", "targets", "config")

# Findings not fixed yet: (text in the finding, what it is). scripts/drill lists them as known;
# tests/drills/test_drills.py holds an xfail test for each. (The long fuzz found a lone CR inside
# a targets CSV line ending with exit 1; fixed, and kept as a plain test in test_drills.py.)
KNOWN: tuple[tuple[str, str], ...] = ()

_TARGETS = b"symbol,target_weight\nAAPL,0.0805\nVTI,0.1700\nNVDA,0.0690\nCOST,0.03\n"
_CONFIG = b"""# drill config
allow_margin = false
min_minutes_to_close = 10
max_quote_age_seconds = 60
max_spread_bps = 200
min_notional = "1.00"
max_order_notional = "100000.00"
max_order_pct_of_equity = "0.25"
buy_reserve_pct = "0"
cash_reserve_pct = "0.01"
min_trade_pct = "0.01"
approval_ttl_seconds = 300
drift_band = "0.01"
phase_timeout_seconds = 30
"""

# values that have broken loaders before (issue 10) and their relatives
_NASTY_NUMBERS = [
    "1E+1000000",
    "-1E+400",
    "1e-999999",
    "9" * 5000,
    "0E-10",
    "-0",
    "NaN",
    "Infinity",
    "-Infinity",
    "1_000",
    "0x10",
    "1.7976931348623157e308",
    "4.9e-324",
    "1" + "0" * 40,
    "0.000000000000000000000000000001",
    "1e5",
    "",
    " ",
]
_NASTY_TEXT = [
    "ıbm",
    "ſpy",
    "ﬁx",
    "\ud800",
    "AAPL\x00",
    "\u202eLPAA",
    "A" * 11,
    "BRK.B",
    "BRK/B",
    "ÄPPL",
    "🙂",
    "a b",
    "-",
    ".",
    "",
]
_NASTY_JSON_VALUES: list[Any] = [
    None,
    True,
    [],
    {},
    [1, 2],
    {"a": 1},
    0,
    -1,
    10**30,
    1.5,
    "x",
]


def _plan_bytes() -> bytes:
    return json.dumps(small_plan(), indent=1).encode()


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def _delete(doc: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return doc
    target = doc
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return doc


class _Raw(str):
    """A JSON value written verbatim (numbers json.dumps cannot spell)."""


def _dumps(doc: Any) -> bytes:
    raws: dict[str, str] = {}

    def encode(value: Any) -> Any:
        if isinstance(value, _Raw):
            token = f"@@RAW{len(raws)}@@"
            raws[token] = str(value)
            return token
        if isinstance(value, dict):
            return {k: encode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [encode(v) for v in value]
        return value

    text = json.dumps(encode(doc), indent=1)
    for token, raw in raws.items():
        text = text.replace(f'"{token}"', raw)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def _json_mutation(draw: st.DrawFn) -> bytes:
    """A structural mutation of the small plan."""
    doc = small_plan()
    path = draw(st.sampled_from(_paths(doc)))
    how = draw(
        st.sampled_from(["type", "number", "raw", "text", "nest", "drop", "dupkey", "many", "deep"])
    )
    if how == "type":
        doc = _set(doc, path, draw(st.sampled_from(_NASTY_JSON_VALUES)))
    elif how == "number":
        doc = _set(doc, path, draw(st.sampled_from(_NASTY_NUMBERS)))
    elif how == "raw":
        doc = _set(doc, path, _Raw(draw(st.sampled_from([n for n in _NASTY_NUMBERS if n.strip()]))))
    elif how == "text":
        doc = _set(doc, path, draw(st.sampled_from(_NASTY_TEXT)))
    elif how == "nest":
        depth = draw(st.integers(min_value=1, max_value=3000))
        doc = _set(doc, path, _Raw("[" * depth + "1" + "]" * depth))
    elif how == "drop" and path:
        doc = _delete(doc, path)
    elif how == "many":
        item = small_plan()["items"][0]
        count = draw(st.integers(min_value=2, max_value=50))
        doc["items"] = [dict(item, symbol=f"S{i}") for i in range(count)] + doc["items"]
    elif how == "deep":
        depth = draw(st.integers(min_value=100, max_value=20000))
        doc["metadata"] = _Raw('{"a":' * depth + "1" + "}" * depth)
    data = _dumps(doc)
    if how == "dupkey":
        key = draw(st.sampled_from([b'"plan_id"', b'"symbol"', b'"trade_amount"', b'"action"']))
        value = draw(st.sampled_from([b'"x"', b"1", b"null", b'"-5"']))
        data = data.replace(key + b":", key + b": " + value + b", " + key + b":", 1)
    return data


_INSERTS = [b"\x00", b"\xff", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"{", b"[", b",", b'"']
_INSERTS += [b"\r", b"\n", b"\t", "ı".encode(), "ﬁ".encode(), b"\\ud800", b"1e999"]
_HEADERS = [
    "symbol,target_weight",
    "Symbol,Target_Weight",
    "target_weight,symbol",
    "symbol",
    "symbol;target_weight",
]


def _byte_mutation(base: bytes) -> st.SearchStrategy[bytes]:
    """Bytes flipped, inserted, deleted or cut, a BOM prepended."""

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        data = bytearray(base)
        for _ in range(draw(st.integers(min_value=1, max_value=4))):
            how = draw(st.sampled_from(["flip", "insert", "delete", "cut", "bom", "dup_line"]))
            pos = draw(st.integers(min_value=0, max_value=max(0, len(data) - 1)))
            if how == "flip" and data:
                data[pos] ^= 1 << draw(st.integers(min_value=0, max_value=7))
            elif how == "insert":
                data[pos:pos] = draw(st.sampled_from([*_INSERTS]))
            elif how == "delete" and data:
                del data[pos : pos + draw(st.integers(min_value=1, max_value=8))]
            elif how == "cut":
                del data[pos:]
            elif how == "bom":
                data[0:0] = b"\xef\xbb\xbf"
            elif how == "dup_line":
                lines = bytes(data).split(b"\n")
                index = draw(st.integers(min_value=0, max_value=max(0, len(lines) - 1)))
                lines.insert(index, lines[index] if lines else b"")
                data = bytearray(b"\n".join(lines))
        return bytes(data)

    return mutate()


@st.composite
def _targets_mutation(draw: st.DrawFn) -> bytes:
    """A targets CSV with odd symbols, weights or shape."""
    rows = [["AAPL", "0.0805"], ["VTI", "0.1700"], ["NVDA", "0.0690"], ["COST", "0.03"]]
    index = draw(st.integers(min_value=0, max_value=len(rows) - 1))
    column = draw(st.integers(min_value=0, max_value=1))
    pool = _NASTY_TEXT if column == 0 else _NASTY_NUMBERS
    rows[index][column] = draw(st.sampled_from(pool))
    if draw(st.booleans()):
        rows.append(draw(st.sampled_from([["AAPL", "0.1"], ["X", "0.1", "extra"], ["ONLY"], []])))
    header = draw(st.sampled_from(_HEADERS))
    text = "\n".join([header, *(",".join(r) for r in rows)]) + "\n"
    return text.encode("utf-8", "surrogatepass")


@st.composite
def _config_mutation(draw: st.DrawFn) -> bytes:
    """A config.toml with a key given a wrong or extreme value, unknown or repeated."""
    lines = _CONFIG.decode().splitlines()
    index = draw(st.integers(min_value=1, max_value=len(lines) - 1))
    key = lines[index].split("=")[0].strip()
    value = draw(
        st.sampled_from(
            [
                "true",
                '"yes"',
                "-1",
                "1e999",
                '"1E+1000000"',
                '"-1E+400"',
                "nan",
                "inf",
                "9" * 400,
                '"\\ud800"',
                '"ı"',
                "[1, 2]",
                "{a = 1}",
                "[" * 600 + "]" * 600,
                '""',
                "0",
                "1979-05-27T07:32:00Z",
            ]
        )
    )
    how = draw(st.sampled_from(["set", "dup", "unknown", "table"]))
    if how == "set":
        lines[index] = f"{key} = {value}"
    elif how == "dup":
        lines.append(f"{key} = {value}")
    elif how == "unknown":
        lines.append(f"surprise_{key} = {value}")
    else:
        lines.append(f"[{key}]\nx = {value}")
    return "\n".join(lines).encode("utf-8", "surrogatepass")


def inputs(kind: str) -> st.SearchStrategy[bytes]:
    """Mutated valid files of one kind."""
    if kind == "plan":
        return st.one_of(_json_mutation(), _byte_mutation(_plan_bytes()))
    if kind == "targets":
        return st.one_of(_targets_mutation(), _byte_mutation(_TARGETS))
    return st.one_of(_config_mutation(), _byte_mutation(_CONFIG))


def run_input(kind: str, data: bytes) -> Problems:
    """`run --yes` with this file in place of a valid one; findings (empty when right)."""
    found = Problems()
    with tempfile.TemporaryDirectory(prefix="drill-fuzz-") as tmp:
        work = Path(tmp)
        scenario = write(work / "scenario.json", demo_scenario(fills={"latency_ms": 0}))
        journal = work / "j.sqlite"
        plan = work / "plan.json"
        plan.write_bytes(_plan_bytes())
        args = ["--scenario", str(scenario), "--journal", str(journal), "--format", "json"]
        if kind == "plan":
            plan.write_bytes(data)
        elif kind == "targets":
            plan = work / "targets.csv"
            plan.write_bytes(data)
        else:
            config = work / "config.toml"
            config.write_bytes(data)
            args += ["--config", str(config)]
        result = cli_inprocess(["run", str(plan), "--yes", *args])
        if has_traceback(result.err):
            found.note("crashes", f"{kind}: traceback: {result.err[-500:]}")
        if result.code not in (0, 2, 3, 4):
            found.note("crashes", f"{kind}: exit {result.code}: {result.err.strip()[-300:]}")
        if result.code == 2:
            if count_events(journal):
                found.note("other", f"{kind}: exit 2 but the journal holds events")
            if "error" not in result.err:
                found.note("other", f"{kind}: exit 2 without an error message")
        elif result.code in (0, 3):
            json.loads(result.out)  # the run's JSON parses
    return found


def example(kind: str) -> Callable[[bytes], None]:
    """A test body raising on any finding (for @given)."""

    def body(data: bytes) -> None:
        found = run_input(kind, data)
        # a known finding has its own xfail test; the fuzz looks for new ones
        new = [t for t in found.texts if not any(key in t for key, _ in KNOWN)]
        assert not new, new

    return body


__all__ = ["DEMO_PLAN", "KINDS", "example", "inputs", "run_input"]
