"""Loading plans and previewing them against the broker (the steps before an approval)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from console.domain.config import Settings
from console.domain.errors import InputError
from console.domain.market import AccountSnapshot, OpenOrder
from console.domain.plan import MAX_PLAN_BYTES, LoadedPlan, parse_plan_bytes
from console.domain.preview import compute_preview
from console.domain.preview_model import Preview
from console.domain.runstate import RunState
from console.domain.targets import build_targets_plan, parse_targets
from console.engine.executor import PhaseExecutor
from console.engine.gateway import BrokerGateway
from console.engine.ports import Journal, RunRefusedError, RunSummary


def read_user_file(path: str, limit: int = MAX_PLAN_BYTES) -> bytes:
    """Read a user file, refusing one larger than `limit` bytes before reading it."""
    try:
        size = os.path.getsize(path)
        if size > limit:
            raise InputError.single(
                path, "", f"the file is {size:,} bytes; files over {limit:,} bytes are refused"
            )
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError.single(path, "", "no such file") from None
    except IsADirectoryError:
        raise InputError.single(path, "", "is a directory, not a file") from None
    except PermissionError:
        raise InputError.single(path, "", "permission denied") from None
    except OSError as exc:
        raise InputError.single(path, "", f"cannot be read: {exc.strerror}") from None
    if len(data) > limit:
        raise InputError.single(path, "", f"files over {limit:,} bytes are refused")
    return data


def is_targets_file(path: str) -> bool:
    """A .csv file is a targets file; anything else is read as plan JSON."""
    return path.lower().endswith(".csv")


def load_plan_file(path: str) -> LoadedPlan | bytes:
    """A validated JSON plan, or the validated bytes of a targets CSV (built later, online)."""
    data = read_user_file(path)
    if is_targets_file(path):
        parse_targets(path, data)
        return data
    return parse_plan_bytes(path, data)


async def fetch_snapshot(gateway: BrokerGateway, symbols: Sequence[str]) -> AccountSnapshot:
    """Account, positions, quotes, assets and clock, fetched for the plan's and held symbols."""
    account = await gateway.get_account()
    positions = {s: q for s, q in (await gateway.get_positions()).items() if q != 0}
    wanted = sorted(set(symbols) | set(positions))
    # The clock before the quotes: quote ages are measured at its time (as_of), so a quote's
    # age is never overstated by the time the requests take (a quote `age_seconds` old when
    # read is that old, not a few milliseconds more: "older than the limit" stays exact).
    clock = await gateway.get_clock()
    quotes = await gateway.get_quotes(wanted)
    assets = await gateway.get_assets(wanted)
    open_orders = await gateway.list_orders(open_only=True)
    return AccountSnapshot(
        account_id=account.account_id,
        broker=gateway.name,
        mode=gateway.mode,
        cash=account.cash,
        buying_power=account.buying_power,
        positions=positions,
        quotes=quotes,
        assets=assets,
        market_open=clock.is_open,
        clock=clock,
        account_status=account.status,
        open_orders=tuple(
            OpenOrder(
                client_order_id=o.client_order_id,
                broker_order_id=o.broker_order_id,
                symbol=o.symbol,
                side=o.side.value,
                qty=o.qty,
                notional=o.notional,
                status=o.status.value,
                submitted_at=o.updated_at,
            )
            for o in open_orders
        ),
        as_of=clock.timestamp or datetime.now(UTC),
        quote_feed=getattr(gateway.broker, "quote_feed", None),
    )


async def load_plan_source(
    path: str,
    gateway: BrokerGateway,
    settings: Settings,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[LoadedPlan, AccountSnapshot]:
    """Load a plan JSON or build a targets plan, with the account snapshot it is previewed on."""
    loaded = load_plan_file(path)
    if isinstance(loaded, LoadedPlan):
        symbols = [item.symbol for item in loaded.plan.items]
        return loaded, await fetch_snapshot(gateway, symbols)
    snapshot = await fetch_snapshot(gateway, list(parse_targets(path, loaded)))
    return build_targets_plan(path, loaded, snapshot, settings, now()), snapshot


def unfinished_run(journal: Journal, loaded: LoadedPlan) -> RunSummary | None:
    """The plan's run that did not finish, if any (to resume rather than start anew).

    A targets file is a new plan each UTC day, but a run of the same file left unfinished on an
    earlier day still owns orders at the broker: it is found by the file's plan id.
    """
    runs = journal.runs_for_plan(loaded.digest)
    if runs and runs[-1].status == "running":
        return runs[-1]
    if loaded.kind == "targets":
        same_file = [r for r in journal.runs() if r.plan_id == loaded.plan.plan_id]
        if same_file and same_file[-1].status == "running":
            return same_file[-1]
    return None


def next_attempt(journal: Journal | None, plan_digest: str) -> int:
    """The attempt the next run would use: an unfinished run's own, else 1 + the highest."""
    runs = journal.runs_for_plan(plan_digest) if journal is not None else []
    if runs and runs[-1].status == "running":
        return runs[-1].attempt
    return max((run.attempt for run in runs), default=0) + 1


def preview_plan(
    loaded: LoadedPlan, snapshot: AccountSnapshot, settings: Settings, attempt: int
) -> Preview:
    """The preview of a loaded plan on a snapshot (pure)."""
    return compute_preview(loaded.plan, loaded.digest, snapshot, settings, attempt)


async def build_preview(
    gateway: BrokerGateway, journal: Journal | None, loaded: LoadedPlan, settings: Settings
) -> Preview:
    """Fetch a fresh snapshot and preview the plan for its next attempt."""
    snapshot = await fetch_snapshot(gateway, [item.symbol for item in loaded.plan.items])
    return preview_plan(loaded, snapshot, settings, next_attempt(journal, loaded.digest))


async def start_or_resume(
    executor: PhaseExecutor,
    journal: Journal,
    loaded: LoadedPlan,
    snapshot: AccountSnapshot,
    settings: Settings,
    *,
    new_attempt: bool,
    plan_source: str = "",
) -> RunState:
    """The one path from a loaded plan to its run, for every screen: resume or start, never twice.

    An unfinished run of the plan is resumed (a new attempt is refused until it is); a plan that
    already ran is refused unless `new_attempt`; otherwise the preview on `snapshot` for the next
    attempt is started. The executor itself refuses a run the market or the account cannot fill
    (read fresh, under its lock) and a plan+attempt that already ran, whatever screen calls it.
    """
    unfinished = unfinished_run(journal, loaded)
    if unfinished is not None:
        if new_attempt:
            raise RunRefusedError(
                f"run {unfinished.run_id} of this plan did not finish; run without "
                "--new-attempt to resume it first"
            )
        return await executor.resume(unfinished.run_id)
    runs = journal.runs_for_plan(loaded.digest)
    if runs and not new_attempt:
        latest = runs[-1]
        raise RunRefusedError(
            f"plan {loaded.plan.plan_id} was already executed (run {latest.run_id}, "
            f"{latest.status}); pass --new-attempt to run it again"
        )
    preview = preview_plan(loaded, snapshot, settings, next_attempt(journal, loaded.digest))
    return await executor.start(preview, plan_source=plan_source)
