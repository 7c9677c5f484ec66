"""The hf-files crawler: adapter and model configs, diffusers pipelines, model cards."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path, PurePosixPath

import pytest

from modelbom.crawlers.base import CrawlError, FileInput
from modelbom.crawlers.hf_files import REMOTE_CODE_RISK, HfFilesCrawler, folder_id
from modelbom.model import Finding, Kind, Scope


def crawl(path: str, text: str, crawler: HfFilesCrawler | None = None) -> list[Finding]:
    data = textwrap.dedent(text).lstrip("\n").encode()
    return list(
        (crawler or HfFilesCrawler()).crawl(FileInput(path=path, data=data, size=len(data)))
    )


def found(findings: list[Finding]) -> list[tuple[str, str, int, int]]:
    return [(f.kind.value, f.id, f.evidence.line, f.evidence.column) for f in findings]


def by_kind(findings: list[Finding], kind: Kind) -> list[Finding]:
    return [f for f in findings if f.kind is kind]


def crawl_error(path: str, text: str) -> str:
    with pytest.raises(CrawlError) as info:
        crawl(path, text)
    return str(info.value)


@pytest.mark.parametrize(
    ("path", "size", "wanted"),
    [
        ("adapters/x/adapter_config.json", 100, True),
        ("config.json", 100, True),
        ("sd/model_index.json", 100, True),
        ("models/x/README.md", 100, True),
        ("models/x/readme.md", 100, True),
        ("README.md", 2 * 1024 * 1024, False),
        ("generation_config.json", 100, False),
        ("models/x/README.rst", 100, False),
    ],
)
def test_wants(path: str, size: int, wanted: bool) -> None:
    assert HfFilesCrawler().wants(PurePosixPath(path), size) is wanted


def test_folder_ids() -> None:
    assert folder_id(PurePosixPath("adapters/support-lora/adapter_config.json")) == (
        "adapters/support-lora"
    )
    assert folder_id(PurePosixPath("adapter_config.json")) == "adapter_config.json"


# ---------------------------------------------------------------------- adapter_config


ADAPTER_CONFIG = """
    {
      "base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct",
      "lora_alpha": 16,
      "peft_type": "LORA",
      "r": 8,
      "revision": null,
      "task_type": "CAUSAL_LM"
    }
"""


def test_peft_adapter_with_a_hub_base() -> None:
    findings = crawl("adapters/support-lora/adapter_config.json", ADAPTER_CONFIG)
    assert found(findings) == [
        ("model", "HuggingFaceTB/SmolLM2-135M-Instruct", 2, 30),
        ("model-file", "adapters/support-lora", 4, 16),
    ]
    base, folder = findings
    assert base.properties == {"relation": "base-of-adapter", "adapter": "adapters/support-lora"}
    assert base.revision is None
    assert (
        base.evidence.snippet == '"base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct",'
    )
    assert base.evidence.scope is Scope.CONFIG
    assert base.evidence.crawler == "hf-files"
    assert folder.properties == {
        "format": "peft-adapter",
        "kind_hint": "adapter",
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model": "HuggingFaceTB/SmolLM2-135M-Instruct",
    }


def test_peft_adapter_revision_is_kept() -> None:
    text = '{"base_model_name_or_path": "meta-llama/Llama-2-7b-hf", "peft_type": "LORA",'
    text += ' "revision": "01c7f73d771dfac7d292323805ebc428287df4f9"}'
    (base,) = by_kind(crawl("a/adapter_config.json", text), Kind.MODEL)
    assert base.revision == "01c7f73d771dfac7d292323805ebc428287df4f9"


@pytest.mark.parametrize(
    "base",
    ["/workspace/checkpoints/llama-3-8b", "./base", "../models/llama", "your-org/your-model", ""],
)
def test_peft_adapter_with_a_local_base_has_no_model_finding(base: str) -> None:
    text = json.dumps({"base_model_name_or_path": base, "peft_type": "LORA"})
    findings = crawl("adapters/local/adapter_config.json", text)
    assert by_kind(findings, Kind.MODEL) == []
    (folder,) = findings
    assert folder.id == "adapters/local"
    assert folder.properties.get("base_model") == (base or None)


def test_adapter_config_at_the_root_is_named_by_its_path() -> None:
    findings = crawl("adapter_config.json", ADAPTER_CONFIG)
    assert by_kind(findings, Kind.MODEL_FILE)[0].id == "adapter_config.json"


def test_adapterhub_adapter_config() -> None:
    text = """
        {
          "config": {"reduction_factor": 16, "non_linearity": "relu"},
          "hidden_size": 768,
          "model_class": "BertModelWithHeads",
          "model_name": "bert-base-uncased",
          "model_type": "bert",
          "name": "sst-2"
        }
    """
    findings = crawl("adapters/sst2/adapter_config.json", text)
    assert found(findings) == [
        ("model-file", "adapters/sst2", 2, 13),
        ("model", "bert-base-uncased", 5, 17),
    ]
    assert findings[0].properties["format"] == "adapterhub-adapter"


def test_adapter_config_of_another_tool_is_ignored() -> None:
    assert crawl("adapter_config.json", '{"adapters": ["a", "b"]}') == []


def test_invalid_adapter_config_is_an_error() -> None:
    assert "invalid JSON" in crawl_error("adapter_config.json", '{"peft_type": "LORA",')
    assert "not a JSON object" in crawl_error("adapter_config.json", '["peft_type"]')


# --------------------------------------------------------------------------- config.json

PHI_CONFIG = """
    {
      "_name_or_path": "microsoft/phi-1_5",
      "architectures": [
        "PhiForCausalLM"
      ],
      "auto_map": {
        "AutoConfig": "configuration_phi.PhiConfig",
        "AutoModelForCausalLM": "modeling_phi.PhiForCausalLM"
      },
      "model_type": "phi-msft",
      "n_embd": 2048
    }
