"""Python package manifests: requirements files, ``pyproject.toml``, Pipfiles and locks.

Also home of the primitives every manifest parser shares: the :class:`Dep` record a
parser returns (a dependency with the character offset of its declaration), text
decoding, and the two position scanners. :mod:`tomllib` and :mod:`json` give values but
no positions, so :class:`TomlPositions` and :func:`json_key_offsets` walk the raw text
once more and record where each key and value starts; the parsers look positions up by
the same key path they read the value from.

Nothing here opens files: every function takes text that the crawler already holds.
"""

from __future__ import annotations

import contextlib
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from modelbom.crawlers.base import CrawlError
from modelbom.redact import redact_url

RUNTIME = "runtime"
DEVELOPMENT = "development"
OPTIONAL = "optional"

PathKey = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Dep:
    """One declared dependency: what a parser found and the offset of its name."""

    name: str
    ecosystem: str
    offset: int
    scope: str
    manifest: str
    version: str | None = None
    properties: tuple[tuple[str, str], ...] = ()


def normalise_pypi(name: str) -> str:
    """The PEP 503 normalised form of a Python distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def decode_text(data: bytes) -> str:
    """Decode a manifest: UTF-8 (optionally with a BOM) or UTF-16 with a BOM.

    ``pip freeze > requirements.txt`` in Windows PowerShell writes UTF-16, so that is
    accepted too. Anything else, or binary data, is a :class:`CrawlError`.
    """
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CrawlError("not UTF-8 text") from None
    if "\x00" in text:
        raise CrawlError("binary data, not a text manifest")
    return text


# -- TOML positions -------------------------------------------------------------------------

_TOML_WS = re.compile(r"[ \t]*")
_TOML_WS_NL = re.compile(r"(?:[ \t\r\n]+|#[^\n]*)*")
_TOML_BARE_KEY = re.compile(r"[A-Za-z0-9_\-]+")
_TOML_BASIC = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_TOML_LITERAL = re.compile(r"'[^'\n]*'")
_TOML_ML_BASIC = re.compile(r'"""(?:[^\\]|\\.)*?"""(?!")', re.S)
_TOML_ML_LITERAL = re.compile(r"'''.*?'''(?!')", re.S)
_TOML_SCALAR = re.compile(r"[^,\]}\n#]*")
_TOML_MAX_DEPTH = 64


class _TomlStop(Exception):
    """The scanner met text it does not understand; positions so far are kept."""


class TomlPositions:
    """Offsets of keys and values in a TOML document, by key path.

    The document must already have been parsed by :mod:`tomllib` (so it is valid); this
    scanner only records where things are. Arrays of tables get their index in the path
    (``("package", 3, "name")``), as do array elements (``("project", "dependencies", 0)``).
    Offsets point at the first character of the key or of the string's content.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.keys: dict[PathKey, int] = {}
        self.values: dict[PathKey, int] = {}
        self._aot: dict[PathKey, int] = {}
        # On text it does not understand, keep what was recorded: callers fall back.
        with contextlib.suppress(_TomlStop, RecursionError, IndexError):
            self._document()

    def key(self, path: PathKey) -> int | None:
        """Offset of the key at *path*, if seen."""
        return self.keys.get(path)

    def value(self, path: PathKey) -> int | None:
        """Offset of the value at *path* (string content start), if seen."""
        return self.values.get(path)

    def _skip(self, pos: int, *, newlines: bool) -> int:
        pattern = _TOML_WS_NL if newlines else _TOML_WS
        match = pattern.match(self.text, pos)
        return match.end() if match else pos

    def _document(self) -> None:
        text = self.text
        pos = 0
        table: PathKey = ()
        while True:
            pos = self._skip(pos, newlines=True)
            if pos >= len(text):
                return
            if text.startswith("[[", pos):
                keys, pos = self._key_path(pos + 2)
                if not text.startswith("]]", pos):
                    raise _TomlStop
                pos += 2
                parent = self._resolve(keys[:-1])
                full = (*parent, keys[-1][0])
                index = self._aot.get(full, -1) + 1
                self._aot[full] = index
                table = (*full, index)
                self.keys.setdefault(table, keys[-1][1])
            elif text.startswith("[", pos):
                keys, pos = self._key_path(pos + 1)
                if not text.startswith("]", pos):
                    raise _TomlStop
                pos += 1
                table = self._resolve(keys)
                self.keys.setdefault(table, keys[-1][1])
            else:
                keys, pos = self._key_path(pos)
                path = (*table, *(k for k, _ in keys))
                self.keys.setdefault(path, keys[-1][1])
                pos = self._skip(pos, newlines=False)
                if not text.startswith("=", pos):
                    raise _TomlStop
                pos = self._value(self._skip(pos + 1, newlines=False), path, 0)

    def _resolve(self, keys: list[tuple[str, int]]) -> PathKey:
        """A header's key path, with the current index of every array of tables in it."""
        path: PathKey = ()
        for name, _ in keys:
            path = (*path, name)
            if path in self._aot:
                path = (*path, self._aot[path])
        return path

    def _key_path(self, pos: int) -> tuple[list[tuple[str, int]], int]:
        """A dotted key starting at *pos*: its parts with their offsets, and the end."""
        text = self.text
        parts: list[tuple[str, int]] = []
        while True:
            pos = self._skip(pos, newlines=False)
            match = _TOML_BASIC.match(text, pos) or _TOML_LITERAL.match(text, pos)
            if match:
                raw = match.group()
                name = json.loads(raw) if raw.startswith('"') else raw[1:-1]
                parts.append((name, pos + 1))
            else:
                match = _TOML_BARE_KEY.match(text, pos)
                if not match:
                    raise _TomlStop
                parts.append((match.group(), pos))
            pos = self._skip(match.end(), newlines=False)
            if not text.startswith(".", pos):
                return parts, pos
            pos += 1

    def _value(self, pos: int, path: PathKey, depth: int) -> int:
        if depth > _TOML_MAX_DEPTH:
            raise _TomlStop
        text = self.text
        for pattern, quote in (
            (_TOML_ML_BASIC, 3),
            (_TOML_ML_LITERAL, 3),
            (_TOML_BASIC, 1),
            (_TOML_LITERAL, 1),
        ):
            match = pattern.match(text, pos)
            if match:
                self.values.setdefault(path, pos + quote)
                return match.end()
        self.values.setdefault(path, pos)
        if text.startswith("[", pos):
            return self._array(pos + 1, path, depth)
        if text.startswith("{", pos):
            return self._inline_table(pos + 1, path, depth)
        match = _TOML_SCALAR.match(text, pos)
        if not match or match.end() == pos:
            raise _TomlStop
        return match.end()

    def _array(self, pos: int, path: PathKey, depth: int) -> int:
        text = self.text
        index = 0
        while True:
            pos = self._skip(pos, newlines=True)
            if text.startswith("]", pos):
                return pos + 1
            pos = self._value(pos, (*path, index), depth + 1)
            index += 1
            pos = self._skip(pos, newlines=True)
            if text.startswith(",", pos):
                pos += 1
            elif not text.startswith("]", pos):
                raise _TomlStop

    def _inline_table(self, pos: int, path: PathKey, depth: int) -> int:
        text = self.text
        while True:
            pos = self._skip(pos, newlines=True)
            if text.startswith("}", pos):
                return pos + 1
            keys, pos = self._key_path(pos)
            sub = (*path, *(k for k, _ in keys))
            self.keys.setdefault(sub, keys[-1][1])
            pos = self._skip(pos, newlines=False)
            if not text.startswith("=", pos):
                raise _TomlStop
            pos = self._value(self._skip(pos + 1, newlines=False), sub, depth + 1)
            pos = self._skip(pos, newlines=True)
            if text.startswith(",", pos):
                pos += 1
            elif not text.startswith("}", pos):
                raise _TomlStop


