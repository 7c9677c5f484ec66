"""``spdx-json``: SPDX 3.0.1 JSON-LD with the AI and Dataset profiles.

This is the only module that imports spdx-python-model (bindings generated from the
official SPDX 3.0.1 model). The document is built from the one format-neutral
:class:`~modelbom.model.ScanResult` and carries the facts the CycloneDX BOM carries,
each where SPDX 3 has a place for it (docs/spdx.md has the whole mapping):

- one ``SpdxDocument`` whose root element is the scanned repository, a
  ``software_Package`` that ``dependsOn`` every component the repository references;
- models, adapters and committed model files as ``ai_AIPackage``, datasets as
  ``dataset_DatasetPackage``, libraries and hosted-API models as ``software_Package``;
- for every component exactly one ``hasDeclaredLicense`` and one ``hasConcludedLicense``
  relationship, to a ``simplelicensing_LicenseExpression`` or to ``NoAssertionLicense``;
- lineage as ``descendantOf`` (fine-tune, adapter, merge, unstated) and ``hasVariant``
  (quantization), training data as ``trainedOn``;
- evidence, verdicts and unknowns as annotations.

Every ``spdxId`` is derived from content: the document namespace from a digest of the
scan, each element from the component's ``bom_ref`` or a digest of what it states. The
objects are sorted by the serialiser (by id) and every list is built sorted, so the same
scan gives the same bytes. In reproducible mode the creation time is
``SOURCE_DATE_EPOCH``, else the Unix epoch. Before any byte is returned the document is
read back with the library's deserialiser and checked (:func:`validate`): every
reference resolves, every element is listed in the document, and the AI and Dataset
profiles' relationship and field rules that modelbom can satisfy hold.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TypeVar, cast

import spdx_python_model
from spdx_python_model import v3_0_1 as spdx

from modelbom.emit.base import EmitError, EmitOptions, Emitter
from modelbom.licenses.knowledge import entry_for
from modelbom.licenses.normalize import load_tables, parse_expression
from modelbom.model import (
    BaseModelRef,
    Component,
    Kind,
    LicenseClaim,
    Relation,
    ScanResult,
    Unknown,
)
from modelbom.model.verdict import ComponentVerdict

SPEC_VERSION = "3.0.1"
NOASSERTION = "NOASSERTION"
NAMESPACE_BASE = "https://spdx.org/spdxdocs/modelbom"
_PROBE_NAMESPACE = "urn:modelbom:document"
_HUB = "https://huggingface.co"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The profiles the document declares conformance to.
PROFILES = ("core", "software", "ai", "dataset", "simpleLicensing")

_E = TypeVar("_E", bound=spdx.Element)
_RT = spdx.RelationshipType
_NO_ASSERTION_LICENSE = spdx.expandedlicensing_IndividualLicensingInfo.NoAssertionLicense

# How each lineage relation is written: (relationship type, from the derived model?).
# A quantization is a variant of its base (the base ``hasVariant`` it); everything else
# descends from its parents.
LINEAGE: dict[Relation, tuple[str, bool]] = {
    Relation.FINETUNE: (_RT.descendantOf, True),
    Relation.ADAPTER: (_RT.descendantOf, True),
    Relation.MERGE: (_RT.descendantOf, True),
    Relation.BASE: (_RT.descendantOf, True),
    Relation.QUANTIZED: (_RT.hasVariant, False),
}

_AI_KINDS = frozenset({Kind.MODEL, Kind.ADAPTER, Kind.MODEL_FILE})
_HUB_KINDS = frozenset({Kind.MODEL, Kind.ADAPTER, Kind.DATASET})
# Component properties that have an SPDX field of their own (the rest go to the comment).
_TYPE_OF_MODEL_KEYS = ("model_type", "general.architecture", "architectures")
_DOMAIN_KEYS = ("pipeline_tag",)
_LINEAGE_PROPERTY = ("discovered", "lineage")

_MAX_PATHS = 3  # paths shown per rule in a verdict annotation
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")
_TOKEN = re.compile(r"[()]|[^\s()]+")
_LICENSE_REF = re.compile(r"^(?:DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$")
_ADDITION_REF = re.compile(r"^(?:DocumentRef-[A-Za-z0-9.-]+:)?AdditionRef-[A-Za-z0-9.-]+$")
_LFS_OID = re.compile(r"^sha256:[0-9a-f]{64}$")
_SPDX_ID = re.compile(r"^[A-Za-z0-9.-]+\+?$")


def _digest(*parts: str, size: int = 16) -> str:
    text = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(text).hexdigest()[:size]


def _element_id(element: spdx.Element | str) -> str:
    """The IRI of an element, or the named individual's IRI itself."""
    if isinstance(element, str):
        return element
    assert element.spdxId is not None
    return element.spdxId


