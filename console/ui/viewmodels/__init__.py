"""View-models: Qt objects holding screen state and intents (preview, approval, run, replay)."""
