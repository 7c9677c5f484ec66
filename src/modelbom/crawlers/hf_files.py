"""Hugging Face files crawler: configs and model cards of model folders in the repository.

Reads whole small files (at most 1 MiB) that describe a model folder vendored into the
repository, and reports the folder as a ``model-file`` plus the Hub models and datasets
its metadata names:

* ``adapter_config.json`` (PEFT): the adapter folder is a ``model-file`` with
  ``format: peft-adapter``, ``peft_type``, ``task_type``, ``base_model`` (the raw value,
  also when it is a local path) and ``kind_hint: adapter``. Decision: the committed
  folder is a *file* artifact, not a Hub adapter, so its kind stays ``model-file`` and
  the hint says what it is. A Hub id in ``base_model_name_or_path`` becomes a ``model``
  finding with ``relation: base-of-adapter`` and ``adapter: <folder>``. AdapterHub's
  ``adapter_config.json`` (``model_name`` + ``config``) is read the same way
  (``format: adapterhub-adapter``).
* ``config.json`` of a transformers model (``architectures``, or ``model_type`` next to
  typical keys such as ``hidden_size``, or ``auto_map``): ``format:
  transformers-config``, ``architectures`` (comma-joined), ``model_type``, and a
  ``risk`` when ``auto_map`` makes loading run code from the repository. A Hub id in
  ``_name_or_path`` is a ``model`` with ``relation: source``. A diffusers component
  config (``_class_name`` + ``_diffusers_version``) is a ``diffusers-config``. Any other
  ``config.json`` belongs to some other tool and gives nothing.
* ``model_index.json`` (diffusers pipeline): ``format: diffusers-pipeline``,
  ``class_name``, ``diffusers_version``; ``_name_or_path`` as above.
* ``README.md`` model cards: YAML front matter (composed with PyYAML's ``SafeLoader``,
  never constructed; any ``!!python/...`` or unknown tag is rejected with nothing run)
  that has a model-card key (``license``, ``base_model``, ``datasets``,
  ``library_name``, ``pipeline_tag``, ``model-index``; ``tags`` only next to another
  card key, because static-site pages use it too). ``base_model`` -> ``model`` findings
  (``relation`` from ``base_model_relation``, else ``adapter`` on a ``library_name: peft``
  card, else ``base``; ``card``: the README's path), ``datasets`` ->
  ``dataset`` findings, and the card itself -> ``model-file`` ``format: model-card``
  with ``license``, ``license_name``, ``license_link`` (and ``kind_hint: adapter`` on a
  PEFT card). Decision: every README with card
  front matter is reported, whether or not weights sit next to it (the directory
  listing is not needed); dataset cards report their references but not a
  ``model-file``.

A folder's id is its POSIX path relative to the scanned root, or the file's own path
when the file sits at the root. Config files inside a diffusers pipeline component
folder (``unet/``, ``text_encoder/``, ...) next to a ``model_index.json`` are part of that
pipeline and are not reported separately; that needs every path, so those findings are
held back until :meth:`HfFilesCrawler.finish`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import yaml

from modelbom.crawlers.base import Crawler, CrawlError, FileInput, scope_of_path
from modelbom.crawlers.headers import MIB, clip
from modelbom.crawlers.ids import hub_id
from modelbom.crawlers.lines import LineIndex
from modelbom.crawlers.structured import flow_nesting_exceeds
from modelbom.model import Evidence, Finding, Kind, Scope

REMOTE_CODE_RISK = "requires remote code (auto_map): loading executes code from the repository"

LITERAL = 1.0
SOURCE = 0.9  # _name_or_path records where a config was loaded from when it was saved

_JSON_NAMES = frozenset({"adapter_config.json", "config.json", "model_index.json"})
_CARD_KEYS = frozenset(
    {"license", "base_model", "datasets", "library_name", "pipeline_tag", "model-index"}
)
_CARD_COMPANIONS = frozenset(
    {
        "language", "metrics", "widget", "inference", "thumbnail", "co2_eq_emissions",
        "new_version", "base_model_relation", "license_name", "license_link",
    }
)  # fmt: skip
_MODEL_CARD_ONLY = frozenset(
    {"base_model", "library_name", "pipeline_tag", "model-index", "base_model_relation"}
)
_DATASET_CARD_KEYS = frozenset(
    {
        "dataset_info", "task_categories", "size_categories", "configs", "source_datasets",
        "annotations_creators", "language_creators", "multilinguality", "task_ids",
    }
)  # fmt: skip
_BASE_RELATIONS = frozenset({"adapter", "merge", "quantized", "finetune"})
_TRANSFORMERS_KEYS = (
    "transformers_version", "hidden_size", "vocab_size", "num_hidden_layers",
    "num_attention_heads", "torch_dtype", "d_model", "n_embd", "n_layer",
    "max_position_embeddings", "intermediate_size", "id2label",
)  # fmt: skip
_CLASS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_DIFFUSERS_COMPONENT_DIRS = frozenset(
    {
        "unet", "vae", "text_encoder", "text_encoder_2", "text_encoder_3", "transformer",
        "safety_checker", "image_encoder", "prior", "decoder", "movq", "vqvae", "controlnet",
        "feature_extractor", "tokenizer", "tokenizer_2", "tokenizer_3", "scheduler",
    }
)  # fmt: skip
_FRONT_MATTER = re.compile(
    r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(?:\r\n|\n|$))"
)
_SAFE_TAG_PREFIX = "tag:yaml.org,2002:"
_SAFE_TAGS = frozenset(
    {
        "str", "int", "float", "bool", "null", "timestamp", "binary", "seq", "map", "set",
        "omap", "pairs", "merge", "value",
    }
)  # fmt: skip
_MAX_YAML_NODES = 100_000
_MAX_FLOW_DEPTH = 100  # card metadata nests a few levels; the YAML scanner slows with depth
_MAX_LIST = 256


def folder_id(path: PurePosixPath) -> str:
    """The id of the folder holding *path*: its relative path, or the file at the root."""
    parent = path.parent.as_posix()
    return path.as_posix() if parent in ("", ".") else parent


@dataclass(slots=True)
class _Context:
    """One file being crawled: its text, line index and the findings made so far."""

    file: FileInput
    text: str
    crawler: str
    scope: Scope
    findings: list[Finding] = field(default_factory=list)
    _index: LineIndex | None = None

    @property
    def index(self) -> LineIndex:
        if self._index is None:
            self._index = LineIndex(self.text)
        return self._index

    def add(
        self,
        kind: Kind,
        ident: str,
        position: tuple[int, int],
        properties: dict[str, str],
        *,
        confidence: float = LITERAL,
        revision: str | None = None,
    ) -> None:
        line, column = position
        self.findings.append(
            Finding(
                kind=kind,
                id=ident,
                revision=revision,
                properties=properties,
                evidence=Evidence(
                    file=self.file.path,
                    line=line,
                    column=column,
                    snippet=self.index.line_text(line).rstrip("\r"),
                    crawler=self.crawler,
                    confidence=confidence,
                    scope=self.scope,
                ),
            )
        )

    def json_position(self, key: str, value: str | None = None) -> tuple[int, int]:
        """Line and column of the value of *key* (the first one equal to *value*)."""
        offset = _json_value_offset(self.text, key, value)
        return self.index.position(offset) if offset is not None else (1, 1)


def _json_value_offset(text: str, key: str, value: str | None) -> int | None:
    pattern = re.compile(r'"' + re.escape(key) + r'"\s*:\s*')
    encodings = () if value is None else (json.dumps(value), json.dumps(value, ensure_ascii=False))
    for match in pattern.finditer(text):
        if value is None or any(text.startswith(enc, match.end()) for enc in encodings):
            return match.end()
    return None


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CrawlError(f"{what} is not valid UTF-8 (byte {exc.start})") from exc


def _load_json(text: str) -> object:
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise CrawlError("JSON nested too deeply") from exc
    except MemoryError as exc:
        raise CrawlError("JSON too large to parse") from exc
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError):
            raise CrawlError(f"invalid JSON: {exc.msg} (line {exc.lineno})") from exc
        raise CrawlError(f"invalid JSON: {clip(str(exc), 120)}") from exc


def _text(value: object) -> str | None:
    return clip(value) if isinstance(value, str) and value.strip() else None


class HfFilesCrawler(Crawler):
    """``adapter_config.json``, ``config.json``, ``model_index.json`` and model cards."""

    name = "hf-files"
    version = "1"
    max_bytes = MIB

    def wants(self, path: PurePosixPath, size: int) -> bool:
        """Model folder metadata by name; READMEs only up to the 1 MiB card cap."""
        if path.name in _JSON_NAMES:
            return True
        return path.name.lower() == "readme.md" and size <= self.max_bytes

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Parse one metadata file; configs in pipeline components wait for :meth:`finish`.

        Notes: ``{"pipeline": folder}`` for a ``model_index.json``; ``{"held": folder,
        "findings": [...]}`` for a component config that belongs to the pipeline in
        *folder*, if that folder turns out to hold one.
        """
        path = file.pure_path
        scope = scope_of_path(path)
        scope = Scope.CONFIG if scope is Scope.CODE else scope
        if path.name == "model_index.json":
            self.note(file.path, {"pipeline": path.parent.as_posix()})
            findings = _model_index(file, self.name, scope)
        elif path.name == "config.json":
            findings = _config(file, self.name, scope)
            if findings and path.parent.name in _DIFFUSERS_COMPONENT_DIRS:
                held = [f.model_dump(mode="json") for f in findings]
                self.note(file.path, {"held": path.parent.parent.as_posix(), "findings": held})
                return []
        elif path.name == "adapter_config.json":
            findings = _adapter_config(file, self.name, scope)
        else:
            findings = _model_card(file, self.name, scope)
        return sorted(findings, key=Finding.sort_key)

    def finish(self) -> Iterable[Finding]:
        """Component configs that turned out not to belong to a diffusers pipeline."""
        notes = self.notes()
        pipelines = {note["pipeline"] for _, note in notes if "pipeline" in note}
        out: list[Finding] = []
        for _, note in notes:
            if "held" in note and note["held"] not in pipelines:
                out.extend(Finding.model_validate(f) for f in note["findings"])
        return sorted(out, key=Finding.sort_key)


