"""``modelbom diff``: compare two CycloneDX BOMs written by the real engine and emitter.

Each BOM comes from an offline scan of a scenario fixture (licenses from the local
Hugging Face cache fixture); the NEW side is the same repository, or the same cache,
after a change made in a temporary copy.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from modelbom.diff import DiffError, diff_boms, diff_files, governing_term, load_bom, render
from modelbom.emit import EmitOptions, OutputFormat, emitter_for
from modelbom.engine import scan
from modelbom.errors import ModelbomError
from modelbom.options import ScanOptions
from modelbom.policy.model import Distribution, Policy, UseProfile, find_policy, load_policy
from tests.support import FIXTURES

SCENARIOS = FIXTURES / "scenarios"
FLUX = "black-forest-labs/FLUX.1-dev"
LORA = "nerijs/pixel-art-xl"
LORA_SHA = "115daeffe1aab45ab5c7dd269a75721b0eb2c679"
INTERNAL_NON_COMMERCIAL = Policy(
    use=UseProfile(commercial=False, distribution=Distribution.INTERNAL)
)
FLUX_LOAD = (
    f'\nfrom diffusers import FluxPipeline\n\nflux = FluxPipeline.from_pretrained("{FLUX}")\n'
)


@pytest.fixture(autouse=True)
def _hf_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(SCENARIOS / "hf-cache"))


def copy_scenario(name: str, dest: Path) -> Path:
    root = dest / name
    shutil.copytree(SCENARIOS / name, root)
    return root


def write_bom(root: Path, out: Path, *, policy: Policy | None) -> Path:
    """Scan *root* offline and write its CycloneDX JSON BOM to *out*."""
    if policy is None:
        found = find_policy(root)
        assert found is not None
        policy = load_policy(found)
    result = scan(
        ScanOptions(root=root, offline=True, cache_dir=out.parent / "cache", policy=policy)
    )
    data = emitter_for(OutputFormat.CYCLONEDX_JSON).emit(result, EmitOptions(reproducible=True))
    out.write_bytes(data)
    return out


def sdxl_boms(tmp_path: Path, *, policy: Policy | None) -> tuple[Path, Path]:
    """OLD: the sdxl-lora scenario; NEW: the same repository with a FLUX.1-dev load added."""
    root = copy_scenario("sdxl-lora", tmp_path)
    old = write_bom(root, tmp_path / "old.json", policy=policy)
    with (root / "generate.py").open("a", encoding="utf-8") as handle:
        handle.write(FLUX_LOAD)
    new = write_bom(root, tmp_path / "new.json", policy=policy)
    return old, new


def test_adding_flux_dev_under_internal_non_commercial_use_is_stricter(tmp_path: Path) -> None:
    old, new = sdxl_boms(tmp_path, policy=INTERNAL_NON_COMMERCIAL)
    result = diff_files(old, new)
    assert result.stricter
    assert not result.verdict_worse  # non-commercial internal use: still allowed
    assert result.old_verdict == result.new_verdict == "allowed"
    assert ("commercial_use", "not-allowed (LicenseRef-scancode-flux-1-nc)") in result.terms_added
    assert not result.terms_removed
    assert [(c.kind, c.name) for c in result.added] == [("model", FLUX)]
    assert not result.removed
    assert not result.changed  # the LoRA and its base are untouched
    text = render(result)
    assert "components added:\n  + model black-forest-labs/FLUX.1-dev " in text
    assert "  + commercial_use: not-allowed (LicenseRef-scancode-flux-1-nc)\n" in text
    assert text.endswith("stricter: 9 new governing terms\n"), text
    assert render(diff_files(old, new)) == text  # deterministic


def test_adding_flux_dev_to_a_commercial_service_makes_the_verdict_worse(tmp_path: Path) -> None:
    old, new = sdxl_boms(tmp_path, policy=None)  # the scenario's own commercial use
    result = diff_files(old, new)
    assert result.verdict_worse
    assert (result.old_verdict, result.new_verdict) == ("allowed", "violation")
    text = render(result)
    assert text.startswith("artifact verdict: allowed -> violation\n")
    assert "stricter: the artifact's verdict got worse, " in text


def test_removing_flux_dev_is_not_stricter(tmp_path: Path) -> None:
    old, new = sdxl_boms(tmp_path, policy=None)
    result = diff_files(new, old)  # the reverse direction
    assert not result.stricter
    assert (result.old_verdict, result.new_verdict) == ("violation", "allowed")
    assert [(c.kind, c.name) for c in result.removed] == [("model", FLUX)]
    assert ("commercial_use", "not-allowed (LicenseRef-scancode-flux-1-nc)") in (
        result.terms_removed
    )
    assert not result.added and not result.terms_added
    text = render(result)
    assert "components removed:\n  - model black-forest-labs/FLUX.1-dev " in text
    assert "  - commercial_use: not-allowed (LicenseRef-scancode-flux-1-nc)\n" in text
    assert text.endswith("no stricter terms\n")


def test_identical_boms_have_no_changes(tmp_path: Path) -> None:
    root = copy_scenario("sdxl-lora", tmp_path)
    old = write_bom(root, tmp_path / "old.json", policy=INTERNAL_NON_COMMERCIAL)
    new = write_bom(root, tmp_path / "new.json", policy=INTERNAL_NON_COMMERCIAL)
    result = diff_files(old, new)
    assert result.empty and not result.stricter
    assert render(result) == "no changes\n"
    assert render(diff_files(old, old)) == "no changes\n"


def bump_lora(cache: Path, *, license_id: str, base_model: str) -> str:
    """Publish a new revision of the LoRA in *cache* with another card; its sha."""
    repo = cache / "models--nerijs--pixel-art-xl"
    sha = "2" * 40
    snapshot = repo / "snapshots" / sha
    snapshot.mkdir()
    (snapshot / "README.md").write_text(
        f"---\nlicense: {license_id}\nbase_model: {base_model}\n"
        "base_model_relation: adapter\n---\n\nModel card.\n",
        encoding="utf-8",
    )
    (repo / "refs" / "main").write_text(sha, encoding="utf-8")
    return sha


def test_a_new_revision_with_another_license_is_a_change_not_add_and_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_scenario("sdxl-lora", tmp_path)
    old = write_bom(root, tmp_path / "old.json", policy=INTERNAL_NON_COMMERCIAL)
    cache = tmp_path / "hf-cache"
    shutil.copytree(SCENARIOS / "hf-cache", cache)
    sha = bump_lora(cache, license_id="mit", base_model="stabilityai/stable-diffusion-xl-base-1.0")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    new = write_bom(root, tmp_path / "new.json", policy=INTERNAL_NON_COMMERCIAL)

    result = diff_files(old, new)
    assert not result.added and not result.removed
    (changed,) = result.changed
    assert (changed.component.kind, changed.component.name) == ("adapter", LORA)
    changes = {c.what: (c.old, c.new) for c in changed.changes}
    assert changes["license"] == ("LicenseRef-scancode-stable-diffusion-2022-08-22", "MIT")
    assert changes["version"] == (LORA_SHA, sha)
    assert "lineage" not in changes
    # CreativeML OpenRAIL-M's restrictions are gone (reported, never stricter); MIT's
    # notice duty is a term of another license, so it counts as new.
    assert (
        "use_restrictions",
        "creativeml-openrail-m-use-restrictions (LicenseRef-scancode-stable-diffusion-2022-08-22)",
    ) in result.terms_removed
    assert result.terms_added == (("attribution", "include-license-notice (MIT)"),)
    assert result.stricter and not result.verdict_worse
    text = render(result)
    assert f"  ~ adapter nerijs/pixel-art-xl\n      version: {LORA_SHA} -> {sha}\n" in text, text
    assert "      license: LicenseRef-scancode-stable-diffusion-2022-08-22 -> MIT\n" in text


def test_a_new_base_model_is_a_lineage_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_scenario("sdxl-lora", tmp_path)
    old = write_bom(root, tmp_path / "old.json", policy=INTERNAL_NON_COMMERCIAL)
    cache = tmp_path / "hf-cache"
    shutil.copytree(SCENARIOS / "hf-cache", cache)
    bump_lora(cache, license_id="creativeml-openrail-m", base_model=FLUX)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    new = write_bom(root, tmp_path / "new.json", policy=INTERNAL_NON_COMMERCIAL)

    result = diff_files(old, new)
    (changed,) = [c for c in result.changed if c.component.name == LORA]
    changes = {c.what: (c.old, c.new) for c in changed.changes}
    assert changes["lineage"] == ("stabilityai/stable-diffusion-xl-base-1.0", FLUX)
    assert "license" not in changes
    assert result.stricter  # FLUX.1-dev's terms now reach the artifact through the LoRA
    assert f"      lineage: stabilityai/stable-diffusion-xl-base-1.0 -> {FLUX}\n" in render(result)


def test_governing_terms_compare_value_and_license_not_the_path() -> None:
    a = governing_term("commercial_use", "not-allowed (X via artifact -> model:a [X])")
    b = governing_term("commercial_use", "not-allowed (X via artifact -> adapter:b -> model:a)")
    assert a == b == ("commercial_use", "not-allowed (X)")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"findings": []}', "not a CycloneDX BOM"),
        ('{"bomFormat": "SPDX", "specVersion": "1.6"}', "not a CycloneDX BOM"),
        ('{"bomFormat": "CycloneDX"}', "no specVersion"),
        ("[1, 2]", "not a CycloneDX BOM"),
        ("{not json", "invalid JSON at line 1"),
        ('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": {}}', "not a list"),
        (
            '{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"properties": 3}]}',
            "components[0].properties is not a list",
        ),
    ],
)
def test_a_file_that_is_not_a_bom_is_an_error_naming_it(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "not-a-bom.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DiffError) as caught:
        load_bom(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ModelbomError)


def test_a_missing_file_or_a_directory_is_an_error_naming_it(tmp_path: Path) -> None:
    root = copy_scenario("sdxl-lora", tmp_path)
    bom = write_bom(root, tmp_path / "bom.json", policy=INTERNAL_NON_COMMERCIAL)
    missing = tmp_path / "missing.json"
    with pytest.raises(DiffError, match=f"^{re.escape(str(missing))}: no such file$"):
        diff_files(bom, missing)
    with pytest.raises(DiffError, match=f"^{re.escape(str(tmp_path))}: is a directory"):
        diff_files(tmp_path, bom)
    findings = tmp_path / "findings.json"
    result = scan(ScanOptions(root=root, offline=True, cache_dir=tmp_path / "cache"))
    findings.write_bytes(emitter_for(OutputFormat.FINDINGS_JSON).emit(result, EmitOptions()))
    with pytest.raises(DiffError, match=r"findings\.json: not a CycloneDX BOM"):
        diff_files(findings, bom)


def test_diff_of_parsed_documents_matches_files(tmp_path: Path) -> None:
    old, new = sdxl_boms(tmp_path, policy=INTERNAL_NON_COMMERCIAL)
    from modelbom.diff import parse_bom

    parsed = diff_boms(
        parse_bom(json.loads(old.read_text(encoding="utf-8")), "old"),
        parse_bom(json.loads(new.read_text(encoding="utf-8")), "new"),
    )
    assert parsed == diff_files(old, new)
