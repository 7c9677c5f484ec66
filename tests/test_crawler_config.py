"""The config crawler: position readers, each supported pattern, traps and bad input."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path, PurePosixPath

import pytest

from modelbom.crawlers.base import CrawlError, FileInput
from modelbom.crawlers.config import ConfigCrawler, findings_from_text
from modelbom.crawlers.lines import LineIndex
from modelbom.crawlers.structured import (
    MAX_ALIAS_NODES,
    Map,
    Node,
    Scalar,
    Seq,
    read_json,
    read_jsonnet,
    read_toml,
    read_yaml,
)
from modelbom.model import Finding, Scope
from tests.support import FIXTURES, crawler_golden

CONFIG_FIXTURES = FIXTURES / "crawlers" / "config"


def crawl(text: str, path: str = "config.yaml") -> list[Finding]:
    data = textwrap.dedent(text).encode()
    return list(ConfigCrawler().crawl(FileInput(path=path, data=data, size=len(data))))


def found(text: str, path: str = "config.yaml") -> list[tuple[str, str, int]]:
    return [(f.kind.value, f.id, f.evidence.line) for f in crawl(text, path)]


def ids(text: str, path: str = "config.yaml") -> list[str]:
    return [f.id for f in crawl(text, path)]


# -- position readers ---------------------------------------------------------------------


def scalar_at(node: Node, *path: str | int) -> Scalar:
    """The scalar at *path* (mapping keys and list indexes) of a positioned tree."""
    for step in path:
        if isinstance(step, int):
            assert isinstance(node, Seq)
            node = node.items[step]
        else:
            assert isinstance(node, Map)
            child = node.get(step)
            assert child is not None, f"no {step!r}"
            node = child
    assert isinstance(node, Scalar)
    return node


def key_at(node: Node, *path: str | int) -> Scalar:
    """The key scalar of the last step of *path*."""
    parent = node
    for step in path[:-1]:
        if isinstance(step, int):
            assert isinstance(parent, Seq)
            parent = parent.items[step]
        else:
            assert isinstance(parent, Map)
            child = parent.get(step)
            assert child is not None
            parent = child
    assert isinstance(parent, Map)
    return next(k for k, _ in parent.entries if k.text == path[-1])


def pos(text: str, scalar: Scalar) -> tuple[int, int]:
    return LineIndex(text).position(scalar.offset)


YAML_TEXT = """\
# comment
model_name_or_path: meta-llama/Llama-3.1-8B
quoted: "org-a/model-b"
single: 'org-c/model-d'
anchored: &base org-e/model-f
tagged: !!str org-g/model-h
block: |
  org-i/model-j
flow: {a: org-k/model-l, b: [x, "org-m/model-n"]}
list:
  - path: org-o/dataset-p
    type: alpaca
