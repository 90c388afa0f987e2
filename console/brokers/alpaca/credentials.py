"""Alpaca credentials in the OS keyring, and a connection test for the Settings dialog."""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from console.brokers.alpaca.config import KEY_ID_VAR, KEYRING_SERVICE, SECRET_VAR, AlpacaOptions
from console.engine.ports import BrokerError

log = structlog.get_logger(__name__)
NAMES = (KEY_ID_VAR, SECRET_VAR)


class KeyringCredentialStore:
    """The `CredentialStore` port on the `keyring` package (service "phase-console")."""

    def available(self) -> str | None:
        """None when a real keyring backend is usable, else a reason to show the operator."""
        try:
            import keyring
            from keyring.backends import fail

            backend = keyring.get_keyring()
        except Exception as exc:
            return f"OS keyring unavailable ({type(exc).__name__})"
        if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
            return "no OS keyring backend on this machine: use APCA_API_* environment variables"
        return None

    def has(self, name: str) -> bool:
        """A value is stored under `name`."""
        self._check(name)
        try:
            import keyring

            return bool(keyring.get_password(KEYRING_SERVICE, name))
        except Exception:
            return False

    def store(self, name: str, value: str) -> None:
        """Store `value` under `name` (the value is never logged)."""
        self._check(name)
        try:
            import keyring

            keyring.set_password(KEYRING_SERVICE, name, value)
        except Exception as exc:
            raise BrokerError(
                f"could not store {name} in the OS keyring ({type(exc).__name__})"
            ) from None
        log.info("credential_stored", name=name)

    def delete(self, name: str) -> None:
        """Remove the value stored under `name`, if any."""
        self._check(name)
        try:
            import keyring
            from keyring.errors import PasswordDeleteError

            try:
                keyring.delete_password(KEYRING_SERVICE, name)
            except PasswordDeleteError:
                return
        except Exception as exc:
            raise BrokerError(
                f"could not delete {name} from the OS keyring ({type(exc).__name__})"
            ) from None
        log.info("credential_deleted", name=name)

    @staticmethod
    def _check(name: str) -> None:
        if name not in NAMES:
            raise ValueError(f"unknown credential name {name!r}")


async def check_connection(
    key_id: str, secret: str, *, live: bool, env: Mapping[str, str] | None = None
) -> str:
    """Fetch the account with these credentials; a one-line summary, or BrokerError/InputError."""
    import os

    from console.brokers.alpaca.adapter import create_alpaca_broker

    values = dict(os.environ if env is None else env)
    values[KEY_ID_VAR], values[SECRET_VAR] = key_id.strip(), secret.strip()
    broker = create_alpaca_broker(
        live=live, env=values, options=AlpacaOptions(request_timeout_s=10.0), keyring_get=None
    )
    try:
        account = await broker.get_account()
        market_open = (await broker.get_clock()).is_open
    finally:
        await broker.close()
    return (
        f"Connected: account {account.account_id} ({broker.mode}), cash {account.cash:,.2f}, "
        f"buying power {account.buying_power:,.2f}, market {'open' if market_open else 'closed'}"
    )
