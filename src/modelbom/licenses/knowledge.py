"""The license knowledge base: what each license permits and requires, with provenance.

The data lives in ``data/terms.yaml`` (see ``data/TERMS-PROVENANCE.md``): one entry per
license id as :func:`modelbom.licenses.normalize.normalize_license` produces it, each
stating some of the :class:`~modelbom.licenses.terms.Terms` dimensions as facts with a
value, the URL of the text that says so and an optional note. A dimension an entry does
not state stays unknown.

* :func:`entry_for` and :func:`terms_for` look one license id up. Ids of the shapes
  ``LicenseRef-modelbom-other-<slug>`` and ``LicenseRef-modelbom-unknown-<slug>`` get the
  entry of ``LicenseRef-modelbom-other`` / ``LicenseRef-modelbom-unknown`` (category
  ``unknown``, nothing known), under their own id.
* :func:`terms_for_civitai` computes the terms of a CivitAI model from its permission
  properties (``civitai:allowCommercialUse`` and friends), the placeholder license
  ``LicenseRef-modelbom-civitai-permissions`` having no fixed terms.

The file is loaded once, with PyYAML's safe loader (libyaml's when available), and
validated: a malformed entry is a bug and raises :class:`KnowledgeBaseError` at load
time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from modelbom.licenses.terms import UNKNOWN_TERMS, Flag, Permission, Terms

__all__ = [
    "CATEGORIES",
    "CIVITAI_LICENSE",
    "DIMENSIONS",
    "Fact",
    "KnowledgeBaseError",
    "LicenseEntry",
    "all_entries",
    "entry_for",
    "parse_document",
    "terms_for",
    "terms_for_civitai",
    "terms_from_facts",
]

CIVITAI_LICENSE = "LicenseRef-modelbom-civitai-permissions"
_DATA_FILE = "data/terms.yaml"
_FALLBACKS = (
    ("LicenseRef-modelbom-other-", "LicenseRef-modelbom-other"),
    ("LicenseRef-modelbom-unknown-", "LicenseRef-modelbom-unknown"),
)

Category = Literal[
    "permissive",
    "public-domain",
    "weak-copyleft",
    "strong-copyleft",
    "network-copyleft",
    "open-data",
    "rail",
    "community-model-license",
    "non-commercial",
    "research-only",
    "proprietary",
    "civitai-permissions",
    "unknown",
]
CATEGORIES: tuple[str, ...] = get_args(Category)

_PERMISSIONS = ("commercial_use", "distribution", "network_service")
_FLAGS = (
    "restrictions_flow_down",
    "source_disclosure_on_network_use",
    "output_training_restricted",
    "api_serving_restricted",
    "claims_output_rights",
)
_CAPS = {"user_cap": "user_cap_known", "revenue_cap_usd": "revenue_cap_known"}
_SETS = ("use_restrictions", "attribution", "share_alike")
DIMENSIONS: tuple[str, ...] = (*_PERMISSIONS, *_CAPS, *_SETS, *_FLAGS)
_SHARE_ALIKE = frozenset({"code", "weights", "derivatives", "data"})
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

FactValue = Permission | Flag | int | tuple[str, ...] | None


class KnowledgeBaseError(ValueError):
    """``terms.yaml`` is malformed (a bug in the data, found at load time)."""


class Fact(BaseModel):
    """One stated dimension of a license: its value and where that is written."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dimension: str
    value: FactValue
    source: str
    note: str | None = None


