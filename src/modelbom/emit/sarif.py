"""``sarif``: SARIF 2.1.0 for code-scanning tools (GitHub code scanning and others).

One run; ``tool.driver`` is modelbom with one rule per policy rule of
:mod:`modelbom.policy.evaluate` (``modelbom/policy/<rule>``), plus
``modelbom/unknown/unreadable-file`` and ``modelbom/resolution/unresolved``.

Results:

- every rule of a component (not of the artifact, whose rules repeat its components')
  that is not met: ``error`` for a violation, ``warning`` for a review. A rule lifted by
  an active waiver is still reported, with its original level and a suppression
  (``kind: external``, the waiver as justification), so code scanning shows it closed;
- every unknown (a file that could not be listed, read or parsed): ``warning``, at the
  file, without a region;
- every unresolved component: ``note``.

Locations: one per occurrence of the component (path relative to the scanned root,
percent-encoded, ``uriBaseId: %SRCROOT%``, line and column). A component known only
from lineage (a base model, a training dataset) has no occurrence; its results are
placed at the occurrences of the components the code references that derive from it,
since that is where a reader can act. GitHub rejects a whole upload when one result has
no location, so a result never goes without one: the last resort is the repository root.

Levels and severities: GitHub shows ``level`` (error, warning, note) for rules without
the ``security`` tag, which is what these are: license compliance, not vulnerabilities.
Each rule still carries ``properties.security-severity`` on GitHub's scale for tools that
read it: ``7.0`` (high) for a rule that can give a violation, ``4.0`` (medium) for a
review-only rule, ``2.0`` (low) for an unreadable file or an unresolved component.

``partialFingerprints["modelbom/v1"]`` is a SHA-256 of the rule id, the component's
identity, the file and line of the first location and the rule's message (a deny list
can fire twice on one component, once per license), so the same finding keeps its
fingerprint across runs. The log is sorted, holds no time, and is validated against the
official schema (``data/sarif-2.1.0.json``) before it is returned.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any
from urllib.parse import quote

from jsonschema import FormatChecker  # type: ignore[import-untyped]
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]
from jsonschema.validators import validator_for  # type: ignore[import-untyped]

from modelbom.emit.base import EmitError, EmitOptions, Emitter
from modelbom.emit.markdown import Lineage
from modelbom.licenses.chain import component_label, in_artifact
from modelbom.model import Component, ScanResult, Unknown
from modelbom.model.verdict import ComponentVerdict, Contribution, RuleResult, Verdict

SARIF_VERSION = "2.1.0"
SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SCHEMA_FILE = "sarif-2.1.0.json"  # in modelbom/emit/data/
SRCROOT = "%SRCROOT%"
FINGERPRINT = "modelbom/v1"

POLICY_PREFIX = "modelbom/policy/"
UNREADABLE_FILE = "modelbom/unknown/unreadable-file"
UNRESOLVED = "modelbom/resolution/unresolved"

LEVELS = {Verdict.VIOLATION: "error", Verdict.REVIEW: "warning"}
SEVERITY_VIOLATION = "7.0"
SEVERITY_REVIEW = "4.0"
SEVERITY_INCOMPLETE = "2.0"

_WAIVER_HELP = (
    " When the use has been cleared, record it as a waiver in modelbom.toml"
    " ([[waivers]] with component, reason, approver, expires and optionally rule):"
    " the result is then reported as suppressed until the waiver expires."
    " `modelbom explain ID` shows every term and the path that brought it."
)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A SARIF rule (``reportingDescriptor``): what it checks and how bad it can be."""

    id: str
    name: str
    short: str
    full: str
    help: str
    can_violate: bool
    can_review: bool
    tags: tuple[str, ...]

    @property
    def default_level(self) -> str:
        if self.can_violate:
            return "error"
        return "warning" if self.can_review else "note"

    @property
    def security_severity(self) -> str:
        if self.can_violate:
            return SEVERITY_VIOLATION
        return SEVERITY_REVIEW if self.can_review else SEVERITY_INCOMPLETE


def _policy_rule(
    name: str, short: str, full: str, help_text: str, *, violate: bool, review: bool
) -> RuleSpec:
    return RuleSpec(
        id=POLICY_PREFIX + name,
        name=name,
        short=short,
        full=full,
        help=help_text + _WAIVER_HELP,
        can_violate=violate,
        can_review=review,
        tags=("license", "compliance", "ai-bom"),
    )


_CHAIN = (
    "the governing terms of the component's chain (its own license joined with those of"
    " every base model, adapter base and merge parent)"
)

