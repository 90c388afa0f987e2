"""Crash and fault drills judged from the broker's side: shared by tests/drills and scripts/drill.

A drill runs the real command line (a subprocess for kills, in-process for faults) against a
broker that outlives it (the sim with `--sim-state`, or the loopback Alpaca emulator), then
compares what the run reports with what the broker holds: one order per client_order_id, no
order the run does not know, every fill the broker made in the run's legs, proceeds and spend
equal to the broker's fills, and a journal that verifies.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from tests.cli.helpers import Result  # exit code and captured output of one command

REPO = Path(__file__).resolve().parents[2]
DEMO_PLAN = REPO / "resources" / "demo" / "plan.json"
DEMO_SCENARIO = REPO / "resources" / "demo" / "scenario.json"
KILL_ENV = "PHASE_CONSOLE_DRILL_KILL_AFTER_APPENDS"  # console/journal/store.py
KEY, SECRET = "PKDRILLKEY", "pc-drill-secret-Qw7z"
CENT = Decimal("0.01")
SENT_LIKE = frozenset({"skipped", "blocked"})
_INPROCESS = threading.Lock()


@dataclass
class Figures:
    """What a drill saw, summed over its cases."""

    kill_points: int = 0
    random_kills: int = 0
    duplicates: int = 0
    lost_orders: int = 0
    lost_fills: int = 0
    fault_kinds: int = 0
    fuzz_inputs: int = 0
    crashes: int = 0
    problems: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)  # findings not fixed yet, listed apart

    def add(self, case: str, found: Problems) -> None:
        """Count one case's findings."""
        self.duplicates += found.duplicates
        self.lost_orders += found.lost_orders
        self.lost_fills += found.lost_fills
        self.crashes += found.crashes
        self.problems.extend(f"{case}: {text}" for text in found.texts)


@dataclass
class Problems:
    """Findings of one case, by kind, with a line of text each."""

    duplicates: int = 0
    lost_orders: int = 0
    lost_fills: int = 0
    crashes: int = 0
    texts: list[str] = field(default_factory=list)

    def note(self, kind: str, text: str) -> None:
        """Record one finding of `kind` (duplicates, lost_orders, lost_fills, crashes, other)."""
        if kind != "other":
            setattr(self, kind, getattr(self, kind) + 1)
        self.texts.append(text)

    def __bool__(self) -> bool:
        return bool(self.texts)


# ---- running the command line --------------------------------------------------------------


def _clean_env(extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != KILL_ENV}
    env.update(extra or {})
    env.setdefault("PYTHONPATH", str(REPO))
    return env


