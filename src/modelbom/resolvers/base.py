"""The resolver interface: license and lineage facts for a component from one source.

Resolvers run in order of trust (the repository itself, the local Hugging Face cache,
the Hub, ...). A resolver that knows nothing about a component returns ``None``; one
that fails raises :class:`ResolverError`, which the engine records as the component's
unresolved reason. Resolvers that need the network are skipped under ``--offline``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from modelbom.errors import ModelbomError
from modelbom.model import Component, LicenseClaim


class ResolverError(ModelbomError):
    """A source could not answer for a component; ``str(error)`` is the reason."""


class Resolved(BaseModel):
    """Facts one resolver found for one component."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    licenses: tuple[LicenseClaim, ...] = ()
    revision: str | None = None


class Resolver(ABC):
    """One source of license and lineage facts."""

    name: ClassVar[str]
    requires_network: ClassVar[bool] = False

    @abstractmethod
    def resolve(self, component: Component) -> Resolved | None:
        """Facts about *component*, ``None`` when this source has none."""
