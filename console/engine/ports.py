"""The Broker and Journal ports: the async contracts adapters implement."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from console.domain.events import JournalEvent, RecordedEvent
from console.domain.market import AccountStatus, Asset, MarketClock, Quote
from console.domain.orders import OrderRequest, OrderSnapshot


class BrokerError(Exception):
    """Base of every error a Broker adapter raises."""


class RateLimitedError(BrokerError):
    """HTTP 429: the request was not processed; retry after `retry_after` seconds."""

    def __init__(self, retry_after: float, message: str = "rate limit exceeded") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BrokerUnavailableError(BrokerError):
    """5xx or a transport failure: for a submit the outcome is unknown."""


class BrokerTimeoutError(BrokerError):
    """No answer in time: for a submit the outcome is unknown."""


class DuplicateClientOrderIdError(BrokerError):
    """'client_order_id must be unique': an order with this id exists; look it up."""


class OrderRejectedError(BrokerError):
    """The broker refused the order request outright (4xx); nothing was placed.

    `code` is the broker's error code (Alpaca: 40310000 insufficient buying power or qty, wash
    trade; 40310100 pattern day trader protection) and `http_status` the HTTP status, when known.
    """

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status

    @property
    def reason(self) -> str:
        """The broker's message with its code, as a leg's `reason`."""
        parts = [str(p) for p in (self.http_status, self.code) if p is not None]
        return f"{self.message} ({' '.join(parts)})" if parts else self.message


class AuthenticationError(BrokerError):
    """Credentials missing or refused."""


class DataSubscriptionError(BrokerError):
    """The market-data plan does not cover the requested feed (a setting to change, not keys)."""


class RunRefusedError(Exception):
    """A run may not start (or resume) now: already executed, market or account gate."""


class RunLockedError(RunRefusedError):
    """Another live process is executing this run; the message names it (pid, host, since)."""


class RunLock(Protocol):
    """A held one-executor-per-run lock."""

    def beat(self) -> None: ...

    def release(self) -> None: ...


@dataclass(frozen=True)
class AccountInfo:
    """Account balances and whether the account may trade."""

    account_id: str
    cash: Decimal
    buying_power: Decimal
    status: AccountStatus = field(default_factory=AccountStatus)


@runtime_checkable
class Broker(Protocol):
    """A brokerage account. Every method is one request (batched where the broker allows).

    | method                 | returns                  | contract                             |
    |------------------------|--------------------------|--------------------------------------|
    | get_account()          | AccountInfo              | RateLimited, Unavailable, Timeout    |
    | get_positions()        | {symbol: qty}            | same errors                          |
    | get_quotes(symbols)    | {symbol: Quote}          | a symbol with no quote is absent     |
    | get_assets(symbols)    | {symbol: Asset}          | an unknown symbol is absent          |
    | get_clock()            | MarketClock              | same errors                          |
    | list_orders(open_only, | [OrderSnapshot]          | open_only: every working order of    |
    |   after)               |                          | the account (anyone's); else every   |
    |                        |                          | order submitted after `after`        |
    | submit_order(request)  | OrderSnapshot (acked)    | DuplicateClientOrderId: exists, look |
    |                        |                          | it up; OrderRejected: nothing placed;|
    |                        |                          | Timeout/Unavailable: outcome unknown |
    | get_order_by_client_id | OrderSnapshot or None    | None: the broker has no such order   |
    | cancel_order(id)       | None (cancel requested)  | a terminal order is not an error     |
    | updates()              | async iterator           | every status/fill change, possibly   |
    |                        |                          | before submit_order returns          |
    | close()                | None                     | stops the stream; idempotent         |
    """

    name: str  # "sim" or "alpaca"
    mode: str  # "SIM", "PAPER" or "LIVE"
    rate_limit_per_minute: int

    @property
    def updates_live(self) -> bool:
        """Whether `updates()` reports changes as they happen now (else the engine polls)."""
        ...

    @property
    def updates_epoch(self) -> int:
        """How many times the update stream has (re)connected: a change means a gap."""
        ...

    async def get_account(self) -> AccountInfo: ...

    async def get_positions(self) -> dict[str, Decimal]: ...

    async def get_quotes(self, symbols: Sequence[str]) -> dict[str, Quote]: ...

    async def get_assets(self, symbols: Sequence[str]) -> dict[str, Asset]: ...

    async def get_clock(self) -> MarketClock: ...

    async def list_orders(
        self, *, open_only: bool, after: datetime | None = None
    ) -> list[OrderSnapshot]: ...

    async def submit_order(self, request: OrderRequest) -> OrderSnapshot: ...

    async def get_order_by_client_id(self, client_order_id: str) -> OrderSnapshot | None: ...

    async def cancel_order(self, broker_order_id: str) -> None: ...

    def updates(self) -> AsyncIterator[OrderSnapshot]: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class RunSummary:
    """One run as listed by `journal runs`."""

    run_id: str
    plan_id: str
    plan_digest: str
    attempt: int
    broker: str
    mode: str
    started_at: str
    status: str  # running (unfinished), succeeded, partial, failed, halted
    first_seq: int
    last_seq: int
    legs: int
    filled_notional: Decimal


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of checking the hash chain."""

    ok: bool
    event_count: int
    first_bad_seq: int | None = None
    detail: str = ""


@runtime_checkable
class Journal(Protocol):
    """The append-only, hash-chained event journal.

    | method                | returns          | contract                                   |
    |-----------------------|------------------|--------------------------------------------|
    | append(run_id, event) | RecordedEvent    | durable (committed) when it returns        |
    | new_run_id()          | str              | unique, sortable by creation time          |
    | events(run_id, upto)  | [RecordedEvent]  | the run's events in seq order, seq <= upto |
    | runs()                | [RunSummary]     | every run, oldest first                    |
    | runs_for_plan(digest) | [RunSummary]     | runs of one plan digest, oldest first      |
    | verify(deep)          | VerifyResult     | the first seq whose bytes break the chain  |
    | head_hash(run_id)     | str | None       | hash of the run's last event (journal_head)|
    | lock_run(key)         | RunLock          | RunLockedError while a live process holds  |
    |                       |                  | it; a dead holder's lock is taken over     |
    | executing(key)        | bool             | a live process holds that lock (takes none)|
    | close()               | None             | idempotent                                 |
    """

    async def append(self, run_id: str, event: JournalEvent) -> RecordedEvent: ...

    def new_run_id(self) -> str: ...

    def events(self, run_id: str, upto_seq: int | None = None) -> list[RecordedEvent]: ...

    def runs(self) -> list[RunSummary]: ...

    def runs_for_plan(self, plan_digest: str) -> list[RunSummary]: ...

    def verify(self, *, deep: bool = True) -> VerifyResult: ...

    def lock_run(self, key: str) -> RunLock: ...

    def executing(self, key: str) -> bool: ...

    def head_hash(self, run_id: str, upto_seq: int | None = None) -> str | None: ...

    def close(self) -> None: ...


@runtime_checkable
class CredentialStore(Protocol):
    """Where broker credentials live (the OS keyring); values never reach a log or the journal.

    | method            | returns      | contract                                          |
    |-------------------|--------------|---------------------------------------------------|
    | available()       | str | None   | None when usable, else why not (no backend)       |
    | has(name)         | bool         | a value is stored (the value itself is not read)  |
    | store(name, v)    | None         | raises BrokerError with a safe message on failure |
    | delete(name)      | None         | deleting a missing value is not an error          |
    """

    def available(self) -> str | None: ...

    def has(self, name: str) -> bool: ...

    def store(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...
