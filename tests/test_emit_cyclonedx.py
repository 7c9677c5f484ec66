"""The CycloneDX emitter with resolved facts: licenses with provenance, lineage, validity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelbom.emit import EmitOptions, OutputFormat, emitter_for
from modelbom.emit.cyclonedx import validate
from modelbom.engine import scan
from modelbom.model import BaseModelRef, Component, LicenseClaim, Relation
from modelbom.options import ScanOptions
from modelbom.resolvers import Resolved, Resolver


class TinyHub(Resolver):
    """Answers for a LoRA on a Llama base trained on one dataset."""

    name = "tiny-hub"

    def resolve(self, component: Component) -> Resolved | None:
        fetched = "2026-11-20T10:00:00+00:00"
        if component.id == "acme/llama-lora":
            return Resolved(
                source=self.name,
                licenses=(
                    LicenseClaim(
                        raw="llama3.1",
                        expression="LicenseRef-scancode-llama-3.1-license-2024",
                        source=self.name,
                        location="https://hub.example/acme/llama-lora",
                        fetched_at=fetched,
                    ),
                ),
                base_models=(
                    BaseModelRef(
                        id="meta-llama/Llama-3.1-8B", relation=Relation.ADAPTER, source=self.name
                    ),
                ),
                revision="b" * 40,
                fetched_at=fetched,
            )
        if component.id == "meta-llama/Llama-3.1-8B":
            return Resolved(
                source=self.name,
                licenses=(
                    LicenseClaim(
                        raw="llama3.1",
                        expression="LicenseRef-scancode-llama-3.1-license-2024",
                        source=self.name,
                    ),
                ),
                datasets=("acme/pretraining-mix",),
                gated="manual",
            )
        if component.id == "acme/pretraining-mix":
            return Resolved(
                source=self.name,
                licenses=(
                    LicenseClaim(
                        raw="MIT OR Apache-2.0", expression="MIT OR Apache-2.0", source=self.name
                    ),
                ),
            )
        if component.id == "acme/plain":
            return Resolved(
                source=self.name,
                licenses=(
                    LicenseClaim(raw="apache-2.0", expression="Apache-2.0", source=self.name),
                    LicenseClaim(
                        raw="other",
                        expression="LicenseRef-modelbom-other",
                        name="acme-terms",
                        source=self.name,
                        needs_review=True,
                    ),
                ),
            )
        return None


@pytest.fixture
def bom(tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "app.py").write_text(
        'PeftModel.from_pretrained(base, "acme/llama-lora")\nAutoModel.from_pretrained("acme/plain")\n'
    )
    result = scan(ScanOptions(root=tmp_path, cache_dir=tmp_path / "cache"), resolvers=[TinyHub()])
    text = (
        emitter_for(OutputFormat.CYCLONEDX_JSON)
        .emit(result, EmitOptions(reproducible=True))
        .decode()
    )
    assert validate(text, "1.6") is None
    document: dict[str, Any] = json.loads(text)
    return document


def by_name(bom: dict[str, Any], name: str) -> dict[str, Any]:
    (component,) = [c for c in bom["components"] if c["name"] == name]
    assert isinstance(component, dict)
    return component


def props(entry: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in entry.get("properties", [])}


def test_declared_license_says_where_it_came_from_and_when(bom: dict[str, Any]) -> None:
    lora = by_name(bom, "acme/llama-lora")
    (entry,) = lora["licenses"]
    assert entry["license"]["name"] == "LicenseRef-scancode-llama-3.1-license-2024"
    assert entry["license"]["acknowledgement"] == "declared"
    assert props(entry["license"]) == {
        "modelbom:license:source": "tiny-hub",
        "modelbom:license:location": "https://hub.example/acme/llama-lora",
        "modelbom:license:fetched": "2026-11-20T10:00:00+00:00",
        "modelbom:license:declared": "llama3.1",
    }
    assert lora["version"] == "b" * 40
    assert lora["purl"] == "pkg:huggingface/acme/llama-lora@" + "b" * 40


def test_spdx_ids_and_expressions(bom: dict[str, Any]) -> None:
    plain = by_name(bom, "acme/plain")
    assert plain["licenses"][0]["license"]["id"] == "Apache-2.0"
    assert plain["licenses"][1]["license"]["name"] == "acme-terms"
    assert props(plain["licenses"][1]["license"])["modelbom:license:needs-review"] == "true"
    mix = by_name(bom, "acme/pretraining-mix")
    # The declared expression, and the alternative the chain concluded for the default use
    # (an expression must stand alone, so the declared one is written as a named license).
    entries = {(e["license"]["name"], e["license"]["acknowledgement"]) for e in mix["licenses"]}
    assert entries == {("MIT OR Apache-2.0", "declared"), ("MIT", "concluded")}


def test_lineage_is_pedigree_and_dependencies(bom: dict[str, Any]) -> None:
    lora = by_name(bom, "acme/llama-lora")
    (ancestor,) = lora["pedigree"]["ancestors"]
    assert ancestor["name"] == "meta-llama/Llama-3.1-8B"
    assert ancestor["purl"] == "pkg:huggingface/meta-llama/Llama-3.1-8B"
    base = by_name(bom, "meta-llama/Llama-3.1-8B")
    assert props(base)["modelbom:discovered"] == "lineage"
    assert props(base)["modelbom:hub:gated"] == "manual"
    assert props(base)["modelbom:trained-on"] == "acme/pretraining-mix"
    deps = {d["ref"]: d.get("dependsOn", []) for d in bom["dependencies"]}
    assert deps[lora["bom-ref"]] == [base["bom-ref"]]
    assert deps[base["bom-ref"]] == [by_name(bom, "acme/pretraining-mix")["bom-ref"]]
    # The repository depends on what its code references, not on lineage it did not name.
    assert base["bom-ref"] not in deps["root"]
    assert lora["bom-ref"] in deps["root"]


def test_model_cards_reference_training_datasets(bom: dict[str, Any]) -> None:
    base = by_name(bom, "meta-llama/Llama-3.1-8B")
    dataset = by_name(bom, "acme/pretraining-mix")
    assert base["modelCard"]["modelParameters"]["datasets"] == [{"ref": dataset["bom-ref"]}]
    lora = by_name(bom, "acme/llama-lora")
    assert {"name": "modelbom:base-model", "value": "meta-llama/Llama-3.1-8B (adapter)"} in lora[
        "modelCard"
    ]["properties"]
