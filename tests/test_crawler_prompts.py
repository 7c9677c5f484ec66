"""The prompts crawler: CivitAI AIRs and links, A1111 prompt tags and checkpoint settings."""

from __future__ import annotations

import json
import textwrap
from pathlib import PurePosixPath
from typing import Any

import pytest

from modelbom.crawlers.base import CrawlError, FileInput
from modelbom.crawlers.prompts import PromptsCrawler
from modelbom.model import Finding, Scope


def crawl(text: str, path: str = "app.py") -> list[Finding]:
    data = textwrap.dedent(text).encode()
    return list(PromptsCrawler().crawl(FileInput(path=path, data=data, size=len(data))))


def found(text: str, path: str = "app.py") -> list[tuple[str, str, int]]:
    return [(f.kind.value, f.id, f.evidence.line) for f in crawl(text, path)]


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        # CivitAI AIR URNs
        pytest.param(
            "urn:air:sdxl:lora:civitai:328553@368189\n",
            "models.txt",
            [("adapter", "urn:air:sdxl:lora:civitai:328553@368189", 1)],
            id="air-lora",
        ),
        pytest.param(
            "x\nurn:air:sdxl:checkpoint:civitai:133005@357609\n",
            "models.txt",
            [("model", "urn:air:sdxl:checkpoint:civitai:133005@357609", 2)],
            id="air-checkpoint",
        ),
        pytest.param(
            'EMBED = "air:sd1:embedding:civitai:7808@9208"\n',
            "app.py",
            [("adapter", "urn:air:sd1:embedding:civitai:7808@9208", 1)],
            id="air-without-urn",
        ),
        pytest.param(
            "vae: urn:air:sdxl:vae:civitai:296576@333245\n",
            "config.yaml",
            [("model", "urn:air:sdxl:vae:civitai:296576@333245", 1)],
            id="air-vae",
        ),
        pytest.param(
            "- urn:air:sd1:lycoris:civitai:12345@67890.\n",
            "models.md",
            [("adapter", "urn:air:sd1:lycoris:civitai:12345@67890", 1)],
            id="air-lycoris-trailing-dot",
        ),
        pytest.param(
            "urn:air:sdxl:lora:civitai:328553@368189+372306.safetensors\n",
            "models.txt",
            [("adapter", "urn:air:sdxl:lora:civitai:328553@368189", 1)],
            id="air-file-and-format",
        ),
        pytest.param(
            "urn:air:civitai:4201\n",
            "models.txt",
            [("model", "urn:air:civitai:4201", 1)],
            id="air-source-id-only",
        ),
        pytest.param(
            "urn:air:sdxl:vae:huggingface:madebyollin/sdxl-vae-fp16-fix\n",
            "models.txt",
            [("model", "madebyollin/sdxl-vae-fp16-fix", 1)],
            id="air-huggingface",
        ),
        # civitai.com links
        pytest.param(
            "[Juggernaut](https://civitai.com/models/133005/juggernaut-xl?modelVersionId=357609)\n",
            "README.md",
            [("model", "civitai:133005@357609", 1)],
            id="link-model-version",
        ),
        pytest.param(
            'URL = "https://civitai.com/models/4201/realistic-vision-v60-b1"\n',
            "app.py",
            [("model", "civitai:4201", 1)],
            id="link-model-slug",
        ),
        pytest.param(
            "wget https://civitai.com/api/download/models/130072 -O rv.safetensors\n",
            "get.sh",
            [("model", "civitai-version:130072", 1)],
            id="link-download",
        ),
        pytest.param(
            'fetch("https://civitai.com/api/v1/models/4201")\n',
            "app.ts",
            [("model", "civitai:4201", 1)],
            id="link-api-model",
        ),
        # Automatic1111
        pytest.param(
            'p = "a cat, <lora:add_detail:0.6>, <lyco:FilmVelvia3:1> <hypernet:anime_3:0.5>"\n',
            "app.py",
            [
                ("adapter", "add_detail", 1),
                ("adapter", "FilmVelvia3", 1),
                ("adapter", "anime_3", 1),
            ],
            id="a1111-tags",
        ),
        pytest.param(
            '{"prompt": "<lora:more_details:1>"}\n',
            "payload.json",
            [("adapter", "more_details", 1)],
            id="a1111-tag-json",
        ),
        pytest.param(
            '{\n  "sd_model_checkpoint": "v1-5-pruned-emaonly.safetensors [6ce0161689]"\n}\n',
            "config.json",
            [("model", "v1-5-pruned-emaonly.safetensors", 2)],
            id="a1111-config-json",
        ),
        pytest.param(
            'override_settings = {"sd_model_checkpoint": "dreamshaper_8"}\n',
            "app.py",
            [("model", "dreamshaper_8", 1)],
            id="a1111-override-no-hash",
        ),
        pytest.param(
            "opts.sd_model_checkpoint = 'sd_xl_base_1.0.safetensors [31e35c80fc]'\n",
            "app.py",
            [("model", "sd_xl_base_1.0.safetensors", 1)],
            id="a1111-assignment",
        ),
        pytest.param(
            "sd_model_checkpoint: juggernautXL_v9.safetensors [c9e3e68f89]\n",
            "settings.yaml",
            [("model", "juggernautXL_v9.safetensors", 1)],
            id="a1111-yaml-bare",
        ),
    ],
)
def test_patterns(text: str, path: str, expected: list[tuple[str, str, int]]) -> None:
    assert found(text, path) == expected


