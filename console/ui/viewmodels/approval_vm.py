"""The approval state machine: bound to one preview digest, void on reload, expiry or drift."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import structlog
from PySide6.QtCore import QObject, QTimer, Signal

from console.domain.money import ZERO, add, div
from console.domain.orders import Side
from console.domain.preview_model import Preview, PreviewStatus
from console.ui import fmt

Clock = Callable[[], float]
log = structlog.get_logger(__name__)


class ApprovalState(StrEnum):
    """Where the approval stands."""

    NONE = "none"
    APPROVED = "approved"
    VOID = "void"
    USED = "used"


@dataclass(frozen=True)
class ApprovalFacts:
    """What the approval dialog summarises (counts and exact totals of one preview)."""

    plan_id: str
    short_digest: str
    attempt: int
    mode: str
    account_id: str
    sells_ready: int
    sells_total: Decimal
    buys_ready: int
    buys_total: Decimal
    skipped: tuple[str, ...]
    blocked: tuple[str, ...]
    holds: int
    scale: Decimal
    warnings: tuple[str, ...]

    @property
    def confirm_code(self) -> str:
        """The last 4 characters of the account id (typed to approve a LIVE run)."""
        return self.account_id[-4:]


def approval_facts(preview: Preview, previous_runs: int = 0) -> ApprovalFacts:
    """Counts and totals of a preview for the approval dialog."""
    sells = preview.ready_legs(Side.SELL)
    buys = preview.ready_legs(Side.BUY)
    warnings = [p.message for p in preview.problems if p.symbol is None]
    if previous_runs:
        warnings.append(
            f"this plan has {previous_runs} earlier run(s) in the journal: "
            f"approving starts attempt {preview.attempt}, which trades the plan's amounts in "
            "full again; to trade only what is left, use File > Plan the remainder"
        )
    return ApprovalFacts(
        plan_id=preview.plan_id,
        short_digest=preview.preview_digest[:12],
        attempt=preview.attempt,
        mode=preview.account.mode,
        account_id=preview.account.account_id,
        sells_ready=len(sells),
        sells_total=add(*(leg.est_notional or ZERO for leg in sells)),
        buys_ready=len(buys),
        buys_total=add(*(leg.est_notional or ZERO for leg in buys)),
        skipped=tuple(
            f"{leg.side.value} {leg.symbol}: {leg.reason}"
            for leg in preview.legs
            if leg.status is PreviewStatus.SKIPPED
        ),
        blocked=tuple(
            f"{leg.side.value} {leg.symbol}: {leg.reason}"
            for leg in preview.legs
            if leg.status is PreviewStatus.BLOCKED
        ),
        holds=len(preview.holds),
        scale=preview.funding.scale,
        warnings=tuple(warnings),
    )


def price_drift(approved: Preview, fresh: Preview, band: Decimal) -> str | None:
    """Why a refreshed preview voids the approval (a price beyond the band, other legs), or None."""
    old = {leg.client_order_id: leg for leg in approved.legs}
    new = {leg.client_order_id: leg for leg in fresh.legs}
    if old.keys() != new.keys() or approved.account.account_id != fresh.account.account_id:
        return "the refreshed preview has different legs"
    for coid, before in old.items():
        after = new[coid]
        if before.status is not after.status:
            return (
                f"{after.side.value} {after.symbol} is now {after.status.value}"
                f" (was {before.status.value})"
            )
        if before.price is None or after.price is None or before.price == 0:
            if before.price != after.price:
                return (
                    f"{after.side.value} {after.symbol} price changed to {fmt.price(after.price)}"
                )
            continue
        move = div(add(after.price, -before.price), before.price)
        if abs(move) > band:
            return (
                f"refresh moved {after.symbol} {after.side.value} price {fmt.price(before.price)}"
                f" → {fmt.price(after.price)} ({fmt.signed_pct(move)}, band {fmt.pct(band)})"
            )
    return None


class ApprovalViewModel(QObject):
    """Holds the one valid approval (or why there is none) and counts its TTL down."""

    changed = Signal()
    voided = Signal(str)

    def __init__(
        self,
        ttl_seconds: Decimal,
        drift_band: Decimal,
        *,
        clock: Clock = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.ttl = float(ttl_seconds)  # a duration for the timer, not money
        self.drift_band = drift_band
        self._clock = clock
        self.state = ApprovalState.NONE
        self.reason = "not approved yet"
        self.preview: Preview | None = None
        self.approved_by = ""
        self._expires_at = 0.0
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self.tick)

    # -- queries -------------------------------------------------------------------------
    @property
    def valid(self) -> bool:
        """True while an unexpired approval is held (checks the TTL now)."""
        self.tick()
        return self.state is ApprovalState.APPROVED

    def remaining(self) -> float:
        """Seconds of TTL left (0 when not approved)."""
        if self.state is not ApprovalState.APPROVED:
            return 0.0
        return max(0.0, self._expires_at - self._clock())

    def describe(self) -> str:
        """One line for the status area: approved (digest, time left) or why not."""
        if self.state is ApprovalState.APPROVED and self.preview is not None:
            return (
                f"Approved {self.preview.preview_digest[:12]} by {self.approved_by} · "
                f"expires in {fmt.duration(self.remaining())}"
            )
        if self.state is ApprovalState.USED:
            return f"Approval used: {self.reason}"
        if self.state is ApprovalState.VOID:
            return f"Approval void: {self.reason}"
        return "Not approved"

    def preview_age_ok(self, fetched_at: float) -> bool:
        """A preview older than the TTL must be refreshed before it can be approved."""
        return self._clock() - fetched_at < self.ttl

    def preview_time_left(self, fetched_at: float) -> float:
        """Seconds until a preview fetched at `fetched_at` is too old to approve."""
        return max(0.0, fetched_at + self.ttl - self._clock())

    # -- transitions ---------------------------------------------------------------------
    def approve(self, preview: Preview, approved_by: str) -> None:
        """Approve exactly this preview; the TTL starts now."""
        self.preview = preview
        self.approved_by = approved_by
        self.state = ApprovalState.APPROVED
        self.reason = ""
        self._expires_at = self._clock() + self.ttl
        self._ticker.start()
        log.info(
            "approval_given",
            plan_id=preview.plan_id,
            digest=preview.preview_digest[:12],
            attempt=preview.attempt,
            approved_by=approved_by,
        )
        self.changed.emit()

    def void(self, reason: str) -> None:
        """Void the approval (if any) and say why."""
        if self.state is not ApprovalState.APPROVED:
            return
        self.state = ApprovalState.VOID
        self.reason = reason
        self._ticker.stop()
        log.warning("approval_voided", reason=reason)
        self.changed.emit()
        self.voided.emit(reason)

    def retire(self, reason: str) -> None:
        """A run of the approval ended (or was refused): it can never start anything again."""
        if self.state not in (ApprovalState.APPROVED, ApprovalState.USED):
            return
        self.state = ApprovalState.VOID
        self.reason = reason
        self._ticker.stop()
        log.info("approval_voided", reason=reason)
        self.changed.emit()
        self.voided.emit(reason)

    def consume(self) -> Preview:
        """Use the approval for a run (it cannot start a second run)."""
        if not self.valid or self.preview is None:
            raise RuntimeError(f"no valid approval: {self.reason}")
        self.state = ApprovalState.USED
        self.reason = f"run of {self.preview.preview_digest[:12]} started"
        self._ticker.stop()
        self.changed.emit()
        return self.preview

    def on_reload(self) -> None:
        """A plan was (re)loaded: the approval is void."""
        self.void("the plan was reloaded")

    def on_refresh(self, fresh: Preview) -> None:
        """Quotes were refreshed: void when a price moved beyond the drift band."""
        if self.state is not ApprovalState.APPROVED or self.preview is None:
            return
        why = price_drift(self.preview, fresh, self.drift_band)
        if why is not None:
            self.void(why)

    def tick(self) -> None:
        """Expire the approval when its TTL has passed; announce the countdown."""
        if self.state is not ApprovalState.APPROVED:
            return
        if self._clock() >= self._expires_at:
            self.void(f"it expired after {fmt.duration(self.ttl)} (approval TTL)")
            return
        self.changed.emit()


def scale_drop(approved: Decimal, recomputed: Decimal) -> Decimal:
    """Relative drop of the buy scale: 1 - recomputed / approved (0 when nothing was approved)."""
    if approved == 0:
        return ZERO
    return add(Decimal(1), -div(recomputed, approved))


def pct_of(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole (0 for an empty whole)."""
    return ZERO if whole == 0 else div(part, whole)
