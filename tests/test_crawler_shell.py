"""The shell crawler: scripts, Dockerfiles, Makefiles, CI, compose files and Modelfiles."""

from __future__ import annotations

import textwrap
import time
from pathlib import PurePosixPath

import pytest

from modelbom.crawlers.base import CrawlError, FileInput
from modelbom.crawlers.shell import ShellCrawler, findings_from_shell, parse_hub_url, shell_words
from modelbom.model import Finding, Kind, Scope
from tests.support import crawler_golden


def crawl(text: str, path: str = "run.sh") -> list[Finding]:
    data = textwrap.dedent(text).lstrip("\n").encode()
    return list(ShellCrawler().crawl(FileInput(path=path, data=data, size=len(data))))


def found(text: str, path: str = "run.sh") -> list[tuple[str, str, int]]:
    return [(f.kind.value, f.id, f.evidence.line) for f in crawl(text, path)]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("scripts/download.sh", True),
        ("run.bash", True),
        ("setup.zsh", True),
        ("Dockerfile", True),
        ("docker/Dockerfile.gpu", True),
        ("serve.dockerfile", True),
        ("Containerfile", True),
        ("Makefile", True),
        ("GNUmakefile", True),
        ("rules.mk", True),
        ("Modelfile", True),
        ("ollama/support.Modelfile", True),
        ("Procfile", True),
        ("Jenkinsfile", True),
        (".github/workflows/eval.yml", True),
        (".github/workflows/release.yaml", True),
        (".gitlab-ci.yml", True),
        (".circleci/config.yml", True),
        ("azure-pipelines.yml", True),
        ("docker-compose.yml", True),
        ("docker-compose.gpu.yaml", True),
        ("compose.yaml", True),
        ("config/train.yaml", False),
        ("config.yml", False),
        (".github/dependabot.yml", False),
        ("train.py", False),
        ("README.md", False),
        ("dockerfile.txt", False),
    ],
)
def test_wants_shell_like_files_only(path: str, expected: bool) -> None:
    assert ShellCrawler().wants(PurePosixPath(path), 100) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "huggingface-cli download meta-llama/Llama-3.1-8B-Instruct",
            [("model", "meta-llama/Llama-3.1-8B-Instruct", 1)],
            id="hf-cli-download",
        ),
        pytest.param(
            "hf download HuggingFaceH4/ultrachat_200k --repo-type dataset",
            [("dataset", "HuggingFaceH4/ultrachat_200k", 1)],
            id="hf-download-dataset",
        ),
        pytest.param(
            "huggingface-cli download --repo_type=dataset squad",
            [("dataset", "squad", 1)],
            id="repo-type-underscore-canonical-dataset",
        ),
        pytest.param(
            "git clone https://huggingface.co/openai/whisper-large-v3",
            [("model", "openai/whisper-large-v3", 1)],
            id="git-clone-model",
        ),
        pytest.param(
            "git lfs clone https://hf.co/datasets/tatsu-lab/alpaca data/alpaca",
            [("dataset", "tatsu-lab/alpaca", 1)],
            id="git-lfs-clone-dataset-short-host",
        ),
        pytest.param(
            "git clone git@hf.co:BAAI/bge-m3",
            [("model", "BAAI/bge-m3", 1)],
            id="git-clone-ssh",
        ),
        pytest.param(
            "wget https://huggingface.co/TheBloke/Llama-2-7B-GGUF/resolve/main/llama-2-7b.Q4_K_M.gguf",
            [("model", "TheBloke/Llama-2-7B-GGUF", 1)],
            id="wget-resolve",
        ),
        pytest.param(
            'curl -L -o x.json "https://huggingface.co/datasets/acme/faq/blob/v2/faq.json?download=1"',
            [("dataset", "acme/faq", 1)],
            id="curl-blob-dataset",
        ),
        pytest.param(
            "text-generation-launcher --model-id HuggingFaceH4/zephyr-7b-beta --port 8080",
            [("model", "HuggingFaceH4/zephyr-7b-beta", 1)],
            id="tgi-launcher",
        ),
        pytest.param(
            "docker run --gpus all ghcr.io/huggingface/text-generation-inference:2.4 "
            "--model-id bigscience/bloom-560m",
            [("model", "bigscience/bloom-560m", 1)],
            id="tgi-docker",
        ),
        pytest.param(
            "docker run -e MODEL_ID=BAAI/bge-m3 ghcr.io/huggingface/text-embeddings-inference:1.5",
            [("model", "BAAI/bge-m3", 1)],
            id="tei-docker-env",
        ),
        pytest.param(
            "vllm serve Qwen/Qwen2.5-7B-Instruct --served-model-name qwen",
            [("model", "Qwen/Qwen2.5-7B-Instruct", 1)],
            id="vllm-serve",
        ),
        pytest.param(
            "python -m vllm.entrypoints.openai.api_server --model=mistralai/Mistral-7B-v0.1 "
            "--tokenizer hf-internal-testing/llama-tokenizer",
            [
                ("model", "mistralai/Mistral-7B-v0.1", 1),
                ("model", "hf-internal-testing/llama-tokenizer", 1),
            ],
            id="vllm-module-model-and-tokenizer",
        ),
        pytest.param(
            "docker run --gpus all vllm/vllm-openai:latest --model google/gemma-2-9b-it",
            [("model", "google/gemma-2-9b-it", 1)],
            id="vllm-docker",
        ),
        pytest.param(
            "vllm serve meta-llama/Llama-2-7b-hf --enable-lora "
            "--lora-modules sql=yard1/llama-2-7b-sql-lora-test local=./adapters/x",
            [
                ("model", "meta-llama/Llama-2-7b-hf", 1),
                ("adapter", "yard1/llama-2-7b-sql-lora-test", 1),
            ],
            id="vllm-lora-modules",
        ),
        pytest.param(
            "python3 -m sglang.launch_server --model-path deepseek-ai/DeepSeek-V2-Lite --tp 2",
            [("model", "deepseek-ai/DeepSeek-V2-Lite", 1)],
            id="sglang",
        ),
        pytest.param(
            "lm_eval --model hf --model_args pretrained=EleutherAI/pythia-160m,peft=acme/p-lora",
            [("model", "EleutherAI/pythia-160m", 1), ("adapter", "acme/p-lora", 1)],
            id="lm-eval-model-args",
        ),
        pytest.param(
            "accelerate launch train.py --pretrained_model_name_or_path=stabilityai/sdxl-turbo "
            "--dataset_name lambdalabs/naruto-blip-captions",
            [
                ("model", "stabilityai/sdxl-turbo", 1),
                ("dataset", "lambdalabs/naruto-blip-captions", 1),
            ],
            id="training-script-flags",
        ),
        pytest.param(
            "ollama pull llama3.1:8b",
            [("model", "llama3.1:8b", 1)],
            id="ollama-pull",
        ),
        pytest.param(
            "ollama run hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M 'why is the sky blue'",
            [("model", "bartowski/Llama-3.2-1B-Instruct-GGUF", 1)],
            id="ollama-run-hub",
        ),
        pytest.param(
            "sh -c 'sleep 1 && huggingface-cli download acme/in-sh-c'",
            [("model", "acme/in-sh-c", 1)],
            id="sh-c-script",
        ),
        pytest.param(
            "WEIGHTS=$(huggingface-cli download acme/in-substitution)",
            [("model", "acme/in-substitution", 1)],
            id="command-substitution",
        ),
        pytest.param(
            "hf download acme/m --local-dir models/x --cache-dir models/cache --include a/b",
            [("model", "acme/m", 1)],
            id="local-dir-and-patterns-are-not-ids",
        ),
        pytest.param(
            "sudo -E uv run huggingface-cli download acme/wrapped",
            [("model", "acme/wrapped", 1)],
            id="wrappers",
        ),
    ],
)
def test_command_patterns(text: str, expected: list[tuple[str, str, int]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            """
            MODEL=org-a/model-b
            huggingface-cli download $MODEL
            """,
            [("model", "org-a/model-b", 2)],
            id="plain-variable",
        ),
        pytest.param(
            """
            export MODEL="org-a/model-c"
            vllm serve "${MODEL}"
            """,
            [("model", "org-a/model-c", 2)],
            id="export-braced",
        ),
        pytest.param(
            "vllm serve ${MODEL:-org-a/default-model}\n",
            [("model", "org-a/default-model", 1)],
            id="default-of-unset-variable",
        ),
        pytest.param(
            """
            MODEL=org-a/assigned
            vllm serve ${MODEL:-org-a/fallback}
            """,
            [("model", "org-a/assigned", 2), ("model", "org-a/fallback", 2)],
            id="assigned-and-default",
        ),
        pytest.param(
            """
            MODEL=${1:-org-a/positional-default}
            ollama_model=llama3.2:3b
            hf download $MODEL
            ollama run $ollama_model
            """,
            [("model", "org-a/positional-default", 3), ("model", "llama3.2:3b", 4)],
            id="default-through-assignment",
        ),
        pytest.param(
            """
            REPO=TheBloke/Mistral-7B-GGUF
            FILE=mistral-7b.Q4_K_M.gguf
            wget "https://huggingface.co/${REPO}/resolve/main/${FILE}"
            """,
            [("model", "TheBloke/Mistral-7B-GGUF", 3)],
            id="url-built-from-variables",
        ),
    ],
)
def test_shell_variables(text: str, expected: list[tuple[str, str, int]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("huggingface-cli login --token $HF_TOKEN", id="login"),
        pytest.param("hf auth login", id="hf-auth-login"),
        pytest.param("huggingface-cli upload acme/finetuned ./out", id="upload"),
        pytest.param("hf upload acme/finetuned ./out --repo-type model", id="hf-upload"),
        pytest.param("hf download acme/space-app --repo-type space", id="space-download"),
        pytest.param("docker push acme/model-server:latest", id="docker-push"),
        pytest.param("git push https://huggingface.co/acme/finetuned main", id="git-push"),
        pytest.param("git clone https://huggingface.co/spaces/gradio/hello", id="space-clone"),
        pytest.param("curl https://huggingface.co/docs/hub/index", id="docs-url"),
        pytest.param("wget https://huggingface.co/blog/llama31", id="blog-url"),
        pytest.param("curl https://huggingface.co/acme/model-x", id="repo-url-without-file"),
        pytest.param("huggingface-cli download $MODEL", id="unassigned-variable"),
        pytest.param("vllm serve ${MODEL}", id="unassigned-braced"),
        pytest.param(
            "python train.py --model_type llama3 --output_dir out/acme --hub_model_id acme/x",
            id="training-outputs-and-architecture",
        ),
        pytest.param(
            "vllm serve ./checkpoints/merged --served-model-name acme/chat "
            "--chat-template templates/llama3.jinja",
            id="served-alias-and-template",
        ),
        pytest.param("python serve.py --model acme/not-vllm", id="model-flag-outside-engine"),
        pytest.param("ollama create acme-support -f Modelfile", id="ollama-create"),
        pytest.param("ollama run $MODEL", id="ollama-unset"),
        pytest.param("huggingface-cli download your-org/your-model", id="placeholder"),
        pytest.param("echo run huggingface-cli download acme/echoed", id="not-a-command"),
        pytest.param("cat > x <<EOF\nnothing here\nEOF", id="heredoc"),
    ],
)
def test_traps_are_not_references(text: str) -> None:
    assert found(text) == []


