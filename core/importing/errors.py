"""The error raised for a recommendation file that cannot be imported as a whole."""

from __future__ import annotations

from pathlib import Path


class ImportFileError(Exception):
    """A whole-file problem; str() is a clear message that names the file (and line when known)."""

    def __init__(self, path: Path, reason: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}, line {line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {reason}")