# ---------------------------------------------------------------------------- JSON files


def _adapter_config(file: FileInput, crawler: str, scope: Scope) -> list[Finding]:
    data = file.data
    if b"peft_type" not in data and b"base_model_name_or_path" not in data:
        if b'"model_name"' in data and b'"config"' in data:
            return _adapterhub_config(file, crawler, scope)
        return []
    ctx = _Context(file, _decode(data, "adapter_config.json"), crawler, scope)
    document = _load_json(ctx.text)
    if not isinstance(document, dict):
        raise CrawlError("adapter_config.json is not a JSON object")
    folder = folder_id(file.pure_path)
    props = {"format": "peft-adapter", "kind_hint": "adapter"}
    for key, prop in (("peft_type", "peft_type"), ("task_type", "task_type")):
        text = _text(document.get(key))
        if text is not None:
            props[prop] = text
    base = _text(document.get("base_model_name_or_path"))
    if base is not None:
        props["base_model"] = base
    anchor = "peft_type" if "peft_type" in props else "base_model_name_or_path"
    ctx.add(Kind.MODEL_FILE, folder, ctx.json_position(anchor), props)
    repo = hub_id(base) if base is not None else None
    if repo is not None and base is not None:
        revision = _text(document.get("revision"))
        ctx.add(
            Kind.MODEL,
            repo,
            ctx.json_position("base_model_name_or_path", base),
            {"relation": "base-of-adapter", "adapter": folder},
            revision=revision,
        )
    return ctx.findings


