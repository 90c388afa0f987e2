"""structlog set-up: JSON lines to the log file, readable lines on stderr, never stdout."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

import structlog
from platformdirs import user_log_dir

SECRET_KEYS = ("secret", "password", "token", "api_key", "apca_api_secret_key", "authorization")


def default_log_path() -> Path:
    """The log file in the user log directory."""
    return Path(user_log_dir("phase-console", appauthor=False)) / "phase-console.log"


def _redact(_: object, __: str, event: structlog.typing.EventDict) -> structlog.typing.EventDict:
    for key in list(event):
        if any(word in key.lower() for word in SECRET_KEYS):
            event[key] = "***"
    return event


def configure_logging(verbosity: int = 0, log_path: Path | None = None) -> Path | None:
    """Route structlog and stdlib logging to stderr (readable) and a JSON-lines file."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.DEBUG if verbosity > 0 else logging.WARNING)
    stderr.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=structlog.dev.ConsoleRenderer(colors=False), foreign_pre_chain=shared
        )
    )
    root.addHandler(stderr)
    path = log_path or default_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=10_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        return None
    file_handler.setLevel(logging.DEBUG if verbosity > 0 else logging.INFO)
    file_handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=structlog.processors.JSONRenderer(), foreign_pre_chain=shared
        )
    )
    root.addHandler(file_handler)
    for noisy in ("urllib3", "websockets", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path
