"""A journal recorded by the real PhaseExecutor on the sim broker: a clean run, then an incident.

The incident run has a partial sell fill, a rejected sell, scaled buys, a buy that never fills
and an operator halt in the middle of the buy phase.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

from console.domain.runstate import RunState
from tests.domain.factories import item
from tests.engine.harness import Harness, execute, scenario

INCIDENT_ITEMS = (
    item("AAPL", "SELL", "-1900.5", target="0.3"),
    item("OLD", "SELL", "-75", target="0"),
    item("VTI", "BUY", "1500.25", target="0.2"),
    item("COST", "BUY", "1850", target="0.1"),
)


@dataclass(frozen=True)
class Recorded:
    """The journal file and its two runs."""

    path: Path
    clean: RunState
    incident: RunState


async def _halted_run(h: Harness) -> RunState:
    executor = h.executor()
    preview = await h.preview(attempt=2)
    task = asyncio.create_task(executor.start(preview))
    while not task.done():
        if (
            executor.run_id is not None
            and executor._folder.started
            and any(
                leg.side.value == "buy" and leg.submitted and not leg.is_terminal
                for leg in executor.state().legs
            )
        ):
            await asyncio.sleep(0.05)
            executor.halt("operator halt (test)")
            break
        await asyncio.sleep(0.005)
    return await task


def record(tmp: Path) -> Recorded:
    """Run both runs against one journal file."""
    clean = Harness(tmp)
    clean_state = execute(clean.run())
    clean.journal.close()
    doc = scenario(fills={"partial": ["AAPL"], "reject": ["OLD"], "never_fill": ["COST"]})
    incident = Harness(tmp, scenario_doc=doc, items=INCIDENT_ITEMS)
    incident_state = execute(_halted_run(incident))
    incident.journal.close()
    return Recorded(tmp / "journal.sqlite", clean_state, incident_state)


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """The recorded journal (read-only use only: copy it before tampering)."""
    return record(tmp_path_factory.mktemp("replay-journal"))
