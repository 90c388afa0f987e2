"""Asset facts cached on disk for the UTC day, keyed by the trading base URL (DESIGN §7)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
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


class AssetCache:
    """Tradability facts of one base URL for one UTC day: None marks a symbol Alpaca lacks.

    The day's first preview lists every active US equity in ONE request and stores it here;
    a symbol missing from the list is looked up once and stored too, so later previews of the
    same day cost no asset request at all.
    """

    def __init__(
        self,
        base_url: str,
        directory: Path | None = None,
        *,
        today: date | None = None,
        persist: bool | None = None,
    ) -> None:
        self._dir = directory if directory is not None else default_cache_dir()
        # A loopback server (the emulator, a test double) changes its assets with every scenario
        # it is started with: by default its facts are kept for this process only, not on disk.
        self._persist = not _is_loopback(base_url) if persist is None else persist
        self._key = hashlib.sha256(base_url.encode("utf-8")).hexdigest()[:16]
        self._day = (today or datetime.now(UTC).date()).isoformat()
        self._facts: dict[str, Asset | None] | None = None

    @property
    def path(self) -> Path:
        """The file of this base URL and day."""
        return self._dir / f"{_PREFIX}{self._key}-{self._day}.json"

    def load(self) -> dict[str, Asset | None] | None:
        """The day's facts, or None when the day's list has not been fetched yet."""
        if self._facts is not None:
            return self._facts
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
        self._facts = facts
        return facts

    def store(self, facts: dict[str, Asset | None]) -> None:
        """Replace the day's facts (atomically), and drop this base URL's older days."""
        self._facts = dict(facts)
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
        """Add single-symbol answers to the day's facts."""
        facts = dict(self.load() or {})
        facts.update(extra)
        self.store(facts)


def _asset(symbol: str, value: Any) -> Asset | None:
    if value is None:
        return None
    return Asset(
        symbol=symbol, tradable=bool(value["tradable"]), fractionable=bool(value["fractionable"])
    )


def _is_loopback(base_url: str) -> bool:
    """True for http(s)://localhost, 127.x.x.x or [::1] base URLs."""
    from urllib.parse import urlsplit

    host = (urlsplit(base_url).hostname or "").lower()
    return host == "localhost" or host.startswith("127.") or host == "::1"
