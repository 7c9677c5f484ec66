"""Golden files: the findings and the BOM of the bundled fixture repository.

Regenerate with ``make golden`` (MODELBOM_UPDATE_GOLDEN=1) after an intended change,
and review the diff: the golden files are the reviewed expectation, not a recording.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelbom import __version__
from modelbom.emit import EmitOptions, OutputFormat, emitter_for
from modelbom.emit.cyclonedx import validate
from modelbom.emit.spdx import validate as validate_spdx
from modelbom.engine import scan
from modelbom.model import ScanResult
from modelbom.options import ScanOptions
from tests.support import check_golden, copy_fixture

FIXTURE = "finetune-app"


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root = copy_fixture(FIXTURE, tmp_path_factory.mktemp("golden"))
    return scan(ScanOptions(root=root, offline=True))


def normalise_bom(text: str) -> str:
    """Replace modelbom's own version, the one value that changes between releases."""
    document: dict[str, Any] = json.loads(text)
    for tool in document["metadata"]["tools"]["components"]:
        if tool["name"] == "modelbom":
            assert tool["version"] == __version__
            tool["version"] = "VERSION"
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_findings_match_golden(result: ScanResult) -> None:
    data = emitter_for(OutputFormat.FINDINGS_JSON).emit(result, EmitOptions())
    check_golden(f"{FIXTURE}.findings.json", data.decode())


@pytest.mark.parametrize("spec", ["1.6", "1.7"])
def test_bom_matches_golden_and_validates(result: ScanResult, spec: str) -> None:
    data = emitter_for(OutputFormat.CYCLONEDX_JSON).emit(
        result, EmitOptions(reproducible=True, spec_version=spec)
    )
    text = data.decode()
    assert validate(text, spec) is None
    assert json.loads(text)["specVersion"] == spec
    check_golden(f"{FIXTURE}.cdx-{spec}.json", normalise_bom(text))


def normalise_spdx(text: str) -> str:
    """Replace modelbom's own version in the tool's name (it is not part of any id)."""
    document: dict[str, Any] = json.loads(text)
    (tool,) = [o for o in document["@graph"] if o["type"] == "Tool"]
    assert tool["name"] == f"modelbom {__version__}"
    tool["name"] = "modelbom VERSION"
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_spdx_matches_golden_and_validates(result: ScanResult) -> None:
    text = emitter_for(OutputFormat.SPDX_JSON).emit(result, EmitOptions(reproducible=True)).decode()
    assert validate_spdx(text) is None
    check_golden(f"{FIXTURE}.spdx.json", normalise_spdx(text))


def test_golden_findings_are_the_reviewed_expectation() -> None:
    """The golden file holds exactly the references written into the fixture, no traps."""
    golden = json.loads(
        Path(__file__).parent.joinpath("golden", f"{FIXTURE}.findings.json").read_text()
    )
    ids = {(f["kind"], f["id"]) for f in golden["findings"]}
    assert ("adapter", "acme/mistral-7b-support-lora") in ids
    assert ("model", "sentence-transformers/all-MiniLM-L6-v2") in ids
    assert ("dataset", "openai/gsm8k") in ids
    assert not any(f["file"].endswith("traps.py") for f in golden["findings"])
    assert not {i for _, i in ids} & {
        "acme/llama-lora",
        "acme/finetuned-model",
        "acme/should-not-appear",
    }
    assert golden["unknowns"] == [
        {
            "file": "src/finetune_app/broken.py",
            "stage": "crawl",
            "reason": "python: not valid Python: expected '(' (line 1)",
        }
    ]
