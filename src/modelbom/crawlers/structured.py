"""Position-aware readers for YAML, JSON (with comments), TOML and Jsonnet.

Each reader turns text into the same small tree of :class:`Map`, :class:`Seq` and
:class:`Scalar` nodes. Every scalar (and every mapping key) carries the character offset
of its text in the source, so a crawler can report the line and column where a value is
written (:class:`~modelbom.crawlers.lines.LineIndex` turns offsets into lines).

How each format is read, and what is bounded:

- **YAML**: the events of a safe parser (libyaml's ``CSafeLoader`` when present, else
  ``yaml.SafeLoader``) are assembled into the tree with an explicit stack; nothing is
  composed recursively and nothing is ever constructed, so tags such as
  ``!!python/object/apply`` are never acted upon (a document using ``!!python/`` tags is
  refused with :class:`CrawlError`). Nesting is capped at :data:`MAX_DEPTH` as the
  events arrive (libyaml's own recursive composer crashed the interpreter with SIGSEGV on
  40,000 nested brackets, and its scanner slows quadratically with depth, so stopping
  early matters). Aliases reuse the anchored node, and the sizes of the subtrees they
  bring in are counted: past :data:`MAX_ALIAS_NODES` (the alias bomb) the file is
  refused. Merge keys (``<<: *base``) are flattened into the mapping.
- **JSON**: a small iterative parser (no recursion, nesting capped at :data:`MAX_DEPTH`)
  that decodes strings with :meth:`json.JSONDecoder.raw_decode`. ``comments`` allows
  ``//`` and ``/* */`` comments and trailing commas (JSONC).
- **TOML**: :mod:`tomllib` gives the values; a line scanner over the raw text finds the
  ``[table]`` / ``[[array.of.tables]]`` headers and ``key = value`` assignments, so each
  value gets the offset where it is assigned. Strings inside arrays and inline tables are
  found by searching forward from their enclosing assignment.
- **Jsonnet** (best effort, no evaluation): a tolerant tokenizer and parser that keeps
  object fields whose values are string literals, objects or arrays, and follows
  ``local name = 'literal'`` bindings by name (scoping ignored: the last binding
  before the use wins). Anything computed (concatenation, ``%`` formatting, function
  calls, ``std.*``, ``self``/``$`` references, imports, conditionals, comprehensions)
  is not a value; objects found inside such expressions (``base + { ... }``,
  ``std.mergePatch(a, { ... })``) are still read, merged into one mapping.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TypeAlias, cast

import yaml

from modelbom.crawlers.base import CrawlError

MAX_ALIAS_NODES = 100_000  # YAML node visits through aliases (nodes seen before)
MAX_DEPTH = 200  # nesting levels, every format


@dataclass(frozen=True, slots=True)
class Scalar:
    """A scalar value (or a mapping key) and where its text is in the source.

    ``offset`` is where the value's characters start (after quotes, anchors and tags);
    ``end`` is where its raw text ends (before a closing quote). ``is_string`` is false
    for numbers, booleans, nulls and dates. ``indirect`` marks a Jsonnet value taken
    through a ``local`` name: ``offset`` is then where the name is used.
    """

    text: str
    offset: int
    end: int
    is_string: bool = True
    indirect: bool = False


@dataclass(slots=True)
class Map:
    """A mapping: its entries in source order (duplicate keys are all kept)."""

    offset: int
    entries: list[tuple[Scalar, Node]] = field(default_factory=list)
    _index: dict[str, Node] = field(default_factory=dict, init=False, repr=False, compare=False)
    _indexed: int = field(default=-1, init=False, repr=False, compare=False)

    def get(self, key: str) -> Node | None:
        """The value of the last entry named *key*, if any."""
        if self._indexed != len(self.entries):  # (re)built when entries were added
            self._index = {k.text: v for k, v in self.entries}
            self._indexed = len(self.entries)
        return self._index.get(key)

    def text_of(self, key: str) -> str | None:
        """The text of the string scalar under *key*, if there is one."""
        value = self.get(key)
        if isinstance(value, Scalar) and value.is_string:
            return value.text
        return None


@dataclass(slots=True)
class Seq:
    """A sequence of nodes."""

    offset: int
    items: list[Node] = field(default_factory=list)


Node: TypeAlias = Scalar | Map | Seq


def locate(source: str, scalar: Scalar, part: str) -> int:
    """Offset of *part* within *scalar*'s raw text in *source*, else the scalar's offset.

    Used for the pieces of a comma-separated value and to skip leading whitespace of
    block scalars; when the raw text differs from the value (escapes, folding) the
    scalar's own offset is the best position there is.
    """
    if part and not scalar.indirect:
        found = source.find(part, scalar.offset, max(scalar.end, scalar.offset))
        if found >= 0:
            return found
    return scalar.offset


# -- YAML ---------------------------------------------------------------------------------

_TAG_PREFIX = "tag:yaml.org,2002:"
_STR_TAG = _TAG_PREFIX + "str"
_MERGE_TAG = _TAG_PREFIX + "merge"
_PYTHON_TAG = _TAG_PREFIX + "python/"


# libyaml's parser when present (about ten times faster); both are safe parsers, and
# only their events are used: nothing is composed recursively or constructed.
_YAML_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = (
    yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
)


_FLOW_BRACKET = re.compile(r"[\[\]{}]")


def flow_nesting_exceeds(text: str, limit: int) -> bool:
    """Whether YAML *text* opens more than *limit* flow collections (``[``/``{``) at once.

    PyYAML's pure-Python scanner slows down quadratically with the depth of flow
    collections (5,000 nested ``[`` take it tens of seconds), whatever the parser does
    with the events, so callers of that scanner look first. One linear pass; brackets
    inside quoted strings count too, which only errs on the side of refusing.
    """
    depth = 0
    for match in _FLOW_BRACKET.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        elif depth:
            depth -= 1
    return False


def read_yaml(text: str, *, pure_python: bool = False) -> list[Node]:
    """Every document of a YAML stream as a positioned tree (empty documents skipped).

    ``pure_python`` uses PyYAML's Python parser even where libyaml is available.
    """
    if pure_python and flow_nesting_exceeds(text, MAX_DEPTH):
        raise CrawlError(f"YAML nested deeper than {MAX_DEPTH} levels")
    loader = yaml.SafeLoader(text) if pure_python else _YAML_LOADER(text)
    try:
        return _YamlBuilder(text, loader).documents()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise CrawlError(f"invalid YAML{where}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise CrawlError(f"invalid YAML: {str(exc).splitlines()[0]}") from None
    finally:
        loader.dispose()


_Resolve = Callable[[type[yaml.Node], str, tuple[bool, bool]], str]
_COMPLEX_KEY = Scalar("", 0, 0, is_string=False)  # a key that is itself a collection


@dataclass(slots=True)
class _Frame:
    """A collection being built from parser events."""

    node: Map | Seq
    anchor: str | None
    size: int = 1  # nodes in the expanded subtree, aliases counted in full
    key: Scalar | None = None  # a mapping's key waiting for its value
    key_is_merge: bool = False
    merges: list[Node] = field(default_factory=list)

    def add(self, node: Node, *, is_merge: bool) -> None:
        if isinstance(self.node, Seq):
            self.node.items.append(node)
        elif self.key is None:
            self.key = node if isinstance(node, Scalar) else _COMPLEX_KEY
            self.key_is_merge = is_merge
        else:
            if self.key_is_merge:
                self.merges.append(node)
            elif self.key is not _COMPLEX_KEY:
                self.node.entries.append((self.key, node))
            self.key = None
            self.key_is_merge = False

    def finish(self) -> Map | Seq:
        """The collection, with ``<<`` merged entries its own keys do not override."""
        if isinstance(self.node, Map) and self.merges:
            own = {k.text for k, _ in self.node.entries}
            for merged in self.merges:
                sources = merged.items if isinstance(merged, Seq) else [merged]
                for source in sources:
                    if isinstance(source, Map):
                        self.node.entries.extend(
                            (k, v) for k, v in source.entries if k.text not in own
                        )
        return self.node


class _YamlBuilder:
    """Builds positioned trees from parser events with an explicit stack (no recursion).

    Aliases reuse the anchored node; the size of every subtree an alias brings in is
    added to a budget, so a tree that would expand past :data:`MAX_ALIAS_NODES` nodes
    (the alias bomb) is refused before anything walks it.
    """

    def __init__(self, text: str, loader: yaml.SafeLoader | yaml.CSafeLoader) -> None:
        self.text = text
        self.loader = loader
        self.anchors: dict[str, tuple[Node, int]] = {}
        self.expanded = 0
        # The loader's implicit tag resolver (the stubs leave it untyped).
        self.resolve = cast(_Resolve, loader.resolve)

    def documents(self) -> list[Node]:
        docs: list[Node] = []
        stack: list[_Frame] = []
        loader = self.loader
        while loader.check_event():
            event = loader.get_event()
            is_merge = False
            if isinstance(event, yaml.DocumentStartEvent):
                self.anchors = {}
                continue
            if isinstance(event, yaml.AliasEvent):
                anchor = event.anchor or ""
                if anchor not in self.anchors:
                    line = self.line(event)
                    raise CrawlError(f"YAML alias *{anchor} at line {line} is undefined")
                node, size = self.anchors[anchor]
                self.expanded += size
                if self.expanded > MAX_ALIAS_NODES:
                    raise CrawlError(
                        f"YAML aliases expand to more than {MAX_ALIAS_NODES} nodes (alias bomb?)"
                    )
            elif isinstance(event, yaml.ScalarEvent):
                tag = self.check_tag(event, event.tag)
                if tag is None or tag == "!":
                    tag = self.resolve(yaml.ScalarNode, event.value, event.implicit)
                node, size = self.scalar(event, tag == _STR_TAG), 1
                is_merge = tag == _MERGE_TAG
                if event.anchor:
                    self.anchors[event.anchor] = (node, size)
            elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                self.check_tag(event, event.tag)
                if len(stack) >= MAX_DEPTH:
                    line = self.line(event)
                    raise CrawlError(f"YAML nested deeper than {MAX_DEPTH} levels at line {line}")
                offset = event.start_mark.index if event.start_mark else 0
                container: Map | Seq = (
                    Seq(offset=offset)
                    if isinstance(event, yaml.SequenceStartEvent)
                    else Map(offset=offset)
                )
                stack.append(_Frame(container, event.anchor))
                continue
            elif isinstance(event, yaml.CollectionEndEvent) and stack:
                frame = stack.pop()
                node, size = frame.finish(), frame.size
                if frame.anchor:
                    self.anchors[frame.anchor] = (node, size)
            else:
                continue  # stream and document ends
            if stack:
                stack[-1].size += size
                stack[-1].add(node, is_merge=is_merge)
            else:
                docs.append(node)
        return docs

    @staticmethod
    def line(event: yaml.Event) -> int:
        return event.start_mark.line + 1 if event.start_mark else 0

    def check_tag(self, event: yaml.Event, tag: str | None) -> str | None:
        if tag and tag.startswith(_PYTHON_TAG):
            line = self.line(event)
            raise CrawlError(f"YAML uses a Python object tag at line {line} (never loaded)")
        return tag

    def scalar(self, event: yaml.ScalarEvent, is_string: bool) -> Scalar:
        start = event.start_mark.index if event.start_mark else 0
        end = event.end_mark.index if event.end_mark else start
        pos = start
        # Skip node properties (&anchor, !tag) written before the value.
        for _ in range(2):
            if pos < end and self.text[pos] in "&!":
                while pos < end and not self.text[pos].isspace():
                    pos += 1
                while pos < end and self.text[pos].isspace():
                    pos += 1
        style = event.style or ""
        if style in ("'", '"') and pos < end and self.text[pos] == style:
            pos += 1
            end -= 1
        return Scalar(text=event.value, offset=pos, end=max(end, pos), is_string=is_string)


# -- JSON ---------------------------------------------------------------------------------

_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSONC_WS = re.compile(r"(?:[ \t\n\r]+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
# Python's json module writes NaN and Infinity; files it produced must still parse.
_JSON_LITERALS = ("true", "false", "null", "NaN", "Infinity", "-Infinity")
_DECODER = json.JSONDecoder()  # strict: control characters in strings are errors


class _JsonParser:
    """Iterative JSON parser that records the offset of every scalar and key."""

    def __init__(self, text: str, *, comments: bool) -> None:
        self.text = text
        self.comments = comments
        self.ws = _JSONC_WS if comments else _JSON_WS

    def fail(self, pos: int, what: str) -> CrawlError:
        line = self.text.count("\n", 0, pos) + 1
        return CrawlError(f"invalid JSON at line {line}: {what}")

    def skip(self, pos: int) -> int:
        if pos < len(self.text) and self.text[pos] not in " \t\r\n/":
            return pos  # the common case: no whitespace to skip
        end = self.ws.match(self.text, pos)
        pos = end.end() if end else pos
        if self.comments and self.text.startswith("/*", pos):
            raise self.fail(pos, "unterminated comment")
        return pos

    def string(self, pos: int) -> tuple[Scalar, int]:
        try:
            value, end = _DECODER.raw_decode(self.text, pos)
        except ValueError as exc:
            raise self.fail(pos, str(exc).split(":")[0]) from None
        if not isinstance(value, str):  # pragma: no cover - raw_decode at a quote
            raise self.fail(pos, "expected a string")
        return Scalar(text=value, offset=pos + 1, end=end - 1), end

    def key(self, pos: int) -> tuple[Scalar, int]:
        pos = self.skip(pos)
        if not self.text.startswith('"', pos):
            raise self.fail(pos, "expected a property name")
        key, pos = self.string(pos)
        pos = self.skip(pos)
        if not self.text.startswith(":", pos):
            raise self.fail(pos, "expected ':'")
        return key, pos + 1

    def parse(self) -> Node:
        text = self.text
        stack: list[tuple[Map | Seq, Scalar | None]] = []
        pos = self.skip(0)
        while True:
            # -- one value at pos ---------------------------------------------------------
            pos = self.skip(pos)
            ch = text[pos] if pos < len(text) else ""
            node: Node
            if ch in ("{", "["):
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(pos, f"nested deeper than {MAX_DEPTH} levels")
                container: Map | Seq = Map(offset=pos) if ch == "{" else Seq(offset=pos)
                pos = self.skip(pos + 1)
                closer = "}" if ch == "{" else "]"
                if text.startswith(closer, pos):
                    node, pos = container, pos + 1
                else:
                    key = None
                    if isinstance(container, Map):
                        key, pos = self.key(pos)
                    stack.append((container, key))
                    continue
            elif ch == '"':
                node, pos = self.string(pos)
            elif ch and (ch == "-" or ch.isdigit()) and not text.startswith("-Infinity", pos):
                match = _JSON_NUMBER.match(text, pos)
                if not match:
                    raise self.fail(pos, "invalid number")
                node = Scalar(text=match.group(), offset=pos, end=match.end(), is_string=False)
                pos = match.end()
            else:
                for literal in _JSON_LITERALS:
                    if text.startswith(literal, pos):
                        node = Scalar(literal, pos, pos + len(literal), is_string=False)
                        pos += len(literal)
                        break
                else:
                    raise self.fail(pos, "expected a value" if ch else "unexpected end")
            # -- attach the value, closing finished containers ----------------------------
            while True:
                if not stack:
                    pos = self.skip(pos)
                    if pos != len(text):
                        raise self.fail(pos, "extra data after the document")
                    return node
                parent, key = stack[-1]
                if isinstance(parent, Map):
                    assert key is not None
                    parent.entries.append((key, node))
                else:
                    parent.items.append(node)
                pos = self.skip(pos)
                closer = "}" if isinstance(parent, Map) else "]"
                if text.startswith(",", pos):
                    pos = self.skip(pos + 1)
                    if self.comments and text.startswith(closer, pos):
                        stack.pop()
                        node, pos = parent, pos + 1
                        continue
                    if isinstance(parent, Map):
                        key, pos = self.key(pos)
                        stack[-1] = (parent, key)
                    break
                if text.startswith(closer, pos):
                    stack.pop()
                    node, pos = parent, pos + 1
                    continue
                raise self.fail(pos, f"expected ',' or '{closer}'")


def read_json(text: str, *, comments: bool = False) -> Node:
    """A JSON document as a positioned tree; ``comments`` allows JSONC comments."""
    return _JsonParser(text, comments=comments).parse()


# -- TOML ---------------------------------------------------------------------------------

_TOML_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_TOML_KEY = rf"{_TOML_KEY_PART}(?:[ \t]*\.[ \t]*{_TOML_KEY_PART})*"
_TOML_PART = re.compile(_TOML_KEY_PART)
_TOML_AOT = re.compile(rf"[ \t]*\[\[[ \t]*({_TOML_KEY})[ \t]*\]\]")
_TOML_TABLE = re.compile(rf"[ \t]*\[[ \t]*({_TOML_KEY})[ \t]*\]")
_TOML_ASSIGN = re.compile(rf"[ \t]*({_TOML_KEY})[ \t]*=[ \t]*")

_TomlPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class _Assign:
    key_offset: int
    value_offset: int


def _toml_key_parts(raw: str, base: int) -> list[tuple[str, int]]:
    """The parts of a dotted key with the offset of each part's text."""
    parts: list[tuple[str, int]] = []
    for m in _TOML_PART.finditer(raw):
        token = m.group()
        if token.startswith('"'):
            try:
                value = json.loads(token)
            except ValueError:
                value = token[1:-1]
            parts.append((str(value), base + m.start() + 1))
        elif token.startswith("'"):
            parts.append((token[1:-1], base + m.start() + 1))
        else:
            parts.append((token, base + m.start()))
    return parts


def _toml_multiline(line: str, state: str | None) -> str | None:
    """Whether a multi-line string is open after *line*, given the state before it."""
    i = 0
    n = len(line)
    while i < n:
        if state is not None:
            close = line.find(state, i)
            if close < 0:
                return state
            i = close + 3
            state = None
            continue
        ch = line[i]
        if ch == "#":
            return None
        if line.startswith('"""', i) or line.startswith("'''", i):
            state = line[i : i + 3]
            i += 3
        elif ch == '"':
            i += 1
            while i < n and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
            i += 1
        elif ch == "'":
            close = line.find("'", i + 1)
            i = n if close < 0 else close + 1
        else:
            i += 1
    return state


class _TomlLocator:
    """Offsets of TOML headers and assignments, by the path of the key they define."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tables: dict[_TomlPath, int] = {}
        self.assigns: dict[_TomlPath, _Assign] = {}
        self.cursors: dict[int, int] = {}
        self._scan()

    def _scan(self) -> None:
        current: _TomlPath = ()
        aot: dict[_TomlPath, int] = {}
        state: str | None = None
        offset = 0
        for line in self.text.splitlines(keepends=True):
            start = offset
            offset += len(line)
            if state is not None:
                state = _toml_multiline(line, state)
                continue
            body = line.rstrip("\r\n")
            if m := _TOML_AOT.match(body):
                parts = _toml_key_parts(m.group(1), start + m.start(1))
                prefix = self._resolve([p for p, _ in parts[:-1]], aot)
                array_path = (*prefix, parts[-1][0])
                index = aot.get(array_path, 0)
                aot[array_path] = index + 1
                current = (*array_path, index)
                self.tables[current] = parts[-1][1]
            elif m := _TOML_TABLE.match(body):
                parts = _toml_key_parts(m.group(1), start + m.start(1))
                current = self._resolve([p for p, _ in parts], aot)
                self.tables[current] = parts[-1][1]
            elif m := _TOML_ASSIGN.match(body):
                parts = _toml_key_parts(m.group(1), start + m.start(1))
                path = (*current, *(p for p, _ in parts))
                self.assigns[path] = _Assign(parts[-1][1], start + m.end())
            state = _toml_multiline(body, None)

    @staticmethod
    def _resolve(keys: list[str], aot: dict[_TomlPath, int]) -> _TomlPath:
        """A header's path, with the current index of every array of tables on the way."""
        path: _TomlPath = ()
        for key in keys:
            path = (*path, key)
            if path in aot:
                path = (*path, aot[path] - 1)
        return path

    def search(self, needle: str, anchor: int) -> int:
        """Find *needle* after the last find made from *anchor*; -1 if absent."""
        cursor = self.cursors.get(anchor, anchor)
        found = self.text.find(needle, cursor)
        if found >= 0:
            self.cursors[anchor] = found + len(needle)
        return found

    def build(self, value: object, path: _TomlPath, anchor: int) -> Node:
        """The positioned node for *value* (from tomllib) found at *path*."""
        if isinstance(value, dict):
            table = self.tables.get(path)
            node = Map(offset=table if table is not None else anchor)
            for key, child in value.items():
                child_path = (*path, key)
                assign = self.assigns.get(child_path)
                if assign is not None:
                    key_scalar = Scalar(key, assign.key_offset, assign.key_offset + len(key))
                    child_anchor = assign.value_offset
                else:
                    key_offset = self.tables.get(child_path)
                    if key_offset is None:
                        found = self.search(key, anchor)
                        key_offset = found if found >= 0 else anchor
                    key_scalar = Scalar(key, key_offset, key_offset + len(key))
                    child_anchor = anchor
                node.entries.append((key_scalar, self.build(child, child_path, child_anchor)))
            return node
        if isinstance(value, list):
            seq = Seq(offset=anchor)
            for index, child in enumerate(value):
                child_path = (*path, index)
                child_anchor = self.tables.get(child_path, anchor)
                seq.items.append(self.build(child, child_path, child_anchor))
            return seq
        return self.scalar(value, path, anchor)

    def scalar(self, value: object, path: _TomlPath, anchor: int) -> Scalar:
        if not isinstance(value, str):
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, int | float | datetime | date | time):
                text = str(value)
            else:
                text = ""
            assign = self.assigns.get(path)
            offset = assign.value_offset if assign is not None else anchor
            return Scalar(text, offset, offset, is_string=False)
        assign = self.assigns.get(path)
        if assign is not None:
            start = assign.value_offset
            quote = self.text[start : start + 3]
            skip = 3 if quote in ('"""', "'''") else 1
            raw_start = start + skip
            if self.text.startswith(value, raw_start):
                return Scalar(value, raw_start, raw_start + len(value))
            found = self.text.find(value, raw_start) if value else -1
            if found >= 0 and skip == 3:
                return Scalar(value, found, found + len(value))
            return Scalar(value, raw_start, raw_start)
        for quote in ('"', "'"):
            found = self.search(f"{quote}{value}{quote}", anchor)
            if found >= 0:
                return Scalar(value, found + 1, found + 1 + len(value))
        return Scalar(value, anchor, anchor)


def read_toml(text: str) -> Node:
    """A TOML document as a positioned tree."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CrawlError(f"invalid TOML: {exc}") from None
    except RecursionError:
        raise CrawlError("TOML nested too deeply") from None
    locator = _TomlLocator(text)
    try:
        return locator.build(data, (), 0)
    except RecursionError:
        raise CrawlError("TOML nested too deeply") from None


# -- Jsonnet ------------------------------------------------------------------------------

_JN_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\n]+|//[^\n]*|\#[^\n]*|/\*.*?\*/)
  | (?P<block>\|\|\|)
  | (?P<verbatim>@"(?:[^"]|"")*"|@'(?:[^']|'')*')
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[{}\[\](),;:.+\-*/%=!<>&|^~$?])
    """,
    re.VERBOSE | re.DOTALL,
)
_JN_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
_JN_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)", re.DOTALL)


