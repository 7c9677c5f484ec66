"""Prompts crawler: CivitAI and Automatic1111 references written as text, in any file.

Image-generation projects name their models in forms no loader call shows:

* CivitAI AIR URNs, ``urn:air:sdxl:lora:civitai:328553@368189`` (also written without
  ``urn:``; the ``air:`` prefix is required so that random ``a:b:c`` text is not read);
  ``huggingface`` sources become plain Hub ids;
* civitai.com links to a model (``/models/ID[/slug][?modelVersionId=V]``) or to a
  version download (``/api/download/models/V``); links to images, users, articles or
  the bare site are not references;
* Automatic1111 prompt tags ``<lora:NAME:0.8>``, ``<lyco:NAME:1>``,
  ``<hypernet:NAME:1>``, and the ``sd_model_checkpoint`` setting of its API payloads
  and ``config.json`` (``"name.safetensors [hash]"``; the hash goes to properties).

ComfyUI workflows are left to :class:`~modelbom.crawlers.comfyui.ComfyUICrawler`, so no
reference is reported twice. Markdown is documentation; a match inside a ``#`` or ``//``
comment is in the comment scope. Notebooks are read cell by cell, outputs never.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import parse_qs

from modelbom.crawlers.base import Crawler, FileInput, scope_of_path
from modelbom.crawlers.comfyui import (
    LORA_TAG,
    MAX_FINDINGS_PER_FILE,
    JObj,
    JStr,
    is_comfyui_workflow,
    line_snippet,
    parse_json_positions,
    raw_offset,
    tag_name,
    too_many_references,
)
from modelbom.crawlers.ids import hub_id, is_placeholder
from modelbom.crawlers.lines import LineIndex
from modelbom.crawlers.python import decode_source
from modelbom.model import Evidence, Finding, Kind, Scope

__all__ = ["PromptsCrawler", "TextHit", "air_reference", "civitai_hits"]

_MAX_BYTES = 4 * 1024 * 1024
_SUFFIXES = frozenset(
    {
        ".py", ".js", ".mjs", ".ts", ".tsx", ".json", ".yaml", ".yml", ".toml", ".md",
        ".txt", ".sh", ".ini", ".cfg", ".ipynb", ".html",
    }
)  # fmt: skip
_MARKERS = (
    b"air:",
    b"civitai.com/models",
    b"civitai.com/api/",
    b"<lora:",
    b"<lyco:",
    b"<hypernet:",
    b"sd_model_checkpoint",
)
_CONFIG_SUFFIXES = frozenset({".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".txt"})
_PROSE_STEMS = frozenset(
    {"readme", "changelog", "changes", "history", "notes", "license", "authors", "contributing"}
)
# ``#`` starts a comment anywhere outside a string (Python, TOML) or only at the start
# of a word (shell, YAML, INI).
_HASH_COMMENTS = frozenset({".py", ".toml"})
_WORD_HASH_COMMENTS = frozenset({".sh", ".yaml", ".yml", ".ini", ".cfg"})
_SLASH_COMMENTS = frozenset({".js", ".mjs", ".ts", ".tsx"})
_UNQUOTED_SETTINGS = frozenset({".yaml", ".yml", ".ini", ".cfg"})

# Confidence by form.
EXPLICIT = 1.0  # an AIR with a known type, an sd_model_checkpoint value
TAG = 0.9  # a prompt tag: A1111 resolves it by name against its local folders
UNTYPED = 0.7  # a link or AIR that does not say what kind of model it is

ECO_CIVITAI = "civitai"
ECO_A1111 = "a1111"

# -- CivitAI AIR ---------------------------------------------------------------------------

_AIR = re.compile(r"(?<![\w\-.:/@])(?:urn:)?air:([A-Za-z0-9_\-/.:@=,%+]+)")
_AIR_PART = re.compile(r"^[A-Za-z0-9_\-/]+$")
_AIR_ID = re.compile(r"^[A-Za-z0-9_\-/.]+$")
_CIVITAI_ID = re.compile(r"^([0-9]{1,12})(?:\.([A-Za-z0-9_\-]+))?$")
_CIVITAI_VERSION = re.compile(r"^([0-9]{1,12})(?:\+([0-9]{1,12}))?(?:\.([A-Za-z0-9_\-]+))?$")
_REVISION = re.compile(r"^[A-Za-z0-9_\-./]{1,96}$")
_AIR_KINDS: dict[str, Kind] = {
    "checkpoint": Kind.MODEL,
    "model": Kind.MODEL,
    "vae": Kind.MODEL,
    "controlnet": Kind.MODEL,
    "upscaler": Kind.MODEL,
    "motionmodule": Kind.MODEL,
    "lora": Kind.ADAPTER,
    "lycoris": Kind.ADAPTER,
    "locon": Kind.ADAPTER,
    "dora": Kind.ADAPTER,
    "embedding": Kind.ADAPTER,
    "textualinversion": Kind.ADAPTER,
    "hypernetwork": Kind.ADAPTER,
}
# AIR types that name resources which are not models.
_AIR_NOT_MODELS = frozenset(
    {"workflow", "workflows", "wildcards", "poses", "image", "post", "article", "collection"}
)
_AIR_SOURCES = frozenset({"civitai", "civitai-r2", "orchestrator", "huggingface"})

# -- civitai.com links ---------------------------------------------------------------------

_CIVITAI_LINK = re.compile(
    r"(?<![\w.\-])(?:https?://)?(?:www\.)?civitai\.com/"
    r"(?:models/([0-9]{1,12})(?![\w\-])(?:/[^\s\"'<>()\[\]?#]*)?(?:\?([^\s\"'<>()\[\]#]*))?"
    r"|api/download/models/([0-9]{1,12})(?![\w\-])"
    r"|api/v1/models/([0-9]{1,12})(?![\w\-])"
    r"|api/v1/model-versions/([0-9]{1,12})(?![\w\-]))",
    re.IGNORECASE,
)

# -- Automatic1111 settings ----------------------------------------------------------------

_CHECKPOINT_QUOTED = re.compile(
    r"""\bsd_model_checkpoint\b["']?\s*[:=]\s*"""
    r"""(?:"((?:[^"\\\r\n]|\\.){1,300})"|'((?:[^'\\\r\n]|\\.){1,300})')"""
)
_CHECKPOINT_BARE = re.compile(
    r"\bsd_model_checkpoint\s*[:=][ \t]*([^\s\"'#;,{}\[][^\r\n#;]{0,299})"
)
_CHECKPOINT_HASH = re.compile(r"^(.*?)\s*\[([0-9A-Fa-f]{8,64})\]$")