"""


def test_transformers_config_with_auto_map_is_a_remote_code_risk() -> None:
    findings = crawl("models/phi/config.json", PHI_CONFIG)
    assert found(findings) == [
        ("model", "microsoft/phi-1_5", 2, 20),
        ("model-file", "models/phi", 3, 20),
    ]
    source, folder = findings
    assert source.properties == {"relation": "source"}
    assert source.evidence.confidence == 0.9
    assert folder.properties == {
        "format": "transformers-config",
        "architectures": "PhiForCausalLM",
        "model_type": "phi-msft",
        "risk": REMOTE_CODE_RISK,
    }


def test_transformers_config_without_auto_map_has_no_risk() -> None:
    text = json.dumps(
        {
            "_name_or_path": "/home/me/ckpt/checkpoint-500",
            "architectures": ["BertForSequenceClassification", "BertModel"],
            "model_type": "bert",
            "hidden_size": 128,
        },
        indent=2,
    )
    findings = crawl("models/intent/config.json", text)
    (folder,) = findings  # the local _name_or_path is not a model
    assert folder.properties == {
        "format": "transformers-config",
        "architectures": "BertForSequenceClassification,BertModel",
        "model_type": "bert",
    }


def test_model_type_with_typical_keys_is_a_transformers_config() -> None:
    text = '{"model_type": "llama", "hidden_size": 4096, "vocab_size": 32000}'
    assert found(crawl("llama/config.json", text)) == [("model-file", "llama", 1, 16)]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            '{"model": "gpt-4o-mini", "model_type": "chat", "temperature": 0.2}', id="app"
        ),
        pytest.param('{"model_type": "llama3"}', id="model-type-alone"),
        pytest.param('{"name": "web", "port": 8080}', id="no-markers"),
        pytest.param('{"architectures": "x86_64", "os": "linux"}', id="not-a-class-list"),
        pytest.param('["model_type"]', id="array"),
        pytest.param("// comment\n{port: 1}", id="jsonc-without-markers"),
    ],
)
def test_configs_of_other_tools_give_nothing(text: str) -> None:
    assert crawl("configs/config.json", text) == []


def test_invalid_transformers_config_is_an_error() -> None:
    reason = crawl_error("m/config.json", '{"architectures": ["X"],\n  "model_type": }')
    assert reason.startswith("invalid JSON") and "line 2" in reason


def test_deeply_nested_config_is_an_error() -> None:
    text = '{"model_type": ' + "[" * 100_000
    assert "invalid JSON" in crawl_error("m/config.json", text) or "nested" in crawl_error(
        "m/config.json", text
    )


# ----------------------------------------------------------------------------- diffusers

MODEL_INDEX = """
    {
      "_class_name": "StableDiffusionXLPipeline",
      "_diffusers_version": "0.24.0.dev0",
      "_name_or_path": "stabilityai/sdxl-turbo",
      "unet": ["diffusers", "UNet2DConditionModel"]
    }
