"""The license chain: which terms govern each component and the whole artifact, and why.

A graph over the scan's components: an adapter points to its base, a fine-tune or a
quantization to its base, a merge to every parent, a model to its training datasets,
and the artifact to every runtime component and library. A component's governing
terms are its own terms joined, dimension by dimension (see
:mod:`modelbom.licenses.terms`), with the governing terms of everything it derives from.
Each restrictive or unknown term is kept with the license that imposes it and the path
that brought it, so a report can show *why*.

- ``A OR B``: the alternative that best fits the declared use is taken, and the choice
  is recorded; ``A AND B`` and several declared licenses: both bind; ``A WITH E``: ``A``.
- Training data (unsettled law, so a setting): ``strict`` joins dataset terms into the
  model's; ``warn`` keeps them apart as contributions the policy turns into a review;
  ``off`` ignores them.
- Cycles (found in the wild) are cut: a component already on the path adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from modelbom.licenses.terms import PERMISSIVE, UNKNOWN_TERMS, Flag, Permission, Terms, combine
from modelbom.model import Component, Kind, Scope
from modelbom.model.verdict import Contribution, Step

CIVITAI_PERMISSIONS = "LicenseRef-modelbom-civitai-permissions"
_RUNTIME_SCOPES = frozenset({Scope.CODE, Scope.CONFIG})
_METADATA_CRAWLERS = frozenset({"hf-files", "weights", "license-files"})
# How a step relates to the one before it on a path: "X (adapter of)" reads "the previous
# component is an adapter of X".
_RELATION_LABELS = {
    "adapter": "adapter of",
    "finetune": "fine-tuned from",
    "quantized": "quantized from",
    "merge": "merged from",
    "base": "derived from",
}


class Knowledge(Protocol):
    """What the chain needs to know about licenses."""

    def terms(self, expression_id: str) -> Terms | None:
        """The terms of one license id; None when nothing is known of it."""

    def source(self, expression_id: str, dimension: str) -> str | None:
        """Where the knowledge base states *dimension* of the license."""

    def civitai(self, properties: Mapping[str, str]) -> Terms:
        """Terms from a CivitAI model's permission properties."""


def restrictive(terms: Terms) -> list[tuple[str, str]]:
    """The dimensions of *terms* that restrict or are unknown, as (dimension, value)."""
    out: list[tuple[str, str]] = []
    for name in ("commercial_use", "distribution", "network_service"):
        value: Permission = getattr(terms, name)
        if value is not Permission.ALLOWED:
            out.append((name, value.value))
    if terms.user_cap is not None:
        out.append(("user_cap", str(terms.user_cap)))
    elif not terms.user_cap_known:
        out.append(("user_cap", "unknown"))
    if terms.revenue_cap_usd is not None:
        out.append(("revenue_cap_usd", str(terms.revenue_cap_usd)))
    elif not terms.revenue_cap_known:
        out.append(("revenue_cap_usd", "unknown"))
    for name in ("use_restrictions", "attribution", "share_alike"):
        values: frozenset[str] = getattr(terms, name)
        out.extend((name, v) for v in sorted(values))
    for name in (
        "restrictions_flow_down",
        "source_disclosure_on_network_use",
        "output_training_restricted",
        "api_serving_restricted",
        "claims_output_rights",
    ):
        flag: Flag = getattr(terms, name)
        if flag is not Flag.NO:
            out.append((name, flag.value))
    return out


def component_label(component: Component) -> str:
    """``kind:id`` (with the ecosystem for hosted models and libraries)."""
    if component.ecosystem and component.kind in (Kind.HOSTED_MODEL, Kind.LIBRARY):
        return f"{component.kind.value}:{component.ecosystem}/{component.id}"
    return f"{component.kind.value}:{component.id}"


def in_artifact(component: Component) -> bool:
    """Whether the component is part of what ships: runtime code or configuration, and
    runtime libraries. Test-, example- and docs-only references are checked on their own
    but do not govern the artifact; lineage (a base or dataset named only in a committed
    model's card or header) is reached through the model it is lineage of."""
    if not component.evidence:
        return False
    if component.kind is not Kind.MODEL_FILE and all(
        ev.crawler in _METADATA_CRAWLERS for ev in component.evidence
    ):
        # Named only by a model card or a weights header: the lineage of a committed
        # model (its base, its training data), reached through that model.
        return False
    if component.kind is Kind.LIBRARY:
        scope = dict(component.properties).get("dependency_scope", "runtime")
        return scope == "runtime"
    return any(ev.scope in _RUNTIME_SCOPES for ev in component.evidence)


