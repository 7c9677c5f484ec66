"""The Python crawler: each supported pattern is found, each trap is not."""

from __future__ import annotations

import textwrap

import pytest

from modelbom.crawlers.base import CrawlError, FileInput
from modelbom.crawlers.ids import hub_id
from modelbom.crawlers.python import PythonCrawler, decode_source, findings_from_source
from modelbom.model import Finding, Scope


def found(source: str, path: str = "app.py") -> list[tuple[str, str]]:
    findings = findings_from_source(textwrap.dedent(source), path, scope=Scope.CODE)
    return [(f.kind.value, f.id) for f in findings]


def crawl(source: str, path: str = "app.py") -> list[Finding]:
    data = textwrap.dedent(source).encode()
    return list(PythonCrawler().crawl(FileInput(path=path, data=data, size=len(data))))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            'AutoModel.from_pretrained("bert-base-uncased")',
            [("model", "bert-base-uncased")],
            id="legacy-single-segment",
        ),
        pytest.param(
            'transformers.AutoTokenizer.from_pretrained("google/flan-t5-base")',
            [("model", "google/flan-t5-base")],
            id="dotted-class",
        ),
        pytest.param(
            'X.from_pretrained(pretrained_model_name_or_path="org-a/model-b")',
            [("model", "org-a/model-b")],
            id="keyword",
        ),
        pytest.param(
            'pipeline("summarization", model="facebook/bart-large-cnn")',
            [("model", "facebook/bart-large-cnn")],
            id="pipeline-keyword",
        ),
        pytest.param(
            'pipeline("fill-mask", "FacebookAI/roberta-base")',
            [("model", "FacebookAI/roberta-base")],
            id="pipeline-positional",
        ),
        pytest.param(
            'PeftModel.from_pretrained(base, "tloen/alpaca-lora-7b")',
            [("adapter", "tloen/alpaca-lora-7b")],
            id="peft-model",
        ),
        pytest.param(
            'PeftModelForCausalLM.from_pretrained(base, model_id="acme/lora-x")',
            [("adapter", "acme/lora-x")],
            id="peft-model-keyword",
        ),
        pytest.param(
            'AutoPeftModelForCausalLM.from_pretrained("acme/adapter-y")',
            [("adapter", "acme/adapter-y")],
            id="auto-peft",
        ),
        pytest.param(
            'PeftConfig.from_pretrained("acme/adapter-z")',
            [("adapter", "acme/adapter-z")],
            id="peft-config",
        ),
        pytest.param(
            'pipe.load_lora_weights("ostris/ikea-instructions-lora-sdxl")',
            [("adapter", "ostris/ikea-instructions-lora-sdxl")],
            id="diffusers-lora",
        ),
        pytest.param(
            'pipe.load_textual_inversion("sd-concepts-library/cat-toy")',
            [("adapter", "sd-concepts-library/cat-toy")],
            id="textual-inversion",
        ),
        pytest.param(
            'pipe.load_ip_adapter("h94/IP-Adapter", subfolder="models")',
            [("adapter", "h94/IP-Adapter")],
            id="ip-adapter",
        ),
        pytest.param(
            'model.load_adapter("acme/adapter-w", adapter_name="w")',
            [("adapter", "acme/adapter-w")],
            id="transformers-load-adapter",
        ),
        pytest.param(
            'load_dataset("imdb")',
            [("dataset", "imdb")],
            id="dataset-canonical",
        ),
        pytest.param(
            'datasets.load_dataset("nyu-mll/glue", "mrpc")',
            [("dataset", "nyu-mll/glue")],
            id="dataset-with-config",
        ),
        pytest.param(
            'hf_hub_download(repo_id="acme/data-set", filename="x.csv", repo_type="dataset")',
            [("dataset", "acme/data-set")],
            id="hub-download-dataset",
        ),
        pytest.param(
            'snapshot_download("acme/model-q")',
            [("model", "acme/model-q")],
            id="snapshot-download-model",
        ),
        pytest.param(
            'SentenceTransformer("all-MiniLM-L6-v2")',
            [("model", "sentence-transformers/all-MiniLM-L6-v2")],
            id="sentence-transformers-short-name",
        ),
        pytest.param(
            'SentenceTransformer("BAAI/bge-m3")',
            [("model", "BAAI/bge-m3")],
            id="sentence-transformers-full-id",
        ),
    ],
)
def test_load_call_patterns(source: str, expected: list[tuple[str, str]]) -> None:
    assert found(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            """
            MODEL = "acme/const-model"
            def f():
                return AutoModel.from_pretrained(MODEL)
            """,
            [("model", "acme/const-model")],
            id="module-constant",
        ),
        pytest.param(
            """
            def f():
                name = "acme/local-var"
                return AutoModel.from_pretrained(name)
            """,
            [("model", "acme/local-var")],
            id="function-variable",
        ),
        pytest.param(
            """
            def f(big):
                if big:
                    name = "acme/big"
                else:
                    name = "acme/small"
                return AutoModel.from_pretrained(name)
            """,
            [("model", "acme/big"), ("model", "acme/small")],
            id="both-branches",
        ),
        pytest.param(
            """
            def f():
                name = "acme/first"
                a = AutoModel.from_pretrained(name)
                name = "acme/second"
                b = AutoModel.from_pretrained(name)
            """,
            [("model", "acme/first"), ("model", "acme/second")],
            id="rebinding-in-order",
        ),
        pytest.param(
            """
            import os
            MODEL = os.getenv("MODEL_ID", "acme/env-default")
            AutoModel.from_pretrained(MODEL)
            """,
            [("model", "acme/env-default")],
            id="getenv-default",
        ),
        pytest.param(
            """
            import os
            AutoModel.from_pretrained(os.environ.get("MODEL_ID", "acme/environ-default"))
            """,
            [("model", "acme/environ-default")],
            id="environ-get-default",
        ),
        pytest.param(
            """
            import os
            AutoModel.from_pretrained(os.environ["MODEL_ID"])
            AutoModel.from_pretrained(os.getenv("MODEL_ID"))
            """,
            [],
            id="env-without-default",
        ),
        pytest.param(
            """
            import argparse
            p = argparse.ArgumentParser()
            p.add_argument("--model-name", type=str, default="acme/argparse-default")
            args = p.parse_args()
            AutoModel.from_pretrained(args.model_name)
            """,
            [("model", "acme/argparse-default")],
            id="argparse-default",
        ),
        pytest.param(
            """
            from dataclasses import dataclass, field
            @dataclass
            class Args:
                model_name_or_path: str = field(default="acme/dataclass-default")
            def main(a: Args):
                AutoModel.from_pretrained(a.model_name_or_path)
            """,
            [("model", "acme/dataclass-default")],
            id="dataclass-field",
        ),
        pytest.param(
            """
            def load(model_id="acme/param-default", *, revision_id: str = "acme/kw-default"):
                AutoModel.from_pretrained(model_id)
                AutoModel.from_pretrained(revision_id)
            """,
            [("model", "acme/param-default"), ("model", "acme/kw-default")],
            id="parameter-defaults",
        ),
        pytest.param(
            """
            for name in ["acme/loop-a", "acme/loop-b"]:
                snapshot_download(name)
            """,
            [("model", "acme/loop-a"), ("model", "acme/loop-b")],
            id="loop-over-literals",
        ),
        pytest.param(
            """
            ORG = "acme"
            AutoModel.from_pretrained(ORG + "/concat")
            AutoModel.from_pretrained(f"{ORG}/fstring")
            """,
            [("model", "acme/concat"), ("model", "acme/fstring")],
            id="composed-from-constants",
        ),
    ],
)
def test_indirection(source: str, expected: list[tuple[str, str]]) -> None:
    assert sorted(found(source)) == sorted(expected)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param('model.push_to_hub("acme/pushed")', id="push-target"),
        pytest.param('model.save_pretrained("acme/saved")', id="save-target"),
        pytest.param(
            'TrainingArguments(output_dir="acme/out", hub_model_id="acme/hub")', id="outputs"
        ),
        pytest.param('print("try meta-llama/Llama-2-7b-hf")', id="mentioned-in-a-string"),
        pytest.param('AutoModel.from_pretrained("your-org/your-model")', id="placeholder"),
        pytest.param('AutoModel.from_pretrained("<model>")', id="angle-placeholder"),
        pytest.param('AutoModel.from_pretrained("{model}")', id="brace-placeholder"),
        pytest.param('AutoModel.from_pretrained("./checkpoints/best")', id="relative-path"),
        pytest.param('AutoModel.from_pretrained("/models/llama")', id="absolute-path"),
        pytest.param('AutoModel.from_pretrained("output")', id="local-dir-name"),
        pytest.param('AutoModel.from_pretrained("text/plain")', id="mime-type"),
        pytest.param('AutoModel.from_pretrained("2024/01")', id="date"),
        pytest.param('AutoModel.from_pretrained("1/2")', id="fraction"),
        pytest.param(
            'AutoModel.from_pretrained("https://huggingface.co/docs/transformers")', id="url"
        ),
        pytest.param('AutoModel.from_pretrained("model.safetensors")', id="file-name"),
        pytest.param('load_dataset("json", data_files="train.jsonl")', id="dataset-builder"),
        pytest.param('snapshot_download("gradio/hello", repo_type="space")', id="space"),
        pytest.param(
            'other.pipeline("text-generation", model="acme/not-transformers")',
            id="foreign-pipeline",
        ),
        pytest.param("AutoModel.from_pretrained(model_path)", id="unknown-variable"),
    ],
)
def test_traps_are_not_references(source: str) -> None:
    assert found(source) == []


