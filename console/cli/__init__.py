"""The `phase-console` command line (DESIGN §6): one module per group of sub-commands."""

from console.cli.dispatch import main

__all__ = ["main"]
