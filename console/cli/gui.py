"""`phase-console [PLAN]`: open the operator console window, or say why it cannot open."""

from __future__ import annotations

import argparse
import os
import sys

from console.cli.common import UsageError
from console.domain.config import Settings


def display_problem() -> str | None:
    """Why no window can be shown here (Linux without a display), or None when one can."""
    if not sys.platform.startswith("linux"):
        return None
    platforms = [p.strip() for p in os.environ.get("QT_QPA_PLATFORM", "").split(";") if p.strip()]
    has_x11 = bool(os.environ.get("DISPLAY"))
    has_wayland = bool(os.environ.get("WAYLAND_DISPLAY"))

    def satisfied(name: str) -> bool:
        if name.startswith("xcb"):
            return has_x11
        if name.startswith("wayland"):
            return has_wayland
        return True  # offscreen, minimal, vnc, eglfs, linuxfb: no display server needed

    ok = any(map(satisfied, platforms)) if platforms else has_x11 or has_wayland
    if ok:
        return None
    return (
        "no display to open the console window on (DISPLAY and WAYLAND_DISPLAY are not set). "
        "Start it from a desktop session, or use the terminal commands, e.g. "
        "`phase-console preview demo` (see `phase-console --help`)"
    )


def gui_command(args: argparse.Namespace, settings: Settings) -> int:
    """Open the window (on args.plan when given) and run until it closes."""
    problem = display_problem()
    if problem is not None:
        raise UsageError(problem)
    from console.app import run_gui

    return run_gui(
        args.plan,
        broker=args.broker,
        scenario=args.scenario,
        journal=args.journal,
        settings=settings,
        live=args.live,
        state_path=args.sim_state,
    )
