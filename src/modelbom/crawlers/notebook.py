"""Jupyter notebooks: references in code cells, never in outputs or markdown cells.

The notebook is parsed as JSON (nbformat 4 ``cells[].source``, nbformat 3
``worksheets[].cells[].input``). In each code cell, shell escapes (``!cmd``), line magics
(``%pip install x``) and shell cell magics (``%%bash``, Databricks ``%sh``) are read as
shell commands; ``pip install`` lines give library findings; the remaining lines are
read as Python. The Python of all code cells that parse is analysed as one module, so a
name bound in one cell is followed into the load call of a later cell.

Outputs are never read: a model id printed by a cell, or a token echoed into an output,
never reaches a finding. Evidence gives the line in the ``.ipynb`` file where the source
line is stored, the cell index and the line within the cell.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from modelbom.crawlers.base import Crawler, CrawlError, FileInput, scope_of_path
from modelbom.crawlers.manifests_python import normalise_pypi
from modelbom.crawlers.python import findings_from_source
from modelbom.crawlers.shell import findings_from_shell, shell_words
from modelbom.model import Evidence, Finding, Kind, Scope

_MAX_BYTES = 64 * 1024 * 1024
_MAX_PYTHON_CHARS = 2 * 1024 * 1024

# JSON tokens: strings, punctuation, and bare scalars (numbers, true, false, null).
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')

_SHELL_CELL_MAGICS = frozenset({"bash", "sh", "shell", "system", "zsh"})
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "python", "python3"})
_PYTHON_LINE_MAGICS = frozenset({"time", "timeit", "prun"})
# Databricks exports: a first line naming the cell's language.
_DATABRICKS_SKIP = frozenset({"md", "sql", "scala", "r", "fs", "run", "html", "latex"})
_PYTHON_LANGUAGES = frozenset({"python", "python2", "python3", "ipython", "ipython3", "pyspark"})

_SHELL_ASSIGN = re.compile(r"(\s*)[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*!(?!=)")

_PIP_VALUE_FLAGS = frozenset(
    {
        "-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url",
        "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--trusted-host",
        "--platform", "--python-version", "--implementation", "--abi", "--upgrade-strategy",
        "--progress-bar", "--cache-dir", "--src", "-e", "--editable", "-C", "--config-settings",
        "--global-option", "--report", "--log", "--proxy", "--retries", "--timeout",
        "--exists-action", "--only-binary", "--no-binary", "--python",
    }
)  # fmt: skip
_PIP_REQUIREMENT = re.compile(
    r"([A-Za-z0-9](?:[A-Za-z0-9._\-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(?:(===?)\s*([^\s,;]+))?"
)
_INSTALLER_TOOLS = frozenset({"pip", "setuptools", "wheel"})


@dataclass(slots=True)
class _Cell:
    """One code cell: its index, source lines and the file line of each source line."""

    index: int
    lines: list[str]
    file_lines: list[int]
    python: list[str] = field(default_factory=list)
    shell: list[str] = field(default_factory=list)
    shifts: dict[int, int] = field(default_factory=dict)  # cell line -> columns removed


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CrawlError(f"not a valid notebook: not UTF-8 (byte {exc.start})") from None
    return text[1:] if text.startswith("\ufeff") else text


def _parse(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except RecursionError:
        raise CrawlError("not a valid notebook: JSON nested too deeply") from None
    except MemoryError:
        raise CrawlError("not a valid notebook: too large to parse") from None
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise CrawlError(f"not a valid notebook: {exc}") from None
    if not isinstance(doc, dict):
        raise CrawlError("not a valid notebook: the top level is not a JSON object")
    return doc


def _raw_cells(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], str, list[tuple[int, ...]]]:
    """The cells of either format, the key of their source, and each cell's JSON path key."""
    cells = doc.get("cells")
    if isinstance(cells, list):
        if not all(isinstance(c, dict) for c in cells):
            raise CrawlError("not a valid notebook: a cell is not a JSON object")
        return cells, "source", [(i,) for i in range(len(cells))]
    worksheets = doc.get("worksheets")
    if isinstance(worksheets, list):
        out: list[dict[str, Any]] = []
        keys: list[tuple[int, ...]] = []
        for w, sheet in enumerate(worksheets):
            sheet_cells = sheet.get("cells") if isinstance(sheet, dict) else None
            if not isinstance(sheet_cells, list):
                raise CrawlError(f"not a valid notebook: worksheet {w} has no cell list")
            for i, cell in enumerate(sheet_cells):
                if not isinstance(cell, dict):
                    raise CrawlError("not a valid notebook: a cell is not a JSON object")
                out.append(cell)
                keys.append((w, i))
        return out, "input", keys
    version = doc.get("nbformat")
    if version is not None and version not in (3, 4):
        raise CrawlError(f"not a valid notebook: unsupported nbformat {version!r}")
    raise CrawlError("not a valid notebook: no cells (neither nbformat 4 nor 3)")


