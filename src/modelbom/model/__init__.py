"""The format-neutral domain model: findings, components, evidence, unknowns.

Every other package speaks these types; emitters turn them into bytes.
"""

from __future__ import annotations

from modelbom.model.component import (
    BaseModelRef,
    Component,
    LicenseClaim,
    Relation,
    Resolution,
    ResolutionStatus,
    merge_findings,
)
from modelbom.model.finding import DOCUMENTATION_SCOPES, Evidence, Finding, Kind, Scope
from modelbom.model.result import Group, ScanResult, ScanStats, SourceInfo
from modelbom.model.unknown import Stage, Unknown

__all__ = [
    "DOCUMENTATION_SCOPES",
    "BaseModelRef",
    "Component",
    "Evidence",
    "Finding",
    "Group",
    "Kind",
    "LicenseClaim",
    "Relation",
    "Resolution",
    "ResolutionStatus",
    "ScanResult",
    "ScanStats",
    "Scope",
    "SourceInfo",
    "Stage",
    "Unknown",
    "merge_findings",
]
