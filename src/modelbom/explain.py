"""Explanations: why a component (or the artifact) gets its verdict, step by step.

Rendered from the format-neutral :class:`~modelbom.model.verdict.ChainReport`: the path
from the artifact down to the component, the license at each step, the terms that bind
because of it, the rules and their verdicts, waivers and obligations. ``modelbom
explain`` prints it; the reports reuse :func:`explain_component`.
"""

from __future__ import annotations

from collections import deque

from modelbom.licenses.chain import component_label, in_artifact
from modelbom.model import Component, Kind, ScanResult
from modelbom.model.verdict import ComponentVerdict


def find_components(result: ScanResult, query: str) -> list[Component]:
    """Components whose id, ``kind:id`` or purl is *query*."""
    return [
        c
        for c in result.components
        if query in (c.id, component_label(c), f"{c.kind.value}:{c.id}", c.purl)
    ]


def path_from_artifact(result: ScanResult, target: Component) -> list[str]:
    """Labels from the artifact down to *target*, through the lineage (shortest path)."""
    by_id: dict[str, list[Component]] = {}
    for c in result.components:
        by_id.setdefault(c.id, []).append(c)

    def parents(c: Component) -> list[Component]:
        ids = [ref.id for ref in c.base_models] + list(c.datasets)
        ids += [v for k, v in c.properties if k == "base_model"]
        return [p for i in ids for p in by_id.get(i, []) if p.kind is not Kind.LIBRARY]

    start = [c for c in result.components if in_artifact(c)]
    queue: deque[tuple[Component, list[str]]] = deque((c, [component_label(c)]) for c in start)
    seen = {c.key for c in start}
    while queue:
        current, path = queue.popleft()
        if current.key == target.key:
            return ["artifact", *path]
        for parent in parents(current):
            if parent.key not in seen:
                seen.add(parent.key)
                queue.append((parent, [*path, component_label(parent)]))
    return [component_label(target)]


def explain_component(
    result: ScanResult, verdict: ComponentVerdict, component: Component | None
) -> list[str]:
    """Lines explaining one component's (or the artifact's) verdict."""
    chain = result.chain
    policy = chain.policy_source if chain and chain.policy_source else "the default use profile"
    lines = [f"{verdict.component}: {verdict.verdict.value} (under {policy})"]
    if component is not None:
        lines.append("  path: " + " -> ".join(path_from_artifact(result, component)))
        if not verdict.in_artifact:
            lines.append("  not part of the shipped artifact (test, example, docs or lineage only)")
        for claim in component.licenses:
            where = ", ".join(x for x in (claim.source, claim.location, claim.fetched_at) if x)
            shown = claim.expression or claim.raw
            lines.append(f"  declared license: {shown} (declared as {claim.raw!r}; {where})")
        if not component.licenses:
            reason = component.resolution.reason or "no source had it"
            lines.append(f"  declared license: unknown ({reason})")
    if verdict.concluded:
        lines.append(f"  concluded license (whole chain): {verdict.concluded}")
    lines.extend(f"  choice: {choice}" for choice in verdict.choices)
    if verdict.contributions:
        lines.append("  terms that bind, and the path that brought each:")
        for c in verdict.contributions:
            source = f" [{c.source}]" if c.source else ""
            lines.append(f"    {c.dimension} = {c.value}: {c.license}{source}")
            lines.append(f"      via {c.render_path()}")
    if verdict.rules:
        lines.append("  rules:")
        for rule in verdict.rules:
            waived = f" (waived: {rule.waived_by})" if rule.waived_by else ""
            lines.append(f"    {rule.verdict.value}: {rule.rule}: {rule.message}{waived}")
            lines.extend(
                f"      because {because.license} via {because.render_path()}"
                for because in rule.because[:3]
            )
    else:
        lines.append("  rules: every rule of the declared use is met")
    lines.extend(f"  obligation: {duty}" for duty in verdict.obligations)
    return lines


def explain(result: ScanResult, query: str | None) -> list[str]:
    """The explanation for *query* (a component id), or for the artifact when None."""
    chain = result.chain
    if chain is None:
        return ["no license chain was computed"]
    lines: list[str] = []
    if chain.use:
        lines.append("declared use: " + ", ".join(f"{k}={v}" for k, v in sorted(chain.use.items())))
    if query is None:
        lines.extend(explain_component(result, chain.artifact, None))
    else:
        for component in find_components(result, query):
            verdict = chain.for_component(component.bom_ref)
            if verdict is not None:
                lines.extend(explain_component(result, verdict, component))
    lines.extend(f"waiver: {waiver}" for waiver in chain.waivers)
    return lines
