"""Top-level windows: the operator console main window and the incident replay window."""
