"""Small helpers shared by the dialogs: bold selectable labels and the non-modal question."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget


def bold(text: str) -> QLabel:
    """A bold, selectable label."""
    label = QLabel(text)
    label.setStyleSheet("font-weight:bold;")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def ask(
    parent: QWidget,
    title: str,
    text: str,
    yes: str,
    on_yes: Callable[[], None],
    *,
    no: str = "Cancel",
    on_no: Callable[[], None] | None = None,
    name: str = "question",
    default_yes: bool = True,
) -> QMessageBox:
    """A modeless question (show(), never exec() nor open()); the callbacks run when answered.

    Modeless, so the main window's HALT button and Ctrl+. keep working while it is open;
    `default_yes=False` makes the safe answer (`no`) the default button.
    """
    box = QMessageBox(parent)
    box.setObjectName(name)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    no_button = box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes_button if default_yes else no_button)
    box.setEscapeButton(no_button)
    box.setWindowModality(Qt.WindowModality.NonModal)

    def answered(_: int) -> None:
        if box.clickedButton() is yes_button:
            on_yes()
        elif on_no is not None:
            on_no()
        box.deleteLater()

    box.finished.connect(answered)
    box.show()
    return box
