"""Render the replay view offscreen to docs/images (mid-run cursor; tamper banner).

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.ui.windows.replay.screenshots
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

from console.ui.windows.replay.view import TAB_MONITOR
from console.ui.windows.replay.window import ReplayWindow
from tests.replay.conftest import record
from tests.ui.windows.replay.helpers import copy_journal, read_only_opener, tamper

IMAGES = Path(__file__).resolve().parents[4] / "docs" / "images"


def shoot(window: ReplayWindow, name: str) -> None:
    """Lay out at 1280x800 and save."""
    window.resize(1280, 800)
    window.show()
    for _ in range(5):
        QApplication.processEvents()  # a script, not the app: let layouts settle before grabbing
    window.grab().save(str(IMAGES / name))
    print(IMAGES / name)


def main() -> None:
    """Record a run, then shoot the mid-run cursor and the tamper banner."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        recorded = record(Path(tmp))
        window = ReplayWindow(read_only_opener)
        window.open_path(str(recorded.path))
        assert window.view is not None
        view = window.view
        view.player.seek_seq(view.index.problems[0].seq)
        view.player.step(3)
        view.tabs.setCurrentIndex(TAB_MONITOR)
        shoot(window, "replay-midrun.png")
        window.close()
        copy_dir = Path(tmp) / "copy"
        copy_dir.mkdir()
        path = copy_journal(recorded.path, copy_dir)
        tamper(path, view.index.seqs[-5], "sim-", "SIM-")
        tampered = ReplayWindow(read_only_opener)
        tampered.open_path(str(path))
        shoot(tampered, "replay-tampered.png")
        tampered.close()
    del app


if __name__ == "__main__":
    main()
