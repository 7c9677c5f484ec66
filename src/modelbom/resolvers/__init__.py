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
    """A fresh instance of each resolver run by default, most trusted first.

    Raises :class:`~modelbom.errors.UsageError` when an endpoint configured in the
    environment is not a usable URL.
    """
    from modelbom.errors import UsageError
    from modelbom.resolvers.cache import default_cache_path
    from modelbom.resolvers.civitai import CivitaiResolver
    from modelbom.resolvers.hf_cache import HfCacheResolver
    from modelbom.resolvers.hub import HubResolver
    from modelbom.resolvers.local import RepositoryResolver
    from modelbom.resolvers.packages import InstalledPackagesResolver, NpmResolver, PyPIResolver
    from modelbom.resolvers.providers import ProviderTermsResolver

    cache_dir = options.cache_dir if options and options.cache_dir else default_cache_path().parent
    timeout = options.timeout if options is not None else 10.0
    try:
        resolvers: list[Resolver] = [
            RepositoryResolver(),
            HfCacheResolver(),
            HubResolver(timeout=timeout, download_dir=cache_dir / "hub-downloads"),
            CivitaiResolver(timeout=timeout),
            ProviderTermsResolver(),
        ]
        if options is not None and options.python_env is not None:
            resolvers.append(InstalledPackagesResolver(options.python_env))
        resolvers += [PyPIResolver(timeout=timeout), NpmResolver(timeout=timeout)]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return resolvers
