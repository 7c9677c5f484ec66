"""The ComfyUI crawler: loader files, prompt embeddings and notes of both workflow formats."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

import pytest

from modelbom.crawlers.base import CrawlError, FileInput
from modelbom.crawlers.comfyui import ComfyUICrawler, is_comfyui_workflow
from modelbom.crawlers.prompts import PromptsCrawler
from modelbom.model import Finding, Scope
from tests.support import crawler_golden


def crawl_text(text: str, path: str = "workflow.json") -> list[Finding]:
    data = text.encode()
    return list(ComfyUICrawler().crawl(FileInput(path=path, data=data, size=len(data))))


def crawl_doc(doc: Any, path: str = "workflow.json") -> list[Finding]:
    return crawl_text(json.dumps(doc, indent=2), path)


def found(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.kind.value, f.id) for f in findings]


def api_node(class_type: str, **inputs: Any) -> dict[str, Any]:
    return {"class_type": class_type, "inputs": inputs, "_meta": {"title": class_type}}


def ui_doc(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"last_node_id": 9, "nodes": list(nodes), "links": [], "version": 0.4}


def ui_node(node_id: int, node_type: str, *widgets: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "mode": 0, "widgets_values": list(widgets)}


# -- API format ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        pytest.param(
            api_node("CheckpointLoaderSimple", ckpt_name="sd_xl_base_1.0.safetensors"),
            [("model", "sd_xl_base_1.0.safetensors")],
            id="checkpoint",
        ),
        pytest.param(
            api_node("CheckpointLoader", config_name="v1-inference.yaml", ckpt_name="v1-5.ckpt"),
            [("model", "v1-5.ckpt")],
            id="checkpoint-with-config",
        ),
        pytest.param(
            api_node("ImageOnlyCheckpointLoader", ckpt_name="svd_xt.safetensors"),
            [("model", "svd_xt.safetensors")],
            id="image-only-checkpoint",
        ),
        pytest.param(
            api_node("unCLIPCheckpointLoader", ckpt_name="sd21-unclip-h.ckpt"),
            [("model", "sd21-unclip-h.ckpt")],
            id="unclip-checkpoint",
        ),
        pytest.param(
            api_node("UNETLoader", unet_name="flux1-dev.safetensors", weight_dtype="default"),
            [("model", "flux1-dev.safetensors")],
            id="unet",
        ),
        pytest.param(
            api_node("VAELoader", vae_name="sdxl_vae.safetensors"),
            [("model", "sdxl_vae.safetensors")],
            id="vae",
        ),
        pytest.param(
            api_node("CLIPLoader", clip_name="t5xxl_fp8_e4m3fn.safetensors", type="sd3"),
            [("model", "t5xxl_fp8_e4m3fn.safetensors")],
            id="clip",
        ),
        pytest.param(
            api_node(
                "DualCLIPLoader",
                clip_name1="t5xxl_fp16.safetensors",
                clip_name2="clip_l.safetensors",
                type="flux",
            ),
            [("model", "t5xxl_fp16.safetensors"), ("model", "clip_l.safetensors")],
            id="dual-clip",
        ),
        pytest.param(
            api_node("LoraLoader", lora_name="SDXL/add-detail-xl.safetensors", strength_model=1),
            [("adapter", "SDXL/add-detail-xl.safetensors")],
            id="lora-subfolder",
        ),
        pytest.param(
            api_node("LoraLoaderModelOnly", lora_name="flux_realism_lora.safetensors"),
            [("adapter", "flux_realism_lora.safetensors")],
            id="lora-model-only",
        ),
        pytest.param(
            api_node("ControlNetLoader", control_net_name="control_v11p_sd15_canny.pth"),
            [("model", "control_v11p_sd15_canny.pth")],
            id="controlnet",
        ),
        pytest.param(
            api_node(
                "DiffControlNetLoader", control_net_name="diff_control_sd15_depth.safetensors"
            ),
            [("model", "diff_control_sd15_depth.safetensors")],
            id="diff-controlnet",
        ),
        pytest.param(
            api_node("IPAdapterModelLoader", ipadapter_file="ip-adapter_sdxl_vit-h.safetensors"),
            [("adapter", "ip-adapter_sdxl_vit-h.safetensors")],
            id="ipadapter",
        ),
        pytest.param(
            api_node("IPAdapterInsightFaceLoader", ipadapter="ip-adapter-faceid_sd15.bin"),
            [("adapter", "ip-adapter-faceid_sd15.bin")],
            id="ipadapter-family-string-input",
        ),
        pytest.param(
            api_node("UpscaleModelLoader", model_name="4x-UltraSharp.pth"),
            [("model", "4x-UltraSharp.pth")],
            id="upscale",
        ),
        pytest.param(
            api_node("StyleModelLoader", style_model_name="flux1-redux-dev.safetensors"),
            [("model", "flux1-redux-dev.safetensors")],
            id="style-model",
        ),
        pytest.param(
            api_node("CLIPVisionLoader", clip_name="clip_vision_g.safetensors"),
            [("model", "clip_vision_g.safetensors")],
            id="clip-vision",
        ),
        pytest.param(
            api_node("GLIGENLoader", gligen_name="gligen_sd14_textbox_pruned.safetensors"),
            [("adapter", "gligen_sd14_textbox_pruned.safetensors")],
            id="gligen",
        ),
        pytest.param(
            api_node("HypernetworkLoader", hypernetwork_name="anime_3.pt", strength=1.0),
            [("adapter", "anime_3.pt")],
            id="hypernetwork",
        ),
        pytest.param(
            api_node(
                "CLIPTextEncode", text="a castle, embedding:EasyNegative, (embedding:bad:1.2)"
            ),
            [("adapter", "EasyNegative"), ("adapter", "bad")],
            id="embedding-in-text",
        ),
        pytest.param(
            api_node("CLIPTextEncode", text="embedding:negatives/verybadimagenegative_v1.3.pt."),
            [("adapter", "negatives/verybadimagenegative_v1.3.pt")],
            id="embedding-keeps-subfolder-and-extension",
        ),
        pytest.param(
            api_node("CLIPTextEncodeSDXL", text_g="photo", text_l="photo, embedding:ng_deepneg"),
            [("adapter", "ng_deepneg")],
            id="embedding-any-string-input",
        ),
        pytest.param(
            api_node("LoraTagLoader", text="<lora:pixel-art-xl:0.7> <lora:LCM_LoRA_SDXL:1>"),
            [("adapter", "pixel-art-xl"), ("adapter", "LCM_LoRA_SDXL")],
            id="lora-tags-in-text",
        ),
        pytest.param(
            api_node("UnetLoaderGGUF", unet_name="flux1-dev-Q4_K_S.gguf"),
            [("model", "flux1-dev-Q4_K_S.gguf")],
            id="custom-loader-gguf",
        ),
        pytest.param(
            api_node("Efficient Loader", lora_name="epi_noiseoffset2.safetensors"),
            [("adapter", "epi_noiseoffset2.safetensors")],
            id="custom-loader-lora-key",
        ),
        pytest.param(
            api_node(
                "CivitAI_Checkpoint_Loader",
                ckpt_air="urn:air:sdxl:checkpoint:civitai:133005@357609",
            ),
            [("model", "urn:air:sdxl:checkpoint:civitai:133005@357609")],
            id="civitai-air-in-custom-node",
        ),
    ],
)
def test_api_patterns(node: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    findings = crawl_doc({"7": node})
    assert found(findings) == expected
    assert all(f.evidence.crawler == "comfyui" for f in findings)


def test_api_properties_ecosystem_and_confidence() -> None:
    findings = crawl_doc(
        {
            "4": api_node("CheckpointLoaderSimple", ckpt_name="sd_xl_base_1.0.safetensors"),
            "9": api_node("UnetLoaderGGUF", unet_name="flux1-dev-Q8_0.gguf"),
        }
    )
    loader, custom = findings
    assert loader.ecosystem == "comfyui"
    assert loader.properties == {"loader": "CheckpointLoaderSimple", "node": "4"}
    assert loader.evidence.confidence == 1.0
    assert loader.evidence.scope is Scope.CONFIG
    assert custom.properties == {"loader": "UnetLoaderGGUF", "node": "9"}
    assert custom.evidence.confidence == 0.6


def test_api_same_file_in_several_nodes_gets_each_line() -> None:
    text = """{
  "1": {"class_type": "LoraLoader", "inputs": {"lora_name": "detail.safetensors"}},
  "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "detail.safetensors"}},
  "3": {"class_type": "LoraLoader",
        "inputs": {"lora_name": "detail.safetensors"}},
  "4": {"class_type": "LoraLoader", "inputs": {"strength_model": 1, "lora_name": "detail.safetensors"}}
}"""
    findings = crawl_text(text)
    lines = text.splitlines()
    assert [(f.id, f.evidence.line) for f in findings] == [
        ("detail.safetensors", 2),
        ("detail.safetensors", 5),
        ("detail.safetensors", 6),
    ]
    assert [f.properties["node"] for f in findings] == ["1", "3", "4"]
    for f in findings:
        line, column = lines[f.evidence.line - 1], f.evidence.column
        assert line.index('"detail.safetensors"') == column - 1
        assert f.evidence.snippet == line.strip()


def test_positions_survive_escapes_before_the_match() -> None:
    text = (
        '{"6": {"class_type": "CLIPTextEncode", "inputs": '
        '{"text": "caf\\u00e9 \\"gold\\" \\ud83d\\ude00\\n(embedding:EasyNegative:1.1)"}}}'
    )
    (finding,) = crawl_text(text)
    assert finding.id == "EasyNegative"
    column = finding.evidence.column
    assert text[column - 1 : column - 1 + len("EasyNegative")] == "EasyNegative"


def test_prompt_wrapper_is_read() -> None:
    body = {
        "client_id": "5b0c",
        "prompt": {"3": api_node("CheckpointLoaderSimple", ckpt_name="dreamshaper_8.safetensors")},
    }
    assert found(crawl_doc(body)) == [("model", "dreamshaper_8.safetensors")]


@pytest.mark.parametrize(
    "node",
    [
        pytest.param(
            api_node("KSampler", sampler_name="dpmpp_2m", scheduler="karras"), id="sampler"
        ),
        pytest.param(api_node("SaveImage", filename_prefix="ComfyUI"), id="save-image"),
        pytest.param(
            api_node("CheckpointSave", filename_prefix="checkpoints/merged"), id="ckpt-save"
        ),
        pytest.param(api_node("Save Model", model_name="merged.safetensors"), id="custom-save"),
        pytest.param(api_node("LoadImage", image="example.png", upload="image"), id="image"),
        pytest.param(api_node("LoraLoader", lora_name=["12", 0]), id="link-not-string"),
        pytest.param(api_node("LoraLoader", lora_name="None"), id="none-string"),
        pytest.param(api_node("LoraLoader", lora_name=""), id="empty"),
        pytest.param(api_node("VAELoader", vae_name=None), id="null"),
        pytest.param(api_node("VAELoader", vae_name=3), id="number"),
        pytest.param(api_node("VAELoader", vae_name="https://x.example/vae.pt"), id="url"),
        pytest.param(api_node("CheckpointLoader", config_name="v1-inference.yaml"), id="config"),
        pytest.param(
            api_node("CustomNode", preset_name="PLUS (high strength)"), id="custom-no-ext"
        ),
        pytest.param(api_node("CustomNode", weights="model.safetensors"), id="custom-not-name"),
        pytest.param(api_node("CLIPTextEncode", text="image_embedding: 4, <lora::0.5>"), id="text"),
        pytest.param(api_node("CLIPTextEncode", text="<lora:name:1> <lora:{lora}:1>"), id="tpl"),
        pytest.param(api_node("Note", text="see https://civitai.com/images/123"), id="image-url"),
    ],
)
def test_api_traps(node: dict[str, Any]) -> None:
    assert crawl_doc({"5": node}) == []


# -- UI format -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        pytest.param(
            ui_node(4, "CheckpointLoaderSimple", "SDXL/juggernautXL_v9.safetensors"),
            [("model", "SDXL/juggernautXL_v9.safetensors")],
            id="checkpoint",
        ),
        pytest.param(
            ui_node(4, "CheckpointLoader", "v1-inference.yaml", "v1-5-pruned.ckpt"),
            [("model", "v1-5-pruned.ckpt")],
            id="checkpoint-widget-1",
        ),
        pytest.param(
            ui_node(5, "LoraLoader", "add_detail.safetensors", 0.8, 0.8),
            [("adapter", "add_detail.safetensors")],
            id="lora",
        ),
        pytest.param(
            ui_node(6, "DualCLIPLoader", "t5xxl_fp16.safetensors", "clip_l.safetensors", "flux"),
            [("model", "t5xxl_fp16.safetensors"), ("model", "clip_l.safetensors")],
            id="dual-clip",
        ),
        pytest.param(
            ui_node(7, "UNETLoader", "flux1-dev.safetensors", "default"),
            [("model", "flux1-dev.safetensors")],
            id="unet",
        ),
        pytest.param(
            ui_node(8, "ControlNetLoader", "control_v11f1p_sd15_depth.pth"),
            [("model", "control_v11f1p_sd15_depth.pth")],
            id="controlnet",
        ),
        pytest.param(
            ui_node(9, "IPAdapterModelLoader", "ip-adapter-plus_sdxl_vit-h.safetensors"),
            [("adapter", "ip-adapter-plus_sdxl_vit-h.safetensors")],
            id="ipadapter",
        ),
        pytest.param(
            ui_node(3, "CLIPTextEncode", "masterpiece, embedding:EasyNegative"),
            [("adapter", "EasyNegative")],
            id="embedding",
        ),
        pytest.param(
            ui_node(3, "LoraLoader|pysssss", "flat2.safetensors", 1.0, 1.0),
            [("adapter", "flat2.safetensors")],
            id="custom-loader-widget",
        ),
        pytest.param(
            {"id": 3, "type": "VHS_LoadModel", "widgets_values": {"model_name": "rife47.pth"}},
            [("model", "rife47.pth")],
            id="custom-keyed-widgets",
        ),
    ],
)
def test_ui_patterns(node: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert found(crawl_doc(ui_doc(node))) == expected


def test_ui_properties() -> None:
    (finding,) = crawl_doc(ui_doc(ui_node(12, "VAELoader", "ae.safetensors")))
    assert finding.properties == {"loader": "VAELoader", "node": "12"}
    assert finding.ecosystem == "comfyui"


def test_ui_note_is_docs() -> None:
    note = ui_node(
        27,
        "Note",
        "Low VRAM? Use flux1-dev-fp8.safetensors. Weights: "
        "https://huggingface.co/black-forest-labs/FLUX.1-dev/blob/main/ae.safetensors",
    )
    findings = crawl_doc(ui_doc(ui_node(10, "VAELoader", "ae.safetensors"), note))
    assert [(f.kind.value, f.id, f.evidence.scope) for f in findings] == [
        ("model", "ae.safetensors", Scope.CONFIG),
        ("model", "flux1-dev-fp8.safetensors", Scope.DOCS),
        ("model", "black-forest-labs/FLUX.1-dev", Scope.DOCS),
    ]
    assert findings[2].ecosystem is None


def test_ui_subgraph_nodes_are_read() -> None:
    doc = ui_doc(ui_node(1, "CLIPTextEncode", "a photo"))
    doc["definitions"] = {
        "subgraphs": [
            {"id": "a1", "nodes": [ui_node(2, "LoraLoader", "lcm-lora-sdxl.safetensors")]}
        ]
    }
    assert found(crawl_doc(doc)) == [("adapter", "lcm-lora-sdxl.safetensors")]


@pytest.mark.parametrize(
    "node",
    [
        pytest.param(ui_node(1, "KSampler", 42, "randomize", 20, 7, "euler", "normal", 1), id="ks"),
        pytest.param(ui_node(1, "SaveImage", "ComfyUI"), id="save"),
        pytest.param(ui_node(1, "LoraLoader", None, 1, 1), id="null"),
        pytest.param(ui_node(1, "VAELoader", "None"), id="none"),
        pytest.param(ui_node(1, "CheckpointLoader", "v1-inference.yaml"), id="config-only"),
        pytest.param(ui_node(1, "Image Loader", "photo.png"), id="loader-no-weights"),
        pytest.param(ui_node(1, "CLIPTextEncode", "embedding: nothing, <lora:>"), id="empty-tags"),
    ],
)
def test_ui_traps(node: dict[str, Any]) -> None:
    assert crawl_doc(ui_doc(node)) == []


# -- not workflows, bad input --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"name": "app", "version": "1.0"}', id="package-json"),
        pytest.param('{"properties": {"class_type": {"type": "string"}}}', id="schema"),
        pytest.param('{"nodes": [{"id": 1, "class_type": "x"}]}', id="nodes-without-type"),
        pytest.param('[{"class_type": "LoraLoader", "inputs": {"lora_name": "a.pt"}}]', id="list"),
        pytest.param('not json at all {"ckpt_name": "a.safetensors"', id="no-marker"),
    ],
)
def test_not_a_workflow(text: str) -> None:
    data = text.encode()
    assert crawl_text(text) == []
    assert not is_comfyui_workflow(data)


def test_detection_of_both_formats() -> None:
    api = json.dumps({"1": api_node("VAELoader", vae_name="ae.safetensors")}).encode()
    ui = json.dumps(ui_doc(ui_node(1, "VAELoader", "ae.safetensors"))).encode()
    assert is_comfyui_workflow(api)
    assert is_comfyui_workflow(ui)
    assert not is_comfyui_workflow(b'{"class_type": ')  # invalid JSON: not a workflow


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b'{"1": {"class_type": "VAELoader", "inputs": {', "not valid JSON", id="cut"),
        pytest.param(b'{"class_type": ' + b"[" * 100_000, "too deeply nested", id="deep"),
        pytest.param(
            b'{"class_type": [' * 5000 + b"]}" * 5000, "too deeply nested", id="very-deep"
        ),
        pytest.param(b'{"class_type": "\xff\xfe"}', "not valid UTF-8", id="encoding"),
        pytest.param(b'{"class_type": ' + b"9" * 5000 + b"}", "not valid JSON", id="huge-int"),
    ],
)
def test_malformed_input(data: bytes, reason: str) -> None:
    with pytest.raises(CrawlError, match=reason):
        list(ComfyUICrawler().crawl(FileInput(path="w.json", data=data, size=len(data))))


def test_wants() -> None:
    crawler = ComfyUICrawler()
    assert crawler.wants(PurePosixPath("workflows/flux.json"), 40_000)
    assert crawler.wants(PurePosixPath("WORKFLOW.JSON"), 10)
    assert not crawler.wants(PurePosixPath("workflow.png"), 10)
    assert not crawler.wants(PurePosixPath("data/big.json"), 17 * 1024 * 1024)


def test_scope_follows_path() -> None:
    doc = {"1": api_node("VAELoader", vae_name="ae.safetensors")}
    assert crawl_doc(doc, "tests/data/wf.json")[0].evidence.scope is Scope.TEST
    assert crawl_doc(doc, "examples/wf.json")[0].evidence.scope is Scope.EXAMPLE


# -- golden --------------------------------------------------------------------------------


def test_golden() -> None:
    result = crawler_golden(
        [ComfyUICrawler(), PromptsCrawler()],
        "crawlers/workflows",
        "crawler-workflows.findings.json",
    )
    assert result.unknowns == ()
    by_file: dict[str, set[str]] = {}
    for f in result.findings:
        by_file.setdefault(f.evidence.file, set()).add(f.evidence.crawler)
    # Workflows are reported by the comfyui crawler only: no duplicates from prompts.
    assert all(
        crawlers == {"comfyui"} for file, crawlers in by_file.items() if file.endswith(".json")
    )
    assert "notes.txt" not in by_file
    assert "config/node_schema.json" not in by_file


def test_generated_file_with_too_many_references_is_an_error() -> None:
    doc = {str(i): api_node("LoraLoader", lora_name=f"lora_{i}.safetensors") for i in range(10_001)}
    with pytest.raises(CrawlError, match="more than 10000 references"):
        crawl_doc(doc)
