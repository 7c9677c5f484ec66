"""The ``sarif`` format: SARIF 2.1.0 from the real engine on the scenario fixtures,
validated against the official OASIS schema shipped in ``modelbom/emit/data``."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker  # type: ignore[import-untyped]
from jsonschema.validators import validator_for  # type: ignore[import-untyped]

from modelbom.emit.base import EmitError, EmitOptions
from modelbom.emit.sarif import (
    FINGERPRINT,
    POLICY_RULES,
    UNREADABLE_FILE,
    UNRESOLVED,
    SarifEmitter,
    build_log,
    validate,
)
from modelbom.engine import scan
from modelbom.model import (
    Component,
    Evidence,
    Kind,
    ScanResult,
    SourceInfo,
    Stage,
    Unknown,
)
from modelbom.model.verdict import ChainReport, ComponentVerdict, RuleResult, Verdict
from modelbom.options import ScanOptions
from modelbom.policy.model import find_policy, load_policy
from tests.support import FIXTURES, REPO

SCENARIOS = FIXTURES / "scenarios"
SCHEMA_FILE = REPO / "src" / "modelbom" / "emit" / "data" / "sarif-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
SCENARIO_NAMES = sorted(p.name for p in SCENARIOS.iterdir() if p.is_dir() and p.name != "hf-cache")


@pytest.fixture(autouse=True)
def _hf_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(SCENARIOS / "hf-cache"))


def run(name: str, tmp_path: Path, *, today: date | None = None) -> ScanResult:
    root = tmp_path / name
    shutil.copytree(SCENARIOS / name, root)
    found = find_policy(root)
    return scan(
        ScanOptions(
            root=root,
            offline=True,
            cache_dir=tmp_path / "cache",
            policy=load_policy(found) if found else None,
            today=today,
        )
    )


def emit(result: ScanResult) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SarifEmitter().emit(result, EmitOptions()))
    return document


def schema_errors(document: dict[str, Any]) -> list[str]:
    """Every error of *document* against the vendored official schema, formats included."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = validator_for(schema)(schema, format_checker=FormatChecker())
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def results(document: dict[str, Any], rule_id: str | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = document["runs"][0]["results"]
    return [r for r in found if rule_id is None or r["ruleId"] == rule_id]


def lines_of(result: dict[str, Any]) -> list[tuple[str, int]]:
    return [
        (
            loc["physicalLocation"]["artifactLocation"]["uri"],
            loc["physicalLocation"].get("region", {}).get("startLine", 0),
        )
        for loc in result["locations"]
    ]


def test_the_vendored_schema_is_the_oasis_2_1_0_errata_01_schema() -> None:
    data = SCHEMA_FILE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256
    schema = json.loads(data)
    assert schema["id"] == (
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    )
    assert validator_for(schema) is Draft4Validator
    Draft4Validator.check_schema(schema)


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_every_scenario_gives_a_schema_valid_log(name: str, tmp_path: Path) -> None:
    document = emit(run(name, tmp_path, today=date(2026, 6, 1)))
    assert schema_errors(document) == []
    assert document["version"] == "2.1.0"
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["name"] == "modelbom"
    assert "informationUri" not in driver
    # GitHub rejects a whole upload when one result has no file location.
    for result in results(document):
        assert result["locations"], result
        for location in result["locations"]:
            artifact = location["physicalLocation"]["artifactLocation"]
            assert artifact["uri"] and artifact["uriBaseId"] == "%SRCROOT%"
        assert result["ruleId"] == driver["rules"][result["ruleIndex"]]["id"]


def test_the_user_cap_violation_is_an_error_on_the_adapter_and_base_lines(
    tmp_path: Path,
) -> None:
    document = emit(run("lora-llama-service", tmp_path))
    found = results(document, "modelbom/policy/user-cap")
    by_component = {r["properties"]["component"]: r for r in found}
    assert set(by_component) == {
        "adapter:acme/support-lora",
        "model:meta-llama/Llama-3.1-8B-Instruct",
        "model:meta-llama/Llama-3.1-8B",
    }
    assert {r["level"] for r in found} == {"error"}
    assert not any("suppressions" in r for r in found)
    adapter = by_component["adapter:acme/support-lora"]
    assert lines_of(adapter) == [("app.py", 5)]
    assert adapter["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 5,
        "startColumn": 41,
    }
    text = adapter["message"]["text"]
    assert text.startswith(
        "adapter:acme/support-lora: 800,000,000 monthly active users exceed the cap of 700,000,000"
    )
    assert (
        "via adapter:acme/support-lora (Apache-2.0) -> adapter of "
        "model:meta-llama/Llama-3.1-8B-Instruct (LicenseRef-scancode-llama-3.1-license-2024)"
    ) in text
    assert lines_of(by_component["model:meta-llama/Llama-3.1-8B-Instruct"]) == [("app.py", 4)]
    # The base is known only from lineage: it is shown where the code loads what derives
    # from it, the base model's line and the adapter's.
    base = by_component["model:meta-llama/Llama-3.1-8B"]
    assert lines_of(base) == [("app.py", 4), ("app.py", 5)]
    assert "Reached through adapter:acme/support-lora" in base["message"]["text"]
    assert base["properties"]["inArtifact"] is False
    assert document["runs"][0]["properties"]["verdict"] == "violation"


def test_a_waived_rule_is_reported_with_a_suppression(tmp_path: Path) -> None:
    document = emit(run("flux-dev-waived", tmp_path, today=date(2026, 6, 1)))
    (found,) = results(document, "modelbom/policy/commercial-use")
    assert found["level"] == "error"  # what it was before the waiver lifted it
    assert found["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "legal@example.com, until 2026-06-30: "
            "evaluation licence agreed with the licensor for 2026",
        }
    ]
    assert lines_of(found) == [("render.py", 3)]
    assert schema_errors(document) == []


