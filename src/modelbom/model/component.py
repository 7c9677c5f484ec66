"""Components: one referenced thing, merged from every finding that names it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from enum import StrEnum
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator

from modelbom.model.finding import DOCUMENTATION_SCOPES, Evidence, Finding, Kind, Scope
from modelbom.model.text import display_text
from modelbom.redact import redact

_MAX_LICENSE_TEXT = 500


class ResolutionStatus(StrEnum):
    """Whether license and lineage facts were found for a component."""

    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"


class Resolution(BaseModel):
    """The outcome of the resolution stage for one component."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: ResolutionStatus = ResolutionStatus.UNRESOLVED
    reason: str = ""
    source: str | None = None
    fetched_at: str | None = Field(
        default=None, description="ISO 8601 UTC time the facts were fetched (None: local)."
    )


class LicenseClaim(BaseModel):
    """A license statement about a component, and where it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    raw: str = Field(description="As declared: a card tag, an SPDX id, a license name.")
    expression: str | None = Field(
        default=None, description="Normalised SPDX expression, or a LicenseRef- id."
    )
    name: str | None = Field(default=None, description="license_name of a card saying other.")
    link: str | None = Field(default=None, description="license_link of a card.")
    source: str = Field(description="The resolver that found it: repository, hub, ...")
    location: str | None = Field(
        default=None, description="Where exactly: a repository path or a URL (no secrets)."
    )
    fetched_at: str | None = None
    needs_review: bool = Field(
        default=False, description="The raw text could not be normalised to a known license."
    )

    @field_validator("raw", "name", "link", "location", mode="before")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return None if value is None else redact(display_text(value))[:_MAX_LICENSE_TEXT]


class Relation(StrEnum):
    """How a model derives from a base model."""

    ADAPTER = "adapter"
    FINETUNE = "finetune"
    QUANTIZED = "quantized"
    MERGE = "merge"
    BASE = "base"  # derived, relation not stated


class BaseModelRef(BaseModel):
    """One parent in a model's lineage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    relation: Relation = Relation.BASE
    source: str


class Component(BaseModel):
    """A model, adapter, dataset, hosted model, model file or library in the BOM."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind
    id: str
    revision: str | None = Field(default=None, description="The revision the code pins.")
    resolved_revision: str | None = Field(
        default=None, description="The commit sha the resolved facts describe."
    )
    version: str | None = None
    ecosystem: str | None = None
    purl: str | None = None
    licenses: tuple[LicenseClaim, ...] = ()
    base_models: tuple[BaseModelRef, ...] = ()
    datasets: tuple[str, ...] = Field(default=(), description="Datasets it was trained on.")
    gated: str | None = Field(default=None, description="Hub gating: auto or manual.")
    evidence: tuple[Evidence, ...] = Field(
        default=(), description="Occurrences; empty for a component known only from lineage."
    )
    properties: tuple[tuple[str, str], ...] = ()
    resolution: Resolution = Resolution()

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """Identity of a component: kind, ecosystem, id, revision and version."""
        return (
            self.kind.value,
            self.ecosystem or "",
            self.id,
            self.revision or "",
            self.version or "",
        )

    @property
    def bom_ref(self) -> str:
        """A reference derived from the component's identity alone (stable across runs)."""
        digest = hashlib.sha256("\x00".join(self.key).encode("utf-8", "surrogatepass"))
        return f"{self.kind.value}-{digest.hexdigest()[:16]}"

    @property
    def scopes(self) -> tuple[Scope, ...]:
        """The scopes of every occurrence, sorted."""
        return tuple(sorted({ev.scope for ev in self.evidence}, key=lambda s: s.value))

    @property
    def confidence(self) -> float:
        """The highest confidence of any occurrence (1.0 for lineage-only components)."""
        return max((ev.confidence for ev in self.evidence), default=1.0)


_HUB_KINDS = frozenset({Kind.MODEL, Kind.ADAPTER})
_COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")


_PURL_TYPES = {"pypi": "pypi", "npm": "npm"}


def purl_for(finding: Finding) -> str | None:
    """The package URL of a finding's component, where one is defined.

    Hub models and adapters: ``pkg:huggingface/<namespace>/<name>[@<commit sha>]``. The
    purl version of a Hub repository is a commit sha; a branch or tag is not one, so it
    is left out rather than written as a version it is not. Libraries:
    ``pkg:pypi/<name>[@<version>]`` or ``pkg:npm/<name>[@<version>]``.
    """
    if "*" in finding.id:
        return None  # a pattern (an f-string with an unknown part), not one repository
    if finding.kind in _HUB_KINDS and finding.ecosystem in (None, "huggingface"):
        purl = f"pkg:huggingface/{finding.id}"
        if finding.revision and _COMMIT_SHA.match(finding.revision):
            purl += f"@{finding.revision}"
        return purl
    if finding.kind is Kind.LIBRARY and finding.ecosystem in _PURL_TYPES:
        name = finding.id.lower().replace("_", "-") if finding.ecosystem == "pypi" else finding.id
        purl = f"pkg:{_PURL_TYPES[finding.ecosystem]}/{quote(name, safe='/')}"
        if finding.version:
            purl += f"@{quote(finding.version, safe='')}"
        return purl
    return None


def merge_findings(findings: Iterable[Finding], *, include_docs: bool) -> list[Component]:
    """Merge every occurrence of one (kind, id, revision) into one component.

    Findings whose every occurrence is in documentation or comments are left out unless
    *include_docs* is set; they remain in the findings list either way.
    """
    grouped: dict[tuple[str, str, str, str, str], list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.component_key, []).append(finding)
    components: list[Component] = []
    for key in sorted(grouped):
        group = sorted(grouped[key], key=Finding.sort_key)
        evidence = [f.evidence for f in group]
        if not include_docs:
            evidence = [ev for ev in evidence if ev.scope not in DOCUMENTATION_SCOPES]
            if not evidence:
                continue
        props: set[tuple[str, str]] = set()
        for f in group:
            props.update(f.properties.items())
        first = group[0]
        components.append(
            Component(
                kind=first.kind,
                id=first.id,
                revision=first.revision,
                version=first.version,
                ecosystem=first.ecosystem,
                purl=purl_for(first),
                evidence=tuple(sorted(set(evidence), key=Evidence.sort_key)),
                properties=tuple(sorted(props)),
            )
        )
    return components