def _adapterhub_config(file: FileInput, crawler: str, scope: Scope) -> list[Finding]:
    ctx = _Context(file, _decode(file.data, "adapter_config.json"), crawler, scope)
    document = _load_json(ctx.text)
    if not isinstance(document, dict) or not isinstance(document.get("config"), dict):
        return []
    base = _text(document.get("model_name"))
    if base is None:
        return []
    folder = folder_id(file.pure_path)
    props = {"format": "adapterhub-adapter", "kind_hint": "adapter", "base_model": base}
    ctx.add(Kind.MODEL_FILE, folder, ctx.json_position("config"), props)
    repo = hub_id(base)
    if repo is not None:
        ctx.add(
            Kind.MODEL,
            repo,
            ctx.json_position("model_name", base),
            {"relation": "base-of-adapter", "adapter": folder},
        )
    return ctx.findings


def _is_transformers_config(document: dict[str, object]) -> bool:
    architectures = document.get("architectures")
    if (
        isinstance(architectures, list)
        and architectures
        and all(isinstance(a, str) and _CLASS_NAME.match(a) for a in architectures)
    ):
        return True
    if isinstance(document.get("auto_map"), dict):
        return True
    model_type = document.get("model_type")
    return (
        isinstance(model_type, str)
        and _CLASS_NAME.match(model_type) is not None
        and any(key in document for key in _TRANSFORMERS_KEYS)
    )


