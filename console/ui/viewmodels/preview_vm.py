"""Loading a plan, previewing it against the broker, and refreshing quotes (no widgets here)."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import structlog
from PySide6.QtCore import QObject, Signal

from console.domain.config import Settings
from console.domain.errors import InputError
from console.domain.market import AccountSnapshot, MarketClock, OpenOrder
from console.domain.plan import LoadedPlan
from console.domain.preview import account_gate, clock_refusal, run_refusal
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
        self.account_at = 0.0
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

    def clock_now(self) -> MarketClock | None:
        """The broker's clock as of now: the snapshot's clock moved on by the time since it."""
        account = self.account
        if account is None or account.clock is None or account.clock.timestamp is None:
            return None
        clock = account.clock
        assert clock.timestamp is not None
        now = clock.timestamp + timedelta(seconds=max(0.0, self._clock() - self.account_at))
        is_open = clock.is_open
        if is_open and clock.next_close is not None and now >= clock.next_close:
            is_open = False
        if not is_open and clock.next_open is not None and now >= clock.next_open:
            return None  # it opened since: only a refresh can tell the next close
        return clock.model_copy(update={"timestamp": now, "is_open": is_open})

    def gate_refusal(self) -> str | None:
        """Why Approve is disabled now: the market is closed or near the close, or the account
        cannot trade (the preview's gate, re-checked against the clock as time passes)."""
        preview = self.preview
        if preview is None:
            return None
        clock = self.clock_now()
        if clock is None:
            return run_refusal(preview)
        reasons = [why for why in (clock_refusal(clock, self.settings),) if why]
        blocked = account_gate(preview.account)
        if blocked is not None:
            reasons.append(blocked.message)
        return "; ".join(reasons) if reasons else None

    def foreign_open_orders(self) -> list[OpenOrder]:
        """The account's working orders that are not this plan's (another tool, by hand)."""
        account = self.account
        if account is None:
            return []
        prefix = ""
        if self.preview is not None:
            prefix = f"pc-{self.preview.plan_digest[:12]}-"
        return [
            o for o in account.open_orders if not (prefix and o.client_order_id.startswith(prefix))
        ]

    async def cancel_open_order(self, order: OpenOrder) -> bool:
        """Cancel one working order that is not this plan's (confirmed by the operator), then
        refresh the preview so its legs see the change."""
        log.warning(
            "operator_cancel_open_order",
            symbol=order.symbol,
            side=order.side,
            client_order_id=order.client_order_id,
            broker_order_id=order.broker_order_id,
        )
        try:
            await self.gateway.cancel_order(order.broker_order_id)
        except BrokerError as exc:
            log.error("cancel_open_order_failed", error=str(exc))
            self.message.emit(f"Could not cancel the {order.symbol} order: {exc}")
            return False
        self.message.emit(f"Cancel sent for the {order.side} order of {order.symbol}")
        return await self.refresh()

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
                self.set_account(await fetch_snapshot(self.gateway, []))
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

    def set_account(self, snapshot: AccountSnapshot) -> None:
        """A fresh account read (a refresh, or after a phase of a run)."""
        self.account = snapshot
        self.account_at = self._clock()
        self.account_changed.emit()

    def _set_preview(self, preview: Preview) -> None:
        self.preview = preview
        self.preview_at = self._clock()
        self.preview_changed.emit()
        self.set_account(preview.account)
