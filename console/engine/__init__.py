"""asyncio execution engine: ports, PhaseExecutor, rate limiting, reconciliation and resume."""
