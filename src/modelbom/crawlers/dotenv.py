"""Environment files: model names configured as variables in ``.env`` files.

Services take their model from the environment, and ``.env``, ``.env.example`` and
``*.env`` files say which: ``OPENAI_MODEL=gpt-4o-mini``, ``EMBEDDING_MODEL=BAAI/bge-m3``.
Only variables whose name says model, embedding, reranker, tokenizer, checkpoint or
dataset are read, and only values that are a Hub id or a hosted provider's model name.
Every other line is skipped unread, so the secrets such files hold never reach a
finding (and a snippet is only ever the model line itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from modelbom.crawlers.base import Crawler, FileInput, scope_of_path
from modelbom.crawlers.hosted import hosted_model, provider_for_name
from modelbom.crawlers.ids import hub_id
from modelbom.model import Evidence, Finding, Kind, Scope

_LINE = re.compile(
    r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*"
    r"(?P<quote>['\"]?)(?P<value>[^'\"#\s]*)(?P=quote)\s*(?:#.*)?$"
)
_MODEL_KEY = re.compile(r"MODEL|EMBED|RERANK|TOKENIZER|CHECKPOINT", re.IGNORECASE)
_DATASET_KEY = re.compile(r"DATASET", re.IGNORECASE)
_NOT_A_MODEL_KEY = re.compile(r"OUTPUT|SAVE|PUSH|HUB_MODEL_ID|_DIR$|_PATH$|CACHE", re.IGNORECASE)
_PROVIDER_HINTS = (
    ("AZURE", "azure-openai"),
    ("OPENAI", "openai"),
    ("ANTHROPIC", "anthropic"),
    ("CLAUDE", "anthropic"),
    ("GEMINI", "google"),
    ("GOOGLE", "google"),
    ("MISTRAL", "mistral"),
    ("COHERE", "cohere"),
    ("GROQ", "groq"),
    ("BEDROCK", "aws-bedrock"),
)


def _is_env_file(path: PurePosixPath) -> bool:
    name = path.name
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


class DotenvCrawler(Crawler):
    """``.env`` files and their examples."""

    name = "dotenv"
    version = "1"
    max_bytes = 256 * 1024

    def wants(self, path: PurePosixPath, size: int) -> bool:
        """``.env``, ``.env.*`` and ``*.env`` files."""
        return _is_env_file(path)

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Model variables with a Hub id or a hosted model name as their value."""
        text = file.data.decode("utf-8", errors="replace")
        scope = scope_of_path(file.pure_path)
        scope = Scope.CONFIG if scope is Scope.CODE else scope
        out: list[Finding] = []
        for number, line in enumerate(text.splitlines(), start=1):
            match = _LINE.match(line)
            if match is None:
                continue
            key, value = match["key"], match["value"]
            if not value or _NOT_A_MODEL_KEY.search(key):
                continue
            is_dataset = bool(_DATASET_KEY.search(key))
            if not is_dataset and not _MODEL_KEY.search(key):
                continue
            evidence = Evidence(
                file=file.path,
                line=number,
                column=match.start("value") + 1,
                snippet=line,
                crawler=self.name,
                confidence=0.8,
                scope=scope,
            )
            finding = _finding(key, value, is_dataset, evidence)
            if finding is not None:
                out.append(finding)
        return out


def _finding(key: str, value: str, is_dataset: bool, evidence: Evidence) -> Finding | None:
    if is_dataset:
        repo = hub_id(value)
        return Finding(kind=Kind.DATASET, id=repo, evidence=evidence) if repo else None
    provider = provider_for_name(value)
    if provider is None and "/" not in value:
        upper = key.upper()
        provider = next((p for hint, p in _PROVIDER_HINTS if hint in upper), None)
    if provider is not None:
        name = hosted_model(provider, value)
        if name is not None:
            return Finding(kind=Kind.HOSTED_MODEL, id=name, ecosystem=provider, evidence=evidence)
    short = "sentence-transformers" if "EMBED" in key.upper() and "/" not in value else None
    candidate = f"{short}/{value}" if short and hub_id(value, allow_single=True) else value
    repo = hub_id(candidate)
    return Finding(kind=Kind.MODEL, id=repo, evidence=evidence) if repo else None
