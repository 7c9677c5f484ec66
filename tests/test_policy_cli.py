"""Policies from the command line: exit codes, outputs kept, explanations, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support import FIXTURES, run_cli

SCENARIOS = FIXTURES / "scenarios"
CACHE = {"HF_HUB_CACHE": str(SCENARIOS / "hf-cache")}


@pytest.fixture
def lora_service(tmp_path: Path) -> Path:
    root = tmp_path / "lora-llama-service"
    shutil.copytree(SCENARIOS / "lora-llama-service", root)
    return root


def test_a_violation_exits_1_and_still_writes_the_bom(lora_service: Path, tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    proc = run_cli("scan", str(lora_service), "--offline", "-o", str(out), env=CACHE)
    assert proc.returncode == 1, proc.stderr
    assert "verdict: violation" in proc.stderr
    assert "user-cap: 800,000,000 monthly active users exceed the cap of 700,000,000" in proc.stderr
    bom = json.loads(out.read_text())
    root_props = {p["name"]: p["value"] for p in bom["metadata"]["component"]["properties"]}
    assert root_props["modelbom:verdict"] == "violation"
    (lora,) = [c for c in bom["components"] if c["name"] == "acme/support-lora"]
    concluded = [
        e["license"] for e in lora["licenses"] if e["license"]["acknowledgement"] == "concluded"
    ]
    assert concluded == [
        {
            "name": "Apache-2.0 AND LicenseRef-scancode-llama-3.1-license-2024",
            "acknowledgement": "concluded",
        }
    ]


def test_a_policy_file_overrides_the_repository_policy(lora_service: Path, tmp_path: Path) -> None:
    policy = tmp_path / "internal.toml"
    policy.write_text('[use]\ncommercial = false\ndistribution = "internal"\n')
    proc = run_cli(
        "scan",
        str(lora_service),
        "--offline",
        "--policy",
        str(policy),
        "-o",
        str(tmp_path / "b.json"),
        env=CACHE,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"(under {policy})" in proc.stderr


def test_explain_prints_the_chain_from_the_artifact(lora_service: Path) -> None:
    proc = run_cli("explain", "acme/support-lora", str(lora_service), "--offline", env=CACHE)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "adapter:acme/support-lora: violation" in text
    assert "path: artifact -> adapter:acme/support-lora" in text
    assert "declared license: Apache-2.0" in text
    assert "user_cap = 700000000: LicenseRef-scancode-llama-3.1-license-2024" in text
    assert (
        "via adapter:acme/support-lora [Apache-2.0] -> model:meta-llama/Llama-3.1-8B-Instruct"
        in text
    )
    assert "violation: user-cap" in text


def test_explain_of_a_lineage_only_base_shows_how_it_is_reached(lora_service: Path) -> None:
    proc = run_cli("explain", "meta-llama/Llama-3.1-8B", str(lora_service), "--offline", env=CACHE)
    assert proc.returncode == 0, proc.stderr
    assert (
        "path: artifact -> model:meta-llama/Llama-3.1-8B-Instruct -> model:meta-llama/Llama-3.1-8B"
        in proc.stdout
    )


def test_explain_an_unknown_component_is_a_usage_error(lora_service: Path) -> None:
    proc = run_cli("explain", "acme/nothing", str(lora_service), "--offline", env=CACHE)
    assert proc.returncode == 2
    assert "no component 'acme/nothing' in the scan" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[use]\ndistribution = "everywhere"\n',
            "use.distribution: Input should be 'internal', 'distributed' or 'network-service'",
        ),
        (
            "[use]\nmonthly_active_users = -5\n",
            "use.monthly_active_users: Input should be greater than or equal to 0",
        ),
        (
            '[[waivers]]\ncomponent = "x"\nreason = "r"\napprover = "a"\n',
            "waivers.0.expires: Field required",
        ),
        (
            '[policy]\ntraining_data = "maybe"\n',
            "policy.training_data: Input should be 'strict', 'warn' or 'off'",
        ),
        ("[use\n", "not valid TOML"),
    ],
)
def test_a_bad_policy_names_the_file_and_the_key(tmp_path: Path, toml: str, message: str) -> None:
    policy = tmp_path / "modelbom.toml"
    policy.write_text(toml)
    (tmp_path / "app.py").write_text("x = 1\n")
    proc = run_cli("scan", str(tmp_path), "--offline", "--policy", str(policy))
    assert proc.returncode == 2
    assert f"{policy}: " in proc.stderr and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_pyproject_tool_modelbom_is_the_repository_policy(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    shutil.copytree(SCENARIOS / "flux-dev-commercial", root)
    (root / "modelbom.toml").unlink()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "svc"\n\n[tool.modelbom.use]\ncommercial = true\ndistribution = "distributed"\n'
    )
    proc = run_cli("scan", str(root), "--offline", "-o", str(tmp_path / "b.json"), env=CACHE)
    assert proc.returncode == 1, proc.stderr
    assert "commercial-use: commercial use is not allowed" in proc.stderr
    assert "pyproject.toml)" in proc.stderr