def load_toml(text: str) -> dict[str, Any]:
    """Parse TOML text; bad input becomes a :class:`CrawlError`."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CrawlError(f"not valid TOML: {exc}") from None
    except (RecursionError, MemoryError):
        raise CrawlError("TOML too deeply nested to parse") from None


# -- JSON positions -------------------------------------------------------------------------

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')


def load_json(text: str) -> Any:
    """Parse JSON text; bad input becomes a :class:`CrawlError`."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CrawlError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except (RecursionError, MemoryError):
        raise CrawlError("JSON too deeply nested to parse") from None
    except ValueError as exc:
        raise CrawlError(f"not valid JSON: {exc}") from None


def json_key_offsets(
    text: str, want: Callable[[tuple[str, ...]], bool]
) -> dict[tuple[str, ...], int]:
    """Offsets (of the first character of the name) of object keys in a JSON document.

    Keys are recorded by their path of enclosing object keys (array indices are left out)
    when ``want(parent_path)`` is true. The text must already be valid JSON. The walk is
    iterative, so nesting depth costs no stack.
    """
    offsets: dict[tuple[str, ...], int] = {}
    # Each frame: (path of keys to this container, is_object, expecting a key).
    stack: list[list[Any]] = []
    path: tuple[str, ...] = ()
    pending: str | None = None
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == "{" or first == "[":
            child = path if pending is None else (*path, pending)
            stack.append([path, first == "{", first == "{"])
            path, pending = child, None
            continue
        if first == "}" or first == "]":
            if not stack:
                break
            path = stack.pop()[0]
            pending = None
            continue
        if not stack:
            continue
        frame = stack[-1]
        if first == ",":
            frame[2] = bool(frame[1])
            pending = None
        elif first == ":":
            frame[2] = False
        elif frame[1] and frame[2] and first == '"':
            name = json.loads(token) if "\\" in token else token[1:-1]
            pending = name
            if want(path):
                offsets[(*path, name)] = match.start() + 1
        else:
            pending = None
    return offsets


