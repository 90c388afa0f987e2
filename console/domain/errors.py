"""Input errors that name the file and the field (DESIGN §2: exit code 2, nothing changed)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldIssue:
    """One problem in a user file: a field path (or '' for the whole file) and a message."""

    path: str
    message: str

    def render(self) -> str:
        """`path: message`, or the message alone."""
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass(eq=False)  # not frozen: raising sets __traceback__ on the instance
class InputError(Exception):
    """A user file that cannot be used; lists every issue found."""

    file: str
    issues: tuple[FieldIssue, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        lines = [f"{self.file}: {issue.render()}" for issue in self.issues]
        return "\n".join(lines) if lines else f"{self.file}: invalid"

    @classmethod
    def single(cls, file: str, path: str, message: str) -> InputError:
        """An error with one issue."""
        return cls(file, (FieldIssue(path, message),))
