"""The Hub resolver against a fake Hub on 127.0.0.1, with the real huggingface_hub client."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from modelbom.errors import UsageError
from modelbom.model import Component, Relation
from modelbom.model.finding import Kind
from modelbom.resolvers.base import ResolveContext, Resolved, ResolverError, ResolverUnavailable
from modelbom.resolvers.cache import ResolverCache
from modelbom.resolvers.hub import HubResolver
from tests.fakehub import FakeHub, Fault, card_readme

CANARY = "hf_" + "Zq7CanaryTokenForModelbomTests0123"
assert len(CANARY) == 3 + 34


@pytest.fixture(autouse=True)
def isolated_hf_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real token, no real cache, no proxy between the client and the fake."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-home" / "hub"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub() as server:
        yield server


def make_resolver(
    endpoint: str,
    tmp_path: Path,
    *,
    cache: ResolverCache | None = None,
    offline: bool = False,
    refresh: bool = False,
    now: str | None = None,
    **kwargs: Any,
) -> HubResolver:
    resolver = HubResolver(endpoint=endpoint, download_dir=tmp_path / "downloads", **kwargs)
    context = ResolveContext(offline=offline, refresh=refresh, cache=cache)
    if now is not None:
        context.now = lambda: now
    resolver.prepare(context)
    return resolver


def model(repo_id: str, revision: str | None = None) -> Component:
    return Component(kind=Kind.MODEL, id=repo_id, revision=revision)


def props(resolved: Resolved) -> dict[str, str]:
    return dict(resolved.properties)


def readme_requests(hub: FakeHub, repo_id: str) -> list[tuple[str, str | None]]:
    return [
        (r.method, r.revision)
        for r in hub.requests_for(repo_id)
        if r.kind == "file" and r.filename == "README.md"
    ]


# -- facts ---------------------------------------------------------------------------


def test_a_model_gives_license_sha_lineage_and_properties(hub: FakeHub, tmp_path: Path) -> None:
    repo = hub.add_model(
        "acme/lora-adapter",
        card_data={
            "license": "other",
            "license_name": "fake-adapter-license",
            "license_link": "LICENSE",
            "base_model": "acme/base-llama",
            "base_model_relation": "adapter",
            "datasets": ["acme/instruct-dataset"],
        },
        tags=["base_model:adapter:acme/base-llama", "dataset:acme/instruct-dataset"],
        base_models={"relation": "adapter", "models": [{"id": "acme/base-llama"}]},
        pipeline_tag="text-generation",
        library_name="peft",
    )
    resolver = make_resolver(hub.url, tmp_path)
    resolved = resolver.resolve(Component(kind=Kind.ADAPTER, id="acme/lora-adapter"))

    assert resolved is not None
    assert resolved.source == "hub"
    assert resolved.revision == repo.sha
    assert resolved.gated is None
    assert resolved.fetched_at is not None
    (claim,) = resolved.licenses
    assert (claim.raw, claim.name, claim.link) == ("other", "fake-adapter-license", "LICENSE")
    assert claim.source == "hub"
    assert claim.location == f"{hub.url}/acme/lora-adapter/blob/{repo.sha}/README.md"
    assert claim.fetched_at == resolved.fetched_at
    assert [(p.id, p.relation) for p in resolved.base_models] == [
        ("acme/base-llama", Relation.ADAPTER)
    ]
    assert resolved.datasets == ("acme/instruct-dataset",)
    assert props(resolved) == {
        "base_model_relation_source": "card",
        "pipeline_tag": "text-generation",
        "library_name": "peft",
        "hub:last_modified": "2024-05-01T12:00:00+00:00",
    }
    (api_request,) = hub.requests_for("acme/lora-adapter")
    assert api_request.path == "/api/models/acme/lora-adapter"
    assert {"sha", "cardData", "gated", "tags", "baseModels"} <= set(api_request.query["expand"])
    assert not api_request.authorized


def test_a_dataset_with_several_licenses_gives_one_claim_each(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_dataset("acme/corpus", card_data={"license": ["cc-by-4.0", "odc-by"]})
    resolved = make_resolver(hub.url, tmp_path).resolve(
        Component(kind=Kind.DATASET, id="acme/corpus")
    )
    assert resolved is not None
    assert [c.raw for c in resolved.licenses] == ["cc-by-4.0", "odc-by"]
    assert all(
        c.location and "/datasets/acme/corpus/blob/" in c.location for c in resolved.licenses
    )
    assert hub.requests_for("acme/corpus")[0].path == "/api/datasets/acme/corpus"


def test_license_from_tags_when_the_card_has_none(hub: FakeHub, tmp_path: Path) -> None:
    repo = hub.add_model("acme/tagged", readme="# no metadata\n", tags=["license:apache-2.0"])
    resolved = make_resolver(hub.url, tmp_path).resolve(model("acme/tagged"))
    assert resolved is not None
    (claim,) = resolved.licenses
    assert claim.raw == "apache-2.0"
    assert claim.location == f"{hub.url}/api/models/acme/tagged/revision/{repo.sha}"
    assert props(resolved)["hub:readme"] == "parsed"


def test_datasets_named_in_the_card_and_tags(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model(
        "acme/trained",
        card_data={"license": "mit", "datasets": ["acme/instruct", "imdb", "../etc/passwd"]},
        tags=["dataset:acme/extra", "dataset:acme/instruct"],
    )
    resolved = make_resolver(hub.url, tmp_path).resolve(model("acme/trained"))
    assert resolved is not None
    assert resolved.datasets == ("acme/instruct", "imdb", "acme/extra")


# -- gated ---------------------------------------------------------------------------


def test_a_gated_repo_keeps_its_license_from_model_info(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model(
        "acme/gated-llama",
        card_data={"license": "llama3.1", "base_model": "acme/base-llama"},
        gated="manual",
    )
    resolved = make_resolver(hub.url, tmp_path).resolve(model("acme/gated-llama"))
    assert resolved is not None
    assert resolved.gated == "manual"
    assert [c.raw for c in resolved.licenses] == ["llama3.1"]
    assert readme_requests(hub, "acme/gated-llama") == []  # the card data was enough


def test_a_gated_readme_is_refused_without_failing_the_component(
    hub: FakeHub, tmp_path: Path
) -> None:
    repo = hub.add_model(
        "acme/gated-old",
        card_data={"tags": ["llama"]},
        gated="auto",
        tags=["license:llama2"],
    )
    resolved = make_resolver(hub.url, tmp_path).resolve(model("acme/gated-old"))
    assert resolved is not None
    assert resolved.gated == "auto"
    assert [c.raw for c in resolved.licenses] == ["llama2"]
    assert props(resolved)["hub:readme"] == "refused: gated (HTTP 401)"
    assert readme_requests(hub, "acme/gated-old") == [("HEAD", repo.sha)]


# -- README ----------------------------------------------------------------------------


def test_card_data_without_license_fetches_the_readme_pinned_to_the_sha(
    hub: FakeHub, tmp_path: Path
) -> None:
    repo = hub.add_model(
        "acme/old-repo",
        card_data={"tags": ["old"]},
        readme=card_readme(
            {"license": "bsd-3-clause", "base_model": "acme/parent", "datasets": ["acme/d"]}
        ),
        revisions={"main": "a" * 40},
    )
    repo.sha = "a" * 40
    resolved = make_resolver(hub.url, tmp_path).resolve(model("acme/old-repo"))
    assert resolved is not None
    assert [c.raw for c in resolved.licenses] == ["bsd-3-clause"]
    assert resolved.licenses[0].location == f"{hub.url}/acme/old-repo/blob/{'a' * 40}/README.md"
    assert [(p.id, p.relation) for p in resolved.base_models] == [("acme/parent", Relation.BASE)]
    assert resolved.datasets == ("acme/d",)
    assert props(resolved)["hub:readme"] == "parsed"
    assert props(resolved)["base_model_relation_source"] == "default"
    seen = readme_requests(hub, "acme/old-repo")
    assert seen and all(revision == "a" * 40 for _, revision in seen)
    assert ("GET", "a" * 40) in seen
    assert (tmp_path / "downloads" / "models--acme--old-repo").is_dir()

    # A README pinned to a sha is read from the download directory the next time.
    hub.reset_log()
    again = make_resolver(hub.url, tmp_path).resolve(model("acme/old-repo"))
    assert again is not None and [c.raw for c in again.licenses] == ["bsd-3-clause"]
    assert readme_requests(hub, "acme/old-repo") == []


def test_a_dataset_readme_comes_from_the_datasets_path(hub: FakeHub, tmp_path: Path) -> None:
    repo = hub.add_dataset("acme/corpus", readme="---\nlicense: cc0-1.0\n---\n")
    resolved = make_resolver(hub.url, tmp_path).resolve(
        Component(kind=Kind.DATASET, id="acme/corpus")
    )
    assert resolved is not None
    assert [c.raw for c in resolved.licenses] == ["cc0-1.0"]
    paths = {r.path for r in hub.requests_for("acme/corpus") if r.kind == "file"}
    assert paths == {f"/datasets/acme/corpus/resolve/{repo.sha}/README.md"}


def test_a_failing_readme_download_is_retried_by_modelbom_not_the_library(
    hub: FakeHub, tmp_path: Path
) -> None:
    hub.add_dataset("acme/corpus", readme="---\nlicense: cc0-1.0\n---\n", tags=["license:mit"])
    # The 1st file request is modelbom's HEAD; the next ones are hf_hub_download's own HEADs,
    # which huggingface_hub alone would retry with sleeps of 1+2+4+8+8 s.
    hub.inject("acme/corpus", Fault(status=503, on="file", skip=1))
    start = time.monotonic()
    resolved = make_resolver(hub.url, tmp_path, max_retries=1).resolve(
        Component(kind=Kind.DATASET, id="acme/corpus")
    )
    assert time.monotonic() - start < 3
    assert resolved is not None
    assert props(resolved)["hub:readme"] == (
        "failed: dataset acme/corpus README.md: Hub error (HTTP 503)"
    )
    assert [c.raw for c in resolved.licenses] == ["mit"]
    methods = [r.method for r in hub.requests_for("acme/corpus") if r.kind == "file"]
    assert methods == ["HEAD", "HEAD", "HEAD"]  # one attempt and one modelbom retry


def test_a_readme_that_cannot_be_read_now_is_not_cached(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model("acme/x", readme="---\nlicense: mit\n---\n", tags=["license:apache-2.0"])
    hub.inject("acme/x", Fault(status=500, on="file"))
    cache = ResolverCache(None)
    first = make_resolver(hub.url, tmp_path, cache=cache, max_retries=0).resolve(model("acme/x"))
    assert first is not None
    assert props(first)["hub:readme"] == "failed: model acme/x README.md: Hub error (HTTP 500)"
    assert [c.raw for c in first.licenses] == ["apache-2.0"]
    hub.clear_faults()
    second = make_resolver(hub.url, tmp_path, cache=cache).resolve(model("acme/x"))
    assert second is not None and second.source == "hub"
    assert [c.raw for c in second.licenses] == ["mit"]


def test_an_oversized_readme_is_not_downloaded(hub: FakeHub, tmp_path: Path) -> None:
    big = "---\nlicense: mit\n---\n" + "x" * (1024 * 1024 + 10)
    hub.add_model("acme/huge-card", readme=big, tags=["license:apache-2.0"])
    resolved = make_resolver(hub.url, tmp_path).resolve(model("acme/huge-card"))
    assert resolved is not None
    assert props(resolved)["hub:readme"] == "skipped: larger than 1048576 bytes"
    assert [c.raw for c in resolved.licenses] == ["apache-2.0"]
    assert all(method == "HEAD" for method, _ in readme_requests(hub, "acme/huge-card"))


def test_a_readme_with_hostile_yaml_is_recorded_not_fatal(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model(
        "acme/evil-card",
        readme="---\nlicense: !!python/object/apply:os.system ['true']\n---\n",
    )
    resolved = make_resolver(hub.url, tmp_path).resolve(model("acme/evil-card"))
    assert resolved is not None
    assert resolved.licenses == ()
    assert props(resolved)["hub:readme"] == "invalid: unsafe YAML tag in card metadata"


# -- lineage -------------------------------------------------------------------------


def test_a_lineage_chain_three_deep(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model(
        "acme/a-adapter",
        card_data={
            "license": "mit",
            "base_model": "acme/b-finetune",
            "base_model_relation": "adapter",
        },
    )
    hub.add_model(
        "acme/b-finetune",
        card_data={"license": "mit", "base_model": "acme/c-base"},
        tags=["base_model:acme/c-base", "base_model:finetune:acme/c-base"],
    )
    hub.add_model("acme/c-base", card_data={"license": "apache-2.0"})
    resolver = make_resolver(hub.url, tmp_path)
    a = resolver.resolve(Component(kind=Kind.ADAPTER, id="acme/a-adapter"))
    b = resolver.resolve(model("acme/b-finetune"))
    c = resolver.resolve(model("acme/c-base"))
    assert a is not None and b is not None and c is not None
    assert [(p.id, p.relation) for p in a.base_models] == [("acme/b-finetune", Relation.ADAPTER)]
    assert props(a)["base_model_relation_source"] == "card"
    assert [(p.id, p.relation) for p in b.base_models] == [("acme/c-base", Relation.FINETUNE)]
    assert props(b)["base_model_relation_source"] == "tag"
    assert c.base_models == ()
    assert "base_model_relation_source" not in props(c)


def test_a_merge_has_two_parents(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model(
        "acme/merged",
        card_data={"license": "apache-2.0", "base_model": ["acme/left", "acme/right"]},
        base_models={"relation": "merge", "models": [{"id": "acme/left"}, {"id": "acme/right"}]},
    )
    resolved = make_resolver(hub.url, tmp_path).resolve(model("acme/merged"))
    assert resolved is not None
    assert [(p.id, p.relation) for p in resolved.base_models] == [
        ("acme/left", Relation.MERGE),
        ("acme/right", Relation.MERGE),
    ]
    assert props(resolved)["base_model_relation_source"] == "api"


def test_a_cycle_is_only_reported(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model("acme/ping", card_data={"license": "mit", "base_model": "acme/pong"})
    hub.add_model("acme/pong", card_data={"license": "mit", "base_model": "acme/ping"})
    resolver = make_resolver(hub.url, tmp_path)
    ping = resolver.resolve(model("acme/ping"))
    pong = resolver.resolve(model("acme/pong"))
    assert ping is not None and pong is not None
    assert [p.id for p in ping.base_models] == ["acme/pong"]
    assert [p.id for p in pong.base_models] == ["acme/ping"]
    assert len(hub.requests) == 2  # the resolver never follows lineage itself


# -- errors --------------------------------------------------------------------------


def test_a_missing_repo_is_an_error_naming_it(hub: FakeHub, tmp_path: Path) -> None:
    with pytest.raises(ResolverError, match=r"acme/nowhere: not found on the Hub \(HTTP 404\)"):
        make_resolver(hub.url, tmp_path).resolve(model("acme/nowhere"))


def test_a_missing_revision_is_an_error(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model("acme/x", card_data={"license": "mit"})
    with pytest.raises(ResolverError, match=r"revision 'no-such-branch' not found \(HTTP 404\)"):
        make_resolver(hub.url, tmp_path).resolve(model("acme/x", revision="no-such-branch"))
    assert hub.requests[-1].path == "/api/models/acme/x/revision/no-such-branch"


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (401, "RepoNotFound", "not found or private (HTTP 401)"),
        (401, None, "access refused (HTTP 401)"),
        (403, None, "access refused (HTTP 403)"),
        (403, "GatedRepo", "gated, access refused (HTTP 403)"),
    ],
)
def test_refused_access_is_an_error_naming_the_status(
    hub: FakeHub, tmp_path: Path, status: int, code: str | None, reason: str
) -> None:
    hub.add_model("acme/private", card_data={"license": "mit"})
    hub.inject("acme/private", Fault(status=status, code=code))
    with pytest.raises(ResolverError) as info:
        make_resolver(hub.url, tmp_path).resolve(model("acme/private"))
    assert str(info.value) == f"model acme/private: {reason}"
    assert not isinstance(info.value, ResolverUnavailable)


def test_a_slow_repo_times_out_within_the_timeout(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model("acme/slow", card_data={"license": "mit"})
    hub.inject("acme/slow", Fault(delay=5.0))
    resolver = make_resolver(hub.url, tmp_path, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(ResolverError, match=r"acme/slow: timed out after 0\.5 s"):
        resolver.resolve(model("acme/slow"))
    assert time.monotonic() - start < 1.5
    hub.add_model("acme/fast", card_data={"license": "mit"})
    assert resolver.resolve(model("acme/fast")) is not None  # one slow repo is not an outage


def test_malformed_json_is_an_error(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model("acme/broken", card_data={"license": "mit"})
    hub.inject("acme/broken", Fault(malformed_json=True))
    with pytest.raises(ResolverError, match=r"acme/broken: malformed answer from the Hub"):
        make_resolver(hub.url, tmp_path).resolve(model("acme/broken"))


def test_escaped_lone_surrogates_in_an_answer_become_printable_and_are_cached(
    hub: FakeHub, tmp_path: Path
) -> None:
    # "\ud800" in JSON decodes to a lone surrogate, which no UTF-8 output can hold.
    hub.add_model("acme/odd", card_data={"license": "mit\ud800"}, pipeline_tag="x\udfff")
    cache = ResolverCache(tmp_path / "cache.sqlite3")
    resolved = make_resolver(hub.url, tmp_path, cache=cache).resolve(model("acme/odd"))
    assert resolved is not None
    assert [c.raw for c in resolved.licenses] == ["mit\\ud800"]
    assert props(resolved)["pipeline_tag"] == "x\\udfff"
    again = make_resolver(hub.url, tmp_path, cache=cache).resolve(model("acme/odd"))
    assert again is not None and again.source == "hub (cache)"
    assert [c.raw for c in again.licenses] == ["mit\\ud800"]
    cache.close()


@pytest.mark.parametrize("hide_length", [False, True], ids=["content-length", "until-close"])
def test_an_oversized_answer_is_cut_off(hub: FakeHub, tmp_path: Path, hide_length: bool) -> None:
    hub.add_model("acme/bloated", card_data={"license": "mit"})
    hub.inject("acme/bloated", Fault(oversized=64 * 1024 * 1024, hide_length=hide_length))
    start = time.monotonic()
    with pytest.raises(ResolverError, match="acme/bloated: answer larger than 5242880 bytes"):
        make_resolver(hub.url, tmp_path).resolve(model("acme/bloated"))
    assert time.monotonic() - start < 5


def test_a_server_error_is_retried(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model("acme/flaky", card_data={"license": "mit"})
    hub.inject("acme/flaky", Fault(status=503, times=1))
    resolved = make_resolver(hub.url, tmp_path).resolve(model("acme/flaky"))
    assert resolved is not None
    assert len(hub.requests_for("acme/flaky")) == 2


def test_server_errors_are_retried_a_bounded_number_of_times(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model("acme/down", card_data={"license": "mit"})
    hub.inject("acme/down", Fault(status=502))
    with pytest.raises(ResolverError, match=r"acme/down: Hub error \(HTTP 502\)"):
        make_resolver(hub.url, tmp_path, max_retries=1).resolve(model("acme/down"))
    assert len(hub.requests_for("acme/down")) == 2


def test_persistent_rate_limiting_gives_up(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model("acme/busy", card_data={"license": "mit"})
    hub.inject("acme/busy", Fault(status=429, rate_limit_reset=0))
    with pytest.raises(ResolverError, match=r"acme/busy: rate limited by the Hub \(HTTP 429\)"):
        make_resolver(hub.url, tmp_path, max_retries=1).resolve(model("acme/busy"))
    assert len(hub.requests_for("acme/busy")) == 2


def test_a_429_pauses_every_worker(hub: FakeHub, tmp_path: Path) -> None:
    ids = [f"acme/model-{i}" for i in range(20)]
    for repo_id in ids:
        hub.add_model(repo_id, card_data={"license": "mit"})
    hub.inject("*", Fault(status=429, times=1, on="api", rate_limit_reset=1))
    resolver = make_resolver(hub.url, tmp_path)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda rid: resolver.resolve(model(rid)), ids))
    elapsed = time.monotonic() - start

    assert all(r is not None and r.licenses for r in results)
    seen = sorted(hub.requests, key=lambda r: r.at)
    assert len(seen) == 21  # 20 ids and one retry
    (limited,) = [r for r in seen if r.faulted]
    # Requests already on the wire when the 429 came back arrive at once; every later one,
    # from any thread, waited for the shared back-off (reset 1 s + 1 s).
    in_pause = [r for r in seen if limited.at + 0.5 < r.at < limited.at + 1.9]
    assert in_pause == []
    after = [r for r in seen if r.at >= limited.at + 1.9]
    assert len({r.repo_id for r in after}) >= 10
    assert elapsed >= 1.9


# -- unreachable Hub -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_refused_connection_opens_the_circuit_breaker(tmp_path: Path) -> None:
    resolver = make_resolver(f"http://127.0.0.1:{free_port()}", tmp_path)
    with pytest.raises(ResolverUnavailable, match="Hub unreachable: connection refused"):
        resolver.resolve(model("acme/first"))
    start = time.monotonic()
    with pytest.raises(ResolverUnavailable, match="Hub unreachable: connection refused"):
        resolver.resolve(model("acme/second"))
    assert time.monotonic() - start < 0.2


def test_a_black_holed_hub_costs_one_timeout(tmp_path: Path) -> None:
    # A listening socket whose backlog is full drops new connection attempts silently.
    with socket.socket() as server, socket.socket() as filler:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        filler.connect(server.getsockname())
        port = server.getsockname()[1]
        resolver = make_resolver(f"http://127.0.0.1:{port}", tmp_path, timeout=0.5)
        start = time.monotonic()
        with pytest.raises(ResolverUnavailable, match=r"connection timed out after 0\.5 s"):
            resolver.resolve(model("acme/first"))
        assert time.monotonic() - start < 1.5
        start = time.monotonic()
        for repo_id in ("acme/second", "acme/third", "acme/fourth"):
            with pytest.raises(ResolverUnavailable, match="connection timed out"):
                resolver.resolve(model(repo_id))
        assert time.monotonic() - start < 0.2


def test_a_redirect_to_another_host_is_not_followed(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model("acme/moved", card_data={"license": "mit"})
    with FakeHub() as elsewhere:
        elsewhere.add_model("acme/moved", card_data={"license": "mit"})
        hub.inject("acme/moved", Fault(redirect_to=f"{elsewhere.url}/api/models/acme/moved"))
        resolver = make_resolver(hub.url, tmp_path, token=CANARY)
        with pytest.raises(ResolverError, match="redirected to another host"):
            resolver.resolve(model("acme/moved"))
        assert elsewhere.requests == []
    assert hub.requests_for("acme/moved")[0].authorized


# -- what is not a Hub repository ----------------------------------------------------


@pytest.mark.parametrize(
    "component",
    [
        Component(kind=Kind.LIBRARY, id="transformers", ecosystem="pypi"),
        Component(kind=Kind.HOSTED_MODEL, id="gpt-4o", ecosystem="openai"),
        Component(kind=Kind.MODEL_FILE, id="models/x.safetensors"),
        Component(kind=Kind.MODEL, id="acme/x", ecosystem="civitai"),
        Component(kind=Kind.MODEL, id="../../etc/passwd"),
        Component(kind=Kind.MODEL, id="http://169.254.169.254/latest"),
        Component(kind=Kind.MODEL, id="acme/m?rev=main;rm"),
        Component(kind=Kind.MODEL, id="acme--x/y"),
        Component(kind=Kind.MODEL, id="a/b/c"),
        Component(kind=Kind.MODEL, id="your-org/your-model"),
        Component(kind=Kind.MODEL, id="acme/x", revision="../../../etc"),
    ],
    ids=lambda c: f"{c.kind.value}:{c.id}@{c.revision}",
)
def test_components_that_are_not_hub_repos_give_none_without_a_request(
    hub: FakeHub, tmp_path: Path, component: Component
) -> None:
    assert make_resolver(hub.url, tmp_path).resolve(component) is None
    assert hub.requests == []


def test_a_bad_endpoint_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="invalid Hub endpoint"):
        HubResolver(endpoint="ftp://example.invalid")
    with pytest.raises(UsageError) as info:
        HubResolver(endpoint=f"https://user:{CANARY}@example.invalid")
    assert CANARY not in str(info.value)


def test_endpoint_and_token_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, hub: FakeHub, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", hub.url + "/")
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", CANARY)
    hub.add_model("acme/x", card_data={"license": "mit"})
    resolver = HubResolver()
    resolver.prepare(ResolveContext())
    assert resolver.endpoint == hub.url
    assert resolver.resolve(model("acme/x")) is not None
    assert hub.requests[0].authorization == f"Bearer {CANARY}"


def test_no_token_over_plain_http_to_another_host(caplog: pytest.LogCaptureFixture) -> None:
    resolver = HubResolver(endpoint="http://hub-mirror.example.invalid", token=CANARY)
    assert "token=None" in repr(resolver)
    assert "not sent" in caplog.text and CANARY not in caplog.text


def test_without_a_token_none_is_sent_even_if_a_token_file_exists(
    hub: FakeHub, tmp_path: Path
) -> None:
    token_file = Path(os.environ["HF_HOME"]) / "token"
    token_file.parent.mkdir(parents=True)
    token_file.write_text(CANARY)
    hub.add_model("acme/x", card_data={"tags": ["x"]})
    make_resolver(hub.url, tmp_path).resolve(model("acme/x"))
    assert hub.requests and not any(r.authorized for r in hub.requests)


def test_the_temporary_download_dir_is_removed_on_close(
    monkeypatch: pytest.MonkeyPatch, hub: FakeHub, tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    hub.add_model("acme/x", readme="---\nlicense: mit\n---\n")
    resolver = HubResolver(endpoint=hub.url)
    resolver.prepare(ResolveContext())
    assert list(temp.iterdir()) == []  # nothing is created before a README is needed
    resolved = resolver.resolve(model("acme/x"))
    assert resolved is not None and resolved.licenses[0].raw == "mit"
    (folder,) = temp.iterdir()
    assert (folder / "models--acme--x").is_dir()
    resolver.close()
    assert list(temp.iterdir()) == []


# -- cache ---------------------------------------------------------------------------


def test_pinned_answers_are_reused_and_unpinned_ones_expire(hub: FakeHub, tmp_path: Path) -> None:
    repo = hub.add_model("acme/x", card_data={"license": "mit"})
    cache = ResolverCache(tmp_path / "cache" / "cache.sqlite3")
    day0, day0_later, day2 = (
        "2026-01-01T00:00:00+00:00",
        "2026-01-01T23:00:00+00:00",
        "2026-01-03T00:00:00+00:00",
    )
    first = make_resolver(hub.url, tmp_path, cache=cache, now=day0).resolve(model("acme/x"))
    assert first is not None and first.source == "hub" and first.fetched_at == day0
    assert len(hub.requests) == 1

    again = make_resolver(hub.url, tmp_path, cache=cache, now=day0_later)
    cached = again.resolve(model("acme/x"))
    pinned = again.resolve(model("acme/x", revision=repo.sha))
    assert cached is not None and cached.source == "hub (cache)" and cached.fetched_at == day0
    assert pinned is not None and pinned.source == "hub (cache)" and pinned.revision == repo.sha
    assert len(hub.requests) == 1

    later = make_resolver(hub.url, tmp_path, cache=cache, now=day2)
    refetched = later.resolve(model("acme/x"))
    still_pinned = later.resolve(model("acme/x", revision=repo.sha))
    assert refetched is not None and refetched.source == "hub" and refetched.fetched_at == day2
    assert still_pinned is not None and still_pinned.source == "hub (cache)"
    assert len(hub.requests) == 2

    forced = make_resolver(hub.url, tmp_path, cache=cache, refresh=True, now=day2)
    refreshed = forced.resolve(model("acme/x", revision=repo.sha))
    assert refreshed is not None and refreshed.source == "hub"
    assert hub.requests[-1].path == f"/api/models/acme/x/revision/{repo.sha}"
    cache.close()


def test_an_unreachable_hub_falls_back_to_a_stale_entry(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model("acme/x", card_data={"license": "mit"})
    cache = ResolverCache(None)
    make_resolver(hub.url, tmp_path, cache=cache, now="2026-01-01T00:00:00+00:00").resolve(
        model("acme/x")
    )
    down = make_resolver(
        f"http://127.0.0.1:{free_port()}", tmp_path, cache=cache, now="2026-02-01T00:00:00+00:00"
    )
    stale = down.resolve(model("acme/x"))
    assert stale is not None
    assert (stale.source, stale.fetched_at) == ("hub (cache)", "2026-01-01T00:00:00+00:00")
    with pytest.raises(ResolverUnavailable):
        down.resolve(model("acme/never-cached"))


_OFFLINE_SCRIPT = """
import json, sys
from pathlib import Path

