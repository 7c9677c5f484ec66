"""The Hugging Face cache resolver: a fixture cache of plain files and real symlinked ones."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from modelbom.model import BaseModelRef, Component, Kind, Relation
from modelbom.resolvers.base import Resolved, ResolverError
from modelbom.resolvers.hf_cache import HfCacheResolver, default_cache_dir
from tests.support import FIXTURES

CACHE = FIXTURES / "resolvers" / "hf-cache"
LORA_MAIN = "3f8e2b1c9d4a5e6f7081928374655647382910ab"
LORA_V1 = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
SKETCH = "9c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5"
CHATS = "5d4c3b2a19087f6e5d4c3b2a1908f7e6d5c4b3a2"
NO_REFS = "7f7e7d7c7b7a79787776757473727170bfbebdbc"
LLAMA31 = b"LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024\n"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_CACHE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def resolve(component: Component, cache: Path = CACHE) -> Resolved | None:
    return HfCacheResolver(cache_dir=cache).resolve(component)


def location(folder: str, sha: str, name: str) -> str:
    return f"hf-cache:{folder}/snapshots/{sha}/{name}"


def test_refs_main_snapshot_of_an_adapter() -> None:
    resolved = resolve(Component(kind=Kind.ADAPTER, id="acme-ai/support-lora"))
    assert resolved is not None
    assert resolved.source == "hf-cache"
    assert resolved.revision == LORA_MAIN
    assert resolved.fetched_at is None
    [claim] = resolved.licenses
    assert claim.raw == "llama3.2"
    assert claim.expression == "LicenseRef-scancode-llama-3.2-license-2024"
    assert claim.source == "hf-cache"
    assert claim.location == location("models--acme-ai--support-lora", LORA_MAIN, "README.md")
    assert not claim.needs_review
    # base_model in the card and base_model_name_or_path in adapter_config.json agree
    assert resolved.base_models == (
        BaseModelRef(
            id="meta-llama/Llama-3.2-1B-Instruct", relation=Relation.ADAPTER, source="hf-cache"
        ),
    )
    assert resolved.datasets == ("bitext/Bitext-customer-support-llm-chatbot-training-dataset",)


def test_a_pinned_tag_reads_that_snapshot() -> None:
    resolved = resolve(Component(kind=Kind.MODEL, id="acme-ai/support-lora", revision="v1.0"))
    assert resolved is not None
    assert resolved.revision == LORA_V1
    [claim] = resolved.licenses
    assert (claim.raw, claim.name, claim.link) == ("other", "acme-internal-eval-license", "LICENSE")
    assert claim.expression == "LicenseRef-modelbom-other-acme-internal-eval-license"
    assert claim.needs_review
    # a PEFT card without base_model_relation: the Hub infers adapter
    assert resolved.base_models == (
        BaseModelRef(id="meta-llama/Llama-3.2-1B", relation=Relation.ADAPTER, source="hf-cache"),
    )


def test_a_pinned_sha_reads_that_snapshot() -> None:
    resolved = resolve(Component(kind=Kind.MODEL, id="acme-ai/support-lora", revision=LORA_V1))
    assert resolved is not None and resolved.revision == LORA_V1


@pytest.mark.parametrize("revision", ["0" * 40, "v9.9", "refs/../../etc", "../main", "abc123"])
def test_a_pinned_revision_that_is_not_cached_gives_nothing(revision: str) -> None:
    assert resolve(Component(kind=Kind.MODEL, id="acme-ai/support-lora", revision=revision)) is None


def test_license_files_and_config_hint() -> None:
    resolved = resolve(Component(kind=Kind.MODEL, id="acme-ai/sketch-flux"))
    assert resolved is not None
    assert [(c.raw, c.expression, c.location) for c in resolved.licenses] == [
        ("other", "LicenseRef-scancode-flux-1-nc", location("models--acme-ai--sketch-flux", SKETCH, "README.md")),
        ("flux-1-dev-non-commercial-license", "LicenseRef-scancode-flux-1-nc",
         location("models--acme-ai--sketch-flux", SKETCH, "LICENSE.md")),
    ]  # fmt: skip
    assert resolved.base_models == (
        BaseModelRef(id="black-forest-labs/FLUX.1-dev", relation=Relation.BASE, source="hf-cache"),
    )
    # _name_or_path is a hint, never lineage
    assert resolved.properties == (
        ("config_name_or_path", "/home/runner/work/sketch-flux/checkpoint-5000"),
    )


def test_a_dataset() -> None:
    resolved = resolve(Component(kind=Kind.DATASET, id="acme-ai/support-chats"))
    assert resolved is not None
    assert resolved.revision == CHATS  # refs/main with a trailing newline
    assert [(c.raw, c.expression) for c in resolved.licenses] == [("cc-by-nc-4.0", "CC-BY-NC-4.0")]
    # the same id as a model is another cache folder
    assert resolve(Component(kind=Kind.MODEL, id="acme-ai/support-chats")) is None


def test_the_only_snapshot_when_there_are_no_refs() -> None:
    resolved = resolve(Component(kind=Kind.MODEL, id="acme-ai/no-refs"))
    assert resolved is not None and resolved.revision == NO_REFS


def test_malformed_card_metadata_is_an_error_naming_the_file() -> None:
    with pytest.raises(ResolverError) as caught:
        resolve(Component(kind=Kind.MODEL, id="acme-ai/broken-card"))
    message = str(caught.value)
    assert "models--acme-ai--broken-card/snapshots/" in message
    assert "README.md" in message
    assert "invalid YAML" in message


@pytest.mark.parametrize(
    "component",
    [
        Component(kind=Kind.MODEL, id="acme-ai/not-downloaded"),
        Component(kind=Kind.MODEL, id="../hf-cache/models--acme-ai--support-lora"),
        Component(kind=Kind.MODEL, id="acme-ai/support--lora"),
        Component(kind=Kind.MODEL, id="acme-ai/support-lora/extra"),
        Component(kind=Kind.LIBRARY, id="acme-ai/support-lora", ecosystem="pypi"),
        Component(kind=Kind.HOSTED_MODEL, id="acme-ai/support-lora", ecosystem="openai"),
        Component(kind=Kind.MODEL_FILE, id="acme-ai/support-lora"),
        Component(kind=Kind.MODEL, id="acme-ai/support-lora", ecosystem="ollama"),
    ],
)
def test_nothing_for_what_is_not_a_cached_hub_repository(component: Component) -> None:
    assert resolve(component) is None


def test_a_missing_cache_directory_gives_nothing(tmp_path: Path) -> None:
    assert (
        resolve(Component(kind=Kind.MODEL, id="acme-ai/support-lora"), tmp_path / "absent") is None
    )


def test_the_cache_directory_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / "hub"
    shutil.copytree(CACHE, tmp_path / "home" / "hub")
    component = Component(kind=Kind.MODEL, id="acme-ai/no-refs")
    assert HfCacheResolver().resolve(component) is not None
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "elsewhere"))
    assert default_cache_dir() == tmp_path / "elsewhere"
    assert HfCacheResolver().resolve(component) is None  # HF_HUB_CACHE wins over HF_HOME
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.delenv("HF_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "huggingface" / "hub"


# ------------------------------------------------------------------- a real symlinked cache

SHA = "0123456789abcdef0123456789abcdef01234567"
CARD = b"---\nlicense: llama3.1\nbase_model: meta-llama/Llama-3.1-8B\nbase_model_relation: finetune\n---\n"


def symlinked_cache(root: Path) -> Path:
    """A cache laid out as huggingface_hub writes it: snapshot files link into blobs/."""
    repo = root / "hub" / "models--acme-ai--support-8b"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(SHA)
    blobs = repo / "blobs"
    blobs.mkdir()
    (blobs / "aa11").write_bytes(CARD)
    (blobs / "bb22").write_bytes(LLAMA31)
    (blobs / "cc33").write_text('{"base_model_name_or_path": "meta-llama/Llama-3.1-8B"}')
    snapshot = repo / "snapshots" / SHA
    snapshot.mkdir(parents=True)
    (snapshot / "README.md").symlink_to("../../blobs/aa11")
    (snapshot / "LICENSE").symlink_to("../../blobs/bb22")
    (snapshot / "adapter_config.json").symlink_to("../../blobs/cc33")
    return root / "hub"


def test_symlinks_into_the_repository_blobs_are_followed(tmp_path: Path) -> None:
    cache = symlinked_cache(tmp_path)
    resolved = resolve(Component(kind=Kind.MODEL, id="acme-ai/support-8b"), cache)
    assert resolved is not None
    folder = "models--acme-ai--support-8b"
    assert [(c.raw, c.location) for c in resolved.licenses] == [
        ("llama3.1", location(folder, SHA, "README.md")),
        ("llama3.1", location(folder, SHA, "LICENSE")),
    ]
    # the card says finetune; adapter_config says adapter: both stated, the card's first kept
    assert [(b.id, b.relation) for b in resolved.base_models] == [
        ("meta-llama/Llama-3.1-8B", Relation.FINETUNE)
    ]


def test_a_symlink_escaping_the_repository_folder_is_ignored(tmp_path: Path) -> None:
    cache = symlinked_cache(tmp_path)
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "README.md").write_bytes(b"---\nlicense: mit\n---\n")
    other_repo = cache / "models--acme-ai--other" / "blobs"
    other_repo.mkdir(parents=True)
    (other_repo / "dd44").write_bytes(
        b"MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\n"
    )
    snapshot = cache / "models--acme-ai--support-8b" / "snapshots" / SHA
    (snapshot / "README.md").unlink()
    (snapshot / "README.md").symlink_to(outside / "README.md")  # absolute, outside the cache
    (snapshot / "LICENSE").unlink()
    (snapshot / "LICENSE").symlink_to("../../../models--acme-ai--other/blobs/dd44")  # another repo
    (snapshot / "adapter_config.json").unlink()
    (snapshot / "adapter_config.json").symlink_to("/etc/passwd")
    assert resolve(Component(kind=Kind.MODEL, id="acme-ai/support-8b"), cache) is None


def test_unreadable_files_skip_only_their_fact(tmp_path: Path) -> None:
    cache = symlinked_cache(tmp_path)
    blobs = cache / "models--acme-ai--support-8b" / "blobs"
    (blobs / "bb22").unlink()  # a dangling LICENSE link
    (blobs / "cc33").write_bytes(b"{not json")  # a broken adapter config
    resolved = resolve(Component(kind=Kind.MODEL, id="acme-ai/support-8b"), cache)
    assert resolved is not None
    assert [c.raw for c in resolved.licenses] == ["llama3.1"]


def test_oversized_and_special_files_are_not_read(tmp_path: Path) -> None:
    cache = symlinked_cache(tmp_path)
    snapshot = cache / "models--acme-ai--support-8b" / "snapshots" / SHA
    (cache / "models--acme-ai--support-8b" / "blobs" / "aa11").write_bytes(
        CARD + b"x" * (1024 * 1024)
    )
    (snapshot / "LICENSE").unlink()
    os.mkfifo(snapshot / "LICENSE")  # would block a naive reader
    resolved = resolve(Component(kind=Kind.MODEL, id="acme-ai/support-8b"), cache)
    assert resolved is not None
    assert resolved.licenses == ()  # README too large, LICENSE not a regular file
    assert [b.id for b in resolved.base_models] == ["meta-llama/Llama-3.1-8B"]  # adapter_config


def test_a_symlinked_repository_folder_is_not_followed(tmp_path: Path) -> None:
    cache = symlinked_cache(tmp_path)
    (cache / "models--acme-ai--alias").symlink_to(cache / "models--acme-ai--support-8b")
    assert resolve(Component(kind=Kind.MODEL, id="acme-ai/alias"), cache) is None


def test_resolving_from_many_threads(tmp_path: Path) -> None:
    components = [
        Component(kind=Kind.MODEL, id="acme-ai/support-lora"),
        Component(kind=Kind.MODEL, id="acme-ai/support-lora", revision="v1.0"),
        Component(kind=Kind.MODEL, id="acme-ai/sketch-flux"),
        Component(kind=Kind.DATASET, id="acme-ai/support-chats"),
        Component(kind=Kind.MODEL, id="acme-ai/no-refs"),
    ]
    resolver = HfCacheResolver(cache_dir=CACHE)
    expected = [resolver.resolve(c) for c in components]
    outcomes: list[list[Resolved | None]] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [resolver.resolve(c) for c in components]
        with lock:
            outcomes.append(mine)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [expected] * 8
