"""`python -m console.cli`: the same entry point as the `phase-console` script."""

import sys

from console.cli.dispatch import main

sys.exit(main())