def _slug(name: str) -> str:
    return (_SLUG.sub("-", name).strip("-.") or "scan")[:60]


def document_namespace(result: ScanResult) -> str:
    """``https://spdx.org/spdxdocs/modelbom/<name>-<digest>`` (SPDX's default creator site,
    as the spec advises for creators without one of their own).

    The digest is that of the document itself, built once under a placeholder namespace
    with neither a creation time nor modelbom's version: the same scan gives the same
    namespace at any time, and a scan that differs in anything the document states gives
    another one.
    """
    probe = _Document(result, namespace=_PROBE_NAMESPACE, created=_EPOCH, version="")
    data = spdx.JSONLDSerializer().serialize_data(probe.build(), force_at_graph=True)
    digest = _digest(json.dumps(data, sort_keys=True, ensure_ascii=False), size=32)
    return f"{NAMESPACE_BASE}/{_slug(result.source.name)}-{digest}"


def _source_date_epoch() -> datetime | None:
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw.isdigit():
        return None
    try:
        return datetime.fromtimestamp(int(raw), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def created_time(options: EmitOptions) -> datetime:
    """Now; in reproducible mode ``SOURCE_DATE_EPOCH`` or else the Unix epoch (SPDX 3
    requires a creation time, so it cannot be left out as CycloneDX's timestamp is)."""
    if options.reproducible:
        return _source_date_epoch() or _EPOCH
    return datetime.now(UTC).replace(microsecond=0)


def is_license_expression(expression: str) -> bool:
    """True when *expression* is an SPDX license expression of listed ids and
    ``LicenseRef-`` ids (license-expression's parser alone accepts any word)."""
    tables = load_tables()
    known, exceptions = tables.spdx, tables.exceptions
    tokens = _TOKEN.findall(expression)
    if not tokens or parse_expression(expression) is None:
        return False
    after_with = False
    for token in tokens:
        if token in ("(", ")") or token.upper() in ("AND", "OR"):
            after_with = False
            continue
        if token.upper() == "WITH":
            after_with = True
            continue
        if after_with:
            ok = bool(_ADDITION_REF.match(token)) or token.lower() in exceptions
        else:
            ok = bool(_LICENSE_REF.match(token)) or (
                bool(_SPDX_ID.match(token)) and token.rstrip("+").lower() in known
            )
        if not ok:
            return False
        after_with = False
    return True


def _join(expressions: Iterable[str]) -> str | None:
    """The AND of *expressions* (each parenthesised when compound), or None for none."""
    unique = sorted(set(expressions))
    if not unique:
        return None
    if len(unique) == 1:
        return unique[0]
    return " AND ".join(f"({e})" if " " in e else e for e in unique)


def declared_expression(component: Component) -> str | None:
    """Every declared license of *component* joined with AND; None when none is usable."""
    return _join(
        c.expression
        for c in component.licenses
        if c.expression and is_license_expression(c.expression)
    )


def concluded_expression(component: Component, verdict: ComponentVerdict | None) -> str | None:
    """The governing licenses the chain concluded for *component*.

    The chain states a concluded expression only when it differs from the declared
    licenses; when it does not, the declared licenses are the concluded ones (as long as
    every declaration could be read).
    """
    if verdict is None:
        return None
    if verdict.concluded:
        return verdict.concluded if is_license_expression(verdict.concluded) else None
    if component.licenses and all(c.expression for c in component.licenses):
        return declared_expression(component)
    return None


def _hub_page(component: Component) -> str | None:
    """The Hub repository of a model, adapter or dataset (also its git clone URL)."""
    if "*" in component.id or component.kind not in _HUB_KINDS:
        return None
    if component.kind is Kind.DATASET:
        return (
            f"{_HUB}/datasets/{component.id}"
            if component.ecosystem in (None, "huggingface")
            else None
        )
    if component.purl and component.purl.startswith("pkg:huggingface/"):
        return f"{_HUB}/{component.id}"
    return None


def _hub_namespace(component: Component) -> str | None:
    if _hub_page(component) is None or "/" not in component.id:
        return None
    return component.id.split("/", 1)[0]


def _comment_lines(component: Component) -> list[str]:
    """What CycloneDX carries as ``modelbom:*`` properties and SPDX has no field for."""
    lines = [f"modelbom kind: {component.kind.value}"]
    if component.ecosystem:
        lines.append(f"ecosystem: {component.ecosystem}")
    if component.scopes:
        lines.append("scope: " + ", ".join(s.value for s in component.scopes))
    if not component.evidence:
        lines.append("discovered: lineage (named by another component, not by the code)")
    res = component.resolution
    status = f"resolution: {res.status.value}"
    details = [
        x for x in (res.source, f"fetched {res.fetched_at}" if res.fetched_at else None) if x
    ]
    if details:
        status += f" ({', '.join(details)})"
    if res.reason:
        status += f": {res.reason}"
    lines.append(status)
    if component.resolved_revision:
        lines.append(f"resolved revision: {component.resolved_revision}")
    if component.gated:
        lines.append(f"hub gating: {component.gated}")
    mapped = set(_TYPE_OF_MODEL_KEYS + _DOMAIN_KEYS) if component.kind in _AI_KINDS else set()
    for key, value in component.properties:
        if (key, value) == _LINEAGE_PROPERTY or key in mapped:
            continue
        lines.append(f"{key}: {value}")
    return lines


def _lineage(component: Component) -> list[tuple[BaseModelRef, str]]:
    """The base models of *component* with a note on each: as resolved, else the base the
    repository loads it onto (an adapter's ``base_model``), as the license chain reads them."""
    if component.base_models:
        return [(r, f"{r.relation.value} (stated by {r.source})") for r in component.base_models]
    return [
        (
            BaseModelRef(id=value, relation=Relation.ADAPTER, source="repository"),
            "adapter (the repository loads it onto this base)",
        )
        for key, value in component.properties
        if key == "base_model"
    ]


def _evidence_statement(component: Component) -> str:
    lines = [f"Found in {len(component.evidence)} place(s):"]
    for ev in component.evidence:
        where = f"{ev.file}:{ev.line}:{ev.column}"
        if ev.cell is not None:
            where += f" (cell {ev.cell}" + (f", line {ev.cell_line})" if ev.cell_line else ")")
        line = f"{where} [{ev.scope.value}; {ev.crawler}; confidence {ev.confidence:g}]"
        if ev.snippet:
            line += f" {ev.snippet}"
        lines.append(line)
    return "\n".join(lines)


def _verdict_statement(verdict: ComponentVerdict, preamble: Sequence[str] = ()) -> str:
    lines = [*preamble, f"verdict: {verdict.verdict.value}"]
    for rule in sorted(verdict.rules, key=lambda r: (-r.verdict.rank, r.rule, r.message)):
        line = f"{rule.verdict.value}: {rule.rule}: {rule.message}"
        paths = sorted({c.render_path() for c in rule.because})
        if paths:
            line += " via " + "; ".join(paths[:_MAX_PATHS])
        if rule.waived_by:
            line += f" (waived: {rule.waived_by})"
        lines.append(line)
    lines.extend(f"obligation: {duty}" for duty in sorted(set(verdict.obligations)))
    lines.extend(f"license choice: {choice}" for choice in sorted(set(verdict.choices)))
    if not verdict.in_artifact:
        lines.append("not part of the artifact (its terms do not reach the artifact)")
    return "\n".join(lines)


def _claim_text(claim: LicenseClaim) -> str:
    text = f"{claim.raw!r}"
    if claim.expression and claim.expression != claim.raw:
        text += f" -> {claim.expression}"
    if claim.name:
        text += f" (name: {claim.name})"
    where = ", ".join(x for x in (claim.source, claim.location, claim.link) if x)
    text += f" [{where}"
    if claim.fetched_at:
        text += f"; fetched {claim.fetched_at}"
    text += "]"
    if claim.needs_review:
        text += " needs review"
    return text


class _Document:
    """Builds the SPDX elements of one scan."""

    def __init__(
        self,
        result: ScanResult,
        *,
        namespace: str,
        created: datetime,
        version: str,
        notes: Sequence[str] = (),
    ) -> None:
        self.result = result
        self.chain = result.chain
        self.namespace = namespace
        self.elements: dict[str, spdx.Element] = {}
        self.agent = spdx.SoftwareAgent(spdxId=self.iri("agent-modelbom"), name="modelbom")
        comment = [f"AI bill of materials of {result.source.name}, written by modelbom"]
        if result.offline:
            comment.append("offline scan: only local sources and the cache were consulted")
        self.creation = spdx.CreationInfo(
            specVersion=SPEC_VERSION,
            created=created,
            createdBy=[self.agent],
            comment="; ".join([*comment, *notes]),
        )
        self.agent.creationInfo = self.creation
        self._add(self.agent)
        self.tool = self._add(
            spdx.Tool(
                spdxId=self.iri("tool-modelbom"),
                name=f"modelbom {version}".strip(),
                creationInfo=self.creation,
            )
        )
        self.creation.createdUsing = [self.tool]
        self.packages: dict[str, spdx.software_Package] = {}
        self.suppliers: dict[str, spdx.Agent] = {}

    def iri(self, local: str) -> str:
        return f"{self.namespace}#{local}"

    def _add(self, element: _E) -> _E:
        """Add *element* once; an element with the same id already added is returned."""
        return cast(_E, self.elements.setdefault(_element_id(element), element))

    # -- licenses ---------------------------------------------------------------------

    def license(self, expression: str | None) -> spdx.simplelicensing_LicenseExpression | str:
        """The license element of *expression* (shared), or NoAssertionLicense."""
        if expression is None:
            return _NO_ASSERTION_LICENSE
        spdx_id = self.iri(f"license-{_digest(expression)}")
        if spdx_id in self.elements:
            return cast(spdx.simplelicensing_LicenseExpression, self.elements[spdx_id])
        refs = sorted({t for t in _TOKEN.findall(expression) if _LICENSE_REF.match(t)})
        notes: list[str] = []
        urls: set[str] = set()
        for ref in refs:
            entry = entry_for(ref)
            if entry is None:
                notes.append(
                    f"{ref}: not on the SPDX License List; not in modelbom's knowledge base"
                )
                continue
            notes.append(f"{ref}: {entry.name}")
            if entry.url:
                urls.add(entry.url)
        element = spdx.simplelicensing_LicenseExpression(
            spdxId=spdx_id,
            creationInfo=self.creation,
            simplelicensing_licenseExpression=expression,
        )
        if notes:
            element.comment = "\n".join(notes)
        if urls:
            element.externalRef = [
                spdx.ExternalRef(externalRefType=spdx.ExternalRefType.license, locator=sorted(urls))
            ]
        return self._add(element)

    def relationship(
        self,
        source: spdx.Element,
        kind: str,
        targets: Sequence[spdx.Element | str],
        comment: str | None = None,
    ) -> None:
        """One relationship from *source* to *targets* (elements, or named individuals)."""
        ordered = sorted(targets, key=_element_id)
        label = kind.rsplit("/", 1)[-1]
        digest = _digest(_element_id(source), kind, *map(_element_id, ordered))
        rel = spdx.Relationship(
            spdxId=self.iri(f"relationship-{label}-{digest}"),
            creationInfo=self.creation,
            from_=source,
            relationshipType=kind,
            to=ordered,
        )
        if comment:
            rel.comment = comment
        self._add(rel)

    def annotation(
        self, subject: spdx.Element, name: str, statement: str, review: bool = False
    ) -> None:
        """A statement about *subject*: ``other``, or ``review`` for a verdict."""
        spdx_id = self.iri(f"annotation-{name}-{_digest(_element_id(subject), statement)}")
        self._add(
            spdx.Annotation(
                spdxId=spdx_id,
                creationInfo=self.creation,
                annotationType=spdx.AnnotationType.review if review else spdx.AnnotationType.other,
                subject=subject,
                statement=statement,
            )
        )

    # -- packages ---------------------------------------------------------------------

    def supplier(self, namespace: str) -> spdx.Agent:
        if namespace not in self.suppliers:
            self.suppliers[namespace] = self._add(
                spdx.Agent(
                    spdxId=self.iri(f"agent-hub-{_digest(namespace)}"),
                    creationInfo=self.creation,
                    name=namespace,
                    comment="The Hugging Face Hub account that publishes the repository.",
                )
            )
        return self.suppliers[namespace]

    def package(self, component: Component) -> spdx.software_Package:
        """The element of *component* (created once)."""
        ref = component.bom_ref
        if ref in self.packages:
            return self.packages[ref]
        pkg: spdx.software_Package
        page = _hub_page(component)
        props = dict(component.properties)
        if component.kind in _AI_KINDS:
            ai = spdx.ai_AIPackage(software_primaryPurpose=spdx.software_SoftwarePurpose.model)
            type_of_model: set[str] = set()
            for key in _TYPE_OF_MODEL_KEYS:
                type_of_model.update(v.strip() for v in props.get(key, "").split(",") if v.strip())
            if type_of_model:
                ai.ai_typeOfModel = sorted(type_of_model)
            domains = sorted({props[k] for k in _DOMAIN_KEYS if props.get(k)})
            if domains:
                ai.ai_domain = domains
            ai.software_downloadLocation = page or NOASSERTION
            pkg = ai
        elif component.kind is Kind.DATASET:
            data = spdx.dataset_DatasetPackage(
                software_primaryPurpose=spdx.software_SoftwarePurpose.data,
                dataset_datasetType=[spdx.dataset_DatasetType.noAssertion],
            )
            if component.gated:
                data.dataset_datasetAvailability = spdx.dataset_DatasetAvailabilityType.clickthrough
            data.software_downloadLocation = page or NOASSERTION
            pkg = data
        elif component.kind is Kind.HOSTED_MODEL:
            pkg = spdx.software_Package(software_primaryPurpose=spdx.software_SoftwarePurpose.model)
        else:
            pkg = spdx.software_Package(
                software_primaryPurpose=spdx.software_SoftwarePurpose.library
            )
        pkg.spdxId = self.iri(ref)
        pkg.creationInfo = self.creation
        pkg.name = component.id
        version = component.revision or component.version or component.resolved_revision
        if version:
            pkg.software_packageVersion = version
        if page:
            pkg.software_homePage = page
        if component.purl:
            pkg.software_packageUrl = component.purl
            pkg.externalIdentifier = [
                spdx.ExternalIdentifier(
                    externalIdentifierType=spdx.ExternalIdentifierType.packageUrl,
                    identifier=component.purl,
                )
            ]
        oids = [v for k, v in component.properties if k == "lfs_oid" and _LFS_OID.match(v)]
        if len(oids) == 1:  # a committed Git LFS pointer names its file's SHA-256
            pkg.verifiedUsing = [
                spdx.Hash(
                    algorithm=spdx.HashAlgorithm.sha256,
                    hashValue=oids[0].removeprefix("sha256:"),
                    comment="the Git LFS object id of the committed pointer",
                )
            ]
        namespace = _hub_namespace(component)
        if namespace is not None:
            pkg.suppliedBy = self.supplier(namespace)
        pkg.comment = "\n".join(_comment_lines(component))
        self.packages[ref] = self._add(pkg)
        return pkg

    def licenses_of(self, component: Component, pkg: spdx.software_Package) -> None:
        """Exactly one declared and one concluded license relationship (AI profile)."""
        declared = declared_expression(component)
        lines = [f"declared: {_claim_text(c)}" for c in component.licenses]
        if not component.licenses:
            lines.append("no license was declared in any source modelbom consulted")
        self.relationship(pkg, _RT.hasDeclaredLicense, [self.license(declared)], "\n".join(lines))
        verdict = self.chain.for_component(component.bom_ref) if self.chain else None
        concluded = concluded_expression(component, verdict)
        if concluded is not None:
            note = "the licenses of the whole chain (the component and what it derives from)"
        elif verdict is not None and verdict.concluded:
            note = f"the chain's licenses are not all SPDX license ids: {verdict.concluded}"
        else:
            note = "no governing license could be concluded"
        self.relationship(pkg, _RT.hasConcludedLicense, [self.license(concluded)], note)

    def root(self) -> spdx.software_Package:
        source = self.result.source
        pkg = spdx.software_Package(
            spdxId=self.iri("root"),
            creationInfo=self.creation,
            name=source.name,
            software_primaryPurpose=spdx.software_SoftwarePurpose.application,
        )
        if source.commit:
            pkg.software_packageVersion = source.commit
        info = [f"git commit {source.commit}" if source.commit else None]
        info.append(f"branch {source.branch}" if source.branch else None)
        if any(info):
            pkg.software_sourceInfo = ", ".join(x for x in info if x)
        if source.remote_url:
            pkg.externalRef = [
                spdx.ExternalRef(
                    externalRefType=spdx.ExternalRefType.vcs, locator=[source.remote_url]
                )
            ]
            if "://" in source.remote_url:
                pkg.software_downloadLocation = source.remote_url
        pkg.comment = "The scanned repository: the artifact whose AI bill of materials this is."
        return self._add(pkg)

    # -- the whole document -----------------------------------------------------------

    def build(self) -> spdx.SHACLObjectSet:
        result = self.result
        root = self.root()
        components = list(result.components)
        for component in components:
            self.package(component)
        # Lookup for lineage: the first component of each kind and id (sorted order).
        by_identity: dict[tuple[Kind, str], Component] = {}
        for component in components:
            by_identity.setdefault((component.kind, component.id), component)
        extra: list[Component] = []

        def parent(kind: Kind, ident: str, *fallback: Kind) -> spdx.software_Package:
            for k in (kind, *fallback):
                if (k, ident) in by_identity:
                    return self.package(by_identity[(k, ident)])
            # Named in lineage beyond the resolution depth: a package with what is known.
            stub = Component(
                kind=kind,
                id=ident,
                purl=f"pkg:huggingface/{ident}" if kind is Kind.MODEL else None,
                properties=(_LINEAGE_PROPERTY,),
            )
            extra.append(stub)
            return self.package(stub)

        referenced = [self.package(c) for c in components if c.evidence]
        if referenced:
            self.relationship(
                root,
                _RT.dependsOn,
                referenced,
                "the components the repository's code, configuration and files reference",
            )
        for component in components:
            pkg = self.package(component)
            for ref, note in _lineage(component):
                base = parent(Kind.MODEL, ref.id, Kind.ADAPTER)
                if base is pkg:
                    continue
                kind, from_derived = LINEAGE[ref.relation]
                source, target = (pkg, base) if from_derived else (base, pkg)
                self.relationship(source, kind, [target], note)
            datasets = [parent(Kind.DATASET, d) for d in component.datasets]
            if datasets:
                self.relationship(
                    pkg, _RT.trainedOn, datasets, "the training datasets its card or metadata name"
                )
        for component in [*components, *extra]:
            self.licenses_of(component, self.package(component))
            if component.evidence:
                self.annotation(self.package(component), "evidence", _evidence_statement(component))
            verdict = self.chain.for_component(component.bom_ref) if self.chain else None
            if verdict is not None:
                self.annotation(
                    self.package(component), "verdict", _verdict_statement(verdict), review=True
                )
        if self.chain is not None:
            self.annotation(
                root,
                "verdict",
                _verdict_statement(self.chain.artifact, self._policy()),
                review=True,
            )
        document = spdx.SpdxDocument(
            spdxId=self.iri("document"),
            creationInfo=self.creation,
            name=f"{result.source.name} AI bill of materials",
            profileConformance=[getattr(spdx.ProfileIdentifierType, p) for p in PROFILES],
            rootElement=[root],
        )
        for unknown in result.unknowns:
            self.annotation(document, "unknown", _unknown_statement(unknown))
        document.element = [self.elements[k] for k in sorted(self.elements)]
        objects = spdx.SHACLObjectSet()
        for element in self.elements.values():
            objects.add(element)
        objects.add(document)
        return objects

    def _policy(self) -> list[str]:
        chain = self.chain
        assert chain is not None
        lines = [f"policy: {chain.policy_source or 'default use profile'}"]
        lines.extend(f"use: {key} = {value}" for key, value in sorted(chain.use.items()))
        lines.append(f"training data: {chain.training_data}")
        lines.extend(f"waiver: {waiver}" for waiver in chain.waivers)
        return lines


def _unknown_statement(unknown: Unknown) -> str:
    return f"could not account for {unknown.file} [{unknown.stage.value}]: {unknown.reason}"


def build_document(result: ScanResult, options: EmitOptions) -> spdx.SHACLObjectSet:
    """The SPDX object set of *result* (before serialisation)."""
    from modelbom import __version__

    notes = []
    if options.reproducible:
        notes.append("reproducible: the creation time is SOURCE_DATE_EPOCH or the Unix epoch")
    document = _Document(
        result,
        namespace=document_namespace(result),
        created=created_time(options),
        version=__version__,
        notes=notes,
    )
    return document.build()


def validate(text: str) -> str | None:
    """Read an SPDX 3.0.1 JSON-LD document back and check it; the first problem, or None.

    No JSON schema or SHACL shapes for SPDX 3.0.1 ship with any package modelbom can
    install, so this checks what the generated bindings enforce on reading (types,
    enumerations, the model's cardinalities) plus: every reference resolves, the document
    lists every element, and the AI and Dataset profiles' license and dataset-type rules.
    """
    try:
        data = json.loads(text)
        model, objects = spdx_python_model.load_data(data)
    except (ValueError, TypeError, spdx_python_model.LoadError) as exc:
        return f"not readable as SPDX 3: {exc}"
    if model is not spdx:
        return "not an SPDX 3.0.1 document"
    missing = sorted(i for i in objects.link() if not i.startswith("https://spdx.org/rdf/"))
    if missing:
        return f"references to elements the document does not hold: {', '.join(missing[:5])}"
    documents = list(objects.foreach_type(spdx.SpdxDocument))
    if len(documents) != 1:
        return f"expected one SpdxDocument, found {len(documents)}"
    (document,) = documents
    listed = {e.spdxId for e in document.element if not isinstance(e, str)}
    for element in objects.foreach_type(spdx.Element):
        if element is not document and element.spdxId not in listed:
            return f"{element.spdxId} is not listed in the document's elements"
    license_rels: dict[tuple[str, str], int] = {}
    for rel in objects.foreach_type(spdx.Relationship):
        if rel.relationshipType in (_RT.hasDeclaredLicense, _RT.hasConcludedLicense):
            source = rel.from_
            key = (
                source if isinstance(source, str) else str(source.spdxId),
                str(rel.relationshipType),
            )
            license_rels[key] = license_rels.get(key, 0) + len(rel.to)
    for pkg in objects.foreach_type(spdx.ai_AIPackage):
        for kind in (_RT.hasDeclaredLicense, _RT.hasConcludedLicense):
            count = license_rels.get((str(pkg.spdxId), kind), 0)
            if count != 1:
                return f"{pkg.spdxId} has {count} {kind.rsplit('/', 1)[-1]} licenses, not one"
    for data in objects.foreach_type(spdx.dataset_DatasetPackage):
        if not data.dataset_datasetType:
            return f"{data.spdxId} has no datasetType"
    for expr in objects.foreach_type(spdx.simplelicensing_LicenseExpression):
        if not is_license_expression(expr.simplelicensing_licenseExpression or ""):
            return f"{expr.spdxId}: not an SPDX license expression"
    return None


class SpdxJsonEmitter(Emitter):
    """SPDX 3.0.1 JSON-LD (AI and Dataset profiles), checked before it is returned."""

    format_id = "spdx-json"

    def emit(self, result: ScanResult, options: EmitOptions) -> bytes:
        """Build, serialise and check the document."""
        try:
            objects = build_document(result, options)
            data = spdx.JSONLDSerializer().serialize_data(objects, force_at_graph=True)
        except (ValueError, TypeError) as exc:  # the bindings reject a property or a value
            raise EmitError(f"the SPDX document could not be built: {exc}") from exc
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        error = validate(text)
        if error is not None:
            raise EmitError(f"the SPDX document failed SPDX {SPEC_VERSION} checks: {error}")
        return text.encode("utf-8")