def test_an_expired_waiver_suppresses_nothing(tmp_path: Path) -> None:
    document = emit(run("flux-dev-waived", tmp_path, today=date(2026, 11, 23)))
    (found,) = results(document, "modelbom/policy/commercial-use")
    assert found["level"] == "error"
    assert "suppressions" not in found


def test_review_rules_are_warnings(tmp_path: Path) -> None:
    document = emit(run("agpl-service", tmp_path))
    (found,) = results(document, "modelbom/policy/network-source-disclosure")
    assert found["level"] == "warning"
    assert lines_of(found) == [("package-lock.json", 7), ("package.json", 4)]


def test_unreadable_files_and_unresolved_components_are_reported(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text(
        'from transformers import AutoModel\nm = AutoModel.from_pretrained("acme/not-cached")\n',
        encoding="utf-8",
    )
    (root / "broken.py").write_text("def broken(:\n    pass\n", encoding="utf-8")
    result = scan(ScanOptions(root=root, offline=True, cache_dir=tmp_path / "cache"))
    document = emit(result)
    assert schema_errors(document) == []
    (unknown,) = results(document, UNREADABLE_FILE)
    assert unknown["level"] == "warning"
    assert unknown["message"]["text"].startswith("could not parse broken.py: python:")
    assert unknown["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": "broken.py", "uriBaseId": "%SRCROOT%"}}}
    ]
    (unresolved,) = results(document, UNRESOLVED)
    assert unresolved["level"] == "note"
    assert lines_of(unresolved) == [("app.py", 2)]
    assert unresolved["properties"]["component"] == "model:acme/not-cached"


def test_fingerprints_and_bytes_are_the_same_in_two_runs(tmp_path: Path) -> None:
    first = run("lora-llama-service", tmp_path / "a")
    second = run("lora-llama-service", tmp_path / "b")
    one, two = emit(first), emit(second)
    prints = [r["partialFingerprints"][FINGERPRINT] for r in results(one)]
    assert prints == [r["partialFingerprints"][FINGERPRINT] for r in results(two)]
    assert len(set(prints)) == len(prints)
    assert all(re.fullmatch(r"[0-9a-f]{64}", p) for p in prints)
    # The policy source is the one difference between the two copies; without it, the
    # logs are byte for byte the same.
    for document in (one, two):
        document["runs"][0]["properties"].pop("policy")
    assert json.dumps(one) == json.dumps(two)


def test_every_rule_of_the_policy_engine_has_a_descriptor() -> None:
    source = (REPO / "src" / "modelbom" / "policy" / "evaluate.py").read_text(encoding="utf-8")
    names = set(re.findall(r'rule="([a-z-]+)"', source))
    names |= set(re.findall(r'_permission_rule\(\s*"([a-z-]+)"', source))
    assert len(names) == 13
    assert names == set(POLICY_RULES)