# The rules of modelbom.policy.evaluate, in the order of docs/policy.md.
POLICY_RULES: dict[str, RuleSpec] = {
    spec.name: spec
    for spec in (
        _policy_rule(
            "commercial-use",
            "Commercial use is not allowed by the governing terms",
            f"The declared use is commercial ([use] commercial = true) and {_CHAIN} do not"
            " allow commercial use: a violation. When the terms do not say whether they"
            " allow it, the result is a review.",
            "Read the license named in the message and the path that brought it. Replace"
            " the component, obtain a commercial licence from the licensor, or correct the"
            " declared use.",
            violate=True,
            review=True,
        ),
        _policy_rule(
            "distribution",
            "Distribution is not allowed by the governing terms",
            f'The declared use distributes the artifact (distribution = "distributed") and'
            f" {_CHAIN} do not allow distribution: a violation; a review when they do not"
            " say.",
            "Read the license named in the message. Replace the component, obtain the right"
            " to distribute it from the licensor, or correct the declared use.",
            violate=True,
            review=True,
        ),
        _policy_rule(
            "network-service",
            "Serving over a network is not allowed by the governing terms",
            "The declared use serves the artifact over a network (distribution ="
            f' "network-service") and {_CHAIN} do not allow it: a violation; a review when'
            " they do not say.",
            "Read the license named in the message. Replace the component, obtain the right"
            " to offer it as a service from the licensor, or correct the declared use.",
            violate=True,
            review=True,
        ),
        _policy_rule(
            "network-source-disclosure",
            "A network service must offer its source to its users",
            "The declared use is a network service and a license in the chain has an"
            " AGPL-style clause: users of the service must be offered the corresponding"
            " source. Always a review.",
            "Check that the source of the component (and of your changes to it) is offered"
            " to the service's users, or replace the component.",
            violate=False,
            review=True,
        ),
        _policy_rule(
            "api-serving",
            "Offering the model itself as an API is restricted",
            "The declared use is a network service and a license in the chain restricts"
            " offering the model itself as an API. Always a review.",
            "Check that the service does not give users access to the model as such (for"
            " example as a hosted-model API), or obtain the right from the licensor.",
            violate=False,
            review=True,
        ),
        _policy_rule(
            "user-cap",
            "Monthly active users exceed a license's cap",
            "The declared monthly_active_users is above the smallest monthly-active-user cap"
            " of a license in the chain (the Llama licenses set 700 million). Above the cap"
            " the license requires a separate licence from the licensor. Always a"
            " violation.",
            "Obtain a licence from the licensor for the declared number of users, replace"
            " the component, or correct the declared use.",
            violate=True,
            review=False,
        ),
        _policy_rule(
            "revenue-cap",
            "Annual revenue exceeds a license's cap",
            "The declared annual_revenue_usd is above the smallest revenue cap of a license"
            " in the chain. Always a violation.",
            "Obtain a licence from the licensor, replace the component, or correct the"
            " declared use.",
            violate=True,
            review=False,
        ),
        _policy_rule(
            "output-training",
            "Training other models on the outputs is restricted",
            "The declared use trains other models on the outputs (outputs_train_models ="
            " true) and a license in the chain restricts it: a violation; a review when it"
            " does not say.",
            "Stop training on the outputs, replace the component, or obtain the right from"
            " the licensor.",
            violate=True,
            review=True,
        ),
        _policy_rule(
            "deny-list",
            "A license in the chain is on the policy's deny list",
            "The policy's deny list ([policy] deny) names a license, or the category of a"
            " license, somewhere in the component's chain, the licenses of its bases"
            " included. Always a violation.",
            "Replace the component, or change the policy if the license should not be denied.",
            violate=True,
            review=False,
        ),
        _policy_rule(
            "review-list",
            "A license in the chain is on the policy's review list",
            "The policy's review list ([policy] review) names a license, or the category of"
            " a license, somewhere in the component's chain. Always a review.",
            "Have the license reviewed for the declared use.",
            violate=False,
            review=True,
        ),
        _policy_rule(
            "allow-list",
            "A license in the chain is not on the policy's allow list",
            "The policy sets an allow list ([policy] allow) and a license in the component's"
            " chain is not on it. Always a review.",
            "Have the license reviewed, and add it to the allow list if it is acceptable.",
            violate=False,
            review=True,
        ),
        _policy_rule(
            "unknown-license",
            "A license in the chain is not known",
            "No license was found for a component in the chain, or its license is not in"
            " modelbom's knowledge base of terms, so what it allows cannot be checked. The"
            " policy's [policy] unknown setting makes this a review (the default) or a"
            " violation.",
            "Find the component's license (its model card, its repository, the licensor)"
            " and check it against the declared use.",
            violate=True,
            review=True,
        ),
        _policy_rule(
            "training-data",
            "Training data is licensed on restrictive or unknown terms",
            "A model in the chain was trained on a dataset whose license is restrictive or"
            " unknown. Whether dataset terms bind the trained weights is unsettled law, so"
            ' under training_data = "warn" (the default) this is a review; "strict" joins'
            " the dataset's terms into the model's and \"off\" ignores datasets.",
            "Have the dataset's license reviewed for the declared use of the model.",
            violate=False,
            review=True,
        ),
    )
}

