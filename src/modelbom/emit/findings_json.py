"""``findings-json``: the flat list of every occurrence discovered, and what was unreadable.

Shape: ``{"format": "modelbom-findings", "format_version": 1, "findings": [...],
"unknowns": [...]}``. Each finding has ``kind``, ``id``, ``file``, ``line`` first, then
``column``, ``scope``, ``confidence``, ``crawler``, ``snippet``, and ``cell`` and
``cell_line`` (notebooks), ``revision``, ``version``, ``ecosystem`` and ``properties``
when present. Both lists are sorted; the output has no timestamps.
"""

from __future__ import annotations

import json
from typing import Any

from modelbom.emit.base import EmitOptions, Emitter
from modelbom.model import Finding, ScanResult, Unknown

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


class FindingsJsonEmitter(Emitter):
    """The ``findings-json`` format."""

    format_id = "findings-json"

    def emit(self, result: ScanResult, options: EmitOptions) -> bytes:
        """Render every finding and unknown, sorted."""
        document = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "findings": [finding_to_dict(f) for f in result.findings],
            "unknowns": [unknown_to_dict(u) for u in result.unknowns],
        }
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
