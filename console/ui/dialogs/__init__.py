"""Modeless dialogs (shown with show(), never exec() nor open()): approval, questions, settings."""
