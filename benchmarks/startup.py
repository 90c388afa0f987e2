"""Start-up benchmark: process start -> main window shown (sim broker), median of 5 runs.

Prints figures; asserts nothing. Each run is a fresh interpreter that imports the console, opens
the window on the sim broker and reports the wall-clock time at which the window was shown (and
whether alpaca-py was imported, which it must not be with the sim broker).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys, time
from console.app import run_gui

def shown(window):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    QApplication.processEvents()  # the first paint of the shown window
    stamp = time.time()
    print(json.dumps({"shown": stamp, "visible": window.isVisible(),
                      "alpaca": any(m == "alpaca" or m.startswith("alpaca.") for m in sys.modules),
                      "title": window.windowTitle()}), flush=True)
    QTimer.singleShot(0, window.close)

sys.exit(run_gui(None, journal=sys.argv[1], qsettings_path=sys.argv[2], on_shown=shown))
"""


def one_run(tmp: Path, number: int, *, bytecode: bool = True) -> dict[str, object]:
    """Start a fresh process and return its report with the measured seconds.

    With `bytecode`, compiled modules are cached under a private PYTHONPYCACHEPREFIX (as an
    installed application has them); without it nothing is cached and every module is compiled
    from source on each start (PYTHONDONTWRITEBYTECODE, as some CI sandboxes set).
    """
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    env["PYTHONPATH"] = str(ROOT)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if bytecode:
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    journal = tmp / f"journal-{number}.sqlite"
    settings = tmp / f"settings-{number}.ini"
    start = time.time()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(journal), str(settings)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"run {number} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    report: dict[str, object] = json.loads(lines[-1])
    report["seconds"] = float(str(report["shown"])) - start
    report["exit"] = done.returncode
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one_run(Path(tmp), 0)  # warm the OS file cache and the bytecode cache; not counted
        reports = [one_run(Path(tmp), n) for n in range(1, args.runs + 1)]
        cold = [one_run(Path(tmp), n, bytecode=False) for n in range(1, args.runs + 1)]
    print(f"process start -> main window shown (sim broker), median of {args.runs} runs")
    for name, runs in (
        ("with bytecode cache (installed)", reports),
        ("compiling every module", cold),
    ):
        seconds = [float(str(r["seconds"])) for r in runs]
        print(f"  {name}:")
        print("    runs      " + "  ".join(f"{s:.3f}" for s in seconds) + " s")
        print(f"    median    {statistics.median(seconds):.3f} s   (target <= 0.8 s)")
    print(f"  alpaca imported: {any(bool(r['alpaca']) for r in reports + cold)}")
    print(f"  window title: {reports[0]['title']}  exit codes: {[r['exit'] for r in reports]}")


if __name__ == "__main__":
    main()
