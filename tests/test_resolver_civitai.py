"""The CivitAI resolver, against a fake CivitAI API on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import logging
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from modelbom.model import Component, Kind, Relation
from modelbom.resolvers.base import ResolveContext, ResolverError, ResolverUnavailable
from modelbom.resolvers.cache import ResolverCache
from modelbom.resolvers.civitai import CivitaiResolver, civitai_reference, load_base_models
from modelbom.resolvers.http import JsonClient
from modelbom.resolvers.ratelimit import RateLimiter
from tests.fakeservers import (
    CHECKPOINT_MODEL,
    CHECKPOINT_VERSION,
    LEGACY_MODEL,
    LEGACY_VERSION,
    LORA_MODEL,
    LORA_SHA256,
    LORA_VERSION,
    FakeServer,
    Reply,
    civitai_routes,
    closed_port,
    json_reply,
    quiet_network_env,
    run_audited,
)

NOW = "2026-11-23T10:00:00+00:00"
LORA_AIR = f"urn:air:sdxl:lora:civitai:{LORA_MODEL}@{LORA_VERSION}"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    quiet_network_env(monkeypatch)


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    with FakeServer(civitai_routes()) as server:
        yield server


def make(server_url: str, **kwargs: object) -> CivitaiResolver:
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("backoff", 0.01)
    return CivitaiResolver(f"{server_url}/api/v1", **kwargs)  # type: ignore[arg-type]


def context(
    cache: ResolverCache | None = None, *, offline: bool = False, refresh: bool = False
) -> ResolveContext:
    return ResolveContext(cache=cache, offline=offline, refresh=refresh, now=lambda: NOW)


def civitai(ident: str, kind: Kind = Kind.MODEL) -> Component:
    return Component(kind=kind, id=ident, ecosystem="civitai")


def props(resolved: object) -> dict[str, str]:
    return dict(resolved.properties)  # type: ignore[attr-defined]


# -- facts ----------------------------------------------------------------------------------


def test_lora_on_sdxl_gets_permissions_base_model_and_inherited_license(
    fake: FakeServer,
) -> None:
    resolver = make(fake.url)
    resolver.prepare(context(ResolverCache(None)))
    resolved = resolver.resolve(civitai(LORA_AIR, Kind.ADAPTER))
    assert resolved is not None
    assert resolved.source == "civitai"
    assert resolved.fetched_at == NOW
    page = f"{fake.url}/models/{LORA_MODEL}?modelVersionId={LORA_VERSION}"
    permissions, base_license = resolved.licenses
    assert permissions.raw == (
        "civitai-permissions:commercial=Image+Rent+RentCivit;derivatives=true"
        ";different-license=false;no-credit=true"
    )
    assert permissions.expression == "LicenseRef-modelbom-civitai-permissions"
    assert permissions.needs_review is False
    assert permissions.location == page
    assert permissions.source == "civitai"
    assert permissions.fetched_at == NOW
    assert base_license.raw == "openrail++"
    assert base_license.name == "CreativeML Open RAIL++-M"
    assert base_license.expression  # from the shared license normaliser
    assert (
        base_license.location == "https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0"
    )
    assert [(b.id, b.relation, b.source) for b in resolved.base_models] == [
        ("stabilityai/stable-diffusion-xl-base-1.0", Relation.ADAPTER, "civitai")
    ]
    assert props(resolved) == {
        "civitai:allowCommercialUse": "Image,Rent,RentCivit",
        "civitai:allowDerivatives": "true",
        "civitai:allowDifferentLicense": "false",
        "civitai:allowNoCredit": "true",
        "civitai:baseModel": "SDXL 1.0",
        "civitai:creator": "someone",
        "civitai:modelId": str(LORA_MODEL),
        "civitai:name": "Detail Tweaker XL",
        "civitai:type": "LORA",
        "civitai:versionId": str(LORA_VERSION),
    }
    assert fake.paths() == [
        f"/api/v1/model-versions/{LORA_VERSION}",
        f"/api/v1/models/{LORA_MODEL}",
    ]


def test_legacy_single_string_permission_and_embedding_relation(fake: FakeServer) -> None:
    resolver = make(fake.url)
    resolved = resolver.resolve(civitai(f"civitai:{LEGACY_MODEL}@{LEGACY_VERSION}"))
    assert resolved is not None
    assert props(resolved)["civitai:allowCommercialUse"] == "Sell"
    assert props(resolved)["civitai:type"] == "TextualInversion"
    assert resolved.licenses[0].raw.startswith("civitai-permissions:commercial=Sell;")
    assert [(b.id, b.relation) for b in resolved.base_models] == [
        ("stable-diffusion-v1-5/stable-diffusion-v1-5", Relation.ADAPTER)
    ]
    assert resolved.licenses[1].raw == "creativeml-openrail-m"


def test_version_link_on_a_base_without_hub_repo_inherits_its_ancestor_license(
    fake: FakeServer,
) -> None:
    resolved = make(fake.url).resolve(civitai(f"civitai-version:{CHECKPOINT_VERSION}"))
    assert resolved is not None
    assert props(resolved)["civitai:baseModel"] == "Pony"
    assert props(resolved)["civitai:allowCommercialUse"] == "None"
    assert resolved.base_models == ()  # Pony is not on the Hub: no lineage id to give
    assert [c.raw for c in resolved.licenses[1:]] == ["openrail++"]  # SDXL 1.0, its base


def test_model_without_version_records_disagreeing_base_models(fake: FakeServer) -> None:
    resolved = make(fake.url).resolve(civitai(f"civitai:{CHECKPOINT_MODEL}"))
    assert resolved is not None
    assert "civitai:baseModel" not in props(resolved)
    assert props(resolved)["civitai:baseModels"] == "Pony,SDXL 1.0"
    assert fake.paths() == [f"/api/v1/models/{CHECKPOINT_MODEL}"]


def test_every_base_model_entry_has_a_license_statement_and_valid_ancestry() -> None:
    table = load_base_models()
    assert {"SD 1.5", "SDXL 1.0", "SD 3.5", "Flux.1 D", "Flux.1 S", "Pony", "Illustrious"} <= set(
        table
    )
    assert table["Flux.1 D"].license_name == "flux-1-dev-non-commercial-license"
    assert table["Flux.1 S"].license == "apache-2.0"
    hub_id = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*/[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    for info in table.values():
        assert info.license
        assert info.derived_from is None or info.derived_from in table
        assert info.hub_id is None or hub_id.match(info.hub_id)
        assert info.note


# -- what is never sent ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "ident",
    ["civitai:2147483648", "civitai:1@2147483648", "civitai-version:99999999999", "civitai:abc"],
)
def test_ids_beyond_int32_or_malformed_are_never_requested(fake: FakeServer, ident: str) -> None:
    assert make(fake.url).resolve(civitai(ident)) is None
    assert fake.requests == []


def test_components_of_other_ecosystems_are_not_civitai_s(fake: FakeServer) -> None:
    assert make(fake.url).resolve(Component(kind=Kind.MODEL, id="org/model")) is None
    assert fake.requests == []


def test_model_file_hash_lookup_is_opt_in(fake: FakeServer) -> None:
    model_file = Component(
        kind=Kind.MODEL_FILE,
        id="models/lfs/detail.safetensors",
        properties=(("format", "safetensors"), ("lfs_oid", f"sha256:{LORA_SHA256.lower()}")),
    )
    assert make(fake.url).resolve(model_file) is None
    assert fake.requests == []
    resolved = make(fake.url, lookup_hashes=True).resolve(model_file)
    assert resolved is not None
    assert props(resolved)["civitai:matchedBy"] == "sha256"
    assert props(resolved)["civitai:name"] == "Detail Tweaker XL"
    assert fake.paths()[0] == f"/api/v1/model-versions/by-hash/{LORA_SHA256}"
    unknown = model_file.model_copy(
        update={"properties": (("format", "safetensors"), ("lfs_oid", "sha256:" + "c" * 64))}
    )
    assert make(fake.url, lookup_hashes=True).resolve(unknown) is None


def test_civitai_reference_shapes() -> None:
    assert civitai_reference(civitai("urn:air:sdxl:lora:civitai:1@2")) is not None
    ref = civitai_reference(civitai("air:sd1:embedding:civitai:7808@9208"))
    assert ref is not None and (ref.model_id, ref.version_id) == (7808, 9208)
    ref = civitai_reference(civitai("civitai-version:5"))
    assert ref is not None and (ref.model_id, ref.version_id) == (None, 5)
    assert civitai_reference(civitai("urn:air:sdxl:lora:orchestrator:abc")) is None
    assert civitai_reference(civitai("civitai:0")) is None


# -- failures -------------------------------------------------------------------------------


def test_missing_model_and_version_are_reasons(fake: FakeServer) -> None:
    resolver = make(fake.url)
    with pytest.raises(ResolverError, match=r"^CivitAI: no model 999$"):
        resolver.resolve(civitai("civitai:999"))
    with pytest.raises(ResolverError, match=r"^CivitAI: no model version 998$"):
        resolver.resolve(civitai("civitai-version:998"))


def test_429_with_retry_after_is_waited_for_then_succeeds() -> None:
    routes = civitai_routes()
    path = f"/api/v1/model-versions/{LORA_VERSION}"
    ok = routes[path]
    assert isinstance(ok, Reply)
    routes[path] = [
        json_reply({"error": "slow down"}, status=429, headers={"Retry-After": "1"}),
        ok,
    ]
    limiter = RateLimiter(rate=100.0, burst=10)
    with FakeServer(routes) as server:
        resolver = make(server.url, limiter=limiter)
        started = time.monotonic()
        resolved = resolver.resolve(civitai(LORA_AIR, Kind.ADAPTER))
        elapsed = time.monotonic() - started
        assert resolved is not None
        assert server.paths() == [path, path, f"/api/v1/models/{LORA_MODEL}"]
    assert elapsed >= 0.9  # waited for Retry-After, shared through the limiter


def test_endless_429_gives_up_after_bounded_retries() -> None:
    routes = civitai_routes()
    path = f"/api/v1/model-versions/{LORA_VERSION}"
    routes[path] = json_reply({"error": "no"}, status=429, headers={"Retry-After": "0"})
    with FakeServer(routes) as server:
        with pytest.raises(ResolverError, match="rate limited"):
            make(server.url, max_retries=2).resolve(civitai(LORA_AIR))
        assert server.paths() == [path] * 3


def test_retry_after_beyond_the_budget_is_not_slept() -> None:
    routes = civitai_routes()
    path = f"/api/v1/model-versions/{LORA_VERSION}"
    routes[path] = json_reply({}, status=429, headers={"Retry-After": "3600"})
    with FakeServer(routes) as server:
        started = time.monotonic()
        with pytest.raises(ResolverError, match="retry after 3600 s"):
            make(server.url, max_wait=5.0).resolve(civitai(LORA_AIR))
        assert time.monotonic() - started < 3
        assert len(server.requests) == 1


def test_server_errors_are_retried_then_reported() -> None:
    routes = civitai_routes()
    path = f"/api/v1/model-versions/{LORA_VERSION}"
    routes[path] = Reply(status=503, body=b"down")
    with FakeServer(routes) as server:
        with pytest.raises(ResolverError, match=r"server error \(HTTP 503\) after 1 retries"):
            make(server.url, max_retries=1).resolve(civitai(LORA_AIR))
        assert len(server.requests) == 2


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(body=b'{"id": 1, "modelId": '), id="truncated"),
        pytest.param(Reply(body=b"<html>maintenance</html>"), id="html"),
        pytest.param(Reply(body=b"[" * 100_000 + b"]" * 100_000), id="deep"),
    ],
)
def test_malformed_json_is_a_reason(reply: Reply) -> None:
    routes = civitai_routes()
    routes[f"/api/v1/model-versions/{LORA_VERSION}"] = reply
    with (
        FakeServer(routes) as server,
        pytest.raises(ResolverError, match=r"CivitAI: (malformed JSON|unexpected answer)"),
    ):
        make(server.url).resolve(civitai(LORA_AIR))


def test_wrong_shapes_are_a_reason_not_a_crash() -> None:
    routes = civitai_routes()
    routes[f"/api/v1/model-versions/{LORA_VERSION}"] = json_reply({"id": 1, "modelId": "x"})
    with FakeServer(routes) as server, pytest.raises(ResolverError, match="without a model id"):
        make(server.url).resolve(civitai(LORA_AIR))


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(body=b" " * 20_000), id="content-length"),
        pytest.param(Reply(body=b" " * 20_000, chunked=True), id="chunked"),
        pytest.param(Reply(body=b" " * 5_000_000, gzip=True), id="gzip-bomb"),
    ],
)
def test_oversized_answers_are_cut_at_the_cap(reply: Reply) -> None:
    routes = civitai_routes()
    routes[f"/api/v1/model-versions/{LORA_VERSION}"] = reply
    with (
        FakeServer(routes) as server,
        pytest.raises(ResolverError, match="answer larger than 10000 bytes"),
    ):
        make(server.url, max_bytes=10_000).resolve(civitai(LORA_AIR))


def test_gzip_answers_are_accepted() -> None:
    routes = civitai_routes()
    for path, route in list(routes.items()):
        assert isinstance(route, Reply)
        routes[path] = Reply(status=route.status, body=route.body, headers=route.headers, gzip=True)
    with FakeServer(routes) as server:
        resolved = make(server.url).resolve(civitai(LORA_AIR))
        assert resolved is not None
        assert server.requests[0].headers.get("Accept-Encoding") == "gzip"
    assert gzip.decompress(gzip.compress(b"x")) == b"x"


def test_slow_answer_times_out() -> None:
    routes = civitai_routes()
    routes[f"/api/v1/model-versions/{LORA_VERSION}"] = Reply(body=b"{}", delay=2.0)
    with FakeServer(routes) as server:
        started = time.monotonic()
        with pytest.raises(ResolverError, match="timed out") as info:
            make(server.url, timeout=0.3).resolve(civitai(LORA_AIR))
        assert not isinstance(info.value, ResolverUnavailable)
        assert time.monotonic() - started < 1.5


def test_redirect_to_another_host_is_refused_and_the_other_host_sees_nothing() -> None:
    with FakeServer(civitai_routes()) as other:
        elsewhere = other.url.replace("127.0.0.1", "localhost")
        routes = civitai_routes()
        routes[f"/api/v1/model-versions/{LORA_VERSION}"] = Reply(
            status=302,
            headers={"Location": f"{elsewhere}/api/v1/model-versions/{LORA_VERSION}"},
        )
        with (
            FakeServer(routes) as server,
            pytest.raises(ResolverError, match="refused a redirect to another host"),
        ):
            make(server.url).resolve(civitai(LORA_AIR))
        assert other.requests == []


def test_redirect_on_the_same_host_is_followed() -> None:
    routes = civitai_routes()
    path = f"/api/v1/model-versions/{LORA_VERSION}"
    routes["/old" + path] = Reply(status=301, headers={"Location": path})
    routes[f"/old/api/v1/models/{LORA_MODEL}"] = routes[f"/api/v1/models/{LORA_MODEL}"]
    with FakeServer(routes) as server:
        resolver = CivitaiResolver(f"{server.url}/old/api/v1", timeout=5.0)
        resolved = resolver.resolve(civitai(LORA_AIR))
        assert resolved is not None
        assert server.paths() == ["/old" + path, path, f"/old/api/v1/models/{LORA_MODEL}"]


def test_refused_connection_is_unavailable() -> None:
    resolver = CivitaiResolver(f"http://127.0.0.1:{closed_port()}/api/v1", timeout=2.0)
    with pytest.raises(ResolverUnavailable, match="CivitAI unreachable: connection refused"):
        resolver.resolve(civitai(LORA_AIR))


def test_https_checks_the_server_and_a_plain_http_one_fails_the_handshake(
    fake: FakeServer,
) -> None:
    https = fake.url.replace("http://", "https://", 1)
    client = JsonClient(https, label="CivitAI", timeout=2.0)
    with pytest.raises(ResolverUnavailable, match="CivitAI unreachable: TLS handshake failed"):
        client.get_json("models", "1")


BREAKER_SCRIPT = """
from modelbom.model import Component, Kind
from modelbom.resolvers.base import ResolverError, ResolverUnavailable
from modelbom.resolvers.civitai import CivitaiResolver

