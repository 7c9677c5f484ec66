"""Helpers shared by the tests: paths, running the CLI, copying fixtures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from modelbom.crawlers import Crawler
from modelbom.emit import EmitOptions, OutputFormat, emitter_for
from modelbom.engine import scan
from modelbom.model import ScanResult
from modelbom.options import ScanOptions

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE_GOLDEN = os.environ.get("MODELBOM_UPDATE_GOLDEN") == "1"


def copy_fixture(name: str, dest: Path) -> Path:
    """Copy fixtures/<name> to dest/<last part of name> (outside any git work tree)."""
    target = dest / Path(name).name
    shutil.copytree(FIXTURES / name, target, symlinks=True)
    return target


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m modelbom ARGS`` in a fresh interpreter, capturing its output."""
    # The environment is already isolated by the autouse fixture in conftest.py.
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "modelbom", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def check_golden(name: str, actual: str) -> None:
    """Compare *actual* with tests/golden/<name>; rewrite it when MODELBOM_UPDATE_GOLDEN=1."""
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs; run `make golden` if the change is intended"


def crawler_golden(crawlers: Sequence[Crawler], fixture: str, golden_name: str) -> ScanResult:
    """Scan fixtures/<fixture> with only *crawlers* and compare its findings-json with
    tests/golden/<golden_name>. The fixture is copied outside any git work tree first, so
    the result does not depend on the state of this checkout. Returns the scan result."""
    with tempfile.TemporaryDirectory(prefix="modelbom-golden-") as tmp:
        root = copy_fixture(fixture, Path(tmp))
        result = scan(ScanOptions(root=root), crawlers=crawlers, resolvers=[])
    data = emitter_for(OutputFormat.FINDINGS_JSON).emit(result, EmitOptions())
    check_golden(golden_name, data.decode())
    return result
