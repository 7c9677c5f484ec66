"""The repository resolver over findings of a real scan (real crawlers, real bytes)."""

from __future__ import annotations

import json
import struct
import threading

import pytest

from modelbom.crawlers.hf_files import HfFilesCrawler
from modelbom.crawlers.license_files import LicenseFilesCrawler
from modelbom.crawlers.manifests import ManifestsCrawler
from modelbom.crawlers.weights import WeightsCrawler
from modelbom.engine import scan
from modelbom.model import BaseModelRef, Component, Kind, Relation, ScanResult
from modelbom.options import ScanOptions
from modelbom.resolvers.base import ResolveContext, Resolved
from modelbom.resolvers.local import RepositoryResolver

MIT = (
    "MIT License\n\nCopyright (c) 2023 Microsoft\n\n"
    "Permission is hereby granted, free of charge, to any person obtaining a copy\n"
)
APACHE = "                                 Apache License\n                           Version 2.0, January 2004\n"
LLAMA32 = (
    "LLAMA 3.2 COMMUNITY LICENSE AGREEMENT\nLlama 3.2 Version Release Date: September 25, 2024\n"
)
OPENRAIL_PP = "CreativeML Open RAIL++-M License\ndated July 26, 2023\n"


def safetensors(metadata: dict[str, str] | None = None) -> bytes:
    header: dict[str, object] = {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
    if metadata:
        header["__metadata__"] = metadata
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + b"\x00" * 8


def gguf(values: dict[str, str]) -> bytes:
    out = b"GGUF" + struct.pack("<IQQ", 3, 0, len(values))
    for key, value in values.items():
        k, v = key.encode(), value.encode()
        out += struct.pack("<Q", len(k)) + k + struct.pack("<I", 8) + struct.pack("<Q", len(v)) + v
    return out + b"\x00" * (-len(out) % 32)


FILES: dict[str, str | bytes] = {
    "LICENSE": APACHE,  # the repository's own license: says nothing about the models
    "src/app.py": "from transformers import pipeline\n",
    "models/intent-classifier/README.md": (
        "---\nlicense: mit\nbase_model: prajjwal1/bert-tiny\ndatasets:\n- PolyAI/banking77\n"
        "pipeline_tag: text-classification\n---\n\n# intent-classifier\n"
    ),
    "models/intent-classifier/config.json": json.dumps(
        {
            "_name_or_path": "prajjwal1/bert-tiny",
            "architectures": ["BertForSequenceClassification"],
            "model_type": "bert",
            "hidden_size": 128,
        }
    ),
    "models/intent-classifier/model.safetensors": safetensors({"format": "pt"}),
    "adapters/support-lora/README.md": (
        "---\nbase_model: meta-llama/Llama-3.2-1B-Instruct\nlibrary_name: peft\nlicense: llama3.2\n"
        "datasets:\n- bitext/Bitext-customer-support-llm-chatbot-training-dataset\n---\n"
    ),
    "adapters/support-lora/adapter_config.json": json.dumps(
        {
            "base_model_name_or_path": "meta-llama/Llama-3.2-1B-Instruct",
            "peft_type": "LORA",
            "task_type": "CAUSAL_LM",
            "r": 16,
        }
    ),
    "adapters/support-lora/adapter_model.safetensors": safetensors(),
    "adapters/support-lora/LICENSE": LLAMA32,
    "models/phi-1_5/config.json": json.dumps(
        {
            "_name_or_path": "microsoft/phi-1_5",
            "architectures": ["PhiForCausalLM"],
            "model_type": "phi",
        }
    ),
    "models/phi-1_5/LICENSE": MIT,
    "models/llama-merge/README.md": (
        "---\nlicense: other\nlicense_name: llama3.1\n"
        "license_link: https://llama.meta.com/llama3_1/license/\nbase_model:\n"
        "- meta-llama/Llama-3.1-8B-Instruct\n- NousResearch/Hermes-3-Llama-3.1-8B\n"
        "base_model_relation: merge\nlibrary_name: transformers\n---\n"
    ),
    "gguf/qwen-support-q4_k_m.gguf": gguf(
        {
            "general.architecture": "qwen2",
            "general.license": "apache-2.0",
            "general.base_model.count": "1",
            "general.base_model.0.repo_url": "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct",
            "general.source.repo_url": "https://huggingface.co/acme-ai/qwen-support",
            "general.dataset.count": "1",
            "general.dataset.0.repo_url": "https://huggingface.co/acme-ai/support-chats",
        }
    ),
    "gguf/gemma-2b-q8_0.gguf": gguf({"general.architecture": "gemma", "general.license": "gemma"}),
    "models/sdxl/model_index.json": json.dumps(
        {"_class_name": "StableDiffusionXLPipeline", "_diffusers_version": "0.30.0"}
    ),
    "models/sdxl/LICENSE.md": OPENRAIL_PP,
    "models/sdxl/unet/config.json": json.dumps(
        {"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.30.0"}
    ),
    "models/sdxl/unet/diffusion_pytorch_model.safetensors": safetensors(),
    "loras/pixel-art-xl.safetensors": safetensors(
        {
            "modelspec.architecture": "stable-diffusion-xl-v1-base/lora",
            "modelspec.license": "CreativeML Open RAIL++-M",
        }
    ),
    "web/package-lock.json": json.dumps(
        {
            "name": "web",
            "lockfileVersion": 3,
            "packages": {
                "": {"name": "web", "dependencies": {"react": "^18.3.1"}},
                "node_modules/react": {"version": "18.3.1", "license": "MIT"},
            },
        }
    ),
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScanResult, RepositoryResolver]:
    root = tmp_path_factory.mktemp("repo")
    for rel, content in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = scan(
        ScanOptions(root=root, use_git=False),
        crawlers=[HfFilesCrawler(), WeightsCrawler(), LicenseFilesCrawler(), ManifestsCrawler()],
        resolvers=[],
    )
    assert not result.unknowns, result.unknowns
    resolver = RepositoryResolver()
    resolver.prepare(ResolveContext(findings=result.findings))
    return result, resolver


def component(result: ScanResult, kind: Kind, ident: str) -> Component:
    matches = [c for c in result.components if c.kind is kind and c.id == ident]
    assert len(matches) == 1, [(c.kind, c.id) for c in result.components]
    return matches[0]


def resolve(scanned: tuple[ScanResult, RepositoryResolver], kind: Kind, ident: str) -> Resolved:
    result, resolver = scanned
    resolved = resolver.resolve(component(result, kind, ident))
    assert resolved is not None
    assert resolved.source == "repository"
    assert resolved.fetched_at is None
    return resolved


def claims(resolved: Resolved) -> list[tuple[str, str | None, str | None, bool]]:
    return [(c.raw, c.expression, c.location, c.needs_review) for c in resolved.licenses]


def test_a_fine_tuned_folder_gets_its_card_license_lineage_and_datasets(
    scanned: tuple[ScanResult, RepositoryResolver],
) -> None:
    resolved = resolve(scanned, Kind.MODEL_FILE, "models/intent-classifier")
    assert claims(resolved) == [("mit", "MIT", "models/intent-classifier/README.md", False)]
    assert resolved.base_models == (
        BaseModelRef(id="prajjwal1/bert-tiny", relation=Relation.BASE, source="repository"),
    )
    assert resolved.datasets == ("PolyAI/banking77",)
    assert all(c.source == "repository" for c in resolved.licenses)


def test_a_weight_file_gets_the_facts_of_its_folder(
    scanned: tuple[ScanResult, RepositoryResolver],
) -> None:
    resolved = resolve(scanned, Kind.MODEL_FILE, "models/intent-classifier/model.safetensors")
    assert claims(resolved) == [("mit", "MIT", "models/intent-classifier/README.md", False)]
    assert [b.id for b in resolved.base_models] == ["prajjwal1/bert-tiny"]


def test_an_adapter_folder_card_first_then_license_file(
    scanned: tuple[ScanResult, RepositoryResolver],
) -> None:
    resolved = resolve(scanned, Kind.MODEL_FILE, "adapters/support-lora")
    expression = "LicenseRef-scancode-llama-3.2-license-2024"
    assert claims(resolved) == [
        ("llama3.2", expression, "adapters/support-lora/README.md", False),
        ("llama3.2", expression, "adapters/support-lora/LICENSE", False),
    ]
    assert resolved.base_models == (
        BaseModelRef(
            id="meta-llama/Llama-3.2-1B-Instruct", relation=Relation.ADAPTER, source="repository"
        ),
    )
    assert resolved.datasets == ("bitext/Bitext-customer-support-llm-chatbot-training-dataset",)


def test_a_merge_card_with_license_other(scanned: tuple[ScanResult, RepositoryResolver]) -> None:
    resolved = resolve(scanned, Kind.MODEL_FILE, "models/llama-merge")
    [claim] = resolved.licenses
    assert (claim.raw, claim.name, claim.link) == (
        "other",
        "llama3.1",
        "https://llama.meta.com/llama3_1/license/",
    )
    assert claim.expression == "LicenseRef-scancode-llama-3.1-license-2024"
    assert not claim.needs_review
    assert [(b.id, b.relation) for b in resolved.base_models] == [
        ("NousResearch/Hermes-3-Llama-3.1-8B", Relation.MERGE),
        ("meta-llama/Llama-3.1-8B-Instruct", Relation.MERGE),
    ]


def test_gguf_header_facts_stay_with_their_file(
    scanned: tuple[ScanResult, RepositoryResolver],
) -> None:
    qwen = resolve(scanned, Kind.MODEL_FILE, "gguf/qwen-support-q4_k_m.gguf")
    assert claims(qwen) == [("apache-2.0", "Apache-2.0", "gguf/qwen-support-q4_k_m.gguf", False)]
    assert [(b.id, b.relation) for b in qwen.base_models] == [
        ("Qwen/Qwen2.5-0.5B-Instruct", Relation.BASE),
        ("acme-ai/qwen-support", Relation.BASE),
    ]
    assert qwen.datasets == ("acme-ai/support-chats",)
    gemma = resolve(scanned, Kind.MODEL_FILE, "gguf/gemma-2b-q8_0.gguf")
    assert claims(gemma) == [
        ("gemma", "LicenseRef-scancode-gemma-tou-2024-04-01", "gguf/gemma-2b-q8_0.gguf", False)
    ]
    assert gemma.base_models == ()


def test_safetensors_modelspec_license(scanned: tuple[ScanResult, RepositoryResolver]) -> None:
    resolved = resolve(scanned, Kind.MODEL_FILE, "loras/pixel-art-xl.safetensors")
    assert claims(resolved) == [
        (
            "CreativeML Open RAIL++-M",
            "LicenseRef-modelbom-openrail-plusplus-m",
            "loras/pixel-art-xl.safetensors",
            False,
        )
    ]


def test_a_pipeline_component_weight_gets_the_pipeline_license(
    scanned: tuple[ScanResult, RepositoryResolver],
) -> None:
    resolved = resolve(
        scanned, Kind.MODEL_FILE, "models/sdxl/unet/diffusion_pytorch_model.safetensors"
    )
    assert claims(resolved) == [
        ("openrail++", "LicenseRef-modelbom-openrail-plusplus-m", "models/sdxl/LICENSE.md", False)
    ]


def test_a_vendored_copy_gives_its_license_to_the_hub_model(
    scanned: tuple[ScanResult, RepositoryResolver],
) -> None:
    folder = resolve(scanned, Kind.MODEL_FILE, "models/phi-1_5")
    assert claims(folder) == [("mit", "MIT", "models/phi-1_5/LICENSE", False)]
    assert ("source_model", "microsoft/phi-1_5") in folder.properties
    hub = resolve(scanned, Kind.MODEL, "microsoft/phi-1_5")
    assert claims(hub) == [("mit", "MIT", "models/phi-1_5/LICENSE", False)]
    assert hub.base_models == ()
    converted = resolve(scanned, Kind.MODEL, "acme-ai/qwen-support")  # GGUF general.source
    assert claims(converted) == [
        ("apache-2.0", "Apache-2.0", "gguf/qwen-support-q4_k_m.gguf", False)
    ]


def test_a_derivative_says_nothing_about_its_parents(
    scanned: tuple[ScanResult, RepositoryResolver],
) -> None:
    result, resolver = scanned
    for ident in (
        "prajjwal1/bert-tiny",  # named by the card as base *and* by config.json as source
        "meta-llama/Llama-3.2-1B-Instruct",
        "meta-llama/Llama-3.1-8B-Instruct",
        "Qwen/Qwen2.5-0.5B-Instruct",
    ):
        assert resolver.resolve(component(result, Kind.MODEL, ident)) is None, ident


def test_the_repository_license_never_reaches_a_model(
    scanned: tuple[ScanResult, RepositoryResolver],
) -> None:
    result, resolver = scanned
    for comp in result.components:
        resolved = resolver.resolve(comp)
        if resolved is not None:
            assert "LICENSE" not in [c.location for c in resolved.licenses], comp.id


def test_a_library_gets_the_lock_file_license(
    scanned: tuple[ScanResult, RepositoryResolver],
) -> None:
    resolved = resolve(scanned, Kind.LIBRARY, "react")
    assert claims(resolved) == [("MIT", "MIT", "web/package-lock.json", False)]


def test_nothing_to_say(scanned: tuple[ScanResult, RepositoryResolver]) -> None:
    result, resolver = scanned
    assert resolver.resolve(component(result, Kind.DATASET, "PolyAI/banking77")) is None
    assert resolver.resolve(Component(kind=Kind.MODEL_FILE, id="not/scanned")) is None
    assert (
        resolver.resolve(Component(kind=Kind.HOSTED_MODEL, id="gpt-4o", ecosystem="openai")) is None
    )
    assert (
        RepositoryResolver().resolve(component(result, Kind.MODEL_FILE, "models/phi-1_5")) is None
    )


def test_resolving_from_many_threads_gives_the_same_answers(
    scanned: tuple[ScanResult, RepositoryResolver],
) -> None:
    result, resolver = scanned
    expected = [resolver.resolve(c) for c in result.components]
    outcomes: list[list[Resolved | None]] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [resolver.resolve(c) for c in result.components]
        with lock:
            outcomes.append(mine)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [expected] * 8