resolver = CivitaiResolver(ARGS["base"], timeout=2.0, breaker_threshold=2)
RESULT = {"outcomes": [], "connects_after": []}
for _ in range(4):
    before = len(_connects)
    try:
        resolver.resolve(Component(kind=Kind.MODEL, id=ARGS["id"], ecosystem="civitai"))
        RESULT["outcomes"].append("resolved")
    except ResolverUnavailable as exc:
        RESULT["outcomes"].append("unavailable: " + str(exc))
    except ResolverError as exc:
        RESULT["outcomes"].append("error: " + str(exc))
    RESULT["connects_after"].append(len(_connects) - before)
"""


def test_circuit_breaker_stops_connecting_after_the_source_proved_unreachable() -> None:
    port = closed_port()
    result = run_audited(
        BREAKER_SCRIPT, {"base": f"http://127.0.0.1:{port}/api/v1", "id": LORA_AIR}
    )
    outcomes = result["outcomes"]
    assert all(o.startswith("unavailable: CivitAI unreachable") for o in outcomes)
    # The breaker answers in the words of the failure that opened it (deterministic
    # reasons whichever thread asks first); what proves it is the connects count.
    assert len(set(outcomes)) == 1
    assert result["connects_after"] == [1, 1, 0, 0]


# -- cache, offline, refresh ----------------------------------------------------------------


OFFLINE_SCRIPT = """
from pathlib import Path
from modelbom.model import Component, Kind
from modelbom.resolvers.base import ResolveContext
from modelbom.resolvers.cache import ResolverCache
from modelbom.resolvers.civitai import CivitaiResolver

