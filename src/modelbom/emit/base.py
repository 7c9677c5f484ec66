"""The emitter interface: a pure function from the scan result to bytes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from modelbom.errors import ModelbomError
from modelbom.model import ScanResult


class EmitError(ModelbomError):
    """An output could not be produced (for example it failed schema validation)."""


@dataclass(frozen=True, slots=True)
class EmitOptions:
    """How to render: reproducible output drops the serial number and timestamp."""

    reproducible: bool = False
    spec_version: str = "1.6"


class Emitter(ABC):
    """One output format."""

    format_id: ClassVar[str]

    @abstractmethod
    def emit(self, result: ScanResult, options: EmitOptions) -> bytes:
        """Render *result*; raise :class:`EmitError` when the output would be invalid."""
