"""Decide whether a string is a plausible Hugging Face repository id.

Precision matters as much as recall: placeholders (``your-org/your-model``), local paths,
URLs, MIME types, dates and fractions are not references. Crawlers call :func:`hub_id`
on every candidate string they take from a load call.
"""

from __future__ import annotations

import re

_SEGMENT = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._\-]*[A-Za-z0-9])?$")
_NUMERIC = re.compile(r"^[0-9]+(?:[.\-_][0-9]+)*$")
_MAX_ID_LENGTH = 96

_FILE_SUFFIXES = (
    ".bin", ".pt", ".pth", ".ckpt", ".safetensors", ".gguf", ".ggml", ".onnx", ".h5",
    ".keras", ".pkl", ".pickle", ".joblib", ".json", ".jsonl", ".yaml", ".yml", ".toml",
    ".txt", ".csv", ".tsv", ".parquet", ".arrow", ".zip", ".tar", ".gz", ".py", ".md",
    ".model",
)  # fmt: skip

_PLACEHOLDER_SEGMENTS = frozenset(
    {
        "org", "organization", "organisation", "owner", "user", "username", "user-name",
        "user_name", "namespace", "author", "model", "models", "model-name", "model_name",
        "modelname", "model-id", "model_id", "model-repo", "repo", "repo-name", "repo_name",
        "repo-id", "repo_id", "reponame", "name", "dataset", "dataset-name", "dataset_name",
        "dataset-id", "dataset_id", "xxx", "xxxx", "foo", "bar", "baz", "example", "sample",
        "placeholder", "todo", "tbd", "none", "null", "path", "my-model", "my_model",
        "my-org", "my_org", "my-dataset", "my_dataset", "my-adapter", "my-lora", "hf-user",
        "some-model", "some-org", "base-model", "base_model", "checkpoint", "output",
        "outputs",
    }
)  # fmt: skip

_PLACEHOLDER_PREFIXES = ("your", "<", "{", "$", "%")

_MIME_TOP_LEVELS = frozenset(
    {"application", "text", "image", "audio", "video", "multipart", "message", "font"}
)

# Models the Hub served without an organisation before namespaces were required; they
# still resolve (by redirect). Any other single-segment string passed to a model loader
# is far more often a local directory than a Hub id.
_LEGACY_MODEL = re.compile(
    r"^(?:bert|distilbert|roberta|distilroberta|xlm|xlm-roberta|xlnet|t5|albert|camembert"
    r"|gpt2|distilgpt2|openai-gpt|ctrl|transfo-xl|flaubert)(?:[.\-][A-Za-z0-9.\-]+)?$"
)


def is_placeholder(segment: str) -> bool:
    """Whether one segment of an id is a placeholder (``your-org``, ``<model>``, ``xxx``)."""
    low = segment.lower()
    return low in _PLACEHOLDER_SEGMENTS or low.startswith(_PLACEHOLDER_PREFIXES)


def hub_id(value: str, *, allow_single: bool = False) -> str | None:
    """Return *value* as a Hub repository id, or ``None`` when it is not one.

    Two-segment ids (``org/name``) are accepted when both segments are well formed and
    neither is a placeholder. Single-segment ids are accepted when *allow_single* is set
    (dataset loaders, where canonical names such as ``imdb`` are common) or when they
    name a legacy canonical model such as ``gpt2`` or ``bert-base-uncased``.
    """
    text = value.strip()
    if text.startswith("hf-hub:"):
        text = text[len("hf-hub:") :]
    if not text or len(text) > _MAX_ID_LENGTH:
        return None
    if "://" in text or "\\" in text or text.startswith((".", "/", "~")):
        return None
    if text.lower().endswith(_FILE_SUFFIXES):
        return None
    segments = text.split("/")
    if len(segments) > 2:
        return None
    if any(not _SEGMENT.match(s) or "--" in s or ".." in s for s in segments):
        return None
    if any(is_placeholder(s) for s in segments):
        return None
    if all(_NUMERIC.match(s) for s in segments):
        return None  # dates, fractions, versions
    if len(segments) == 2:
        if segments[0].lower() in _MIME_TOP_LEVELS:
            return None
        return text
    if allow_single or _LEGACY_MODEL.match(text):
        return text
    return None