"""
UNET_CONFIG = """
    {
      "_class_name": "UNet2DConditionModel",
      "_diffusers_version": "0.24.0.dev0",
      "_name_or_path": "stabilityai/sdxl-turbo",
      "in_channels": 4
    }
"""


def test_model_index_of_a_diffusers_pipeline() -> None:
    findings = crawl("models/sdxl-turbo/model_index.json", MODEL_INDEX)
    assert found(findings) == [
        ("model-file", "models/sdxl-turbo", 2, 18),
        ("model", "stabilityai/sdxl-turbo", 4, 20),
    ]
    assert findings[0].properties == {
        "format": "diffusers-pipeline",
        "class_name": "StableDiffusionXLPipeline",
        "diffusers_version": "0.24.0.dev0",
    }


def test_component_configs_of_a_pipeline_are_not_reported_separately() -> None:
    crawler = HfFilesCrawler()
    assert crawl("sd/unet/config.json", UNET_CONFIG, crawler) == []
    assert crawl("sd/model_index.json", MODEL_INDEX, crawler) != []
    assert list(crawler.finish()) == []


def test_standalone_component_config_is_reported_at_finish() -> None:
    crawler = HfFilesCrawler()
    assert crawl("vendor/vae/config.json", UNET_CONFIG, crawler) == []
    finished = list(crawler.finish())
    assert [(f.kind.value, f.id) for f in finished] == [
        ("model-file", "vendor/vae"),
        ("model", "stabilityai/sdxl-turbo"),
    ]
    assert finished[0].properties["format"] == "diffusers-config"


def test_standalone_controlnet_config_is_reported_at_once() -> None:
    text = UNET_CONFIG.replace("UNet2DConditionModel", "ControlNetModel")
    findings = crawl("models/controlnet-canny/config.json", text)
    assert [(f.kind.value, f.id) for f in findings] == [
        ("model-file", "models/controlnet-canny"),
        ("model", "stabilityai/sdxl-turbo"),
    ]
    assert findings[0].properties["class_name"] == "ControlNetModel"


# --------------------------------------------------------------------------- model cards

LLAMA_MERGE_CARD = """
    ---
    license: other
    license_name: llama3.1
    license_link: https://llama.meta.com/llama3_1/license/
    base_model:
    - meta-llama/Llama-3.1-8B-Instruct
    - NousResearch/Hermes-3-Llama-3.1-8B
    - your-org/your-model
    - ./local-checkpoint
    base_model_relation: merge
    datasets: [imdb, "PolyAI/banking77", "<dataset>"]
    ---

    # llama-merge
