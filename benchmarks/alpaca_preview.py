"""A 200-symbol preview on the `alpaca` broker against the loopback emulator: requests and seconds.

Prints figures; asserts nothing. The emulator enforces the rate limit (200 requests a minute by
default) and lists a realistic universe of active US equities (11,000 by default). By default
each process (each CLI command) pays for the one asset-list request; with asset_cache_persist the
day's first preview pays for it and later ones read the day's file.

    .venv/bin/python benchmarks/alpaca_preview.py [--symbols 200] [--universe 11000] [--rate 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from console.brokers.alpaca import AlpacaOptions, create_alpaca_broker
from console.brokers.sim.scenario import parse_scenario
from console.domain.config import Settings
from console.domain.preview import compute_preview
from console.emulator import AlpacaEmulator
from console.engine.gateway import BrokerGateway
from console.engine.session import load_plan_source

KEY, SECRET = "PKBENCH", "bench-secret"


def scenario_doc(symbols: int, universe: int, rate: int) -> dict[str, Any]:
    """An account holding half the plan's symbols, with quotes for all and a big asset list."""
    names = [f"S{i:03d}" for i in range(symbols)]
    quotes = {
        s: {"bid": f"{50 + i % 90}.00", "ask": f"{50 + i % 90}.02"} for i, s in enumerate(names)
    }
    assets: dict[str, Any] = {f"U{i:05d}": {} for i in range(universe)}
    assets.update({s: {"fractionable": i % 9 != 0} for i, s in enumerate(names)})
    return {
        "account_id": "PA-BENCH",
        "cash": "500000.00",
        "buying_power": "500000.00",
        "positions": {s: "40" for s in names[: symbols // 2]},
        "quotes": quotes,
        "assets": assets,
        "rate_limit_per_minute": rate,
    }


def plan_doc(symbols: int) -> dict[str, Any]:
    """Sell a little of each held symbol, buy each of the others."""
    items = []
    for i in range(symbols):
        sell = i < symbols // 2
        items.append(
            {
                "symbol": f"S{i:03d}",
                "current_weight": "0.005" if sell else "0",
                "target_weight": "0.004" if sell else "0.001",
                "weight_diff": "0",
                "target_value": "0",
                "current_value": "0",
                "trade_amount": str(Decimal(-200) if sell else Decimal(400)),
                "action": "SELL" if sell else "BUY",
                "priority": 1 + i % 5,
            }
        )
    return {
        "schema_version": "1.0",
        "plan_id": f"bench-alpaca-{symbols}",
        "correlation_id": "c",
        "causation_id": "c",
        "timestamp": "2026-11-24T00:00:00Z",
        "items": items,
        "total_portfolio_value": "1000000",
        "total_trade_value": "0",
    }


async def preview_once(
    emu: AlpacaEmulator, plan: Path, cache: Path, persist: bool
) -> tuple[float, dict[str, int]]:
    """One preview exactly as the command line does it: snapshot through the engine, compute."""
    env = {
        "APCA_API_BASE_URL": emu.base_url,
        "APCA_API_DATA_URL": emu.base_url,
        "APCA_API_KEY_ID": KEY,
        "APCA_API_SECRET_KEY": SECRET,
    }
    broker = create_alpaca_broker(
        env=env,
        options=AlpacaOptions(asset_cache_dir=str(cache), asset_cache_persist=persist),
        keyring_get=lambda s, u: None,
    )
    started = time.perf_counter()
    try:
        gateway = BrokerGateway(broker)
        loaded, snapshot = await load_plan_source(str(plan), gateway, Settings())
        preview = compute_preview(loaded.plan, loaded.digest, snapshot, Settings())
        assert len(preview.legs) == len(loaded.plan.items)
        return time.perf_counter() - started, broker.request_counts
    finally:
        await broker.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=200)
    parser.add_argument("--universe", type=int, default=11000)
    parser.add_argument("--rate", type=int, default=200)
    args = parser.parse_args()
    doc = scenario_doc(args.symbols, args.universe, args.rate)
    scenario = parse_scenario("bench", json.dumps(doc).encode())
    with (
        tempfile.TemporaryDirectory() as tmp,
        AlpacaEmulator(scenario, key_id=KEY, secret=SECRET) as emu,
    ):
        plan = Path(tmp) / "plan.json"
        plan.write_text(json.dumps(plan_doc(args.symbols)), encoding="utf-8")
        cache = Path(tmp) / "cache"
        print(
            f"{args.symbols}-symbol preview on alpaca (emulator, {args.rate} requests/min, "
            f"{args.universe + args.symbols} listed assets)"
        )
        runs = (
            ("a process", False),
            ("another process", False),
            ("persisted: first", True),
            ("persisted: later", True),
        )
        for label, persist in runs:
            seconds, counts = asyncio.run(preview_once(emu, plan, cache, persist))
            detail = ", ".join(
                f"{k} {v}" for k, v in sorted(counts.items()) if k not in ("total", "submit")
            )
            print(f"  {label:<18} {counts['total']:>3} requests  {seconds:6.2f} s  ({detail})")


if __name__ == "__main__":
    main()