resolver = CivitaiResolver(ARGS["base"], timeout=2.0)
cache = ResolverCache(Path(ARGS["cache"]))
resolver.prepare(ResolveContext(offline=True, cache=cache, now=lambda: "2030-01-01T00:00:00+00:00"))
RESULT = {}
for ident in ARGS["ids"]:
    resolved = resolver.resolve(Component(kind=Kind.ADAPTER, id=ident, ecosystem="civitai"))
    RESULT[ident] = None if resolved is None else resolved.model_dump(mode="json")
"""


def test_offline_answers_from_the_cache_without_any_socket(tmp_path: Path) -> None:
    cache_path = tmp_path / "cache" / "cache.sqlite3"
    with FakeServer(civitai_routes()) as server:
        base = f"{server.url}/api/v1"
        resolver = CivitaiResolver(base, timeout=5.0)
        resolver.prepare(context(ResolverCache(cache_path)))
        online = resolver.resolve(civitai(LORA_AIR, Kind.ADAPTER))
        assert online is not None
    result = run_audited(
        OFFLINE_SCRIPT,
        {"base": base, "cache": str(cache_path), "ids": [LORA_AIR, "civitai:4242@4243"]},
    )
    assert result["connects"] == []
    offline = result[LORA_AIR]
    assert offline["source"] == "civitai (cache)"
    assert offline["fetched_at"] == NOW  # the time it was fetched, not the offline run's
    assert offline["licenses"] == online.model_dump(mode="json")["licenses"]
    assert offline["base_models"] == online.model_dump(mode="json")["base_models"]
    assert offline["properties"] == online.model_dump(mode="json")["properties"]
    assert result["civitai:4242@4243"] is None  # never cached: nothing, and no request


def test_cached_answers_are_reused_and_refresh_fetches_again(fake: FakeServer) -> None:
    cache = ResolverCache(None)
    resolver = make(fake.url)
    resolver.prepare(context(cache))
    assert resolver.resolve(civitai(LORA_AIR)) is not None
    again = resolver.resolve(civitai(LORA_AIR))
    assert again is not None and again.source == "civitai (cache)"
    assert len(fake.requests) == 2
    resolver.prepare(context(cache, refresh=True))
    fresh = resolver.resolve(civitai(LORA_AIR))
    assert fresh is not None and fresh.source == "civitai"
    assert len(fake.requests) == 4


def test_a_cached_404_is_still_a_reason(fake: FakeServer) -> None:
    cache = ResolverCache(None)
    resolver = make(fake.url)
    resolver.prepare(context(cache))
    for _ in range(2):
        with pytest.raises(ResolverError, match="no model 999"):
            resolver.resolve(civitai("civitai:999"))
    assert len(fake.requests) == 1


def test_canary_token_is_sent_to_the_endpoint_and_appears_nowhere_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    canary = "canary-civitai-5b1e0c7d9f2a4e6b8c3d"
    monkeypatch.setenv("CIVITAI_API_TOKEN", canary)
    caplog.set_level(logging.DEBUG, logger="modelbom")
    cache_dir = tmp_path / "cache"
    cache = ResolverCache(cache_dir / "cache.sqlite3")
    texts: list[str] = []
    with FakeServer(civitai_routes()) as server:
        resolver = make(server.url)
        resolver.prepare(context(cache))
        resolved = resolver.resolve(civitai(LORA_AIR))
        assert resolved is not None
        texts.append(resolved.model_dump_json())
        for ident in ("civitai:999", "civitai-version:998"):
            with pytest.raises(ResolverError) as info:
                resolver.resolve(civitai(ident))
            texts.append(str(info.value))
        auth = {r.headers.get("Authorization") for r in server.requests}
        assert auth == {f"Bearer {canary}"}
    texts.append(repr(resolver.client))
    texts.append(json.dumps(vars(resolver), default=repr))
    texts.append(caplog.text)
    assert caplog.text  # the client does log its requests
    cache.close()
    for path in cache_dir.iterdir():
        assert canary.encode() not in path.read_bytes(), path.name
    for text in texts:
        assert canary not in text


def test_a_token_is_never_sent_over_plain_http_to_a_remote_host() -> None:
    def auth() -> str:
        return "Bearer canary"

    remote = JsonClient("http://civitai.example/api/v1", label="CivitAI", auth=auth)
    local = JsonClient("http://127.0.0.1:9/api/v1", label="CivitAI", auth=auth)
    secure = JsonClient("https://civitai.example/api/v1", label="CivitAI", auth=auth)
    assert "Authorization" not in remote._headers()
    assert local._headers()["Authorization"] == "Bearer canary"
    assert secure._headers()["Authorization"] == "Bearer canary"


def test_eight_workers_at_once_share_client_cache_and_limiter(tmp_path: Path) -> None:
    idents = [
        LORA_AIR,
        f"civitai:{LEGACY_MODEL}@{LEGACY_VERSION}",
        f"civitai-version:{CHECKPOINT_VERSION}",
    ] * 8
    cache = ResolverCache(tmp_path / "cache.sqlite3")
    with FakeServer(civitai_routes()) as server:
        resolver = make(server.url, limiter=RateLimiter(rate=1000.0, burst=50))
        resolver.prepare(context(cache))
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda i: resolver.resolve(civitai(i)), idents))
    assert all(r is not None for r in results)
    names = {dict(r.properties)["civitai:name"] for r in results if r is not None}
    assert names == {"Detail Tweaker XL", "EasyNegative", "Some Pony Checkpoint"}
