"""Entry script for the desktop bundle: the same `phase-console` command line."""

import sys

from console.cli import main

if __name__ == "__main__":
    sys.exit(main())