def test_rule_descriptors(tmp_path: Path) -> None:
    document = emit(run("gguf-gemma", tmp_path))
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) == 15
    assert ids[-2:] == [UNREADABLE_FILE, UNRESOLVED]
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["properties"]["security-severity"] in ("7.0", "4.0", "2.0")
        assert rule["properties"]["tags"]
    by_id = {r["id"]: r for r in rules}
    assert by_id["modelbom/policy/user-cap"]["properties"]["security-severity"] == "7.0"
    assert by_id["modelbom/policy/user-cap"]["defaultConfiguration"]["level"] == "error"
    assert by_id["modelbom/policy/training-data"]["properties"]["security-severity"] == "4.0"
    assert by_id[UNRESOLVED]["defaultConfiguration"]["level"] == "note"


def _evidence(file: str, line: int = 1) -> Evidence:
    return Evidence(file=file, line=line, column=3, crawler="python")


def _verdict(component: Component, *rules: RuleResult) -> ComponentVerdict:
    from modelbom.licenses.terms import PERMISSIVE

    return ComponentVerdict(
        component=f"{component.kind.value}:{component.id}",
        bom_ref=component.bom_ref,
        governing=PERMISSIVE,
        verdict=max((r.verdict for r in rules), key=lambda v: v.rank, default=Verdict.ALLOWED),
        rules=rules,
    )


def test_paths_become_percent_encoded_uri_references(tmp_path: Path) -> None:
    odd = Component(
        kind=Kind.MODEL,
        id="acme/odd[1](2)",
        evidence=(_evidence("dir with space/ü|x.py", 2), _evidence("a:b.py", 7)),
    )
    result = ScanResult(
        tool_version="0",
        source=SourceInfo(name="repo", remote_url="https://example.com/r.git", commit="a" * 40),
        components=(odd,),
        unknowns=(Unknown(file="bad\udcff.py", stage=Stage.READ, reason="not readable"),),
        chain=ChainReport(
            artifact=_verdict(odd),
            components=(
                _verdict(
                    odd,
                    RuleResult(rule="deny-list", verdict=Verdict.VIOLATION, message="x denied"),
                    RuleResult(rule="future-rule", verdict=Verdict.REVIEW, message="later"),
                ),
            ),
        ),
    )
    document = emit(result)
    assert schema_errors(document) == []
    uris = sorted({uri for r in results(document) for uri, _ in lines_of(r)})
    assert uris == ["a%3Ab.py", "bad%5Cxff.py", "dir%20with%20space/%C3%BC%7Cx.py"]
    deny = results(document, "modelbom/policy/deny-list")[0]
    assert deny["message"]["text"] == "model:acme/odd\\[1\\](2): x denied"
    # A rule this module does not know yet still gets a descriptor.
    ids = [r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]]
    assert ids[-1] == "modelbom/policy/future-rule"
    run_ = document["runs"][0]
    assert run_["versionControlProvenance"] == [
        {"repositoryUri": "https://example.com/r.git", "revisionId": "a" * 40}
    ]


def test_a_scan_without_a_chain_is_still_valid() -> None:
    lonely = Component(kind=Kind.MODEL, id="acme/m", evidence=(_evidence("m.py"),))
    result = ScanResult(tool_version="0", source=SourceInfo(name="r"), components=(lonely,))
    document = emit(result)
    assert schema_errors(document) == []
    assert document["runs"][0]["properties"]["chain"] == "not computed"
    assert [r["ruleId"] for r in results(document)] == [UNRESOLVED]


def test_an_invalid_log_is_never_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    import modelbom.emit.sarif as sarif

    def broken(result: ScanResult) -> dict[str, Any]:
        document = build_log(result)
        document["runs"][0]["results"].append({"message": {}})
        return document

    monkeypatch.setattr(sarif, "build_log", broken)
    result = ScanResult(tool_version="0", source=SourceInfo(name="r"))
    with pytest.raises(EmitError, match=r"failed SARIF 2\.1\.0 validation"):
        SarifEmitter().emit(result, EmitOptions())
    assert validate(build_log(result)) is None
