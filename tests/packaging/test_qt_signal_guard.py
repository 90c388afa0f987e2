"""Guard for the PySide6 pin: 100,000 signal emits must not abort the interpreter (DESIGN §8)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

EMITS = 100_000

# Run in a child process: the failure this guards against is a fatal abort
# ("Fatal Python error: bool_dealloc" on PySide6 6.12.0 with CPython 3.11), which would
# take the test runner down with it.
_SCRIPT = textwrap.dedent(
    f"""
    from PySide6.QtCore import (
        QAbstractTableModel, QCoreApplication, QModelIndex, QObject, Qt, Signal,
    )

    class Emitter(QObject):
        flag = Signal(bool)

    class Model(QAbstractTableModel):
        def rowCount(self, parent=QModelIndex()):
            return 3

        def columnCount(self, parent=QModelIndex()):
            return 3

        def data(self, index, role=Qt.ItemDataRole.DisplayRole):
            return None

    app = QCoreApplication([])
    seen = [0, 0]
    emitter = Emitter()
    emitter.flag.connect(lambda value: seen.__setitem__(0, seen[0] + 1))
    model = Model()
    model.dataChanged.connect(lambda *args: seen.__setitem__(1, seen[1] + 1))
    top, bottom = model.index(0, 0), model.index(2, 2)
    for i in range({EMITS}):
        emitter.flag.emit(i % 2 == 0)
        model.dataChanged.emit(top, bottom, [Qt.ItemDataRole.DisplayRole])
    print(seen[0], seen[1])
    """
)


def test_many_signal_emits_do_not_abort_the_interpreter() -> None:
    """Signal(bool) and dataChanged emitted 100,000 times each: the child exits 0."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stderr[-2000:]}"
    assert done.stdout.split() == [str(EMITS), str(EMITS)]