events = []
def audit(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
        events.append([event, repr(args)[:200]])
sys.addaudithook(audit)

from modelbom.model import Component
from modelbom.model.finding import Kind
from modelbom.resolvers.base import ResolveContext
from modelbom.resolvers.cache import ResolverCache
from modelbom.resolvers.hub import HubResolver

cache = ResolverCache(Path(sys.argv[1]))
resolver = HubResolver(endpoint=sys.argv[2])
resolver.prepare(ResolveContext(offline=True, cache=cache))
found = resolver.resolve(Component(kind=Kind.ADAPTER, id=sys.argv[3]))
missing = resolver.resolve(Component(kind=Kind.MODEL, id="acme/never-seen"))
print(json.dumps({
    "found": None if found is None else found.model_dump(mode="json"),
    "missing": None if missing is None else "found",
    "events": events,
}))
"""


def test_offline_answers_from_the_cache_without_opening_a_socket(
    hub: FakeHub, tmp_path: Path
) -> None:
    repo = hub.add_model(
        "acme/lora",
        card_data={"license": "mit", "base_model": "acme/base", "base_model_relation": "adapter"},
    )
    cache_path = tmp_path / "cache" / "cache.sqlite3"
    cache = ResolverCache(cache_path)
    online = make_resolver(hub.url, tmp_path, cache=cache).resolve(
        Component(kind=Kind.ADAPTER, id="acme/lora")
    )
    cache.close()
    assert online is not None
    hub.reset_log()

    # The fake is still running: any connection attempt would succeed and be seen.
    done = subprocess.run(
        [sys.executable, "-c", _OFFLINE_SCRIPT, str(cache_path), hub.url, "acme/lora"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["events"] == []
    assert result["missing"] is None
    found = result["found"]
    assert found["source"] == "hub (cache)"
    assert found["fetched_at"] == online.fetched_at
    assert found["revision"] == repo.sha
    assert [c["raw"] for c in found["licenses"]] == ["mit"]
    assert found["base_models"] == [
        {"id": "acme/base", "relation": "adapter", "source": "hub (cache)"}
    ]
    assert hub.requests == []


def test_offline_without_a_cache_entry_gives_none(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_model("acme/x", card_data={"license": "mit"})
    resolver = make_resolver(hub.url, tmp_path, cache=ResolverCache(None), offline=True)
    assert resolver.resolve(model("acme/x")) is None
    assert hub.requests == []


# -- the token -----------------------------------------------------------------------


def test_the_token_is_sent_to_the_hub_and_appears_nowhere_else(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    hub: FakeHub,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("HF_TOKEN", CANARY)
    caplog.set_level(logging.DEBUG)
    hub.add_model("acme/open", card_data={"license": "mit", "base_model": "acme/base"})
    hub.add_model("acme/needs-readme", readme="---\nlicense: apache-2.0\n---\n")
    hub.add_model("acme/gated", card_data={"tags": ["x"]}, gated="manual", tags=["license:llama2"])
    hub.add_model("acme/limited", card_data={"license": "mit"})
    hub.inject("acme/limited", Fault(status=429, times=1, rate_limit_reset=0))
    cache_dir = tmp_path / "cache"
    cache = ResolverCache(cache_dir / "cache.sqlite3")
    resolver = HubResolver(endpoint=hub.url, download_dir=tmp_path / "downloads")
    resolver.prepare(ResolveContext(cache=cache))

    outputs: list[str] = [repr(resolver)]
    for repo_id in ("acme/open", "acme/needs-readme", "acme/gated", "acme/limited"):
        resolved = resolver.resolve(model(repo_id))
        assert resolved is not None
        outputs.append(resolved.model_dump_json())
        outputs.append(repr(resolved))
    for repo_id in ("acme/missing", "acme/gone"):
        with pytest.raises(ResolverError) as info:
            resolver.resolve(model(repo_id))
        outputs.extend([str(info.value), repr(info.value)])
    cache.close()

    assert hub.requests
    assert all(r.authorization == f"Bearer {CANARY}" for r in hub.requests)
    assert any(r.kind == "file" for r in hub.requests)
    for text in outputs:
        assert CANARY not in text
    assert CANARY not in caplog.text
    stored = b"".join(p.read_bytes() for p in cache_dir.rglob("*") if p.is_file())
    assert stored and CANARY.encode() not in stored
    downloaded = b"".join(
        p.read_bytes() for p in (tmp_path / "downloads").rglob("*") if p.is_file()
    )
    assert CANARY.encode() not in downloaded
