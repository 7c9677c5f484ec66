"""Findings: one occurrence of a reference, with the evidence of where it was seen."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from modelbom.model.text import clip_snippet, display_name, display_text
from modelbom.redact import redact


class Kind(StrEnum):
    """What a finding refers to."""

    MODEL = "model"
    ADAPTER = "adapter"  # LoRA/PEFT adapters, textual-inversion embeddings, IP-adapters
    DATASET = "dataset"
    HOSTED_MODEL = "hosted-model"  # a model used through a provider's API
    MODEL_FILE = "model-file"  # a model artifact committed to the repository; id = its path
    LIBRARY = "library"


class Scope(StrEnum):
    """Where in a repository a finding lives."""

    CODE = "code"
    CONFIG = "config"
    TEST = "test"
    DOCS = "docs"
    EXAMPLE = "example"
    COMMENT = "comment"


# Scopes whose findings stay out of the BOM's components unless asked for.
DOCUMENTATION_SCOPES = frozenset({Scope.DOCS, Scope.COMMENT})


class Evidence(BaseModel):
    """Where a reference was seen, and how sure the crawler is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str = Field(description="Path relative to the scanned root, POSIX separators.")
    line: int = Field(ge=1, description="1-based line number.")
    column: int = Field(default=1, ge=1, description="1-based column number.")
    snippet: str = Field(default="", description="The source line, at most 200 characters.")
    crawler: str
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    scope: Scope = Scope.CODE
    cell: int | None = Field(default=None, ge=0, description="Notebook cell index (0-based).")
    cell_line: int | None = Field(default=None, ge=1, description="Line within the cell.")

    @field_validator("file", mode="before")
    @classmethod
    def _clean_file(cls, value: str) -> str:
        return display_name(value)

    @field_validator("snippet", mode="before")
    @classmethod
    def _clean_snippet(cls, value: str) -> str:
        return clip_snippet(value)

    def sort_key(self) -> tuple[str, int, int, str]:
        """Total order: file, line, column, crawler."""
        return (self.file, self.line, self.column, self.crawler)


class Finding(BaseModel):
    """One occurrence of a model, adapter, dataset, hosted model, model file or library."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind
    id: str = Field(min_length=1)
    revision: str | None = Field(default=None, description="Hub revision (commit, branch, tag).")
    version: str | None = Field(default=None, description="Library version, where pinned.")
    ecosystem: str | None = Field(
        default=None, description="Package ecosystem of a library (pypi, npm) or model source."
    )
    evidence: Evidence
    properties: dict[str, str] = Field(default_factory=dict)

    @field_validator("id", "revision", "version", "ecosystem", mode="before")
    @classmethod
    def _clean_text(cls, value: str | None) -> str | None:
        return None if value is None else redact(display_name(value))

    @field_validator("properties", mode="before")
    @classmethod
    def _clean_properties(cls, value: dict[str, str]) -> dict[str, str]:
        return {k: redact(display_text(v)) for k, v in sorted(value.items())}

    @property
    def component_key(self) -> tuple[str, str, str, str, str]:
        """The identity of the component this finding belongs to."""
        return (
            self.kind.value,
            self.ecosystem or "",
            self.id,
            self.revision or "",
            self.version or "",
        )

    def sort_key(self) -> tuple[str, int, int, tuple[str, str, str, str, str]]:
        """Total order: where it was found first, then what."""
        ev = self.evidence
        return (ev.file, ev.line, ev.column, self.component_key)
