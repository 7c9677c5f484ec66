"""SPDX 3.0.1 JSON-LD output: what a reader of the document finds, read back with the
SPDX bindings (spdx-python-model) as any SPDX 3 consumer would read it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import git
import pytest
import spdx_python_model
from spdx_python_model import v3_0_1 as spdx

from modelbom import cli
from modelbom.emit import EmitOptions, OutputFormat, emitter_for
from modelbom.emit.spdx import NAMESPACE_BASE, PROFILES, is_license_expression, validate
from modelbom.engine import scan
from modelbom.model import (
    BaseModelRef,
    Component,
    Evidence,
    Kind,
    LicenseClaim,
    Relation,
    ScanResult,
    SourceInfo,
)
from modelbom.options import ScanOptions
from modelbom.policy.model import find_policy, load_policy
from modelbom.resolvers import Resolved, Resolver
from tests.support import FIXTURES, copy_fixture, run_cli

SCENARIOS = FIXTURES / "scenarios"
LLAMA = "LicenseRef-scancode-llama-3.1-license-2024"
NOASSERTION = spdx.expandedlicensing_IndividualLicensingInfo.NoAssertionLicense
RT = spdx.RelationshipType


class Doc:
    """An SPDX document read back from its bytes, with the queries the tests need."""

    def __init__(self, data: bytes, tmp_path: Path) -> None:
        self.text = data.decode("utf-8")
        path = tmp_path / "bom.spdx.json"
        path.write_bytes(data)
        model, self.objects = spdx_python_model.load(path)
        assert model is spdx

    def all(self, cls: type[Any]) -> list[Any]:
        return list(self.objects.foreach_type(cls))

    def package(self, name: str) -> Any:
        (found,) = [p for p in self.all(spdx.software_Package) if p.name == name]
        return found

    @property
    def document(self) -> Any:
        (found,) = self.all(spdx.SpdxDocument)
        return found

    @property
    def root(self) -> Any:
        (found,) = self.document.rootElement
        return found

    def relationships(self, source: Any, kind: str) -> list[Any]:
        return [
            r
            for r in self.all(spdx.Relationship)
            if r.from_ is source and r.relationshipType == kind
        ]

    def targets(self, source: Any, kind: str) -> list[str]:
        """Names (or expressions, or individuals' IRIs) of everything *source* relates to."""
        out = []
        for rel in self.relationships(source, kind):
            for to in rel.to:
                if isinstance(to, str):
                    out.append(to)
                elif isinstance(to, spdx.simplelicensing_LicenseExpression):
                    out.append(str(to.simplelicensing_licenseExpression))
                else:
                    out.append(str(to.name))
        return sorted(out)

    def license(self, name: str, kind: str) -> str:
        (expression,) = self.targets(self.package(name), kind)
        return expression

    def annotations(self, subject: Any) -> list[str]:
        return sorted(a.statement for a in self.all(spdx.Annotation) if a.subject is subject)


def emit(result: ScanResult, tmp_path: Path, *, reproducible: bool = True) -> Doc:
    data = emitter_for(OutputFormat.SPDX_JSON).emit(result, EmitOptions(reproducible=reproducible))
    assert validate(data.decode()) is None
    return Doc(data, tmp_path)


def scenario(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ScanResult:
    """Scan fixtures/scenarios/<name> offline against the Hugging Face cache fixture."""
    monkeypatch.setenv("HF_HUB_CACHE", str(SCENARIOS / "hf-cache"))
    root = tmp_path / name
    shutil.copytree(SCENARIOS / name, root)
    found = find_policy(root)
    return scan(
        ScanOptions(
            root=root,
            offline=True,
            cache_dir=tmp_path / "cache",
            policy=load_policy(found) if found else None,
        )
    )


# -- what a reader finds ----------------------------------------------------------------


def test_lora_on_llama_lineage_licenses_and_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = emit(scenario("lora-llama-service", tmp_path, monkeypatch), tmp_path)
    lora = doc.package("acme/support-lora")
    instruct = doc.package("meta-llama/Llama-3.1-8B-Instruct")
    assert isinstance(lora, spdx.ai_AIPackage)
    assert lora.software_primaryPurpose == spdx.software_SoftwarePurpose.model
    assert lora.software_downloadLocation == "https://huggingface.co/acme/support-lora"
    assert str(lora.software_packageUrl).startswith("pkg:huggingface/acme/support-lora@")
    (purl,) = lora.externalIdentifier
    assert isinstance(purl, spdx.ExternalIdentifier)
    assert purl.externalIdentifierType == spdx.ExternalIdentifierType.packageUrl
    assert purl.identifier == lora.software_packageUrl
    supplier = lora.suppliedBy
    assert isinstance(supplier, spdx.Agent)
    assert supplier.name == "acme"
    # The adapter descends from the instruct model, which descends from the base.
    (edge,) = doc.relationships(lora, RT.descendantOf)
    assert list(edge.to) == [instruct]
    assert edge.comment.startswith("adapter")
    assert doc.targets(instruct, RT.descendantOf) == ["meta-llama/Llama-3.1-8B"]
    # Declared: the adapter's own license; concluded: what governs it along the chain.
    assert doc.license("acme/support-lora", RT.hasDeclaredLicense) == "Apache-2.0"
    assert doc.license("acme/support-lora", RT.hasConcludedLicense) == f"Apache-2.0 AND {LLAMA}"
    assert doc.license("meta-llama/Llama-3.1-8B", RT.hasDeclaredLicense) == LLAMA
    # The repository depends on what its code references.
    assert doc.root.name == "lora-llama-service"
    assert doc.targets(doc.root, RT.dependsOn) == [
        "acme/support-lora",
        "meta-llama/Llama-3.1-8B-Instruct",
    ]
    # The artifact's verdict, with the rule and the path that causes it.
    (verdict,) = doc.annotations(doc.root)
    assert "verdict: violation" in verdict.splitlines()
    assert "violation: user-cap: 800,000,000 monthly active users exceed the cap" in verdict
    assert f"model:meta-llama/Llama-3.1-8B-Instruct [{LLAMA}] (adapter of)" in verdict
    review = [a for a in doc.all(spdx.Annotation) if a.subject is doc.root]
    assert review[0].annotationType == spdx.AnnotationType.review


def test_a_license_ref_names_the_license_and_links_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = emit(scenario("lora-llama-service", tmp_path, monkeypatch), tmp_path)
    (llama,) = [
        e
        for e in doc.all(spdx.simplelicensing_LicenseExpression)
        if e.simplelicensing_licenseExpression == LLAMA
    ]
    assert llama.comment == f"{LLAMA}: Llama 3.1 Community License Agreement"
    ((ref,),) = [list(r.locator) for r in llama.externalRef]
    assert ref == "https://github.com/meta-llama/llama-models/blob/main/models/llama3_1/LICENSE"
    # One license element per expression, shared: declared and concluded by both models.
    users = [r.from_.name for r in doc.all(spdx.Relationship) if llama in r.to]
    assert (
        sorted(users) == ["meta-llama/Llama-3.1-8B"] * 2 + ["meta-llama/Llama-3.1-8B-Instruct"] * 2
    )


def test_a_fine_tune_is_trained_on_its_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = emit(scenario("nc-finetune", tmp_path, monkeypatch), tmp_path)
    model = doc.package("models/support-ft")
    dataset = doc.package("acme/nc-instructions")
    assert isinstance(model, spdx.ai_AIPackage)
    assert sorted(model.ai_typeOfModel) == ["Qwen2ForCausalLM", "qwen2"]
    assert model.software_downloadLocation == "NOASSERTION"  # committed to the repository
    assert isinstance(dataset, spdx.dataset_DatasetPackage)
    assert dataset.software_primaryPurpose == spdx.software_SoftwarePurpose.data
    assert list(dataset.dataset_datasetType) == [spdx.dataset_DatasetType.noAssertion]
    assert (
        dataset.software_downloadLocation == "https://huggingface.co/datasets/acme/nc-instructions"
    )
    assert doc.targets(model, RT.trainedOn) == ["acme/nc-instructions"]
    assert doc.targets(model, RT.testedOn) == []  # a card's datasets are its training data
    (edge,) = doc.relationships(model, RT.descendantOf)
    assert [t.name for t in edge.to] == ["Qwen/Qwen2.5-0.5B"]
    assert edge.comment == "finetune (stated by repository)"
    assert doc.license("acme/nc-instructions", RT.hasDeclaredLicense) == "CC-BY-NC-4.0"
    (claim,) = doc.relationships(dataset, RT.hasDeclaredLicense)
    assert "'cc-by-nc-4.0' -> CC-BY-NC-4.0 [hf-cache" in claim.comment


def test_a_gguf_file_of_gemma_carries_its_architecture_and_gemma_terms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = emit(scenario("gguf-gemma", tmp_path, monkeypatch), tmp_path)
    gguf = doc.package("models/gemma-2-2b-it-Q4_K_M.gguf")
    assert isinstance(gguf, spdx.ai_AIPackage)
    assert list(gguf.ai_typeOfModel) == ["gemma2"]
    assert doc.targets(gguf, RT.descendantOf) == ["google/gemma-2-2b-it"]
    gemma = "LicenseRef-scancode-gemma-tou-2024-04-01"
    assert doc.license("models/gemma-2-2b-it-Q4_K_M.gguf", RT.hasConcludedLicense) == gemma
    (evidence,) = [a for a in doc.annotations(gguf) if a.startswith("Found in")]
    assert "models/gemma-2-2b-it-Q4_K_M.gguf:" in evidence


def test_a_dual_licensed_library_declares_the_choice_and_concludes_the_chosen_license(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = emit(scenario("dual-licensed", tmp_path, monkeypatch), tmp_path)
    lib = doc.package("dual-lib")
    assert type(lib) is spdx.software_Package
    assert lib.software_primaryPurpose == spdx.software_SoftwarePurpose.library
    assert lib.software_packageVersion == "1.4.2"
    assert lib.software_packageUrl == "pkg:npm/dual-lib@1.4.2"
    assert doc.license("dual-lib", RT.hasDeclaredLicense) == "Apache-2.0 OR GPL-2.0-only"
    assert doc.license("dual-lib", RT.hasConcludedLicense) == "Apache-2.0"
    (verdict,) = [a for a in doc.annotations(lib) if a.startswith("verdict:")]
    assert "license choice:" in verdict


class LineageHub(Resolver):
    """A quantization, a merge of two parents, and a gated dataset."""

    name = "lineage-hub"

    def resolve(self, component: Component) -> Resolved | None:
        if component.id == "acme/model-q4":
            return Resolved(
                source=self.name,
                base_models=(
                    BaseModelRef(id="acme/model", relation=Relation.QUANTIZED, source=self.name),
                ),
            )
        if component.id == "acme/merged":
            return Resolved(
                source=self.name,
                licenses=(LicenseClaim(raw="mit", expression="MIT", source=self.name),),
                base_models=tuple(
                    BaseModelRef(id=p, relation=Relation.MERGE, source=self.name)
                    for p in ("acme/parent-a", "acme/parent-b")
                ),
                datasets=("acme/gated-data",),
                properties=(("pipeline_tag", "text-generation"),),
            )
        if component.id == "acme/gated-data":
            return Resolved(source=self.name, gated="manual")
        return None


@pytest.fixture
def lineage_doc(tmp_path: Path) -> Doc:
    root = tmp_path / "svc"
    root.mkdir()
    (root / "app.py").write_text(
        "from openai import OpenAI\n"
        'AutoModel.from_pretrained("acme/model-q4")\n'
        'AutoModel.from_pretrained("acme/merged")\n'
        'OpenAI().chat.completions.create(model="gpt-4o-mini", messages=[])\n'
    )
    (root / "requirements.txt").write_text("openai==1.40.0\n")
    result = scan(ScanOptions(root=root, cache_dir=tmp_path / "cache"), resolvers=[LineageHub()])
    return emit(result, tmp_path)


def test_a_quantization_is_a_variant_of_its_base(lineage_doc: Doc) -> None:
    base = lineage_doc.package("acme/model")
    assert lineage_doc.targets(base, RT.hasVariant) == ["acme/model-q4"]
    (edge,) = lineage_doc.relationships(base, RT.hasVariant)
    assert edge.comment == "quantized (stated by lineage-hub)"
    assert lineage_doc.targets(lineage_doc.package("acme/model-q4"), RT.descendantOf) == []


def test_a_merge_descends_from_each_parent(lineage_doc: Doc) -> None:
    merged = lineage_doc.package("acme/merged")
    assert lineage_doc.targets(merged, RT.descendantOf) == ["acme/parent-a", "acme/parent-b"]
    assert list(merged.ai_domain) == ["text-generation"]
    assert merged.ai_autonomyType is None  # never stated by a source: never written
    gated = lineage_doc.package("acme/gated-data")
    assert lineage_doc.targets(merged, RT.trainedOn) == ["acme/gated-data"]
    assert gated.dataset_datasetAvailability == spdx.dataset_DatasetAvailabilityType.clickthrough


def test_hosted_models_and_libraries_are_software_packages(lineage_doc: Doc) -> None:
    hosted = lineage_doc.package("gpt-4o-mini")
    assert type(hosted) is spdx.software_Package
    assert hosted.software_primaryPurpose == spdx.software_SoftwarePurpose.model
    assert "modelbom kind: hosted-model" in str(hosted.comment)
    library = lineage_doc.package("openai")
    assert library.software_primaryPurpose == spdx.software_SoftwarePurpose.library
    assert library.software_packageVersion == "1.40.0"
    # Nothing known about their licenses: NOASSERTION, never a guess.
    for name in ("gpt-4o-mini", "openai", "acme/model"):
        assert lineage_doc.license(name, RT.hasDeclaredLicense) == NOASSERTION
        assert lineage_doc.license(name, RT.hasConcludedLicense) == NOASSERTION


def test_every_ai_package_has_exactly_one_declared_and_one_concluded_license(
    lineage_doc: Doc,
) -> None:
    packages = lineage_doc.all(spdx.ai_AIPackage)
    assert sorted(p.name for p in packages) == [
        "acme/merged",
        "acme/model",
        "acme/model-q4",
        "acme/parent-a",
        "acme/parent-b",
    ]
    for pkg in packages:
        for kind in (RT.hasDeclaredLicense, RT.hasConcludedLicense):
            assert len(lineage_doc.relationships(pkg, kind)) == 1, (pkg.name, kind)


def test_lineage_beyond_the_scan_still_names_the_parent(tmp_path: Path) -> None:
    evidence = Evidence(file="app.py", line=3, crawler="python", snippet='load("acme/child")')
    child = Component(
        kind=Kind.MODEL,
        id="acme/child",
        evidence=(evidence,),
        base_models=(BaseModelRef(id="acme/far-parent", relation=Relation.FINETUNE, source="hub"),),
        datasets=("acme/far-data",),
    )
    result = ScanResult(tool_version="0", source=SourceInfo(name="app"), components=(child,))
    doc = emit(result, tmp_path)
    parent = doc.package("acme/far-parent")
    assert isinstance(parent, spdx.ai_AIPackage)
    assert parent.software_packageUrl == "pkg:huggingface/acme/far-parent"
    assert "discovered: lineage" in str(parent.comment)
    assert doc.targets(doc.package("acme/child"), RT.descendantOf) == ["acme/far-parent"]
    assert doc.targets(doc.package("acme/child"), RT.trainedOn) == ["acme/far-data"]
    assert doc.targets(doc.root, RT.dependsOn) == ["acme/child"]


@pytest.fixture(scope="module")
def finetune_app(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root = copy_fixture("finetune-app", tmp_path_factory.mktemp("ft"))
    return scan(ScanOptions(root=root, offline=True))


def test_evidence_and_unknowns_are_annotations(finetune_app: ScanResult, tmp_path: Path) -> None:
    doc = emit(finetune_app, tmp_path)
    lora = doc.package("acme/mistral-7b-support-lora")
    (evidence,) = [a for a in doc.annotations(lora) if a.startswith("Found in")]
    assert "src/finetune_app/train.py:43:" in evidence
    assert 'PeftModel.from_pretrained(base, "acme/mistral-7b-support-lora"' in evidence
    assert "scope: code" in lora.comment.splitlines()
    (unknown,) = doc.annotations(doc.document)
    assert unknown == (
        "could not account for src/finetune_app/broken.py [crawl]: "
        "python: not valid Python: expected '(' (line 1)"
    )


def test_an_adapter_descends_from_the_base_the_code_loads_it_onto(
    finetune_app: ScanResult, tmp_path: Path
) -> None:
    doc = emit(finetune_app, tmp_path)
    lora = doc.package("acme/mistral-7b-support-lora")
    (edge,) = doc.relationships(lora, RT.descendantOf)
    assert [t.name for t in edge.to] == ["mistralai/Mistral-7B-v0.1"]
    assert edge.comment == "adapter (the repository loads it onto this base)"


def test_the_document_declares_its_profiles_and_root(
    finetune_app: ScanResult, tmp_path: Path
) -> None:
    doc = emit(finetune_app, tmp_path)
    document = doc.document
    profiles = [p.rsplit("/", 1)[-1] for p in document.profileConformance]
    assert profiles == list(PROFILES)
    assert doc.root.name == "finetune-app"
    assert doc.root.software_primaryPurpose == spdx.software_SoftwarePurpose.application
    info = document.creationInfo
    assert info.specVersion == "3.0.1"
    assert [a.name for a in info.createdBy] == ["modelbom"]
    assert next(t.name for t in info.createdUsing).startswith("modelbom ")
    listed = {e.spdxId for e in document.element}
    assert {e.spdxId for e in doc.all(spdx.Element)} - listed == {document.spdxId}


# -- identifiers and determinism --------------------------------------------------------


def test_ids_derive_from_content(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "app.py").write_text('AutoModel.from_pretrained("acme/one")\n')
    first = scan(ScanOptions(root=tmp_path / "a", offline=True))
    doc = emit(first, tmp_path)
    (component,) = first.components
    pkg = doc.package("acme/one")
    namespace, fragment = pkg.spdxId.split("#")
    assert fragment == component.bom_ref
    assert namespace.startswith(f"{NAMESPACE_BASE}/a-")
    assert doc.document.spdxId == f"{namespace}#document"
    # Another scan (another model referenced) is another document.
    (tmp_path / "a" / "app.py").write_text('AutoModel.from_pretrained("acme/two")\n')
    other = emit(scan(ScanOptions(root=tmp_path / "a", offline=True)), tmp_path)
    assert other.document.spdxId != doc.document.spdxId


def test_reproducible_mode_fixes_the_time_and_nothing_else_changes(
    finetune_app: ScanResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = finetune_app
    epoch = emit(result, tmp_path)
    assert epoch.document.creationInfo.created == datetime(1970, 1, 1, tzinfo=UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    dated = emit(result, tmp_path)
    assert dated.document.creationInfo.created == datetime(2026, 1, 1, tzinfo=UTC)
    before = datetime.now(UTC).replace(microsecond=0)
    now = emit(result, tmp_path, reproducible=False)
    assert before <= now.document.creationInfo.created <= datetime.now(UTC)
    # The time is not part of any id: the same scan keeps its namespace.
    assert now.document.spdxId == epoch.document.spdxId == dated.document.spdxId


def test_same_input_same_bytes_across_hash_seeds_and_checkouts(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        root = copy_fixture("finetune-app", tmp_path / f"copy-{seed}")
        out = tmp_path / f"bom-{seed}.spdx.json"
        proc = run_cli(
            "scan", str(root), "--offline", "--reproducible", "-q",
            "-o", f"spdx-json={out}",
            env={"PYTHONHASHSEED": seed},
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert validate(outputs[0].decode()) is None


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in SCENARIOS.iterdir() if (p / "modelbom.toml").is_file()),
)
def test_every_scenario_round_trips_through_the_spdx_bindings(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = emitter_for(OutputFormat.SPDX_JSON).emit(
        scenario(name, tmp_path, monkeypatch), EmitOptions(reproducible=True)
    )
    assert validate(data.decode()) is None
    doc = Doc(data, tmp_path)
    again = spdx.JSONLDSerializer().serialize_data(doc.objects, force_at_graph=True)
    assert again == json.loads(data)  # nothing lost or changed by a reader
    assert doc.all(spdx.software_Package)


# -- checks and failures ----------------------------------------------------------------


@pytest.fixture
def good(tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "app.py").write_text('AutoModel.from_pretrained("acme/one")\n')
    result = scan(ScanOptions(root=tmp_path, offline=True, cache_dir=tmp_path / "cache"))
    data: dict[str, Any] = json.loads(
        emitter_for(OutputFormat.SPDX_JSON).emit(result, EmitOptions(reproducible=True))
    )
    return data


def _graph(document: dict[str, Any], kind: str) -> Iterator[dict[str, Any]]:
    return (o for o in document["@graph"] if o["type"] == kind)


def test_validate_reports_a_dangling_reference(good: dict[str, Any]) -> None:
    good["@graph"] = [o for o in good["@graph"] if o["type"] != "ai_AIPackage"]
    error = validate(json.dumps(good))
    assert error is not None
    assert "references to elements the document does not hold" in error


def test_validate_reports_an_ai_package_without_a_concluded_license(good: dict[str, Any]) -> None:
    dropped = {
        o["spdxId"]
        for o in _graph(good, "Relationship")
        if o["relationshipType"] == "hasConcludedLicense"
    }
    good["@graph"] = [o for o in good["@graph"] if o.get("spdxId") not in dropped]
    for doc in _graph(good, "SpdxDocument"):
        doc["element"] = [e for e in doc["element"] if e not in dropped]
    error = validate(json.dumps(good))
    assert error is not None
    assert "has 0 hasConcludedLicense licenses, not one" in error


def test_validate_reports_a_wrong_license_expression(good: dict[str, Any]) -> None:
    good["@graph"].append(
        {
            "type": "simplelicensing_LicenseExpression",
            "spdxId": "https://example.com/doc#bad",
            "creationInfo": "_:CreationInfo0",
            "simplelicensing_licenseExpression": "some licence we made up",
        }
    )
    for doc in _graph(good, "SpdxDocument"):
        doc["element"].append("https://example.com/doc#bad")
    assert (
        validate(json.dumps(good)) == "https://example.com/doc#bad: not an SPDX license expression"
    )


def test_validate_reports_a_value_outside_the_model(good: dict[str, Any]) -> None:
    for pkg in _graph(good, "ai_AIPackage"):
        pkg["software_primaryPurpose"] = "snack"
    error = validate(json.dumps(good))
    assert error is not None and error.startswith("not readable as SPDX 3")


def test_validate_rejects_what_is_not_spdx_3() -> None:
    assert validate("[]") is not None
    assert validate('{"@context": "https://example.com/other"}') is not None


def test_a_license_expression_must_use_known_ids() -> None:
    assert is_license_expression("Apache-2.0 WITH LLVM-exception")
    assert is_license_expression(f"(MIT OR Apache-2.0) AND {LLAMA}")
    assert not is_license_expression("unknown")
    assert not is_license_expression("MIT AND")
    assert not is_license_expression("MIT WITH no-such-exception")


def test_a_concluded_license_that_is_not_an_expression_is_no_assertion(tmp_path: Path) -> None:
    from modelbom.emit.spdx import concluded_expression
    from modelbom.licenses.terms import Terms
    from modelbom.model.verdict import ComponentVerdict

    component = Component(
        kind=Kind.MODEL,
        id="acme/x",
        licenses=(LicenseClaim(raw="weird terms", source="repository"),),
    )
    verdict = ComponentVerdict(
        component="model:acme/x",
        bom_ref=component.bom_ref,
        governing=Terms(),
        concluded="weird terms AND MIT",
    )
    assert concluded_expression(component, verdict) is None
    assert concluded_expression(component, None) is None


# -- the command line -------------------------------------------------------------------


def test_the_cli_writes_spdx_next_to_cyclonedx(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    root.mkdir()
    (root / "app.py").write_text('AutoModel.from_pretrained("acme/served-model")\n')
    spdx_out, cdx_out = tmp_path / "bom.spdx.json", tmp_path / "bom.cdx.json"
    proc = run_cli(
        "scan", str(root), "--offline", "--reproducible",
        "-o", f"spdx-json={spdx_out}", "-o", f"cyclonedx-json={cdx_out}",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {spdx_out} (spdx-json)" in proc.stderr
    doc = Doc(spdx_out.read_bytes(), tmp_path)
    assert doc.package("acme/served-model").name == "acme/served-model"
    assert json.loads(cdx_out.read_text())["bomFormat"] == "CycloneDX"


def test_spdx_json_is_a_format_choice(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scan", "--help"]) == 0
    assert "spdx-json" in capsys.readouterr().out


def test_git_facts_without_credentials_and_no_secret_anywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "ghp_" + "Zx9" * 12
    token = "hf_" + "k" * 34
    root = tmp_path / "svc"
    root.mkdir()
    (root / "app.py").write_text(
        f'AutoModel.from_pretrained("acme/served-model", token="{token}")\n'
    )
    repo = git.Repo.init(root, initial_branch="main")
    repo.index.add(["app.py"])
    actor = git.Actor("t", "t@example.com")
    commit = repo.index.commit("init", author=actor, committer=actor)
    repo.create_remote("origin", f"https://ci-bot:{secret}@git.example.com/acme/svc.git")
    assert cli.main(["scan", str(root), "--offline", "--reproducible", "-f", "spdx-json"]) == 0
    out, err = capsys.readouterr()
    assert secret not in out + err
    assert token not in out
    assert str(tmp_path) not in out  # no absolute path
    doc = Doc(out.encode(), tmp_path)
    assert doc.root.software_packageVersion == commit.hexsha
    assert doc.root.software_sourceInfo == f"git commit {commit.hexsha}, branch main"
    assert doc.root.software_downloadLocation == "https://git.example.com/acme/svc.git"
    ((vcs,),) = [list(r.locator) for r in doc.root.externalRef]
    assert vcs == "https://git.example.com/acme/svc.git"


def test_a_committed_lfs_pointer_gives_the_model_file_its_sha256(tmp_path: Path) -> None:
    digest = "4d7a" * 16
    weights = tmp_path / "models" / "model.safetensors"
    weights.parent.mkdir()
    weights.write_text(
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{digest}\nsize 4920734592\n"
    )
    doc = emit(scan(ScanOptions(root=tmp_path, offline=True, cache_dir=tmp_path / "c")), tmp_path)
    (model,) = doc.all(spdx.ai_AIPackage)
    assert model.name == "models/model.safetensors"
    (check,) = model.verifiedUsing
    assert isinstance(check, spdx.Hash)
    assert (check.algorithm, check.hashValue) == (spdx.HashAlgorithm.sha256, digest)
