"""Replay window fixtures: the recorded journal of tests/replay, shared with the index tests."""

from tests.replay.conftest import recorded

__all__ = ["recorded"]