"""


def test_model_card_front_matter() -> None:
    findings = crawl("models/llama-merge/README.md", LLAMA_MERGE_CARD)
    assert found(findings) == [
        ("model-file", "models/llama-merge", 2, 10),
        ("model", "meta-llama/Llama-3.1-8B-Instruct", 6, 3),
        ("model", "NousResearch/Hermes-3-Llama-3.1-8B", 7, 3),
        ("dataset", "imdb", 11, 12),
        ("dataset", "PolyAI/banking77", 11, 18),
    ]
    card = findings[0]
    assert card.properties == {
        "format": "model-card",
        "license": "other",
        "license_name": "llama3.1",
        "license_link": "https://llama.meta.com/llama3_1/license/",
    }
    assert card.evidence.snippet == "license: other"
    for f in findings[1:3]:
        assert f.properties == {"relation": "merge", "card": "models/llama-merge/README.md"}
    assert findings[3].properties == {"card": "models/llama-merge/README.md"}


def test_deeply_nested_card_yaml_is_refused_at_once() -> None:
    text = "---\nlicense: " + "[" * 5000 + "\n---\n"
    started = time.perf_counter()
    assert crawl_error("models/x/README.md", text) == "model card YAML nested too deeply"
    assert time.perf_counter() - started < 1


def test_escaped_surrogates_in_a_card_are_kept_as_printable_text() -> None:
    findings = crawl("models/x/README.md", '---\nlicense: "mit\\ud800\\udc00"\n---\n')
    (card,) = findings
    assert card.properties["license"] == "mit\\ud800\\udc00"


def test_card_lines_count_leading_blank_lines_bom_and_crlf() -> None:
    text = "\ufeff\r\n---\r\nlicense: mit\r\nbase_model: prajjwal1/bert-tiny\r\n---\r\n# x\r\n"
    data = text.encode()
    findings = list(HfFilesCrawler().crawl(FileInput("m/README.md", data, len(data))))
    assert found(findings) == [
        ("model-file", "m", 3, 10),
        ("model", "prajjwal1/bert-tiny", 4, 13),
    ]
    assert findings[1].evidence.snippet == "base_model: prajjwal1/bert-tiny"


@pytest.mark.parametrize(
    ("extra", "relation"),
    [
        ("", "base"),
        ("library_name: transformers\n", "base"),
        ("library_name: peft\n", "adapter"),
        ("library_name: peft\nbase_model_relation: quantized\n", "quantized"),
        ("base_model_relation: something-else\n", "base"),
    ],
)
def test_card_base_model_relation(extra: str, relation: str) -> None:
    text = "---\nbase_model: HuggingFaceTB/SmolLM2-135M-Instruct\n" + extra + "---\n"
    findings = crawl("adapters/support/README.md", text)
    (base,) = by_kind(findings, Kind.MODEL)
    assert (base.id, base.evidence.line) == ("HuggingFaceTB/SmolLM2-135M-Instruct", 2)
    assert base.properties["relation"] == relation
    (card,) = by_kind(findings, Kind.MODEL_FILE)
    assert (card.properties.get("kind_hint") == "adapter") is ("peft" in extra)


def test_license_list_is_joined() -> None:
    text = "---\nlicense:\n- apache-2.0\n- mit\n---\n"
    (card,) = crawl("m/README.md", text)
    assert card.properties["license"] == "apache-2.0, mit"


def test_yaml_1_1_values_are_taken_as_written() -> None:
    (card,) = crawl("m/README.md", "---\nlicense: no\n---\n")
    assert card.properties["license"] == "no"


def test_dataset_card_reports_no_model_file() -> None:
    text = """
        ---
        license: cc-by-4.0
        task_categories:
        - text-classification
        size_categories:
        - 10K<n<100K
        ---
    """
    assert crawl("data/tickets/README.md", text) == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("# Project\n\nNo front matter.\n---\nlicense: mit\n", id="no-front-matter"),
        pytest.param("---\ntitle: Post\nlayout: post\ntags: [llm]\n---\n", id="jekyll-tags"),
        pytest.param("---\ntitle: Post\n---\n", id="no-card-keys"),
        pytest.param("---\n---\n# empty\n", id="empty"),
        pytest.param("---\nlicense: mit\n", id="unterminated"),
    ],
)
def test_readmes_that_are_not_cards_give_nothing(text: str) -> None:
    assert crawl("docs/README.md", text) == []


def test_python_tag_is_rejected_and_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (
        f'---\nlicense: mit\nbase_model: !!python/object/apply:os.system ["touch {marker}"]\n---\n'
    )
    reason = crawl_error("models/x/README.md", text)
    assert reason.startswith("unsafe YAML tag !!python/object/apply:os.system")
    assert not marker.exists()


def test_python_tag_on_the_whole_document_is_rejected(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f'---\n!!python/object/apply:os.system ["touch {marker}"]\n---\n'
    assert "unsafe YAML tag" in crawl_error("README.md", text)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("---\n- license\n- mit\n---\n", "not a mapping", id="list"),
        pytest.param("---\nlicense: [apache-2.0\n---\n", "invalid model card YAML", id="bad"),
        pytest.param("---\nlicense: !custom mit\n---\n", "unsupported YAML tag", id="tag"),
        pytest.param("---\nx: " + "[" * 100_000 + "\n---\n", "model card YAML", id="deep"),
    ],
)
def test_bad_front_matter_is_an_error(text: str, reason: str) -> None:
    assert reason in crawl_error("m/README.md", text)


def test_yaml_error_names_the_line_in_the_file() -> None:
    reason = crawl_error("m/README.md", "---\nlicense: mit\nbase_model: [a\n---\n")
    assert reason.endswith("(line 3)")


def test_alias_bomb_is_bounded() -> None:
    lines = ["---", "license: mit", 'a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append("---")
    started = time.perf_counter()
    (card,) = crawl("m/README.md", "\n".join(lines) + "\n")
    assert time.perf_counter() - started < 2
    assert card.properties["license"] == "mit"
