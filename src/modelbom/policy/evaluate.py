"""Verdicts: the governing terms of each component and of the artifact, checked against
the declared use and the policy's lists, with waivers applied.

Each rule gives ``allowed``, ``review`` or ``violation`` with a message and the
contributions (license and path) that caused it. A component's verdict is its worst
rule; the artifact's verdict is the worst of the rules on its own governing terms
(which join every runtime component's). A waiver that names the component and has not
expired lifts a review or a violation to allowed, and says so; an expired waiver is
listed and lifts nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from modelbom.licenses.chain import ChainAnalysis, Governed, Knowledge, component_label, concluded
from modelbom.licenses.chain import in_artifact as is_in_artifact
from modelbom.licenses.terms import Flag, Permission, Terms
from modelbom.model import Component, ScanResult
from modelbom.model.verdict import (
    ChainReport,
    ComponentVerdict,
    Contribution,
    RuleResult,
    Verdict,
    worst,
)
from modelbom.policy.model import Distribution, Policy, UnknownLicense, UseProfile, Waiver

CategoryOf = Callable[[str], str | None]


def _because(governed: Governed, *dimensions: str) -> tuple[Contribution, ...]:
    return tuple(c for c in governed.contributions if c.dimension in dimensions)


def _permission_rule(
    rule: str, value: Permission, governed: Governed, dimension: str, what: str
) -> RuleResult | None:
    because = _because(governed, dimension)
    if value is Permission.NOT_ALLOWED:
        return RuleResult(
            rule=rule, verdict=Verdict.VIOLATION, message=f"{what} is not allowed", because=because
        )
    if value is Permission.UNKNOWN:
        return RuleResult(
            rule=rule,
            verdict=Verdict.REVIEW,
            message=f"whether {what} is allowed is unknown",
            because=because,
        )
    return None


def check_terms(terms: Terms, governed: Governed, use: UseProfile) -> list[RuleResult]:
    """The rules of the declared use against governing *terms*."""
    results: list[RuleResult | None] = []
    if use.commercial:
        results.append(
            _permission_rule(
                "commercial-use", terms.commercial_use, governed, "commercial_use", "commercial use"
            )
        )
    if use.distribution is Distribution.DISTRIBUTED:
        results.append(
            _permission_rule(
                "distribution", terms.distribution, governed, "distribution", "distribution"
            )
        )
    if use.distribution is Distribution.NETWORK_SERVICE:
        results.append(
            _permission_rule(
                "network-service",
                terms.network_service,
                governed,
                "network_service",
                "serving it as a network service",
            )
        )
        if terms.source_disclosure_on_network_use is Flag.YES:
            results.append(
                RuleResult(
                    rule="network-source-disclosure",
                    verdict=Verdict.REVIEW,
                    message="serving it over a network obliges you to offer its source to users",
                    because=_because(governed, "source_disclosure_on_network_use"),
                )
            )
        if terms.api_serving_restricted is Flag.YES:
            results.append(
                RuleResult(
                    rule="api-serving",
                    verdict=Verdict.REVIEW,
                    message="offering the model itself as an API is restricted",
                    because=_because(governed, "api_serving_restricted"),
                )
            )
    mau = use.monthly_active_users
    if terms.user_cap is not None and mau is not None and mau > terms.user_cap:
        results.append(
            RuleResult(
                rule="user-cap",
                verdict=Verdict.VIOLATION,
                message=f"{mau:,} monthly active users exceed the cap of {terms.user_cap:,}",
                because=_because(governed, "user_cap"),
            )
        )
    revenue = use.annual_revenue_usd
    if (
        terms.revenue_cap_usd is not None
        and revenue is not None
        and revenue > terms.revenue_cap_usd
    ):
        results.append(
            RuleResult(
                rule="revenue-cap",
                verdict=Verdict.VIOLATION,
                message=(
                    f"annual revenue of USD {revenue:,} exceeds the cap of "
                    f"USD {terms.revenue_cap_usd:,}"
                ),
                because=_because(governed, "revenue_cap_usd"),
            )
        )
    if use.outputs_train_models and terms.output_training_restricted is not Flag.NO:
        verdict = (
            Verdict.VIOLATION if terms.output_training_restricted is Flag.YES else Verdict.REVIEW
        )
        results.append(
            RuleResult(
                rule="output-training",
                verdict=verdict,
                message="using its outputs to train other models is restricted"
                if verdict is Verdict.VIOLATION
                else "whether its outputs may train other models is unknown",
                because=_because(governed, "output_training_restricted"),
            )
        )
    return [r for r in results if r is not None]


def obligations(terms: Terms) -> tuple[str, ...]:
    """Duties the governing terms impose, for the reports."""
    out = [f"use restriction: {r}" for r in sorted(terms.use_restrictions)]
    if terms.restrictions_flow_down is Flag.YES:
        out.append("pass the use restrictions on to derivatives and downstream users")
    out.extend(f"attribution: {a}" for a in sorted(terms.attribution))
    out.extend(f"share-alike: {s}" for s in sorted(terms.share_alike))
    if terms.source_disclosure_on_network_use is Flag.YES:
        out.append("offer the corresponding source to users of a network service")
    return tuple(out)


def _matches(pattern: str, license_id: str, category: str | None) -> bool:
    if pattern.startswith("category:"):
        return category == pattern.removeprefix("category:")
    return pattern.lower() == license_id.lower()


def check_lists(governed: Governed, policy: Policy, category_of: CategoryOf) -> list[RuleResult]:
    """Deny, review and allow lists against every license in the chain."""
    rules = policy.policy
    results: list[RuleResult] = []
    for license_id in governed.licenses:
        category = category_of(license_id)
        because = tuple(c for c in governed.contributions if c.license == license_id)[:1]
        if any(_matches(p, license_id, category) for p in rules.deny):
            results.append(
                RuleResult(
                    rule="deny-list",
                    verdict=Verdict.VIOLATION,
                    message=f"{license_id} is denied by the policy",
                    because=because,
                )
            )
        elif any(_matches(p, license_id, category) for p in rules.review):
            results.append(
                RuleResult(
                    rule="review-list",
                    verdict=Verdict.REVIEW,
                    message=f"{license_id} needs review by the policy",
                    because=because,
                )
            )
        elif rules.allow and not any(_matches(p, license_id, category) for p in rules.allow):
            results.append(
                RuleResult(
                    rule="allow-list",
                    verdict=Verdict.REVIEW,
                    message=f"{license_id} is not on the policy's allow list",
                    because=because,
                )
            )
    unknown = [c for c in governed.contributions if c.dimension == "license"]
    if unknown and rules.unknown is not UnknownLicense.ALLOWED:
        verdict = Verdict.VIOLATION if rules.unknown is UnknownLicense.VIOLATION else Verdict.REVIEW
        results.append(
            RuleResult(
                rule="unknown-license",
                verdict=verdict,
                message="a license in the chain is unknown",
                because=tuple(unknown),
            )
        )
    if governed.training_data:
        results.append(
            RuleResult(
                rule="training-data",
                verdict=Verdict.REVIEW,
                message="training data is licensed on restrictive or unknown terms "
                "(training-data = warn)",
                because=tuple(governed.training_data),
            )
        )
    return results


def _waiver_for(label: str, rule: str, policy: Policy, today: date) -> Waiver | None:
    """The active waiver that covers *rule* of the component labelled *label*."""
    component_id = label.split(":", 1)[1]
    for waiver in policy.waivers:
        if (
            waiver.component in (component_id, label)
            and (waiver.rule is None or waiver.rule == rule)
            and waiver.active(today)
        ):
            return waiver
    return None


def _waived(result: RuleResult, waivers: list[Waiver]) -> RuleResult:
    text = "; ".join(
        f"{w.approver}, until {w.expires.isoformat()}: {w.reason}" for w in dict.fromkeys(waivers)
    )
    return result.model_copy(update={"verdict": Verdict.ALLOWED, "waived_by": text})


def _apply_waivers(
    label: str, results: list[RuleResult], policy: Policy, today: date, *, artifact: bool = False
) -> list[RuleResult]:
    """Lift the rules that active waivers cover.

    For the artifact, a rule is lifted when every component that brings it (the first
    hop of each path in its ``because``) is covered by an active waiver for that rule.
    """
    out: list[RuleResult] = []
    for result in results:
        if result.verdict is Verdict.ALLOWED:
            out.append(result)
            continue
        if artifact:
            entries = {c.path[1].component for c in result.because if len(c.path) > 1}
            found = [_waiver_for(entry, result.rule, policy, today) for entry in sorted(entries)]
            waivers = [w for w in found if w is not None]
            if entries and len(waivers) == len(found):
                out.append(_waived(result, waivers))
            else:
                out.append(result)
            continue
        waiver = _waiver_for(label, result.rule, policy, today)
        out.append(result if waiver is None else _waived(result, [waiver]))
    return out


def _rank_for(use: UseProfile) -> Callable[[Terms], tuple[int, ...]]:
    """Order OR alternatives: fewest violations, then fewest reviews, then fewest terms."""

    def rank(terms: Terms) -> tuple[int, ...]:
        from modelbom.licenses.chain import restrictive

        empty = Governed(terms, [], [])
        results = check_terms(terms, empty, use)
        violations = sum(r.verdict is Verdict.VIOLATION for r in results)
        reviews = sum(r.verdict is Verdict.REVIEW for r in results)
        return (violations, reviews, len(restrictive(terms)))

    return rank


def _use_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(getattr(value, "value", value))


def evaluate(
    result: ScanResult,
    policy: Policy,
    knowledge: Knowledge,
    category_of: CategoryOf,
    *,
    today: date,
) -> ChainReport:
    """The chain report of a scan under *policy*."""
    analysis = ChainAnalysis(
        result.components,
        knowledge,
        training_data=policy.policy.training_data.value,
        rank=_rank_for(policy.use),
    )

    def verdict_for(
        component: Component | None,
        governed: Governed,
        label: str,
        bom_ref: str,
        declared: Sequence[str],
        part: bool,
    ) -> ComponentVerdict:
        rules = check_terms(governed.terms, governed, policy.use) + check_lists(
            governed, policy, category_of
        )
        rules = _apply_waivers(label, rules, policy, today, artifact=component is None)
        return ComponentVerdict(
            component=label,
            bom_ref=bom_ref,
            governing=governed.terms,
            contributions=tuple(governed.contributions),
            concluded=concluded(governed, declared) if component is not None else None,
            choices=tuple(governed.choices),
            in_artifact=part,
            verdict=worst([r.verdict for r in rules]),
            rules=tuple(rules),
            obligations=obligations(governed.terms),
        )

    components = []
    for component in result.components:
        governed = analysis.governed(component)
        declared = [c.expression or c.raw for c in component.licenses]
        components.append(
            verdict_for(
                component,
                governed,
                component_label(component),
                component.bom_ref,
                declared,
                is_in_artifact(component),
            )
        )
    artifact = verdict_for(
        None, analysis.artifact(), "artifact:" + result.source.name, "root", [], True
    )
    waivers = tuple(
        f"{w.component}: {w.reason} (approved by {w.approver}, "
        + (
            f"until {w.expires.isoformat()})"
            if w.active(today)
            else f"EXPIRED on {w.expires.isoformat()}; not applied)"
        )
        for w in policy.waivers
    )
    use = {k: _use_value(v) for k, v in policy.use.model_dump().items() if v is not None}
    return ChainReport(
        policy_source=policy.source,
        use=use,
        training_data=policy.policy.training_data.value,
        artifact=artifact,
        components=tuple(components),
        waivers=waivers,
    )
