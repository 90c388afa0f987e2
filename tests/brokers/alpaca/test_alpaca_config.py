"""Endpoints, credentials (environment, keyring), paper/live, and the lazy import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from console.brokers.alpaca.config import (
    LIVE_URL,
    PAPER_URL,
    AlpacaOptions,
    load_config,
    stream_url_for,
)
from console.domain.errors import InputError
from console.engine.ports import AuthenticationError

CREDS = {"APCA_API_KEY_ID": "PKID", "APCA_API_SECRET_KEY": "topsecret"}


def _no_keyring(service: str, username: str) -> str | None:
    return None


def test_paper_by_default_and_live_only_on_request() -> None:
    paper = load_config(env=CREDS, keyring_get=_no_keyring)
    assert (paper.base_url, paper.mode, paper.live) == (PAPER_URL, "PAPER", False)
    assert paper.stream_url == "wss://paper-api.alpaca.markets/stream"
    live = load_config(live=True, env=CREDS, keyring_get=_no_keyring)
    assert (live.base_url, live.mode) == (LIVE_URL, "LIVE")
    with pytest.raises(InputError, match="needs --live"):
        load_config(env={**CREDS, "APCA_API_BASE_URL": "https://api.alpaca.markets"})


def test_overrides_strip_v2_and_derive_the_stream_url() -> None:
    env = {
        **CREDS,
        "APCA_API_BASE_URL": "http://127.0.0.1:8123/v2/",
        "APCA_API_DATA_URL": "http://127.0.0.1:8124",
    }
    config = load_config(env=env, keyring_get=_no_keyring)
    assert config.base_url == "http://127.0.0.1:8123"
    assert config.data_url == "http://127.0.0.1:8124"
    assert config.stream_url == "ws://127.0.0.1:8123/stream"
    assert stream_url_for("https://proxy.example/alpaca") == "wss://proxy.example/alpaca/stream"
    with pytest.raises(InputError, match="APCA_API_BASE_URL"):
        load_config(env={**CREDS, "APCA_API_BASE_URL": "ftp://x"}, keyring_get=_no_keyring)


def test_credentials_from_keyring_when_not_in_environment() -> None:
    store = {
        ("phase-console", "APCA_API_KEY_ID"): "K",
        ("phase-console", "APCA_API_SECRET_KEY"): "keyring-secret-0451",
    }
    config = load_config(env={}, keyring_get=lambda s, u: store.get((s, u)))
    assert (config.key_id, config.secret_key) == ("K", "keyring-secret-0451")
    assert "keyring-secret-0451" not in repr(config)


def test_missing_credentials_name_what_to_set() -> None:
    def broken(service: str, username: str) -> str | None:
        raise RuntimeError("No recommended backend was available")

    with pytest.raises(AuthenticationError) as info:
        load_config(env={"APCA_API_KEY_ID": "only-id"}, keyring_get=broken)
    message = str(info.value)
    assert "APCA_API_SECRET_KEY" in message
    assert "APCA_API_KEY_ID," not in message
    assert "OS keyring unavailable" in message
    assert "phase-console" in message


def test_options_are_immutable_defaults() -> None:
    options = AlpacaOptions()
    assert options.request_timeout_s == 10.0
    assert options.rate_limit_per_minute == 200


def test_importing_the_package_does_not_import_alpaca() -> None:
    code = (
        "import sys, console.brokers.alpaca, console.emulator; "
        "assert 'alpaca' not in sys.modules, 'alpaca imported'; "
        "assert 'pandas' not in sys.modules, 'pandas imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
