"""Helpers shared by the tests: paths, running the CLI, copying fixtures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE_GOLDEN = os.environ.get("MODELBOM_UPDATE_GOLDEN") == "1"


def copy_fixture(name: str, dest: Path) -> Path:
    """Copy fixtures/<name> to dest/<name> (outside any git work tree) and return it."""
    target = dest / name
    shutil.copytree(FIXTURES / name, target, symlinks=True)
    return target


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m modelbom ARGS`` in a fresh interpreter, capturing its output."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MODELBOM_")}
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
