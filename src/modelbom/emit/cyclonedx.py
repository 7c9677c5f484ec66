"""CycloneDX ML-BOM (JSON, spec 1.6 or 1.7) through cyclonedx-python-lib.

This is the only module that imports cyclonedx-python-lib. The BOM is built with the
library, serialised, then finished in one place (:func:`_finish`): fields the library
cannot express are added there, and reproducible mode drops the serial number and
timestamp. The final document is validated against the official JSON schema bundled
with the library before any byte is returned; a BOM that fails is an :class:`EmitError`
and is never written.

Validation is strict (the library's strict schema, every ``format`` the schema names
checked) and cheap: see :mod:`modelbom.emit.validation`. The validator is built once per
process and spec version.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cyclonedx.model import ExternalReference, ExternalReferenceType, Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentType, Pedigree
from cyclonedx.model.component_evidence import (
    AnalysisTechnique,
    ComponentEvidence,
    Identity,
    IdentityField,
    Method,
    Occurrence,
)
from cyclonedx.model.license import DisjunctiveLicense, LicenseAcknowledgement, LicenseExpression
from cyclonedx.output.json import BY_SCHEMA_VERSION
from cyclonedx.schema import SchemaVersion
from cyclonedx.schema import _res as schema_files
from cyclonedx.spdx import is_supported_id
from packageurl import PackageURL

from modelbom.emit.base import EmitError, EmitOptions, Emitter
from modelbom.emit.validation import MissingFormat, compile_validator
from modelbom.grouping import group_verdict
from modelbom.model import BaseModelRef, Component, Group, Kind, LicenseClaim, ScanResult
from modelbom.model.verdict import ComponentVerdict

# Properties modelbom writes, all in its own namespace (documented in docs/cli.md).
PROP_KIND = "modelbom:kind"
PROP_RELATION = "modelbom:relation"
PROP_VERDICT = "modelbom:verdict"
PROP_VERDICT_RULE = "modelbom:verdict:rule"
PROP_GOVERNING = "modelbom:governing"
PROP_OBLIGATION = "modelbom:obligation"
PROP_CHOICE = "modelbom:license:choice"
PROP_CONCLUDED = "modelbom:license:concluded"
PROP_IN_ARTIFACT = "modelbom:in-artifact"
PROP_POLICY = "modelbom:policy"
PROP_USE = "modelbom:use"
PROP_TRAINING_DATA = "modelbom:training-data"
PROP_WAIVER = "modelbom:waiver"
PROP_SCOPE = "modelbom:scope"
PROP_RESOLUTION = "modelbom:resolution"
PROP_RESOLUTION_REASON = "modelbom:resolution:reason"
PROP_RESOLUTION_SOURCE = "modelbom:resolution:source"
PROP_RESOLUTION_FETCHED = "modelbom:resolution:fetched"
PROP_RESOLVED_REVISION = "modelbom:resolved-revision"
PROP_GATED = "modelbom:hub:gated"
PROP_BASE_MODEL = "modelbom:base-model"
PROP_TRAINED_ON = "modelbom:trained-on"
PROP_DISCOVERED = "modelbom:discovered"
PROP_LICENSE_SOURCE = "modelbom:license:source"
PROP_LICENSE_LOCATION = "modelbom:license:location"
PROP_LICENSE_FETCHED = "modelbom:license:fetched"
PROP_LICENSE_DECLARED = "modelbom:license:declared"
PROP_LICENSE_REVIEW = "modelbom:license:needs-review"
PROP_UNKNOWN = "modelbom:unknown"
PROP_GIT_COMMIT = "modelbom:git:commit"
PROP_GIT_BRANCH = "modelbom:git:branch"
PROP_GIT_REVISION = "modelbom:git:revision"
PROP_OFFLINE = "modelbom:offline"
PROP_REPRODUCIBLE = "modelbom:reproducible"
PROP_GROUP_BY = "modelbom:group-by"
PROP_GROUP_PATH = "modelbom:group:path"

SPEC_VERSIONS: dict[str, SchemaVersion] = {"1.6": SchemaVersion.V1_6, "1.7": SchemaVersion.V1_7}

_COMPONENT_TYPES: dict[Kind, ComponentType] = {
    Kind.MODEL: ComponentType.MACHINE_LEARNING_MODEL,
    Kind.ADAPTER: ComponentType.MACHINE_LEARNING_MODEL,
    Kind.HOSTED_MODEL: ComponentType.MACHINE_LEARNING_MODEL,
    Kind.MODEL_FILE: ComponentType.MACHINE_LEARNING_MODEL,
    Kind.DATASET: ComponentType.DATA,
    Kind.LIBRARY: ComponentType.LIBRARY,
}

_HUB = "https://huggingface.co"
_ROOT_REF = "root"


def _hub_page(component: Component) -> ExternalReference | None:
    """The Hub page of a model, adapter or dataset repository."""
    if component.kind in (Kind.MODEL, Kind.ADAPTER):
        return ExternalReference(
            type=ExternalReferenceType.MODEL_CARD, url=XsUri(f"{_HUB}/{component.id}")
        )
    if component.kind is Kind.DATASET:
        return ExternalReference(
            type=ExternalReferenceType.WEBSITE, url=XsUri(f"{_HUB}/datasets/{component.id}")
        )
    return None


def _properties(component: Component) -> Iterable[Property]:
    yield Property(name=PROP_KIND, value=component.kind.value)
    for scope in component.scopes:
        yield Property(name=PROP_SCOPE, value=scope.value)
    if not component.evidence:
        yield Property(name=PROP_DISCOVERED, value="lineage")
    res = component.resolution
    yield Property(name=PROP_RESOLUTION, value=res.status.value)
    if res.reason:
        yield Property(name=PROP_RESOLUTION_REASON, value=res.reason)
    if res.source:
        yield Property(name=PROP_RESOLUTION_SOURCE, value=res.source)
    if res.fetched_at:
        yield Property(name=PROP_RESOLUTION_FETCHED, value=res.fetched_at)
    if component.resolved_revision:
        yield Property(name=PROP_RESOLVED_REVISION, value=component.resolved_revision)
    if component.gated:
        yield Property(name=PROP_GATED, value=component.gated)
    for ref in component.base_models:
        yield Property(name=PROP_BASE_MODEL, value=f"{ref.id} ({ref.relation.value}; {ref.source})")
    for dataset in component.datasets:
        yield Property(name=PROP_TRAINED_ON, value=dataset)
    for key, value in component.properties:
        if (key, value) == ("discovered", "lineage"):
            continue
        yield Property(name=f"modelbom:{component.kind.value}:{key}", value=value)


def _license_properties(claim: LicenseClaim) -> list[Property]:
    props = [Property(name=PROP_LICENSE_SOURCE, value=claim.source)]
    if claim.location:
        props.append(Property(name=PROP_LICENSE_LOCATION, value=claim.location))
    if claim.fetched_at:
        props.append(Property(name=PROP_LICENSE_FETCHED, value=claim.fetched_at))
    if claim.raw != claim.expression:
        props.append(Property(name=PROP_LICENSE_DECLARED, value=claim.raw))
    if claim.needs_review:
        props.append(Property(name=PROP_LICENSE_REVIEW, value="true"))
    return props


def _licenses(component: Component) -> list[LicenseExpression | DisjunctiveLicense]:
    """Declared licenses, each with where it came from and when.

    A compound SPDX expression stands alone in the list (the schema's rule), so it is
    written as an expression only when it is the component's single claim; otherwise
    each claim is one license entry (an SPDX id, or a name for anything else).
    """
    claims = component.licenses
    declared = LicenseAcknowledgement.DECLARED
    if len(claims) == 1 and claims[0].expression and _is_compound(claims[0].expression):
        return [LicenseExpression(claims[0].expression, acknowledgement=declared)]
    out: list[LicenseExpression | DisjunctiveLicense] = []
    for claim in claims:
        url = _uri(claim.link)
        expression = claim.expression
        if expression and is_supported_id(expression):
            out.append(
                DisjunctiveLicense(
                    id=expression,
                    url=url,
                    acknowledgement=declared,
                    properties=_license_properties(claim),
                )
            )
        else:
            out.append(
                DisjunctiveLicense(
                    name=claim.name or expression or claim.raw,
                    url=url,
                    acknowledgement=declared,
                    properties=_license_properties(claim),
                )
            )
    return out


def _is_compound(expression: str) -> bool:
    return any(f" {op} " in f" {expression} " for op in ("AND", "OR", "WITH"))


def _uri(link: str | None) -> XsUri | None:
    if not link or not link.startswith(("http://", "https://")):
        return None
    try:
        return XsUri(link)
    except ValueError:
        return None


def _evidence(component: Component) -> ComponentEvidence:
    confidence = Decimal(str(round(component.confidence, 2)))
    return ComponentEvidence(
        identity=[
            Identity(
                field=IdentityField.NAME,
                confidence=confidence,
                methods=[
                    Method(technique=AnalysisTechnique.SOURCE_CODE_ANALYSIS, confidence=confidence)
                ],
            )
        ],
        occurrences=[
            Occurrence(
                location=ev.file,
                line=ev.line,
                offset=ev.column,
                additional_context=ev.snippet or None,
            )
            for ev in component.evidence
        ],
    )


def _ancestor(ref: BaseModelRef) -> CdxComponent:
    return CdxComponent(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=ref.id,
        purl=PackageURL(type="huggingface", name=ref.id)
        if "/" not in ref.id
        else _hub_purl(ref.id),
        properties=[Property(name=PROP_RELATION, value=ref.relation.value)],
    )


def _hub_purl(repo_id: str) -> PackageURL:
    namespace, _, name = repo_id.partition("/")
    return PackageURL(type="huggingface", namespace=namespace, name=name)


def _verdict_properties(verdict: ComponentVerdict | None) -> list[Property]:
    """The chain's outcome for one component (or the artifact) as properties."""
    if verdict is None:
        return []
    props = [Property(name=PROP_VERDICT, value=verdict.verdict.value)]
    props.extend(
        Property(
            name=PROP_VERDICT_RULE,
            value=f"{rule.verdict.value}: {rule.rule}: {rule.message}"
            + (f" (waived: {rule.waived_by})" if rule.waived_by else ""),
        )
        for rule in verdict.rules
    )
    props.extend(
        Property(
            name=f"{PROP_GOVERNING}:{c.dimension}",
            value=f"{c.value} ({c.license} via {c.render_path()})",
        )
        for c in verdict.contributions
    )
    props.extend(Property(name=PROP_OBLIGATION, value=duty) for duty in verdict.obligations)
    props.extend(Property(name=PROP_CHOICE, value=choice) for choice in verdict.choices)
    if verdict.concluded:
        props.append(Property(name=PROP_CONCLUDED, value=verdict.concluded))
    if not verdict.in_artifact:
        props.append(Property(name=PROP_IN_ARTIFACT, value="false"))
    return props


def _concluded(verdict: ComponentVerdict | None) -> list[DisjunctiveLicense]:
    """The chain's concluded license, next to the declared ones."""
    if verdict is None or not verdict.concluded:
        return []
    return [
        DisjunctiveLicense(name=verdict.concluded, acknowledgement=LicenseAcknowledgement.CONCLUDED)
    ]


def _component(component: Component, verdict: ComponentVerdict | None = None) -> CdxComponent:
    page = _hub_page(component)
    pedigree = (
        Pedigree(ancestors=[_ancestor(ref) for ref in component.base_models])
        if component.base_models
        else None
    )
    return CdxComponent(
        type=_COMPONENT_TYPES[component.kind],
        name=component.id,
        version=component.revision or component.version or component.resolved_revision,
        pedigree=pedigree,
        bom_ref=component.bom_ref,
        purl=PackageURL.from_string(component.purl) if component.purl else None,
        licenses=_with_concluded(_licenses(component), _concluded(verdict)),
        evidence=_evidence(component),
        external_references=[page] if page else [],
        properties=[*_properties(component), *_verdict_properties(verdict)],
    )


def _with_concluded(
    declared: list[LicenseExpression | DisjunctiveLicense], concluded: list[DisjunctiveLicense]
) -> list[LicenseExpression | DisjunctiveLicense]:
    """Declared licenses plus the concluded one (an expression must stand alone, so a
    declared expression is then written as a named license)."""
    if not concluded:
        return declared
    out: list[LicenseExpression | DisjunctiveLicense] = []
    for entry in declared:
        if isinstance(entry, LicenseExpression):
            out.append(
                DisjunctiveLicense(
                    name=entry.value, acknowledgement=LicenseAcknowledgement.DECLARED
                )
            )
        else:
            out.append(entry)
    return [*out, *concluded]


def _root(result: ScanResult) -> CdxComponent:
    source = result.source
    props = []
    if source.commit:
        props.append(Property(name=PROP_GIT_COMMIT, value=source.commit))
    if source.branch:
        props.append(Property(name=PROP_GIT_BRANCH, value=source.branch))
    if source.revision:
        props.append(Property(name=PROP_GIT_REVISION, value=source.revision))
    refs = []
    if source.remote_url:
        try:
            refs.append(
                ExternalReference(type=ExternalReferenceType.VCS, url=XsUri(source.remote_url))
            )
        except ValueError:
            props.append(Property(name="modelbom:git:remote", value=source.remote_url))
    if result.chain is not None:
        props.extend(_verdict_properties(result.chain.artifact))
    return CdxComponent(
        type=ComponentType.APPLICATION,
        name=source.name,
        bom_ref=_ROOT_REF,
        external_references=refs,
        properties=props,
    )


def group_ref(group: Group) -> str:
    """The bom-ref of a group: derived from its path, the same in every run."""
    digest = hashlib.sha256(group.path.encode("utf-8", "surrogatepass")).hexdigest()
    return f"group-{digest[:16]}"


def _group(group: Group, result: ScanResult) -> CdxComponent:
    """A sub-project as a component nested in the repository's (``--group-by``)."""
    props = [Property(name=PROP_GROUP_PATH, value=group.path)]
    verdict = group_verdict(group, result.chain)
    if verdict is not None:
        props.append(Property(name=PROP_VERDICT, value=verdict.value))
    return CdxComponent(
        type=ComponentType.APPLICATION,
        name=group.name,
        bom_ref=group_ref(group),
        properties=props,
    )


def _tool() -> CdxComponent:
    from modelbom import __version__

    return CdxComponent(type=ComponentType.APPLICATION, name="modelbom", version=__version__)


def build_bom(result: ScanResult, options: EmitOptions) -> Bom:
    """The library's model of the BOM, before serialisation."""
    root = _root(result)
    groups = [_group(g, result) for g in result.groups]
    root.components.update(groups)
    metadata = BomMetaData(component=root)
    metadata.tools.components.add(_tool())
    for unknown in result.unknowns:
        metadata.properties.add(
            Property(
                name=PROP_UNKNOWN, value=f"{unknown.file} [{unknown.stage.value}] {unknown.reason}"
            )
        )
    if result.offline:
        metadata.properties.add(Property(name=PROP_OFFLINE, value="true"))
    if options.reproducible:
        metadata.properties.add(Property(name=PROP_REPRODUCIBLE, value="true"))
    if result.groups and result.group_by:
        metadata.properties.add(Property(name=PROP_GROUP_BY, value=result.group_by))
    chain = result.chain
    if chain is not None:
        metadata.properties.add(
            Property(name=PROP_POLICY, value=chain.policy_source or "default use profile")
        )
        for key, value in sorted(chain.use.items()):
            metadata.properties.add(Property(name=f"{PROP_USE}:{key}", value=value))
        metadata.properties.add(Property(name=PROP_TRAINING_DATA, value=chain.training_data))
        for waiver in chain.waivers:
            metadata.properties.add(Property(name=PROP_WAIVER, value=waiver))
    components = [
        _component(c, chain.for_component(c.bom_ref) if chain else None) for c in result.components
    ]
    bom = Bom(components=components, metadata=metadata)
    # The repository depends on what its code references; each model depends on the
    # base models and datasets its lineage names (when they are in the BOM).
    by_identity = {
        (c.kind, c.id): cdx for c, cdx in zip(result.components, components, strict=True)
    }
    referenced = [cdx for c, cdx in zip(result.components, components, strict=True) if c.evidence]
    bom.register_dependency(root, referenced)
    # With --group-by, the repository also depends on each sub-project, and each
    # sub-project on every component it brings (its references and their lineage).
    by_ref = {c.bom_ref: cdx for c, cdx in zip(result.components, components, strict=True)}
    bom.register_dependency(root, groups)
    for group, cdx_group in zip(result.groups, groups, strict=True):
        bom.register_dependency(cdx_group, [by_ref[r] for r in group.components if r in by_ref])
    for model, cdx in zip(result.components, components, strict=True):
        parents = [
            by_identity[(Kind.MODEL, ref.id)]
            for ref in model.base_models
            if (Kind.MODEL, ref.id) in by_identity
        ]
        parents += [
            by_identity[(Kind.DATASET, d)]
            for d in model.datasets
            if (Kind.DATASET, d) in by_identity
        ]
        bom.register_dependency(cdx, [p for p in parents if p is not cdx])
    return bom


def _source_date_epoch() -> str | None:
    """The reproducible timestamp from ``SOURCE_DATE_EPOCH``, if set and valid."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw.isdigit():
        return None
    try:
        return datetime.fromtimestamp(int(raw), tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def model_cards(result: ScanResult) -> dict[str, dict[str, Any]]:
    """``modelCard`` objects by bom-ref: what the sources say of each model.

    cyclonedx-python-lib has no model card class, so the cards are added to the
    serialised document in :func:`_finish` and validated with the rest.
    """
    refs = {(c.kind, c.id): c.bom_ref for c in result.components}
    cards: dict[str, dict[str, Any]] = {}
    for c in result.components:
        if _COMPONENT_TYPES[c.kind] is not ComponentType.MACHINE_LEARNING_MODEL:
            continue
        parameters: dict[str, Any] = {}
        props = dict(c.properties)
        if props.get("pipeline_tag"):
            parameters["task"] = props["pipeline_tag"]
        if props.get("library_name"):
            parameters["modelArchitecture"] = props["library_name"]
        datasets = [
            {"ref": refs[(Kind.DATASET, d)]} for d in c.datasets if (Kind.DATASET, d) in refs
        ]
        if datasets:
            parameters["datasets"] = datasets
        card_props = [
            {"name": "modelbom:base-model", "value": f"{ref.id} ({ref.relation.value})"}
            for ref in c.base_models
        ]
        if not parameters and not card_props:
            continue
        card: dict[str, Any] = {}
        if parameters:
            card["modelParameters"] = parameters
        if card_props:
            card["properties"] = card_props
        cards[c.bom_ref] = card
    return cards


def _finish(
    document: dict[str, Any], options: EmitOptions, cards: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The one place where the serialised BOM is adjusted before validation."""
    for component in document.get("components", []):
        card = (cards or {}).get(component.get("bom-ref", ""))
        if card:
            component["modelCard"] = card
        occurrences = component.get("evidence", {}).get("occurrences")
        if occurrences:
            # The library orders occurrences by an identity-based bom-ref first, which
            # differs between runs; order them by where they are instead.
            occurrences.sort(
                key=lambda o: (
                    o["location"],
                    o.get("line", 0),
                    o.get("offset", 0),
                    o.get("additionalContext", ""),
                )
            )
    if options.reproducible:
        document.pop("serialNumber", None)
        metadata = document.get("metadata", {})
        timestamp = _source_date_epoch()
        if timestamp:
            metadata["timestamp"] = timestamp
        else:
            metadata.pop("timestamp", None)
    return document


def _load_schema(path: str | None) -> Any:
    if path is None:  # pragma: no cover - every version modelbom writes has a JSON schema
        raise EmitError("the CycloneDX JSON schema is missing from cyclonedx-python-lib")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@functools.cache
def _validator(spec_version: str) -> Any:
    """The strict schema validator of *spec_version*, built once per process.

    The same schema files as cyclonedx-python-lib's ``JsonStrictValidator`` (draft 7,
    with the SPDX, JSF and cryptography schemas it refers to), every format they name
    checked.
    """
    schema = _load_schema(schema_files.BOM_JSON_STRICT[SPEC_VERSIONS[spec_version]])
    prefix = "http://cyclonedx.org/schema/"
    referenced = {
        f"{prefix}spdx.SNAPSHOT.schema.json": _load_schema(schema_files.SPDX_JSON),
        f"{prefix}jsf-0.82.SNAPSHOT.schema.json": _load_schema(schema_files.JSF),
        f"{prefix}cryptography-defs.SNAPSHOT.schema.json": _load_schema(
            schema_files.CRYPTOGRAPHY_DEFS
        ),
    }
    try:
        return compile_validator(schema, referenced)
    except MissingFormat as exc:  # pragma: no cover - an installation problem
        raise EmitError(f"CycloneDX schema validation is not available: {exc}") from None


def validate(text: str, spec_version: str) -> str | None:
    """Validate a CycloneDX JSON document; the first error's message, or ``None``."""
    error = next(_validator(spec_version).iter_errors(json.loads(text)), None)
    return None if error is None else str(error.message)


class CycloneDxJsonEmitter(Emitter):
    """CycloneDX JSON, schema-validated."""

    format_id = "cyclonedx-json"

    def emit(self, result: ScanResult, options: EmitOptions) -> bytes:
        """Build, serialise, finish and validate the BOM."""
        if options.spec_version not in SPEC_VERSIONS:
            raise EmitError(f"unsupported CycloneDX spec version {options.spec_version}")
        bom = build_bom(result, options)
        outputter = BY_SCHEMA_VERSION[SPEC_VERSIONS[options.spec_version]](bom)
        document = _finish(json.loads(outputter.output_as_string()), options, model_cards(result))
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        error = validate(text, options.spec_version)
        if error is not None:
            raise EmitError(f"the BOM failed CycloneDX {options.spec_version} validation: {error}")
        return text.encode("utf-8")
