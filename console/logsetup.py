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


_EXC_KEYS = ("exc_info", "exception", "stack_info")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """stderr: one line per event; tracebacks only with -v, and never a foreign logger's.

    Our own events marked `file_only=True` (the last-resort error whose one-line summary
    the command line prints itself) reach stderr only with -v. Tracebacks always go to the
    log file.
    """

    def __init__(self, verbose: bool) -> None:
        super().__init__(sys.stderr)
        self._verbose = verbose

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record without its traceback unless it is ours and -v was given."""
        event = record.msg if isinstance(record.msg, dict) else None
        if event is not None and event.get("file_only") and not self._verbose:
            return
        keep_traceback = self._verbose and event is not None
        has_traceback = record.exc_info or (
            event is not None and any(key in event for key in _EXC_KEYS)
        )
        if has_traceback and not keep_traceback:
            record = logging.makeLogRecord(record.__dict__)
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
            if event is not None:
                record.msg = {k: v for k, v in event.items() if k not in _EXC_KEYS}
        super().emit(record)


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
    stderr = _StderrHandler(verbose=verbosity > 0)
    stderr.setLevel(logging.DEBUG if verbosity > 0 else logging.WARNING)
    stderr.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            ),
            foreign_pre_chain=shared,
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
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,  # the traceback as text in "exception"
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=shared,
        )
    )
    root.addHandler(file_handler)
    for noisy in ("urllib3", "websockets", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path