def test_air_properties_and_ecosystem() -> None:
    (finding,) = crawl("urn:air:sdxl:lora:civitai:328553@368189+372306.safetensors\n", "m.txt")
    assert finding.ecosystem == "civitai"
    assert finding.evidence.confidence == 1.0
    assert finding.properties == {
        "air_ecosystem": "sdxl",
        "air_type": "lora",
        "civitai_file": "372306",
        "civitai_model": "328553",
        "civitai_version": "368189",
        "format": "safetensors",
    }


def test_air_huggingface_is_a_hub_reference() -> None:
    (finding,) = crawl(
        "air:flux1:checkpoint:huggingface:black-forest-labs/FLUX.1-dev@main\n", "m.txt"
    )
    assert finding.id == "black-forest-labs/FLUX.1-dev"
    assert finding.ecosystem is None
    assert finding.revision == "main"
    assert finding.properties["air"] == (
        "urn:air:flux1:checkpoint:huggingface:black-forest-labs/FLUX.1-dev@main"
    )


def test_untyped_references_are_less_certain() -> None:
    findings = crawl(
        "https://civitai.com/models/4201\nurn:air:civitai:4201@130072\n"
        "urn:air:sd1:other:civitai:4201\n",
        "m.txt",
    )
    assert [(f.id, f.kind.value, f.evidence.confidence) for f in findings] == [
        ("civitai:4201", "model", 0.7),
        ("urn:air:civitai:4201@130072", "model", 0.7),
        ("urn:air:sd1:other:civitai:4201", "model", 0.7),
    ]


def test_a1111_properties_and_columns() -> None:
    text = 'payload = {"override_settings": {"sd_model_checkpoint": "rv51.safetensors [f47e942ad4]"}}\n'
    text += 'prompt = "portrait, <lora:add_detail:0.6>"\n'
    checkpoint, lora = crawl(text)
    assert (checkpoint.id, checkpoint.ecosystem, checkpoint.properties) == (
        "rv51.safetensors",
        "a1111",
        {"hash": "f47e942ad4"},
    )
    assert text.splitlines()[0][checkpoint.evidence.column - 1 :].startswith("rv51.safetensors")
    assert (lora.id, lora.ecosystem, lora.properties) == ("add_detail", "a1111", {"tag": "lora"})
    assert text.splitlines()[1][lora.evidence.column - 1 :].startswith("add_detail:0.6>")


