"""ComfyUI crawler: model, LoRA, VAE, CLIP, ControlNet and embedding files a workflow loads.

ComfyUI saves workflows as JSON in two shapes. The *API format* (what ``/prompt``
accepts, and what "Save (API)" writes) maps node ids to ``{"class_type", "inputs"}``;
the *UI format* (the default "Save") has ``{"nodes": [{"id", "type",
"widgets_values"}], "links": ...}``. Loader nodes name their weight file in a known
input (``ckpt_name``, ``lora_name``, ...) or widget position; prompt text may pull
textual-inversion embeddings in with ``embedding:NAME`` and LoRAs with
``<lora:NAME:weight>`` (custom nodes). ``Note`` and ``MarkdownNote`` nodes are
documentation, so whatever they mention is reported in the docs scope.

Ids are the file names exactly as the workflow writes them, subfolder included
(``SDXL/juggernautXL_v9.safetensors``), with ecosystem ``comfyui``. Each value is
located in the JSON text by a position-tracking pass, so a file name used by several
nodes gives one finding per node, each on its own line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from modelbom.crawlers.base import Crawler, CrawlError, FileInput, scope_of_path
from modelbom.crawlers.ids import hub_id, is_placeholder
from modelbom.crawlers.lines import LineIndex
from modelbom.model import Evidence, Finding, Kind, Scope

__all__ = [
    "LORA_TAG",
    "MAX_FINDINGS_PER_FILE",
    "WEIGHT_EXTENSIONS",
    "ComfyUICrawler",
    "JObj",
    "JStr",
    "JValue",
    "has_workflow_marker",
    "is_comfyui_workflow",
    "line_snippet",
    "parse_json_positions",
    "raw_offset",
    "tag_name",
    "too_many_references",
]

ECOSYSTEM = "comfyui"
WEIGHT_EXTENSIONS = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft")

# Confidence by how a reference was obtained.
LOADER = 1.0  # the file input of a known loader node
EMBEDDING = 1.0  # ``embedding:NAME`` in prompt text: ComfyUI itself resolves it
LORA_IN_TEXT = 0.8  # ``<lora:NAME:w>`` in prompt text: only some custom nodes read it
CUSTOM_LOADER = 0.6  # a ``*_name`` input of a node type this crawler does not know
NOTE = 0.5  # a weight file named in a Note node
NOTE_LINK = 0.7  # a Hugging Face link in a Note node

_MAX_BYTES = 16 * 1024 * 1024
_MAX_VALUE_CHARS = 512  # longer strings are not file names
# Snippets are clipped to 200 characters downstream; handing over at most this much of
# the line keeps minified one-line files linear without changing what is shown.
_SNIPPET_SOURCE_CHARS = 1000
# No real workflow or prompt file names this many models; a file that does is generated
# data, and reporting each occurrence would only slow the scan and bury the BOM.
MAX_FINDINGS_PER_FILE = 10_000


def too_many_references(count: int) -> CrawlError:
    """The error for a file with more than :data:`MAX_FINDINGS_PER_FILE` references."""
    return CrawlError(
        f"more than {MAX_FINDINGS_PER_FILE} references ({count} so far): "
        "looks like generated data, not scanned"
    )


def line_snippet(text: str, offset: int, column: int) -> str:
    """The start of the line holding *offset* (at 1-based *column*), bounded in length."""
    start = offset - (column - 1)
    end = text.find("\n", start, start + _SNIPPET_SOURCE_CHARS)
    return text[start : end if end >= 0 else start + _SNIPPET_SOURCE_CHARS]


# -- JSON with positions -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JStr:
    """A JSON string value and the offset of its opening quote in the document text."""

    value: str
    offset: int


@dataclass(frozen=True, slots=True)
class JObj:
    """A JSON object as its ordered key/value pairs (duplicate keys kept)."""

    pairs: list[tuple[JStr, JValue]] = field(default_factory=list)

    def get(self, key: str) -> JValue:
        """The value of the last pair named *key* (JSON's own rule), or ``None``."""
        for name, value in reversed(self.pairs):
            if name.value == key:
                return value
        return None


JValue = JStr | JObj | list["JValue"] | int | float | bool | None


class _Pairs(list[tuple[str, object]]):
    """What :func:`json.loads` builds for an object, so arrays and objects stay apart."""


# One JSON string token; in valid JSON every quote outside a string opens one.
_STRING_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def parse_json_positions(text: str) -> JValue:
    """Parse *text* as JSON, keeping the offset of every string in it.

    The standard parser validates and builds the values; the string tokens of the
    (now known valid) text are then matched to the strings in document order.
    Raises :class:`CrawlError` on invalid or too deeply nested input.
    """
    try:
        document = json.loads(text, object_pairs_hook=_Pairs)
    except json.JSONDecodeError as exc:
        raise CrawlError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except (RecursionError, MemoryError):
        raise CrawlError("JSON too deeply nested to parse") from None
    except ValueError as exc:  # e.g. an integer with too many digits
        raise CrawlError(f"not valid JSON: {exc}") from None
    offsets = (m.start() for m in _STRING_TOKEN.finditer(text))
    try:
        return _attach(document, offsets)
    except RecursionError:
        raise CrawlError("JSON too deeply nested to parse") from None
    except StopIteration:  # cannot happen for valid JSON; never let it escape a generator
        raise CrawlError("JSON strings could not be located") from None


def _attach(value: object, offsets: Iterator[int]) -> JValue:
    if isinstance(value, _Pairs):
        pairs: list[tuple[JStr, JValue]] = []
        for key, item in value:
            name = JStr(key, next(offsets))
            pairs.append((name, _attach(item, offsets)))
        return JObj(pairs)
    if isinstance(value, list):
        return [_attach(item, offsets) for item in value]
    if isinstance(value, str):
        return JStr(value, next(offsets))
    if value is None or isinstance(value, bool | int | float):
        return value
    raise CrawlError(f"unexpected JSON value of type {type(value).__name__}")


def raw_offset(text: str, token: JStr, index: int) -> int:
    """The offset in *text* of the character at *index* of the decoded string *token*."""
    start = token.offset + 1
    if "\\" not in text[start : start + index]:
        return start + index
    pos = start
    for _ in range(index):
        if text[pos] != "\\":
            pos += 1
        elif text[pos + 1] != "u":
            pos += 2
        elif (
            0xD800 <= int(text[pos + 2 : pos + 6], 16) < 0xDC00
            and text.startswith("\\u", pos + 6)
            and 0xDC00 <= int(text[pos + 8 : pos + 12], 16) < 0xE000
        ):
            pos += 12  # a surrogate pair decodes to one character
        else:
            pos += 6
    return pos


# -- workflow detection --------------------------------------------------------------------


def has_workflow_marker(data: bytes) -> bool:
    """The cheap byte test: every ComfyUI workflow contains one of these keys."""
    return b"class_type" in data or b"widgets_values" in data


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CrawlError(f"not valid UTF-8 at byte {exc.start}") from None


def _is_api_graph(obj: JObj) -> bool:
    return any(
        isinstance(node, JObj)
        and isinstance(node.get("class_type"), JStr)
        and isinstance(node.get("inputs"), JObj)
        for _, node in obj.pairs
    )


def _api_graph(root: JValue) -> JObj | None:
    """The node map of an API-format workflow, bare or wrapped as a ``/prompt`` body."""
    if not isinstance(root, JObj):
        return None
    if _is_api_graph(root):
        return root
    prompt = root.get("prompt")
    if isinstance(prompt, JObj) and _is_api_graph(prompt):
        return prompt
    return None


def _ui_nodes(root: JValue) -> list[JObj] | None:
    """The nodes of a UI-format workflow, subgraph definitions included."""
    if not isinstance(root, JObj):
        return None
    lists = [root.get("nodes")]
    definitions = root.get("definitions")
    if isinstance(definitions, JObj):
        subgraphs = definitions.get("subgraphs")
        if isinstance(subgraphs, list):
            lists.extend(s.get("nodes") for s in subgraphs if isinstance(s, JObj))
    nodes = [
        node
        for items in lists
        if isinstance(items, list)
        for node in items
        if isinstance(node, JObj) and isinstance(node.get("type"), JStr)
    ]
    if not any(node.get("widgets_values") is not None for node in nodes):
        return None
    return nodes


def is_comfyui_workflow(data: bytes) -> bool:
    """Whether *data* is a ComfyUI workflow (API or UI format) this crawler reports.

    Other crawlers call this to leave workflows to :class:`ComfyUICrawler`. Never
    raises: bytes that are not valid JSON are simply not a workflow.
    """
    if not has_workflow_marker(data):
        return False
    try:
        root = parse_json_positions(_decode(data))
    except CrawlError:
        return False
    return _api_graph(root) is not None or _ui_nodes(root) is not None


# -- loader table --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Loader:
    """Where a loader node names its file: input keys (API) and widget indices (UI)."""

    kind: Kind
    inputs: tuple[str, ...]
    widgets: tuple[int, ...]


_M, _A = Kind.MODEL, Kind.ADAPTER
_LOADERS: dict[str, _Loader] = {
    "CheckpointLoaderSimple": _Loader(_M, ("ckpt_name",), (0,)),
    "CheckpointLoader": _Loader(_M, ("ckpt_name",), (1,)),  # widgets: config_name, ckpt_name
    "ImageOnlyCheckpointLoader": _Loader(_M, ("ckpt_name",), (0,)),
    "unCLIPCheckpointLoader": _Loader(_M, ("ckpt_name",), (0,)),
    "UNETLoader": _Loader(_M, ("unet_name",), (0,)),
    "VAELoader": _Loader(_M, ("vae_name",), (0,)),
    "CLIPLoader": _Loader(_M, ("clip_name",), (0,)),
    "DualCLIPLoader": _Loader(_M, ("clip_name1", "clip_name2"), (0, 1)),
    "TripleCLIPLoader": _Loader(_M, ("clip_name1", "clip_name2", "clip_name3"), (0, 1, 2)),
    "QuadrupleCLIPLoader": _Loader(
        _M, ("clip_name1", "clip_name2", "clip_name3", "clip_name4"), (0, 1, 2, 3)
    ),
    "CLIPVisionLoader": _Loader(_M, ("clip_name", "clip_vision"), (0,)),
    "ControlNetLoader": _Loader(_M, ("control_net_name",), (0,)),
    "DiffControlNetLoader": _Loader(_M, ("control_net_name",), (0,)),
    "UpscaleModelLoader": _Loader(_M, ("model_name",), (0,)),
    "StyleModelLoader": _Loader(_M, ("style_model_name",), (0,)),
    "LoraLoader": _Loader(_A, ("lora_name",), (0,)),
    "LoraLoaderModelOnly": _Loader(_A, ("lora_name",), (0,)),
    "IPAdapterModelLoader": _Loader(_A, ("ipadapter_file", "ipadapter"), (0,)),
    "GLIGENLoader": _Loader(_A, ("gligen_name",), (0,)),
    "HypernetworkLoader": _Loader(_A, ("hypernetwork_name",), (0,)),
    "PhotoMakerLoader": _Loader(_A, ("photomaker_model_name",), (0,)),
}
_IPADAPTER_INPUTS = ("ipadapter_file", "ipadapter")
_NOTE_TYPES = frozenset({"Note", "MarkdownNote"})
_NOT_FILE_NAMES = frozenset(
    {"none", "null", "undefined", "default", "auto", "automatic", "disabled", "baked vae"}
)

# ``embedding:NAME`` as ComfyUI's tokenizer reads it: up to a space, comma, paren or
# ``:weight``; the name may carry a subfolder and an extension.
_EMBEDDING = re.compile(r"(?<![\w\-])embedding:([^\W_][\w\-.\\/]*)")
# A1111-style ``<lora:NAME>`` / ``<lora:NAME:weight>``.
LORA_TAG = re.compile(r"<(lora|lyco|hypernet):([^:<>\r\n]*)(?::[^<>\r\n]*)?>")
_TAG_PLACEHOLDERS = frozenset(
    {"lora", "lyco", "hypernet", "lora_name", "lora-name", "loraname", "filename", "file"}
)
# A weight file named in free text (Note nodes), not inside a URL or a longer path.
_FILE_IN_TEXT = re.compile(
    r"(?<![\w\-./\\:])"
    r"((?:[\w\-.]+/)*[\w\-.]*\w\.(?:safetensors|ckpt|pth|pt|bin|gguf|sft))"
    r"(?![\w\-])",
    re.IGNORECASE,
)
_HF_LINK = re.compile(
    r"https?://(?:www\.)?(?:huggingface\.co|hf\.co)/(datasets/)?([\w\-.]+)/([\w\-.]+)",
    re.IGNORECASE,
)
_HF_NON_REPOS = frozenset(
    {
        "docs", "blog", "spaces", "models", "papers", "learn", "settings", "join", "login",
        "pricing", "collections", "organizations", "api", "tasks", "chat", "new", "posts",
    }
)  # fmt: skip


def tag_name(name: str) -> str | None:
    """The LoRA / embedding name of a prompt tag, or ``None`` for empty or template names."""
    text = name.strip()
    if not text or len(text) > 200 or not any(ch.isalnum() for ch in text):
        return None
    if any(ch in text for ch in "{}$%<>\"'`"):
        return None
    if is_placeholder(text) or text.lower() in _TAG_PLACEHOLDERS:
        return None
    return text


def _file_name(value: str) -> str | None:
    """*value* as a loader's file name, or ``None`` when it obviously is not one."""
    text = value.strip()
    if not text or len(text) > _MAX_VALUE_CHARS or text.lower() in _NOT_FILE_NAMES:
        return None
    if "://" in text or any(ch in text for ch in '\r\n\t<>{}|*?"$'):
        return None
    if not any(ch.isalnum() for ch in text):
        return None
    return text


def _is_weight_file(value: str) -> bool:
    return value.lower().endswith(WEIGHT_EXTENSIONS)


def _custom_kind(key: str) -> Kind:
    low = key.lower()
    adapter = ("lora", "lyco", "hypernetwork", "gligen", "ipadapter", "embedding", "photomaker")
    return Kind.ADAPTER if any(word in low for word in adapter) else Kind.MODEL


# -- the crawler ---------------------------------------------------------------------------


class _Report:
    """Collects the findings of one workflow file."""

    def __init__(self, path: str, text: str, scope: Scope) -> None:
        self.path = path
        self.text = text
        self.lines = LineIndex(text)
        self.scope = scope
        self.findings: list[Finding] = []

    def _check_count(self) -> None:
        if len(self.findings) >= MAX_FINDINGS_PER_FILE:
            raise too_many_references(len(self.findings) + 1)

    def add(
        self,
        kind: Kind,
        ident: str,
        offset: int,
        confidence: float,
        properties: dict[str, str],
        *,
        scope: Scope | None = None,
        ecosystem: str | None = ECOSYSTEM,
    ) -> None:
        self._check_count()
        self.findings.append(
            Finding(
                kind=kind,
                id=ident,
                ecosystem=ecosystem,
                properties=properties,
                evidence=self._evidence(offset, confidence, scope),
            )
        )

    def _evidence(self, offset: int, confidence: float, scope: Scope | None) -> Evidence:
        line, column = self.lines.position(offset)
        return Evidence(
            file=self.path,
            line=line,
            column=column,
            snippet=line_snippet(self.text, offset, column),
            crawler=ComfyUICrawler.name,
            confidence=confidence,
            scope=scope or self.scope,
        )

    def file_value(
        self, token: JStr, kind: Kind, confidence: float, properties: dict[str, str]
    ) -> None:
        """A loader's file-name value; the evidence points at its string in the JSON."""
        name = _file_name(token.value)
        if name is not None:
            self.add(kind, name, token.offset, confidence, properties)

    def prompt_text(
        self, token: JStr, node: str, node_type: str, *, scope: Scope | None = None
    ) -> None:
        """``embedding:NAME`` and ``<lora:NAME:w>`` inside a prompt string."""
        value = token.value
        if len(value) > _MAX_BYTES:
            return
        if "embedding:" in value:
            for m in _EMBEDDING.finditer(value):
                name = tag_name(m.group(1).rstrip(".\\/"))
                if name is not None:
                    props = {"node": node, "node_type": node_type, "syntax": "embedding"}
                    offset = raw_offset(self.text, token, m.start(1))
                    self.add(Kind.ADAPTER, name, offset, EMBEDDING, props, scope=scope)
        if "<lora:" in value:
            for m in LORA_TAG.finditer(value):
                name = tag_name(m.group(2)) if m.group(1) == "lora" else None
                if name is not None:
                    props = {"node": node, "node_type": node_type, "syntax": "lora-tag"}
                    start = m.start(2) + len(m.group(2)) - len(m.group(2).lstrip())
                    offset = raw_offset(self.text, token, start)
                    self.add(Kind.ADAPTER, name, offset, LORA_IN_TEXT, props, scope=scope)

    def civitai(self, token: JStr, props: dict[str, str], scope: Scope | None = None) -> None:
        """CivitAI AIRs and model links in a string (custom CivitAI nodes, notes)."""
        low = token.value.lower()
        if "air:" not in low and "civitai.com/" not in low:
            return
        # Imported here: the prompts crawler imports this module for workflow detection.
        from modelbom.crawlers.prompts import civitai_hits

        for hit in civitai_hits(token.value):
            self._check_count()
            self.findings.append(
                Finding(
                    kind=hit.kind,
                    id=hit.id,
                    revision=hit.revision,
                    ecosystem=hit.ecosystem,
                    properties={**hit.properties, **props},
                    evidence=self._evidence(
                        raw_offset(self.text, token, hit.offset), hit.confidence, scope
                    ),
                )
            )

    def note_text(self, token: JStr, node: str, node_type: str) -> None:
        """What a Note node mentions: weight files, Hub links, prompt syntax; all docs."""
        value = token.value
        if len(value) > _MAX_BYTES:
            return
        props = {"node": node, "node_type": node_type}
        for m in _FILE_IN_TEXT.finditer(value):
            offset = raw_offset(self.text, token, m.start(1))
            self.add(Kind.MODEL, m.group(1), offset, NOTE, props, scope=Scope.DOCS)
        for m in _HF_LINK.finditer(value):
            first, second = m.group(2), m.group(3)
            if not m.group(1) and first.lower() in _HF_NON_REPOS:
                continue
            repo = hub_id(f"{first}/{second}")
            if repo is None:
                continue
            kind = Kind.DATASET if m.group(1) else Kind.MODEL
            offset = raw_offset(self.text, token, m.start())
            self.add(kind, repo, offset, NOTE_LINK, props, scope=Scope.DOCS, ecosystem=None)
        self.prompt_text(token, node, node_type, scope=Scope.DOCS)
        self.civitai(token, props, Scope.DOCS)


def _node_id(value: JValue) -> str:
    if isinstance(value, JStr):
        return value.value
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return ""


def _crawl_inputs(
    report: _Report, node: str, class_type: str, inputs: Iterable[tuple[JStr, JValue]]
) -> None:
    """API-format inputs (or a UI node whose widgets are a keyed object)."""
    loader = _LOADERS.get(class_type)
    custom_allowed = loader is None and "save" not in class_type.lower()
    for key_token, value in inputs:
        if not isinstance(value, JStr):
            continue
        key = key_token.value
        props = {"loader": class_type, "node": node}
        if loader is not None and key in loader.inputs:
            report.file_value(value, loader.kind, LOADER, props)
        elif class_type.startswith("IPAdapter") and key in _IPADAPTER_INPUTS:
            report.file_value(value, Kind.ADAPTER, LOADER, props)
        elif custom_allowed and key.endswith("_name") and _is_weight_file(value.value.strip()):
            report.file_value(value, _custom_kind(key), CUSTOM_LOADER, props)
        else:
            report.prompt_text(value, node, class_type)
            report.civitai(value, {"node": node, "node_type": class_type})


def _crawl_ui_node(report: _Report, node: JObj) -> None:
    type_token = node.get("type")
    if not isinstance(type_token, JStr):
        return
    node_type = type_token.value
    node_id = _node_id(node.get("id"))
    widgets = node.get("widgets_values")
    if isinstance(widgets, JObj):  # some custom nodes keep their widgets by name
        _crawl_inputs(report, node_id, node_type, widgets.pairs)
        return
    if not isinstance(widgets, list):
        return
    if node_type in _NOTE_TYPES:
        for value in widgets:
            if isinstance(value, JStr):
                report.note_text(value, node_id, node_type)
        return
    loader = _LOADERS.get(node_type)
    low = node_type.lower()
    custom_loader = loader is None and "loader" in low and "save" not in low
    props = {"loader": node_type, "node": node_id}
    for index, value in enumerate(widgets):
        if not isinstance(value, JStr):
            continue
        if loader is not None and index in loader.widgets:
            report.file_value(value, loader.kind, LOADER, props)
        elif custom_loader and _is_weight_file(value.value.strip()):
            report.file_value(value, _custom_kind(node_type), CUSTOM_LOADER, props)
        else:
            report.prompt_text(value, node_id, node_type)
            report.civitai(value, {"node": node_id, "node_type": node_type})


class ComfyUICrawler(Crawler):
    """ComfyUI workflow files (``*.json``, API or UI format)."""

    name = "comfyui"
    version = "1"
    max_bytes = _MAX_BYTES

    def wants(self, path: PurePosixPath, size: int) -> bool:
        """Every ``.json`` file up to 16 MiB (workflows are far smaller)."""
        return path.suffix.lower() == ".json" and size <= self.max_bytes

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Report the files a workflow's loader nodes and prompts refer to."""
        if not has_workflow_marker(file.data):
            return []
        text = _decode(file.data)
        root = parse_json_positions(text)
        scope = scope_of_path(file.pure_path)
        if scope is Scope.CODE:
            scope = Scope.CONFIG
        report = _Report(file.path, text, scope)
        graph = _api_graph(root)
        if graph is not None:
            for key, node in graph.pairs:
                if not isinstance(node, JObj):
                    continue
                class_type, inputs = node.get("class_type"), node.get("inputs")
                if isinstance(class_type, JStr) and isinstance(inputs, JObj):
                    _crawl_inputs(report, key.value, class_type.value, inputs.pairs)
        else:
            for ui_node in _ui_nodes(root) or []:
                _crawl_ui_node(report, ui_node)
        return sorted(report.findings, key=Finding.sort_key)