def test_evidence_points_at_the_id_on_its_own_line() -> None:
    findings = crawl(
        """
        huggingface-cli download \\
            --revision v1.0 \\
            acme/continued-model  # pinned
        """
    )
    assert len(findings) == 1
    finding = findings[0]
    ev = finding.evidence
    assert (ev.line, ev.column) == (3, 5)
    assert ev.snippet == "acme/continued-model # pinned"
    assert finding.revision == "v1.0"
    assert ev.confidence == 1.0
    assert ev.crawler == "shell"


def test_variable_use_is_reported_at_the_use_with_lower_confidence() -> None:
    findings = crawl(
        """
        MODEL=acme/through-variable
        vllm serve "$MODEL" --port 8000
        """
    )
    assert [(f.evidence.line, f.evidence.column, f.evidence.confidence) for f in findings] == [
        (2, 13, 0.9)
    ]


def test_commented_command_has_comment_scope() -> None:
    findings = crawl("# huggingface-cli download acme/old-model\nhf download acme/new-model\n")
    assert [(f.id, f.evidence.scope) for f in findings] == [
        ("acme/old-model", Scope.COMMENT),
        ("acme/new-model", Scope.CODE),
    ]


def test_file_urls_keep_revision_and_filename() -> None:
    (finding,) = crawl(
        "curl -LO https://huggingface.co/google-bert/bert-base-uncased/resolve/86b5e09/config.json"
    )
    assert (finding.id, finding.revision, finding.properties) == (
        "google-bert/bert-base-uncased",
        "86b5e09",
        {"filename": "config.json"},
    )