def cli_process(args: list[str], env: dict[str, str] | None = None, timeout: float = 120) -> Result:
    """`python -m console.cli ARGS` as a real process."""
    proc = subprocess.run(
        [sys.executable, "-m", "console.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=_clean_env(env),
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def cli_inprocess(args: list[str], env: dict[str, str] | None = None) -> Result:
    """The command line's `main` in this process, stdout and stderr captured."""
    from console.cli import main

    out, err = io.StringIO(), io.StringIO()
    with (
        _INPROCESS,  # sys.stdout, sys.stderr and os.environ are process-wide
        _environ(env or {}),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = main(args)
        _close_file_handlers()
    return Result(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _close_file_handlers() -> None:
    import logging

    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()


def start_process(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start `python -m console.cli ARGS` without waiting."""
    return subprocess.Popen(
        [sys.executable, "-m", "console.cli", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_clean_env(env),
    )


def has_traceback(text: str) -> bool:
    """A Python traceback (or a fatal error) on a stream."""
    return "Traceback (most recent call last)" in text or "Fatal Python error" in text


# ---- the broker's side ---------------------------------------------------------------------


def sim_orders(state_file: Path) -> list[dict[str, Any]]:
    """The orders the persisted sim broker holds (`--sim-state`), as JSON dicts."""
    if not state_file.exists():
        return []
    return list(json.loads(state_file.read_text())["exchange"]["orders"])


def exchange_orders(exchange: Any) -> list[dict[str, Any]]:
    """The orders an in-memory sim Exchange (the emulator's) holds, as JSON dicts."""
    return [o.model_dump(mode="json") for o in exchange.orders()]


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _notional(order: dict[str, Any]) -> Decimal:
    qty = _dec(order.get("filled_qty"))
    if qty == 0:
        return Decimal(0)
    return (qty * _dec(order.get("filled_avg_price"))).quantize(CENT, ROUND_HALF_UP)


def judge(
    run: dict[str, Any] | None,
    orders: list[dict[str, Any]],
    journal: Path | None,
    *,
    prefix: str = "pc-",
) -> Problems:
    """Compare a run's final JSON with the broker's orders; verify the journal."""
    found = Problems()
    ours = [o for o in orders if str(o.get("client_order_id", "")).startswith(prefix)]
    counts = Counter(str(o["client_order_id"]) for o in ours)
    for coid, n in counts.items():
        if n > 1:
            found.note("duplicates", f"{n} orders at the broker for {coid}")
    if run is None:
        if ours:
            found.note("lost_orders", f"no run output but {len(ours)} orders at the broker")
        return found
    legs = {str(leg["client_order_id"]): leg for leg in run.get("legs", [])}
    for order in ours:
        coid = str(order["client_order_id"])
        leg = legs.get(coid)
        if leg is None or leg["status"] in SENT_LIKE:
            found.note("lost_orders", f"broker order {coid} is not a sent leg of the run")
            continue
        broker_status = str(order["status"]).lower()
        if _dec(leg.get("filled_qty")) != _dec(order.get("filled_qty")):
            found.note(
                "lost_fills",
                f"{coid}: run says filled {leg.get('filled_qty')}, broker"
                f" {order.get('filled_qty')} ({broker_status})",
            )
        elif _dec(order.get("filled_qty")) and _dec(leg.get("filled_avg_price")) != _dec(
            order.get("filled_avg_price")
        ):
            found.note("lost_fills", f"{coid}: average price differs from the broker's")
        if leg["status"] != broker_status and run.get("status") != "unfinished":
            found.note("other", f"{coid}: run says {leg['status']}, broker {broker_status}")
    at_broker = set(counts)
    for coid, leg in legs.items():
        if leg["status"] in SENT_LIKE or coid in at_broker:
            continue
        if leg["status"] == "rejected":
            continue  # refused at submit: the broker never held it
        if leg["status"] in ("unknown", "pending") and run.get("status") == "unfinished":
            continue  # not placed yet, or not confirmed: the next `run` resumes it
        found.note("lost_orders", f"leg {coid} is {leg['status']} but the broker has no order")
    for side, key in (("sell", "sell_proceeds"), ("buy", "buy_spent")):
        want = sum((_notional(o) for o in ours if o.get("side") == side), Decimal(0)).quantize(
            CENT, ROUND_HALF_UP
        )
        if key in run and _dec(run[key]) != want:
            found.note("lost_fills", f"{key} {run[key]} but the broker's {side} fills make {want}")
    if journal is not None and journal.exists():
        head = run.get("journal_head")
        args = ["journal", "verify", str(journal)]
        if head:
            args += ["--head", str(head)]
        verify = cli_inprocess(args)
        if verify.code != 0:
            found.note("other", f"journal verify exit {verify.code}: {verify.err.strip()[:200]}")
    return found


def journal_runs(journal: Path) -> list[dict[str, Any]]:
    """`journal runs --format json`."""
    if not journal.exists():
        return []
    result = cli_inprocess(["journal", "runs", str(journal), "--format", "json"])
    return list(result.json()) if result.code == 0 else []


def replay_json(journal: Path) -> dict[str, Any] | None:
    """`replay --format json` of the latest run, or None."""
    result = cli_inprocess(["replay", str(journal), "--format", "json"])
    return result.json() if result.code == 0 else None


def count_events(journal: Path) -> int:
    """Events in a journal file (read-only)."""
    if not journal.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{journal}?mode=ro", uri=True)) as db:
            return int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    except sqlite3.Error:  # being created right now (no table yet) or locked
        return 0


def kinds(journal: Path) -> list[str]:
    """Event kinds in seq order (read-only)."""
    if not journal.exists():
        return []
    try:
        with contextlib.closing(sqlite3.connect(f"file:{journal}?mode=ro", uri=True)) as db:
            return [str(r[0]) for r in db.execute("SELECT kind FROM events ORDER BY seq")]
    except sqlite3.Error:
        return []


# ---- plans and scenarios -------------------------------------------------------------------


def small_plan(symbols: tuple[str, ...] = ("AAPL", "VTI", "NVDA", "COST")) -> dict[str, Any]:
    """The demo plan cut to a few items (VTI fills half on the demo scenario)."""
    doc = json.loads(DEMO_PLAN.read_text())
    doc["items"] = [item for item in doc["items"] if item["symbol"] in symbols]
    doc["plan_id"] = "drill-" + "-".join(s.lower() for s in symbols)
    return doc


def demo_scenario(**overrides: Any) -> dict[str, Any]:
    """The demo scenario with top-level keys replaced."""
    doc = json.loads(DEMO_SCENARIO.read_text())
    doc.update(overrides)
    return doc


def write(path: Path, doc: Any) -> Path:
    """Write JSON and return the path."""
    path.write_text(json.dumps(doc, indent=1))
    return path


# ---- kill after every journal commit (sim with --sim-state) --------------------------------


@dataclass
class KillSetup:
    """A plan and scenario whose run is killed and resumed on a broker that outlives it.

    broker "sim": the sim persisted with `--sim-state`; "alpaca": the loopback emulator in this
    process, reached by `--broker alpaca` (a fresh emulator per `session`).
    """

    plan: dict[str, Any]
    scenario: dict[str, Any]
    broker: str = "sim"

    def args(self, work: Path) -> list[str]:
        """`run` arguments in `work`."""
        plan = write(work / "plan.json", self.plan)
        scenario = write(work / "scenario.json", self.scenario)
        args = ["run", str(plan), "--yes", "--journal", str(work / "j.sqlite")]
        if self.broker == "alpaca":
            args += ["--broker", "alpaca", "--broker-timeout", "2"]
        else:
            args += ["--scenario", str(scenario), "--sim-state", str(work / "sim-state.json")]
        return [*args, "--format", "json"]

    @contextlib.contextmanager
    def session(self, work: Path) -> Iterator[BrokerSide]:
        """The broker for one drill case: its environment and its orders."""
        if self.broker != "alpaca":
            state = work / "sim-state.json"
            yield BrokerSide({}, lambda: sim_orders(state))
            return
        from console.emulator import AlpacaEmulator

        emu = AlpacaEmulator(
            write(work / "scenario.json", self.scenario), key_id=KEY, secret=SECRET
        )
        quiet_resets(emu)
        emu.start()

        def orders() -> list[dict[str, Any]]:
            with emu.lock:
                return exchange_orders(emu.exchange)

        try:
            yield BrokerSide(emulator_env(emu), orders)
        finally:
            emu.stop()


@dataclass
class BrokerSide:
    """The environment that points the command line at the broker, and the broker's orders."""

    env: dict[str, str]
    orders: Callable[[], list[dict[str, Any]]]


def quiet_resets(emu: Any) -> None:
    """Print no traceback for a connection a killed client reset.

    socketserver prints every handler error on this process's stderr; a SIGKILLed client
    leaves ConnectionResetErrors behind, which are the drill's doing, not a finding.
    """
    server = emu._server
    default = server.handle_error

    def handle_error(request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            default(request, client_address)

    server.handle_error = handle_error


def emulator_env(emu: Any) -> dict[str, str]:
    """APCA_* variables for the emulator."""
    return {
        "APCA_API_BASE_URL": emu.base_url,
        "APCA_API_DATA_URL": emu.base_url,
        "APCA_API_KEY_ID": KEY,
        "APCA_API_SECRET_KEY": SECRET,
    }


def record_commits(setup: KillSetup) -> int:
    """Run once, uninterrupted: how many journal commits the run makes."""
    with tempfile.TemporaryDirectory(prefix="drill-rec-") as tmp:
        work = Path(tmp)
        args = setup.args(work)
        with setup.session(work) as side:
            result = cli_process(args, env=side.env)
        if result.code not in (0, 3):
            raise RuntimeError(f"recording run exited {result.code}: {result.err[-500:]}")
        return count_events(work / "j.sqlite")


def kill_and_resume(
    setup: KillSetup, k: int | list[int], work: Path, *, rerun: bool = True
) -> Problems:
    """Die right after commit k, resume with `run` again, judge from the broker's side.

    With a list, the first run dies after commit k[0], its resumption after its own k[1]-th
    commit, and so on (a crash during recovery), before a last `run` finishes the run.
    """
    ks = [k] if isinstance(k, int) else list(k)
    with setup.session(work) as side:
        return _kill_and_resume(setup.args(work), side, ks, work, rerun)


def _kill_and_resume(
    args: list[str], side: BrokerSide, ks: list[int], work: Path, rerun: bool
) -> Problems:
    journal = work / "j.sqlite"
    found = Problems()
    k = "+".join(map(str, ks))
    expected = 0
    for point in ks:
        killed = cli_process(args, env={**side.env, KILL_ENV: str(point)})
        if killed.code != 137:
            if killed.code in (0, 3, 4) and not has_traceback(killed.err):
                break  # the run (or its resumption) finished before that commit
            found.note("crashes", f"k={k}: killed run exited {killed.code}: {killed.err[-300:]}")
            return found
        expected += point
        if count_events(journal) != expected:
            found.note(
                "other", f"k={k}: journal holds {count_events(journal)} events, not {expected}"
            )
    resumed = cli_process(args, env=side.env)
    if has_traceback(resumed.err) or resumed.code not in (0, 3, 4):
        found.note("crashes", f"k={k}: resume exited {resumed.code}: {resumed.err[-400:]}")
        return found
    run: dict[str, Any] | None
    if resumed.code == 4:
        # only a run whose run_completed was the k-th commit may be refused
        if kinds(journal)[-1:] != ["run_completed"]:
            found.note("other", f"k={k}: resume refused: {resumed.err.strip()[:200]}")
        run = replay_json(journal)
    else:
        run = resumed.json()
        replay = replay_json(journal)
        if replay is None or replay["legs"] != run["legs"] or replay["status"] != run["status"]:
            found.note("other", f"k={k}: replay differs from the resumed run's output")
        if run["status"] == "unfinished":
            found.note("other", f"k={k}: resumed run ended unfinished")
    for text in _judge_texts(judge(run, side.orders(), journal), found):
        found.texts.append(f"k={k}: {text}")
    again = cli_process(args, env=side.env) if rerun else None
    if again is not None and again.code != 4:
        found.note("other", f"k={k}: a finished run was not refused (exit {again.code})")
    return found


def _judge_texts(judged: Problems, into: Problems) -> list[str]:
    into.duplicates += judged.duplicates
    into.lost_orders += judged.lost_orders
    into.lost_fills += judged.lost_fills
    into.crashes += judged.crashes
    return judged.texts


# ---- kills at random times (sim with --sim-state, slower fills) ----------------------------


def _kill_at_random(
    proc: subprocess.Popen[str], journal: Path, rng: random.Random, seed: int, found: Problems
) -> None:
    # wait for the run to reach the journal, then a random moment inside the run
    deadline = time.monotonic() + 60
    start = count_events(journal)
    while count_events(journal) <= start and proc.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, 1.2))
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=30)
    if has_traceback(err):
        found.note("crashes", f"seed={seed}: traceback: {err[-300:]}")


def random_kills(setup: KillSetup, seed: int, work: Path, kills: int = 2) -> Problems:
    """Kill the run (and the resumed runs) `kills` times at seeded random moments, then finish."""
    rng = random.Random(seed)
    args = setup.args(work)
    journal = work / "j.sqlite"
    found = Problems()
    with setup.session(work) as side:
        for _ in range(kills):
            with start_process(args, env=side.env) as proc:
                _kill_at_random(proc, journal, rng, seed, found)
        final = cli_process(args, env=side.env)
        if has_traceback(final.err) or final.code not in (0, 3, 4):
            found.note("crashes", f"seed={seed}: final run exited {final.code}: {final.err[-300:]}")
            return found
        run = final.json() if final.code != 4 else replay_json(journal)
        for text in _judge_texts(judge(run, side.orders(), journal), found):
            found.texts.append(f"seed={seed}: {text}")
    return found


def kill_every_commit(
    setup: KillSetup, commits: int, base: Path, *, workers: int = 2
) -> list[Problems]:
    """`kill_and_resume` at every commit 1..commits, `workers` at a time (each in its own dir).

    A finished run's refusal is checked at the last two points only (it costs a process).
    """
    from concurrent.futures import ThreadPoolExecutor

    def one(k: int) -> Problems:
        work = base / f"k{k:03d}"
        work.mkdir(parents=True, exist_ok=True)
        return kill_and_resume(setup, k, work, rerun=k >= commits - 1)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(1, commits + 1)))


def two_at_once(setup: KillSetup, work: Path) -> Problems:
    """Start two `run`s of the same plan and journal together: one executes, one is refused."""
    args = setup.args(work)
    found = Problems()
    with setup.session(work) as side:
        procs = [start_process(args, env=side.env) for _ in range(2)]
        results = []
        for proc in procs:
            with proc:
                out, err = proc.communicate(timeout=120)
            results.append(Result(proc.returncode, out, err))
        codes = sorted(r.code for r in results)
        for r in results:
            if has_traceback(r.err) or r.code not in (0, 3, 4):
                found.note("crashes", f"exit {r.code}: {r.err[-300:]}")
        if codes[0] not in (0, 3) or codes[1] != 4:
            found.note("other", f"two runs at once exited {codes}, expected one run and one 4")
            return found
        runner = next(r for r in results if r.code != 4)
        refused = next(r for r in results if r.code == 4)
        if "refused" not in refused.err:
            found.note("other", f"the second run's refusal says: {refused.err.strip()[-200:]}")
        for text in _judge_texts(judge(runner.json(), side.orders(), work / "j.sqlite"), found):
            found.texts.append(text)
    return found


def kill_then_market_closes(setup: KillSetup, k: int, work: Path) -> Problems:
    """Die after commit k; the market closes while the process is dead (sim state edited).

    The resumption is refused (exit 4) journaling nothing; once the market opens again, `run`
    finishes the run and the broker-side invariants hold.
    """
    args = setup.args(work)
    journal, state = work / "j.sqlite", work / "sim-state.json"
    found = Problems()
    if cli_process(args, env={KILL_ENV: str(k)}).code != 137:
        found.note("other", f"k={k}: the run was not killed")
        return found

    def market(is_open: bool) -> None:
        doc = json.loads(state.read_text())
        doc["exchange"]["market_open"] = is_open
        state.write_text(json.dumps(doc))

    market(False)
    closed = cli_process(args)
    if closed.code != 4 or has_traceback(closed.err) or count_events(journal) != k:
        found.note(
            "other" if closed.code != 1 else "crashes",
            f"k={k}: resume with the market closed exited {closed.code} and the journal holds"
            f" {count_events(journal)} events (expected 4 and {k})",
        )
    market(True)
    final = cli_process(args)
    if has_traceback(final.err) or final.code not in (0, 3):
        found.note("crashes", f"k={k}: resume after the open exited {final.code}")
        return found
    for text in _judge_texts(judge(final.json(), sim_orders(state), journal), found):
        found.texts.append(f"k={k}: {text}")
    return found
