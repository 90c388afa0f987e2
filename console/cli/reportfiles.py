"""Writing a PDF report from the command line: the path is checked first, errors exit 2."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from console.domain.errors import InputError
from console.domain.formatting import counted


def check_pdf_path(path: str) -> None:
    """--pdf must name a file in an existing folder (it is overwritten when it exists)."""
    target = Path(path)
    if target.is_dir():
        raise InputError.single(path, "--pdf", "is a directory, not a file")
    if not target.parent.is_dir():
        raise InputError.single(path, "--pdf", f"the folder {str(target.parent)!r} does not exist")


def write_report(path: str, write: Callable[[str], int]) -> None:
    """Write the report with `write` (returns its page count) and say so on stderr."""
    check_pdf_path(path)
    try:
        pages = write(path)
    except OSError as exc:
        raise InputError.single(path, "--pdf", f"cannot be written: {exc.strerror}") from None
    if not Path(path).is_file() or Path(path).stat().st_size == 0:
        raise InputError.single(path, "--pdf", "cannot be written")
    sys.stderr.write(f"wrote {path} ({counted(pages, 'page')})\n")
