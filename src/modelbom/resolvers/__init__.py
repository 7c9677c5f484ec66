"""Resolvers: license and lineage for components, one module per source."""

from __future__ import annotations

from modelbom.resolvers.base import Resolved, Resolver, ResolverError

__all__ = ["Resolved", "Resolver", "ResolverError", "default_resolvers"]


def default_resolvers() -> list[Resolver]:
    """The resolvers run by default, most trusted first."""
    return []