UNREADABLE_RULE = RuleSpec(
    id=UNREADABLE_FILE,
    name="unreadable-file",
    short="A file could not be read or parsed",
    full="modelbom could not list, read or parse this file (too large, not valid in its"
    " language, a special file, a link out of the repository, or a crawler failed on it),"
    " so references in it may be missing from the bill of materials. `modelbom scan"
    " --strict` exits 3 on it.",
    help="Read the reason in the message. Fix the file if it is broken; otherwise check by"
    " hand that it references no model, adapter or dataset.",
    can_violate=False,
    can_review=True,
    tags=("ai-bom", "incomplete-scan"),
)
UNRESOLVED_RULE = RuleSpec(
    id=UNRESOLVED,
    name="unresolved",
    short="No license or lineage facts were found for a component",
    full="No resolver had facts for this component, so its license and base models are"
    " unknown and its terms count as unknown. Offline scans use only local sources and"
    " caches. `modelbom scan --strict` exits 3 on it.",
    help="Scan without --offline, give access to a gated repository, or find the"
    " component's license by hand and check it against the declared use.",
    can_violate=False,
    can_review=False,
    tags=("ai-bom", "incomplete-scan"),
)

_STAGE_VERBS = {"walk": "list", "read": "read", "crawl": "parse", "resolve": "resolve"}
_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _unknown_rule(name: str) -> RuleSpec:
    """A descriptor for a policy rule this module does not describe yet."""
    return _policy_rule(
        name,
        f"Policy rule {name} is not met",
        f"The policy rule {name} is not met by the governing terms of the component's chain.",
        "Read the message and the path that brought it.",
        violate=True,
        review=True,
    )


def _descriptor(spec: RuleSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "name": spec.name,
        "shortDescription": {"text": spec.short},
        "fullDescription": {"text": spec.full},
        "help": {"text": spec.help},
        "defaultConfiguration": {"level": spec.default_level},
        "properties": {
            "security-severity": spec.security_severity,
            "tags": list(spec.tags),
        },
    }


def _rules(result: ScanResult) -> list[RuleSpec]:
    """Every rule modelbom can report, in a fixed order, then any it does not describe."""
    specs = [*POLICY_RULES.values(), UNREADABLE_RULE, UNRESOLVED_RULE]
    seen = {
        rule.rule
        for verdict in (result.chain.components if result.chain else ())
        for rule in verdict.rules
    }
    specs.extend(_unknown_rule(name) for name in sorted(seen - POLICY_RULES.keys()))
    return specs


# -- locations --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class _Place:
    """Where a result is shown: a file, and a line and column when known."""

    file: str
    line: int = 0
    column: int = 0

    def location(self) -> dict[str, Any]:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": _uri(self.file), "uriBaseId": SRCROOT}
        }
        if self.line:
            physical["region"] = {"startLine": self.line, "startColumn": self.column or 1}
        return {"physicalLocation": physical}


ROOT = _Place(".")


def _uri(path: str) -> str:
    """A relative path as a URI reference: percent-encoded, ``/`` kept, never a scheme."""
    return quote(path, safe="/") or "."


def _places(component: Component) -> list[_Place]:
    return sorted({_Place(ev.file, ev.line, ev.column) for ev in component.evidence})


class _Locator:
    """Places for the results of each component, lineage included."""

    def __init__(self, components: Sequence[Component]) -> None:
        self.components = sorted(components, key=lambda c: c.key)
        lineage = Lineage(self.components)
        self.ancestors = {c.key: lineage.ancestors(c) for c in self.components if c.evidence}

    def referencing(self, component: Component) -> list[Component]:
        """Components the code references that derive from *component* (shipped first)."""
        found = [
            c
            for c in self.components
            if c.evidence and component.key in self.ancestors.get(c.key, set())
        ]
        shipped = [c for c in found if in_artifact(c)]
        return shipped or found

    def places(self, component: Component) -> tuple[list[_Place], list[Component]]:
        """Where to show *component*'s results, and the components that lead there."""
        own = _places(component)
        if own:
            return own, []
        via = self.referencing(component)
        places = sorted({p for c in via for p in _places(c)})
        return (places or [ROOT]), via


