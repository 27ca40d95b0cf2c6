"""The error raised for a recommendation file that cannot be imported as a whole."""

from __future__ import annotations

from pathlib import Path

from core.errors import ExplainedError, Phrase, located


class ImportFileError(ExplainedError):
    """A whole-file problem; str() is a clear message that names the file (and line when known).

    The reason is a message template (marked with N_) whose values come as keywords.
    """

    def __init__(
        self, path: Path, reason: str | Phrase, /, line: int | None = None, **values: object
    ) -> None:
        self.path = path
        self.line = line
        said = reason if isinstance(reason, Phrase) else Phrase(reason, **values)
        self.reason = str(said)
        super().__init__(located(path, said, line))
