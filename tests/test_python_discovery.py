"""Python discovery beyond plain load calls: hosted APIs, runtimes, model zoos, imports
across modules, containers, lineage, commented-out code and doctests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from modelbom.crawlers import PythonCrawler
from modelbom.crawlers.python import findings_from_source
from modelbom.engine import scan
from modelbom.model import Finding, Scope
from modelbom.options import ScanOptions


def found(source: str) -> list[tuple[str, str, str | None]]:
    findings = findings_from_source(textwrap.dedent(source), "app.py", scope=Scope.CODE)
    return sorted((f.kind.value, f.id, f.ecosystem) for f in findings)


def only(source: str) -> Finding:
    (finding,) = findings_from_source(textwrap.dedent(source), "app.py", scope=Scope.CODE)
    return finding


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            """
            from openai import OpenAI
            client = OpenAI()
            client.chat.completions.create(model="gpt-4o-mini", messages=[])
            client.embeddings.create(model="text-embedding-3-small", input="x")
            """,
            [
                ("hosted-model", "gpt-4o-mini", "openai"),
                ("hosted-model", "text-embedding-3-small", "openai"),
            ],
            id="openai-sdk",
        ),
        pytest.param(
            """
            from openai import AzureOpenAI
            AzureOpenAI().chat.completions.create(model="gpt-4o", messages=[])
            """,
            [("hosted-model", "gpt-4o", "azure-openai")],
            id="azure-openai",
        ),
        pytest.param(
            """
            import anthropic
            anthropic.Anthropic().messages.create(model="claude-3-5-sonnet-20241022", max_tokens=9)
            """,
            [("hosted-model", "claude-3-5-sonnet-20241022", "anthropic")],
            id="anthropic-sdk",
        ),
        pytest.param(
            """
            from google import genai
            genai.Client().models.generate_content(model="gemini-2.0-flash", contents="hi")
            """,
            [("hosted-model", "gemini-2.0-flash", "google")],
            id="google-genai",
        ),
        pytest.param(
            """
            import google.generativeai as genai
            genai.GenerativeModel("gemini-1.5-pro")
            """,
            [("hosted-model", "gemini-1.5-pro", "google")],
            id="google-generativeai",
        ),
        pytest.param(
            """
            from vertexai.generative_models import GenerativeModel
            GenerativeModel("gemini-1.5-flash-002")
            """,
            [("hosted-model", "gemini-1.5-flash-002", "vertex-ai")],
            id="vertex-ai",
        ),
        pytest.param(
            """
            from mistralai import Mistral
            Mistral(api_key=k).chat.complete(model="mistral-large-latest", messages=[])
            """,
            [("hosted-model", "mistral-large-latest", "mistral")],
            id="mistral",
        ),
        pytest.param(
            """
            import cohere
            co = cohere.ClientV2()
            co.chat(model="command-r-plus-08-2024", messages=[])
            co.rerank(model="rerank-english-v3.0", query="q", documents=[])
            """,
            [
                ("hosted-model", "command-r-plus-08-2024", "cohere"),
                ("hosted-model", "rerank-english-v3.0", "cohere"),
            ],
            id="cohere",
        ),
        pytest.param(
            """
            from groq import Groq
            Groq().chat.completions.create(model="llama-3.1-8b-instant", messages=[])
            """,
            [("hosted-model", "llama-3.1-8b-instant", "groq")],
            id="groq",
        ),
        pytest.param(
            """
            import boto3
            rt = boto3.client("bedrock-runtime")
            rt.converse(modelId="us.anthropic.claude-3-5-haiku-20241022-v1:0", messages=[])
            rt.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=b)
            """,
            [
                ("hosted-model", "amazon.titan-embed-text-v2:0", "aws-bedrock"),
                ("hosted-model", "anthropic.claude-3-5-haiku-20241022-v1:0", "aws-bedrock"),
            ],
            id="bedrock-region-prefix-removed",
        ),
        pytest.param(
            """
            from langchain_openai import ChatOpenAI, OpenAIEmbeddings
            from langchain_anthropic import ChatAnthropic
            ChatOpenAI(model="gpt-4o", temperature=0)
            OpenAIEmbeddings(model="text-embedding-3-large")
            ChatAnthropic(model_name="claude-3-haiku-20240307")
            """,
            [
                ("hosted-model", "claude-3-haiku-20240307", "anthropic"),
                ("hosted-model", "gpt-4o", "openai"),
                ("hosted-model", "text-embedding-3-large", "openai"),
            ],
            id="langchain",
        ),
        pytest.param(
            """
            from langchain_huggingface import HuggingFaceEmbeddings
            from langchain_ollama import ChatOllama
            HuggingFaceEmbeddings(model_name="all-mpnet-base-v2")
            ChatOllama(model="llama3.1:8b")
            """,
            [
                ("model", "llama3.1:8b", "ollama"),
                ("model", "sentence-transformers/all-mpnet-base-v2", None),
            ],
            id="langchain-local",
        ),
        pytest.param(
            """
            from llama_index.llms.openai import OpenAI
            from llama_index.embeddings.huggingface import HuggingFaceEmbedding
            OpenAI(model="gpt-4o-mini")
            HuggingFaceEmbedding(model_name="BAAI/bge-small-en-v1.5")
            """,
            [("hosted-model", "gpt-4o-mini", "openai"), ("model", "BAAI/bge-small-en-v1.5", None)],
            id="llama-index",
        ),
        pytest.param(
            """
            import mlflow
            mlflow.evaluate(model="openai:/gpt-4o", data=df)
            """,
            [("hosted-model", "gpt-4o", "openai")],
            id="mlflow-uri",
        ),
        pytest.param(
            """
            import litellm
            litellm.completion(model="anthropic/claude-3-opus-20240229", messages=[])
            litellm.completion(model="huggingface/HuggingFaceH4/zephyr-7b-beta", messages=[])
            """,
            [
                ("hosted-model", "claude-3-opus-20240229", "anthropic"),
                ("model", "HuggingFaceH4/zephyr-7b-beta", None),
            ],
            id="litellm-prefixes",
        ),
        pytest.param(
            """
            from litellm import completion
            completion(model="groq/llama-3.1-8b-instant", messages=[])
            completion(model="ollama/llama3.1:8b", messages=[])
            """,
            [("hosted-model", "llama-3.1-8b-instant", "groq"), ("model", "llama3.1:8b", "ollama")],
            id="litellm-function-imported",
        ),
    ],
)
def test_hosted_models(source: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert found(source) == sorted(expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            'from vllm import LLM\nLLM(model="meta-llama/Llama-3.1-8B-Instruct")',
            [("model", "meta-llama/Llama-3.1-8B-Instruct", None)],
            id="vllm",
        ),
        pytest.param(
            'from llama_cpp import Llama\nLlama.from_pretrained(repo_id="Qwen/Qwen2-0.5B-Instruct-GGUF", filename="*q8_0.gguf")',
            [("model", "Qwen/Qwen2-0.5B-Instruct-GGUF", None)],
            id="llama-cpp",
        ),
        pytest.param(
            'import ollama\nollama.chat(model="llama3.2", messages=[])\nollama.pull("nomic-embed-text")',
            [("model", "llama3.2", "ollama"), ("model", "nomic-embed-text", "ollama")],
            id="ollama-client",
        ),
        pytest.param(
            'import timm\ntimm.create_model("hf-hub:timm/vit_base_patch16_224.augreg2_in21k_ft_in1k")\n'
            'timm.create_model("resnet50", pretrained=True)\ntimm.create_model("resnet18")',
            [
                ("model", "timm/resnet50", None),
                ("model", "timm/vit_base_patch16_224.augreg2_in21k_ft_in1k", None),
            ],
            id="timm",
        ),
        pytest.param(
            'import open_clip\nopen_clip.create_model_and_transforms("ViT-B-32", pretrained="laion2b_s34b_b79k")\n'
            'open_clip.create_model_from_pretrained("hf-hub:laion/CLIP-ViT-g-14-laion2B-s12B-b42K")',
            [
                ("model", "ViT-B-32/laion2b_s34b_b79k", "open_clip"),
                ("model", "laion/CLIP-ViT-g-14-laion2B-s12B-b42K", None),
            ],
            id="open-clip",
        ),
        pytest.param(
            'from auto_gptq import AutoGPTQForCausalLM\nAutoGPTQForCausalLM.from_quantized("TheBloke/Llama-2-7B-GPTQ")',
            [("model", "TheBloke/Llama-2-7B-GPTQ", None)],
            id="gptq",
        ),
        pytest.param(
            'from unsloth import FastLanguageModel\nFastLanguageModel.from_pretrained(model_name="unsloth/llama-3-8b-bnb-4bit")',
            [("model", "unsloth/llama-3-8b-bnb-4bit", None)],
            id="unsloth",
        ),
        pytest.param(
            'StableDiffusionPipeline.from_single_file("https://huggingface.co/runwayml/stable-diffusion-v1-5/blob/main/v1-5-pruned.safetensors")',
            [("model", "runwayml/stable-diffusion-v1-5", None)],
            id="diffusers-single-file",
        ),
    ],
)
def test_runtimes_and_model_zoos(source: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert found(source) == sorted(expected)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            'from openai import OpenAI\nOrder.objects.create(model="Tesla")',
            id="orm-create-with-openai-imported",
        ),
        pytest.param("client.chat.completions.create(model=MODEL)", id="unknown-variable"),
        pytest.param('thing.create(model="widget-3000")', id="no-provider-no-shape"),
        pytest.param('import timm\ntimm.create_model("resnet18")', id="timm-architecture-only"),
        pytest.param("ChatOpenAI(temperature=0)", id="no-model-argument"),
        pytest.param("OpenAI(api_key=key)", id="sdk-client-constructor"),
        pytest.param('mlflow.evaluate(model="runs:/abc123/model")', id="mlflow-run-uri"),
    ],
)
def test_hosted_traps(source: str) -> None:
    assert found(source) == []


def test_openai_compatible_client_serving_a_hub_model() -> None:
    finding = only(
        """
        from openai import OpenAI
        OpenAI(base_url=URL).chat.completions.create(model="Qwen/Qwen2.5-7B-Instruct", messages=[])
        """
    )
    assert (finding.kind.value, finding.id) == ("model", "Qwen/Qwen2.5-7B-Instruct")
    assert finding.properties == {"served_through": "openai"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            """
            MODELS = {"small": "acme/small-model", "large": "acme/large-model"}
            for size, name in MODELS.items():
                AutoModel.from_pretrained(name)
            """,
            ["acme/large-model", "acme/small-model"],
            id="dict-items",
        ),
        pytest.param(
            """
            MODELS = {"small": "acme/small-model", "large": "acme/large-model"}
            AutoModel.from_pretrained(MODELS["large"])
            """,
            ["acme/large-model"],
            id="dict-subscript",
        ),
        pytest.param(
            """
            DATASETS = ["acme/set-a", "acme/set-b"]
            for d in DATASETS:
                load_dataset(d)
            """,
            ["acme/set-a", "acme/set-b"],
            id="list-bound-to-a-name",
        ),
        pytest.param(
            """
            for repo in ("acme/x", "acme/y"):
                snapshot_download(repo_id=repo)
            """,
            ["acme/x", "acme/y"],
            id="tuple-literal",
        ),
    ],
)
def test_containers(source: str, expected: list[str]) -> None:
    assert sorted(i for _, i, _ in found(source)) == expected


def test_fstring_with_unknown_part_is_a_low_confidence_pattern() -> None:
    finding = only(
        """
        def load(size):
            return AutoModel.from_pretrained(f"meta-llama/Llama-3.1-{size}-Instruct")
        """
    )
    assert finding.id == "meta-llama/Llama-3.1-*-Instruct"
    assert finding.evidence.confidence == 0.3
    assert finding.properties == {"pattern": "true"}
    assert found('AutoModel.from_pretrained(f"{org}/{name}")') == []


def test_adapter_is_linked_to_the_base_loaded_before_it() -> None:
    findings = findings_from_source(
        textwrap.dedent(
            """
            def build():
                base = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B").to("cuda")
                model = PeftModel.from_pretrained(base, "acme/llama-lora")
                pipe = StableDiffusionXLPipeline.from_pretrained("stabilityai/sdxl-turbo")
                pipe.load_lora_weights("acme/sdxl-style")
            """
        ),
        "app.py",
        scope=Scope.CODE,
    )
    bases = {f.id: f.properties.get("base_model") for f in findings if f.kind.value == "adapter"}
    assert bases == {
        "acme/llama-lora": "meta-llama/Llama-3.1-8B",
        "acme/sdxl-style": "stabilityai/sdxl-turbo",
    }


def test_base_loaded_from_adapter_config_marks_the_adapter() -> None:
    findings = findings_from_source(
        textwrap.dedent(
            """
            config = PeftConfig.from_pretrained("acme/adapter-q")
            base = AutoModelForCausalLM.from_pretrained(config.base_model_name_or_path)
            model = PeftModel.from_pretrained(base, "acme/adapter-q")
            """
        ),
        "app.py",
        scope=Scope.CODE,
    )
    assert [(f.id, f.properties.get("base_from")) for f in findings] == [
        ("acme/adapter-q", "adapter-config"),
        ("acme/adapter-q", "adapter-config"),
    ]


def test_commented_out_code_has_comment_scope() -> None:
    findings = findings_from_source(
        textwrap.dedent(
            """
            model = AutoModel.from_pretrained("acme/current")
            # model = AutoModel.from_pretrained("acme/previous")
            # This comment just mentions acme/nothing.
            """
        ),
        "app.py",
        scope=Scope.CODE,
    )
    assert [
        (f.id, f.evidence.scope.value, f.evidence.line, f.evidence.column) for f in findings
    ] == [
        ("acme/current", "code", 2, 35),
        ("acme/previous", "comment", 3, 37),
    ]


def test_doctest_examples_have_docs_scope() -> None:
    findings = findings_from_source(
        textwrap.dedent(
            '''
            def embed(texts):
                """Embed texts.

                >>> model = SentenceTransformer("acme/doc-embedder")
                """
            '''
        ),
        "app.py",
        scope=Scope.CODE,
    )
    assert [(f.id, f.evidence.scope.value, f.evidence.line) for f in findings] == [
        ("acme/doc-embedder", "docs", 5)
    ]


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_names_imported_from_other_modules_are_followed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "src/app/constants.py": 'BASE = "acme/foundation-7b"\nREEXPORT = "acme/deep-model"\n',
            "src/app/settings.py": "from .constants import REEXPORT as DEEP\n",
            "src/app/train.py": """
                from app.constants import BASE
                from . import constants
                from .settings import DEEP
                import app.constants as c

                def main():
                    AutoModel.from_pretrained(BASE)
                    AutoModel.from_pretrained(constants.REEXPORT)
                    AutoModel.from_pretrained(DEEP)
                    AutoModel.from_pretrained(c.BASE)
                    AutoModel.from_pretrained(UNKNOWN_NAME)
                """,
        },
    )
    result = scan(ScanOptions(root=tmp_path), crawlers=[PythonCrawler()])
    got = [(f.id, f.evidence.file, f.evidence.line) for f in result.findings]
    assert got == [
        ("acme/foundation-7b", "src/app/train.py", 8),
        ("acme/deep-model", "src/app/train.py", 9),
        ("acme/deep-model", "src/app/train.py", 10),
        ("acme/foundation-7b", "src/app/train.py", 11),
    ]
    assert all(f.evidence.confidence == 0.85 for f in result.findings)


def test_an_import_cycle_terminates(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.py": "from b import X\nAutoModel.from_pretrained(X)\n",
            "b.py": "from a import X\n",
        },
    )
    result = scan(ScanOptions(root=tmp_path), crawlers=[PythonCrawler()])
    assert result.findings == ()


def test_a_dict_lookup_with_a_run_time_key_gives_every_value() -> None:
    found_ids = sorted(
        i
        for _, i, _ in found(
            """
            STYLES = {"pixel": "nerijs/pixel-art-xl", "paper": "TheLastBen/Papercut_SDXL"}
            def bake(style):
                pipe.load_lora_weights(STYLES[style])
            """
        )
    )
    assert found_ids == ["TheLastBen/Papercut_SDXL", "nerijs/pixel-art-xl"]


def test_containers_imported_from_other_modules_are_followed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "styles.py": 'STYLES = {"pixel": "nerijs/pixel-art-xl", "paper": "TheLastBen/Papercut_SDXL"}\n'
            'BENCHMARKS = ["cais/mmlu", "openai/gsm8k"]\n',
            "bake.py": """
                from styles import BENCHMARKS, STYLES

                def bake(style):
                    pipe.load_lora_weights(STYLES[style])
                    pipe.load_lora_weights(STYLES["pixel"])
                    for name in BENCHMARKS:
                        load_dataset(name)
                    for key, repo in STYLES.items():
                        snapshot_download(repo)
                """,
        },
    )
    result = scan(ScanOptions(root=tmp_path), crawlers=[PythonCrawler()])
    got = sorted((f.evidence.line, f.kind.value, f.id) for f in result.findings)
    assert got == [
        (5, "adapter", "TheLastBen/Papercut_SDXL"),
        (5, "adapter", "nerijs/pixel-art-xl"),
        (6, "adapter", "nerijs/pixel-art-xl"),
        (8, "dataset", "cais/mmlu"),
        (8, "dataset", "openai/gsm8k"),
        (10, "model", "TheLastBen/Papercut_SDXL"),
        (10, "model", "nerijs/pixel-art-xl"),
    ]


def test_columns_count_characters_not_bytes() -> None:
    (finding,) = findings_from_source(
        'modèle = AutoModel.from_pretrained("acme/café-free")\n'.replace("café-free", "model-x"),
        "app.py",
        scope=Scope.CODE,
    )
    line = 'modèle = AutoModel.from_pretrained("acme/model-x")'
    assert finding.evidence.column == line.index('"acme') + 1
