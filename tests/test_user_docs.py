"""The recipes of docs/user-guide.md work: the pre-commit hook and the GitHub workflow."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelbom.cli import build_parser
from tests.support import FIXTURES, run_cli

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = FIXTURES / "scenarios"


def _hook() -> dict[str, Any]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "modelbom"]
    assert isinstance(hook, dict)
    return hook


@pytest.mark.parametrize(
    ("scenario", "code"),
    [
        pytest.param("flux-dev-commercial", 1, id="violation-blocks-the-commit"),
        pytest.param("dual-licensed", 0, id="allowed-use-passes"),
    ],
)
def test_the_pre_commit_hook_blocks_a_commit_that_violates_the_policy(
    tmp_path: Path, scenario: str, code: int
) -> None:
    hook = _hook()
    assert hook["pass_filenames"] is False
    assert hook["language"] == "python"
    program, *args = shlex.split(hook["entry"])
    assert program == "modelbom"
    repo = tmp_path / scenario
    shutil.copytree(SCENARIOS / scenario, repo)
    # pre-commit runs the hook from the repository's root.
    done = run_cli(
        *args,
        cwd=repo,
        env={"HF_HUB_CACHE": str(SCENARIOS / "hf-cache"), "MODELBOM_CACHE_DIR": str(tmp_path)},
    )
    assert done.returncode == code, done.stderr
    assert "verdict:" in done.stderr
    assert "Traceback" not in done.stderr


def _run_steps(workflow: dict[str, Any]) -> list[str]:
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    return [s["run"] for s in steps if "run" in s]


@pytest.mark.parametrize(
    "workflow",
    [
        pytest.param(ROOT / "docs" / "examples" / "github-actions.yml", id="example-file"),
        pytest.param(ROOT / "docs" / "user-guide.md", id="user-guide"),
    ],
)
def test_the_github_workflow_runs_valid_modelbom_commands(workflow: Path) -> None:
    text = workflow.read_text()
    blocks: list[str] = []
    if workflow.suffix == ".md":
        # Every ```yaml block of the guide that holds workflow steps.
        parts = text.split("```yaml\n")[1:]
        blocks = [p.split("```", 1)[0] for p in parts]
    else:
        blocks = [text]
    commands: list[str] = []
    for block in blocks:
        document = yaml.safe_load(block)
        if isinstance(document, dict) and "jobs" in document:
            commands.extend(_run_steps(document))
        elif isinstance(document, list):  # a fragment of steps
            commands.extend(s["run"] for s in document if isinstance(s, dict) and "run" in s)
    modelbom = [c for c in commands if c.strip().startswith("modelbom ")]
    assert modelbom, f"no modelbom command in {workflow.name}"
    parser = build_parser()
    for command in modelbom:
        words = shlex.split(command.replace("\n", " "))
        args = parser.parse_args(words[1:])  # exits 2 on an unknown option
        assert args.command in {"scan", "diff", "explain"}