def test_hf_download_single_file_and_revision() -> None:
    (finding,) = crawl(
        "hf download TheBloke/Llama-2-7B-GGUF llama-2-7b.Q4_K_M.gguf --revision main --local-dir ."
    )
    assert finding.revision == "main"
    assert finding.properties == {"filename": "llama-2-7b.Q4_K_M.gguf"}
    assert finding.ecosystem is None


def test_ollama_names_keep_their_tag_and_ecosystem() -> None:
    local, hub = crawl("ollama pull qwen2.5-coder:7b-instruct\nollama run hf.co/acme/x-GGUF:Q8_0\n")
    assert (local.kind, local.id, local.ecosystem) == (
        Kind.MODEL,
        "qwen2.5-coder:7b-instruct",
        "ollama",
    )
    assert (hub.id, hub.ecosystem, hub.properties) == (
        "acme/x-GGUF",
        None,
        {"quantization": "Q8_0"},
    )


def test_dockerfile_env_arg_and_instructions() -> None:
    text = """
        FROM vllm/vllm-openai:v0.6.3
        ARG BASE=Qwen/Qwen2.5-1.5B-Instruct
        ENV ADAPTER=acme/support-lora
        RUN --mount=type=cache,target=/root/.cache huggingface-cli download ${BASE}
        CMD ["--model", "Qwen/Qwen2.5-1.5B-Instruct", "--served-model-name", "base"]
        ENTRYPOINT ["sh", "-c", "vllm serve $BASE --enable-lora --lora-modules s=$ADAPTER"]
        """
    findings = crawl(text, "Dockerfile")
    assert [(f.kind.value, f.id, f.evidence.line, f.evidence.confidence) for f in findings] == [
        ("model", "Qwen/Qwen2.5-1.5B-Instruct", 4, 0.9),
        # The CMD only holds arguments: the engine is known from the base image.
        ("model", "Qwen/Qwen2.5-1.5B-Instruct", 5, 0.9),
        ("model", "Qwen/Qwen2.5-1.5B-Instruct", 6, 0.9),
        ("adapter", "acme/support-lora", 6, 0.9),
    ]
    assert {f.evidence.scope for f in findings} == {Scope.CONFIG}