@dataclass(frozen=True, slots=True)
class TextHit:
    """One reference found at *offset* of a scanned text (not yet a finding)."""

    offset: int
    kind: Kind
    id: str
    ecosystem: str | None
    confidence: float
    properties: dict[str, str] = field(default_factory=dict)
    revision: str | None = None


def air_reference(text: str, offset: int = 0) -> TextHit | None:
    """Parse the part of an AIR after ``air:``; ``None`` when it is not a model reference.

    CivitAI ids keep the normalised URN (``urn:air:sdxl:lora:civitai:328553@368189``);
    Hugging Face sources give the Hub repo id (the version becomes the revision) and no
    ecosystem. *offset* is carried into the hit.
    """
    body = text.rstrip(".,:;")
    main, _, version = body.partition("@")
    parts = main.split(":")
    if len(parts) < 2 or len(parts) > 4 or not all(parts):
        return None
    *head, source, ident = parts
    ecosystem = kind_name = None
    if len(head) == 2:
        ecosystem, kind_name = head
    elif len(head) == 1:
        if head[0].lower() in _AIR_KINDS or head[0].lower() in _AIR_NOT_MODELS:
            kind_name = head[0]
        else:
            ecosystem = head[0]
    if not all(_AIR_PART.match(p) for p in (*head, source)) or not _AIR_ID.match(ident):
        return None
    source = source.lower()
    if source not in _AIR_SOURCES:
        return None
    type_low = kind_name.lower() if kind_name else None
    if type_low in _AIR_NOT_MODELS:
        return None
    kind = _AIR_KINDS.get(type_low or "", Kind.MODEL)
    confidence = EXPLICIT if type_low in _AIR_KINDS else UNTYPED
    properties: dict[str, str] = {}
    if ecosystem:
        properties["air_ecosystem"] = ecosystem.lower()
    if type_low:
        properties["air_type"] = type_low
    if source == "huggingface":
        repo = hub_id(ident)
        if repo is None or (version and not _REVISION.match(version)):
            return None
        properties["air"] = _urn(ecosystem, type_low, source, ident, version)
        return TextHit(offset, kind, repo, None, confidence, properties, version or None)
    if source == "civitai":
        id_match = _CIVITAI_ID.match(ident)
        if id_match is None:
            return None
        ident, fmt = id_match.group(1), id_match.group(2)
        if version:
            version_match = _CIVITAI_VERSION.match(version)
            if version_match is None:
                return None
            version = version_match.group(1)
            if version_match.group(2):
                properties["civitai_file"] = version_match.group(2)
            fmt = version_match.group(3) or fmt
        if fmt:
            properties["format"] = fmt
        properties["civitai_model"] = ident
        if version:
            properties["civitai_version"] = version
    elif version and not _REVISION.match(version):
        return None
    urn = _urn(ecosystem, type_low, source, ident, version)
    return TextHit(offset, kind, urn, ECO_CIVITAI, confidence, properties)