# -- requirement strings --------------------------------------------------------------------

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._\-]*[A-Za-z0-9])?"
_REQUIREMENT = re.compile(
    rf"^(?P<lead>\s*)(?P<name>{_NAME})\s*(?:\[(?P<extras>[^\]]*)\])?\s*(?P<rest>.*)$", re.S
)
_CLAUSE = re.compile(r"^\s*(?P<op>~=|===|==|!=|<=|>=|<|>)\s*(?P<ver>[A-Za-z0-9_.*+!\-]+)\s*$")
_URL_REQUIREMENT = re.compile(r"^@\s*(?P<url>\S+)\s*(?:;(?P<marker>.*))?$", re.S)
_EXTRA = re.compile(rf"^{_NAME}$")
_EGG = re.compile(rf"[#&]egg=(?P<name>{_NAME})")
_WHEEL = re.compile(r"^(?P<name>[A-Za-z0-9_.]+)-(?P<ver>[A-Za-z0-9_.!+]+)(?:-[^-/]+){2,3}\.whl$")
_URL_SCHEME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*://|(?:git|hg|svn|bzr)\+)")


@dataclass(frozen=True, slots=True)
class Requirement:
    """A parsed PEP 508 requirement (or a pip URL line) with the offset of its name."""

    name: str
    offset: int
    version: str | None
    properties: dict[str, str] = field(default_factory=dict)


def parse_specifier(spec: str) -> tuple[str | None, str | None]:
    """``(version, specifier)`` of a PEP 440 specifier set; ``(None, None)`` if empty.

    Raises :class:`ValueError` when *spec* is not a specifier set.
    """
    spec = spec.strip()
    if spec.startswith("(") and spec.endswith(")"):
        spec = spec[1:-1].strip()
    if not spec:
        return None, None
    clauses = [_CLAUSE.match(part) for part in spec.split(",")]
    if any(c is None for c in clauses):
        raise ValueError(spec)
    matched = [c for c in clauses if c is not None]
    if len(matched) == 1 and matched[0]["op"] in ("==", "===") and "*" not in matched[0]["ver"]:
        return matched[0]["ver"], None
    return None, ",".join(c["op"] + c["ver"] for c in matched)


