"""The .env crawler: model variables only; secrets and other settings are never read."""

from __future__ import annotations

from pathlib import PurePosixPath

from modelbom.crawlers.base import FileInput
from modelbom.crawlers.dotenv import DotenvCrawler

ENV = """\
# Copy to .env and fill in the keys.
OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123
HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz01234567
CHAT_MODEL=gpt-4o-mini
export FALLBACK_MODEL="claude-3-5-haiku-20241022"
EMBEDDING_MODEL=all-MiniLM-L6-v2
RERANKER_MODEL='cross-encoder/ms-marco-MiniLM-L-6-v2'  # the default
AZURE_OPENAI_MODEL=prod-deployment-4o
TRAIN_DATASET=tatsu-lab/alpaca
OUTPUT_MODEL_DIR=acme/should-not-appear
HUB_MODEL_ID=acme/push-target
RERANK_TOP_N=4
MODEL_CACHE=/data/models
"""


def crawl(text: str, path: str = ".env.example") -> list[tuple[str, str, str | None, int]]:
    data = text.encode()
    findings = DotenvCrawler().crawl(FileInput(path=path, data=data, size=len(data)))
    return [(f.kind.value, f.id, f.ecosystem, f.evidence.line) for f in findings]


def test_model_variables_are_findings() -> None:
    assert crawl(ENV) == [
        ("hosted-model", "gpt-4o-mini", "openai", 4),
        ("hosted-model", "claude-3-5-haiku-20241022", "anthropic", 5),
        ("model", "sentence-transformers/all-MiniLM-L6-v2", None, 6),
        ("model", "cross-encoder/ms-marco-MiniLM-L-6-v2", None, 7),
        ("hosted-model", "prod-deployment-4o", "azure-openai", 8),
        ("dataset", "tatsu-lab/alpaca", None, 9),
    ]


def test_secrets_never_reach_a_finding() -> None:
    data = ENV.encode()
    findings = DotenvCrawler().crawl(FileInput(path=".env", data=data, size=len(data)))
    text = repr([f.model_dump() for f in findings])
    assert "sk-proj" not in text and "hf_abc" not in text


def test_which_files_are_env_files() -> None:
    crawler = DotenvCrawler()
    wanted = [".env", ".env.example", "deploy/prod.env", "svc/.env.local"]
    unwanted = ["env.py", "environment.yml", ".envrc", "app/.environment"]
    assert all(crawler.wants(PurePosixPath(p), 10) for p in wanted)
    assert not any(crawler.wants(PurePosixPath(p), 10) for p in unwanted)
