"""Asset facts of one trading base URL: kept for minutes in the process, on disk if asked."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import structlog

from console.domain.market import Asset

log = structlog.get_logger(__name__)

_PREFIX = "alpaca-assets-"


def default_cache_dir() -> Path:
    """The user cache dir of phase-console (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("phase-console", appauthor=False))


FRESH_FOR_S = 600.0
"""How long listed facts serve later previews of the same process (a console left open)."""


class AssetCache:
    """Tradability facts of one base URL: None marks a symbol Alpaca lacks.

    A preview lists every active US equity in ONE request and keeps the answer here for
    FRESH_FOR_S seconds, so refreshes within minutes cost no asset request. Facts older than
    that are fetched again: tradable and fractionable flags change during the day (halts,
    listings), and an order sized on stale facts is refused. Only with `persist=True` are they
    also kept on disk for the UTC day (per base URL), trading freshness for one request.
    """

    def __init__(
        self,
        base_url: str,
        directory: Path | None = None,
        *,
        today: date | None = None,
        persist: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._dir = directory if directory is not None else default_cache_dir()
        self._persist = persist
        self._key = hashlib.sha256(base_url.encode("utf-8")).hexdigest()[:16]
        self._day = (today or datetime.now(UTC).date()).isoformat()
        self._clock = clock
        self._facts: dict[str, Asset | None] | None = None
        self._fetched_at = 0.0

    @property
    def path(self) -> Path:
        """The file of this base URL and day."""
        return self._dir / f"{_PREFIX}{self._key}-{self._day}.json"

    def load(self) -> dict[str, Asset | None] | None:
        """The facts while fresh (or the day's file, when persisted); None: list them again."""
        if self._facts is not None and self._clock() - self._fetched_at < FRESH_FOR_S:
            return self._facts
        self._facts = None
        if not self._persist:
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            facts = {str(k): _asset(str(k), v) for k, v in data["assets"].items()}
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            log.warning("alpaca.asset_cache_unreadable", path=str(self.path))
            return None
        self._facts, self._fetched_at = facts, self._clock()
        return facts

    def store(self, facts: dict[str, Asset | None]) -> None:
        """Replace the facts (on disk atomically, when persisted; older days dropped)."""
        self._facts = dict(facts)
        self._fetched_at = self._clock()
        if not self._persist:
            return
        doc = {
            "day": self._day,
            "assets": {
                symbol: None
                if asset is None
                else {"tradable": asset.tradable, "fractionable": asset.fractionable}
                for symbol, asset in sorted(self._facts.items())
            },
        }
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".assets-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(doc, handle, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("alpaca.asset_cache_not_written", path=str(self.path), error=str(exc))
            return
        for old in self._dir.glob(f"{_PREFIX}{self._key}-*.json"):
            if old != self.path:
                with contextlib.suppress(OSError):
                    old.unlink()

    def add(self, extra: dict[str, Asset | None]) -> None:
        """Add single-symbol answers to the facts (they expire with them)."""
        facts = dict(self._facts or {})
        facts.update(extra)
        fetched_at = self._fetched_at if self._facts is not None else self._clock()
        self.store(facts)
        self._fetched_at = fetched_at


def _asset(symbol: str, value: Any) -> Asset | None:
    if value is None:
        return None
    return Asset(
        symbol=symbol, tradable=bool(value["tradable"]), fractionable=bool(value["fractionable"])
    )