---
second: org-q/model-r
"""


@pytest.mark.parametrize(
    ("path", "value", "line", "column"),
    [
        pytest.param(("model_name_or_path",), "meta-llama/Llama-3.1-8B", 2, 21, id="plain"),
        pytest.param(("quoted",), "org-a/model-b", 3, 10, id="double-quoted"),
        pytest.param(("single",), "org-c/model-d", 4, 10, id="single-quoted"),
        pytest.param(("anchored",), "org-e/model-f", 5, 17, id="after-anchor"),
        pytest.param(("tagged",), "org-g/model-h", 6, 15, id="after-tag"),
        pytest.param(("flow", "a"), "org-k/model-l", 9, 11, id="flow-mapping"),
        pytest.param(("flow", "b", 1), "org-m/model-n", 9, 34, id="flow-sequence-quoted"),
        pytest.param(("list", 0, "path"), "org-o/dataset-p", 11, 11, id="block-sequence"),
    ],
)
@pytest.mark.parametrize("pure_python", [False, True], ids=["libyaml", "python"])
def test_yaml_positions(
    path: tuple[str | int, ...], value: str, line: int, column: int, pure_python: bool
) -> None:
    doc = read_yaml(YAML_TEXT, pure_python=pure_python)[0]
    scalar = scalar_at(doc, *path)
    assert scalar.text == value
    assert pos(YAML_TEXT, scalar) == (line, column)


def test_yaml_block_scalar_and_second_document() -> None:
    docs = read_yaml(YAML_TEXT)
    assert len(docs) == 2
    block = scalar_at(docs[0], "block")
    assert block.text == "org-i/model-j\n"
    assert LineIndex(YAML_TEXT).position(YAML_TEXT.index("org-i")) == (8, 3)
    second = scalar_at(docs[1], "second")
    assert pos(YAML_TEXT, second) == (14, 9)


def test_yaml_key_positions_and_types() -> None:
    text = "dataset_mixer:\n  HuggingFaceH4/ultrachat_200k: 1.0\n  flag: true\n"
    doc = read_yaml(text)[0]
    key = key_at(doc, "dataset_mixer", "HuggingFaceH4/ultrachat_200k")
    assert pos(text, key) == (2, 3)
    assert not scalar_at(doc, "dataset_mixer", "HuggingFaceH4/ultrachat_200k").is_string
    assert not scalar_at(doc, "dataset_mixer", "flag").is_string


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("model: [org-a/x\n  lr: 1\n", "invalid YAML at line", id="syntax"),
        pytest.param("model: " + "[" * 100_000, "nested deeper than 200", id="deep-flow"),
        pytest.param(
            "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 300)),
            "nested deeper than 200",
            id="deep-block",
        ),
        pytest.param("model: !!python/name:os.system ''\n", "Python object tag", id="tag"),
        pytest.param("model: &a [x, *a]\n", "alias \\*a at line 1 is undefined", id="self"),
        pytest.param("model: *nowhere\n", "undefined", id="undefined-alias"),
    ],
)
@pytest.mark.parametrize("pure_python", [False, True], ids=["libyaml", "python"])
def test_yaml_errors(text: str, reason: str, pure_python: bool) -> None:
    with pytest.raises(CrawlError, match=reason):
        read_yaml(text, pure_python=pure_python)


@pytest.mark.parametrize("pure_python", [False, True], ids=["libyaml", "python"])
def test_yaml_alias_bomb(pure_python: bool) -> None:
    text = (CONFIG_FIXTURES / "alias-bomb.yaml").read_text()
    with pytest.raises(CrawlError, match=f"more than {MAX_ALIAS_NODES} nodes"):
        read_yaml(text, pure_python=pure_python)
    # the same anchors used a little stay within the budget
    small = "a: &a [org-a/x, org-b/y]\nb: [*a, *a]\n"
    doc = read_yaml(small, pure_python=pure_python)[0]
    assert scalar_at(doc, "b", 1, 0).text == "org-a/x"


def test_yaml_merge_keys_are_flattened() -> None:
    text = "base: &b\n  model_name_or_path: org-a/m\nrun:\n  <<: *b\n  lr: 1\n"
    doc = read_yaml(text)[0]
    merged = scalar_at(doc, "run", "model_name_or_path")
    assert pos(text, merged) == (2, 23)  # where the merged value is written


JSON_TEXT = """\
{
  "model_name_or_path": "mistralai/Mistral-7B-v0.1",
  "nested": {"datasets": [{"path": "tatsu-lab/alpaca"}, 3, true, null]},
  "escaped": "\\u006dicrosoft/phi-2",
  "after_emoji": "\U0001f600", "x": "org-a/model-b"
}
"""


@pytest.mark.parametrize(
    ("path", "value", "line", "column"),
    [
        pytest.param(("model_name_or_path",), "mistralai/Mistral-7B-v0.1", 2, 26, id="pretty"),
        pytest.param(("nested", "datasets", 0, "path"), "tatsu-lab/alpaca", 3, 37, id="nested"),
        pytest.param(("escaped",), "microsoft/phi-2", 4, 15, id="unicode-escape"),
        pytest.param(("x",), "org-a/model-b", 5, 29, id="after-astral-char"),
    ],
)
def test_json_positions(path: tuple[str | int, ...], value: str, line: int, column: int) -> None:
    scalar = scalar_at(read_json(JSON_TEXT), *path)
    assert scalar.text == value
    assert pos(JSON_TEXT, scalar) == (line, column)


def test_json_scalar_types_and_keys() -> None:
    doc = read_json(JSON_TEXT)
    datasets = scalar_at(doc, "nested", "datasets", 1)
    assert (datasets.text, datasets.is_string) == ("3", False)
    assert not scalar_at(doc, "nested", "datasets", 2).is_string
    assert not scalar_at(doc, "nested", "datasets", 3).is_string
    assert pos(JSON_TEXT, key_at(doc, "model_name_or_path")) == (2, 4)


def test_json_nan_and_infinity_as_python_writes_them() -> None:
    text = '{"loss": NaN, "max": Infinity, "min": -Infinity, "model": "org-a/model-b"}'
    doc = read_json(text)
    assert [scalar_at(doc, k).text for k in ("loss", "max", "min")] == [
        "NaN",
        "Infinity",
        "-Infinity",
    ]
    assert pos(text, scalar_at(doc, "model")) == (1, 60)


def test_json_minified_one_line() -> None:
    text = '{"a":{"b":[1,{"model":"org-a/model-b"}]},"dataset_name":"imdb"}'
    doc = read_json(text)
    assert pos(text, scalar_at(doc, "a", "b", 1, "model")) == (1, 24)
    assert pos(text, scalar_at(doc, "dataset_name")) == (1, 58)


def test_jsonc_comments_and_trailing_commas() -> None:
    text = '{\n  // a comment\n  "model": /* inline */ "org-a/model-b",\n  "l": [1, 2,],\n}\n'
    doc = read_json(text, comments=True)
    assert pos(text, scalar_at(doc, "model")) == (3, 26)
    with pytest.raises(CrawlError, match="invalid JSON at line 2"):
        read_json(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param('{"a": 1,}', "expected a property name", id="trailing-comma"),
        pytest.param('{"a" 1}', "expected ':'", id="no-colon"),
        pytest.param('{"a": [1 2]}', "expected ','", id="no-comma"),
        pytest.param('{"a": "x', "Unterminated string", id="unterminated"),
        pytest.param('{"a": 1} {"b": 2}', "extra data", id="extra-data"),
        pytest.param('{"a": tru}', "expected a value", id="bad-literal"),
        pytest.param('{"a": "\x01"}', "Invalid control character", id="control-char"),
        pytest.param("", "unexpected end", id="empty"),
    ],
)
def test_json_errors(text: str, reason: str) -> None:
    with pytest.raises(CrawlError, match=reason):
        read_json(text)


TOML_TEXT = """\
title = "run"  # a comment

