"""Components: one referenced thing, merged from every finding that names it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from enum import StrEnum
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from modelbom.model.finding import DOCUMENTATION_SCOPES, Evidence, Finding, Kind, Scope


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


class LicenseClaim(BaseModel):
    """A license statement about a component, and where it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    raw: str
    expression: str | None = None  # SPDX expression (or LicenseRef-) when normalised
    source: str


class Component(BaseModel):
    """A model, adapter, dataset, hosted model, model file or library in the BOM."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind
    id: str
    revision: str | None = None
    version: str | None = None
    ecosystem: str | None = None
    purl: str | None = None
    licenses: tuple[LicenseClaim, ...] = ()
    evidence: tuple[Evidence, ...] = Field(min_length=1)
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
        """The highest confidence of any occurrence."""
        return max(ev.confidence for ev in self.evidence)


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
