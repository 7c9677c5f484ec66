"""Configuration precedence: flags over environment over the repository's file; what a
scanned repository may not configure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import run_cli


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    root.mkdir()
    (root / "app.py").write_text('AutoModel.from_pretrained("acme/model-a")\n')
    return root


def test_the_repository_file_sets_defaults(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "svc"\n\n[tool.modelbom]\nformat = "findings-json"\noffline = true\n'
    )
    proc = run_cli("scan", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["format"] == "modelbom-findings"


def test_environment_beats_the_file_and_flags_beat_both(repo: Path) -> None:
    (repo / "modelbom.toml").write_text(
        'format = "findings-json"\nreproducible = true\noffline = true\n'
    )
    from_env = run_cli("scan", str(repo), env={"MODELBOM_FORMAT": "cyclonedx-json"})
    assert from_env.returncode == 0, from_env.stderr
    bom = json.loads(from_env.stdout)
    assert bom["bomFormat"] == "CycloneDX"
    assert "serialNumber" not in bom  # reproducible still comes from the file
    from_flag = run_cli(
        "scan", str(repo), "-f", "markdown", env={"MODELBOM_FORMAT": "cyclonedx-json"}
    )
    assert from_flag.stdout.startswith("# AI bill of materials: svc")


@pytest.mark.parametrize(
    "key",
    [
        'output = "/tmp/x.json"',
        'cache-dir = "/tmp/c"',
        'python-env = "/usr"',
        'hf-endpoint = "http://evil"',
        "crawl-workers = 64",
    ],
)
def test_a_repository_cannot_choose_outputs_endpoints_or_paths(repo: Path, key: str) -> None:
    (repo / "modelbom.toml").write_text(key + "\n")
    proc = run_cli("scan", str(repo), "--offline")
    assert proc.returncode == 2
    assert "not a setting a repository may choose" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MODELBOM_OFFLINE": "maybe"}, "MODELBOM_OFFLINE: expected true or false"),
        ({"MODELBOM_WORKERS": "many"}, "MODELBOM_WORKERS: expected a number"),
        ({"MODELBOM_CRAWL_WORKERS": "65"}, "MODELBOM_CRAWL_WORKERS: must be between 0 and 64"),
        ({"MODELBOM_FORMAT": "yaml"}, "format: 'yaml' is not one of"),
    ],
)
def test_bad_settings_are_usage_errors(repo: Path, env: dict[str, str], message: str) -> None:
    proc = run_cli("scan", str(repo), "--offline", env=env)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_a_file_with_only_settings_is_no_policy(tmp_path: Path) -> None:
    import shutil

    from tests.support import FIXTURES

    root = tmp_path / "flux"
    shutil.copytree(FIXTURES / "scenarios" / "flux-dev-commercial", root)
    (root / "modelbom.toml").write_text("offline = true\n")
    proc = run_cli(
        "scan",
        str(root),
        "-o",
        str(tmp_path / "b.json"),
        env={"HF_HUB_CACHE": str(FIXTURES / "scenarios" / "hf-cache")},
    )
    # The default use profile finds the violation, but without a policy it is not fatal.
    assert proc.returncode == 0, proc.stderr
    assert "verdict: violation (under the default use profile)" in proc.stderr


def test_a_config_file_named_by_the_user_may_set_every_flag(repo: Path, tmp_path: Path) -> None:
    (repo / "modelbom.toml").write_text('format = "markdown"\n')  # not read: --config wins
    settings = tmp_path / "ci" / "modelbom.toml"
    settings.parent.mkdir()
    settings.write_text(
        "offline = true\nreproducible = true\nquiet = true\n"
        'cache-dir = "cache"\n'
        'output = ["cyclonedx-json=out/bom.json", "findings-json=out/findings.json"]\n'
    )
    (settings.parent / "out").mkdir()
    proc = run_cli("scan", str(repo), "--config", str(settings))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # quiet
    out = settings.parent / "out"
    assert json.loads((out / "bom.json").read_text())["bomFormat"] == "CycloneDX"
    assert json.loads((out / "findings.json").read_text())["format"] == "modelbom-findings"
    assert (settings.parent / "cache").is_dir()  # relative to the file, not the cwd


def test_flags_replace_the_outputs_of_the_config_file(repo: Path, tmp_path: Path) -> None:
    settings = tmp_path / "mine.toml"
    settings.write_text('offline = true\noutput = ["markdown=report.md"]\n')
    target = tmp_path / "bom.json"
    proc = run_cli("scan", str(repo), "-o", str(target), env={"MODELBOM_CONFIG": str(settings)})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(target.read_text())["bomFormat"] == "CycloneDX"
    assert not (tmp_path / "report.md").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('hf-endpoint = "http://evil"\n', "hf-endpoint: not a setting"),
        ("output = 3\n", "expected a list of FORMAT=FILE strings"),
        ("verbose = 7\n", "expected 0, 1 or 2"),
        ("offline = [\n", "not valid TOML"),
    ],
)
def test_bad_config_files_are_usage_errors(
    repo: Path, tmp_path: Path, text: str, message: str
) -> None:
    settings = tmp_path / "bad.toml"
    settings.write_text(text)
    proc = run_cli("scan", str(repo), "--config", str(settings))
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    missing = run_cli("scan", str(repo), "--config", str(tmp_path / "none.toml"))
    assert missing.returncode == 2
    assert "cannot read it" in missing.stderr