[model]
name = "FacebookAI/roberta-large"
"quoted.key" = 'org-a/model-b'

[model.tokenizer]
name_or_path = "org-c/tok"

[[datasets]]
path = "stanfordnlp/sst2"

[[datasets]]
path = "nyu-mll/glue"
splits = [
  "train",
  "org-d/not-a-split",
]

[[datasets.files]]
uri = "org-e/file"

[eval]
notes = \"\"\"
[fake]
name = "org-x/ignored"
\"\"\"
judge = { model = "gpt-4o-mini", extra = { id = "org-f/inline" } }
dotted.key = "org-g/dotted"
"""


@pytest.mark.parametrize(
    ("path", "value", "line", "column"),
    [
        pytest.param(("model", "name"), "FacebookAI/roberta-large", 4, 9, id="table"),
        pytest.param(("model", "quoted.key"), "org-a/model-b", 5, 17, id="quoted-key"),
        pytest.param(("model", "tokenizer", "name_or_path"), "org-c/tok", 8, 17, id="subtable"),
        pytest.param(("datasets", 0, "path"), "stanfordnlp/sst2", 11, 9, id="array-table-0"),
        pytest.param(("datasets", 1, "path"), "nyu-mll/glue", 14, 9, id="array-table-1"),
        pytest.param(("datasets", 1, "splits", 1), "org-d/not-a-split", 17, 4, id="ml-array"),
        pytest.param(
            ("datasets", 1, "files", 0, "uri"), "org-e/file", 21, 8, id="nested-array-table"
        ),
        pytest.param(("eval", "judge", "model"), "gpt-4o-mini", 28, 20, id="inline-table"),
        pytest.param(("eval", "judge", "extra", "id"), "org-f/inline", 28, 50, id="nested-inline"),
        pytest.param(("eval", "dotted", "key"), "org-g/dotted", 29, 15, id="dotted-key"),
    ],
)
def test_toml_positions(path: tuple[str | int, ...], value: str, line: int, column: int) -> None:
    scalar = scalar_at(read_toml(TOML_TEXT), *path)
    assert scalar.text == value
    assert pos(TOML_TEXT, scalar) == (line, column)


def test_toml_multiline_string_is_not_a_table() -> None:
    doc = read_toml(TOML_TEXT)
    assert isinstance(doc, Map)
    assert doc.get("fake") is None
    notes = scalar_at(doc, "eval", "notes")
    assert notes.text.startswith("[fake]")


def test_toml_errors() -> None:
    with pytest.raises(CrawlError, match="invalid TOML"):
        read_toml("[model\nname = 'x'")
    with pytest.raises(CrawlError, match="TOML"):
        read_toml("a = " + "[" * 100_000)


JSONNET_TEXT = """\
local base = "roberta-base";
local other = 'org-a/model-b' + '-x';
{
  model_name: base,
  "quoted": 'org-c/model-d',
  hidden:: "org-e/model-f",
  computed: other,
  concat: 'org-g/' + base,
  nested: (import 'base.libsonnet') + { inner: @'org-h/model-i' },
  list: [ { path: "org-j/data" }, 'org-k/data' ],
  fn(x):: { y: x },
  [std.format('k%d', 1)]: 'org-z/ignored',
}
"""


def test_jsonnet_reader() -> None:
    doc = read_jsonnet(JSONNET_TEXT)
    model_name = scalar_at(doc, "model_name")
    assert (model_name.text, model_name.indirect) == ("roberta-base", True)
    assert pos(JSONNET_TEXT, model_name) == (4, 15)  # where the local is used
    assert pos(JSONNET_TEXT, scalar_at(doc, "quoted")) == (5, 14)
    assert pos(JSONNET_TEXT, scalar_at(doc, "hidden")) == (6, 13)
    assert pos(JSONNET_TEXT, scalar_at(doc, "nested", "inner")) == (9, 50)
    assert pos(JSONNET_TEXT, scalar_at(doc, "list", 0, "path")) == (10, 20)
    assert scalar_at(doc, "list", 1).text == "org-k/data"
    assert isinstance(doc, Map)
    keys = [k.text for k, _ in doc.entries]
    assert "computed" not in keys  # a local bound to an expression is not a value
    assert "concat" not in keys
    assert "fn" not in keys
    assert len(keys) == 5


def test_jsonnet_errors() -> None:
    with pytest.raises(CrawlError, match="unterminated string"):
        read_jsonnet("{ model: 'org-a/x }")
    with pytest.raises(CrawlError, match="unterminated comment"):
        read_jsonnet("{ /* model: 'org-a/x' }")
    with pytest.raises(CrawlError, match="Jsonnet"):
        read_jsonnet("{a:" * 5000)


# -- patterns -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        pytest.param(
            "a.yml",
            "base_model: NousResearch/Meta-Llama-3-8B\n",
            [("model", "NousResearch/Meta-Llama-3-8B", 1)],
            id="axolotl-base-model",
        ),
        pytest.param(
            "a.yml",
            """\
            datasets:
              - path: mhenrichsen/alpaca_2k_test
                type: alpaca
              - path: ./data/local.jsonl
                type: alpaca
            pretraining_dataset:
              - path: allenai/c4
                name: en
            """,
            [("dataset", "mhenrichsen/alpaca_2k_test", 2), ("dataset", "allenai/c4", 7)],
            id="axolotl-datasets",
        ),
        pytest.param(
            "a.yml",
            "lora_model_dir: tloen/alpaca-lora-7b\n",
            [("adapter", "tloen/alpaca-lora-7b", 1)],
            id="axolotl-lora-model-dir",
        ),
        pytest.param(
            "lf.yaml",
            "adapter_name_or_path: saves/sft,org-a/lora-1, org-b/lora-2\n",
            [("adapter", "org-a/lora-1", 1), ("adapter", "org-b/lora-2", 1)],
            id="llama-factory-adapters",
        ),
        pytest.param(
            "lf.yaml",
            "dataset: identity,alpaca_en_demo,llamafactory/alpaca_gpt4_en\n",
            [("dataset", "llamafactory/alpaca_gpt4_en", 1)],
            id="llama-factory-dataset-list",
        ),
        pytest.param(
            "r.yaml",
            """\
            dataset_mixture:
              datasets:
                - id: HuggingFaceH4/ultrachat_200k
                  config: default
                  split: train_sft
            """,
            [("dataset", "HuggingFaceH4/ultrachat_200k", 3)],
            id="handbook-mixture",
        ),
        pytest.param(
            "r.yaml",
            "dataset_mixer:\n  HuggingFaceH4/ultrafeedback_binarized: 1.0\n  imdb: 0.5\n",
            [
                ("dataset", "HuggingFaceH4/ultrafeedback_binarized", 2),
                ("dataset", "imdb", 3),
            ],
            id="handbook-legacy-mixer",
        ),
        pytest.param(
            "trl.yaml",
            "dataset_name: trl-lib/Capybara\ndataset_id: imdb\n",
            [("dataset", "trl-lib/Capybara", 1), ("dataset", "imdb", 2)],
            id="trl-dataset-name",
        ),
        pytest.param(
            "task.yaml",
            "dataset_path: cais/mmlu\ndataset_name: abstract_algebra\n",
            [("dataset", "cais/mmlu", 1)],
            id="lm-eval-task",
        ),
        pytest.param(
            "tt.yaml",
            """\
            model:
              _component_: torchtune.models.llama3_1.lora_llama3_1_8b
            tokenizer:
              _component_: torchtune.models.llama3.llama3_tokenizer
              path: /tmp/Meta-Llama-3.1-8B-Instruct/original/tokenizer.model
            dataset:
              _component_: torchtune.datasets.alpaca_dataset
              source: tatsu-lab/alpaca
            """,
            [("dataset", "tatsu-lab/alpaca", 8)],
            id="torchtune",
        ),
        pytest.param(
            "h.yaml",
            """\
            _target_: transformers.AutoModelForCausalLM.from_pretrained
            pretrained_model_name_or_path: Qwen/Qwen2.5-0.5B
            """,
            [("model", "Qwen/Qwen2.5-0.5B", 2)],
            id="hydra-from-pretrained",
        ),
        pytest.param(
            "h.yaml",
            "_target_: transformers.AutoTokenizer.from_pretrained\n_args_: [gpt2]\n",
            [("model", "gpt2", 2)],
            id="hydra-args",
        ),
        pytest.param(
            "h.yaml",
            "_target_: peft.PeftModel.from_pretrained\nmodel_id: org-a/lora-x\n",
            [("adapter", "org-a/lora-x", 2)],
            id="hydra-peft",
        ),
        pytest.param(
            "h.yaml",
            "_target_: datasets.load_dataset\npath: imdb\nsplit: train\n",
            [("dataset", "imdb", 2)],
            id="hydra-load-dataset",
        ),
        pytest.param(
            "h.yaml",
            "_target_: sentence_transformers.SentenceTransformer\n"
            "model_name_or_path: all-mpnet-base-v2\n",
            [("model", "sentence-transformers/all-mpnet-base-v2", 2)],
            id="hydra-sentence-transformer",
        ),
        pytest.param(
            "MLmodel",
            """\
            flavors:
              transformers:
                source_model_name: openai-community/gpt2
                source_model_revision: 607a30d783dfa663caf39e06633721c8d4cfcd7e
              openai:
                model: gpt-4o
            """,
            [("model", "openai-community/gpt2", 3), ("hosted-model", "gpt-4o", 6)],
            id="mlflow",
        ),
        pytest.param(
            "vllm.yaml",
            "model: meta-llama/Llama-3.1-8B-Instruct\nserved-model-name: chat\n",
            [("model", "meta-llama/Llama-3.1-8B-Instruct", 1)],
            id="vllm",
        ),
        pytest.param(
            "tgi.yaml",
            "model_id: HuggingFaceH4/zephyr-7b-beta\n",
            [("model", "HuggingFaceH4/zephyr-7b-beta", 1)],
            id="tgi-model-id",
        ),
        pytest.param(
            "trl.yaml",
            "ref_model: org-a/ref\nreward_model_path: org-b/rm\nsft_model_path: org-c/sft\n",
            [("model", "org-a/ref", 1), ("model", "org-b/rm", 2), ("model", "org-c/sft", 3)],
            id="rl-models",
        ),
        pytest.param(
            "x.yaml",
            "base_model:\n  - org-a/m1\n  - org-b/m2\n",
            [("model", "org-a/m1", 2), ("model", "org-b/m2", 3)],
            id="list-values",
        ),
        pytest.param(
            "x.yaml",
            "model:\n  name: FacebookAI/roberta-large\n  type: encoder\n",
            [("model", "FacebookAI/roberta-large", 2)],
            id="model-mapping-name",
        ),
        pytest.param(
            "lm_eval.yaml",
            "model: hf\nmodel_args: pretrained=EleutherAI/pythia-160m,peft=org-a/lora\n",
            [("model", "EleutherAI/pythia-160m", 2), ("adapter", "org-a/lora", 2)],
            id="lm-eval-model-args",
        ),
        pytest.param(
            "dataset_info.json",
            '{"ultrachat": {"hf_hub_url": "HuggingFaceH4/ultrachat_200k"}}',
            [("dataset", "HuggingFaceH4/ultrachat_200k", 1)],
            id="llama-factory-dataset-info",
        ),
        pytest.param(
            "vllm.yaml",
            "lora-modules:\n  - sql-lora=yard1/llama-2-7b-sql-lora-test\n",
            [("adapter", "yard1/llama-2-7b-sql-lora-test", 2)],
            id="vllm-lora-modules-string",
        ),
        pytest.param(
            "eval.toml",
            "[model]\nname = 'org-a/m'\n[[datasets]]\npath = 'org-b/d'\n",
            [("model", "org-a/m", 2), ("dataset", "org-b/d", 4)],
            id="toml",
        ),
        pytest.param(
            "exp.jsonnet",
            "{ model_name_or_path: 'bert-base-uncased', datasets: [{path: 'org-b/d'}] }",
            [("model", "bert-base-uncased", 1), ("dataset", "org-b/d", 1)],
            id="jsonnet",
        ),
        pytest.param(
            "settings.jsonc",
            '{\n  // comment\n  "model_name": "org-a/m",\n}\n',
            [("model", "org-a/m", 3)],
            id="jsonc",
        ),
        pytest.param(
            "deployment.yaml",
            """\
            spec:
              template:
                spec:
                  containers:
                    - name: tgi
                      env:
                        - name: MODEL_ID
                          value: HuggingFaceH4/zephyr-7b-beta
                        - name: PORT
                          value: org-a/not-a-model
            """,
            [("model", "HuggingFaceH4/zephyr-7b-beta", 8)],
            id="k8s-env-list",
        ),
        pytest.param(
            "values.yaml",
            "env:\n  MODEL_ID: HuggingFaceH4/zephyr-7b-beta\n  PORT: org-a/x\n",
            [("model", "HuggingFaceH4/zephyr-7b-beta", 2)],
            id="helm-env-mapping",
        ),
        pytest.param(
            "promptfooconfig.yaml",
            """\
            providers:
              - openai:gpt-4o-mini
              - id: anthropic:messages:claude-3-5-haiku-20241022
              - huggingface:text-generation:HuggingFaceH4/zephyr-7b-beta
              - file://providers/custom.py
            """,
            [
                ("hosted-model", "gpt-4o-mini", 2),
                ("hosted-model", "claude-3-5-haiku-20241022", 3),
                ("model", "HuggingFaceH4/zephyr-7b-beta", 4),
            ],
            id="promptfoo",
        ),
    ],
)
def test_patterns(path: str, text: str, expected: list[tuple[str, str, int]]) -> None:
    assert found(text, path) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("model: gpt-4o-mini\n", ("openai", "gpt-4o-mini", 0.8), id="shape-openai"),
        pytest.param(
            "model_name: claude-3-5-sonnet-20241022\n",
            ("anthropic", "claude-3-5-sonnet-20241022", 0.8),
            id="shape-anthropic",
        ),
        pytest.param(
            "model: openai:gpt-4o\n", ("openai", "gpt-4o", 0.8), id="colon-provider-prefix"
        ),
        pytest.param(
            "model: anthropic/claude-3-haiku-20240307\n",
            ("anthropic", "claude-3-haiku-20240307", 0.8),
            id="slash-provider-prefix",
        ),
        pytest.param(
            "model_id: anthropic.claude-3-5-sonnet-20240620-v1:0\n",
            ("aws-bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0", 0.8),
            id="bedrock-id",
        ),
        pytest.param(
            "provider: azure\nmodel: prod-gpt4o\n",
            ("azure-openai", "prod-gpt4o", 0.8),
            id="provider-sibling",
        ),
        pytest.param(
            "embedding_model: text-embedding-3-small\n",
            ("openai", "text-embedding-3-small", 0.8),
            id="openai-embedding",
        ),
    ],
)
def test_hosted_models(text: str, expected: tuple[str, str, float]) -> None:
    (finding,) = crawl(text)
    assert finding.kind.value == "hosted-model"
    assert (finding.ecosystem, finding.id, finding.evidence.confidence) == expected


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        pytest.param("openai/gpt-4o", ("hosted-model", "gpt-4o", "openai"), id="openai"),
        pytest.param(
            "anthropic/claude-3-opus-20240229",
            ("hosted-model", "claude-3-opus-20240229", "anthropic"),
            id="anthropic",
        ),
        pytest.param(
            "azure/my-gpt4-deployment",
            ("hosted-model", "my-gpt4-deployment", "azure-openai"),
            id="azure",
        ),
        pytest.param(
            "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0",
            ("hosted-model", "anthropic.claude-3-5-haiku-20241022-v1:0", "aws-bedrock"),
            id="bedrock-region",
        ),
        pytest.param(
            "vertex_ai/gemini-1.5-flash",
            ("hosted-model", "gemini-1.5-flash", "vertex-ai"),
            id="vertex",
        ),
        pytest.param(
            "together_ai/meta-llama/Llama-3-8b-chat-hf",
            ("hosted-model", "meta-llama/Llama-3-8b-chat-hf", "together"),
            id="together",
        ),
        pytest.param(
            "groq/llama3-70b-8192", ("hosted-model", "llama3-70b-8192", "groq"), id="groq"
        ),
        pytest.param(
            "cohere/command-r-plus", ("hosted-model", "command-r-plus", "cohere"), id="cohere"
        ),
        pytest.param(
            "mistral/mistral-small-latest",
            ("hosted-model", "mistral-small-latest", "mistral"),
            id="mistral",
        ),
        pytest.param(
            "huggingface/HuggingFaceH4/zephyr-7b-beta",
            ("model", "HuggingFaceH4/zephyr-7b-beta", None),
            id="huggingface",
        ),
        pytest.param("ollama/llama3:70b", ("model", "llama3:70b", "ollama"), id="ollama"),
        pytest.param("gpt-4o-mini", ("hosted-model", "gpt-4o-mini", "openai"), id="no-prefix"),
    ],
)
def test_litellm(model: str, expected: tuple[str, str, str | None]) -> None:
    text = f"model_list:\n  - model_name: my-alias\n    litellm_params:\n      model: {model}\n"
    (finding,) = crawl(text)
    assert (finding.kind.value, finding.id, finding.ecosystem) == expected
    assert (finding.evidence.line, finding.evidence.column) == (4, 14)


def test_litellm_alias_is_not_a_reference() -> None:
    text = "model_list:\n  - model_name: gpt-4o\n    litellm_params:\n      model: azure/prod\n"
    assert [(f.id, f.ecosystem) for f in crawl(text)] == [("prod", "azure-openai")]


def test_openai_hub_repositories_stay_hub_models() -> None:
    text = "model: openai/whisper-large-v3\nmodel_name: openai/gpt-oss-20b\n"
    assert found(text) == [
        ("model", "openai/whisper-large-v3", 1),
        ("model", "openai/gpt-oss-20b", 2),
    ]


def test_revisions_and_properties() -> None:
    text = """\
    model_name_or_path: mistralai/Mistral-7B-v0.1
    model_revision: v0.1
    tokenizer_name: mistralai/Mistral-7B-v0.1
    tokenizer_revision: main
    dataset_name: HuggingFaceH4/no_robots
    dataset_config: default
    datasets:
      - path: teknium/OpenHermes-2.5
        name: default
        split: train
        revision: 1b2c3d4
    """
    got = [(f.id, f.revision, f.properties) for f in crawl(text)]
    assert got == [
        ("mistralai/Mistral-7B-v0.1", "v0.1", {}),
        ("mistralai/Mistral-7B-v0.1", "main", {}),
        ("HuggingFaceH4/no_robots", None, {"config": "default"}),
        ("teknium/OpenHermes-2.5", "1b2c3d4", {"config": "default", "split": "train"}),
    ]


def test_finding_evidence() -> None:
    (finding,) = crawl('{\n  "base_model": "NousResearch/Meta-Llama-3-8B"\n}\n', "train.json")
    ev = finding.evidence
    assert (ev.file, ev.line, ev.column) == ("train.json", 2, 18)
    assert ev.snippet == '"base_model": "NousResearch/Meta-Llama-3-8B"'
    assert (ev.crawler, ev.confidence, ev.scope) == ("config", 1.0, Scope.CONFIG)


def test_minified_snippet_shows_the_value() -> None:
    filler = ",".join(f'"k{i}": {i}' for i in range(60))
    text = "{" + filler + ', "model_name_or_path": "org-a/model-b"}'
    (finding,) = crawl(text, "run.json")
    assert finding.evidence.line == 1
    assert finding.evidence.column == text.index("org-a/model-b") + 1
    assert "org-a/model-b" in finding.evidence.snippet


def test_jsonnet_local_is_lowered_to_indirect_confidence() -> None:
    text = "local m = 'org-a/model-b';\n{ base_model: m }\n"
    (finding,) = crawl(text, "exp.jsonnet")
    assert (finding.id, finding.evidence.line, finding.evidence.confidence) == (
        "org-a/model-b",
        2,
        0.9,
    )


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("configs/train.yaml", Scope.CONFIG),
        ("tests/fixtures/train.yaml", Scope.TEST),
        ("examples/train.yaml", Scope.EXAMPLE),
        ("docs/train.yaml", Scope.DOCS),
    ],
)
def test_scope(path: str, scope: Scope) -> None:
    (finding,) = crawl("base_model: org-a/model-b\n", path)
    assert finding.evidence.scope is scope


# -- traps --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("model_type: llama\n", id="model-type"),
        pytest.param("chat_template: llama3\n", id="chat-template"),
        pytest.param("template: llama3\n", id="template"),
        pytest.param("architecture: LlamaForCausalLM\n", id="architecture"),
        pytest.param("output_dir: acme/llama3-sft\n", id="output-dir"),
        pytest.param("hub_model_id: acme/llama3-sft\n", id="hub-model-id"),
        pytest.param("push_to_hub_model_id: acme/llama3-sft\n", id="push-target"),
        pytest.param("hub_repo: acme/llama3-sft\n", id="hub-repo"),
        pytest.param("run_name: acme/run-1\n", id="run-name"),
        pytest.param("wandb_project: acme/llama3\n", id="wandb"),
        pytest.param("served_model_name: acme/llama3-chat\n", id="served-name"),
        pytest.param("mime_type: text/plain\nmodel: text/plain\n", id="mime"),
        pytest.param("date: 2024/01\nmodel: 2024/01\n", id="date"),
        pytest.param("model_path: ./models/llama\n", id="relative-path"),
        pytest.param("model_name_or_path: /data/models/llama\n", id="absolute-path"),
        pytest.param("model_path: checkpoints/step-1000\n", id="local-folder"),
        pytest.param("model: default\n", id="default"),
        pytest.param("model: auto\n", id="auto"),
        pytest.param("model_name: your-org/your-model\n", id="placeholder"),
        pytest.param("model: <model>\n", id="angle-placeholder"),
        pytest.param('model: "${oc.env:MODEL}"\n', id="interpolation"),
        pytest.param('model: "{{ model }}"\n', id="jinja"),
        pytest.param("model: https://huggingface.co/spaces/acme/demo\n", id="url"),
        pytest.param("model: 3\n", id="number"),
        pytest.param("model: hf\n", id="lm-eval-backend"),
        pytest.param("dataset: alpaca_en_demo,identity\n", id="llama-factory-names"),
        pytest.param("dataset_dir: data/llama_factory\n", id="dataset-dir"),
        pytest.param("adapter: qlora\n", id="axolotl-adapter-type"),
        pytest.param("tokenizer_config: org-a/tok\n", id="tokenizer-config"),
        pytest.param("model:\n  name: gpt2\n  n_layer: 12\n", id="model-name-architecture"),
        pytest.param(
            "model:\n  _component_: torchtune.models.llama3_1.lora_llama3_1_8b\n",
            id="torchtune-builder",
        ),
        pytest.param(
            "checkpointer:\n  checkpoint_dir: /tmp/Meta-Llama-3.1-8B-Instruct/\n",
            id="torchtune-checkpoint-dir",
        ),
        pytest.param(
            "# huggingface-cli download meta-llama/Llama-3.1-8B\nlr: 1\nmodel: {}\n",
            id="comment",
        ),
        pytest.param("dataset_name: json\ndataset_id: default\n", id="builder-names"),
        pytest.param("datasets:\n  - path: csv\n    data_files: train.csv\n", id="builder-path"),
        pytest.param("description: meta-llama/Llama-3.1-8B\n", id="unknown-key"),
        pytest.param("_target_: datasets.load_dataset\n_args_: [parquet]\n", id="hydra-builder"),
        pytest.param("anthropic_dataset: Anthropic/hh-rlhf\n", id="not-a-known-key"),
        pytest.param("model: anthropic/not-claude\n", id="anthropic-prefix-wrong-shape"),
    ],
)
def test_traps(text: str) -> None:
    assert crawl(text) == []


def test_comfyui_workflows_are_skipped() -> None:
    api = '{"1": {"class_type": "LoadModel", "inputs": {"model": "microsoft/Florence-2-large"}}}'
    ui = '{"nodes": [{"id": 1, "type": "X", "properties": {"model_name": "org-a/model-b"}}]}'
    assert crawl(api, "workflow.json") == []
    assert crawl(ui, "workflow.json") == []
    # the same keys outside a workflow shape are references
    assert ids('{"run": {"model_name": "org-a/model-b"}}', "run.json") == ["org-a/model-b"]


def test_file_without_known_keys_is_not_parsed() -> None:
    assert crawl("this: [is not valid", "other.yaml") == []


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "reason"),
    [
        pytest.param("b.yaml", "model: [org-a/x\n  lr: 1\n", "invalid YAML at line", id="yaml"),
        pytest.param("b.json", '{"model": "org-a/x",,}', "invalid JSON at line 1", id="json"),
        pytest.param("b.toml", "model = 'org-a/x'\nmodel = 'b'\n", "invalid TOML", id="toml"),
        pytest.param("b.jsonnet", "{ model: 'org-a/x }", "unterminated string", id="jsonnet"),
        pytest.param("b.yaml", "model: " + "[" * 100_000 + "]" * 100_000, "YAML", id="deep-yaml"),
        pytest.param("b.json", '{"model": ' + "[" * 100_000, "nested deeper", id="deep-json"),
        pytest.param(
            "b.yaml",
            "model: x\n" + "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 300)),
            "YAML nested",
            id="deep-block-yaml",
        ),
    ],
)
def test_malformed_input(path: str, text: str, reason: str) -> None:
    with pytest.raises(CrawlError, match=reason):
        crawl(text, path)


def test_not_utf8() -> None:
    data = b"model: \xff\xfe org-a/x\n"
    with pytest.raises(CrawlError, match="not valid UTF-8"):
        ConfigCrawler().crawl(FileInput(path="a.yaml", data=data, size=len(data)))


def test_alias_bomb_stops_fast() -> None:
    data = (CONFIG_FIXTURES / "alias-bomb.yaml").read_bytes()
    start = time.monotonic()
    with pytest.raises(CrawlError, match=f"more than {MAX_ALIAS_NODES} nodes"):
        ConfigCrawler().crawl(FileInput(path="alias-bomb.yaml", data=data, size=len(data)))
    assert time.monotonic() - start < 5


def test_python_tag_is_never_executed() -> None:
    marker = Path("/tmp/modelbom-config-crawler-pwned")
    marker.unlink(missing_ok=True)
    data = (CONFIG_FIXTURES / "python-tag.yaml").read_bytes()
    assert b"touch /tmp/modelbom-config-crawler-pwned" in data
    with pytest.raises(CrawlError, match="Python object tag"):
        ConfigCrawler().crawl(FileInput(path="python-tag.yaml", data=data, size=len(data)))
    assert not marker.exists()


def test_self_referencing_alias_is_bounded() -> None:
    # PyYAML composes a sequence that contains itself; conversion must stop.
    with pytest.raises(CrawlError, match="YAML"):
        crawl("model: &a [org-a/x, *a]\n")


# -- which files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ("configs/train.yaml", True),
        ("axolotl/qlora.yml", True),
        ("eval/settings.jsonc", True),
        ("eval/run.json", True),
        ("training/config.toml", True),
        ("exp/base.libsonnet", True),
        ("exp/exp.jsonnet", True),
        ("mlruns/0/abc/artifacts/model/MLmodel", True),
        ("notebook.ipynb", False),
        ("package.json", False),
        ("web/package-lock.json", False),
        ("pyproject.toml", False),
        ("poetry.lock", False),
        ("uv.lock", False),
        ("Pipfile", False),
        ("Pipfile.lock", False),
        ("model/config.json", False),
        ("lora/adapter_config.json", False),
        ("model/tokenizer_config.json", False),
        ("model/generation_config.json", False),
        ("model/preprocessor_config.json", False),
        ("pipe/model_index.json", False),
        ("model/special_tokens_map.json", False),
        ("model/tokenizer.json", False),
        (".github/workflows/ci.yml", False),
        (".gitlab-ci.yml", False),
        ("azure-pipelines.yml", False),
        (".circleci/config.yml", False),
        ("docker-compose.yml", False),
        ("deploy/docker-compose.prod.yaml", False),
        ("compose.yaml", False),
        (".pre-commit-config.yaml", False),
        ("tsconfig.json", False),
        ("web/tsconfig.build.json", False),
        (".vscode/settings.json", False),
        ("pnpm-lock.yaml", False),
        ("conda-lock.yml", False),
        ("train.py", False),
        ("README.md", False),
    ],
)
def test_wants(path: str, wanted: bool) -> None:
    assert ConfigCrawler().wants(PurePosixPath(path), 100) is wanted


def test_findings_are_sorted_and_deduplicated() -> None:
    text = "a: &m\n  base_model: org-a/m\nb:\n  <<: *m\nc:\n  <<: *m\n"
    findings = findings_from_text(text, "x.yaml")
    assert [(f.id, f.evidence.line) for f in findings] == [("org-a/m", 2)]
    assert findings == sorted(findings, key=Finding.sort_key)


# -- golden -------------------------------------------------------------------------------


def test_golden() -> None:
    result = crawler_golden([ConfigCrawler()], "crawlers/config", "crawler-config.findings.json")
    unknowns = {u.file: u.reason for u in result.unknowns}
    assert set(unknowns) == {"alias-bomb.yaml", "broken.yaml", "python-tag.yaml"}
    files = {f.evidence.file for f in result.findings}
    assert not files & {
        "traps.yaml",
        "comfyui/workflow.json",
        "comfyui/workflow_api.json",
        "eval/config.json",
        "docker-compose.yml",
        ".github/workflows/eval.yml",
    }