def test_evidence_points_at_the_argument() -> None:
    findings = crawl(
        """
        from transformers import AutoModel
        model = AutoModel.from_pretrained(
            "acme/multi-line",
            revision="abc123",
        )
        """
    )
    assert len(findings) == 1
    ev = findings[0].evidence
    assert (ev.file, ev.line, ev.column) == ("app.py", 4, 5)
    assert ev.snippet == '"acme/multi-line",'
    assert ev.crawler == "python"
    assert findings[0].revision == "abc123"


def test_confidence_reflects_indirection() -> None:
    findings = crawl(
        """
        import os
        A = "acme/constant"
        AutoModel.from_pretrained("acme/literal")
        AutoModel.from_pretrained(A)
        AutoModel.from_pretrained(os.getenv("X", "acme/default"))
        """
    )
    confidence = {f.id: f.evidence.confidence for f in findings}
    assert confidence["acme/literal"] > confidence["acme/constant"] > confidence["acme/default"]


def test_dataset_config_and_split_are_kept() -> None:
    (finding,) = crawl('load_dataset("nyu-mll/glue", "mrpc", split="validation")')
    assert finding.properties == {"config": "mrpc", "split": "validation"}


def test_every_occurrence_is_a_finding() -> None:
    findings = crawl(
        """
        AutoTokenizer.from_pretrained("acme/same")
        AutoModel.from_pretrained("acme/same")
        """
    )
    assert [(f.id, f.evidence.line) for f in findings] == [("acme/same", 2), ("acme/same", 3)]


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("src/app/model.py", Scope.CODE),
        ("tests/test_model.py", Scope.TEST),
        ("pkg/test_load.py", Scope.TEST),
        ("examples/demo.py", Scope.EXAMPLE),
        ("docs/conf.py", Scope.DOCS),
    ],
)
def test_scope_follows_the_file_location(path: str, scope: Scope) -> None:
    (finding,) = crawl('AutoModel.from_pretrained("acme/m")', path=path)
    assert finding.evidence.scope is scope