def test_backslash_subfolder_is_unescaped() -> None:
    (finding,) = crawl('{"sd_model_checkpoint": "SDXL\\\\juggernautXL_v9.safetensors"}', "c.json")
    assert finding.id == "SDXL\\juggernautXL_v9.safetensors"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        pytest.param("id: urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66\n", "notes.txt", id="uuid"),
        pytest.param("isbn: urn:isbn:9780262035613\n", "notes.txt", id="isbn"),
        pytest.param("chair: 1\nhair: red\nrepair:civitai:1\n", "notes.txt", id="air-in-words"),
        pytest.param("air: conditioning\nair:force:one\n", "notes.yaml", id="air-key"),
        pytest.param("urn:air:sdxl:lora:civitai:MODEL_ID@VERSION_ID\n", "doc.txt", id="air-tpl"),
        pytest.param("urn:air:sdxl:lora:example:12@3\n", "doc.txt", id="air-unknown-source"),
        pytest.param("urn:air:sdxl:workflows:civitai:12@3\n", "doc.txt", id="air-workflow"),
        pytest.param(
            "urn:air:sdxl:lora:huggingface:your-org/your-lora\n", "d.txt", id="air-hf-tpl"
        ),
        pytest.param("https://example.com/air:civitai:1\n", "doc.txt", id="air-in-url-path"),
        pytest.param("https://civitai.com/images/2469394\n", "n.txt", id="civitai-image"),
        pytest.param("https://civitai.com/user/KandooAI/models\n", "n.txt", id="civitai-user"),
        pytest.param("https://civitai.com/articles/2054\n", "n.txt", id="civitai-article"),
        pytest.param("https://civitai.com and https://civitai.com/models\n", "n.txt", id="bare"),
        pytest.param("https://civitai.com/models/abc\n", "n.txt", id="civitai-non-numeric"),
        pytest.param("https://notcivitai.com/models/12\n", "n.txt", id="other-host"),
        pytest.param("<lora:> <lora::0.5> <lora: :1>\n", "n.txt", id="empty-tags"),
        pytest.param('f"<lora:{name}:{weight}>" `<lora:${n}:1>`\n', "a.py", id="template-tags"),
        pytest.param("<lora:NAME:weight> <lora:lora_name:1>\n", "a.md", id="placeholder-tags"),
        pytest.param("prompt: embedding:EasyNegative\n", "a.yaml", id="comfy-embedding-syntax"),
        pytest.param('opts = {"sd_model_checkpoint": model}\n', "a.py", id="checkpoint-variable"),
        pytest.param("sd_model_checkpoint = model_name\n", "a.py", id="checkpoint-bare-python"),
        pytest.param('{"sd_model_checkpoint_hash": "31e35c80fc"}\n', "c.json", id="ckpt-hash-key"),
        pytest.param('{"sd_model_checkpoint": "None"}\n', "c.json", id="checkpoint-none"),
    ],
)
def test_traps(text: str, path: str) -> None:
    assert crawl(text, path) == []


def test_comfyui_workflows_are_skipped() -> None:
    prompt = "<lora:add_detail:1> urn:air:sdxl:lora:civitai:1@2"
    workflow = {"6": {"class_type": "CLIPTextEncode", "inputs": {"text": prompt}}}
    assert crawl(json.dumps(workflow), "workflow_api.json") == []
    # The same text outside a workflow is reported.
    assert len(crawl(json.dumps({"prompt": prompt}), "p.json")) == 2


@pytest.mark.parametrize(
    ("text", "path", "scope"),
    [
        pytest.param('U = "https://civitai.com/models/4201"\n', "app.py", Scope.CODE, id="py"),
        pytest.param("# https://civitai.com/models/4201\n", "app.py", Scope.COMMENT, id="py-hash"),
        pytest.param(
            'U = "https://civitai.com/models/4201#x"  # ok\n',
            "app.py",
            Scope.CODE,
            id="hash-in-str",
        ),
        pytest.param(
            'x = 1  # see "https://civitai.com/models/4201"\n', "a.py", Scope.COMMENT, id="trailing"
        ),
        pytest.param("// https://civitai.com/models/4201\n", "app.js", Scope.COMMENT, id="js"),
        pytest.param(" * https://civitai.com/models/4201\n", "app.ts", Scope.COMMENT, id="jsdoc"),
        pytest.param(
            'const u = "https://civitai.com/models/4201";\n', "app.ts", Scope.CODE, id="js-url"
        ),
        pytest.param(
            "curl https://civitai.com/api/download/models/1#x\n", "a.sh", Scope.CODE, id="sh-frag"
        ),
        pytest.param(
            "curl x  # https://civitai.com/api/download/models/1\n", "a.sh", Scope.COMMENT, id="sh"
        ),
        pytest.param("# urn:air:sdxl:lora:civitai:1@2\n", "c.yaml", Scope.COMMENT, id="yaml-hash"),
        pytest.param("urn:air:sdxl:lora:civitai:1@2\n", "c.yaml", Scope.CONFIG, id="yaml"),
        pytest.param("urn:air:sdxl:lora:civitai:1@2\n", "models.txt", Scope.CONFIG, id="txt"),
        pytest.param("urn:air:sdxl:lora:civitai:1@2\n", "README.txt", Scope.DOCS, id="readme-txt"),
        pytest.param("urn:air:sdxl:lora:civitai:1@2\n", "docs/x.md", Scope.DOCS, id="md"),
        pytest.param("urn:air:sdxl:lora:civitai:1@2\n", "src/NOTES.md", Scope.DOCS, id="md-src"),
        pytest.param('"urn:air:sdxl:lora:civitai:1@2"\n', "tests/t.py", Scope.TEST, id="test"),
        pytest.param('"urn:air:sdxl:lora:civitai:1@2"\n', "examples/e.py", Scope.EXAMPLE, id="ex"),
    ],
)
def test_scope(text: str, path: str, scope: Scope) -> None:
    (finding,) = crawl(text, path)
    assert finding.evidence.scope is scope


