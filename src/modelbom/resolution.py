"""The resolution stage: license and lineage for every component, and for their lineage.

Each component is offered to every resolver in order of trust (repository, local HF
cache, Hub, CivitAI, provider terms, package metadata). Facts are combined per kind of
fact: the most trusted source that has licenses gives the licenses, the most trusted
that knows the lineage gives the lineage, and so on, and the component records which
sources contributed. Each resolver call runs inside a guard on a bounded thread pool.

Lineage is followed: base models and training datasets that a resolver names become
components of their own (with no occurrence in the code) and are resolved in turn,
breadth first, with a visited set (merges have several parents and cycles exist in the
wild) and a depth cap.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from modelbom.model import (
    BaseModelRef,
    Component,
    Finding,
    Kind,
    LicenseClaim,
    Resolution,
    ResolutionStatus,
)
from modelbom.resolvers import Resolved, Resolver, ResolverError
from modelbom.resolvers.base import ResolveContext, ResolverUnavailable

log = logging.getLogger("modelbom.resolve")

LINEAGE_PROPERTY = ("discovered", "lineage")


@dataclass(slots=True)
class _Facts:
    """Facts gathered for one component, each kind from the most trusted source."""

    licenses: tuple[LicenseClaim, ...] = ()
    revision: str | None = None
    base_models: tuple[BaseModelRef, ...] = ()
    datasets: tuple[str, ...] = ()
    gated: str | None = None
    properties: set[tuple[str, str]] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)
    fetched_at: str | None = None
    errors: list[str] = field(default_factory=list)

    def add(self, resolved: Resolved) -> None:
        used = False
        if resolved.licenses and not self.licenses:
            self.licenses, used = resolved.licenses, True
        if resolved.revision and not self.revision:
            self.revision, used = resolved.revision, True
        if resolved.base_models and not self.base_models:
            self.base_models, used = resolved.base_models, True
        if resolved.datasets and not self.datasets:
            self.datasets, used = resolved.datasets, True
        if resolved.gated and not self.gated:
            self.gated, used = resolved.gated, True
        if resolved.properties:
            self.properties.update(resolved.properties)
            used = True
        if used and resolved.source not in self.sources:
            self.sources.append(resolved.source)
            if resolved.fetched_at and (
                self.fetched_at is None or resolved.fetched_at > self.fetched_at
            ):
                self.fetched_at = resolved.fetched_at


def _ask(resolver: Resolver, component: Component, facts: _Facts) -> None:
    try:
        resolved = resolver.resolve(component)
    except ResolverUnavailable as exc:
        facts.errors.append(f"{resolver.name}: {exc}")
        return
    except ResolverError as exc:
        facts.errors.append(f"{resolver.name}: {exc}")
        return
    except Exception as exc:  # the guard: a resolver bug must not end the scan
        log.debug("resolver %s failed on %s", resolver.name, component.id, exc_info=True)
        facts.errors.append(f"{resolver.name} resolver failed: {type(exc).__name__}: {exc}")
        return
    if resolved is not None:
        facts.add(resolved)


def resolve_one(component: Component, resolvers: Sequence[Resolver], offline: bool) -> Component:
    """Combine what every resolver knows about *component*."""
    facts = _Facts()
    for resolver in resolvers:
        _ask(resolver, component, facts)
    update: dict[str, object] = {
        "licenses": facts.licenses,
        "base_models": facts.base_models,
        "datasets": facts.datasets,
        "gated": facts.gated,
        "properties": tuple(sorted(set(component.properties) | facts.properties)),
    }
    if facts.revision and component.kind is not Kind.LIBRARY:
        update["resolved_revision"] = facts.revision
        if (
            component.purl
            and component.purl.startswith("pkg:huggingface/")
            and "@" not in component.purl
        ):
            update["purl"] = f"{component.purl}@{facts.revision}"
    if facts.licenses:
        resolution = Resolution(
            status=ResolutionStatus.RESOLVED,
            source=", ".join(facts.sources),
            fetched_at=facts.fetched_at,
        )
    else:
        reason = "; ".join(facts.errors) or "no source had license facts for it"
        if offline and not facts.errors:
            reason += " (offline: only local sources and the cache were consulted)"
        resolution = Resolution(
            status=ResolutionStatus.UNRESOLVED,
            reason=reason,
            source=", ".join(facts.sources) or None,
            fetched_at=facts.fetched_at,
        )
    update["resolution"] = resolution
    return component.model_copy(update=update)


def _lineage_components(component: Component) -> list[Component]:
    """Components for the base models and datasets *component* names."""
    out = [
        Component(
            kind=Kind.MODEL,
            id=ref.id,
            purl=f"pkg:huggingface/{ref.id}",
            properties=(LINEAGE_PROPERTY,),
        )
        for ref in component.base_models
    ]
    out.extend(
        Component(kind=Kind.DATASET, id=dataset, properties=(LINEAGE_PROPERTY,))
        for dataset in component.datasets
    )
    return out


def resolve_all(
    components: Sequence[Component],
    resolvers: Sequence[Resolver],
    *,
    findings: Sequence[Finding] = (),
    context: ResolveContext | None = None,
    workers: int = 8,
    max_depth: int = 5,
    on_resolved: Callable[[int, int], None] | None = None,
) -> list[Component]:
    """Resolve *components* and, breadth first, the lineage they name.

    *on_resolved* (done, total) is called as components are resolved, from the worker
    threads; lineage found along the way adds to the total.
    """
    context = context or ResolveContext(findings=findings)
    active: list[Resolver] = []
    for resolver in resolvers:
        try:
            resolver.prepare(context)
        except Exception as exc:  # the guard: a resolver that cannot start is left out
            log.warning("resolver %s is disabled: %s: %s", resolver.name, type(exc).__name__, exc)
            continue
        active.append(resolver)

    def identity(c: Component) -> tuple[str, str, str]:
        return (c.kind.value, c.ecosystem or "", c.id)

    done: list[Component] = []
    seen = {identity(c) for c in components}
    batch = list(components)
    depth = 0
    counter = _Counter(len(batch), on_resolved)

    def work(component: Component) -> Component:
        resolved = resolve_one(component, active, context.offline)
        counter.step()
        return resolved

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="resolve")
    try:
        while batch:
            results = list(pool.map(work, batch))
            done.extend(results)
            depth += 1
            batch = []
            if depth > max_depth:
                break
            for component in results:
                for parent in _lineage_components(component):
                    if identity(parent) not in seen:
                        seen.add(identity(parent))
                        batch.append(parent)
            counter.grow(len(batch))
    except BaseException:
        # Ctrl-C (or a bug): queued components are dropped and requests already in
        # flight are not waited for; each ends within its own timeout.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return done


class _Counter:
    """Resolved so far, out of how many: reported from the worker threads."""

    def __init__(self, total: int, report: Callable[[int, int], None] | None) -> None:
        self.total = total
        self.done = 0
        self.report = report
        self._lock = threading.Lock()

    def step(self) -> None:
        with self._lock:
            self.done += 1
            if self.report is not None:
                self.report(self.done, self.total)

    def grow(self, more: int) -> None:
        with self._lock:
            self.total += more
