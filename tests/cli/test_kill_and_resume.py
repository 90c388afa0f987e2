"""SIGKILL the `run` process mid-run, run it again: it resumes and no leg gets a second order."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.cli.helpers import DEMO_PLAN, DEMO_SCENARIO, REPO, cli_process, write_json

pytestmark = pytest.mark.slow


def _kinds_for(journal: Path, symbol: str) -> set[str]:
    if not journal.exists():
        return set()
    try:
        with sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=1) as db:
            rows = db.execute("SELECT kind, payload FROM events").fetchall()
    except sqlite3.Error:
        return set()
    return {kind for kind, payload in rows if f'-{symbol}"' in payload}


def _start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "console.cli", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def _kill_when(proc: subprocess.Popen[str], journal: Path, symbol: str, kind: str) -> None:
    deadline = time.monotonic() + 60
    while kind not in _kinds_for(journal, symbol):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never reached the kill point"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)  # reaps the process and closes its pipes


def _orders_per_client_id(state_file: Path) -> Counter[str]:
    state = json.loads(state_file.read_text())
    return Counter(order["client_order_id"] for order in state["exchange"]["orders"])


@pytest.mark.parametrize(
    ("faults", "kill_after"),
    [
        # the submit hangs before reaching the broker: killed between intent and submit
        ({"submit_hang": ["VTI"], "hang_seconds": 600}, "order_intent"),
        # the fill is slow: killed between the broker's acknowledgement and the fill
        ({"fill_delay_ms": {"VTI": 2500}}, "order_submitted"),
    ],
)
def test_resume_after_sigkill_never_places_a_second_order(
    faults: dict[str, object], kill_after: str, tmp_path: Path
) -> None:
    doc = json.loads(DEMO_SCENARIO.read_text())
    doc["faults"] = faults
    scenario = write_json(tmp_path / "scenario.json", doc)
    journal = tmp_path / "j.sqlite"
    state = tmp_path / "sim-state.json"
    args = [
        "run",
        str(DEMO_PLAN),
        "--yes",
        "--journal",
        str(journal),
        "--scenario",
        str(scenario),
        "--sim-state",
        str(state),
        "--format",
        "json",
    ]

    _kill_when(_start(args), journal, "VTI", kill_after)
    runs = cli_process("journal", "runs", journal, "--format", "json").json()
    assert [r["status"] for r in runs] == ["unfinished"]  # no run_completed, its process is gone

    resumed = cli_process(*args)
    assert resumed.code == 3, resumed.err  # the demo ends partial (VTI fills half)
    result = json.loads(resumed.out)
    assert result["run_id"] == runs[0]["run_id"]
    counts = _orders_per_client_id(state)
    assert counts and max(counts.values()) == 1
    ready = [leg for leg in result["legs"] if leg["status"] not in ("skipped", "blocked")]
    assert set(counts) == {leg["client_order_id"] for leg in ready}
    assert all(leg["status"] in ("filled", "canceled") for leg in ready)

    # a finished run is refused, and replay shows what the resumed run printed
    assert cli_process(*args).code == 4
    replay = cli_process("replay", journal, "--format", "json").json()
    assert replay["legs"] == result["legs"] and replay["status"] == result["status"]