def _urn(ecosystem: str | None, type_: str | None, source: str, ident: str, version: str) -> str:
    parts = [p.lower() for p in (ecosystem, type_) if p] + [source, ident]
    urn = "urn:air:" + ":".join(parts)
    return f"{urn}@{version}" if version else urn


def _air_hits(text: str) -> Iterator[TextHit]:
    for m in _AIR.finditer(text):
        hit = air_reference(m.group(1), m.start())
        if hit is not None:
            yield hit


def _link_hits(text: str) -> Iterator[TextHit]:
    for m in _CIVITAI_LINK.finditer(text):
        model, query, download, api_model, api_version = m.groups()
        if model:
            props = {"civitai_model": model}
            versions = parse_qs(query or "").get("modelVersionId", [])
            ident = f"civitai:{model}"
            if versions and versions[0].isdigit() and len(versions[0]) <= 12:
                ident += f"@{versions[0]}"
                props["civitai_version"] = versions[0]
            yield TextHit(m.start(), Kind.MODEL, ident, ECO_CIVITAI, UNTYPED, props)
        elif api_model:
            props = {"civitai_model": api_model}
            yield TextHit(
                m.start(), Kind.MODEL, f"civitai:{api_model}", ECO_CIVITAI, UNTYPED, props
            )
        else:
            version = download or api_version
            props = {"civitai_version": version}
            ident = f"civitai-version:{version}"
            yield TextHit(m.start(), Kind.MODEL, ident, ECO_CIVITAI, UNTYPED, props)


def civitai_hits(text: str) -> list[TextHit]:
    """The CivitAI AIRs and civitai.com model links in *text*, in order of position.

    The ComfyUI crawler uses this for workflow strings, which this crawler skips.
    """
    hits: list[TextHit] = []
    low = text.lower()
    if "air:" in low:
        hits.extend(_air_hits(text))
    if "civitai.com/" in low:
        hits.extend(_link_hits(text))
    return sorted(hits, key=lambda h: (h.offset, h.id))


def _tag_hits(text: str) -> Iterator[TextHit]:
    for m in LORA_TAG.finditer(text):
        raw = m.group(2)
        name = tag_name(raw)
        if name is None:
            continue
        start = m.start(2) + len(raw) - len(raw.lstrip())
        props = {"tag": m.group(1)}
        yield TextHit(start, Kind.ADAPTER, name, ECO_A1111, TAG, props)


def _unescape(raw: str, quote: str) -> str:
    if "\\" not in raw:
        return raw
    if quote == '"':
        try:
            value = json.loads(f'"{raw}"')
        except ValueError:
            return raw
        return value if isinstance(value, str) else raw
    return raw.replace("\\\\", "\\").replace("\\'", "'")


def _checkpoint_hit(value: str, offset: int) -> TextHit | None:
    text = value.strip()
    properties: dict[str, str] = {}
    hashed = _CHECKPOINT_HASH.match(text)
    if hashed:
        text = hashed.group(1).strip()
        properties["hash"] = hashed.group(2).lower()
    if not text or text.lower() in {"none", "null", "nil", "undefined"}:
        return None
    if is_placeholder(text) or any(ch in text for ch in "{}$%<>`"):
        return None
    if not any(ch.isalnum() for ch in text):
        return None
    return TextHit(offset, Kind.MODEL, text, ECO_A1111, EXPLICIT, properties)


