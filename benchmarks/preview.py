"""A generated 5,000-item plan: load + validation, then preview (target <= 100 ms in total).

Prints the median (and min/max) of each part over several runs, their sum, and the preview's
peak memory. `--runs N` changes the number of runs (default 9).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from console.domain.config import Settings
from console.domain.market import AccountSnapshot, Asset, Quote
from console.domain.plan import parse_plan_bytes
from console.domain.preview import compute_preview

N = 5000


def generate() -> tuple[bytes, AccountSnapshot]:
    """A plan of N items (40% sells incl. liquidations, 50% buys, 10% holds) and its account."""
    items, positions, quotes, assets = [], {}, {}, {}
    for i in range(N):
        symbol = f"S{i:05d}"
        price = Decimal(10 + (i * 37) % 900) + Decimal(i % 100) / 100
        quotes[symbol] = Quote(bid=price, ask=price + Decimal("0.02"))
        assets[symbol] = Asset(symbol=symbol, fractionable=i % 7 != 0)
        kind = i % 10
        if kind < 4:
            positions[symbol] = Decimal(50 + i % 40)
            amount = -(Decimal(100 + i % 500) + Decimal("0.123456789"))
            target = "0" if kind == 0 else "0.0001"
            action = "SELL"
        elif kind < 9:
            amount, target, action = (
                Decimal(50 + i % 3000) + Decimal("0.987654321"),
                "0.0002",
                "BUY",
            )
        else:
            positions[symbol] = Decimal(10)
            amount, target, action = Decimal(0), "0.0001", "HOLD"
        items.append(
            {
                "symbol": symbol,
                "current_weight": "0.0001",
                "target_weight": target,
                "weight_diff": "0",
                "target_value": "0",
                "current_value": "0",
                "trade_amount": str(amount),
                "action": action,
                "priority": 1 + i % 5,
            }
        )
    doc = {
        "schema_version": "1.0",
        "plan_id": "bench-5000",
        "correlation_id": "c",
        "causation_id": "c",
        "timestamp": "2026-11-24T00:00:00Z",
        "items": items,
        "total_portfolio_value": "10000000",
        "total_trade_value": "0",
    }
    snap = AccountSnapshot(
        account_id="BENCH",
        broker="sim",
        mode="SIM",
        cash=Decimal("250000"),
        buying_power=Decimal("250000"),
        positions=positions,
        quotes=quotes,
        assets=assets,
        market_open=True,
    )
    return json.dumps(doc).encode(), snap


def _ms(times: list[float]) -> str:
    return (
        f"median {statistics.median(times):.1f} ms, min {min(times):.1f} ms, "
        f"max {max(times):.1f} ms over {len(times)} runs"
    )


def main() -> None:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 9
    data, snap = generate()
    settings = Settings()
    # warm-up (imports, regex compilation, the first allocations)
    loaded = parse_plan_bytes("bench.json", data)
    preview = compute_preview(loaded.plan, loaded.digest, snap, settings)
    load_times, preview_times = [], []
    for _ in range(runs):
        # The previous run's plan and preview are freed before the clock starts: assigning over
        # them inside the timed lines would time their deallocation too (about 5 ms).
        del loaded, preview
        t0 = time.perf_counter()
        loaded = parse_plan_bytes("bench.json", data)
        load_times.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        preview = compute_preview(loaded.plan, loaded.digest, snap, settings)
        preview_times.append((time.perf_counter() - t0) * 1000)
    tracemalloc.start()
    compute_preview(loaded.plan, loaded.digest, snap, settings)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    statuses: dict[str, int] = {}
    for leg in preview.legs:
        statuses[leg.status.value] = statuses.get(leg.status.value, 0) + 1
    total = statistics.median(load_times) + statistics.median(preview_times)
    print(f"items: {N}  legs: {len(preview.legs)}  statuses: {statuses}")
    print(f"plan load + validation ({len(data) / 1e6:.1f} MB): {_ms(load_times)}")
    print(f"preview computation: {_ms(preview_times)}")
    print(f"load + validation + preview: {total:.1f} ms (sum of medians; target <= 100 ms)")
    print(f"preview peak memory (tracemalloc): {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