def _split_marker(rest: str) -> tuple[str, str | None]:
    if ";" not in rest:
        return rest, None
    spec, marker = rest.split(";", 1)
    return spec, " ".join(marker.split()) or None


def _extras(raw: str | None) -> str | None:
    if raw is None:
        return None
    names = [e.strip() for e in raw.split(",") if e.strip()]
    if not all(_EXTRA.match(e) for e in names):
        raise ValueError(raw)
    return ",".join(names) or None


def parse_requirement(text: str, offset: int = 0) -> Requirement | None:
    """Parse one PEP 508 requirement (or a pip direct-URL line) found at *offset*.

    Returns ``None`` for local paths, editable checkouts of the project itself and
    anything that is not a requirement. URLs are kept without their credentials.
    """
    stripped = text.strip()
    if not stripped:
        return None
    if _URL_SCHEME.match(stripped):
        return _url_requirement(stripped, offset + len(text) - len(text.lstrip()))
    match = _REQUIREMENT.match(text)
    if match is None:
        return None
    name_offset = offset + match.start("name")
    props: dict[str, str] = {}
    try:
        extras = _extras(match["extras"])
    except ValueError:
        return None
    if extras:
        props["extras"] = extras
    rest = match["rest"].strip()
    version: str | None = None
    if rest.startswith("@"):
        url_match = _URL_REQUIREMENT.match(rest)
        if url_match is None:
            return None
        props["source"] = redact_url(url_match["url"])
        marker = " ".join((url_match["marker"] or "").split())
    else:
        spec, marker_text = _split_marker(rest)
        marker = marker_text or ""
        try:
            version, specifier = parse_specifier(spec)
        except ValueError:
            return None
        if specifier:
            props["specifier"] = specifier
    if marker:
        props["marker"] = marker
    return Requirement(match["name"], name_offset, version, props)


def _url_requirement(url: str, offset: int) -> Requirement | None:
    """A bare URL line: named by its ``#egg=`` fragment or by its wheel file name."""
    url = url.split()[0]
    props = {"source": redact_url(url)}
    egg = _EGG.search(url)
    if egg:
        return Requirement(egg["name"], offset, None, props)
    wheel = _WHEEL.match(unquote(url.split("#")[0].split("?")[0].rsplit("/", 1)[-1]))
    if wheel:
        return Requirement(wheel["name"], offset, wheel["ver"], props)
    return None


# -- requirements files (pip) ---------------------------------------------------------------

_INCLUDE = re.compile(
    r"^(?P<opt>-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+|(?<=-r)|(?<=-c))(?P<target>\S+)"
)
_EDITABLE = re.compile(r"^(?:-e|--editable)(?:\s*=\s*|\s+)(?P<target>\S+)")
_OPTION_START = re.compile(r"(?:^|\s)--?[A-Za-z]")
_COMMENT = re.compile(r"(?:^|\s)#")
# Options that take no requirement: index and build settings. Their arguments (index
# URLs with credentials) are never read.
_KNOWN_OPTION = re.compile(
    r"^(?:-i|--index-url|--extra-index-url|--no-index|-f|--find-links|--trusted-host|"
    r"--pre|--prefer-binary|--only-binary|--no-binary|--require-hashes|--use-feature|"
    r"-Z|--always-unzip|--config-settings|--global-option|--install-option|--hash)\b"
)


