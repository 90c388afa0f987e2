"""Counted nouns and phase names read as words, never '1 legs' or 'between phase'."""

from __future__ import annotations

import pytest

from console.domain.formatting import counted, phase_text


@pytest.mark.parametrize(("n", "text"), [(0, "0 legs"), (1, "1 leg"), (2, "2 legs")])
def test_counted(n: int, text: str) -> None:
    assert counted(n, "leg") == text


@pytest.mark.parametrize(
    ("phase", "text"),
    [
        ("approval", "starting"),
        ("sell", "sell phase"),
        ("between", "between the phases"),
        ("buy", "buy phase"),
        ("done", "done"),
    ],
)
def test_phase_text(phase: str, text: str) -> None:
    assert phase_text(phase) == text
