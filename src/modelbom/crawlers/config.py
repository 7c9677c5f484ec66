"""Config crawler: model, adapter, dataset and hosted-model references in config files.

Training and serving configurations (YAML, JSON/JSONC, TOML, Jsonnet best effort, and
MLflow ``MLmodel`` files) are read into position-aware trees
(:mod:`modelbom.crawlers.structured`) and walked with one table of known keys. Only values
under known keys are references; an arbitrary string in a config is not. Every Hub id
goes through :func:`~modelbom.crawlers.ids.hub_id`, and relative paths whose first
directory is a usual local folder (``data/``, ``checkpoints/`` ...) are not Hub ids.

What is recognised (the key is the last path component, case-sensitive):

- Models: ``base_model``, ``model_name_or_path``, ``pretrained_model_name_or_path``,
  ``tokenizer_name``, ``ref_model``, ``reward_model``, ``sft_model_path`` ... (1.0) and
  the generic ``model``, ``model_name``, ``tokenizer``, ``model_path`` (0.8);
  ``name``/``id``/``repository`` inside a ``model:`` (or ``base_model:``, ``judge:`` ...)
  mapping; lm-eval ``model_args: pretrained=ID,revision=R``.
- Adapters: ``adapter_name_or_path`` (comma-separated), ``lora_model_dir``,
  ``peft_model_id``, ``adapter``/``adapters`` (Hub ids only), vLLM ``lora-modules``.
- Datasets: ``dataset_name`` (+ ``dataset_config``), lm-eval ``dataset_path`` (+
  ``dataset_name`` as its config), ``dataset_id``, ``hf_hub_url`` (LLaMA-Factory
  ``dataset_info.json``), ``dataset``/``train_dataset``/``eval_dataset`` (comma-separated,
  ``org/name`` only), items of ``datasets``/``test_datasets``/``pretraining_dataset``
  lists (``path``, ``id``, torchtune ``source``, ``name``; ``config``/``name``/``subset``
  and ``split`` become properties), alignment-handbook ``dataset_mixture`` and the keys of
  legacy ``dataset_mixer`` mappings.
- Hydra ``_target_`` nodes: ``*.from_pretrained`` / ``transformers.pipeline`` (model, or
  adapter for PEFT classes), ``datasets.load_dataset`` (``path`` or ``_args_[0]``),
  ``sentence_transformers.SentenceTransformer`` (short names are
  ``sentence-transformers/NAME``).
- MLflow ``MLmodel``: ``flavors.transformers.source_model_name`` with
  ``source_model_revision``; ``flavors.openai.model``.
- Serving: vLLM ``model``/``tokenizer``/``lora-modules``, TGI ``model_id``, and model
  environment variables (``MODEL_ID``, ``HF_MODEL_ID`` ...) as keys or as Kubernetes
  ``env: [{name: MODEL_ID, value: ID}]`` lists.
- Hosted models: LiteLLM ``litellm_params.model`` with a provider prefix
  (``openai/``, ``anthropic/``, ``azure/``, ``bedrock/``, ``vertex_ai/`` ...;
  ``huggingface/ORG/NAME`` is a Hub model, ``ollama/NAME`` an Ollama model); promptfoo
  ``providers`` (``openai:gpt-4o-mini``, ``anthropic:messages:claude-...``); and, under
  generic model keys (0.8), names whose shape names exactly one provider
  (``gpt-4o-mini``, ``claude-3-5-sonnet-20241022``), ``provider:name`` strings, Bedrock
  model ids, or a sibling ``provider:`` key.
- ``revision`` (and ``model_revision`` / ``dataset_revision``) next to a reference is
  its revision.

Never references: push and output targets (``hub_model_id``, ``output_dir``), template
and architecture names (``chat_template``, ``template``, ``model_type``), LiteLLM
``model_name`` aliases, torchtune ``_component_`` builders and local checkpoint paths,
placeholders, and anything inside ComfyUI workflow JSON (another crawler's job).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from modelbom.crawlers.base import Crawler, CrawlError, FileInput, scope_of_path
from modelbom.crawlers.hosted import hosted_model, is_known_shape, provider_for_name
from modelbom.crawlers.ids import hub_id
from modelbom.crawlers.lines import LineIndex
from modelbom.crawlers.structured import (
    MAX_DEPTH,
    Map,
    Node,
    Scalar,
    Seq,
    locate,
    read_json,
    read_jsonnet,
    read_toml,
    read_yaml,
)
from modelbom.model import Evidence, Finding, Kind, Scope

SPECIFIC = 1.0  # a Hub id under a key that names what it is
GENERIC = 0.8  # a generic key (``model``), or a hosted model recognised by its shape
INDIRECT = 0.9  # ceiling for a Jsonnet value taken through a local name

_MAX_BYTES = 4 * 1024 * 1024
_SNIPPET_WINDOW = 200

# -- which files --------------------------------------------------------------------------

_YAML_SUFFIXES = frozenset({".yaml", ".yml"})
_JSON_SUFFIXES = frozenset({".json", ".jsonc"})
_JSONNET_SUFFIXES = frozenset({".jsonnet", ".libsonnet"})
_SUFFIXES = _YAML_SUFFIXES | _JSON_SUFFIXES | _JSONNET_SUFFIXES | {".toml"}
_MLMODEL = "MLmodel"

# Files other crawlers own, or that never hold configuration of interest.
_EXCLUDED_NAMES = frozenset(
    {
        "package.json", "package-lock.json", "npm-shrinkwrap.json", "pyproject.toml",
        "poetry.lock", "uv.lock", "config.json", "adapter_config.json",
        "tokenizer_config.json", "generation_config.json", "preprocessor_config.json",
        "model_index.json", "special_tokens_map.json", "tokenizer.json", "vocab.json",
        "added_tokens.json", ".gitlab-ci.yml", ".gitlab-ci.yaml",
        ".pre-commit-config.yaml", ".pre-commit-config.yml", "compose.yaml", "compose.yml",
        "azure-pipelines.yml", "azure-pipelines.yaml",
    }
)  # fmt: skip
_LOCK_STEMS = ("-lock", "_lock", ".lock")

# Bytes one of the known keys contains; a file without any is not parsed.
_PREFILTER = (
    b"model",
    b"MODEL",
    b"providers",
    b"dataset",
    b"adapter",
    b"tokenizer",
    b"hf_hub_url",
    b"_target_",
    b"lora_modules",
    b"lora-modules",
)

# -- the key table ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    """How the value under a key is read."""

    kind: Kind
    confidence: float
    allow_single: bool = False  # single-segment Hub ids (canonical dataset names)
    hosted: bool = False  # provider-shaped names are hosted models
    commas: bool = False  # a comma-separated list of ids


# Environment variables that serving containers read the model from (TGI, vLLM images).
_ENV_MODEL_NAMES = frozenset(
    {"MODEL_ID", "HF_MODEL_ID", "MODEL_NAME", "MODEL", "BASE_MODEL", "MODEL_NAME_OR_PATH"}
)


def _model(confidence: float = SPECIFIC, *, hosted: bool = False) -> _Rule:
    return _Rule(Kind.MODEL, confidence, hosted=hosted)


_RULES: dict[str, _Rule] = {
    # models, Hub ids only
    "base_model": _model(),
    "base_model_name_or_path": _model(),
    "base_model_config": _model(),
    "model_name_or_path": _model(),
    "pretrained_model_name_or_path": _model(),
    "pretrained_model_name": _model(),
    "teacher_model_name_or_path": _model(),
    "tokenizer_name": _model(),
    "tokenizer_name_or_path": _model(),
    "ref_model": _model(),
    "ref_model_name_or_path": _model(),
    "reward_model": _model(),
    "reward_model_path": _model(),
    "reward_model_name_or_path": _model(),
    "sft_model_path": _model(),
    "model_path": _model(GENERIC),  # often a local directory: only Hub ids count
    "tokenizer": _model(GENERIC),
    # models that may also be hosted
    "model": _model(GENERIC, hosted=True),
    "model_name": _model(GENERIC, hosted=True),
    "model_id": _Rule(Kind.MODEL, SPECIFIC, hosted=True),
    "judge_model": _model(GENERIC, hosted=True),
    "embedding_model": _model(GENERIC, hosted=True),
    # environment variables written as keys (env: {MODEL_ID: ...})
    **{env: _model(GENERIC, hosted=True) for env in _ENV_MODEL_NAMES},
    # adapters
    "adapter_name_or_path": _Rule(Kind.ADAPTER, SPECIFIC, commas=True),
    "lora_model_dir": _Rule(Kind.ADAPTER, SPECIFIC),
    "peft_model_id": _Rule(Kind.ADAPTER, SPECIFIC),
    "adapter": _Rule(Kind.ADAPTER, GENERIC),
    "adapters": _Rule(Kind.ADAPTER, GENERIC),
    # datasets
    "dataset_name": _Rule(Kind.DATASET, SPECIFIC, allow_single=True),
    "dataset_id": _Rule(Kind.DATASET, SPECIFIC, allow_single=True),
    "dataset_path": _Rule(Kind.DATASET, SPECIFIC, allow_single=True),
    "dataset_name_or_path": _Rule(Kind.DATASET, SPECIFIC),
    "hf_hub_url": _Rule(Kind.DATASET, SPECIFIC),
    "pretraining_dataset": _Rule(Kind.DATASET, SPECIFIC),
    "dataset": _Rule(Kind.DATASET, GENERIC, commas=True),
    "datasets": _Rule(Kind.DATASET, GENERIC),
    "test_datasets": _Rule(Kind.DATASET, GENERIC),
    "train_dataset": _Rule(Kind.DATASET, GENERIC, commas=True),
    "eval_dataset": _Rule(Kind.DATASET, GENERIC, commas=True),
    "test_dataset": _Rule(Kind.DATASET, GENERIC, commas=True),
}

# Keys whose values are never references (collections under them are still walked:
# a Kubernetes ``template:`` holds a whole pod spec).
_NOT_REFERENCES = frozenset(
    {
        "output_dir", "hub_model_id", "push_to_hub_model_id", "hub_repo", "push_to_hub",
        "hub_strategy", "run_name", "wandb_project", "wandb_entity", "wandb_name",
        "model_type", "chat_template", "template", "architecture", "architectures",
        "served_model_name", "served-model-name", "dataset_dir", "tokenizer_config",
        "output_path", "save_dir", "logging_dir", "_component_", "checkpoint_dir",
    }
)  # fmt: skip

# Mappings under these keys describe one dataset each (``datasets: [{path: ...}]``).
_DATASET_PARENTS = frozenset(
    {
        "datasets", "test_datasets", "eval_datasets", "train_datasets",
        "pretraining_dataset", "dataset", "train_dataset", "eval_dataset", "test_dataset",
    }
)  # fmt: skip
# Which key of such a mapping holds the id, in order of preference, and how sure it is.
_DATASET_ID_KEYS: tuple[tuple[str, _Rule], ...] = (
    ("source", _Rule(Kind.DATASET, SPECIFIC)),  # torchtune
    ("path", _Rule(Kind.DATASET, SPECIFIC)),  # axolotl, load_dataset(path=...)
    ("id", _Rule(Kind.DATASET, SPECIFIC, allow_single=True)),  # alignment-handbook
    ("repo_id", _Rule(Kind.DATASET, SPECIFIC)),
    ("hf_id", _Rule(Kind.DATASET, SPECIFIC)),
    ("name", _Rule(Kind.DATASET, GENERIC)),
)
_DATASET_CONFIG_KEYS = ("config", "config_name", "subset", "name")

# Mappings under these keys describe one model (``model: {name: ID}``).
_MODEL_PARENTS = frozenset(
    {
        "model", "models", "base_model", "tokenizer", "teacher", "teacher_model",
        "student_model", "reward_model", "ref_model", "reference_model", "policy",
        "judge", "judge_model", "llm", "embedding_model", "embedder",
    }
)  # fmt: skip
_MODEL_ITEM_KEYS = frozenset({"name", "id", "name_or_path", "repo_id", "repository", "hf_id"})
_MODEL_ITEM_RULE = _model(GENERIC, hosted=True)

# Single-word dataset names that are loader builders or words, not Hub datasets.
_NOT_DATASETS = frozenset(
    {
        "json", "csv", "parquet", "text", "arrow", "pandas", "sql", "generator", "xml",
        "webdataset", "imagefolder", "audiofolder", "videofolder", "numpy", "jsonl",
        "default", "auto", "none", "train", "test", "validation", "dev", "all", "custom",
        "local", "dummy", "synthetic", "mock",
    }
)  # fmt: skip
# First directories of relative paths that are local folders, not Hub organisations.
_LOCAL_DIRS = frozenset(
    {
        "data", "ckpt", "ckpts", "checkpoint", "checkpoints", "runs", "logs", "tmp",
        "cache", "local", "saves", "saved", "save", "results", "exp", "exps",
        "experiments", "artifacts", "weights", "pretrained", "configs", "scripts",
        "workspace", "mnt", "home", "root", "assets", "resources", "storage", "out",
    }
)  # fmt: skip

# -- hosted models ------------------------------------------------------------------------

# LiteLLM's provider prefixes (``openai/gpt-4o``).
_LITELLM_PROVIDERS = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "azure": "azure-openai",
    "azure_text": "azure-openai",
    "anthropic": "anthropic",
    "bedrock": "aws-bedrock",
    "vertex_ai": "vertex-ai",
    "vertex_ai_beta": "vertex-ai",
    "gemini": "google",
    "mistral": "mistral",
    "codestral": "mistral",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "groq": "groq",
    "together_ai": "together",
    "fireworks_ai": "fireworks",
    "deepseek": "deepseek",
    "xai": "xai",
    "perplexity": "perplexity",
    "openrouter": "openrouter",
}
_LITELLM_HUB = frozenset({"huggingface", "hosted_vllm"})
_LITELLM_OLLAMA = frozenset({"ollama", "ollama_chat"})
# ``provider:model`` and ``provider:type:model`` strings (pydantic-ai, inspect, promptfoo).
_COLON_PROVIDERS = {
    "openai": "openai",
    "azureopenai": "azure-openai",
    "anthropic": "anthropic",
    "google-gla": "google",
    "google-vertex": "vertex-ai",
    "google": "google",
    "vertex": "vertex-ai",
    "groq": "groq",
    "mistral": "mistral",
    "cohere": "cohere",
    "bedrock": "aws-bedrock",
    "deepseek": "deepseek",
    "xai": "xai",
    "openrouter": "openrouter",
    "togetherai": "together",
    "fireworks": "fireworks",
    "perplexity": "perplexity",
}
_COLON_HUB = frozenset({"huggingface", "hf"})
_COLON_TYPES = frozenset(
    {
        "chat", "completion", "messages", "embedding", "embeddings", "assistant",
        "responses", "realtime", "text-generation", "text-classification",
        "feature-extraction", "image",
    }
)  # fmt: skip
# A sibling ``provider:`` key names where ``model:`` is served.
_PROVIDER_NAMES = {
    "openai": "openai",
    "azure": "azure-openai",
    "azure_openai": "azure-openai",
    "azure-openai": "azure-openai",
    "anthropic": "anthropic",
    "google": "google",
    "gemini": "google",
    "vertex": "vertex-ai",
    "vertex_ai": "vertex-ai",
    "vertex-ai": "vertex-ai",
    "vertexai": "vertex-ai",
    "bedrock": "aws-bedrock",
    "aws_bedrock": "aws-bedrock",
    "aws-bedrock": "aws-bedrock",
    "mistral": "mistral",
    "mistralai": "mistral",
    "cohere": "cohere",
    "groq": "groq",
    "together": "together",
    "together_ai": "together",
    "fireworks": "fireworks",
    "deepseek": "deepseek",
    "xai": "xai",
    "perplexity": "perplexity",
    "openrouter": "openrouter",
}
# LiteLLM prefixes that are not also Hub organisations: a value under such a prefix
# that is not a valid hosted name is not a Hub id either.
_NOT_HUB_PREFIXES = frozenset(_LITELLM_PROVIDERS) - {"openai", "groq", "cohere"}
# Providers whose model-name shape hosted.py knows.
_SHAPED_PROVIDERS = frozenset(
    {"openai", "anthropic", "google", "mistral", "cohere", "deepseek", "xai"}
)
# OpenAI embedding models, whose ``text-embedding-`` prefix Google's names share.
_OPENAI_EMBEDDINGS = re.compile(r"^text-embedding-(?:3-small|3-large|ada-002)$")
# openai/... repositories on the Hub whose names also fit OpenAI's API model shapes.
_OPENAI_HUB_MODELS = ("whisper-", "gpt-oss")
_BEDROCK_ID = re.compile(
    r"^(?:(?:us|eu|apac|us-gov|global|jp|au|ca)\.)?"
    r"(?:anthropic|amazon|meta|mistral|cohere|ai21|stability|deepseek|writer|qwen)\."
    r"[a-z0-9][a-z0-9.\-]*(?::\d+)?$"
)


@dataclass(frozen=True, slots=True)
class _Ref:
    """What a value refers to."""

    kind: Kind
    id: str
    ecosystem: str | None = None
    confidence: float | None = None  # overrides the rule's confidence


# Reads one value in a context-specific way (LiteLLM prefixes, vLLM ``name=path`` ...).
_Transform = Callable[[str], _Ref | None]


def _hub(value: str, *, allow_single: bool, dataset: bool) -> str | None:
    """*value* as a Hub id, or None; local folders and builder names are not ids."""
    found = hub_id(value, allow_single=allow_single)
    if found is None:
        return None
    segments = found.split("/")
    if len(segments) == 2 and segments[0].lower() in _LOCAL_DIRS:
        return None
    if dataset and len(segments) == 1 and found.lower() in _NOT_DATASETS:
        return None
    return found


def _shape_provider(name: str) -> str | None:
    """The one provider whose model-name shape *name* has."""
    return "openai" if _OPENAI_EMBEDDINGS.match(name) else provider_for_name(name)


def _prefixed_ref(value: str, *, generic: bool) -> _Ref | None:
    """A LiteLLM-style ``provider/model`` string; ``generic`` is stricter for openai/."""
    prefix, sep, rest = value.partition("/")
    if not sep or not rest:
        return None
    if prefix in _LITELLM_HUB:
        found = _hub(rest, allow_single=False, dataset=False)
        return _Ref(Kind.MODEL, found) if found else None
    if prefix in _LITELLM_OLLAMA:
        name = hosted_model("ollama", rest)
        return _Ref(Kind.MODEL, name, "ollama") if name else None
    provider = _LITELLM_PROVIDERS.get(prefix)
    if provider is None:
        return None
    if provider == "aws-bedrock":
        for mode in ("converse/", "invoke/"):
            rest = rest.removeprefix(mode)
    if generic and provider in _SHAPED_PROVIDERS and not is_known_shape(provider, rest):
        return None  # outside LiteLLM, anthropic/x must at least look like Claude
    if generic and provider == "openai" and rest.startswith(_OPENAI_HUB_MODELS):
        return None  # openai/whisper-large-v3, openai/gpt-oss-20b are Hub models
    name = hosted_model(provider, rest)
    return _Ref(Kind.HOSTED_MODEL, name, provider) if name else None


def _hosted_ref(value: str, provider_hint: str | None) -> _Ref | None:
    """*value* under a generic model key, read as a hosted model if its shape says so.

    The caller gives such findings :data:`GENERIC` confidence whatever the key.
    """
    if provider_hint is not None:
        provider = _PROVIDER_NAMES.get(provider_hint.strip().lower())
        if provider is not None:
            name = hosted_model(provider, value)
            return _Ref(Kind.HOSTED_MODEL, name, provider) if name else None
    if "/" in value:
        return _prefixed_ref(value, generic=True)
    colon = _colon_ref(value)
    if colon is not None:
        return colon
    if _BEDROCK_ID.match(value):
        name = hosted_model("aws-bedrock", value)
        return _Ref(Kind.HOSTED_MODEL, name, "aws-bedrock") if name else None
    provider = _shape_provider(value)
    if provider is not None:
        name = hosted_model(provider, value)
        return _Ref(Kind.HOSTED_MODEL, name, provider) if name else None
    return None


def _colon_ref(value: str) -> _Ref | None:
    """A ``provider:model`` or promptfoo ``provider:type:model`` string."""
    prefix, sep, rest = value.partition(":")
    if not sep or not rest:
        return None
    kind, sep, tail = rest.partition(":")
    if sep and kind in _COLON_TYPES:
        rest = tail
    if prefix in _COLON_HUB:
        found = _hub(rest, allow_single=False, dataset=False)
        return _Ref(Kind.MODEL, found) if found else None
    if prefix == "ollama":
        name = hosted_model("ollama", rest)
        return _Ref(Kind.MODEL, name, "ollama") if name else None
    provider = _COLON_PROVIDERS.get(prefix)
    if provider is None:
        return None
    name = hosted_model(provider, rest)
    return _Ref(Kind.HOSTED_MODEL, name, provider) if name else None


def _litellm_ref(value: str) -> _Ref | None:
    """``litellm_params.model``: a provider prefix is explicit; without one, the shape."""
    if "/" in value:
        ref = _prefixed_ref(value, generic=False)
        return _Ref(ref.kind, ref.id, ref.ecosystem, SPECIFIC) if ref else None
    provider = _shape_provider(value)
    if provider is None:
        return None
    name = hosted_model(provider, value)
    return _Ref(Kind.HOSTED_MODEL, name, provider, GENERIC) if name else None


def _resolve(value: str, rule: _Rule, provider_hint: str | None = None) -> _Ref | None:
    """What *value* under a key with *rule* refers to, if anything."""
    if rule.hosted:
        hosted = _hosted_ref(value, provider_hint)
        if hosted is not None:
            return _Ref(hosted.kind, hosted.id, hosted.ecosystem, GENERIC)
        if provider_hint is not None and _PROVIDER_NAMES.get(provider_hint.lower()):
            return None
        if value.partition("/")[0] in _NOT_HUB_PREFIXES:
            return None  # anthropic/<not a Claude name> is neither hosted nor a Hub id
    found = _hub(value, allow_single=rule.allow_single, dataset=rule.kind is Kind.DATASET)
    return _Ref(rule.kind, found) if found else None


# -- walking ------------------------------------------------------------------------------


def _strings(node: Node) -> list[Scalar]:
    """The string scalars of a value: itself, or the elements of a list."""
    if isinstance(node, Scalar):
        return [node] if node.is_string else []
    if isinstance(node, Seq):
        return [item for item in node.items if isinstance(item, Scalar) and item.is_string]
    return []


def _first_arg(node: Node | None) -> Scalar | None:
    """The first positional argument of a Hydra ``_args_`` list."""
    if isinstance(node, Seq) and node.items:
        first = node.items[0]
        if isinstance(first, Scalar) and first.is_string:
            return first
    return None


_REVISION = re.compile(r"^[A-Za-z0-9][\w.\-/]{0,99}$")


def _scalar_text(node: Node | None) -> str | None:
    if isinstance(node, Scalar) and node.text and not node.indirect:
        return node.text
    return None


class _Walker:
    """Walks the trees of one file and collects its findings."""

    def __init__(self, text: str, path: str, scope: Scope, *, mlmodel: bool) -> None:
        self.text = text
        self.path = path
        self.scope = scope
        self.mlmodel = mlmodel
        self.index = LineIndex(text)
        self.findings: dict[tuple[object, ...], Finding] = {}

    # -- output ---------------------------------------------------------------------------

    def emit(
        self,
        ref: _Ref,
        offset: int,
        confidence: float,
        *,
        revision: str | None = None,
        properties: dict[str, str] | None = None,
        indirect: bool = False,
    ) -> None:
        line, column = self.index.position(offset)
        snippet = self._snippet(offset, column)
        if ref.confidence is not None:
            confidence = ref.confidence
        if indirect:
            confidence = min(confidence, INDIRECT)
        props = dict(sorted((properties or {}).items()))
        key = (ref.kind, ref.id, ref.ecosystem, revision, line, column, tuple(props.items()))
        if key in self.findings:
            return
        self.findings[key] = Finding(
            kind=ref.kind,
            id=ref.id,
            revision=revision,
            ecosystem=ref.ecosystem,
            evidence=Evidence(
                file=self.path,
                line=line,
                column=column,
                snippet=snippet,
                crawler=ConfigCrawler.name,
                confidence=confidence,
                scope=self.scope,
            ),
            properties=props,
        )

    def _snippet(self, offset: int, column: int) -> str:
        """The line of *offset*; on a long (minified) line, a window around the value."""
        start = offset - (column - 1)
        end = self.text.find("\n", offset)
        end = len(self.text) if end < 0 else end
        if end - start > _SNIPPET_WINDOW:
            start = max(start, offset - _SNIPPET_WINDOW // 3)
            end = min(end, start + _SNIPPET_WINDOW)
        return self.text[start:end]

    def report(
        self,
        value: Node,
        rule: _Rule,
        siblings: Map,
        *,
        provider_hint: str | None = None,
        properties: dict[str, str] | None = None,
        transform: _Transform | None = None,
        revision_keys: tuple[str, ...] | None = None,
    ) -> None:
        """Report every reference in *value* (a string, a list, a comma-separated list).

        The revision comes from the first of *revision_keys* among the siblings; by
        default ``revision``/``model_revision`` for models and adapters and
        ``dataset_revision`` for datasets (a bare ``revision`` in a flat training config
        is the model's).
        """
        if revision_keys is None:
            revision_keys = _DEFAULT_REVISION_KEYS[rule.kind]
        revision = _revision_of(siblings, revision_keys)
        for scalar in _strings(value):
            pieces = scalar.text.split(",") if rule.commas else [scalar.text]
            for raw in pieces:
                piece = raw.strip()
                if not piece:
                    continue
                ref = (
                    transform(piece)
                    if transform is not None
                    else _resolve(piece, rule, provider_hint)
                )
                if ref is None:
                    continue
                self.emit(
                    ref,
                    locate(self.text, scalar, piece),
                    rule.confidence,
                    revision=revision if ref.kind is not Kind.HOSTED_MODEL else None,
                    properties=properties,
                    indirect=scalar.indirect,
                )

    # -- the walk -------------------------------------------------------------------------

    def walk(self, node: Node, parent: str | None, path: tuple[str, ...], depth: int) -> None:
        if depth > MAX_DEPTH:
            raise CrawlError(f"config nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, Seq):
            for item in node.items:
                self.walk(item, parent, path, depth + 1)
        elif isinstance(node, Map):
            for key, value in node.entries:
                if key.text not in _NOT_REFERENCES:
                    self.entry(node, parent, path, key, value)
                if isinstance(value, Map | Seq):
                    self.walk(value, key.text, (*path, key.text), depth + 1)

    def entry(
        self, mapping: Map, parent: str | None, path: tuple[str, ...], key: Scalar, value: Node
    ) -> None:
        """Report what the entry *key*: *value* of *mapping* refers to."""
        name = key.text
        if parent == "dataset_mixer":
            if isinstance(value, Scalar) and not value.is_string:
                found = _hub(name, allow_single=True, dataset=True)
                if found:
                    self.emit(_Ref(Kind.DATASET, found), key.offset, SPECIFIC)
            return
        if self.special_entry(mapping, parent, path, name, value):
            return
        rule = _RULES.get(name)
        if rule is None:
            return
        if isinstance(value, Seq) and name in _DATASET_PARENTS:
            self.report(value, rule, mapping)  # plain ids in a list; mappings are walked
            return
        properties: dict[str, str] = {}
        if name == "dataset_name":
            if mapping.get("dataset_path") is not None:
                return  # lm-eval: dataset_name is the config of dataset_path
            config = mapping.text_of("dataset_config") or mapping.text_of("dataset_config_name")
            if config:
                properties["config"] = config
        elif name == "dataset_path":
            config = mapping.text_of("dataset_name")
            if config:
                properties["config"] = config
        elif name == "hf_hub_url":
            properties = _dataset_properties(mapping, ("subset",))
        self.report(
            value,
            rule,
            mapping,
            provider_hint=mapping.text_of("provider") if rule.hosted else None,
            properties=properties,
            revision_keys=_TOKENIZER_REVISION_KEYS if name.startswith("tokenizer") else None,
        )

    def special_entry(
        self, mapping: Map, parent: str | None, path: tuple[str, ...], name: str, value: Node
    ) -> bool:
        """Context rules that take precedence over the key table; True when handled."""
        # LiteLLM: model_list: [{model_name: alias, litellm_params: {model: prefix/name}}]
        if parent == "litellm_params" and name == "model":
            self.report(value, _model(SPECIFIC, hosted=True), mapping, transform=_litellm_ref)
            return True
        if name == "model_name" and mapping.get("litellm_params") is not None:
            return True  # an alias the proxy serves, not a model
        # promptfoo: providers: [openai:gpt-4o-mini, {id: anthropic:messages:claude-...}]
        if name in ("providers", "provider") or (parent == "providers" and name == "id"):
            self.report(value, _model(SPECIFIC), mapping, transform=_colon_ref)
            return True
        # Kubernetes / Helm env lists: env: [{name: MODEL_ID, value: ID}]
        if parent == "env" and name == "value":
            if mapping.text_of("name") in _ENV_MODEL_NAMES:
                self.report(value, _model(GENERIC, hosted=True), mapping)
            return True
        # Hydra _target_ nodes
        target = mapping.text_of("_target_")
        if target and self.hydra_entry(mapping, target, name, value):
            return True
        # MLflow MLmodel flavors
        if self.mlmodel and path == ("flavors", "transformers") and name == "source_model_name":
            revision = mapping.text_of("source_model_revision")
            for scalar in _strings(value):
                found = _hub(scalar.text, allow_single=False, dataset=False)
                if found:
                    offset = locate(self.text, scalar, scalar.text.strip())
                    ref = _Ref(Kind.MODEL, found)
                    self.emit(ref, offset, SPECIFIC, revision=revision)
            return True
        if self.mlmodel and path == ("flavors", "openai") and name == "model":
            self.report(value, _model(SPECIFIC), mapping, transform=_openai_ref)
            return True
        # vLLM --lora-modules as a list of {name, path, base_model_name} or "name=path"
        if parent in ("lora-modules", "lora_modules"):
            if name == "path":
                self.report(value, _Rule(Kind.ADAPTER, SPECIFIC), mapping)
            elif name == "base_model_name":
                self.report(value, _model(), mapping)
            return True
        if name in ("lora-modules", "lora_modules"):
            self.report(value, _Rule(Kind.ADAPTER, SPECIFIC), mapping, transform=_lora_module)
            return True
        # lm-eval: model_args: "pretrained=ID,revision=R" (or a mapping of the same)
        if name == "model_args":
            self.model_args(value)
            return True
        if parent == "model_args" and name in _MODEL_ARGS:
            kind = _MODEL_ARGS[name]
            revision = mapping.text_of("revision") if kind is Kind.MODEL else None
            for scalar in _strings(value):
                found = _hub(scalar.text, allow_single=False, dataset=False)
                if found:
                    offset = locate(self.text, scalar, scalar.text.strip())
                    self.emit(_Ref(kind, found), offset, SPECIFIC, revision=revision)
            return True
        # One dataset per mapping under datasets: / dataset: lists
        if parent in _DATASET_PARENTS:
            id_key = next((k for k, _ in _DATASET_ID_KEYS if mapping.get(k) is not None), None)
            if name == id_key:
                rule = dict(_DATASET_ID_KEYS)[name]
                props = _dataset_properties(mapping, (*_DATASET_CONFIG_KEYS,), skip=name)
                self.report(
                    value,
                    rule,
                    mapping,
                    properties=props,
                    revision_keys=_DATASET_ITEM_REVISION_KEYS,
                )
                return True
            if name in _DATASET_CONFIG_KEYS or name == "split":
                return True
        # One model per mapping under model: / judge: ...
        if parent in _MODEL_PARENTS and name in _MODEL_ITEM_KEYS:
            hint = mapping.text_of("provider")

            def model_item(piece: str) -> _Ref | None:
                # A bare family name (``name: gpt2``, ``name: bert``) here names an
                # architecture more often than the legacy Hub repository.
                if "/" not in piece and "-" not in piece and provider_for_name(piece) is None:
                    return None
                return _resolve(piece, _MODEL_ITEM_RULE, hint)

            self.report(value, _MODEL_ITEM_RULE, mapping, transform=model_item)
            return True
        return False

    def hydra_entry(self, mapping: Map, target: str, name: str, value: Node) -> bool:
        """Hydra/OmegaConf ``_target_`` nodes that load a model or a dataset."""
        first = _first_arg(value) if name == "_args_" else None
        args = Seq(offset=first.offset, items=[first]) if first is not None else None
        if target.endswith(".from_pretrained") or target in _PIPELINE_TARGETS:
            if name not in _HYDRA_MODEL_KEYS and args is None:
                return False
            class_name = target.rsplit(".", 2)[-2] if target.count(".") >= 1 else target
            kind = Kind.ADAPTER if "Peft" in class_name else Kind.MODEL
            self.report(args or value, _Rule(kind, SPECIFIC), mapping)
            return True
        if target.endswith("load_dataset"):
            if name != "path" and args is None:
                return name in ("name", "split")
            props = _dataset_properties(mapping, ("name",))
            rule = _Rule(Kind.DATASET, SPECIFIC, allow_single=True)
            self.report(
                args or value,
                rule,
                mapping,
                properties=props,
                revision_keys=_DATASET_ITEM_REVISION_KEYS,
            )
            return True
        if target.endswith("SentenceTransformer"):
            if name not in ("model_name_or_path", "model_name") and args is None:
                return False
            self.report(args or value, _model(), mapping, transform=_sentence_transformer)
            return True
        return False

    def model_args(self, value: Node) -> None:
        """lm-eval ``model_args`` as a ``key=value,key=value`` string."""
        for scalar in _strings(value):
            pairs: dict[str, str] = {}
            for part in scalar.text.split(","):
                key, sep, val = part.partition("=")
                if sep:
                    pairs[key.strip()] = val.strip()
            revision = pairs.get("revision") or None
            for key, kind in _MODEL_ARGS.items():
                arg = pairs.get(key)
                found = _hub(arg, allow_single=False, dataset=False) if arg else None
                if arg and found:
                    at = -1
                    if not scalar.indirect:
                        at = self.text.find(f"{key}={arg}", scalar.offset, scalar.end)
                    offset = at + len(key) + 1 if at >= 0 else scalar.offset
                    rev = revision if kind is Kind.MODEL else None
                    self.emit(_Ref(kind, found), offset, SPECIFIC, revision=rev)


_HYDRA_MODEL_KEYS = frozenset(
    {"pretrained_model_name_or_path", "model_name_or_path", "model", "model_id"}
)
_PIPELINE_TARGETS = frozenset({"transformers.pipeline", "transformers.pipelines.pipeline"})
_MODEL_ARGS = {"pretrained": Kind.MODEL, "tokenizer": Kind.MODEL, "peft": Kind.ADAPTER}


def _openai_ref(value: str) -> _Ref | None:
    if not is_known_shape("openai", value):
        return None
    name = hosted_model("openai", value)
    return _Ref(Kind.HOSTED_MODEL, name, "openai") if name else None


def _sentence_transformer(value: str) -> _Ref | None:
    found = _hub(value, allow_single=True, dataset=False)
    if found is None:
        return None
    if "/" not in found:
        found = f"sentence-transformers/{found}"
    return _Ref(Kind.MODEL, found)


def _lora_module(value: str) -> _Ref | None:
    """A vLLM ``name=path`` LoRA module; the path counts when it is a Hub id."""
    _, sep, target = value.partition("=")
    found = _hub(target if sep else value, allow_single=False, dataset=False)
    return _Ref(Kind.ADAPTER, found) if found else None


_DEFAULT_REVISION_KEYS: dict[Kind, tuple[str, ...]] = {
    Kind.MODEL: ("revision", "model_revision"),
    Kind.ADAPTER: ("revision", "model_revision"),
    Kind.DATASET: ("dataset_revision",),
    Kind.HOSTED_MODEL: (),
    Kind.MODEL_FILE: (),
    Kind.LIBRARY: (),
}
_TOKENIZER_REVISION_KEYS = ("tokenizer_revision", "tokenizer-revision")
_DATASET_ITEM_REVISION_KEYS = ("revision", "dataset_revision")


def _revision_of(mapping: Map, keys: tuple[str, ...]) -> str | None:
    """The revision named by the first of *keys* present in *mapping*."""
    for key in keys:
        text = _scalar_text(mapping.get(key))
        if text and _REVISION.match(text):
            return text
    return None


def _dataset_properties(
    mapping: Map, config_keys: tuple[str, ...], skip: str = ""
) -> dict[str, str]:
    """``config`` and ``split`` of a dataset entry, from the first key that has one."""
    props: dict[str, str] = {}
    for key in config_keys:
        if key == skip:
            continue
        text = _scalar_text(mapping.get(key))
        if text:
            props["config"] = text
            break
    split = _scalar_text(mapping.get("split"))
    if split:
        props["split"] = split
    return props


def _is_comfyui_workflow(node: Node) -> bool:
    """A ComfyUI workflow: UI format (``nodes`` with ``type``) or API (``class_type``)."""
    if not isinstance(node, Map) or not node.entries:
        return False
    nodes = node.get("nodes")
    if isinstance(nodes, Seq) and any(
        isinstance(n, Map) and n.get("type") is not None for n in nodes.items
    ):
        return True
    return all(isinstance(v, Map) and v.get("class_type") is not None for _, v in node.entries)


# -- the crawler --------------------------------------------------------------------------


def _excluded(path: PurePosixPath) -> bool:
    name = path.name
    lower = name.lower()
    parts = path.parts[:-1]
    if lower in _EXCLUDED_NAMES or ".vscode" in parts:
        return True
    if parts[-1:] == (".circleci",):
        return True  # CI files: the shell crawler reads their scripts
    if any(a == ".github" and b == "workflows" for a, b in itertools.pairwise(parts)):
        return True
    if lower.startswith(("docker-compose", "tsconfig")):
        return True
    stem = lower.rsplit(".", 1)[0]
    return stem.endswith(_LOCK_STEMS)


def read_trees(text: str, path: PurePosixPath) -> list[Node]:
    """Parse *text* by the format *path* names; raises :class:`CrawlError` on bad input."""
    suffix = path.suffix.lower()
    if path.name == _MLMODEL or suffix in _YAML_SUFFIXES:
        return read_yaml(text)
    if suffix == ".toml":
        return [read_toml(text)]
    if suffix in _JSONNET_SUFFIXES:
        return [read_jsonnet(text)]
    if suffix == ".jsonc":
        return [read_json(text, comments=True)]
    try:
        return [read_json(text)]
    except CrawlError:
        if "//" not in text and "/*" not in text:
            raise
        return [read_json(text, comments=True)]  # JSON with comments named .json


def findings_from_text(text: str, path: str, *, scope: Scope = Scope.CONFIG) -> list[Finding]:
    """Parse one config file's text and return its findings, sorted."""
    pure = PurePosixPath(path)
    trees = read_trees(text, pure)
    if pure.suffix.lower() in _JSON_SUFFIXES and trees and _is_comfyui_workflow(trees[0]):
        return []
    walker = _Walker(text, path, scope, mlmodel=pure.name == _MLMODEL)
    try:
        for tree in trees:
            walker.walk(tree, None, (), 0)
    except RecursionError:
        raise CrawlError("config nested too deeply") from None
    return sorted(walker.findings.values(), key=Finding.sort_key)


class ConfigCrawler(Crawler):
    """Training and serving configuration files: YAML, JSON, TOML, Jsonnet, MLmodel."""

    name = "config"
    version = "1"
    max_bytes = _MAX_BYTES

    def wants(self, path: PurePosixPath, size: int) -> bool:
        """Config files by suffix (and ``MLmodel``), except those other crawlers own."""
        if path.name == _MLMODEL:
            return True
        return path.suffix.lower() in _SUFFIXES and not _excluded(path)

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Parse the file and report the references under known keys."""
        if not any(marker in file.data for marker in _PREFILTER):
            return []
        try:
            text = file.data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CrawlError("not valid UTF-8") from None
        scope = scope_of_path(file.pure_path)
        if scope is Scope.CODE:
            scope = Scope.CONFIG
        return findings_from_text(text, file.path, scope=scope)
