"""Custom-painted and composite widgets of the main window."""
