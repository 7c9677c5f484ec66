"""The repository resolver: license and lineage facts the scanned repository states itself.

Nothing is read here: :meth:`RepositoryResolver.prepare` indexes the findings of the
scan, and :meth:`RepositoryResolver.resolve` answers from that index.

* **Committed model files** (``model-file`` components). Facts are kept per folder (from
  the hf-files and license-files crawlers: the model card's ``license`` /
  ``license_name`` / ``license_link``, the license file next to the model, the card's
  ``base_model`` and ``datasets``, ``adapter_config.json``'s base model, ``config.json``'s
  ``_name_or_path``) and per weight file (from the weights crawler: GGUF
  ``general.license`` / ``general.license.name`` / ``general.license.link``, safetensors
  ``modelspec.license``, GGUF base models and datasets). A component gets the facts of
  its folder plus, for a weight file, those of the file itself: every license found is a
  claim, card first, then license file, then header, each with its ``location``. A
  weight file inside a diffusers pipeline component folder (``unet/``, ``vae/``, ...)
  also gets the facts of the pipeline folder above it. Facts of other folders (a
  repository's own root LICENSE for a model in ``models/``) never apply.
* **Lineage**: the ``relation`` a crawler recorded maps to :class:`Relation`:
  ``adapter`` and ``base-of-adapter`` (a PEFT ``adapter_config.json``, a GGUF adapter) ->
  adapter; ``merge``, ``quantized``, ``finetune`` -> themselves; ``base`` and ``source``
  (``_name_or_path``, GGUF ``general.source``: where the files came from, the relation
  unstated) -> base. When one parent is named with several relations, a stated one wins
  over ``base``.
* **Vendored Hub models**: a Hub model (or adapter) that a committed folder names as its
  source (``_name_or_path``, GGUF ``general.source.repo_url``) is a copy of that model
  when the folder's card names no base model of its own; the folder's license claims then
  apply to the Hub component too (same locations). A folder whose card lists base models
  is a derivative, and its license says nothing about its parents.
* **Libraries**: the ``license`` field package-lock.json records per package becomes a
  claim located at the lock file.

Everything else: ``None``. All facts are local: ``fetched_at`` is ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from modelbom.model import BaseModelRef, Component, Finding, Kind, LicenseClaim, Relation
from modelbom.resolvers.base import ResolveContext, Resolved, Resolver, license_claim

SOURCE = "repository"

_RELATIONS: dict[str, Relation] = {
    "adapter": Relation.ADAPTER,
    "base-of-adapter": Relation.ADAPTER,
    "merge": Relation.MERGE,
    "quantized": Relation.QUANTIZED,
    "finetune": Relation.FINETUNE,
    "base": Relation.BASE,
    "source": Relation.BASE,
}
_FOLDER_CRAWLERS = frozenset({"hf-files", "license-files"})
_HUB_KINDS = frozenset({Kind.MODEL, Kind.ADAPTER})
_DIFFUSERS_COMPONENT_DIRS = frozenset(
    {
        "unet", "vae", "text_encoder", "text_encoder_2", "text_encoder_3", "transformer",
        "safety_checker", "image_encoder", "prior", "decoder", "movq", "vqvae", "controlnet",
    }
)  # fmt: skip
# Priority of a claim's origin: the card first, then the license file, then headers.
_CARD, _LICENSE_FILE, _HEADER = 0, 1, 2
_HEADER_KEYS = (
    ("general.license", "general.license.name", "general.license.link"),
    ("modelspec.license", None, None),
)


@dataclass(slots=True)
class _Facts:
    """What the repository says about one folder or one weight file."""

    claims: list[tuple[int, LicenseClaim]] = field(default_factory=list)
    bases: list[BaseModelRef] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # Hub ids it was copied from
    datasets: list[str] = field(default_factory=list)
    card_bases: bool = False  # the folder's card names base models: a derivative
    pipeline: bool = False  # a diffusers pipeline folder (model_index.json)

    def add_claim(self, priority: int, claim: LicenseClaim) -> None:
        key = (claim.raw, claim.name, claim.link, claim.location)
        if all((c.raw, c.name, c.link, c.location) != key for _, c in self.claims):
            self.claims.append((priority, claim))


def _claim(raw: str, name: str | None, link: str | None, location: str) -> LicenseClaim:
    return license_claim(raw, source=SOURCE, name=name, link=link, location=location)


def _parent(path: str) -> str:
    return PurePosixPath(path).parent.as_posix()


class RepositoryResolver(Resolver):
    """Facts stated in the scanned repository: cards, license files, headers, lock files."""

    name = SOURCE
    requires_network = False

    def __init__(self) -> None:
        self._folders: dict[str, _Facts] = {}
        self._files: dict[str, _Facts] = {}  # weight file path -> its header facts
        self._model_files: dict[str, set[str]] = {}  # model-file id -> evidence files
        self._weight_ids: set[str] = set()  # model-file ids that are weight files
        self._vendored: dict[str, list[tuple[str, bool]]] = {}  # hub id -> (owner, is_file)
        self._libraries: dict[tuple[str, str, str, str, str], list[LicenseClaim]] = {}

    def prepare(self, context: ResolveContext) -> None:
        """Index the scan's findings (single-threaded; ``resolve`` only reads the index)."""
        findings = list(context.findings)
        for finding in findings:
            if finding.kind is Kind.MODEL_FILE:
                self._model_files.setdefault(finding.id, set()).add(finding.evidence.file)
                if finding.evidence.crawler not in _FOLDER_CRAWLERS:
                    self._weight_ids.add(finding.id)
        for finding in findings:
            if finding.kind is Kind.MODEL_FILE:
                self._index_model_file(finding)
            elif finding.kind is Kind.LIBRARY:
                self._index_library(finding)
        for finding in findings:
            if finding.kind in _HUB_KINDS and "relation" in finding.properties:
                self._index_lineage(finding)
            elif finding.kind is Kind.DATASET:
                self._index_dataset(finding)

    # ------------------------------------------------------------------------ indexing

    def _owner(self, finding: Finding) -> tuple[_Facts, str, bool] | None:
        """The facts a lineage or dataset finding belongs to: its folder or weight file."""
        file = finding.evidence.file
        if finding.evidence.crawler in _FOLDER_CRAWLERS or "card" in finding.properties:
            folder = _parent(finding.properties.get("card", file))
            return self._folders.setdefault(folder, _Facts()), folder, False
        if file in self._weight_ids:
            return self._files.setdefault(file, _Facts()), file, True
        return None

    def _index_model_file(self, finding: Finding) -> None:
        props = finding.properties
        file = finding.evidence.file
        crawler = finding.evidence.crawler
        if crawler in _FOLDER_CRAWLERS:
            facts = self._folders.setdefault(_parent(file), _Facts())
            if props.get("format") == "diffusers-pipeline":
                facts.pipeline = True
            if "license_file" in props and "license" in props:
                facts.add_claim(_LICENSE_FILE, _claim(props["license"], None, None, file))
            elif props.get("format") == "model-card":
                name, link = props.get("license_name"), props.get("license_link")
                raw = props.get("license") or ("other" if name or link else None)
                if raw:
                    facts.add_claim(_CARD, _claim(raw, name, link, file))
            return
        for key, name_key, link_key in _HEADER_KEYS:
            raw = props.get(key)
            if raw:
                name = props.get(name_key) if name_key else None
                link = props.get(link_key) if link_key else None
                facts = self._files.setdefault(finding.id, _Facts())
                facts.add_claim(_HEADER, _claim(raw, name, link, file))

    def _index_library(self, finding: Finding) -> None:
        license_ = finding.properties.get("license")
        if not license_:
            return
        claims = self._libraries.setdefault(finding.component_key, [])
        claim = _claim(license_, None, None, finding.evidence.file)
        if all((c.raw, c.location) != (claim.raw, claim.location) for c in claims):
            claims.append(claim)

    def _index_lineage(self, finding: Finding) -> None:
        owner = self._owner(finding)
        if owner is None:
            return
        facts, key, is_file = owner
        raw_relation = finding.properties["relation"]
        relation = _RELATIONS.get(raw_relation)
        if relation is None:
            return
        facts.bases.append(BaseModelRef(id=finding.id, relation=relation, source=SOURCE))
        if "card" in finding.properties:
            facts.card_bases = True
        if raw_relation == "source":
            facts.sources.append(finding.id)
            self._vendored.setdefault(finding.id, []).append((key, is_file))

    def _index_dataset(self, finding: Finding) -> None:
        owner = self._owner(finding)
        if owner is not None:
            owner[0].datasets.append(finding.id)

    # ------------------------------------------------------------------------ resolving

    def resolve(self, component: Component) -> Resolved | None:
        """The repository's facts about *component*; ``None`` when it states none."""
        if component.kind is Kind.MODEL_FILE:
            return self._resolve_model_file(component.id)
        if component.kind in _HUB_KINDS:
            return self._resolve_vendored(component.id)
        if component.kind is Kind.LIBRARY:
            claims = self._libraries.get(component.key)
            return Resolved(source=SOURCE, licenses=tuple(claims)) if claims else None
        return None

    def _facts_for(self, ident: str) -> list[_Facts]:
        """The folder facts and (for a weight file) file facts that apply to a component."""
        files = self._model_files.get(ident)
        if not files:
            return []
        applicable: list[_Facts] = []
        if ident in self._weight_ids:
            if ident in self._files:
                applicable.append(self._files[ident])
            folder = _parent(ident)
            folders = [folder]
            parent = PurePosixPath(folder)
            if parent.name in _DIFFUSERS_COMPONENT_DIRS:
                above = self._folders.get(parent.parent.as_posix())
                if above is not None and above.pipeline:
                    folders.append(parent.parent.as_posix())
        else:
            folders = sorted({_parent(file) for file in files})
        applicable.extend(self._folders[f] for f in folders if f in self._folders)
        return applicable

    def _resolve_model_file(self, ident: str) -> Resolved | None:
        facts = self._facts_for(ident)
        claims = [pc for f in facts for pc in f.claims]
        bases = [b for f in facts for b in f.bases]
        datasets = [d for f in facts for d in f.datasets]
        sources = sorted({s for f in facts for s in f.sources})
        if not claims and not bases and not datasets:
            return None
        properties = tuple(("source_model", s) for s in sources)
        return Resolved(
            source=SOURCE,
            licenses=_ordered_claims(claims),
            base_models=_merged_bases(bases),
            datasets=tuple(sorted(set(datasets))),
            properties=properties,
        )

    def _resolve_vendored(self, hub_id: str) -> Resolved | None:
        claims: list[tuple[int, LicenseClaim]] = []
        for owner, is_file in self._vendored.get(hub_id, []):
            facts = self._files.get(owner) if is_file else self._folders.get(owner)
            if facts is None or facts.card_bases:
                continue  # a derivative of the model, not a copy of it
            applicable = [facts]
            if is_file and _parent(owner) in self._folders:
                folder = self._folders[_parent(owner)]
                if not folder.card_bases:
                    applicable.append(folder)
            claims.extend(pc for f in applicable for pc in f.claims)
        if not claims:
            return None
        return Resolved(source=SOURCE, licenses=_ordered_claims(claims))


def _ordered_claims(claims: Iterable[tuple[int, LicenseClaim]]) -> tuple[LicenseClaim, ...]:
    """Card claims first, then license files, then headers; duplicates dropped."""
    seen: set[tuple[str, str | None, str | None, str | None]] = set()
    ordered: list[LicenseClaim] = []
    for _, claim in sorted(claims, key=lambda pc: (pc[0], pc[1].location or "", pc[1].raw)):
        key = (claim.raw, claim.name, claim.link, claim.location)
        if key not in seen:
            seen.add(key)
            ordered.append(claim)
    return tuple(ordered)


def _merged_bases(bases: Iterable[BaseModelRef]) -> tuple[BaseModelRef, ...]:
    """One reference per parent; a stated relation wins over ``base``."""
    chosen: dict[str, BaseModelRef] = {}
    for ref in bases:
        current = chosen.get(ref.id)
        if current is None or (
            current.relation is Relation.BASE and ref.relation is not Relation.BASE
        ):
            chosen[ref.id] = ref
    return tuple(chosen[key] for key in sorted(chosen))