def _source_offsets(text: str, v3: bool) -> dict[tuple[int, ...], list[int]]:
    """Offset in *text* of every JSON string making up a cell's source, by cell path."""
    found: dict[tuple[int, ...], list[int]] = {}
    # Each frame: [is_object, key or index, expecting a key]
    stack: list[list[Any]] = []
    for match in _TOKEN.finditer(text):
        head = text[match.start()]  # no copy of the token: output strings can be huge
        if head == "{":
            stack.append([True, None, True])
        elif head == "[":
            stack.append([False, 0, False])
        elif head in "}]":
            if stack:
                stack.pop()
        elif head == ",":
            if stack:
                top = stack[-1]
                if top[0]:
                    top[2] = True
                else:
                    top[1] += 1
        elif head == ":":
            if stack:
                stack[-1][2] = False
        elif head == '"':
            frame = stack[-1] if stack else None
            if frame is not None and frame[0] and frame[2]:
                token = match.group()
                frame[1] = json.loads(token) if "\\" in token else token[1:-1]
                continue
            key = _source_path(stack, v3)
            if key is not None:
                found.setdefault(key, []).append(match.start())
    return found


def _source_path(stack: Sequence[list[Any]], v3: bool) -> tuple[int, ...] | None:
    """The cell path when the string at the top of *stack* is (part of) a cell source."""
    depth = len(stack)
    if not v3:
        if depth == 4 and not stack[3][0]:
            depth = 3
        elif depth != 3:
            return None
        if stack[0][1] == "cells" and not stack[1][0] and stack[2][1] == "source":
            return (stack[1][1],)
        return None
    if depth == 6 and not stack[5][0]:
        depth = 5
    elif depth != 5:
        return None
    if (
        stack[0][1] == "worksheets"
        and not stack[1][0]
        and stack[2][1] == "cells"
        and not stack[3][0]
        and stack[4][1] == "input"
    ):
        return (stack[1][1], stack[3][1])
    return None


def _line_numbers(text: str, offsets: Iterable[int]) -> dict[int, int]:
    """1-based line of each offset, counting newlines once through the text."""
    lines: dict[int, int] = {}
    position, line = 0, 1
    for offset in sorted(set(offsets)):
        line += text.count("\n", position, offset)
        position = offset
        lines[offset] = line
    return lines


def _cells(text: str, doc: dict[str, Any]) -> list[_Cell]:
    """The code cells, with the file line of each of their source lines."""
    raw_cells, source_key, paths = _raw_cells(doc)
    offsets = _source_offsets(text, source_key == "input")
    line_of = _line_numbers(text, (o for offs in offsets.values() for o in offs))
    cells: list[_Cell] = []
    for index, (cell, path) in enumerate(zip(raw_cells, paths, strict=True)):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get(source_key, "")
        parts = [source] if isinstance(source, str) else source
        if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
            raise CrawlError(f"not a valid notebook: the source of cell {index} is not text")
        parts = [p.replace("\r\n", "\n").replace("\r", "\n") for p in parts]
        part_offsets = offsets.get(path, [])
        if len(part_offsets) != len(parts):  # duplicate keys or an odd layout
            part_offsets = part_offsets[:1] * len(parts) if part_offsets else []
        starts: list[int] = []
        part_lines: list[int] = []
        position = 0
        for part, offset in zip(parts, part_offsets or [0] * len(parts), strict=True):
            if part:
                starts.append(position)
                part_lines.append(line_of.get(offset, 1))
            position += len(part)
        source_text = "".join(parts)
        lines = source_text.split("\n")
        file_lines: list[int] = []
        line_start = 0
        for line in lines:
            k = bisect.bisect_right(starts, line_start) - 1
            file_lines.append(part_lines[k] if 0 <= k < len(part_lines) else 1)
            line_start += len(line) + 1
        cells.append(_Cell(index, lines, file_lines))
    return cells


