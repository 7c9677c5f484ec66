"""Emitters: one module per output format, all rendering the one format-neutral model."""

from __future__ import annotations

from enum import StrEnum
from typing import assert_never

from modelbom.emit.base import EmitError, EmitOptions, Emitter
from modelbom.emit.cyclonedx import CycloneDxJsonEmitter
from modelbom.emit.findings_json import FindingsJsonEmitter
from modelbom.emit.html import HtmlEmitter
from modelbom.emit.markdown import MarkdownEmitter
from modelbom.emit.sarif import SarifEmitter
from modelbom.emit.spdx import SpdxJsonEmitter

__all__ = ["EmitError", "EmitOptions", "Emitter", "OutputFormat", "emitter_for"]


class OutputFormat(StrEnum):
    """The formats ``modelbom scan -f`` accepts."""

    CYCLONEDX_JSON = "cyclonedx-json"
    FINDINGS_JSON = "findings-json"
    MARKDOWN = "markdown"
    SARIF = "sarif"
    SPDX_JSON = "spdx-json"
    HTML = "html"


def emitter_for(fmt: OutputFormat) -> Emitter:
    """The emitter that writes *fmt*."""
    if fmt is OutputFormat.CYCLONEDX_JSON:
        return CycloneDxJsonEmitter()
    if fmt is OutputFormat.FINDINGS_JSON:
        return FindingsJsonEmitter()
    if fmt is OutputFormat.MARKDOWN:
        return MarkdownEmitter()
    if fmt is OutputFormat.SARIF:
        return SarifEmitter()
    if fmt is OutputFormat.SPDX_JSON:
        return SpdxJsonEmitter()
    if fmt is OutputFormat.HTML:
        return HtmlEmitter()
    assert_never(fmt)