def test_dockerfile_from_is_not_a_model() -> None:
    assert found("FROM huggingface/transformers-pytorch-gpu:4.41.2\n", "Dockerfile") == []


def test_makefile_variables_and_recipes() -> None:
    text = (
        "MODEL ?= acme/make-default\n"
        "MODEL ?= acme/ignored-second-default\n"
        "DATA := acme/make-data\n"
        "\n"
        "fetch:\n"
        "\t@huggingface-cli download $(MODEL)\n"
        "\thuggingface-cli download ${DATA} --repo-type dataset\n"
        "download: ## huggingface-cli download acme/target-line-is-not-a-command\n"
    )
    assert found(text, "Makefile") == [
        ("model", "acme/make-default", 6),
        ("dataset", "acme/make-data", 7),
    ]


def test_workflow_env_run_blocks_and_comments() -> None:
    text = """
        env:
          EVAL_MODEL: acme/eval-model
        jobs:
          eval:
            steps:
              - run: huggingface-cli download ${{ env.EVAL_MODEL }}
              - run: |
                  lm_eval --model hf \\
                    --model_args pretrained=$EVAL_MODEL \\
                    --tasks hellaswag
                  # vllm serve acme/commented-out
              - run: hf upload acme/results results/
        """
    findings = crawl(text, ".github/workflows/eval.yml")
    assert [(f.id, f.evidence.line, f.evidence.scope) for f in findings] == [
        ("acme/eval-model", 6, Scope.CONFIG),
        ("acme/eval-model", 9, Scope.CONFIG),
        ("acme/commented-out", 11, Scope.COMMENT),
    ]


def test_compose_command_lists_and_tgi_environment() -> None:
    text = """
        services:
          tgi:
            image: ghcr.io/huggingface/text-generation-inference:2.4.1
            command: --model-id acme/tgi-model --max-total-tokens 8192
          tei:
            image: ghcr.io/huggingface/text-embeddings-inference:1.5
            environment:
              MODEL_ID: acme/tei-model
          vllm:
            image: vllm/vllm-openai:latest
            command:
              - --model
              - "acme/vllm-model"
              - --served-model-name
              - chat
        """
    assert found(text, "docker-compose.yml") == [
        ("model", "acme/tgi-model", 4),
        ("model", "acme/tei-model", 8),
        ("model", "acme/vllm-model", 13),
    ]


def test_modelfile_from_and_adapter() -> None:
    text = '''
        # FROM llama3:70b
        FROM hf.co/acme/base-GGUF:Q4_K_M
        FROM ./weights/local.gguf
        ADAPTER ./lora.gguf
        ADAPTER acme-sql-lora
        SYSTEM """
        FROM now on, be brief.
        """
        FROM llama3.2
        '''
    findings = crawl(text, "Modelfile")
    assert [(f.kind.value, f.id, f.ecosystem, f.evidence.scope) for f in findings] == [
        ("model", "llama3:70b", "ollama", Scope.COMMENT),
        ("model", "acme/base-GGUF", None, Scope.CONFIG),
        ("adapter", "acme-sql-lora", "ollama", Scope.CONFIG),
        ("model", "llama3.2", "ollama", Scope.CONFIG),
    ]