def _language(doc: dict[str, Any]) -> str:
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict):
        return ""
    for key, name_key in (("language_info", "name"), ("kernelspec", "language")):
        section = metadata.get(key)
        if isinstance(section, dict) and isinstance(section.get(name_key), str):
            return str(section[name_key]).lower()
    return ""


def _split_cell(cell: _Cell) -> None:
    """Fill ``cell.python`` and ``cell.shell``: line for line, blank where not that kind."""
    lines = cell.lines
    blank = [""] * len(lines)
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        words = first[2:].split()
        magic = words[0] if words else ""
        argument = words[1] if len(words) > 1 else ""
        body = ["", *lines[1:]]
        if magic in _SHELL_CELL_MAGICS or (magic == "script" and argument in _SHELL_CELL_MAGICS):
            cell.python, cell.shell = blank, body
        elif (
            magic in _PYTHON_CELL_MAGICS
            or (magic == "script" and argument.startswith("python"))
            or (magic == "writefile" and argument.endswith(".py"))
        ):
            cell.python, cell.shell = body, list(blank)
            _split_lines(cell, start=1)
        elif magic == "writefile" and argument.endswith((".sh", ".bash")):
            cell.python, cell.shell = blank, body
        else:
            cell.python, cell.shell = blank, list(blank)  # %%html, %%javascript, ...
        return
    if first.startswith("%"):
        magic = first[1:].split(None, 1)[0] if first[1:].strip() else ""
        if magic == "sh":  # Databricks: the whole cell is shell
            head = lines[0].replace("%sh", "   ", 1)
            cell.python, cell.shell = blank, [head, *lines[1:]]
            return
        if magic in _DATABRICKS_SKIP:
            cell.python, cell.shell = blank, list(blank)
            return
        if magic == "python":
            cell.python, cell.shell = ["", *lines[1:]], list(blank)
            _split_lines(cell, start=1)
            return
    cell.python, cell.shell = list(lines), list(blank)
    _split_lines(cell, start=0)


def _split_lines(cell: _Cell, *, start: int) -> None:
    """Move shell escapes and line magics of a Python cell to the shell side."""
    continuation = False
    for k in range(start, len(cell.lines)):
        line = cell.lines[k]
        if continuation:
            cell.shell[k], cell.python[k] = line, ""
            continuation = line.endswith("\\")
            continue
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        assigned = _SHELL_ASSIGN.match(line)
        if stripped.startswith("!"):
            bangs = 2 if stripped.startswith("!!") else 1
            cell.shell[k] = indent + " " * bangs + stripped[bangs:]
            cell.python[k] = indent + "pass"
        elif stripped.startswith("%") and not stripped.startswith("%%"):
            magic, _, rest = stripped[1:].partition(" ")
            if magic in _PYTHON_LINE_MAGICS and rest.strip() and not rest.lstrip().startswith("-"):
                cell.python[k] = indent + rest  # %time expr: expr is Python
                cell.shifts[k + 1] = len(magic) + 2
            else:
                cell.shell[k] = indent + " " + stripped[1:]
                cell.python[k] = indent + "pass"
        elif assigned is not None:
            bang = line.index("!", assigned.end() - 1)
            cell.shell[k] = " " * (bang + 1) + line[bang + 1 :]
            cell.python[k] = assigned.group(1) + "pass"
        elif stripped.startswith("?") or (stripped.endswith("?") and "#" not in stripped):
            cell.python[k] = indent + "pass"  # IPython help: obj? / ?obj
            continue
        else:
            continue
        continuation = cell.shell[k].endswith("\\")


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _pip_requirements(line: str) -> list[tuple[str, str | None, int]]:
    """``(name, pinned version, column)`` of each requirement a ``pip install`` line names."""
    out: list[tuple[str, str | None, int]] = []
    for words in shell_words(line):
        raws = [w for w, _ in words]
        at = next(
            (
                i
                for i in range(1, len(raws))
                if raws[i] == "install" and raws[i - 1].rsplit("/", 1)[-1] in ("pip", "pip3")
            ),
            -1,
        )
        if at < 0:
            continue
        skip = False
        for word, offset in words[at + 1 :]:
            if skip:
                skip = False
                continue
            if word.startswith("-"):
                skip = "=" not in word and word in _PIP_VALUE_FLAGS
                continue
            if any(c in word for c in "$:/{}@\\") or word.startswith("."):
                continue
            if word.lower().endswith((".whl", ".tar.gz", ".zip", ".txt")):
                continue
            match = _PIP_REQUIREMENT.match(word)
            if match is None:
                continue
            name = normalise_pypi(match.group(1))  # as the manifests name it (PEP 503)
            if name in _INSTALLER_TOOLS:
                continue
            version = match.group(3) if match.group(2) else None
            if version is not None and "*" in version:
                version = None
            out.append((name, version, offset + 1))
    return out


