"""The resolver interface: license and lineage facts for a component from one source.

Resolvers run in order of trust (the repository itself, the local Hugging Face cache,
the Hub, CivitAI, provider terms, package metadata). A resolver that knows nothing
about a component returns ``None``; one that fails raises :class:`ResolverError`, which
the engine records as the component's unresolved reason, and the scan goes on.

Under ``--offline`` no resolver opens a network connection: resolvers that need the
network answer from the persistent cache only (and say so in the facts' ``source``),
or return ``None``.

Resolvers are called from several worker threads at once: ``resolve`` must be
thread-safe. ``prepare`` runs once, before any ``resolve``, in the engine's thread.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from modelbom.errors import ModelbomError
from modelbom.model import BaseModelRef, Component, Finding, LicenseClaim

if TYPE_CHECKING:
    from modelbom.resolvers.cache import ResolverCache


class ResolverError(ModelbomError):
    """A source could not answer for a component; ``str(error)`` is the reason."""


class ResolverUnavailable(ResolverError):
    """The source cannot be reached at all (network down, offline): stop asking it."""


class Resolved(BaseModel):
    """Facts one resolver found for one component."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(description="The resolver's name, e.g. hub; hub (cache) offline.")
    licenses: tuple[LicenseClaim, ...] = ()
    revision: str | None = Field(default=None, description="The commit sha, where known.")
    base_models: tuple[BaseModelRef, ...] = ()
    datasets: tuple[str, ...] = Field(default=(), description="Hub ids of training datasets.")
    gated: str | None = None
    properties: tuple[tuple[str, str], ...] = ()
    fetched_at: str | None = Field(
        default=None, description="ISO 8601 UTC time of the fetch; None for local facts."
    )


def license_claim(
    raw: str,
    *,
    source: str,
    name: str | None = None,
    link: str | None = None,
    location: str | None = None,
    fetched_at: str | None = None,
) -> LicenseClaim:
    """A declared license, normalised, with where it came from."""
    from modelbom.licenses.normalize import normalize_license

    expression, review = normalize_license(raw, name=name, link=link)
    return LicenseClaim(
        raw=raw,
        expression=expression,
        name=name,
        link=link,
        source=source,
        location=location,
        fetched_at=fetched_at,
        needs_review=review,
    )


def utc_now() -> str:
    """The current time as ISO 8601 UTC with seconds, the format of ``fetched_at``."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(slots=True)
class ResolveContext:
    """What every resolver may consult: the scan's findings, the mode, the cache."""

    findings: Sequence[Finding] = ()
    offline: bool = False
    refresh: bool = False
    cache: ResolverCache | None = None
    now: Callable[[], str] = field(default=utc_now)


class Resolver(ABC):
    """One source of license and lineage facts."""

    name: ClassVar[str]
    requires_network: ClassVar[bool] = False

    def prepare(self, context: ResolveContext) -> None:  # noqa: B027 - optional hook
        """Called once before resolving; the default keeps nothing."""

    @abstractmethod
    def resolve(self, component: Component) -> Resolved | None:
        """Facts about *component*, ``None`` when this source has none."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the resolver holds (temporary files); called once at the end."""