def _jsonnet_unescape(body: str) -> str:
    def repl(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc.startswith("u") and len(esc) == 5:
            return chr(int(esc[1:], 16))
        return _JN_ESCAPES.get(esc, esc)

    return _JN_ESCAPE.sub(repl, body)


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # string, number, ident, punct, block, eof
    text: str
    offset: int
    value: str = ""  # decoded string value
    end: int = 0  # end of the string's body (before the closing quote)


def _jsonnet_tokens(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    n = len(text)
    while pos < n:
        if text.startswith("/*", pos) and text.find("*/", pos + 2) < 0:
            raise CrawlError("invalid Jsonnet: unterminated comment")
        m = _JN_TOKEN.match(text, pos)
        if m is None:
            if text[pos] in "\"'":
                raise CrawlError("invalid Jsonnet: unterminated string")
            pos += 1  # a character the tokenizer does not know: skip it
            continue
        kind = m.lastgroup or ""
        if kind == "block":
            close = text.find("|||", m.end())
            if close < 0:
                raise CrawlError("invalid Jsonnet: unterminated text block")
            tokens.append(_Tok("block", "|||", pos))
            pos = close + 3
            continue
        if kind == "string":
            raw = m.group()
            value = _jsonnet_unescape(raw[1:-1])
            tokens.append(_Tok("string", raw, pos, value, m.end() - 1))
        elif kind == "verbatim":
            raw = m.group()
            quote = raw[1]
            value = raw[2:-1].replace(quote * 2, quote)
            tokens.append(_Tok("string", raw, pos + 1, value, m.end() - 1))
        elif kind != "ws":
            tokens.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    tokens.append(_Tok("eof", "", n))
    return tokens


_JN_CLOSERS = frozenset({"}", "]", ")"})


class _JsonnetParser:
    """Tolerant recursive-descent reader; every loop consumes at least one token."""

    def __init__(self, text: str) -> None:
        self.tokens = _jsonnet_tokens(text)
        self.pos = 0
        self.locals: dict[str, Scalar] = {}

    def peek(self, ahead: int = 0) -> _Tok:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> _Tok:
        tok = self.peek()
        if tok.kind != "eof":
            self.pos += 1
        return tok

    def expr(self, stops: frozenset[str], depth: int) -> Node | None:
        """Read one expression up to a stop token; its value if it is a plain literal."""
        if depth > MAX_DEPTH:
            raise CrawlError(f"Jsonnet nested deeper than {MAX_DEPTH} levels")
        parts: list[Node] = []
        computed = False
        while True:
            tok = self.peek()
            if tok.kind == "eof" or (tok.kind in ("punct", "ident") and tok.text in stops):
                break
            if tok.kind == "punct" and tok.text in _JN_CLOSERS:
                break  # a closer that belongs to someone else
            self.take()
            if tok.kind == "punct" and tok.text == "{":
                parts.append(self.obj(depth + 1))
            elif tok.kind == "punct" and tok.text == "[":
                parts.append(self.array(depth + 1))
            elif tok.kind == "punct" and tok.text == "(":
                computed = True
                parts.extend(self.call_args(depth + 1))
            elif tok.kind == "string":
                parts.append(Scalar(tok.value, tok.offset + 1, tok.end))
            elif tok.kind == "ident" and tok.text == "local":
                self.local_binding(frozenset({";"}), depth + 1)
                if self.peek().text == ";":
                    self.take()
            elif tok.kind == "ident" and tok.text in ("import", "importstr", "importbin"):
                computed = True
                if self.peek().kind == "string":
                    self.take()
            elif tok.kind == "ident" and tok.text in self.locals and not self.member_access():
                bound = self.locals[tok.text]
                parts.append(Scalar(bound.text, tok.offset, tok.offset, indirect=True))
            elif tok.kind == "number" or tok.text in ("true", "false", "null"):
                parts.append(Scalar(tok.text, tok.offset, tok.offset, is_string=False))
            else:
                computed = True
        maps = [p for p in parts if isinstance(p, Map)]
        if len(parts) == 1 and not computed:
            return parts[0]
        if maps:
            merged = Map(offset=maps[0].offset)
            for m in maps:
                merged.entries.extend(m.entries)
            return merged
        return None

    def member_access(self) -> bool:
        nxt = self.peek()
        return nxt.kind == "punct" and nxt.text in (".", "[", "(")

    def call_args(self, depth: int) -> list[Node]:
        """Arguments of a call or a parenthesised expression: only objects are kept."""
        found: list[Node] = []
        while True:
            value = self.expr(frozenset({",", ")"}), depth)
            if isinstance(value, Map):
                found.append(value)
            tok = self.take()
            if tok.kind == "eof" or tok.text == ")":
                return found

    def local_binding(self, stops: frozenset[str], depth: int) -> None:
        """``local a = expr, b = expr`` up to a stop; string literals are remembered."""
        while True:
            name = self.peek()
            if name.kind != "ident":
                self.expr(stops | {","}, depth)
            else:
                self.take()
                if self.peek().text == "(":  # local f(x) = ...
                    self.take()
                    self.call_args(depth)
                if self.peek().text == "=":
                    self.take()
                value = self.expr(stops | {","}, depth)
                if isinstance(value, Scalar) and value.is_string and not value.indirect:
                    self.locals[name.text] = value
                else:
                    self.locals.pop(name.text, None)
            if self.peek().text != ",":
                return
            self.take()
            if ";" not in stops:
                return  # object-level locals are separated by commas from the fields

    def obj(self, depth: int) -> Map:
        start = self.tokens[self.pos - 1].offset
        result = Map(offset=start)
        while True:
            tok = self.peek()
            if tok.kind == "eof":
                return result
            if tok.text == "}":
                self.take()
                return result
            if tok.text == ",":
                self.take()
                continue
            if tok.kind == "ident" and tok.text == "local":
                self.take()
                self.local_binding(frozenset({",", "}"}), depth)
                continue
            if tok.kind == "ident" and tok.text in ("assert", "for", "if"):
                self.take()
                self.expr(frozenset({",", "}"}), depth)
                continue
            if tok.text == "[":  # a computed field name: skip the whole field
                self.take()
                self.expr(frozenset({"]"}), depth)
                if self.peek().text == "]":
                    self.take()
                self.skip_colon()
                self.expr(frozenset({",", "}"}), depth)
                continue
            key = self.field_name()
            if key is None:
                self.take()  # not a field: skip the token
                continue
            if self.peek().text == "(":  # a method: name(params): body
                self.take()
                self.call_args(depth)
                self.skip_colon()
                self.expr(frozenset({",", "}"}), depth)
                continue
            if not self.skip_colon():
                continue
            value = self.expr(frozenset({",", "}"}), depth)
            if value is not None:
                result.entries.append((key, value))

    def field_name(self) -> Scalar | None:
        tok = self.peek()
        if tok.kind == "ident":
            self.take()
            return Scalar(tok.text, tok.offset, tok.offset + len(tok.text))
        if tok.kind == "string":
            self.take()
            return Scalar(tok.value, tok.offset + 1, tok.end)
        return None

    def skip_colon(self) -> bool:
        """Consume ``:``, ``::``, ``:::``, ``+:`` (and ``+::``); False when absent."""
        if self.peek().text == "+" and self.peek(1).text == ":":
            self.take()
        if self.peek().text != ":":
            return False
        while self.peek().text == ":":
            self.take()
        return True

    def array(self, depth: int) -> Seq:
        start = self.tokens[self.pos - 1].offset
        result = Seq(offset=start)
        while True:
            tok = self.peek()
            if tok.kind == "eof":
                return result
            if tok.text == "]":
                self.take()
                return result
            if tok.text == ",":
                self.take()
                continue
            if tok.kind == "ident" and tok.text == "for":  # a comprehension
                self.take()
                self.expr(frozenset({"]"}), depth)
                result.items.clear()
                continue
            before = self.pos
            value = self.expr(frozenset({",", "]", "for"}), depth)
            if value is not None:
                result.items.append(value)
            if self.pos == before:
                self.take()

    def document(self) -> Node:
        value: Node | None = None
        while self.peek().kind != "eof":
            before = self.pos
            found = self.expr(frozenset(), 0)
            if isinstance(found, Map) and value is None:
                value = found
            elif isinstance(found, Map) and isinstance(value, Map):
                value.entries.extend(found.entries)
            if self.pos == before:
                self.take()
        return value if value is not None else Map(offset=0)


def read_jsonnet(text: str) -> Node:
    """The object a Jsonnet file builds, as far as it can be read without evaluation."""
    try:
        return _JsonnetParser(text).document()
    except RecursionError:
        raise CrawlError("Jsonnet nested too deeply") from None
