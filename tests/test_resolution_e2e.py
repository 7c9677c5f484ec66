"""Resolution end to end: the CLI against a fake Hub, then offline from the cache."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.fakehub import FakeHub, RateLimitWindow
from tests.support import run_cli

LLAMA = {"license": "llama3.1", "datasets": ["acme/web-corpus"]}


def serve(hub: FakeHub) -> None:
    hub.add_model(
        "acme/support-lora",
        card_data={
            "license": "apache-2.0",
            "base_model": "acme/llama-ft",
            "base_model_relation": "adapter",
        },
    )
    hub.add_model(
        "acme/llama-ft",
        card_data={
            "license": "llama3.1",
            "base_model": "acme/llama-base",
            "base_model_relation": "finetune",
        },
    )
    hub.add_model("acme/llama-base", card_data=LLAMA, gated="manual")
    hub.add_dataset("acme/web-corpus", card_data={"license": "odc-by"})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    root.mkdir()
    (root / "app.py").write_text(
        textwrap.dedent(
            """
            from peft import PeftModel
            from transformers import AutoModelForCausalLM

            base = AutoModelForCausalLM.from_pretrained("acme/llama-ft")
            model = PeftModel.from_pretrained(base, "acme/support-lora")
            """
        )
    )
    return root


def licenses(bom: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for component in bom["components"]:
        names = []
        for entry in component.get("licenses", []):
            lic = entry.get("license", {})
            if (entry.get("acknowledgement") or lic.get("acknowledgement")) == "concluded":
                continue  # the chain's conclusion, not a declared license
            names.append(entry.get("expression") or lic.get("id") or lic.get("name"))
        out[component["name"]] = names
    return out


def license_sources(bom: dict[str, Any]) -> set[str]:
    return {
        prop["value"]
        for component in bom["components"]
        for entry in component.get("licenses", [])
        for prop in entry.get("license", {}).get("properties", [])
        if prop["name"] == "modelbom:license:source"
    }


def test_online_then_offline_gives_the_same_licenses(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with FakeHub() as hub:
        serve(hub)
        online = run_cli(
            "scan",
            str(repo),
            "--cache-dir",
            str(cache),
            "--reproducible",
            env={"HF_ENDPOINT": hub.url},
        )
    assert online.returncode == 0, online.stderr
    bom = json.loads(online.stdout)
    got = licenses(bom)
    assert got["acme/support-lora"] == ["Apache-2.0"]
    assert got["acme/llama-ft"] == ["LicenseRef-scancode-llama-3.1-license-2024"]
    # Lineage the code never names is resolved too: the base's base and its dataset.
    assert got["acme/llama-base"] == ["LicenseRef-scancode-llama-3.1-license-2024"]
    assert got["acme/web-corpus"] == ["ODC-By-1.0"]
    assert license_sources(bom) == {"hub"}

    # The fake Hub is gone: offline, everything comes from the cache.
    offline = run_cli("scan", str(repo), "--cache-dir", str(cache), "--reproducible", "--offline")
    assert offline.returncode == 0, offline.stderr
    cached = json.loads(offline.stdout)
    assert licenses(cached) == got
    assert license_sources(cached) == {"hub (cache)"}


def test_offline_scan_opens_no_socket(repo: Path, tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        connects = []
        sys.addaudithook(lambda event, args: event == "socket.connect" and connects.append(args))
        from modelbom.cli import main
        rc = main(["scan", {str(repo)!r}, "--offline", "-q", "-o", {str(tmp_path / "bom.json")!r}])
        print(rc, len(connects))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.stdout.split() == ["0", "0"], proc.stderr


def test_unresolved_components_carry_reasons_and_fail_strict(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    with FakeHub() as hub:
        hub.add_model("acme/llama-ft", card_data={"license": "llama3.1"})  # the adapter is missing
        proc = run_cli(
            "scan",
            str(repo),
            "--cache-dir",
            str(tmp_path / "c"),
            "--strict",
            "-o",
            str(out),
            env={"HF_ENDPOINT": hub.url},
        )
    assert proc.returncode == 3
    bom = json.loads(out.read_text())
    (lora,) = [c for c in bom["components"] if c["name"] == "acme/support-lora"]
    props = {p["name"]: p["value"] for p in lora["properties"]}
    assert props["modelbom:resolution"] == "unresolved"
    assert "not found" in props["modelbom:resolution:reason"]
    assert "1 unresolved" in proc.stderr


def test_an_unreachable_hub_costs_one_failure_not_one_per_component(
    repo: Path, tmp_path: Path
) -> None:
    # HF_ENDPOINT points at a closed port (see conftest): every component is unresolved
    # with the reason, and the scan still writes its BOM.
    proc = run_cli(
        "scan", str(repo), "--cache-dir", str(tmp_path / "c"), "-o", str(tmp_path / "b.json")
    )
    assert proc.returncode == 0, proc.stderr
    bom = json.loads((tmp_path / "b.json").read_text())
    reasons = {
        p["value"]
        for c in bom["components"]
        for p in c["properties"]
        if p["name"] == "modelbom:resolution:reason"
    }
    assert reasons and all("unreachable" in r for r in reasons), reasons


def test_a_used_up_rate_limit_window_delays_resolution_but_loses_nothing(tmp_path: Path) -> None:
    # 30 models, and a Hub that answers 429 after 15 requests in each two-second window:
    # every worker pauses until the window resets, then retries, within the retry cap.
    root = tmp_path / "many"
    root.mkdir()
    ids = [f"acme/model-{i:02d}" for i in range(30)]
    (root / "models.py").write_text(
        "".join(f'm{i} = AutoModel.from_pretrained("{rid}")\n' for i, rid in enumerate(ids))
    )
    out = tmp_path / "bom.json"
    with FakeHub(rate_limit=RateLimitWindow(limit=15, window=2.0)) as hub:
        for rid in ids:
            hub.add_model(rid, card_data={"license": "mit"})
        proc = run_cli(
            "scan",
            str(root),
            "--cache-dir",
            str(tmp_path / "c"),
            "--strict",
            "-o",
            str(out),
            env={"HF_ENDPOINT": hub.url},
        )
        seen = hub.requests
    assert proc.returncode == 0, proc.stderr
    bom = json.loads(out.read_text())
    assert licenses(bom) == {rid: ["MIT"] for rid in ids}
    assert any(r.rate_limited for r in seen)
    per_id = [sum(r.repo_id == rid for r in seen) for rid in ids]
    assert max(per_id) <= 3  # one request and at most two retries (the cap)
    assert len(seen) == len(ids) + sum(r.rate_limited for r in seen)


def test_requests_run_in_parallel_up_to_the_worker_count(tmp_path: Path) -> None:
    root = tmp_path / "some"
    root.mkdir()
    ids = [f"acme/model-{i}" for i in range(8)]
    (root / "models.py").write_text(
        "".join(f'm{i} = AutoModel.from_pretrained("{rid}")\n' for i, rid in enumerate(ids))
    )
    with FakeHub(latency=0.5) as hub:  # a distant server: each answer takes half a second
        for rid in ids:
            hub.add_model(rid, card_data={"license": "mit"})
        proc = run_cli(
            "scan",
            str(root),
            "--cache-dir",
            str(tmp_path / "c"),
            "--workers",
            "4",
            "--strict",
            "-o",
            str(tmp_path / "bom.json"),
            env={"HF_ENDPOINT": hub.url},
        )
    assert proc.returncode == 0, proc.stderr
    assert len(hub.requests) == len(ids)
    assert 1 < hub.max_in_flight <= 4
