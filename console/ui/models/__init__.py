"""Qt table models: the generic record table model, column adapters and replay models."""
