"""Map character offsets in a text to 1-based line and column numbers."""

from __future__ import annotations

import bisect
import re


class LineIndex:
    """Offsets of line starts in *text*, for O(log n) offset -> (line, column) lookups."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = [0]
        self._starts.extend(m.end() for m in re.finditer("\n", text))

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, column) of the character at *offset*."""
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def line_text(self, line: int) -> str:
        """The text of 1-based *line*, without its newline."""
        if line < 1 or line > len(self._starts):
            return ""
        start = self._starts[line - 1]
        end = self._starts[line] - 1 if line < len(self._starts) else len(self.text)
        return self.text[start:end]