# -- results ----------------------------------------------------------------------------------


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _original_verdict(rule: RuleResult) -> Verdict:
    """The verdict a waived rule had before the waiver lifted it.

    The model keeps only the lifted verdict (allowed) and the waiver. A rule that gives
    one verdict only is that verdict; for the others, the terms that brought the rule
    decide: a term that forbids (``not-allowed``, ``yes``) was a violation, an unknown
    one a review. ``unknown-license`` is taken as a review, the policy's default.
    """
    if not rule.waived_by:
        return rule.verdict
    spec = POLICY_RULES.get(rule.rule)
    if spec is None or not spec.can_violate:
        return Verdict.REVIEW
    if not spec.can_review:
        return Verdict.VIOLATION
    if rule.rule != "unknown-license" and any(
        c.value in ("not-allowed", "yes") for c in rule.because
    ):
        return Verdict.VIOLATION
    return Verdict.REVIEW


def _result(
    rule_id: str,
    index: int,
    level: str,
    text: str,
    places: Sequence[_Place],
    fingerprint: str,
    properties: dict[str, Any],
) -> dict[str, Any]:
    return {
        "ruleId": rule_id,
        "ruleIndex": index,
        "level": level,
        "message": {"text": text},
        "locations": [p.location() for p in places],
        "partialFingerprints": {FINGERPRINT: fingerprint},
        "properties": properties,
    }


def _plain(text: str) -> str:
    """Message text with literal square brackets escaped, so no consumer reads a link."""
    return text.replace("[", "\\[").replace("]", "\\]")


def _path(contribution: Contribution) -> str:
    """``a (license) -> adapter of b (license)``: a path without square brackets."""
    hops = []
    for step in contribution.path:
        text = step.component
        if step.relation:
            text = f"{step.relation} {text}"
        if step.license:
            text += f" ({step.license})"
        hops.append(text)
    return " -> ".join(hops)


def _cause(contribution: Contribution) -> str:
    """The license that brings a rule, and the path it comes by."""
    license_id = contribution.license
    if license_id.startswith("(") and license_id.endswith(")"):
        license_id = license_id[1:-1]  # "(none found)", "(not resolved)"
    if len(contribution.path) < 2:
        return f"its own license: {license_id}"
    return f"license {license_id} via {_path(contribution)}"


def _rule_message(
    label: str, rule: RuleResult, via: Sequence[Component], shipped: bool, has_evidence: bool
) -> str:
    text = f"{label}: {rule.message}"
    paths = list(dict.fromkeys(_cause(c) for c in rule.because))
    if paths:
        more = len(paths) - 1
        text += (
            f" ({paths[0]}" + (f"; and {more} more path{'s' * (more > 1)}" if more else "") + ")"
        )
    if via:
        text += ". Reached through " + ", ".join(component_label(c) for c in via)
    elif not shipped and has_evidence:
        text += ". Not part of the shipped artifact"
    if rule.waived_by:
        text += f". Waived: {rule.waived_by}"
    return _plain(text)


