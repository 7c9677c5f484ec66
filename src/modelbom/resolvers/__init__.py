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
    """A fresh instance of each resolver run by default, most trusted first."""
    from modelbom.resolvers.hf_cache import HfCacheResolver
    from modelbom.resolvers.local import RepositoryResolver

    return [RepositoryResolver(), HfCacheResolver()]
