"""Resolvers: license and lineage for components, one module per source."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelbom.resolvers.base import (
    ResolveContext,
    Resolved,
    Resolver,
    ResolverError,
    ResolverUnavailable,
)

if TYPE_CHECKING:
    from modelbom.options import ScanOptions

__all__ = [
    "ResolveContext",
    "Resolved",
    "Resolver",
    "ResolverError",
    "ResolverUnavailable",
    "default_resolvers",
]


def default_resolvers(options: ScanOptions | None = None) -> list[Resolver]:
    """The resolvers run by default, most trusted first."""
    return []
