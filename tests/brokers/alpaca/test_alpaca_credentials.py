"""Credentials in the OS keyring and the Settings dialog's connection check."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import keyring
import pytest
from alpaca_testkit import KEY_ID, SECRET, emulator
from keyring.backend import KeyringBackend

from console.brokers.alpaca.config import KEY_ID_VAR, SECRET_VAR, load_config
from console.brokers.alpaca.credentials import KeyringCredentialStore, check_connection
from console.engine.ports import AuthenticationError, BrokerError, CredentialStore


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring backend (the test machine has no OS keyring)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if (service, username) not in self.values:
            raise PasswordDeleteError(username)
        del self.values[(service, username)]


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_store_then_credentials_resolve_from_the_keyring(memory_keyring: MemoryKeyring) -> None:
    store = KeyringCredentialStore()
    assert isinstance(store, CredentialStore) and store.available() is None
    assert not store.has(KEY_ID_VAR)
    store.store(KEY_ID_VAR, "PKFROMKEYRING")
    store.store(SECRET_VAR, "s3cr3t-from-keyring")
    assert store.has(KEY_ID_VAR) and store.has(SECRET_VAR)
    config = load_config(env={})
    assert (config.key_id, config.secret_key) == ("PKFROMKEYRING", "s3cr3t-from-keyring")
    assert "s3cr3t" not in repr(config)
    store.delete(SECRET_VAR)
    store.delete(SECRET_VAR)  # deleting twice is fine
    with pytest.raises(AuthenticationError) as info:
        load_config(env={})
    assert SECRET_VAR in str(info.value)


def test_unknown_names_are_refused(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="unknown credential"):
        KeyringCredentialStore().store("PASSWORD", "x")


def test_no_backend_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert "keyring" in (KeyringCredentialStore().available() or "")
        with pytest.raises(BrokerError) as info:
            KeyringCredentialStore().store(KEY_ID_VAR, "value-never-shown")
        assert "value-never-shown" not in str(info.value)
    finally:
        keyring.set_keyring(previous)


def test_check_connection_against_the_emulator() -> None:
    emu = emulator()
    try:
        env = {"APCA_API_BASE_URL": emu.base_url, "APCA_API_DATA_URL": emu.base_url}
        summary = asyncio.run(check_connection(KEY_ID, SECRET, live=False, env=env))
        assert summary.startswith("Connected: account") and "PAPER" in summary
        assert SECRET not in summary
        with pytest.raises(AuthenticationError):
            asyncio.run(check_connection(KEY_ID, "wrong-secret", live=False, env=env))
    finally:
        emu.stop()
