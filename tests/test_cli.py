"""The command line as a user runs it: exit codes, outputs, messages, determinism."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import git
import pytest

from modelbom import __version__, cli
from modelbom.emit.cyclonedx import validate
from tests.support import copy_fixture, run_cli

FIXTURE = "finetune-app"


@pytest.fixture
def fixture_repo(tmp_path: Path) -> Path:
    return copy_fixture(FIXTURE, tmp_path)


def test_version() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"modelbom {__version__}"


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "modelbom"
    assert script.exists(), "the modelbom console script is not installed next to python"


def test_scan_writes_a_valid_cyclonedx_16_bom_to_stdout(fixture_repo: Path) -> None:
    proc = run_cli("scan", str(fixture_repo))
    assert proc.returncode == 0, proc.stderr
    assert validate(proc.stdout, "1.6") is None
    bom = json.loads(proc.stdout)
    assert bom["specVersion"] == "1.6"
    assert bom["metadata"]["component"]["name"] == FIXTURE
    names = {c["name"] for c in bom["components"]}
    assert "meta-llama/Llama-3.1-8B" in names
    assert "scanned" in proc.stderr and "components" in proc.stderr


def test_bom_merges_occurrences_into_one_component(fixture_repo: Path) -> None:
    proc = run_cli("scan", str(fixture_repo))
    bom = json.loads(proc.stdout)
    (tiny,) = [c for c in bom["components"] if c["name"] == "hf-internal-testing/tiny-random-gpt2"]
    assert tiny["type"] == "machine-learning-model"
    assert tiny["purl"] == "pkg:huggingface/hf-internal-testing/tiny-random-gpt2"
    lines = [(o["location"], o["line"]) for o in tiny["evidence"]["occurrences"]]
    assert lines == [("tests/test_smoke.py", 7), ("tests/test_smoke.py", 8)]
    assert {"name": "modelbom:scope", "value": "test"} in tiny["properties"]
    (squad,) = [c for c in bom["components"] if c["name"] == "rajpurkar/squad"]
    assert squad["type"] == "data"


def test_pinned_commit_becomes_the_purl_version(fixture_repo: Path) -> None:
    bom = json.loads(run_cli("scan", str(fixture_repo)).stdout)
    (bge,) = [c for c in bom["components"] if c["name"] == "BAAI/bge-small-en-v1.5"]
    sha = "5c38ec7c405ec4b44b94cc5a9bb96e735b38267a"
    assert bge["version"] == sha
    assert bge["purl"] == f"pkg:huggingface/BAAI/bge-small-en-v1.5@{sha}"


def test_spec_version_17(fixture_repo: Path) -> None:
    proc = run_cli("scan", str(fixture_repo), "--spec-version", "1.7")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["specVersion"] == "1.7"
    assert validate(proc.stdout, "1.7") is None


def test_findings_json_format(fixture_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "findings.json"
    proc = run_cli("scan", str(fixture_repo), "-f", "findings-json", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    document = json.loads(out.read_text())
    first = document["findings"][0]
    assert list(first)[:4] == ["kind", "id", "file", "line"]
    assert document["unknowns"][0]["file"] == "src/finetune_app/broken.py"
    assert f"wrote {out}" in proc.stderr


def test_python_dash_m_and_console_script_agree(fixture_repo: Path, tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "modelbom"
    import subprocess

    direct = subprocess.run(
        [str(script), "scan", str(fixture_repo), "--reproducible", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    module = run_cli("scan", str(fixture_repo), "--reproducible", "-q")
    assert direct.returncode == module.returncode == 0
    assert direct.stdout == module.stdout
    assert direct.stderr == module.stderr == ""


def test_reproducible_output_is_byte_identical_across_hash_seeds(fixture_repo: Path) -> None:
    outputs = {
        run_cli("scan", str(fixture_repo), "--reproducible", env={"PYTHONHASHSEED": seed}).stdout
        for seed in ("0", "1", "4242")
    }
    assert len(outputs) == 1
    bom = json.loads(outputs.pop())
    assert "serialNumber" not in bom
    assert "timestamp" not in bom["metadata"]


def test_source_date_epoch_sets_the_reproducible_timestamp(fixture_repo: Path) -> None:
    proc = run_cli(
        "scan", str(fixture_repo), "--reproducible", env={"SOURCE_DATE_EPOCH": "1700000000"}
    )
    assert json.loads(proc.stdout)["metadata"]["timestamp"] == "2023-11-14T22:13:20+00:00"


def test_default_output_has_serial_number_and_timestamp(fixture_repo: Path) -> None:
    bom = json.loads(run_cli("scan", str(fixture_repo)).stdout)
    assert bom["serialNumber"].startswith("urn:uuid:")
    assert bom["metadata"]["timestamp"]


def test_strict_exits_3_and_still_writes_the_bom(fixture_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    proc = run_cli("scan", str(fixture_repo), "--strict", "-o", str(out))
    assert proc.returncode == 3
    assert "scan incomplete" in proc.stderr
    assert "could not parse src/finetune_app/broken.py" in proc.stderr
    bom = json.loads(out.read_text())
    unknowns = [
        p["value"] for p in bom["metadata"]["properties"] if p["name"] == "modelbom:unknown"
    ]
    assert unknowns == [
        "src/finetune_app/broken.py [crawl] python: not valid Python: expected '(' (line 1)"
    ]


def test_strict_passes_on_a_repository_with_nothing_to_account_for(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('no models here')\n")
    proc = run_cli("scan", str(tmp_path), "--strict")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout).get("components", []) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "/nonexistent/repo"], "no such file or directory"),
        (["scan", "FILE"], "not a directory"),
        (["scan", ".", "-f", "yaml"], "invalid OutputFormat value"),
        (["scan", ".", "--spec-version", "1.2"], "invalid choice"),
        (["scan", ".", "-o", "/nonexistent/dir/bom.json"], "does not exist"),
        (["frobnicate"], "invalid choice"),
        (["scan", ".", "--offline", "--refresh"], "cannot be combined with --offline"),
        (
            ["scan", ".", "--python-env", "/nonexistent/env"],
            "--python-env /nonexistent/env: not a directory",
        ),
        (["scan", ".", "--workers", "0"], "--workers must be between 1 and 64"),
        (["scan", ".", "--crawl-workers", "-1"], "--crawl-workers must be between 0 and 64"),
        ([], "usage:"),
    ],
)
def test_usage_errors_exit_2_without_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    file = tmp_path / "a-file.txt"
    file.write_text("x")
    proc = run_cli(*[str(file) if a == "FILE" else a for a in args], cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_output_is_atomic_when_the_target_is_a_directory(
    fixture_repo: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    proc = run_cli("scan", str(fixture_repo), "-o", str(target))
    assert proc.returncode == 2
    assert "it is a directory" in proc.stderr
    assert list(target.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [FIXTURE, "out"]


def test_an_existing_output_is_replaced_whole(fixture_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    out.write_text("old content")
    proc = run_cli("scan", str(fixture_repo), "-o", str(out))
    assert proc.returncode == 0
    assert validate(out.read_text(), "1.6") is None
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".bom.json")] == []


def test_internal_error_exits_4_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken_scan(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("modelbom.engine.scan", broken_scan)  # the CLI imports it on use
    assert cli.main(["scan", str(tmp_path)]) == 4
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: simulated bug" in err
    assert "Traceback" not in err
    assert cli.main(["scan", str(tmp_path), "-vv"]) == 4
    assert "Traceback" in capsys.readouterr().err


def test_git_metadata_is_in_the_bom_without_credentials(tmp_path: Path) -> None:
    secret = "ghp_" + "Zx9" * 12
    root = tmp_path / "svc"
    root.mkdir()
    (root / "app.py").write_text('AutoModel.from_pretrained("acme/served-model")\n')
    repo = git.Repo.init(root, initial_branch="main")
    repo.index.add(["app.py"])
    commit = repo.index.commit(
        "init",
        author=git.Actor("t", "t@example.com"),
        committer=git.Actor("t", "t@example.com"),
    )
    repo.create_remote("origin", f"https://ci-bot:{secret}@git.example.com/acme/svc.git")
    proc = run_cli("scan", str(root), "--reproducible", env={"HF_TOKEN": "hf_" + "q" * 34})
    assert proc.returncode == 0, proc.stderr
    assert secret not in proc.stdout + proc.stderr
    assert "hf_" + "q" * 34 not in proc.stdout + proc.stderr
    bom = json.loads(proc.stdout)
    meta = bom["metadata"]["component"]
    assert {"name": "modelbom:git:commit", "value": commit.hexsha} in meta["properties"]
    assert {"name": "modelbom:git:branch", "value": "main"} in meta["properties"]
    assert meta["externalReferences"] == [
        {"type": "vcs", "url": "https://git.example.com/acme/svc.git"}
    ]


def test_scanning_from_inside_the_repository_uses_relative_paths(fixture_repo: Path) -> None:
    proc = run_cli("scan", ".", "-f", "findings-json", cwd=fixture_repo / "src")
    assert proc.returncode == 0, proc.stderr
    files = {f["file"] for f in json.loads(proc.stdout)["findings"]}
    assert "finetune_app/train.py" in files
    assert not any(os.path.isabs(f) for f in files)


def test_several_outputs_in_one_run(fixture_repo: Path, tmp_path: Path) -> None:
    bom, report, sarif, findings = (
        tmp_path / n for n in ("bom.json", "report.md", "out.sarif", "f.json")
    )
    proc = run_cli(
        "scan", str(fixture_repo), "--offline", "--reproducible",
        "-o", f"cyclonedx-json={bom}", "-o", f"markdown={report}", "-o", f"sarif={sarif}",
        "-f", "findings-json", "-o", str(findings),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert validate(bom.read_text(), "1.6") is None
    assert report.read_text().startswith("# AI bill of materials: finetune-app")
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert json.loads(findings.read_text())["format"] == "modelbom-findings"
    for path, fmt in (
        (bom, "cyclonedx-json"),
        (report, "markdown"),
        (sarif, "sarif"),
        (findings, "findings-json"),
    ):
        assert f"wrote {path} ({fmt})" in proc.stderr


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        (["-o", "-", "-o", "markdown=-"], "only one output can go to standard output"),
        (["-o", "a.json", "-o", "sarif=a.json"], "a.json is named as the output twice"),
        (["-o", "markdown="], "an output needs a file name"),
    ],
)
def test_bad_output_lists_are_usage_errors(
    tmp_path: Path, outputs: list[str], message: str
) -> None:
    proc = run_cli("scan", str(tmp_path), "--offline", *outputs, cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert not (tmp_path / "a.json").exists()


def test_diff_from_the_command_line(fixture_repo: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    run_cli("scan", str(fixture_repo), "--offline", "--reproducible", "-o", str(old))
    (fixture_repo / "src" / "finetune_app" / "flux.py").write_text(
        'FluxPipeline.from_pretrained("black-forest-labs/FLUX.1-dev")\n'
    )
    new = tmp_path / "new.json"
    run_cli("scan", str(fixture_repo), "--offline", "--reproducible", "-o", str(new))
    same = run_cli("diff", str(old), str(old))
    assert same.returncode == 0 and same.stdout.strip().endswith("no changes")
    changed = run_cli("diff", str(old), str(new))
    assert "black-forest-labs/FLUX.1-dev" in changed.stdout
    # Offline, FLUX's license is unknown, and unknown licenses already governed OLD: the new
    # component is listed, but no term is new.
    assert changed.returncode == 0
    assert "components added:\n  + model black-forest-labs/FLUX.1-dev" in changed.stdout
    broken = run_cli("diff", str(old), str(fixture_repo / "README.md"))
    assert broken.returncode == 2
    assert "README.md: not a CycloneDX JSON BOM" in broken.stderr


def test_progress_shows_on_a_terminal_only(fixture_repo: Path, tmp_path: Path) -> None:
    import os
    import pty
    import subprocess

    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "modelbom",
                "scan",
                str(fixture_repo),
                "--offline",
                "-o",
                str(tmp_path / "b.json"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=slave,
            timeout=120,
            check=False,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    seen = b"".join(chunks).decode()
    assert proc.returncode == 0
    assert "crawled 11/11 files" in seen
    assert "\r\x1b[2K" in seen  # the status line is rewritten and cleared
    piped = run_cli("scan", str(fixture_repo), "--offline", "-o", str(tmp_path / "c.json"))
    assert "crawled 11/11 files" not in piped.stderr and "\r" not in piped.stderr


def test_verbose_summary_says_how_many_files_came_from_the_cache(tmp_path: Path) -> None:
    repo = tmp_path / "svc"
    repo.mkdir()
    (repo / "app.py").write_text('AutoModel.from_pretrained("acme/model-a")\n')
    (repo / "README.md").write_text("# svc\n")
    # A file younger than the cache's racy margin (3 s) is never served from it.
    time.sleep(max(0.0, 3.3 - (time.time() - (repo / "README.md").stat().st_ctime)))
    args = ("scan", str(repo), "--offline", "-v", "--cache-dir", str(tmp_path / "cache"))
    cold = run_cli(*args)
    warm = run_cli(*args)
    assert cold.returncode == warm.returncode == 0, cold.stderr + warm.stderr
    assert "scanned 2 files (2 crawled, 0 from the cache)" in cold.stderr
    assert "scanned 2 files (2 crawled, 2 from the cache)" in warm.stderr
    quiet = run_cli("scan", str(repo), "--offline", "--cache-dir", str(tmp_path / "cache"))
    assert "scanned 2 files (2 crawled):" in quiet.stderr
