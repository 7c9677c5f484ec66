"""Unknowns: what could not be read or resolved. A failure is a result, not an exception."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator

from modelbom.model.text import display_name, display_text
from modelbom.redact import redact


class Stage(StrEnum):
    """The pipeline stage at which something could not be done."""

    WALK = "walk"
    READ = "read"
    CRAWL = "crawl"
    RESOLVE = "resolve"


class Unknown(BaseModel):
    """A file (or component) that modelbom could not account for, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str
    stage: Stage
    reason: str

    @field_validator("file", mode="before")
    @classmethod
    def _clean_file(cls, value: str) -> str:
        return redact(display_name(value))

    @field_validator("reason", mode="before")
    @classmethod
    def _clean_reason(cls, value: str) -> str:
        return redact(display_text(value))

    def sort_key(self) -> tuple[str, str, str]:
        """Total order: file, stage, reason."""
        return (self.file, self.stage.value, self.reason)
