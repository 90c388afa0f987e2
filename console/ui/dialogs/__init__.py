"""Non-modal dialogs (always open(), never exec()): approval, re-approval, questions, settings."""
