"""License-chain scenarios: each a small repository, a declared use, and the verdict with
the path that causes it. Licenses come from a local Hugging Face cache fixture, offline.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from modelbom.engine import scan
from modelbom.model import ScanResult
from modelbom.model.verdict import ComponentVerdict, RuleResult, Verdict
from modelbom.options import ScanOptions
from modelbom.policy.model import Policy, TrainingData, find_policy, load_policy
from tests.support import FIXTURES

SCENARIOS = FIXTURES / "scenarios"


@pytest.fixture(autouse=True)
def _hf_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(SCENARIOS / "hf-cache"))


def run(
    name: str, tmp_path: Path, *, policy: Policy | None = None, today: date | None = None
) -> ScanResult:
    root = tmp_path / name
    shutil.copytree(SCENARIOS / name, root)
    if policy is None:
        found = find_policy(root)
        assert found is not None, "each scenario declares its use in modelbom.toml"
        policy = load_policy(found)
    return scan(
        ScanOptions(
            root=root, offline=True, cache_dir=tmp_path / "cache", policy=policy, today=today
        )
    )


def rule(verdict: ComponentVerdict, name: str) -> RuleResult:
    (found,) = [r for r in verdict.rules if r.rule == name]
    return found


def component(result: ScanResult, component_id: str) -> ComponentVerdict:
    assert result.chain is not None
    (found,) = [c for c in result.chain.components if c.component.split(":", 1)[1] == component_id]
    return found


LLAMA = "LicenseRef-scancode-llama-3.1-license-2024"


def test_lora_on_llama_in_a_service_with_800_million_users(tmp_path: Path) -> None:
    result = run("lora-llama-service", tmp_path)
    assert result.chain is not None
    artifact = result.chain.artifact
    assert artifact.verdict is Verdict.VIOLATION
    assert result.violation
    cap = rule(artifact, "user-cap")
    assert cap.message == "800,000,000 monthly active users exceed the cap of 700,000,000"
    paths = [c.render_path() for c in cap.because]
    # The cap comes from the base, reached through the adapter.
    assert any(
        "adapter:acme/support-lora [Apache-2.0]" in p
        and f"model:meta-llama/Llama-3.1-8B-Instruct [{LLAMA}] (adapter of)" in p
        for p in paths
    ), paths
    lora = component(result, "acme/support-lora")
    assert lora.verdict is Verdict.VIOLATION
    assert lora.concluded == f"Apache-2.0 AND {LLAMA}"


def test_sdxl_lora_inherits_openrail_restrictions(tmp_path: Path) -> None:
    result = run("sdxl-lora", tmp_path)
    lora = component(result, "nerijs/pixel-art-xl")
    restrictions = [c for c in lora.contributions if c.dimension == "use_restrictions"]
    licenses = {c.license for c in restrictions}
    assert "LicenseRef-modelbom-openrail-plusplus-m" in licenses  # the base's OpenRAIL++-M
    via_base = [c for c in restrictions if c.license == "LicenseRef-modelbom-openrail-plusplus-m"]
    assert via_base[0].render_path().startswith("adapter:nerijs/pixel-art-xl")
    assert "pass the use restrictions on to derivatives and downstream users" in lora.obligations


def test_flux_dev_in_a_commercial_product_is_a_violation(tmp_path: Path) -> None:
    result = run("flux-dev-commercial", tmp_path)
    assert result.chain is not None
    commercial = rule(result.chain.artifact, "commercial-use")
    assert commercial.verdict is Verdict.VIOLATION
    assert commercial.because[0].license == "LicenseRef-scancode-flux-1-nc"
    assert "model:black-forest-labs/FLUX.1-dev" in commercial.because[0].render_path()


def test_gguf_quantization_of_gemma_carries_gemma_terms(tmp_path: Path) -> None:
    result = run("gguf-gemma", tmp_path)
    gguf = component(result, "models/gemma-2-2b-it-Q4_K_M.gguf")
    gemma = "LicenseRef-scancode-gemma-tou-2024-04-01"
    restrictions = [c for c in gguf.contributions if c.dimension == "use_restrictions"]
    assert restrictions and all(c.license == gemma for c in restrictions)
    assert any("model:google/gemma-2-2b-it" in c.render_path() for c in restrictions)


def test_agpl_library_in_a_network_service_brings_a_source_disclosure_duty(tmp_path: Path) -> None:
    result = run("agpl-service", tmp_path)
    assert result.chain is not None
    duty = rule(result.chain.artifact, "network-source-disclosure")
    assert duty.verdict is Verdict.REVIEW
    assert "library:npm/ghostscript-wrapper [AGPL-3.0-only]" in duty.because[0].render_path()
    assert result.chain.artifact.verdict is Verdict.REVIEW


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (TrainingData.STRICT, Verdict.VIOLATION),
        (TrainingData.WARN, Verdict.REVIEW),
        (TrainingData.OFF, Verdict.ALLOWED),
    ],
)
def test_fine_tune_on_a_non_commercial_dataset(
    tmp_path: Path, setting: TrainingData, expected: Verdict
) -> None:
    policy = Policy.model_validate(
        {
            "use": {"commercial": True, "distribution": "distributed"},
            "policy": {"training_data": setting.value},
        }
    )
    result = run("nc-finetune", tmp_path, policy=policy)
    model = component(result, "models/support-ft")
    assert model.verdict is expected, [r.message for r in model.rules]
    if setting is TrainingData.STRICT:
        commercial = rule(model, "commercial-use")
        assert commercial.because[0].license == "CC-BY-NC-4.0"
        assert (
            "dataset:acme/nc-instructions [CC-BY-NC-4.0] (trained on)"
            in commercial.because[0].render_path()
        )
    if setting is TrainingData.WARN:
        assert rule(model, "training-data").because[0].license == "CC-BY-NC-4.0"


def test_an_or_expression_takes_the_permissive_choice_and_says_so(tmp_path: Path) -> None:
    result = run("dual-licensed", tmp_path)
    lib = component(result, "npm/dual-lib")
    assert lib.verdict is Verdict.ALLOWED
    assert lib.choices == (
        "library:npm/dual-lib: chose Apache-2.0 over GPL-2.0-only (the alternative that best fits the declared use)",
    )
    assert not any(c.license == "GPL-2.0-only" for c in lib.contributions)


def test_an_expired_waiver_does_not_apply_and_an_active_one_does(tmp_path: Path) -> None:
    expired = run("flux-dev-waived", tmp_path / "a", today=date(2026, 11, 23))
    assert expired.chain is not None
    assert expired.chain.artifact.verdict is Verdict.VIOLATION
    assert "EXPIRED on 2026-06-30; not applied" in expired.chain.waivers[0]
    active = run("flux-dev-waived", tmp_path / "b", today=date(2026, 6, 1))
    assert active.chain is not None
    flux = component(active, "black-forest-labs/FLUX.1-dev")
    assert flux.verdict is Verdict.ALLOWED
    assert rule(flux, "commercial-use").waived_by == (
        "legal@example.com, until 2026-06-30: evaluation licence agreed with the licensor for 2026"
    )
    # The waiver covers the only component that brings the violation: the artifact passes.
    assert active.chain.artifact.verdict is Verdict.ALLOWED
    assert not active.violation
