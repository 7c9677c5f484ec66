"""``findings-json``: the flat list of every occurrence discovered, and what was unreadable.

Shape: ``{"format": "modelbom-findings", "format_version": 1, "findings": [...],
"unknowns": [...]}``. Each finding has ``kind``, ``id``, ``file``, ``line`` first, then
``column``, ``scope``, ``confidence``, ``crawler``, ``snippet``, and ``cell`` and
``cell_line`` (notebooks), ``revision``, ``version``, ``ecosystem`` and ``properties``
when present. Both lists are sorted; the output has no timestamps.

With ``--group-by``, ``group_by`` (``packages`` or ``folders``) and ``groups`` follow:
each group has ``name``, ``path`` and ``components``, the components its files reference
and their lineage, each as ``kind``, ``id`` (then ``revision``, ``version`` and
``ecosystem`` when present) and ``bom_ref`` (the CycloneDX BOM's ``bom-ref``).
"""

from __future__ import annotations

import json
from typing import Any

from modelbom.emit.base import EmitOptions, Emitter
from modelbom.model import Component, Finding, Group, ScanResult, Unknown

FORMAT_NAME = "modelbom-findings"
FORMAT_VERSION = 1


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """One finding as a flat JSON object."""
    ev = finding.evidence
    out: dict[str, Any] = {
        "kind": finding.kind.value,
        "id": finding.id,
        "file": ev.file,
        "line": ev.line,
        "column": ev.column,
        "scope": ev.scope.value,
        "confidence": ev.confidence,
        "crawler": ev.crawler,
        "snippet": ev.snippet,
    }
    if ev.cell is not None:
        out["cell"] = ev.cell
    if ev.cell_line is not None:
        out["cell_line"] = ev.cell_line
    for key in ("revision", "version", "ecosystem"):
        value = getattr(finding, key)
        if value is not None:
            out[key] = value
    if finding.properties:
        out["properties"] = dict(sorted(finding.properties.items()))
    return out


def unknown_to_dict(unknown: Unknown) -> dict[str, Any]:
    """One unknown as a JSON object."""
    return {"file": unknown.file, "stage": unknown.stage.value, "reason": unknown.reason}


def group_to_dict(group: Group, by_ref: dict[str, Component]) -> dict[str, Any]:
    """One group with the identity of each of its components, in the model's order."""
    members = sorted((by_ref[r] for r in group.components if r in by_ref), key=lambda c: c.key)
    components = []
    for component in members:
        entry: dict[str, Any] = {"kind": component.kind.value, "id": component.id}
        for key in ("revision", "version", "ecosystem"):
            value = getattr(component, key)
            if value is not None:
                entry[key] = value
        entry["bom_ref"] = component.bom_ref
        components.append(entry)
    return {"name": group.name, "path": group.path, "components": components}


class FindingsJsonEmitter(Emitter):
    """The ``findings-json`` format."""

    format_id = "findings-json"

    def emit(self, result: ScanResult, options: EmitOptions) -> bytes:
        """Render every finding and unknown, sorted."""
        document: dict[str, Any] = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "findings": [finding_to_dict(f) for f in result.findings],
            "unknowns": [unknown_to_dict(u) for u in result.unknowns],
        }
        if result.groups:
            by_ref = {c.bom_ref: c for c in result.components}
            document["group_by"] = result.group_by
            document["groups"] = [group_to_dict(g, by_ref) for g in result.groups]
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
