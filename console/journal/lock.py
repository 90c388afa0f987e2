"""One executor per run: an OS file lock beside the journal, with the holder's pid, host, since.

The lock is `flock` on a file named after the journal and the plan digest, so it is released by
the operating system the moment its holder dies (a crash, SIGKILL): a dead holder's lock is taken
over by the next resume, and a live holder is named to whoever is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import structlog

from console.engine.ports import RunLockedError

log = structlog.get_logger(__name__)


def lock_path(journal_path: Path, key: str) -> Path:
    """Where the lock of one plan's runs lives: beside the journal."""
    return journal_path.with_name(f"{journal_path.name}.run-{key[:16]}.lock")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class FileRunLock:
    """A held run lock; `beat()` refreshes the heartbeat, `release()` lets go (idempotent)."""

    def __init__(self, path: Path, fd: int, holder: dict[str, object]) -> None:
        self.path = path
        self._fd: int | None = fd
        self.holder = holder

    @classmethod
    def acquire(cls, journal_path: Path, key: str) -> FileRunLock:
        """Take the lock or raise RunLockedError naming the live holder."""
        path = lock_path(journal_path, key)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            current = _read_holder(fd)
            os.close(fd)
            raise RunLockedError(_describe(current)) from None
        except BaseException:
            os.close(fd)
            raise
        previous = _read_holder(fd)
        if previous.get("pid"):
            log.warning("run_lock_taken_over", previous=_describe(previous), key=key[:16])
        holder: dict[str, object] = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": _now(),
            "heartbeat": _now(),
        }
        lock = cls(path, fd, holder)
        lock._write()
        return lock

    def _write(self) -> None:
        if self._fd is None:
            return
        data = json.dumps(self.holder, sort_keys=True).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)
        os.fsync(self._fd)

    def beat(self) -> None:
        """Refresh the heartbeat (shown to a refused second executor)."""
        self.holder["heartbeat"] = _now()
        with contextlib.suppress(OSError):
            self._write()

    def release(self) -> None:
        """Let go of the lock (the file stays, empty, for the next holder)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def live_holder(
    journal_path: Path, key: str, *, stale_after_s: float = 60.0
) -> dict[str, object] | None:
    """The process executing a plan's run now (pid, host, since), or None; takes no lock.

    Probing with flock could make a starting executor's own attempt fail, so the holder's
    record decides: on this host its pid must be alive; on another, its heartbeat fresh.
    """
    try:
        fd = os.open(lock_path(journal_path, key), os.O_RDONLY)
    except OSError:
        return None
    try:
        holder = _read_holder(fd)
    finally:
        os.close(fd)
    pid = holder.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return None  # released (an empty file) or never written
    if holder.get("host") == socket.gethostname():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # alive, another user's
        return holder
    try:
        beat = datetime.fromisoformat(str(holder.get("heartbeat")))
    except ValueError:
        return None
    age = (datetime.now(UTC) - beat).total_seconds()
    return holder if age <= stale_after_s else None


def _read_holder(fd: int) -> dict[str, object]:
    try:
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw.decode()) if raw else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _describe(holder: dict[str, object]) -> str:
    if not holder:
        return "another process is executing this run"
    return (
        f"another process is executing this run: pid {holder.get('pid')} on "
        f"{holder.get('host')} since {holder.get('since')} (heartbeat {holder.get('heartbeat')})"
    )