@dataclass(slots=True)
class Governed:
    """The governing terms of one component and what brought each restrictive term."""

    terms: Terms
    contributions: list[Contribution]
    licenses: list[str]  # every license id in the chain, for the concluded expression
    choices: list[str] = field(default_factory=list)
    training_data: list[Contribution] = field(default_factory=list)  # under "warn"


def _parse(expression: str) -> object | None:
    from modelbom.licenses.normalize import parse_expression

    return parse_expression(expression)


class ChainAnalysis:
    """Governing terms for every component of a scan and for the artifact."""

    def __init__(
        self,
        components: Sequence[Component],
        knowledge: Knowledge,
        *,
        training_data: str = "warn",
        rank: Callable[[Terms], tuple[int, ...]] | None = None,
    ) -> None:
        self.components = list(components)
        self.knowledge = knowledge
        self.training_data = training_data
        self.rank = rank or (lambda terms: (len(restrictive(terms)),))
        self._by_identity: dict[tuple[Kind, str], Component] = {}
        for c in self.components:
            if c.kind in (Kind.MODEL, Kind.ADAPTER, Kind.DATASET) and c.ecosystem is None:
                self._by_identity.setdefault((c.kind, c.id), c)
        self._memo: dict[tuple[str, ...], Governed] = {}  # by component key

    # -- a component's own licenses ---------------------------------------------------------

    def _symbol_terms(self, symbol: str, component: Component) -> tuple[Terms, bool]:
        """Terms of one license id, and whether anything is known of it."""
        if symbol == CIVITAI_PERMISSIONS:
            return self.knowledge.civitai(dict(component.properties)), True
        terms = self.knowledge.terms(symbol)
        return (terms, True) if terms is not None else (UNKNOWN_TERMS, False)

    def _evaluate(
        self, node: object, component: Component, choices: list[str]
    ) -> tuple[Terms, list[str]]:
        """Terms of a parsed expression and the license ids that bind."""
        from modelbom.licenses.normalize import expression_parts

        kind, parts = expression_parts(node)
        if kind == "symbol":
            symbol = str(parts[0])
            return self._symbol_terms(symbol, component)[0], [symbol]
        evaluated = [self._evaluate(p, component, choices) for p in parts]
        if kind == "and":
            return combine(t for t, _ in evaluated), [s for _, ids in evaluated for s in ids]
        best = min(range(len(evaluated)), key=lambda i: self.rank(evaluated[i][0]))
        chosen = " AND ".join(evaluated[best][1])
        others = [" AND ".join(ids) for i, (_, ids) in enumerate(evaluated) if i != best]
        choices.append(
            f"{component_label(component)}: chose {chosen} over {', '.join(others)} "
            "(the alternative that best fits the declared use)"
        )
        return evaluated[best]

    def own(self, component: Component) -> Governed:
        """The component's own terms, with a contribution per restrictive term."""
        step = Step(component=component_label(component))
        if not component.licenses:
            contribution = Contribution(
                dimension="license", value="unknown", license="(none found)", path=(step,)
            )
            return Governed(UNKNOWN_TERMS, [contribution], [])
        choices: list[str] = []
        terms_list: list[Terms] = []
        licenses: list[str] = []
        contributions: list[Contribution] = []
        for claim in component.licenses:
            expression = claim.expression or claim.raw
            node = _parse(expression) if claim.expression else None
            if node is None:
                symbols_terms = [(UNKNOWN_TERMS, [expression])]
            else:
                symbols_terms = [self._evaluate(node, component, choices)]
            for terms, ids in symbols_terms:
                terms_list.append(terms)
                licenses.extend(ids)
                for symbol in ids:
                    contributions.extend(self._contributions(symbol, component, step))
        return Governed(combine(terms_list), contributions, licenses, choices)

    def _contributions(self, symbol: str, component: Component, step: Step) -> list[Contribution]:
        terms, known = self._symbol_terms(symbol, component)
        at = step.model_copy(update={"license": symbol})
        if not known:
            return [Contribution(dimension="license", value="unknown", license=symbol, path=(at,))]
        return [
            Contribution(
                dimension=dimension,
                value=value,
                license=symbol,
                path=(at,),
                source=self.knowledge.source(symbol, dimension),
            )
            for dimension, value in restrictive(terms)
        ]

    # -- inheritance -------------------------------------------------------------------

    def _parents(self, component: Component) -> list[tuple[Component | None, str, str]]:
        """(parent, relation, id) for every base model and (per the setting) dataset."""
        out: list[tuple[Component | None, str, str]] = []
        bases = [(ref.id, ref.relation.value) for ref in component.base_models]
        if not bases:
            # An adapter loaded onto a base in code, not (yet) resolved on a source.
            bases = [(v, "adapter") for k, v in component.properties if k == "base_model"]
        for base_id, relation in bases:
            parent = self._by_identity.get((Kind.MODEL, base_id)) or self._by_identity.get(
                (Kind.ADAPTER, base_id)
            )
            out.append((parent, _RELATION_LABELS.get(relation, "derived from"), base_id))
        if self.training_data != "off":
            out.extend(
                (self._by_identity.get((Kind.DATASET, dataset)), "trained on", dataset)
                for dataset in component.datasets
            )
        return out

    def governed(self, component: Component, _path: tuple[tuple[str, ...], ...] = ()) -> Governed:
        """Governing terms of *component*: its own joined with everything it derives from."""
        key = component.key
        if key in self._memo:
            return self._memo[key]
        own = self.own(component)
        terms = [own.terms]
        contributions = list(own.contributions)
        licenses = list(own.licenses)
        choices = list(own.choices)
        warn: list[Contribution] = []
        here = Step(
            component=component_label(component), license=" AND ".join(own.licenses) or None
        )
        for parent, relation, parent_id in self._parents(component):
            if parent is not None and parent.key in (*_path, key):
                continue  # a cycle: the component is already on the path
            if parent is None:
                sub = Governed(
                    UNKNOWN_TERMS,
                    [
                        Contribution(
                            dimension="license",
                            value="unknown",
                            license="(not resolved)",
                            path=(Step(component=f"model:{parent_id}"),),
                        )
                    ],
                    [],
                )
            else:
                sub = self.governed(parent, (*_path, key))
            prefixed = [
                c.model_copy(
                    update={
                        "path": (
                            here,
                            c.path[0].model_copy(update={"relation": relation}),
                            *c.path[1:],
                        )
                    }
                )
                for c in sub.contributions
            ]
            if relation == "trained on" and self.training_data == "warn":
                warn.extend(prefixed)
                continue
            terms.append(sub.terms)
            contributions.extend(prefixed)
            licenses.extend(sub.licenses)
            choices.extend(sub.choices)
            warn.extend(w.model_copy(update={"path": (here, *w.path)}) for w in sub.training_data)
        result = Governed(
            combine(terms),
            _dedupe(contributions),
            _unique(licenses),
            _unique(choices),
            _dedupe(warn),
        )
        if not _path:
            self._memo[key] = result
        return result

    def artifact(self) -> Governed:
        """The terms that govern the whole artifact: every runtime component's, joined."""
        root = Step(component="artifact")
        parts = [self.governed(c) for c in self.components if in_artifact(c)]
        contributions = [
            c.model_copy(update={"path": (root, *c.path)}) for g in parts for c in g.contributions
        ]
        warn = [
            c.model_copy(update={"path": (root, *c.path)}) for g in parts for c in g.training_data
        ]
        return Governed(
            combine(g.terms for g in parts) if parts else PERMISSIVE,
            _dedupe(contributions),
            _unique(lic for g in parts for lic in g.licenses),
            _unique(ch for g in parts for ch in g.choices),
            _dedupe(warn),
        )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _dedupe(contributions: Iterable[Contribution]) -> list[Contribution]:
    """One contribution per (dimension, value, license, origin, first hop): the shortest
    path. Keeping the first hop shows every part that brings a term (the base loaded
    directly, and the same base reached through an adapter) without listing every path
    through a diamond of shared ancestors."""
    best: dict[tuple[str, str, str, str, str], Contribution] = {}
    for c in contributions:
        first_hop = c.path[1].component if len(c.path) > 1 else ""
        key = (c.dimension, c.value, c.license, c.path[-1].component, first_hop)
        if key not in best or len(c.path) < len(best[key].path):
            best[key] = c
    return sorted(
        best.values(), key=lambda c: (c.dimension, c.value, c.license, len(c.path), c.render_path())
    )


def concluded(governed: Governed, declared: Sequence[str]) -> str | None:
    """The AND of every license in the chain, when it differs from the declared licenses."""
    chain = sorted(set(governed.licenses))
    if not chain or sorted(set(declared)) == chain:
        return None
    return " AND ".join(f"({x})" if " OR " in x else x for x in chain)
