"""Test-wide isolation: user directories (config, data, logs) live in a temp dir per test."""

from __future__ import annotations

import os
from pathlib import Path

# No display in CI: Qt renders offscreen unless the developer asks for a real platform.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from console.domain.market import verify_trusted_builds

# Every model our hot paths build without validation (Frozen.trusted) is validated in the tests.
verify_trusted_builds(True)


@pytest.fixture(autouse=True)
def isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Point platformdirs (XDG) at a fresh directory so no test touches the real home."""
    home = tmp_path_factory.mktemp("home")
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    for var in ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "APCA_API_BASE_URL", "APCA_API_DATA_URL"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(autouse=True)
def close_log_handlers() -> object:
    """Close the handlers a command installed, so no log file is left open after a test."""
    import logging

    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if not isinstance(handler, logging.StreamHandler) or isinstance(
            handler, logging.FileHandler
        ):
            root.removeHandler(handler)
            handler.close()
