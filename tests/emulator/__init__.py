"""Tests of the loopback Alpaca emulator."""
