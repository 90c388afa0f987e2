"""Crash, fault and fuzz drills, judged from the broker's side (bounded for CI; scripts/drill
runs the long version)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.drills import fuzz
from tests.drills.drillkit import (
    KillSetup,
    demo_scenario,
    kill_and_resume,
    kill_every_commit,
    kill_then_market_closes,
    random_kills,
    record_commits,
    small_plan,
    two_at_once,
)
from tests.drills.faults import CASES, FaultCase, run_case

pytestmark = pytest.mark.drill

# Cases slower than ~10 s run in the long drill (scripts/drill) only.
LONG_ONLY = {"stream_auth_refused", "stream_silent_mid_run", "hung_submit_before_the_broker"}
FUZZ_EXAMPLES = int(os.environ.get("DRILL_FUZZ_EXAMPLES", "100"))


def kill_setup() -> KillSetup:
    """A small plan with fills, a partial fill and a whole-share buy on the demo scenario."""
    return KillSetup(small_plan(), demo_scenario())


def test_kill_after_every_journal_commit_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    setup = kill_setup()
    commits = record_commits(setup)
    assert commits >= 15  # the recorded run has sells, a partial fill and buys
    problems = [t for found in kill_every_commit(setup, commits, tmp_path) for t in found.texts]
    assert problems == []


@pytest.mark.parametrize("chain", [[5, 1], [7, 1], [9, 2], [12, 1], [16, 1, 1]])
def test_a_kill_during_the_resumption_loses_and_duplicates_nothing(
    chain: list[int], tmp_path: Path
) -> None:
    """The resumed process dies after its own first commits (its reconciliation results)."""
    found = kill_and_resume(kill_setup(), chain, tmp_path, rerun=False)
    assert found.texts == []


@pytest.mark.parametrize("k", [7, 11])
def test_kill_after_a_commit_on_the_alpaca_emulator(k: int, tmp_path: Path) -> None:
    """The same drill through alpaca-py against the emulator, which outlives the process."""
    setup = KillSetup(small_plan(), demo_scenario(), broker="alpaca")
    found = kill_and_resume(setup, k, tmp_path, rerun=False)
    assert found.texts == []


@pytest.mark.parametrize("k", [6, 13])
def test_a_resumption_after_the_close_is_refused_then_finishes(k: int, tmp_path: Path) -> None:
    found = kill_then_market_closes(kill_setup(), k, tmp_path)
    assert found.texts == []


def test_two_runs_started_together_execute_once(tmp_path: Path) -> None:
    """One process executes the run, the other is refused (exit 4); every order placed once."""
    found = two_at_once(KillSetup(small_plan(), demo_scenario(), broker="alpaca"), tmp_path)
    assert found.texts == []


@pytest.mark.parametrize("seed", [11, 23, 37])
def test_kills_at_random_times_lose_and_duplicate_nothing(seed: int, tmp_path: Path) -> None:
    slow = demo_scenario()
    slow["fills"] = {**slow["fills"], "latency_ms": 150}
    found = random_kills(KillSetup(small_plan(), slow), seed, tmp_path, kills=2)
    assert found.texts == []


def _cases() -> list[object]:
    params: list[object] = []
    for case in CASES:
        if case.name in LONG_ONLY:
            continue
        marks = [pytest.mark.xfail(reason=case.known_bug, strict=True)] if case.known_bug else []
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


@pytest.mark.parametrize("case", _cases())
def test_fault_ends_with_the_right_code_and_status(case: FaultCase, tmp_path: Path) -> None:
    found, result = run_case(case, tmp_path)
    assert found.texts == [], result.err[-1500:]


def test_the_matrix_has_at_least_fifteen_fault_kinds() -> None:
    assert len(CASES) - len(LONG_ONLY) >= 15


_FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@_FUZZ
@given(fuzz.inputs("plan"))
def test_fuzzed_plans_exit_0_or_2_without_a_traceback(data: bytes) -> None:
    fuzz.example("plan")(data)


@_FUZZ
@given(fuzz.inputs("targets"))
def test_fuzzed_targets_files_exit_0_or_2_without_a_traceback(data: bytes) -> None:
    fuzz.example("targets")(data)


@_FUZZ
@given(fuzz.inputs("config"))
def test_fuzzed_configs_exit_0_or_2_without_a_traceback(data: bytes) -> None:
    fuzz.example("config")(data)


def test_a_lone_carriage_return_in_a_targets_file_is_exit_2() -> None:
    """Found by the long fuzz: a csv.Error escaped as exit 1."""
    found = fuzz.run_input("targets", b"symbol,target_weight\nAAPL,0.0\r5\n")
    assert found.texts == []
