"""PySide6 views, table models, view-models and dialogs of the operator console."""
