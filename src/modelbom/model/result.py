"""The result of a scan: the one format-neutral model every emitter renders."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from modelbom.model.component import Component
from modelbom.model.finding import Finding
from modelbom.model.text import display_name
from modelbom.model.unknown import Unknown
from modelbom.model.verdict import ChainReport
from modelbom.redact import redact


class SourceInfo(BaseModel):
    """What was scanned. Never holds an absolute path or a credential."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="The scanned folder's name.")
    commit: str | None = None
    branch: str | None = None
    remote_url: str | None = Field(default=None, description="Credentials removed.")
    revision: str | None = Field(
        default=None,
        description="The git revision scanned, as given (a tag, branch or commit; "
        "``commit`` is what it resolved to); None when the files on disk were scanned.",
    )

    @field_validator("name", "commit", "branch", "remote_url", "revision", mode="before")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        # The branch and remote come from the scanned repository's own .git files.
        return None if value is None else redact(display_name(value))


class ScanStats(BaseModel):
    """Counters a person reads in the summary."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    files_listed: int = 0
    files_crawled: int = 0
    # Of the files crawled, those whose result came from the per-file result cache: how
    # the scan ran, not what it found (no output format carries it).
    files_cached: int = 0


class Group(BaseModel):
    """One sub-project of a monorepo (``--group-by``) and the components its files reference.

    ``path`` is the sub-project's folder relative to the scanned root (``.`` for files
    that belong to no sub-project). A component referenced from several sub-projects is
    listed in each of them; the base models and datasets a listed component derives from
    are listed with it (see :mod:`modelbom.grouping`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="The sub-project's name (package name or folder).")
    path: str = Field(description="Its folder relative to the scanned root; '.' for the rest.")
    components: tuple[str, ...] = Field(
        default=(),
        description="bom-refs of the components its files reference and of their lineage, sorted.",
    )

    @field_validator("name", mode="before")
    @classmethod
    def _clean_name(cls, value: str) -> str:
        return redact(display_name(value))

    @field_validator("path", mode="before")
    @classmethod
    def _clean_path(cls, value: str) -> str:
        return display_name(value)


class ScanResult(BaseModel):
    """Findings, components and unknowns of one scan, all sorted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tool_version: str
    source: SourceInfo
    findings: tuple[Finding, ...] = ()
    components: tuple[Component, ...] = ()
    unknowns: tuple[Unknown, ...] = ()
    stats: ScanStats = ScanStats()
    offline: bool = False
    chain: ChainReport | None = Field(
        default=None, description="Governing terms and verdicts; None when not analysed."
    )
    policy_in_effect: bool = Field(
        default=False, description="A policy was given or found: violations fail the scan."
    )
    group_by: str | None = Field(
        default=None, description="How ``groups`` was formed (``--group-by``), if at all."
    )
    groups: tuple[Group, ...] = Field(
        default=(), description="Sub-projects sorted by path; empty without --group-by."
    )

    @property
    def unresolved(self) -> tuple[Component, ...]:
        """Components the resolution stage found nothing for."""
        return tuple(c for c in self.components if c.resolution.status == "unresolved")

    @property
    def violation(self) -> bool:
        """True when a policy is in effect and the artifact violates it."""
        return bool(
            self.policy_in_effect and self.chain and self.chain.artifact.verdict == "violation"
        )

    @property
    def incomplete(self) -> bool:
        """True when something could not be read or resolved (``--strict`` fails on it)."""
        return bool(self.unknowns or self.unresolved)