def _config(file: FileInput, crawler: str, scope: Scope) -> list[Finding]:
    data = file.data
    markers = (b'"architectures"', b'"model_type"', b'"auto_map"', b'"_diffusers_version"')
    if not any(marker in data for marker in markers):
        return []  # some other tool's config.json
    ctx = _Context(file, _decode(data, "config.json"), crawler, scope)
    document = _load_json(ctx.text)
    if not isinstance(document, dict):
        return []
    folder = folder_id(file.pure_path)
    class_name = _text(document.get("_class_name"))
    if class_name is not None and "_diffusers_version" in document:
        props = {"format": "diffusers-config", "class_name": class_name}
        version = _text(document.get("_diffusers_version"))
        if version is not None:
            props["diffusers_version"] = version
        ctx.add(Kind.MODEL_FILE, folder, ctx.json_position("_class_name"), props)
    elif _is_transformers_config(document):
        props = {"format": "transformers-config"}
        architectures = document.get("architectures")
        if isinstance(architectures, list):
            names = [a for a in architectures if isinstance(a, str)][:16]
            if names:
                props["architectures"] = clip(",".join(names))
        model_type = _text(document.get("model_type"))
        if model_type is not None:
            props["model_type"] = model_type
        if isinstance(document.get("auto_map"), dict):
            props["risk"] = REMOTE_CODE_RISK
        anchor = next((k for k in ("architectures", "model_type", "auto_map") if k in document), "")
        ctx.add(Kind.MODEL_FILE, folder, ctx.json_position(anchor), props)
    else:
        return []
    _name_or_path(ctx, document)
    return ctx.findings


def _model_index(file: FileInput, crawler: str, scope: Scope) -> list[Finding]:
    if b'"_class_name"' not in file.data:
        return []
    ctx = _Context(file, _decode(file.data, "model_index.json"), crawler, scope)
    document = _load_json(ctx.text)
    if not isinstance(document, dict):
        raise CrawlError("model_index.json is not a JSON object")
    class_name = _text(document.get("_class_name"))
    if class_name is None:
        return []
    props = {"format": "diffusers-pipeline", "class_name": class_name}
    version = _text(document.get("_diffusers_version"))
    if version is not None:
        props["diffusers_version"] = version
    ctx.add(
        Kind.MODEL_FILE,
        folder_id(file.pure_path),
        ctx.json_position("_class_name", class_name),
        props,
    )
    _name_or_path(ctx, document)
    return ctx.findings


def _name_or_path(ctx: _Context, document: dict[str, object]) -> None:
    value = _text(document.get("_name_or_path"))
    repo = hub_id(value) if value is not None else None
    if repo is not None and value is not None:
        ctx.add(
            Kind.MODEL,
            repo,
            ctx.json_position("_name_or_path", value),
            {"relation": "source"},
            confidence=SOURCE,
        )


# ---------------------------------------------------------------------------- model cards