def test_procfile_and_jenkinsfile() -> None:
    assert found("web: vllm serve acme/procfile-model --port $PORT\n", "Procfile") == [
        ("model", "acme/procfile-model", 1)
    ]
    jenkins = "stage('fetch') {\n  sh 'huggingface-cli download acme/jenkins-model'\n}\n"
    assert found(jenkins, "Jenkinsfile") == [("model", "acme/jenkins-model", 2)]


def test_scope_follows_path() -> None:
    (finding,) = crawl("hf download acme/test-model", "tests/fixtures/fetch.sh")
    assert finding.evidence.scope is Scope.TEST


def test_findings_from_shell_offsets_lines_and_keeps_columns() -> None:
    text = "\n\n  $MODEL\n    huggingface-cli download acme/offset-model"
    (finding,) = findings_from_shell(
        text, "README.md", scope=Scope.DOCS, crawler="markdown", line_offset=10
    )
    assert (finding.evidence.line, finding.evidence.column) == (14, 30)
    assert finding.evidence.crawler == "markdown"


def test_shell_words_reports_offsets_after_quotes() -> None:
    assert shell_words('pip install -q "trl>=0.9" x && echo y') == [
        [("pip", 0), ("install", 4), ("-q", 12), ("trl>=0.9", 16), ("x", 26)],
        [("echo", 31), ("y", 36)],
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://huggingface.co/org-a/model-b", ("model", "org-a/model-b", None)),
        ("https://huggingface.co/datasets/squad", ("dataset", "squad", None)),
        ("https://huggingface.co/gpt2/resolve/main/config.json", ("model", "gpt2", "main")),
        ("https://hf.co/org-a/model-b/tree/dev", ("model", "org-a/model-b", "dev")),
        ("https://huggingface.co/spaces/org-a/app", None),
        ("https://huggingface.co/org-a", None),
        ("https://huggingface.co/transformers/model_doc/bert.html", None),
        ("https://huggingface.co/models?search=llama", None),
    ],
)
def test_parse_hub_url(url: str, expected: tuple[str, str, str | None] | None) -> None:
    parsed = parse_hub_url(url)
    got = None if parsed is None else (parsed.kind.value, parsed.id, parsed.revision)
    assert got == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xff\xfe\x00huggingface-cli download \x00\x81", id="binary"),
        pytest.param(b"hf download " + b"${" * 200_000, id="unclosed-braces"),
        pytest.param(
            b"MODEL=" + b"${A:-" * 2_000 + b"x/y" + b"}" * 2_000 + b"\nhf download $MODEL",
            id="nested-defaults",
        ),
        pytest.param(b'vllm serve "' + b"a" * 1_000_000, id="unterminated-quote"),
        pytest.param(b"hf download 'x\n" * 50_000, id="unterminated-single-quotes"),
    ],
)
def test_hostile_input_finishes_without_crashing(data: bytes) -> None:
    start = time.monotonic()
    findings = list(ShellCrawler().crawl(FileInput(path="x.sh", data=data, size=len(data))))
    assert time.monotonic() - start < 10
    assert all(f.evidence.line >= 1 for f in findings)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"hf " + b"$(" * 200_000, "more than 5000 commands", id="substitutions"),
        pytest.param(b"hf " + b"a;" * 200_000, "more than 5000 commands", id="separators"),
        pytest.param(b"hf download a/b " * 30_000, "more than 20000 words", id="words"),
        pytest.param(b"hf download \\\n" * 20_000, "more than 20000 words", id="continuations"),
    ],
)
def test_command_line_bombs_are_a_crawl_error(data: bytes, reason: str) -> None:
    start = time.monotonic()
    with pytest.raises(CrawlError, match=reason):
        list(ShellCrawler().crawl(FileInput(path="x.sh", data=data, size=len(data))))
    assert time.monotonic() - start < 10


def test_file_without_keywords_is_skipped_cheaply() -> None:
    assert crawl("#!/bin/sh\nset -e\nmake test\n") == []


def test_golden() -> None:
    result = crawler_golden([ShellCrawler()], "crawlers/shell", "crawler-shell.findings.json")
    assert not result.unknowns


def test_modelfile_variants_are_modelfiles() -> None:
    assert found("FROM llama3.1:8b\n", path="Modelfile.llama") == [("model", "llama3.1:8b", 1)]
    assert ShellCrawler().wants(PurePosixPath("deploy/Modelfile.qwen"), 100)