def _checkpoint_hits(text: str, bare: bool) -> Iterator[TextHit]:
    for m in _CHECKPOINT_QUOTED.finditer(text):
        group = 1 if m.group(1) is not None else 2
        raw = m.group(group)
        hit = _checkpoint_hit(_unescape(raw, '"' if group == 1 else "'"), m.start(group))
        if hit is not None:
            yield hit
    if bare:
        for m in _CHECKPOINT_BARE.finditer(text):
            hit = _checkpoint_hit(m.group(1), m.start(1))
            if hit is not None:
                yield hit


def _hits(text: str, *, bare_settings: bool) -> list[TextHit]:
    """Every reference in *text*, in order of position."""
    hits = civitai_hits(text)
    if "<" in text:
        hits.extend(_tag_hits(text))
    if "sd_model_checkpoint" in text:
        hits.extend(_checkpoint_hits(text, bare_settings))
    return sorted(hits, key=lambda h: (h.offset, h.id))


# -- scope ---------------------------------------------------------------------------------


def _file_scope(path: PurePosixPath) -> Scope:
    suffix = path.suffix.lower()
    if suffix == ".md":
        return Scope.DOCS
    scope = scope_of_path(path)
    if scope is Scope.CODE and suffix == ".txt" and path.stem.lower() in _PROSE_STEMS:
        return Scope.DOCS
    if scope is Scope.CODE and suffix in _CONFIG_SUFFIXES:
        return Scope.CONFIG
    return scope


def _comment_start(line: str, style: str) -> int:
    """Where a ``#`` / ``//`` comment starts on *line* (outside strings), or ``len(line)``."""
    stripped = line.lstrip()
    whole = len(line) - len(stripped)
    if style == "//" and stripped.startswith(("/*", "*")):
        return whole
    if style == "w#" and stripped.startswith(";"):  # ini / cfg
        return whole
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif _starts_comment(line, i, style):
            return i
        i += 1
    return len(line)


def _starts_comment(line: str, i: int, style: str) -> bool:
    """Whether a comment starts at *i* of *line* (outside any string)."""
    if style == "//":
        return line.startswith("//", i)
    if line[i] != "#":
        return False
    return style == "#" or (style == "w#" and (i == 0 or line[i - 1].isspace()))


def _comment_style(suffix: str) -> str:
    if suffix in _HASH_COMMENTS:
        return "#"
    if suffix in _WORD_HASH_COMMENTS:
        return "w#"
    if suffix in _SLASH_COMMENTS:
        return "//"
    return ""


class _CommentCache:
    """Comment starts of the lines of one text, each line scanned once."""

    def __init__(self, style: str) -> None:
        self.style = style
        self.starts: dict[int, int] = {}

    def inside(self, line: int, column: int, text: Callable[[], str]) -> bool:
        """Whether 0-based *column* of *line* is in a comment; *text* gives the line."""
        if not self.style:
            return False
        start = self.starts.get(line)
        if start is None:
            start = self.starts[line] = _comment_start(text(), self.style)
        return column >= start


# -- the crawler ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a hit is: file line and column, the line's text, and whether in a comment."""

    line: int
    column: int
    snippet: str
    comment: bool
    cell: int | None = None
    cell_line: int | None = None


def _finding(hit: TextHit, place: _Place, path: str, scope: Scope) -> Finding:
    return Finding(
        kind=hit.kind,
        id=hit.id,
        revision=hit.revision,
        ecosystem=hit.ecosystem,
        properties=hit.properties,
        evidence=Evidence(
            file=path,
            line=place.line,
            column=place.column,
            snippet=place.snippet,
            crawler=PromptsCrawler.name,
            confidence=hit.confidence,
            scope=scope,
            cell=place.cell,
            cell_line=place.cell_line,
        ),
    )


def _scan(
    text: str,
    locate: Callable[[int], _Place],
    path: str,
    scope: Scope,
    *,
    bare_settings: bool,
    budget: int = MAX_FINDINGS_PER_FILE,
) -> Iterator[Finding]:
    hits = _hits(text, bare_settings=bare_settings)
    if len(hits) > budget:
        raise too_many_references(MAX_FINDINGS_PER_FILE - budget + len(hits))
    for hit in hits:
        place = locate(hit.offset)
        where = Scope.COMMENT if place.comment else scope
        yield _finding(hit, place, path, where)