@dataclass(slots=True)
class RequirementsFile:
    """What a requirements file holds: its requirements and its ``-r``/``-c`` includes."""

    text: str
    requirements: list[Requirement] = field(default_factory=list)
    includes: list[tuple[str, str]] = field(default_factory=list)  # (option, target)
    invalid_lines: int = 0


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(offset, text)`` of each logical line: comments removed, ``\\`` continuations
    joined. The offsets of continued text are those of the first physical line, so a
    name is always located on the line where its requirement starts."""
    pending: list[str] = []
    start = 0
    offset = 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        comment = _COMMENT.search(line)
        if comment:
            line = line[: comment.start()]
        if not pending:
            start = offset
        offset += len(raw)
        if line.endswith("\\") and not comment:
            pending.append(line[:-1])
            continue
        pending.append(line)
        yield start, "".join(pending)
        pending = []
    if pending:
        yield start, "".join(pending)


def parse_requirements_file(text: str) -> RequirementsFile:
    """Parse a pip requirements (or constraints, or pip-tools ``.in``) file."""
    result = RequirementsFile(text)
    for offset, line in _logical_lines(text):
        stripped = line.strip()
        if not stripped:
            continue
        lead = len(line) - len(line.lstrip())
        include = _INCLUDE.match(stripped)
        if include:
            result.includes.append((include["opt"], include["target"]))
            continue
        editable = _EDITABLE.match(stripped)
        if editable:
            target = editable["target"]
            if _URL_SCHEME.match(target):
                req = _url_requirement(target, offset + lead + editable.start("target"))
                if req is not None:
                    result.requirements.append(req)
            continue
        if stripped.startswith("-"):
            if not _KNOWN_OPTION.match(stripped):
                result.invalid_lines += 1
            continue
        option = _OPTION_START.search(line, lead)
        body = line[: option.start()] if option else line
        if body.strip().startswith((".", "/", "~")):
            continue  # a local path: the project or a sibling directory
        req = parse_requirement(body, offset)
        if req is None:
            result.invalid_lines += 1
        else:
            result.requirements.append(req)
    return result


def requirement_dep(
    req: Requirement, *, scope: str, manifest: str, extra: Mapping[str, str] | None = None
) -> Dep:
    """A :class:`Dep` for a PyPI requirement."""
    props = dict(req.properties)
    props.update(extra or {})
    return Dep(
        name=normalise_pypi(req.name),
        ecosystem="pypi",
        offset=req.offset,
        scope=scope,
        manifest=manifest,
        version=req.version,
        properties=tuple(sorted(props.items())),
    )


# -- pyproject.toml -------------------------------------------------------------------------


def _table(data: Any, *keys: str) -> dict[str, Any]:
    """The nested table at *keys*, or an empty dict when any level is missing or not one."""
    current = data
    for key in keys:
        if not isinstance(current, dict):
            return {}
        current = current.get(key)
    return current if isinstance(current, dict) else {}


class _Locator:
    """Turns key paths into offsets, falling back to the table's first known position."""

    def __init__(self, text: str) -> None:
        self.positions = TomlPositions(text)

    def value(self, path: PathKey) -> int:
        found = self.positions.value(path)
        return found if found is not None else self.fallback(path)

    def key(self, path: PathKey) -> int:
        found = self.positions.key(path)
        return found if found is not None else self.fallback(path)

    def fallback(self, path: PathKey) -> int:
        for cut in range(len(path) - 1, 0, -1):
            found = self.positions.key(path[:cut])
            if found is not None:
                return found
        return 0


def _string_list_deps(
    values: Any,
    path: PathKey,
    locator: _Locator,
    *,
    scope: str,
    manifest: str,
    extra: Mapping[str, str] | None = None,
    skip: str | None = None,
) -> Iterator[Dep]:
    """Deps of a list of PEP 508 strings at *path* (tables like ``include-group`` skipped)."""
    if not isinstance(values, list):
        return
    for index, item in enumerate(values):
        if not isinstance(item, str):
            continue
        req = parse_requirement(item, locator.value((*path, index)))
        if req is None or normalise_pypi(req.name) == skip:
            continue
        yield requirement_dep(req, scope=scope, manifest=manifest, extra=extra)


