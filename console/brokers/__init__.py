"""Broker adapters behind the Broker port: sim (embedded default), alpaca, loopback emulator."""