class NotebookCrawler(Crawler):
    """Jupyter notebooks (``.ipynb``): code cells only."""

    name = "notebook"
    version = "1"
    max_bytes = _MAX_BYTES

    def wants(self, path: PurePosixPath, size: int) -> bool:
        """Every ``.ipynb`` file."""
        return path.suffix.lower() == ".ipynb"

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Parse the notebook and report the references in its code cells."""
        text = _decode(file.data)
        doc = _parse(text)
        cells = _cells(text, doc)
        language = _language(doc)
        if language and language not in _PYTHON_LANGUAGES:
            return []
        scope = scope_of_path(file.pure_path)
        findings: list[Finding] = []
        for cell in cells:
            _split_cell(cell)
            findings.extend(self._shell(cell, file.path, scope))
            findings.extend(self._libraries(cell, file.path, scope))
        findings.extend(self._python(cells, file.path, scope))
        return sorted(findings, key=Finding.sort_key)

    def _relocate(self, finding: Finding, cell: _Cell, cell_line: int, shift: int = 0) -> Finding:
        """Point a finding made from one cell's text at the notebook file."""
        ev = finding.evidence
        evidence = Evidence(
            file=ev.file,
            line=cell.file_lines[cell_line - 1],
            column=ev.column + shift,
            snippet=cell.lines[cell_line - 1],
            crawler=self.name,
            confidence=ev.confidence,
            scope=ev.scope,
            cell=cell.index,
            cell_line=cell_line,
        )
        return finding.model_copy(update={"evidence": evidence})

    def _shell(self, cell: _Cell, path: str, scope: Scope) -> list[Finding]:
        if not any(line.strip() for line in cell.shell):
            return []
        try:
            found = findings_from_shell("\n".join(cell.shell), path, scope=scope, crawler=self.name)
        except CrawlError:
            return []  # a pathological shell line: nothing from this cell's shell side
        return [self._relocate(f, cell, f.evidence.line) for f in found]

    def _libraries(self, cell: _Cell, path: str, scope: Scope) -> list[Finding]:
        out: list[Finding] = []
        for k, line in enumerate(cell.shell):
            if "install" not in line:
                continue
            for name, version, column in _pip_requirements(line):
                finding = Finding(
                    kind=Kind.LIBRARY,
                    id=name,
                    version=version,
                    ecosystem="pypi",
                    properties={"dependency_scope": "runtime"},
                    evidence=Evidence(
                        file=path, line=1, column=column, crawler=self.name, scope=scope
                    ),
                )
                out.append(self._relocate(finding, cell, k + 1))
        return out

    def _python(self, cells: Sequence[_Cell], path: str, scope: Scope) -> list[Finding]:
        """Analyse the code cells that parse as one module, then map lines back."""
        chunks: list[str] = []
        owners: list[tuple[_Cell, int]] = []  # module line -> (cell, cell line)
        for cell in cells:
            source = "\n".join(cell.python)
            if not source.strip() or not _parses(source):
                continue
            chunks.append(source)
            owners.extend((cell, k + 1) for k in range(len(cell.python)))
        if not chunks:
            return []
        module = "\n".join(chunks)
        if len(module) > _MAX_PYTHON_CHARS:
            return []
        try:
            found = findings_from_source(module, path, scope=scope, crawler=self.name)
        except CrawlError:
            return []
        out: list[Finding] = []
        for finding in found:
            line = finding.evidence.line
            if 0 < line <= len(owners):
                cell, cell_line = owners[line - 1]
                shift = cell.shifts.get(cell_line, 0)
                out.append(self._relocate(finding, cell, cell_line, shift))
        return out
