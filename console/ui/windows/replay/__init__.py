"""Incident replay: scrub through a journaled run exactly as the operator saw it (issue 5)."""
