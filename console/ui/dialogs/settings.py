"""Non-modal Settings dialog: Alpaca credentials (OS keyring), connection test, live opt-in."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Protocol

import structlog
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.columns import Tone
from console.engine.ports import CredentialStore
from console.engine.tasks import TaskGroup
from console.ui import prefs
from console.ui.palette import css_colour

log = structlog.get_logger(__name__)

KEY_ID_VAR = "APCA_API_KEY_ID"
SECRET_VAR = "APCA_API_SECRET_KEY"  # noqa: S105 - the variable's name, not a secret
ENDPOINT_VARS = (
    ("Trading endpoint", "APCA_API_BASE_URL", "not set: Alpaca paper (live when opted in)"),
    ("Market data endpoint", "APCA_API_DATA_URL", "not set: Alpaca market data"),
)
CONFIRM_WORD = "LIVE"


class ConnectionChecker(Protocol):
    """Fetches the account with the given credentials; a one-line summary, or raises."""

    def __call__(self, key_id: str, secret: str, *, live: bool) -> Awaitable[str]: ...


def redact(text: str, *secrets: str) -> str:
    """`text` with every non-empty secret replaced by dots."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "•••")
    return text


def _note(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class SettingsDialog(QDialog):
    """File > Settings: store Alpaca credentials, test them, see endpoints, opt in to live."""

    def __init__(
        self,
        qsettings: QSettings,
        tasks: TaskGroup,
        *,
        credentials: CredentialStore | None,
        checker: ConnectionChecker | None,
        env: Mapping[str, str],
        session_mode: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setModal(False)
        self._qsettings, self._tasks = qsettings, tasks
        self._credentials, self._checker = credentials, checker
        self._session_mode = session_mode
        self.test_task: asyncio.Task[None] | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self._credentials_box())
        layout.addWidget(self._endpoints_box(env))
        layout.addWidget(self._live_box())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh_keyring()
        self._live_changed()
        self.resize(620, self.sizeHint().height())

    # -- layout --------------------------------------------------------------------------
    def _credentials_box(self) -> QGroupBox:
        box = QGroupBox("Alpaca credentials")
        form = QFormLayout(box)
        self.key_id = QLineEdit()
        self.key_id.setObjectName("keyId")
        self.key_id.setPlaceholderText("key id (starts with PK for paper)")
        self.secret = QLineEdit()
        self.secret.setObjectName("secret")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("secret key")
        form.addRow("&Key id:", self.key_id)
        form.addRow("&Secret key:", self.secret)
        self.keyring_status = _note("keyringStatus")
        form.addRow("Keyring:", self.keyring_status)
        row = QHBoxLayout()
        self.store_button = QPushButton("Store in OS &keyring")
        self.store_button.setObjectName("storeButton")
        self.store_button.clicked.connect(self.store)
        self.forget_button = QPushButton("&Remove from keyring")
        self.forget_button.setObjectName("forgetButton")
        self.forget_button.clicked.connect(self.forget)
        self.test_button = QPushButton("&Test connection")
        self.test_button.setObjectName("testButton")
        self.test_button.clicked.connect(self.test_connection)
        for button in (self.store_button, self.forget_button, self.test_button):
            row.addWidget(button)
        row.addStretch(1)
        form.addRow(row)
        self.result_label = _note("connectionResult")
        form.addRow("Result:", self.result_label)
        hint = QLabel(
            f"{KEY_ID_VAR} / {SECRET_VAR} in the environment take precedence over the keyring. "
            "Test connection uses the fields, or the keyring when both fields are empty."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet(css_colour(Tone.MUTED))
        form.addRow(hint)
        return box

    def _endpoints_box(self, env: Mapping[str, str]) -> QGroupBox:
        box = QGroupBox("Endpoints in effect (environment, read-only)")
        form = QFormLayout(box)
        self.endpoints: dict[str, QLineEdit] = {}
        for title, var, default in ENDPOINT_VARS:
            field = QLineEdit(env.get(var, "").strip())
            field.setObjectName(var)
            field.setReadOnly(True)
            field.setPlaceholderText(default)
            field.setToolTip(f"Set {var} before starting the console to change it")
            self.endpoints[var] = field
            form.addRow(f"{title} ({var}):", field)
        return box

    def _live_box(self) -> QGroupBox:
        box = QGroupBox("Live trading")
        form = QFormLayout(box)
        self.live = QCheckBox("Trade the &LIVE Alpaca account (real money)")
        self.live.setObjectName("liveCheck")
        self.live.setChecked(prefs.live_trading(self._qsettings))
        self.live.toggled.connect(self._live_changed)
        form.addRow(self.live)
        self.confirm = QLineEdit()
        self.confirm.setObjectName("liveConfirm")
        self.confirm.setPlaceholderText(f"type {CONFIRM_WORD} to confirm")
        self.confirm.setMaxLength(len(CONFIRM_WORD))
        self.confirm.textChanged.connect(self._live_changed)
        self.save_live = QPushButton("Sa&ve live setting")
        self.save_live.setObjectName("saveLive")
        self.save_live.clicked.connect(self.apply_live)
        row = QHBoxLayout()
        row.addWidget(self.confirm, 1)
        row.addWidget(self.save_live)
        form.addRow("Confirmation:", row)
        self.live_status = _note("liveStatus")
        form.addRow(self.live_status)
        return box

    # -- keyring -------------------------------------------------------------------------
    def keyring_problem(self) -> str | None:
        """Why the keyring cannot be used, or None."""
        if self._credentials is None:
            return "credential storage is not configured in this session"
        return self._credentials.available()

    def refresh_keyring(self) -> None:
        """Show what the keyring holds (never the values) or why it is unavailable."""
        problem = self.keyring_problem()
        self.store_button.setEnabled(problem is None)
        self.forget_button.setEnabled(problem is None)
        self.test_button.setEnabled(self._checker is not None and not self.testing)
        if self._checker is None:
            self.test_button.setToolTip("no connection test in this session")
        if problem is not None or self._credentials is None:
            self.keyring_status.setText(
                f"Unavailable: {problem}. Set {KEY_ID_VAR} and {SECRET_VAR} in the environment "
                "instead."
            )
            self.keyring_status.setStyleSheet(css_colour(Tone.WARN))
            return
        stored = [name for name in (KEY_ID_VAR, SECRET_VAR) if self._credentials.has(name)]
        if len(stored) == 2:
            self.keyring_status.setText("Key id and secret are stored in the OS keyring.")
            self.secret.setPlaceholderText("stored in the OS keyring (type to replace)")
        elif stored:
            self.keyring_status.setText(f"Only {stored[0]} is stored in the OS keyring.")
        else:
            self.keyring_status.setText("Nothing stored in the OS keyring yet.")
        self.keyring_status.setStyleSheet("")

    def store(self) -> None:
        """Store the key id and secret in the OS keyring; the secret field is cleared."""
        key_id, secret = self.key_id.text().strip(), self.secret.text().strip()
        if self._credentials is None or self.keyring_problem() is not None:
            self.refresh_keyring()
            return
        if not key_id or not secret:
            self._show(False, "Enter both the key id and the secret key to store them.")
            return
        try:
            self._credentials.store(KEY_ID_VAR, key_id)
            self._credentials.store(SECRET_VAR, secret)
        except Exception as exc:  # the port raises BrokerError with a safe message
            message = redact(str(exc) or type(exc).__name__, secret)
            log.warning("settings.credentials_not_stored", error=message)
            self._show(False, f"Not stored: {message}")
            return
        self.secret.clear()
        log.info("settings.credentials_stored")
        self._show(True, "Stored in the OS keyring; used from the next Alpaca start.")
        self.refresh_keyring()

    def forget(self) -> None:
        """Delete both values from the OS keyring."""
        if self._credentials is None or self.keyring_problem() is not None:
            return
        try:
            for name in (KEY_ID_VAR, SECRET_VAR):
                self._credentials.delete(name)
        except Exception as exc:
            log.warning("settings.credentials_not_removed", error=str(exc))
            self._show(False, f"Not removed: {exc}")
            return
        self._show(True, "Removed from the OS keyring.")
        self.refresh_keyring()

    # -- connection test -----------------------------------------------------------------
    @property
    def testing(self) -> bool:
        """A connection test is running."""
        return self.test_task is not None and not self.test_task.done()

    def test_connection(self) -> None:
        """Run the connection test as a referenced task; the result shows inline."""
        if self._checker is None or self.testing:
            return
        key_id, secret = self.key_id.text().strip(), self.secret.text().strip()
        if bool(key_id) != bool(secret):
            self._show(False, "Enter both the key id and the secret key (or neither).")
            return
        live = self.live_confirmed()
        self.test_button.setEnabled(False)
        self.result_label.setText(f"Testing the {'LIVE' if live else 'paper'} connection…")
        self.result_label.setStyleSheet("")
        self.test_task = self._tasks.spawn(
            self._test(self._checker, key_id, secret, live), name="settings-test-connection"
        )

    async def _test(self, checker: ConnectionChecker, key_id: str, secret: str, live: bool) -> None:
        try:
            summary = await checker(key_id, secret, live=live)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # shown inline; the message is redacted first
            message = redact(str(exc) or type(exc).__name__, secret)
            log.warning("settings.connection_failed", error_type=type(exc).__name__, error=message)
            self._show(False, message)
        else:
            log.info("settings.connection_ok", live=live)
            self._show(True, redact(summary, secret))
        finally:
            self.test_button.setEnabled(True)

    def _show(self, ok: bool, text: str) -> None:
        self.result_label.setText(text)
        self.result_label.setStyleSheet(css_colour(Tone.GOOD if ok else Tone.BAD))

    # -- live opt-in ---------------------------------------------------------------------
    def live_confirmed(self) -> bool:
        """The live box is ticked and the confirmation word typed."""
        return self.live.isChecked() and self.confirm.text().strip() == CONFIRM_WORD

    def _live_changed(self, *_: object) -> None:
        checked = self.live.isChecked()
        saved = prefs.live_trading(self._qsettings)
        self.confirm.setEnabled(checked and not saved)
        if checked and saved:
            self.save_live.setEnabled(False)
            self.live_status.setText(
                "Live trading is ON: the Alpaca broker trades the LIVE account from its next "
                f"start (this session: {self._session_mode})."
            )
            self.live_status.setStyleSheet(css_colour(Tone.BAD) + "font-weight:bold;")
        elif checked:
            self.save_live.setEnabled(self.live_confirmed())
            self.live_status.setText(
                f"Type {CONFIRM_WORD} and save to trade real money. Every LIVE approval also asks "
                "for the last 4 characters of the account."
            )
            self.live_status.setStyleSheet(css_colour(Tone.WARN))
        else:
            self.save_live.setEnabled(saved)
            self.live_status.setText(
                "Paper trading (default)."
                + (" Save to turn live trading off." if saved else "")
                + f" This session: {self._session_mode}."
            )
            self.live_status.setStyleSheet("")

    def apply_live(self) -> None:
        """Persist the live opt-in (only when confirmed) or its removal."""
        if self.live.isChecked() and not self.live_confirmed():
            self._live_changed()
            return
        on = self.live.isChecked()
        prefs.set_live_trading(self._qsettings, on)
        if on:
            log.warning("settings.live_trading", enabled=True)
        else:
            log.info("settings.live_trading", enabled=False)
        self.confirm.clear()
        self._live_changed()

    def done(self, result: int) -> None:
        """Forget the typed secret and the confirmation when the dialog closes."""
        self.secret.clear()
        self.confirm.clear()
        super().done(result)