def _plain_file(text: str, path: PurePosixPath, name: str) -> list[Finding]:
    suffix = path.suffix.lower()
    lines = LineIndex(text)
    style = _comment_style(suffix)
    comments = _CommentCache(style)

    def locate(offset: int) -> _Place:
        line, column = lines.position(offset)
        comment = comments.inside(line, column - 1, lambda: lines.line_text(line))
        return _Place(line, column, line_snippet(text, offset, column), comment)

    return list(
        _scan(
            text,
            locate,
            name,
            _file_scope(path),
            bare_settings=suffix in _UNQUOTED_SETTINGS,
        )
    )


class _Cell:
    """One notebook cell's source, mapped back to the notebook file's text."""

    def __init__(
        self, file_text: str, file_lines: LineIndex, index: int, tokens: list[JStr], style: str
    ) -> None:
        self.file_text = file_text
        self.file_lines = file_lines
        self.index = index
        self.tokens = tokens
        self.text = "".join(t.value for t in tokens)
        self.starts: list[int] = []
        total = 0
        for token in tokens:
            self.starts.append(total)
            total += len(token.value)
        self.lines = LineIndex(self.text)
        self.comments = _CommentCache(style)

    def locate(self, offset: int) -> _Place:
        """File line and column of *offset* in the cell text, plus cell line and snippet."""
        part = bisect.bisect_right(self.starts, offset) - 1
        raw = raw_offset(self.file_text, self.tokens[part], offset - self.starts[part])
        line, column = self.file_lines.position(raw)
        cell_line, cell_column = self.lines.position(offset)
        comment = self.comments.inside(
            cell_line, cell_column - 1, lambda: self.lines.line_text(cell_line)
        )
        snippet = line_snippet(self.text, offset, cell_column)
        return _Place(line, column, snippet, comment, self.index, cell_line)


def _notebook(text: str, path: PurePosixPath, name: str) -> list[Finding]:
    """Code and markdown cells of a notebook; outputs are never read."""
    root = parse_json_positions(text)
    cells = root.get("cells") if isinstance(root, JObj) else None
    if not isinstance(cells, list):
        return []
    lines = LineIndex(text)
    code_scope = scope_of_path(path)
    findings: list[Finding] = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, JObj):
            continue
        cell_type = cell.get("cell_type")
        source = cell.get("source")
        parts = [source] if isinstance(source, JStr) else source
        if not isinstance(cell_type, JStr) or not isinstance(parts, list):
            continue
        tokens = [p for p in parts if isinstance(p, JStr)]
        is_code = cell_type.value == "code"
        current = _Cell(text, lines, index, tokens, "#" if is_code else "")
        scope = code_scope if is_code else Scope.DOCS
        budget = MAX_FINDINGS_PER_FILE - len(findings)
        findings.extend(
            _scan(current.text, current.locate, name, scope, bare_settings=False, budget=budget)
        )
    return findings


def _decode(data: bytes, suffix: str) -> str:
    if suffix == ".py":
        return decode_source(data).removeprefix("\ufeff")
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff")


class PromptsCrawler(Crawler):
    """CivitAI AIRs and links, A1111 prompt tags and checkpoint settings, in text files."""

    name = "prompts"
    version = "1"
    max_bytes = _MAX_BYTES

    def wants(self, path: PurePosixPath, size: int) -> bool:
        """Source, configuration and documentation text files up to 4 MiB."""
        return path.suffix.lower() in _SUFFIXES and size <= self.max_bytes

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Report the CivitAI and A1111 references in one text file."""
        data = file.data
        if not any(marker in data for marker in _MARKERS):
            return []
        path = file.pure_path
        suffix = path.suffix.lower()
        if suffix == ".json" and is_comfyui_workflow(data):
            return []  # the comfyui crawler reports workflows
        text = _decode(data, suffix)
        if suffix == ".ipynb":
            findings = _notebook(text, path, file.path)
        else:
            findings = _plain_file(text, path, file.path)
        return sorted(findings, key=Finding.sort_key)