def _front_matter(data: bytes) -> tuple[str, str, int] | None:
    """(whole text, YAML block, offset of the block) of a README, or None without one."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if body.lstrip()[:3] != b"---":
        return None
    text = _decode(data, "README.md")
    match = _FRONT_MATTER.match(text)
    if match is None:
        return None
    return text, match.group(2), match.start(2)


def _compose(block: str, first_line: int) -> yaml.Node | None:
    """Compose (never construct) the YAML block whose first line is *first_line*."""
    if flow_nesting_exceeds(block, _MAX_FLOW_DEPTH):
        raise CrawlError("model card YAML nested too deeply")
    try:
        return yaml.compose(block, Loader=yaml.SafeLoader)
    except RecursionError as exc:
        raise CrawlError("model card YAML nested too deeply") from exc
    except MemoryError as exc:
        raise CrawlError("model card YAML too large to parse") from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {first_line + mark.line})" if mark is not None else ""
        raise CrawlError(f"invalid model card YAML: {exc.problem or 'parse error'}{where}") from exc
    except (yaml.YAMLError, ValueError) as exc:
        raise CrawlError(f"invalid model card YAML: {clip(str(exc), 120)}") from exc


def _check_tags(root: yaml.Node) -> None:
    """Reject any tag ``yaml.safe_load`` would refuse; count nodes through aliases once."""
    seen: set[int] = set()
    stack: list[yaml.Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > _MAX_YAML_NODES:
            raise CrawlError(f"model card YAML has more than {_MAX_YAML_NODES:,} nodes")
        tag = node.tag or ""
        if not (tag.startswith(_SAFE_TAG_PREFIX) and tag[len(_SAFE_TAG_PREFIX) :] in _SAFE_TAGS):
            shown = clip(tag.replace(_SAFE_TAG_PREFIX, "!!"), 80)
            if shown.startswith("!!python"):
                raise CrawlError(f"unsafe YAML tag {shown} in model card (not executed)")
            raise CrawlError(f"unsupported YAML tag {shown} in model card")
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)


def _field(fields: dict[str, yaml.Node], key: str) -> list[yaml.ScalarNode]:
    """The non-null scalar(s) of the ``str | list[str]`` field *key*, if present."""
    return _scalars(fields[key]) if key in fields else []


def _scalars(node: yaml.Node) -> list[yaml.ScalarNode]:
    """The non-null scalar(s) of a ``str | list[str]`` value."""
    items = node.value[:_MAX_LIST] if isinstance(node, yaml.SequenceNode) else [node]
    return [
        item
        for item in items
        if isinstance(item, yaml.ScalarNode)
        and item.tag != _SAFE_TAG_PREFIX + "null"
        and str(item.value).strip()
    ]


def _model_card(file: FileInput, crawler: str, scope: Scope) -> list[Finding]:
    found = _front_matter(file.data)
    if found is None:
        return []
    text, block, block_offset = found
    first_line = text.count("\n", 0, block_offset) + 1
    root = _compose(block, first_line)
    if root is None:
        return []
    _check_tags(root)
    if not isinstance(root, yaml.MappingNode):
        raise CrawlError("model card front matter is not a mapping")
    fields: dict[str, yaml.Node] = {}
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode):
            fields[str(key.value)] = value  # duplicate keys: the last wins, like safe_load
    keys = set(fields)
    if not keys & _CARD_KEYS and not ("tags" in keys and keys & _CARD_COMPANIONS):
        return []
    ctx = _Context(file, text, crawler, scope)

    def position(node: yaml.Node) -> tuple[int, int]:
        return first_line + node.start_mark.line, node.start_mark.column + 1

    path = file.path
    library = [str(n.value).strip().lower() for n in _field(fields, "library_name")]
    peft = library[:1] == ["peft"]
    relations = [str(n.value).strip() for n in _field(fields, "base_model_relation")]
    relation = relations[0] if relations and relations[0] in _BASE_RELATIONS else "base"
    if not relations and peft:
        relation = "adapter"  # what the Hub infers for a PEFT card without the key
    for node in _field(fields, "base_model"):
        repo = hub_id(str(node.value))
        if repo is not None:
            ctx.add(Kind.MODEL, repo, position(node), {"relation": relation, "card": path})
    for node in _field(fields, "datasets"):
        repo = hub_id(str(node.value), allow_single=True)
        if repo is not None:
            ctx.add(Kind.DATASET, repo, position(node), {"card": path})
    dataset_card = not keys & _MODEL_CARD_ONLY and bool(keys & _DATASET_CARD_KEYS)
    if not dataset_card:
        props = {"format": "model-card"}
        for key in ("license", "license_name", "license_link"):
            values = [str(n.value).strip() for n in _field(fields, key)]
            if values:
                props[key] = clip(", ".join(values))
        anchor: yaml.Node = fields.get("license") or root.value[0][0]
        if peft:
            props["kind_hint"] = "adapter"
        ctx.add(Kind.MODEL_FILE, folder_id(file.pure_path), position(anchor), props)
    return ctx.findings