def _component_results(
    component: Component,
    verdict: ComponentVerdict,
    locator: _Locator,
    index: dict[str, int],
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    label = component_label(component)
    for rule in verdict.rules:
        if rule.verdict is Verdict.ALLOWED and not rule.waived_by:
            continue
        rule_id = POLICY_PREFIX + rule.rule
        places, via = locator.places(component)
        original = _original_verdict(rule)
        first = places[0]
        result = _result(
            rule_id,
            index[rule_id],
            LEVELS[original],
            _rule_message(label, rule, via, verdict.in_artifact, bool(component.evidence)),
            places,
            _fingerprint(rule_id, *component.key, first.file, str(first.line), rule.message),
            {
                "component": label,
                "bomRef": component.bom_ref,
                "verdict": original.value,
                "inArtifact": verdict.in_artifact,
            },
        )
        if rule.waived_by:
            result["suppressions"] = [
                {"kind": "external", "status": "accepted", "justification": rule.waived_by}
            ]
        out.append(result)
    return out


def _unknown_result(unknown: Unknown, index: dict[str, int]) -> dict[str, Any]:
    verb = _STAGE_VERBS.get(unknown.stage.value, "read")
    place = ROOT if unknown.file in ("", ".") else _Place(unknown.file)
    return _result(
        UNREADABLE_FILE,
        index[UNREADABLE_FILE],
        "warning",
        _plain(f"could not {verb} {unknown.file}: {unknown.reason}"),
        [place],
        _fingerprint(UNREADABLE_FILE, unknown.file, unknown.stage.value, unknown.reason),
        {"stage": unknown.stage.value},
    )


def _unresolved_result(
    component: Component, locator: _Locator, index: dict[str, int]
) -> dict[str, Any]:
    label = component_label(component)
    places, via = locator.places(component)
    reason = component.resolution.reason or "no source had it"
    text = f"{label}: no license or lineage facts were found: {reason}"
    if via:
        text += ". Reached through " + ", ".join(component_label(c) for c in via)
    first = places[0]
    return _result(
        UNRESOLVED,
        index[UNRESOLVED],
        "note",
        _plain(text),
        places,
        _fingerprint(UNRESOLVED, *component.key, first.file, str(first.line)),
        {"component": label, "bomRef": component.bom_ref},
    )


def _sort_key(result: dict[str, Any]) -> tuple[str, int, int, str, str, str]:
    physical = result["locations"][0]["physicalLocation"]
    region = physical.get("region", {})
    return (
        physical["artifactLocation"]["uri"],
        region.get("startLine", 0),
        region.get("startColumn", 0),
        result["ruleId"],
        result["message"]["text"],
        result["partialFingerprints"][FINGERPRINT],
    )


def _results(result: ScanResult, index: dict[str, int]) -> list[dict[str, Any]]:
    locator = _Locator(result.components)
    out: list[dict[str, Any]] = []
    chain = result.chain
    if chain is not None:
        verdicts = {v.bom_ref: v for v in chain.components}
        for component in result.components:
            verdict = verdicts.get(component.bom_ref)
            if verdict is not None:
                out.extend(_component_results(component, verdict, locator, index))
    out.extend(_unresolved_result(c, locator, index) for c in result.unresolved)
    out.extend(_unknown_result(u, index) for u in result.unknowns)
    return sorted(out, key=_sort_key)


# -- the log ----------------------------------------------------------------------------------


def _run_properties(result: ScanResult) -> dict[str, Any]:
    props: dict[str, Any] = {"offline": result.offline}
    chain = result.chain
    if chain is None:
        props["chain"] = "not computed"
        return props
    props["verdict"] = chain.artifact.verdict.value
    props["policy"] = chain.policy_source or "default use profile"
    props["policyInEffect"] = result.policy_in_effect
    props["declaredUse"] = dict(sorted(chain.use.items()))
    props["trainingData"] = chain.training_data
    if chain.waivers:
        props["waivers"] = sorted(chain.waivers)
    return props


def build_log(result: ScanResult) -> dict[str, Any]:
    """The SARIF log as JSON-ready data."""
    specs = _rules(result)
    index = {spec.id: i for i, spec in enumerate(specs)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "modelbom",
                "version": result.tool_version,
                "rules": [_descriptor(spec) for spec in specs],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": _results(result, index),
        "properties": _run_properties(result),
    }
    source = result.source
    if source.remote_url and _URI_SCHEME.match(source.remote_url):
        provenance: dict[str, Any] = {"repositoryUri": source.remote_url}
        if source.commit:
            provenance["revisionId"] = source.commit
        if source.branch:
            provenance["branch"] = source.branch
        run["versionControlProvenance"] = [provenance]
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def load_schema() -> dict[str, Any]:
    """The official SARIF 2.1.0 schema shipped with modelbom."""
    resource = files("modelbom.emit").joinpath("data").joinpath(SCHEMA_FILE)
    try:
        text = resource.read_text(encoding="utf-8")
    except OSError as exc:  # pragma: no cover - an installation without its package data
        raise EmitError(f"the SARIF schema is missing from this installation: {exc}") from exc
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    schema = load_schema()
    return validator_for(schema)(schema, format_checker=FormatChecker())


def validate(document: dict[str, Any]) -> str | None:
    """The most relevant schema error of *document*, or ``None`` when it is valid."""
    error = best_match(_validator().iter_errors(document))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"


class SarifEmitter(Emitter):
    """SARIF 2.1.0, schema-validated."""

    format_id = "sarif"

    def emit(self, result: ScanResult, options: EmitOptions) -> bytes:
        """Build the log, validate it, and render it as sorted, indented JSON."""
        document = build_log(result)
        error = validate(document)
        if error is not None:
            raise EmitError(f"the SARIF log failed SARIF {SARIF_VERSION} validation: {error}")
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
