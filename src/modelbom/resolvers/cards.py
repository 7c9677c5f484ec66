"""Hardened parsing of model and dataset card metadata (the YAML front matter of README.md).

A card is untrusted text: a vendored README in the scanned repository, a file in the
local Hugging Face cache, or a README downloaded from the Hub. :func:`parse_front_matter`
therefore

- looks for the block only at the start of the text (a UTF-8 byte order mark, leading
  blank lines and CRLF line ends are accepted) and only within the first *max_bytes*;
- refuses a block larger than *max_bytes*, or nesting more than
  :data:`MAX_FLOW_DEPTH` flow collections, before any YAML is parsed (PyYAML's scanner
  slows down quadratically with that depth);
- composes the block with PyYAML's ``SafeLoader`` and counts the nodes, following
  aliases, before constructing anything: an alias bomb or a self-referencing document
  fails after :data:`MAX_NODES` node visits instead of expanding;
- refuses ``!!python/...`` tags ("unsafe YAML tag") and constructs only the standard
  safe types (the same constructor as ``yaml.safe_load``);
- turns every failure (syntax errors, unknown tags, nesting deep enough to exhaust the
  stack, a block that is not a mapping) into :class:`CardError`.

The result is :class:`CardData`, the handful of fields modelbom uses. YAML 1.1 typing has
already happened by then: ``license: no`` loads as the boolean false and
``license: 2024-01-01`` as a date, and the text as written cannot be recovered. Such
scalars are kept in their string form: booleans become ``"true"``/``"false"``, dates
their ISO form, numbers ``str(number)``. Values of the wrong shape (a mapping where a
list of ids is expected) are dropped rather than failing the card, as the Hub does.

:meth:`CardData.from_mapping` applies the same field rules to metadata that is already
parsed, such as the ``cardData`` object of the Hub API.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from modelbom.crawlers.structured import flow_nesting_exceeds
from modelbom.errors import ModelbomError
from modelbom.model.text import display_text

MAX_CARD_BYTES = 1024 * 1024
"""Default cap on the size of a front-matter block (1 MiB)."""

MAX_NODES = 10_000
"""Cap on YAML node visits (aliases counted each time they are used)."""

MAX_FLOW_DEPTH = 100
"""Cap on nested flow collections (``[``/``{``), checked before the YAML scanner runs."""

_PYTHON_TAG_PREFIX = "tag:yaml.org,2002:python/"
_OPENING = re.compile(r"\A(?:[ \t]*(?:\r\n|\r|\n))*---[ \t]*(?:\r\n|\r|\n)")
_CLOSING = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)
_MAX_TEXT = 2000  # longest string kept from a card field


class CardError(ModelbomError):
    """A card's metadata block could not be read safely; ``str(error)`` says why."""


class CardData(BaseModel):
    """The card metadata modelbom uses, normalised.

    Lists are always lists (a single ``base_model: org/x`` becomes ``["org/x"]``);
    ``license`` keeps its shape (one string, or a list of strings when the card lists
    several). Non-string scalars are in their string form (see the module docstring).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    license: str | list[str] | None = None
    license_name: str | None = None
    license_link: str | None = None
    base_model: list[str] = Field(default_factory=list)
    base_model_relation: str | None = None
    datasets: list[str] = Field(default_factory=list)
    pipeline_tag: str | None = None
    library_name: str | None = None
    tags: list[str] = Field(default_factory=list)
    extra_gated: bool = Field(
        default=False, description="The card has extra_gated_* keys (an access form)."
    )

    @property
    def licenses(self) -> list[str]:
        """``license`` as a list (empty when absent)."""
        if self.license is None:
            return []
        return [self.license] if isinstance(self.license, str) else list(self.license)

    @classmethod
    def from_mapping(cls, data: Mapping[Any, Any]) -> CardData:
        """CardData from already-parsed metadata (string keys only; others are ignored)."""
        fields: dict[str, Any] = {}
        for key in ("license_name", "license_link", "base_model_relation"):
            fields[key] = _scalar(data.get(key))
        for key in ("pipeline_tag", "library_name"):
            fields[key] = _scalar(data.get(key))
        for key in ("base_model", "datasets", "tags"):
            fields[key] = _string_list(data.get(key))
        raw_license = data.get("license")
        if isinstance(raw_license, list):
            licenses = _string_list(raw_license)
            fields["license"] = licenses or None
        else:
            fields["license"] = _scalar(raw_license)
        fields["extra_gated"] = any(
            isinstance(key, str) and key.startswith("extra_gated") for key in data
        )
        return cls(**fields)


def parse_front_matter(text: str, *, max_bytes: int = MAX_CARD_BYTES) -> CardData:
    """The metadata of a card's README text; empty :class:`CardData` when it has none.

    Raises :class:`CardError` when the block is larger than *max_bytes*, is not valid
    YAML, uses an unsafe or unknown tag, expands past :data:`MAX_NODES` nodes, nests too
    deeply, or is not a mapping.
    """
    block = _front_matter_block(text, max_bytes)
    if block is None or not block.strip():
        return CardData()
    data = _load_mapping(block)
    try:
        return CardData.from_mapping(data)
    except RecursionError:
        raise CardError("card metadata nests too deeply") from None


def _front_matter_block(text: str, max_bytes: int) -> str | None:
    """The text between the leading ``---`` lines, or None when there is no block."""
    head = text[: max_bytes + 64]  # a block that fits the cap ends within this prefix
    head = head.removeprefix("\ufeff")
    opening = _OPENING.match(head)
    if opening is None:
        return None
    closing = _CLOSING.search(head, opening.end())
    if closing is None:
        if len(text) > len(head):
            raise CardError(f"card metadata larger than {max_bytes} bytes")
        return None  # an unclosed ---: a horizontal rule, not metadata
    block = head[opening.end() : closing.start()]
    if len(block.encode("utf-8", "surrogatepass")) > max_bytes:
        raise CardError(f"card metadata larger than {max_bytes} bytes")
    return block


def _load_mapping(block: str) -> Mapping[Any, Any]:
    """Compose, check and construct the YAML block with the safe loader."""
    if flow_nesting_exceeds(block, MAX_FLOW_DEPTH):
        raise CardError("card metadata nests too deeply")
    try:
        # The reader refuses control characters already here, in the constructor.
        loader = yaml.SafeLoader(block)
    except yaml.YAMLError as exc:
        raise CardError(f"invalid YAML in card metadata: {_yaml_problem(exc)}") from None
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        _check_nodes(node)
        data = loader.construct_document(node)
    except CardError:
        raise
    except RecursionError:
        raise CardError("card metadata nests too deeply") from None
    except yaml.YAMLError as exc:
        raise CardError(f"invalid YAML in card metadata: {_yaml_problem(exc)}") from None
    finally:
        loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CardError(f"card metadata is a {type(data).__name__}, not a mapping")
    return data


def _check_nodes(root: yaml.Node) -> None:
    """Count node visits (aliases expand) and refuse python tags, without recursion."""
    visits = 0
    stack: list[yaml.Node] = [root]
    while stack:
        node = stack.pop()
        visits += 1
        if visits > MAX_NODES:
            raise CardError(f"card metadata has more than {MAX_NODES} YAML nodes (alias bomb?)")
        if node.tag.startswith(_PYTHON_TAG_PREFIX):
            raise CardError("unsafe YAML tag in card metadata")
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A short description of a YAML error: the problem and its line, no content."""
    if isinstance(exc, yaml.reader.ReaderError):
        return f"unacceptable character #x{exc.character:04x} (position {exc.position})"
    problem = getattr(exc, "problem", None) or type(exc).__name__
    mark = getattr(exc, "problem_mark", None)
    line = getattr(mark, "line", None)
    return f"{problem} (line {line + 1})" if isinstance(line, int) else str(problem)


def _scalar(value: object) -> str | None:
    """A scalar as text (None for null, containers and empty strings)."""
    if value is None or isinstance(value, (dict, list, tuple, set)):
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (_dt.date, _dt.datetime)):
        text = value.isoformat()
    elif isinstance(value, bytes):
        return None  # !!binary: never a license or an id
    else:
        text = str(value)
    text = display_text(text.strip()[:_MAX_TEXT])  # "\ud800" escapes give lone surrogates
    return text or None


def _string_list(value: object) -> list[str]:
    """A string or a list of scalars as a list of non-empty strings, duplicates removed."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        text = _scalar(item)
        if text is not None and text not in out:
            out.append(text)
    return out