def notebook(*cells: dict[str, Any]) -> str:
    return json.dumps(
        {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1
    )


def test_notebook_cells_not_outputs() -> None:
    text = notebook(
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": ["# Setup\n", "Download https://civitai.com/models/4201 first.\n"],
        },
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": ["<lora:leak:1>\n"]}],
            "source": [
                "import requests\n",
                'payload = {"prompt": "caf\u00e9, <lora:add_detail:0.7>"}  # <lora:old:1>\n',
            ],
        },
    )
    findings = crawl(text, "notebooks/render.ipynb")
    assert [(f.id, f.evidence.scope, f.evidence.cell, f.evidence.cell_line) for f in findings] == [
        ("civitai:4201", Scope.DOCS, 0, 2),
        ("add_detail", Scope.CODE, 1, 2),
        ("old", Scope.COMMENT, 1, 2),
    ]
    raw_lines = text.splitlines()  # json.dumps escapes the é: columns must account for it
    link = findings[0].evidence
    assert raw_lines[link.line - 1][link.column - 1 :].startswith("https://civitai.com/models/4201")
    for f in findings[1:]:
        raw = raw_lines[f.evidence.line - 1]
        assert raw[f.evidence.column - 1 :].startswith(f.id + ":")
    # the snippet is the cell's source line, not the JSON-escaped file line
    assert findings[1].evidence.snippet.startswith('payload = {"prompt": "café')


def test_notebook_columns_point_into_the_file() -> None:
    text = notebook(
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "source": ['p = "\\"x\\" <lora:add_detail:1>"\n'],
        }
    )
    (finding,) = crawl(text, "n.ipynb")
    raw = text.splitlines()[finding.evidence.line - 1]
    assert raw[finding.evidence.column - 1 :].startswith("add_detail:1>")


def test_invalid_notebook() -> None:
    with pytest.raises(CrawlError, match="not valid JSON"):
        crawl('{"cells": [{"source": "<lora:x_y:1>"', "n.ipynb")


def test_prefilter_and_undecodable_bytes() -> None:
    assert crawl("nothing to see here\n", "a.txt") == []
    data = b"\xff\xfe urn:air:sdxl:lora:civitai:1@2 \x00\n"
    findings = list(PromptsCrawler().crawl(FileInput(path="m.txt", data=data, size=len(data))))
    assert [f.id for f in findings] == ["urn:air:sdxl:lora:civitai:1@2"]


def test_wants() -> None:
    crawler = PromptsCrawler()
    for name in ("a.py", "b.md", "c.ipynb", "d.yaml", "e.txt", "f.json", "g.html", "h.tsx"):
        assert crawler.wants(PurePosixPath(name), 100), name
    assert not crawler.wants(PurePosixPath("model.safetensors"), 100)
    assert not crawler.wants(PurePosixPath("img.png"), 100)
    assert not crawler.wants(PurePosixPath("big.txt"), 5 * 1024 * 1024)


def test_each_occurrence_is_reported() -> None:
    text = "<lora:add_detail:1>\n<lora:add_detail:0.5> and <lora:add_detail:0.2>\n"
    assert [(f.evidence.line, f.evidence.column) for f in crawl(text, "p.txt")] == [
        (1, 7),
        (2, 7),
        (2, 33),
    ]


def test_generated_file_with_too_many_references_is_an_error() -> None:
    with pytest.raises(CrawlError, match="more than 10000 references"):
        crawl("<lora:add_detail:0.5>\n" * 10_001, "prompts.txt")
    assert len(crawl("<lora:add_detail:0.5>\n" * 10_000, "prompts.txt")) == 10_000