def _poetry_spec(spec: Any) -> tuple[str | None, dict[str, str], bool]:
    """``(version, properties, optional)`` of a Poetry dependency specification."""
    props: dict[str, str] = {}
    if isinstance(spec, list):
        versions = [s.get("version") for s in spec if isinstance(s, dict)]
        joined = " || ".join(v for v in versions if isinstance(v, str))
        if joined:
            props["specifier"] = joined
        return None, props, False
    if isinstance(spec, str):
        spec = {"version": spec}
    if not isinstance(spec, dict):
        return None, props, False
    version: str | None = None
    raw = spec.get("version")
    if isinstance(raw, str) and raw.strip() not in ("", "*"):
        text = raw.strip()
        if re.fullmatch(r"==?\s*[0-9][A-Za-z0-9.+!\-]*", text) or re.fullmatch(
            r"[0-9][A-Za-z0-9.+!\-]*", text
        ):
            version = text.lstrip("=").strip()
        else:
            props["specifier"] = text
    for source_key in ("git", "url", "path"):
        source = spec.get(source_key)
        if isinstance(source, str):
            props["source"] = redact_url(source) if source_key != "path" else source
            break
    extras = spec.get("extras")
    if isinstance(extras, list) and all(isinstance(e, str) for e in extras) and extras:
        props["extras"] = ",".join(extras)
    markers = spec.get("markers")
    if isinstance(markers, str) and markers.strip():
        props["marker"] = " ".join(markers.split())
    return version, props, spec.get("optional") is True


def _poetry_table(
    table: dict[str, Any],
    path: PathKey,
    locator: _Locator,
    *,
    scope: str,
    group: str | None,
    extras_of: Mapping[str, list[str]],
) -> Iterator[Dep]:
    for name, spec in table.items():
        if name.lower() == "python" or not re.fullmatch(_NAME, name):
            continue
        version, props, optional = _poetry_spec(spec)
        dep_scope = OPTIONAL if optional and scope == RUNTIME else scope
        if group:
            props["group"] = group
        elif optional and extras_of.get(normalise_pypi(name)):
            props["group"] = ",".join(extras_of[normalise_pypi(name)])
        yield Dep(
            name=normalise_pypi(name),
            ecosystem="pypi",
            offset=locator.key((*path, name)),
            scope=dep_scope,
            manifest="poetry",
            version=version,
            properties=tuple(sorted(props.items())),
        )


def parse_pyproject(text: str) -> list[Dep]:
    """Dependencies declared in a ``pyproject.toml`` (PEP 621, PEP 735, Poetry, PDM, uv)."""
    data = load_toml(text)
    locator = _Locator(text)
    deps: list[Dep] = []
    project = _table(data, "project")
    name = project.get("name")
    own = normalise_pypi(name) if isinstance(name, str) else None
    deps.extend(
        _string_list_deps(
            project.get("dependencies"),
            ("project", "dependencies"),
            locator,
            scope=RUNTIME,
            manifest="pep621",
        )
    )
    for extra, values in _table(project, "optional-dependencies").items():
        deps.extend(
            _string_list_deps(
                values,
                ("project", "optional-dependencies", extra),
                locator,
                scope=OPTIONAL,
                manifest="pep621",
                extra={"group": extra},
                skip=own,  # "all = ['mypkg[a,b]']" refers to the project itself
            )
        )
    for group, values in _table(data, "dependency-groups").items():
        deps.extend(
            _string_list_deps(
                values,
                ("dependency-groups", group),
                locator,
                scope=DEVELOPMENT,
                manifest="pep735",
                extra={"group": group},
                skip=own,
            )
        )
    deps.extend(_poetry(data, locator))
    for group, values in _table(data, "tool", "pdm", "dev-dependencies").items():
        deps.extend(
            _string_list_deps(
                values,
                ("tool", "pdm", "dev-dependencies", group),
                locator,
                scope=DEVELOPMENT,
                manifest="pdm",
                extra={"group": group},
                skip=own,
            )
        )
    deps.extend(
        _string_list_deps(
            _table(data, "tool", "uv").get("dev-dependencies"),
            ("tool", "uv", "dev-dependencies"),
            locator,
            scope=DEVELOPMENT,
            manifest="uv",
        )
    )
    return deps