class LicenseEntry(BaseModel):
    """What the knowledge base knows of one license id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    category: str
    url: str | None
    checked: str
    terms: Terms
    facts: tuple[Fact, ...]
    note: str | None = None


# -- the file's shape -------------------------------------------------------------------


class _RawFact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Any
    source: str
    note: str | None = None

    @field_validator("source")
    @classmethod
    def _https(cls, source: str) -> str:
        if not source.startswith("https://") or len(source) <= len("https://"):
            raise ValueError(f"source must be an https URL, not {source!r}")
        return source


class _RawEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    category: Category
    url: str | None = None
    checked: str
    note: str | None = None
    terms: dict[str, _RawFact] = Field(default_factory=dict)

    @field_validator("checked", mode="before")
    @classmethod
    def _iso_day(cls, value: object) -> str:
        if isinstance(value, dt.date):
            value = value.isoformat()
        if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
            raise ValueError(f"checked must be a YYYY-MM-DD date, not {value!r}")
        dt.date.fromisoformat(value)  # a real day
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError(f"url must be an https URL, not {value!r}")
        return value


def _fact_value(dimension: str, raw: object) -> FactValue:
    """The typed value of one dimension; raises ``ValueError`` for a value it cannot take."""
    if dimension in _PERMISSIONS:
        if not isinstance(raw, str) or raw == Permission.UNKNOWN:
            raise ValueError(f"{dimension}: expected allowed/conditional/not-allowed, got {raw!r}")
        return Permission(raw)
    if dimension in _FLAGS:
        if isinstance(raw, bool):  # YAML 1.1 reads an unquoted yes/no as a boolean
            return Flag.YES if raw else Flag.NO
        if not isinstance(raw, str) or raw == Flag.UNKNOWN:
            raise ValueError(f"{dimension}: expected yes/no, got {raw!r}")
        return Flag(raw)
    if dimension in _CAPS:
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise ValueError(f"{dimension}: expected a non-negative number or null, got {raw!r}")
        return raw
    if dimension in _SETS:
        if not isinstance(raw, list) or not all(isinstance(item, str) and item for item in raw):
            raise ValueError(f"{dimension}: expected a list of names, got {raw!r}")
        if len(set(raw)) != len(raw):
            raise ValueError(f"{dimension}: repeated names in {raw!r}")
        if dimension == "share_alike" and not set(raw) <= _SHARE_ALIKE:
            raise ValueError(f"share_alike: unknown items {sorted(set(raw) - _SHARE_ALIKE)}")
        return tuple(raw)
    raise ValueError(f"unknown dimension {dimension!r} (known: {', '.join(DIMENSIONS)})")


def terms_from_facts(facts: tuple[Fact, ...]) -> Terms:
    """The :class:`Terms` the facts state; every other dimension unknown."""
    fields: dict[str, Any] = {}
    for fact in facts:
        if isinstance(fact.value, tuple):
            fields[fact.dimension] = frozenset(fact.value)
        else:
            fields[fact.dimension] = fact.value
        if fact.dimension in _CAPS:
            fields[_CAPS[fact.dimension]] = True
    return Terms(**fields)


def _entry(license_id: str, raw: object) -> LicenseEntry:
    if not isinstance(raw, dict):
        raise KnowledgeBaseError(f"{license_id}: an entry must be a mapping")
    try:
        parsed = _RawEntry.model_validate(raw)
        facts = tuple(
            Fact(
                dimension=dimension,
                value=_fact_value(dimension, fact.value),
                source=fact.source,
                note=fact.note,
            )
            for dimension, fact in parsed.terms.items()
        )
        terms = terms_from_facts(facts)
    except (ValidationError, ValueError) as err:
        raise KnowledgeBaseError(f"{license_id}: {err}") from err
    return LicenseEntry(
        id=license_id,
        name=parsed.name,
        category=parsed.category,
        url=parsed.url,
        checked=parsed.checked,
        terms=terms,
        facts=facts,
        note=parsed.note,
    )


def parse_document(text: str, *, fast: bool = False) -> dict[str, LicenseEntry]:
    """Every entry of a ``terms.yaml`` document, validated; raises :class:`KnowledgeBaseError`.

    *fast* parses with libyaml when PyYAML has it (the same safe constructors; six times
    faster on the shipped file, whose parse is part of every scan's start-up)."""
    try:
        document = _safe_load_c(text) if fast else yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as err:  # ValueError: an impossible date
        raise KnowledgeBaseError(f"terms.yaml is not valid YAML: {err}") from err
    if not isinstance(document, dict) or not document:
        raise KnowledgeBaseError("terms.yaml must map license ids to entries")
    entries: dict[str, LicenseEntry] = {}
    for license_id, raw in document.items():
        if not isinstance(license_id, str) or not license_id:
            raise KnowledgeBaseError(f"license ids must be strings, not {license_id!r}")
        entries[license_id] = _entry(license_id, raw)
    return entries


def _safe_load_c(text: str) -> Any:
    """``yaml.safe_load`` with libyaml's parser: the same safe constructor (plain
    scalars, lists and mappings only), as ``safe_load`` does it with the pure-Python one."""
    safe_loader = getattr(yaml, "CSafeLoader", None)
    if safe_loader is None:  # PyYAML built without libyaml
        return yaml.safe_load(text)
    loader = safe_loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


@cache
def _entries() -> dict[str, LicenseEntry]:
    text = resources.files("modelbom.licenses").joinpath(_DATA_FILE).read_text("utf-8")
    return parse_document(text, fast=True)


# -- lookups ----------------------------------------------------------------------------


def entry_for(expression_id: str) -> LicenseEntry | None:
    """The entry of one license id, or ``None`` when the knowledge base has none."""
    entries = _entries()
    found = entries.get(expression_id)
    if found is not None:
        return found
    for prefix, generic in _FALLBACKS:
        if expression_id.startswith(prefix) and generic in entries:
            return entries[generic].model_copy(update={"id": expression_id})
    return None


def terms_for(expression_id: str) -> Terms:
    """The terms of one license id; :data:`UNKNOWN_TERMS` when the knowledge base has none."""
    found = entry_for(expression_id)
    return found.terms if found is not None else UNKNOWN_TERMS


def all_entries() -> tuple[LicenseEntry, ...]:
    """Every entry of the knowledge base, in file order."""
    return tuple(_entries().values())


# -- CivitAI permissions ----------------------------------------------------------------

_CIVITAI_USES = {"image": "Image", "rentcivit": "RentCivit", "rent": "Rent", "sell": "Sell"}
_USE_TEXT = {
    "Image": "selling generated images",
    "RentCivit": "use on CivitAI's generation service",
    "Rent": "use on other generation services",
    "Sell": "selling the model or merges",
}
_PAGE_KEYS = ("civitai:page", "civitai:url", "page", "url")
_DIGITS = re.compile(r"[0-9]{1,12}")


def _civitai_source(properties: Mapping[str, str]) -> str:
    """The model page: a URL property, else one built from the model (and version) id."""
    for key in _PAGE_KEYS:
        value = properties.get(key, "")
        if value.startswith("https://"):
            return value
    model_id = properties.get("civitai:modelId", "")
    if _DIGITS.fullmatch(model_id):
        page = f"https://civitai.com/models/{model_id}"
        version_id = properties.get("civitai:versionId", "")
        if _DIGITS.fullmatch(version_id):
            page += f"?modelVersionId={version_id}"
        return page
    return "civitai"


def _civitai_bool(properties: Mapping[str, str], key: str) -> bool | None:
    value = properties.get(key, "").strip().lower()
    return True if value == "true" else False if value == "false" else None


def _commercial_uses(value: str) -> set[str] | None:
    """The allowed commercial uses (``set()`` for none), or ``None`` if unreadable."""
    tokens = [token.strip().lower() for token in re.split(r"[,+]", value) if token.strip()]
    if tokens == ["none"]:
        return set()
    if not tokens or any(token not in _CIVITAI_USES for token in tokens):
        return None
    return {_CIVITAI_USES[token] for token in tokens}


def terms_for_civitai(properties: Mapping[str, str]) -> tuple[Terms, tuple[Fact, ...]]:
    """The terms of a CivitAI model, from its ``civitai:*`` permission properties.

    * ``civitai:allowCommercialUse`` (comma- or ``+``-joined): ``None`` means no
      commercial use; ``Image`` alone allows selling outputs only (conditional);
      ``Rent``, ``RentCivit``, ``Sell`` allow those uses (all of ``Image``, ``Rent`` and
      ``Sell``: allowed, else conditional). ``Rent`` allows offering the model on
      generation services; ``RentCivit`` only on CivitAI's.
    * ``civitai:allowDerivatives`` false: sharing derivatives is not allowed.
    * ``civitai:allowNoCredit`` false: the creator must be credited.
    * ``civitai:allowDifferentLicense`` false: derivatives keep these permissions.

    A property that is missing or unreadable leaves its dimensions unknown. The facts'
    source is the model page when the properties give or imply one, else ``"civitai"``.
    """
    source = _civitai_source(properties)
    facts: list[Fact] = []

    def state(dimension: str, value: FactValue, note: str) -> None:
        facts.append(Fact(dimension=dimension, value=value, source=source, note=note))

    raw_uses = properties.get("civitai:allowCommercialUse")
    uses = _commercial_uses(raw_uses) if raw_uses is not None else None
    if uses is not None:
        if not uses:
            state("commercial_use", Permission.NOT_ALLOWED, "the creator allows no commercial use")
        elif {"Image", "Rent", "Sell"} <= uses:
            state("commercial_use", Permission.ALLOWED, "every commercial use is allowed")
        else:
            allowed = ", ".join(_USE_TEXT[use] for use in sorted(uses))
            extra = " (outputs only)" if uses == {"Image"} else ""
            state(
                "commercial_use",
                Permission.CONDITIONAL,
                f"commercial use only for: {allowed}{extra}",
            )
        if "Rent" in uses:
            state("network_service", Permission.ALLOWED, "may be offered on generation services")
            state("api_serving_restricted", Flag.NO, "may be offered on generation services")
        elif "RentCivit" in uses:
            state("network_service", Permission.CONDITIONAL, "only on CivitAI's generation service")
            state("api_serving_restricted", Flag.YES, "only on CivitAI's generation service")
        else:
            state("api_serving_restricted", Flag.YES, "not to be offered on generation services")

    derivatives = _civitai_bool(properties, "civitai:allowDerivatives")
    if derivatives is False:
        state(
            "distribution",
            Permission.NOT_ALLOWED,
            "sharing merges or other derivatives is not allowed",
        )
    elif derivatives is True:
        state(
            "distribution",
            Permission.CONDITIONAL,
            "derivatives may be shared, under these permissions",
        )

    no_credit = _civitai_bool(properties, "civitai:allowNoCredit")
    if no_credit is False:
        state("attribution", ("credit the creator",), "the creator must be credited")
    elif no_credit is True:
        state("attribution", (), "use without crediting the creator is allowed")

    different = _civitai_bool(properties, "civitai:allowDifferentLicense")
    if different is False:
        state("share_alike", ("derivatives",), "derivatives must keep these permissions")
    elif different is True:
        state("share_alike", (), "derivatives may use different permissions")

    found = tuple(facts)
    return terms_from_facts(found), found
