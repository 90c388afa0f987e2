"""Loading a plan, previewing it against the broker, and refreshing quotes (no widgets here)."""

from __future__ import annotations

import time
from decimal import Decimal

import structlog
from PySide6.QtCore import QObject, Signal

from console.domain.config import Settings
from console.domain.errors import InputError
from console.domain.market import AccountSnapshot
from console.domain.plan import LoadedPlan
from console.domain.preview_model import Preview
from console.domain.rows import WeightBar
from console.engine.gateway import BrokerGateway
from console.engine.ports import BrokerError, Journal
from console.engine.session import (
    build_preview,
    fetch_snapshot,
    load_plan_source,
    next_attempt,
    preview_plan,
)
from console.ui.viewmodels.approval_vm import ApprovalViewModel, Clock

log = structlog.get_logger(__name__)


class PreviewViewModel(QObject):
    """Owns the loaded plan, its preview, the last load error and the account snapshot."""

    plan_changed = Signal()
    preview_changed = Signal()
    account_changed = Signal()
    load_failed = Signal(InputError)
    busy_changed = Signal(bool)
    message = Signal(str)

    def __init__(
        self,
        gateway: BrokerGateway,
        journal: Journal,
        settings: Settings,
        approval: ApprovalViewModel,
        *,
        clock: Clock = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self.journal = journal
        self.settings = settings
        self.approval = approval
        self._clock = clock
        self.loaded: LoadedPlan | None = None
        self.preview: Preview | None = None
        self.preview_at = 0.0
        self.account: AccountSnapshot | None = None
        self.error: InputError | None = None
        self.busy = False

    # -- queries -------------------------------------------------------------------------
    @property
    def plan_id(self) -> str | None:
        """The loaded plan's id."""
        return self.loaded.plan.plan_id if self.loaded is not None else None

    @property
    def equity(self) -> Decimal | None:
        """Exact equity of the latest snapshot."""
        return self.account.equity() if self.account is not None else None

    def weights(self) -> list[WeightBar]:
        """Current and target weight of every plan item, in plan order."""
        if self.loaded is None:
            return []
        return [
            WeightBar(item.symbol, item.action.value, item.current_weight, item.target_weight)
            for item in self.loaded.plan.items
        ]

    def targets(self) -> dict[str, Decimal]:
        """Target weight by symbol."""
        return {bar.symbol: bar.target for bar in self.weights()}

    def previous_runs(self) -> int:
        """Runs of the loaded plan already in the journal."""
        if self.loaded is None:
            return 0
        return len(self.journal.runs_for_plan(self.loaded.digest))

    # -- intents -------------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busy_changed.emit(busy)

    async def load(self, path: str) -> bool:
        """Load a plan JSON or targets CSV; on error keep the current plan and report each issue."""
        self._set_busy(True)
        try:
            loaded, snapshot = await load_plan_source(path, self.gateway, self.settings)
            attempt = next_attempt(self.journal, loaded.digest)
            preview = preview_plan(loaded, snapshot, self.settings, attempt)
        except InputError as exc:
            log.warning("plan_refused", file=exc.file, issues=len(exc.issues))
            self.error = exc
            self.load_failed.emit(exc)
            return False
        except BrokerError as exc:
            log.error("broker_error", during="load", error=str(exc))
            self.message.emit(f"Broker error while loading {path}: {exc}")
            return False
        finally:
            self._set_busy(False)
        self.error = None
        self.loaded = loaded
        self.approval.on_reload()
        self._set_preview(preview)
        log.info("plan_loaded", plan_id=loaded.plan.plan_id, file=path, attempt=attempt)
        self.plan_changed.emit()
        return True

    async def refresh(self) -> bool:
        """Fetch fresh quotes and balances; recompute the preview; check the approval's drift."""
        self._set_busy(True)
        try:
            if self.loaded is None:
                self.account = await fetch_snapshot(self.gateway, [])
                self.account_changed.emit()
                return True
            preview = await build_preview(self.gateway, self.journal, self.loaded, self.settings)
        except BrokerError as exc:
            log.error("broker_error", during="refresh", error=str(exc))
            self.message.emit(f"Broker error while refreshing: {exc}")
            return False
        finally:
            self._set_busy(False)
        self.approval.on_refresh(preview)
        self._set_preview(preview)
        log.info("preview_refreshed", plan_id=preview.plan_id, digest=preview.preview_digest[:12])
        return True

    def dismiss_error(self) -> None:
        """Hide the last load error."""
        self.error = None

    def _set_preview(self, preview: Preview) -> None:
        self.preview = preview
        self.preview_at = self._clock()
        self.account = preview.account
        self.preview_changed.emit()
        self.account_changed.emit()
