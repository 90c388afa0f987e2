"""The SQLite journal store behind the Journal port (DESIGN §5)."""

from console.journal.store import (
    JournalError,
    ReadOnlyJournalError,
    SqliteJournal,
    default_journal_path,
)

__all__ = ["JournalError", "ReadOnlyJournalError", "SqliteJournal", "default_journal_path"]
