"""Deciding which text encoding a recommendation file is in, without guessing statistically.

The rules are deliberately simple so that an organiser can predict them: an encoding named by
the user wins; otherwise a file that is valid UTF-8 from start to end is UTF-8; otherwise the
format's historical default applies (Mac Roman for UPR Info, cp1252 for UHRI CSV exports).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

UTF8_BOM = codecs.BOM_UTF8

# Large enough to keep the number of reads low, small enough that a 100 MB file never sits in
# memory at once.
CHUNK_SIZE = 1024 * 1024


class UnknownEncodingError(LookupError):
    """The encoding name given by the user is not a codec Python knows."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True)
class DecodeFailure:
    """Where a file stopped decoding: the physical line (1-based) and the offending byte."""

    line: int
    byte: int | None

    def describe(self) -> str:
        """A short phrase such as "byte 0xe9" for error messages."""
        return f"byte 0x{self.byte:02x}" if self.byte is not None else "an incomplete character"


def check_codec(name: str) -> str:
    """Return the codec name unchanged if Python knows it, else raise UnknownEncodingError."""
    try:
        info = codecs.lookup(name)
    except LookupError as exc:
        raise UnknownEncodingError(name) from exc
    # Codecs such as "rot13" or "base64" exist but do not turn bytes into text.
    if not getattr(info, "_is_text_encoding", True):
        raise UnknownEncodingError(name)
    return name


def has_utf8_bom(path: Path) -> bool:
    """Whether the file starts with the UTF-8 byte order mark that Excel writes."""
    with path.open("rb") as fh:
        return fh.read(len(UTF8_BOM)) == UTF8_BOM


class _LineCounter:
    """Counts physical lines the way csv's line_num does: CR, LF and CRLF each end one line."""

    def __init__(self) -> None:
        self.line = 1
        self._pending_cr = False

    def feed(self, text: str) -> None:
        """Advance over a piece of decoded text."""
        if not text:
            return
        if self._pending_cr and text[0] == "\n":
            # The CR that ended the previous piece was the first half of a CRLF.
            text = text[1:]
        self.line += text.count("\r") + text.count("\n") - text.count("\r\n")
        self._pending_cr = text.endswith("\r")


def first_decode_failure(path: Path, encoding: str) -> DecodeFailure | None:
    """Decode the whole file in chunks and return where it first fails, or None if it is clean."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    counter = _LineCounter()
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK_SIZE)
            final = not chunk
            try:
                counter.feed(decoder.decode(chunk, final=final))
            except UnicodeDecodeError as exc:
                # exc.object is what the decoder was working on (its buffered tail from the
                # previous chunk plus this chunk), so everything before exc.start is valid text
                # that has not been counted yet.
                data = bytes(exc.object)
                counter.feed(data[: exc.start].decode(encoding, errors="replace"))
                byte = data[exc.start] if exc.start < len(data) else None
                return DecodeFailure(counter.line, byte)
            if final:
                return None
