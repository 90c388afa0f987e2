"""The Settings dialog: keyring store, connection test, endpoints, live opt-in, no secret leaks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from console.engine.ports import BrokerError
from console.engine.tasks import TaskGroup
from console.logsetup import configure_logging
from console.ui import prefs
from console.ui.dialogs.settings import KEY_ID_VAR, SECRET_VAR, SettingsDialog
from tests.ui.conftest import Env, open_window

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]

KEY = "PKSETTINGSKEY01"
SECRET = "qq-Settings-S3cret-41d9b7-NEVER-SHOWN"


class FakeCredentials:
    """An in-memory CredentialStore; `problem` simulates a machine without a keyring."""

    def __init__(self, problem: str | None = None) -> None:
        self.problem = problem
        self.values: dict[str, str] = {}

    def available(self) -> str | None:
        return self.problem

    def has(self, name: str) -> bool:
        return bool(self.values.get(name))

    def store(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


class FakeChecker:
    """A connection test that waits for `release` and then answers or raises."""

    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str, bool]] = []
        self.release = asyncio.Event()

    async def __call__(self, key_id: str, secret: str, *, live: bool) -> str:
        self.calls.append((key_id, secret, live))
        await self.release.wait()
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def make_dialog(
    qtbot: QtBot, tmp_path: Path, qloop: asyncio.AbstractEventLoop
) -> Callable[..., SettingsDialog]:
    """Build a shown dialog on isolated QSettings."""

    def build(
        credentials: FakeCredentials | None = None,
        checker: FakeChecker | None = None,
        env: dict[str, str] | None = None,
    ) -> SettingsDialog:
        dialog = SettingsDialog(
            prefs.open_settings(str(tmp_path / "settings.ini")),
            TaskGroup(),
            credentials=credentials,
            checker=checker,
            env=env or {},
            session_mode="PAPER",
        )
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(dialog.isVisible)
        return dialog

    return build


def texts(root: QWidget, *, skip: QWidget | None = None) -> list[str]:
    """Every text a widget tree shows (labels, fields, buttons, titles, tooltips)."""
    found = [root.windowTitle(), root.toolTip()]
    for widget in root.findChildren(QWidget):
        if widget is skip:
            found.append(widget.toolTip())
            continue
        found.append(widget.toolTip())
        if isinstance(widget, QLabel):
            found.append(widget.text())
        elif isinstance(widget, QLineEdit):
            found.extend([widget.text(), widget.displayText(), widget.placeholderText()])
        elif isinstance(widget, QAbstractButton):
            found.append(widget.text())
        elif isinstance(widget, QGroupBox):
            found.append(widget.title())
    return found


def test_store_in_keyring(qtbot: QtBot, make_dialog: Callable[..., SettingsDialog]) -> None:
    store = FakeCredentials()
    dialog = make_dialog(store)
    assert "Nothing stored" in dialog.keyring_status.text()
    assert dialog.secret.echoMode() is QLineEdit.EchoMode.Password
    dialog.key_id.setText(KEY)
    dialog.store_button.click()
    assert store.values == {}
    assert "both" in dialog.result_label.text()
    dialog.secret.setText(SECRET)
    dialog.store_button.click()
    assert store.values == {KEY_ID_VAR: KEY, SECRET_VAR: SECRET}
    assert dialog.secret.text() == ""
    assert "stored in the OS keyring" in dialog.keyring_status.text()
    assert "Stored" in dialog.result_label.text()
    dialog.forget_button.click()
    assert store.values == {}
    assert "Nothing stored" in dialog.keyring_status.text()


def test_store_failure_is_inline(qtbot: QtBot, make_dialog: Callable[..., SettingsDialog]) -> None:
    class Refusing(FakeCredentials):
        def store(self, name: str, value: str) -> None:
            raise BrokerError(f"could not store {name} in the OS keyring (KeyringLocked)")

    dialog = make_dialog(Refusing())
    dialog.key_id.setText(KEY)
    dialog.secret.setText(SECRET)
    dialog.store_button.click()
    assert "Not stored: could not store" in dialog.result_label.text()
    assert dialog.secret.text() == SECRET  # kept, so the operator can use the environment


def test_keyring_unavailable_suggests_environment(
    qtbot: QtBot, make_dialog: Callable[..., SettingsDialog]
) -> None:
    dialog = make_dialog(FakeCredentials(problem="no OS keyring backend on this machine"))
    status = dialog.keyring_status.text()
    assert "no OS keyring backend" in status
    assert "APCA_API_KEY_ID" in status and "APCA_API_SECRET_KEY" in status
    assert not dialog.store_button.isEnabled()
    assert not dialog.forget_button.isEnabled()
    # Without any store wired, the same message explains why.
    other = make_dialog(None)
    assert "not configured" in other.keyring_status.text()
    assert not other.store_button.isEnabled()


def test_connection_success_inline_and_button_disabled_while_running(
    qtbot: QtBot, make_dialog: Callable[..., SettingsDialog]
) -> None:
    checker = FakeChecker("Connected: account PA-1 (PAPER), cash 10,000.00")
    dialog = make_dialog(FakeCredentials(), checker)
    dialog.key_id.setText(KEY)
    dialog.secret.setText(SECRET)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: bool(checker.calls))
    assert checker.calls == [(KEY, SECRET, False)]
    assert dialog.testing
    assert not dialog.test_button.isEnabled()
    assert "Testing the paper connection" in dialog.result_label.text()
    dialog.test_connection()  # a second click while running starts nothing
    assert len(checker.calls) == 1
    checker.release.set()
    qtbot.waitUntil(lambda: not dialog.testing)
    assert dialog.test_button.isEnabled()
    assert dialog.result_label.text() == "Connected: account PA-1 (PAPER), cash 10,000.00"
    assert "1b7f3b" in dialog.result_label.styleSheet()


def test_connection_failure_inline(
    qtbot: QtBot, make_dialog: Callable[..., SettingsDialog]
) -> None:
    checker = FakeChecker(BrokerError("Alpaca refused the credentials (HTTP 401)"))
    checker.release.set()
    dialog = make_dialog(FakeCredentials(), checker)
    dialog.key_id.setText(KEY)
    dialog.test_button.click()
    assert checker.calls == []  # key id without secret: asked for both first
    assert "both" in dialog.result_label.text()
    dialog.key_id.clear()
    dialog.test_button.click()  # both empty: the checker falls back to the keyring
    qtbot.waitUntil(lambda: bool(checker.calls) and not dialog.testing)
    assert checker.calls == [("", "", False)]
    assert dialog.result_label.text() == "Alpaca refused the credentials (HTTP 401)"
    assert "b3261e" in dialog.result_label.styleSheet()
    assert dialog.test_button.isEnabled()


def test_endpoints_in_effect_are_read_only(
    qtbot: QtBot, make_dialog: Callable[..., SettingsDialog]
) -> None:
    dialog = make_dialog(env={"APCA_API_BASE_URL": "http://127.0.0.1:8765"})
    base, data = dialog.endpoints["APCA_API_BASE_URL"], dialog.endpoints["APCA_API_DATA_URL"]
    assert base.isReadOnly() and data.isReadOnly()
    assert base.text() == "http://127.0.0.1:8765"
    assert data.text() == "" and "not set" in data.placeholderText()


def test_live_opt_in_needs_confirmation_and_persists(
    qtbot: QtBot, make_dialog: Callable[..., SettingsDialog], tmp_path: Path
) -> None:
    checker = FakeChecker("ok")
    checker.release.set()
    dialog = make_dialog(FakeCredentials(), checker)
    settings = prefs.open_settings(str(tmp_path / "settings.ini"))
    assert not dialog.live.isChecked()  # off by default
    assert not prefs.live_trading(settings)
    dialog.live.setChecked(True)
    assert not dialog.save_live.isEnabled()
    dialog.apply_live()  # not confirmed: nothing persisted
    assert not prefs.live_trading(prefs.open_settings(str(tmp_path / "settings.ini")))
    dialog.confirm.setText("live")
    assert not dialog.save_live.isEnabled()
    assert not dialog.live_confirmed()
    dialog.confirm.setText("LIVE")
    assert dialog.live_confirmed()
    dialog.test_button.click()  # a confirmed live opt-in tests the live connection
    qtbot.waitUntil(lambda: bool(checker.calls) and not dialog.testing)
    assert checker.calls[-1][2] is True
    assert dialog.save_live.isEnabled()
    dialog.save_live.click()
    assert prefs.live_trading(prefs.open_settings(str(tmp_path / "settings.ini")))
    assert "Live trading is ON" in dialog.live_status.text()
    # Turning it off needs no confirmation.
    dialog.live.setChecked(False)
    assert dialog.save_live.isEnabled()
    dialog.save_live.click()
    assert not prefs.live_trading(prefs.open_settings(str(tmp_path / "settings.ini")))


def test_settings_reachable_from_the_menu(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    env = make_env("fast")
    env.ctx.credentials = FakeCredentials()
    window = open_window(qtbot, env)
    assert dict(window.acts.shortcut_table())["Settings"] == "Ctrl+,"
    window.acts.settings.trigger()
    dialog = window.settings_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    assert not dialog.isModal()
    dialog.secret.setText(SECRET)
    dialog.reject()
    assert dialog.secret.text() == ""  # closing forgets the typed secret
    window.acts.settings.trigger()
    assert window.settings_dialog is dialog
    qtbot.waitUntil(dialog.isVisible)


@pytest.fixture
def json_log(tmp_path: Path) -> Iterator[Path]:
    """The application's logging set-up (structlog via stdlib, JSON file, stderr) at DEBUG."""
    path = tmp_path / "console.log"
    configure_logging(1, path)
    yield path
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()


