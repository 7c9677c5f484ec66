"""Emitters: one module per output format, all rendering the one format-neutral model."""

from __future__ import annotations

from enum import StrEnum
from typing import assert_never

from modelbom.emit.base import EmitError, EmitOptions, Emitter

__all__ = [
    "CYCLONEDX_VERSIONS",
    "EmitError",
    "EmitOptions",
    "Emitter",
    "OutputFormat",
    "emitter_for",
]

CYCLONEDX_VERSIONS = ("1.6", "1.7")
"""The CycloneDX specification versions ``--spec-version`` accepts."""


class OutputFormat(StrEnum):
    """The formats ``modelbom scan -f`` accepts."""

    CYCLONEDX_JSON = "cyclonedx-json"
    FINDINGS_JSON = "findings-json"
    MARKDOWN = "markdown"
    SARIF = "sarif"
    SPDX_JSON = "spdx-json"
    HTML = "html"


def emitter_for(fmt: OutputFormat) -> Emitter:
    """The emitter that writes *fmt* (its module, and the libraries it needs, are imported
    here: a scan pays only for the formats it writes)."""
    if fmt is OutputFormat.CYCLONEDX_JSON:
        from modelbom.emit.cyclonedx import CycloneDxJsonEmitter

        return CycloneDxJsonEmitter()
    if fmt is OutputFormat.FINDINGS_JSON:
        from modelbom.emit.findings_json import FindingsJsonEmitter

        return FindingsJsonEmitter()
    if fmt is OutputFormat.MARKDOWN:
        from modelbom.emit.markdown import MarkdownEmitter

        return MarkdownEmitter()
    if fmt is OutputFormat.SARIF:
        from modelbom.emit.sarif import SarifEmitter

        return SarifEmitter()
    if fmt is OutputFormat.SPDX_JSON:
        from modelbom.emit.spdx import SpdxJsonEmitter

        return SpdxJsonEmitter()
    if fmt is OutputFormat.HTML:
        from modelbom.emit.html import HtmlEmitter

        return HtmlEmitter()
    assert_never(fmt)