def _poetry(data: dict[str, Any], locator: _Locator) -> Iterator[Dep]:
    poetry = _table(data, "tool", "poetry")
    if not poetry:
        return
    extras_of: dict[str, list[str]] = {}
    for extra, members in _table(poetry, "extras").items():
        if isinstance(members, list):
            for member in members:
                if isinstance(member, str):
                    extras_of.setdefault(normalise_pypi(member), []).append(extra)
    base = ("tool", "poetry")
    yield from _poetry_table(
        _table(poetry, "dependencies"),
        (*base, "dependencies"),
        locator,
        scope=RUNTIME,
        group=None,
        extras_of=extras_of,
    )
    yield from _poetry_table(
        _table(poetry, "dev-dependencies"),
        (*base, "dev-dependencies"),
        locator,
        scope=DEVELOPMENT,
        group="dev",
        extras_of=extras_of,
    )
    for group, table in _table(poetry, "group").items():
        yield from _poetry_table(
            _table(table, "dependencies"),
            (*base, "group", group, "dependencies"),
            locator,
            scope=DEVELOPMENT,
            group=group,
            extras_of=extras_of,
        )


# -- Pipfile and Pipfile.lock ---------------------------------------------------------------

_PIPFILE_SECTIONS = (("packages", RUNTIME), ("dev-packages", DEVELOPMENT))


def parse_pipfile(text: str) -> list[Dep]:
    """Dependencies in a ``Pipfile`` (``[packages]`` and ``[dev-packages]``)."""
    data = load_toml(text)
    locator = _Locator(text)
    deps: list[Dep] = []
    for section, scope in _PIPFILE_SECTIONS:
        for name, spec in _table(data, section).items():
            if not re.fullmatch(_NAME, name):
                continue
            if isinstance(spec, dict) and isinstance(spec.get("path"), str):
                continue  # the project itself or a local directory
            version, props, _ = _poetry_spec(spec)
            deps.append(
                Dep(
                    name=normalise_pypi(name),
                    ecosystem="pypi",
                    offset=locator.key((section, name)),
                    scope=scope,
                    manifest="pipfile",
                    version=version,
                    properties=tuple(sorted(props.items())),
                )
            )
    return deps


def parse_pipfile_lock(text: str) -> list[Dep]:
    """Locked packages in a ``Pipfile.lock`` (``default`` and ``develop``)."""
    data = load_json(text)
    if not isinstance(data, dict):
        raise CrawlError("Pipfile.lock is not a JSON object")
    offsets = json_key_offsets(text, lambda parent: parent in (("default",), ("develop",)))
    deps: list[Dep] = []
    for section, scope in (("default", RUNTIME), ("develop", DEVELOPMENT)):
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        for name, entry in table.items():
            if not isinstance(entry, dict) or not re.fullmatch(_NAME, name):
                continue
            if isinstance(entry.get("path"), str):
                continue
            props: dict[str, str] = {}
            raw = entry.get("version")
            version = raw[2:].strip() if isinstance(raw, str) and raw.startswith("==") else None
            git = entry.get("git")
            if isinstance(git, str):
                props["source"] = redact_url(git)
                ref = entry.get("ref")
                if isinstance(ref, str):
                    props["ref"] = ref
            markers = entry.get("markers")
            if isinstance(markers, str) and markers.strip():
                props["marker"] = " ".join(markers.split())
            deps.append(
                Dep(
                    name=normalise_pypi(name),
                    ecosystem="pypi",
                    offset=offsets.get((section, name), 0),
                    scope=scope,
                    manifest="pipfile-lock",
                    version=version,
                    properties=tuple(sorted(props.items())),
                )
            )
    return deps


# -- poetry.lock and uv.lock ----------------------------------------------------------------