def test_syntax_error_is_a_crawl_error_naming_the_line() -> None:
    with pytest.raises(CrawlError, match=r"not valid Python: .* \(line 1\)"):
        crawl("def broken(:\n")


def test_deep_nesting_is_a_crawl_error_not_a_crash() -> None:
    with pytest.raises(CrawlError, match="too deeply nested"):
        crawl("x = " + "-" * 100_000 + "1")


def test_secrets_in_snippets_are_redacted() -> None:
    token = "hf_" + "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuV"
    (finding,) = crawl(f'AutoModel.from_pretrained("acme/private", token="{token}")')
    assert token not in finding.evidence.snippet
    assert "<redacted>" in finding.evidence.snippet


def test_source_encoding_cookie_is_honoured() -> None:
    data = '# -*- coding: latin-1 -*-\nAutoModel.from_pretrained("acme/caf\xe9")\n'.encode(
        "latin-1"
    )
    assert decode_source(data).splitlines()[1].endswith('"acme/caf\xe9")')


def test_code_is_never_executed(tmp_path: object) -> None:
    # A module whose import would raise: parsing it must not run anything.
    findings = crawl(
        """
        raise SystemExit("executed!")
        AutoModel.from_pretrained("acme/after-raise")
        """
    )
    assert [f.id for f in findings] == ["acme/after-raise"]


@pytest.mark.parametrize(
    ("value", "single", "expected"),
    [
        ("acme/widget", False, "acme/widget"),
        ("org/model", False, None),
        (
            "hf-hub:timm/vit_base_patch16_224.augreg_in21k",
            False,
            "timm/vit_base_patch16_224.augreg_in21k",
        ),
        ("gpt2", False, "gpt2"),
        ("gpt2-medium", False, "gpt2-medium"),
        ("squad", False, None),
        ("squad", True, "squad"),
        ("a/b/c", False, None),
        ("org--x/name", False, None),
        ("acme/na..me", False, None),
        ("acme/" + "x" * 100, False, None),
        ("image/png", False, None),
        ("YOUR_ORG/model-x", False, None),
        ("acme/widget ", False, "acme/widget"),
        ("acme/na me", False, None),
    ],
)
def test_hub_id_rules(value: str, single: bool, expected: str | None) -> None:
    assert hub_id(value, allow_single=single) == expected
