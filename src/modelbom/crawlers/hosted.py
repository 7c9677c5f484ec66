"""Hosted models: a model used through a provider's API (``gpt-4o``, ``claude-3-5-sonnet``).

Crawlers that see an SDK call or a ``model:`` field pass the provider they inferred and
the string to :func:`hosted_model`, which validates and normalises it. Findings of kind
``hosted-model`` carry the provider as their ``ecosystem``.
"""

from __future__ import annotations

import re

from modelbom.crawlers.ids import is_placeholder

_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-/@]{0,127}$")
# Cross-region inference profiles prefix Bedrock model ids: us.anthropic.claude-...
_BEDROCK_REGION = re.compile(r"^(?:us|eu|apac|us-gov|global|jp|au|ca)\.")
_BEDROCK_ARN = re.compile(
    r"^arn:aws[\w-]*:bedrock:[\w-]*:\d*:(?:foundation-model|inference-profile)/"
)

PROVIDERS = frozenset(
    {
        "openai", "azure-openai", "anthropic", "google", "vertex-ai", "mistral", "cohere",
        "groq", "together", "aws-bedrock", "fireworks", "deepseek", "xai", "perplexity",
        "openrouter",
    }
)  # fmt: skip

# Model-name shapes per provider: a string passed as ``model=`` must look like one of the
# provider's models to be reported without a provider-specific call around it.
_SHAPES: dict[str, re.Pattern[str]] = {
    "openai": re.compile(
        r"^(?:gpt-|o[1-9](?:-|$)|chatgpt-|text-embedding-|dall-e-|whisper-|tts-|"
        r"gpt-image-|omni-moderation|text-moderation|davinci|babbage|codex-|computer-use-)"
    ),
    "anthropic": re.compile(r"^claude-"),
    "google": re.compile(
        r"^(?:models/)?(?:gemini-|gemma-|text-embedding-\d{3}|embedding-|imagen-|veo-)"
    ),
    "mistral": re.compile(
        r"^(?:mistral-|open-mistral-|open-mixtral-|codestral-|pixtral-|ministral-|magistral-|"
        r"devstral-|voxtral-)"
    ),
    "cohere": re.compile(r"^(?:command|embed-|rerank-|c4ai-aya-)"),
    "deepseek": re.compile(r"^deepseek-"),
    "xai": re.compile(r"^grok-"),
}


def has_shapes(provider: str) -> bool:
    """Whether the model-name shapes of *provider* are known."""
    return provider in _SHAPES


def is_known_shape(provider: str, name: str) -> bool:
    """Whether *name* looks like one of *provider*'s model names (when the shape is known)."""
    shape = _SHAPES.get(provider)
    return shape is not None and bool(shape.match(name))


def provider_for_name(name: str) -> str | None:
    """The provider whose model-name shape *name* has, if exactly one matches."""
    matches = [p for p, shape in _SHAPES.items() if shape.match(name)]
    return matches[0] if len(matches) == 1 else None


def hosted_model(provider: str, value: str) -> str | None:
    """The normalised model name for *provider*, or ``None`` if *value* is not one."""
    name = value.strip()
    if provider == "aws-bedrock":
        name = _BEDROCK_ARN.sub("", name)
        name = _BEDROCK_REGION.sub("", name)
    if provider == "google":
        name = name.removeprefix("models/")
    if not _MODEL_NAME.match(name) or "://" in name:
        return None
    if any(is_placeholder(part) for part in re.split(r"[/:]", name) if part):
        return None
    return name