def _lock_packages(data: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    packages = data.get("package")
    if not isinstance(packages, list):
        return []
    return [
        (i, p)
        for i, p in enumerate(packages)
        if isinstance(p, dict) and isinstance(p.get("name"), str) and re.fullmatch(_NAME, p["name"])
    ]


def parse_poetry_lock(text: str) -> list[Dep]:
    """Locked packages in a ``poetry.lock``; scope from ``category`` or ``groups``."""
    data = load_toml(text)
    locator = _Locator(text)
    deps: list[Dep] = []
    for index, package in _lock_packages(data):
        props: dict[str, str] = {}
        groups = package.get("groups")
        optional = package.get("optional") is True
        if isinstance(groups, list) and groups and all(isinstance(g, str) for g in groups):
            scope = RUNTIME if "main" in groups else DEVELOPMENT
            if scope == DEVELOPMENT:
                props["group"] = ",".join(groups)
        elif package.get("category") == "dev":
            scope = DEVELOPMENT
        else:
            scope = RUNTIME
        if optional and scope == RUNTIME:
            scope = OPTIONAL
        source = _table(package, "source")
        if source.get("type") == "git" and isinstance(source.get("url"), str):
            props["source"] = redact_url(source["url"])
        version = package.get("version")
        deps.append(
            Dep(
                name=normalise_pypi(package["name"]),
                ecosystem="pypi",
                offset=locator.value(("package", index, "name")),
                scope=scope,
                manifest="poetry-lock",
                version=version if isinstance(version, str) else None,
                properties=tuple(sorted(props.items())),
            )
        )
    return deps


def _uv_edges(package: dict[str, Any], *tables: str) -> Iterator[tuple[str, str]]:
    """``(group, name)`` of the dependencies listed in *package* under *tables*."""
    for table in tables:
        value = package.get(table)
        groups: Iterable[tuple[str, Any]]
        if isinstance(value, list):
            groups = [("", value)]
        elif isinstance(value, dict):
            groups = value.items()
        else:
            continue
        for group, entries in groups:
            if not isinstance(entries, list):
                continue
            for entry in entries:
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    yield group, normalise_pypi(entry["name"])


def _uv_is_local(package: dict[str, Any]) -> bool:
    source = _table(package, "source")
    return "editable" in source or "virtual" in source


def _uv_closure(starts: Iterable[str], children: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(starts)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(children.get(name, ()))
    return seen


def parse_uv_lock(text: str) -> list[Dep]:
    """Locked packages in a ``uv.lock``, with scope from the project's dependency graph.

    The project itself (and workspace members: any ``editable`` or ``virtual`` source)
    is skipped. A package reachable from the project's ``dependencies`` is runtime, else
    from its ``optional-dependencies`` optional, else from its ``dev-dependencies``
    development; unreachable ones are runtime.
    """
    data = load_toml(text)
    locator = _Locator(text)
    packages = _lock_packages(data)
    children: dict[str, set[str]] = {}
    for _, package in packages:
        name = normalise_pypi(package["name"])
        edges = _uv_edges(package, "dependencies", "optional-dependencies")
        children.setdefault(name, set()).update(n for _, n in edges)
    roots = [p for _, p in packages if _uv_is_local(p)]
    runtime = _uv_closure((n for r in roots for _, n in _uv_edges(r, "dependencies")), children)
    optional_direct = [(g, n) for r in roots for g, n in _uv_edges(r, "optional-dependencies")]
    dev_direct = [(g, n) for r in roots for g, n in _uv_edges(r, "dev-dependencies")]
    optional = _uv_closure((n for _, n in optional_direct), children)
    dev = _uv_closure((n for _, n in dev_direct), children)
    groups: dict[str, set[str]] = {}
    for group, name in (*optional_direct, *dev_direct):
        groups.setdefault(name, set()).add(group)
    deps: list[Dep] = []
    for index, package in packages:
        if _uv_is_local(package):
            continue
        name = normalise_pypi(package["name"])
        props: dict[str, str] = {}
        if not roots or name in runtime:
            scope = RUNTIME
        elif name in optional or name in dev:
            scope = OPTIONAL if name in optional else DEVELOPMENT
            if groups.get(name):
                props["group"] = ",".join(sorted(groups[name]))
        else:
            scope = RUNTIME
        source = _table(package, "source")
        if isinstance(source.get("git"), str):
            props["source"] = redact_url(source["git"])
        version = package.get("version")
        deps.append(
            Dep(
                name=name,
                ecosystem="pypi",
                offset=locator.value(("package", index, "name")),
                scope=scope,
                manifest="uv-lock",
                version=version if isinstance(version, str) else None,
                properties=tuple(sorted(props.items())),
            )
        )
    return deps