def test_secret_appears_in_no_log_record_and_no_widget(
    qtbot: QtBot,
    make_env: Callable[..., Env],
    json_log: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    env = make_env("fast")
    store = FakeCredentials()
    # A badly behaved checker that puts the secret into its error: the dialog must redact it.
    checker = FakeChecker(BrokerError(f"refused: bad secret {SECRET!r} for {KEY}"))
    checker.release.set()
    env.ctx.credentials, env.ctx.check_connection = store, checker
    logging.getLogger().addHandler(env.ctx.log_bridge.handler())
    window = open_window(qtbot, env)
    window.acts.settings.trigger()
    dialog = window.settings_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    dialog.key_id.setText(KEY)
    dialog.secret.setText(SECRET)
    assert SECRET not in dialog.secret.displayText()
    assert all(SECRET not in text for text in texts(dialog, skip=dialog.secret))
    dialog.test_button.click()
    qtbot.waitUntil(lambda: bool(checker.calls) and not dialog.testing)
    assert "refused: bad secret" in dialog.result_label.text()
    dialog.store_button.click()
    assert store.values[SECRET_VAR] == SECRET
    dialog.secret.setText(SECRET)
    dialog.live.setChecked(True)
    dialog.confirm.setText("LIVE")
    dialog.save_live.click()
    assert all(SECRET not in text for text in texts(dialog, skip=dialog.secret))
    assert all(SECRET not in text for text in texts(window, skip=dialog.secret))
    dialog.reject()
    qtbot.wait(100)  # let queued log rows reach the event-log dock
    dock = [f"{row.event} {row.details}" for row in env.ctx.log_bridge.model.rows()]
    assert any("settings.connection_failed" in line for line in dock)
    assert any("settings.credentials_stored" in line for line in dock)
    out, err = capfd.readouterr()
    logged = json_log.read_text(encoding="utf-8")
    assert "settings.connection_failed" in logged and "settings.live_trading" in logged
    everything = [logged, out, err, caplog.text, *dock]
    everything.extend(record.getMessage() for record in caplog.records)
    everything.extend(repr(record.__dict__) for record in caplog.records)
    assert all(SECRET not in text for text in everything)
    assert all(SECRET not in text for text in texts(window, skip=dialog.secret))
