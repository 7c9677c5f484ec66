"""Scanning a git revision without checking it out (``scan --rev``), and ``diff`` of two
revisions, on real git repositories made in temporary directories.

The main fixture is a repository with two tagged releases built from
``fixtures/releases/`` (see the README there), whose working tree has moved on: a later
commit, uncommitted edits, a staged file and an untracked file. Licenses come from the
Hugging Face cache fixture of the license scenarios, offline, so verdicts are real.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelbom import cli
from modelbom.emit.cyclonedx import validate
from modelbom.engine import scan
from modelbom.errors import UsageError
from modelbom.model import Stage, Unknown
from modelbom.options import ScanOptions
from modelbom.policy.model import revision_policy
from modelbom.walk import (
    BlobEntry,
    ReadError,
    RevisionError,
    RevisionSource,
    WalkOptions,
    open_source,
    read_revision_files,
    walk,
)
from tests.support import FIXTURES, run_cli

RELEASES = FIXTURES / "releases"
HF_CACHE = FIXTURES / "scenarios" / "hf-cache"
LORA = "acme/support-lora"
LLAMA_INSTRUCT = "meta-llama/Llama-3.1-8B-Instruct"
QWEN = "Qwen/Qwen2.5-0.5B"
FLUX = "black-forest-labs/FLUX.1-dev"
GEMMA = "google/gemma-2-2b-it"
_GIT_IDENTITY = (
    "-c", "user.name=Release Bot", "-c", "user.email=release@example.com",
    "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _hf_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(HF_CACHE))


Run = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def modelbom(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``modelbom ARGS`` through the console script's entry point, in this process (a
    fresh interpreter per command would make this file slow); the end-to-end tests and
    the one that needs git missing use :func:`run_cli`."""

    def run(
        *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        with monkeypatch.context() as patch:
            if cwd is not None:
                patch.chdir(cwd)
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            code = cli.main(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return run


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    """Run git in *repo* (a test's own repository) and return its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    proc = subprocess.run(
        ["git", "-C", str(repo), *_GIT_IDENTITY, *args],
        capture_output=True,
        input=input,
        env=env,
        check=True,
    )
    return proc.stdout.decode("utf-8", "surrogateescape")


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def replace_tree(repo: Path, tree: Path) -> None:
    """Make the working tree of *repo* hold exactly the files of *tree*."""
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    shutil.copytree(tree, repo, dirs_exist_ok=True)


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    return path


@dataclass(frozen=True)
class Releases:
    root: Path
    v1: str  # commit of v1.0.0
    v11: str  # commit of v1.1.0 (the tag is annotated: this is the commit it points to)
    head: str


@pytest.fixture
def releases(tmp_path: Path) -> Releases:
    """A repository with two tagged releases whose working tree has moved on since."""
    root = init_repo(tmp_path / "support-bot")
    replace_tree(root, RELEASES / "v1.0.0")
    v1 = commit_all(root, "Release 1.0.0")
    git(root, "tag", "v1.0.0")
    replace_tree(root, RELEASES / "v1.1.0")
    v11 = commit_all(root, "Release 1.1.0: tuned path for escalations")
    git(root, "tag", "-a", "-m", "support-bot 1.1.0", "v1.1.0")
    # Work after the release: a later commit, then uncommitted changes of every kind.
    (root / "CHANGELOG.md").write_text("## unreleased\n")
    head = commit_all(root, "Start the changelog")
    with (root / "support_bot" / "chat.py").open("a") as handle:  # modified, unstaged
        handle.write(f'\nflux = AutoModelForCausalLM.from_pretrained("{FLUX}")\n')
    (root / "support_bot" / "staged.py").write_text(f'm = AutoModel.from_pretrained("{GEMMA}")\n')
    git(root, "add", "support_bot/staged.py")  # staged, not committed
    (root / "support_bot" / "draft.py").write_text(f'm = AutoModel.from_pretrained("{FLUX}")\n')
    # The policy on disk says internal use; the committed one says commercial service.
    (root / "modelbom.toml").write_text('[use]\ncommercial = false\ndistribution = "internal"\n')
    return Releases(root=root, v1=v1, v11=v11, head=head)


def snapshot(root: Path) -> tuple[object, ...]:
    """Everything a scan must leave alone: every working-tree byte, the index file (its
    bytes and modification time), HEAD and what ``git status`` says."""
    files = {}
    for path in sorted(root.rglob("*")):
        if ".git" in path.relative_to(root).parts or not path.is_file():
            continue
        files[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    index = root / ".git" / "index"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    status = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain=v1", "-z", "--untracked-files=all"],
        capture_output=True,
        env={**env, "GIT_OPTIONAL_LOCKS": "0"},  # git status itself must not refresh the index
        check=True,
    ).stdout
    return (
        files,
        hashlib.sha256(index.read_bytes()).hexdigest(),
        index.stat().st_mtime_ns,
        (root / ".git" / "HEAD").read_bytes(),
        git(root, "rev-parse", "HEAD"),
        status,
    )


def occurrences(bom: dict[str, object], name: str) -> list[tuple[str, int]]:
    components = bom["components"]
    assert isinstance(components, list)
    (component,) = [c for c in components if c["name"] == name]
    return [(o["location"], o["line"]) for o in component["evidence"]["occurrences"]]


def names(bom: dict[str, object]) -> set[str]:
    components = bom["components"]
    assert isinstance(components, list)
    return {c["name"] for c in components}


def root_properties(bom: dict[str, object]) -> dict[str, str]:
    metadata = bom["metadata"]
    assert isinstance(metadata, dict)
    return {p["name"]: p["value"] for p in metadata["component"]["properties"]}


# -- scan --rev ----------------------------------------------------------------------------


def test_scan_rev_reads_each_release_and_leaves_the_repository_untouched(
    releases: Releases, tmp_path: Path, modelbom: Run
) -> None:
    root = releases.root
    status = git(root, "status", "--porcelain")
    assert " M support_bot/chat.py" in status and "A  support_bot/staged.py" in status
    assert "?? support_bot/draft.py" in status
    before = snapshot(root)

    old = modelbom("scan", "--rev", "v1.0.0", str(root), "--offline", "--reproducible")
    new_bom, report = tmp_path / "bom.json", tmp_path / "report.md"
    new = modelbom(
        "scan", str(root), "--rev", "v1.1.0", "--offline", "--reproducible",
        "-o", f"cyclonedx-json={new_bom}", "-o", f"markdown={report}",
    )  # fmt: skip
    assert snapshot(root) == before

    assert old.returncode == 0, old.stderr  # v1.0.0 is allowed under its committed policy
    assert validate(old.stdout, "1.6") is None
    v1 = json.loads(old.stdout)
    assert names(v1) == {QWEN}
    assert occurrences(v1, QWEN) == [("support_bot/chat.py", 7), ("support_bot/chat.py", 8)]
    assert root_properties(v1)["modelbom:git:commit"] == releases.v1
    assert root_properties(v1)["modelbom:git:revision"] == "v1.0.0"
    assert "modelbom:git:branch" not in root_properties(v1)  # not what is checked out
    assert f"scanned revision v1.0.0 (commit {releases.v1}): 4 files" in old.stderr
    assert "verdict: allowed (under v1.0.0:modelbom.toml)" in old.stderr

    # v1.1.0 violates its committed policy (800M users, the Llama cap is 700M): exit 1.
    assert new.returncode == 1, new.stderr
    assert "verdict: violation (under v1.1.0:modelbom.toml)" in new.stderr
    assert validate(new_bom.read_text(), "1.6") is None
    v11 = json.loads(new_bom.read_text())
    assert names(v11) == {QWEN, LORA, LLAMA_INSTRUCT, "meta-llama/Llama-3.1-8B"}
    assert occurrences(v11, LORA) == [("support_bot/tuned.py", 9)]
    assert occurrences(v11, LLAMA_INSTRUCT) == [("support_bot/tuned.py", 8)]
    assert occurrences(v11, QWEN) == [("support_bot/chat.py", 7), ("support_bot/chat.py", 8)]
    properties = root_properties(v11)
    assert properties["modelbom:git:commit"] == releases.v11  # the tag's commit, peeled
    assert properties["modelbom:git:revision"] == "v1.1.0"
    assert properties["modelbom:verdict"] == "violation"
    assert f"- Commit: `{releases.v11}` (revision `v1.1.0`)" in report.read_text()

    # Nothing uncommitted, staged or untracked is in either scan; the working tree has it.
    for bom in (v1, v11):
        assert FLUX not in names(bom) and GEMMA not in names(bom)
    disk = modelbom("scan", str(root), "--offline", "-f", "findings-json")
    assert {FLUX, GEMMA} <= {f["id"] for f in json.loads(disk.stdout)["findings"]}


def test_rev_scan_equals_a_scan_of_a_clean_checkout(releases: Releases, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    subprocess.run(
        ["git", "clone", "-q", "--branch", "v1.1.0", str(releases.root), str(checkout)],
        capture_output=True,
        check=True,
    )
    options = {"offline": True, "cache_dir": tmp_path / "cache"}
    from_rev = scan(ScanOptions(root=releases.root, rev="v1.1.0", **options))
    from_disk = scan(ScanOptions(root=checkout, **options))
    assert from_rev.findings == from_disk.findings
    assert from_rev.components == from_disk.components
    assert from_rev.unknowns == from_disk.unknowns == ()
    assert from_rev.stats == from_disk.stats
    assert from_rev.source.commit == from_disk.source.commit == releases.v11
    assert (from_rev.source.revision, from_disk.source.revision) == ("v1.1.0", None)


def test_rev_of_a_subfolder_and_of_a_bare_repository(
    releases: Releases, tmp_path: Path, modelbom: Run
) -> None:
    sub = modelbom(
        "scan", str(releases.root / "support_bot"), "--rev", "v1.1.0", "--offline",
        "-f", "findings-json",
    )  # fmt: skip
    assert sub.returncode == 0, sub.stderr  # the policy lives above the subfolder
    files = {f["file"] for f in json.loads(sub.stdout)["findings"]}
    assert files == {"chat.py", "tuned.py"}

    bare = tmp_path / "mirror.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(releases.root), str(bare)],
        capture_output=True,
        check=True,
    )
    proc = modelbom("scan", str(bare), "--rev", "v1.0.0", "--offline", "-f", "findings-json")
    assert proc.returncode == 0, proc.stderr
    assert {f["id"] for f in json.loads(proc.stdout)["findings"]} == {QWEN}

    (releases.root / "support_bot" / "later").mkdir()
    missing = modelbom("scan", str(releases.root / "support_bot" / "later"), "--rev", "v1.0.0")
    assert missing.returncode == 2
    assert "support_bot/later: not a folder at revision 'v1.0.0'" in missing.stderr


def test_explain_at_a_revision(releases: Releases, modelbom: Run) -> None:
    proc = modelbom("explain", LORA, str(releases.root), "--rev", "v1.1.0", "--offline")
    assert proc.returncode == 0, proc.stderr
    assert LLAMA_INSTRUCT in proc.stdout
    gone = modelbom("explain", LORA, str(releases.root), "--rev", "v1.0.0", "--offline")
    assert gone.returncode == 2
    assert f"no component '{LORA}' in the scan" in gone.stderr


# -- diff of revisions ---------------------------------------------------------------------


def test_diff_of_two_releases_shows_the_adapter_and_the_stricter_terms(
    releases: Releases, modelbom: Run
) -> None:
    before = snapshot(releases.root)
    proc = run_cli("diff", "v1.0.0", "v1.1.0", str(releases.root), "--offline")
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert out.startswith("artifact verdict: allowed -> violation\n")
    assert "components added:\n  + adapter acme/support-lora " in out
    assert f"  + model {LLAMA_INSTRUCT} " in out
    assert "  + user_cap: 700000000 (LicenseRef-scancode-llama-3.1-license-2024)\n" in out
    assert "components removed:" not in out and FLUX not in out and GEMMA not in out
    assert out.endswith("stricter: the artifact's verdict got worse, 9 new governing terms\n")
    assert f"scanned v1.0.0 (commit {releases.v1[:12]})" in proc.stderr
    assert f"scanned v1.1.0 (commit {releases.v11[:12]})" in proc.stderr

    # Backwards nothing got stricter; PATH defaults to the current directory.
    back = modelbom("diff", "v1.1.0", "v1.0.0", "--offline", "-q", cwd=releases.root)
    assert back.returncode == 0, back.stderr
    assert back.stdout == "" and back.stderr == ""
    same = modelbom("diff", "v1.1.0", releases.v11, "--offline", cwd=releases.root)
    assert same.returncode == 0 and same.stdout == "no changes\n"
    assert snapshot(releases.root) == before


def test_diff_of_a_release_under_a_given_policy(
    releases: Releases, tmp_path: Path, modelbom: Run
) -> None:
    policy = tmp_path / "internal.toml"
    policy.write_text('[use]\ncommercial = false\ndistribution = "internal"\n')
    proc = modelbom(
        "diff", "v1.0.0", "v1.1.0", str(releases.root), "--offline", "--policy", str(policy)
    )
    # Internal non-commercial use stays allowed, but the Llama terms are still new.
    assert proc.returncode == 1, proc.stderr
    assert "artifact verdict:" not in proc.stdout
    assert proc.stdout.endswith("stricter: 9 new governing terms\n")


def test_diff_of_a_bom_file_and_a_revision(
    releases: Releases, tmp_path: Path, modelbom: Run
) -> None:
    old = tmp_path / "v1.0.0.json"
    written = modelbom(
        "scan", str(releases.root), "--rev", "v1.0.0", "--offline", "--reproducible",
        "-o", str(old),
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    proc = modelbom("diff", str(old), "v1.1.0", str(releases.root), "--offline")
    assert proc.returncode == 1, proc.stderr
    assert "  + adapter acme/support-lora " in proc.stdout
    assert "scanned v1.1.0" in proc.stderr and "scanned v1.0.0" not in proc.stderr
    same = modelbom("diff", str(old), "v1.0.0", str(releases.root), "--offline")
    assert same.returncode == 0 and same.stdout == "no changes\n"

    # An existing file wins over a revision of the same name.
    (releases.root / "v1.1.0").write_text("not a BOM")
    shadowed = modelbom("diff", str(old), "v1.1.0", "--offline", cwd=releases.root)
    assert shadowed.returncode == 2
    assert "v1.1.0: not a CycloneDX JSON BOM" in shadowed.stderr
    tag = modelbom("diff", str(old), "refs/tags/v1.1.0", "--offline", cwd=releases.root)
    assert tag.returncode == 1, tag.stderr

    both_files = modelbom("diff", str(old), str(old), str(releases.root))
    assert both_files.returncode == 2
    assert "PATH is only used with revisions" in both_files.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["nope", "v1.0.0"],
            "OLD 'nope' is neither a BOM file (no such file) nor a revision (unknown revision "
            "'nope': no branch, tag or commit of that name in the git repository at ",
        ),
        (
            ["v1.0.0", "support_bot"],
            "NEW 'support_bot' is neither a BOM file (a folder, not a BOM file) nor a revision",
        ),
    ],
)
def test_diff_argument_that_is_neither_a_file_nor_a_revision(
    releases: Releases, args: list[str], message: str, modelbom: Run
) -> None:
    proc = modelbom("diff", *args, "--offline", cwd=releases.root)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_diff_of_revisions_outside_a_repository(tmp_path: Path, modelbom: Run) -> None:
    proc = modelbom("diff", "v1.0.0", "v1.1.0", str(tmp_path), "--offline")
    assert proc.returncode == 2
    assert f"OLD 'v1.0.0' is neither a BOM file (no such file) nor a revision ({tmp_path}: " in (
        proc.stderr
    )
    assert "not in a git repository" in proc.stderr


# -- usage errors ----------------------------------------------------------------------------


def test_unknown_revisions_and_option_like_revisions_are_usage_errors(
    releases: Releases, tmp_path: Path, modelbom: Run
) -> None:
    work = tmp_path / "cwd"
    work.mkdir()
    for rev in ("v9.9.9", "--output=x", "-h", "--all", "main..v1.0.0"):
        proc = modelbom("scan", f"--rev={rev}", str(releases.root), "--offline", cwd=work)
        assert proc.returncode == 2, (rev, proc.stdout)
        assert f"unknown revision {rev!r}" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert proc.stdout == ""
    # git never took "--output=x" as its option: no file was written anywhere.
    assert list(work.iterdir()) == []
    assert not (releases.root / "x").exists()
    empty = modelbom("scan", "--rev=", str(releases.root), "--offline")
    assert empty.returncode == 2 and "the revision is empty" in empty.stderr


def test_not_a_git_repository_and_no_git_are_usage_errors(
    releases: Releases, tmp_path: Path, modelbom: Run
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "app.py").write_text(f'm = AutoModel.from_pretrained("{QWEN}")\n')
    proc = modelbom("scan", str(plain), "--rev", "v1.0.0", "--offline")
    assert proc.returncode == 2
    assert f"{plain}: not in a git repository" in proc.stderr

    no_git = modelbom("scan", str(releases.root), "--rev", "v1.0.0", "--no-git")
    assert no_git.returncode == 2
    assert "--rev reads the revision through git; it cannot go with --no-git" in no_git.stderr

    # The environment's MODELBOM_NO_GIT is about walking a work tree: a revision ignores it.
    env = modelbom(
        "scan", str(releases.root), "--rev", "v1.0.0", "--offline", "-f", "findings-json",
        env={"MODELBOM_NO_GIT": "1"},
    )  # fmt: skip
    assert env.returncode == 0, env.stderr
    assert {f["id"] for f in json.loads(env.stdout)["findings"]} == {QWEN}

    missing = modelbom("scan", str(tmp_path / "nowhere"), "--rev", "v1.0.0")
    assert missing.returncode == 2
    assert "nowhere: no such file or directory" in missing.stderr


def test_git_missing_is_a_usage_error(releases: Releases, tmp_path: Path) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    proc = run_cli(
        "scan", str(releases.root), "--rev", "v1.0.0", "--offline",
        env={"PATH": str(empty_bin)},
    )  # fmt: skip
    assert proc.returncode == 2
    assert "reading a revision needs git, and no git executable was found" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_repository_cannot_choose_the_revision(releases: Releases, modelbom: Run) -> None:
    (releases.root / "modelbom.toml").write_text('rev = "v1.0.0"\n')
    proc = modelbom("scan", str(releases.root), "--offline")
    assert proc.returncode == 2
    assert "rev: not a setting a repository may choose" in proc.stderr


def test_a_committed_configuration_may_be_a_symlink(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    (root / "config").mkdir()
    (root / "config" / "modelbom.toml").write_text("[use]\ncommercial = false\n")
    (root / "modelbom.toml").symlink_to("config/modelbom.toml")
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n')
    commit_all(root, "config")
    files = read_revision_files(root, "HEAD", ("modelbom.toml", "pyproject.toml"), 1000)
    assert files["modelbom.toml"].label == "HEAD:modelbom.toml"
    assert files["modelbom.toml"].data == b"[use]\ncommercial = false\n"
    assert files["pyproject.toml"].data == b'[project]\nname = "x"\n'
    policy = revision_policy(root, "HEAD")
    assert policy is not None and policy.use.commercial is False
    assert policy.source == "HEAD:modelbom.toml"
    assert read_revision_files(root / "config", "HEAD", ("pyproject.toml",), 1000) == {}


def test_committed_settings_of_the_revision_apply(releases: Releases, modelbom: Run) -> None:
    root = releases.root
    (root / "modelbom.toml").write_text(
        'format = "findings-json"\nno-git = true\n[use]\ncommercial = false\n'
    )
    git(root, "add", "modelbom.toml")
    git(root, "commit", "-q", "-m", "Report findings by default")
    git(root, "tag", "v1.2.0")
    (root / "modelbom.toml").write_text('format = "markdown"\n')  # on disk only
    proc = modelbom("scan", str(root), "--rev", "v1.2.0", "--offline")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["format"] == "modelbom-findings"  # from v1.2.0
    older = modelbom("scan", str(root), "--rev", "v1.1.0", "--offline")
    assert json.loads(older.stdout)["bomFormat"] == "CycloneDX"  # v1.1.0 had no setting


# -- the tree's own rules --------------------------------------------------------------------


def test_symlinks_submodules_and_skipped_folders_as_in_a_work_tree(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    (root / "src").mkdir()
    (root / "src" / "real.py").write_text(f'm = AutoModel.from_pretrained("{QWEN}")\n')
    (root / "node_modules").mkdir()
    (root / "node_modules" / "dep.py").write_text("x = 1\n")
    links = {
        "alias.py": "src/real.py",  # followed: a regular file inside the root
        "src/up.py": "../alias.py",  # a chain of two links, still inside
        "via-dir.py": "srclink/real.py",  # through a link to a folder
        "srclink": "src",  # a folder: not followed, its files have their own path
        "passwd": "/etc/passwd",  # absolute
        "escape.py": "../outside.py",  # above the top
        "dangling.py": "src/missing.py",
        "through-file.py": "src/real.py/x",
        "loop-a": "loop-b",
        "loop-b": "loop-a",
        "into-skipped.py": "node_modules/dep.py",  # like the walker: silently left out
        "src/notes.md": "../NOTES.md",  # inside the repository, outside the folder src
    }
    (root / "NOTES.md").write_text("notes\n")
    for name, target in links.items():
        (root / name).symlink_to(target)
    (tmp_path / "outside.py").write_text("stolen = 1\n")
    git(root, "add", "-A")
    blob = git(root, "hash-object", "-w", "--stdin", input=b"x").strip()
    git(root, "update-index", "--add", "--cacheinfo", f"160000,{blob},vendor/lib")
    git(root, "commit", "-q", "-m", "links")
    git(root, "tag", "v1")

    with open_source(root, rev="v1") as source:
        listed = {e.path: e for e in source.entries}
        assert sorted(listed) == [
            "NOTES.md", "alias.py", "src/notes.md", "src/real.py", "src/up.py", "via-dir.py"
        ]  # fmt: skip
        real = listed["src/real.py"]
        assert isinstance(real, BlobEntry)
        assert real.blob == git(root, "rev-parse", "v1:src/real.py").strip()
        for alias in ("alias.py", "src/up.py", "via-dir.py"):
            assert listed[alias].size == real.size
            assert source.read(listed[alias], 1000) == (root / "src" / "real.py").read_bytes()
        rev_unknowns = {u.file: u.reason for u in source.unknowns}
    assert rev_unknowns.pop("vendor/lib") == "submodule not scanned"

    # The same commit checked out: the work-tree walker agrees, link by link.
    walked = walk(root, WalkOptions())
    assert [e.path for e in walked.entries] == sorted(listed)
    assert {u.file: u.reason for u in walked.unknowns} == rev_unknowns
    assert rev_unknowns == {
        "passwd": "symlink target outside scan root",
        "escape.py": "symlink target outside scan root",
        "dangling.py": "dangling symlink",
        "through-file.py": "dangling symlink",
        "loop-a": "symlink cycle",
        "loop-b": "symlink cycle",
    }

    # A scan of a subfolder: a link out of it is out of the scan root, as on disk.
    with open_source(root / "src", rev="v1") as sub:
        assert [e.path for e in sub.entries] == ["real.py", "up.py"]  # up.py comes back in
        assert {u.file: u.reason for u in sub.unknowns} == {
            "notes.md": "symlink target outside scan root"
        }
    walked_sub = walk(root / "src", WalkOptions())
    assert [e.path for e in walked_sub.entries] == ["real.py", "up.py"]
    assert {u.file: u.reason for u in walked_sub.unknowns} == {
        "notes.md": "symlink target outside scan root"
    }


def test_non_utf8_file_names_are_escaped(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    name = os.fsdecode(b"caf\xe9.py")
    (root / name).write_text(f'm = AutoModel.from_pretrained("{QWEN}")\n')
    commit_all(root, "bytes in a name")
    result = scan(ScanOptions(root=root, rev="HEAD", offline=True, cache_dir=tmp_path / "c"))
    assert [f.evidence.file for f in result.findings] == ["caf\\xe9.py"]


def _safetensors(size: int) -> bytes:
    header = json.dumps({"__metadata__": {"format": "pt"}, "w": {
        "dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()  # fmt: skip
    data = struct.pack("<Q", len(header)) + header
    return data + b"\0" * (size - len(data))


def test_big_blobs_are_read_within_the_limits(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    big_weights = _safetensors(3 * 1024 * 1024)
    (root / "model.safetensors").write_bytes(big_weights)
    (root / "big.py").write_text("x = 1\n" * 2000)  # 12,000 bytes
    (root / "small.py").write_text(f'm = AutoModel.from_pretrained("{QWEN}")\n')
    commit_all(root, "weights")
    limit = 64 * 1024
    result = scan(
        ScanOptions(
            root=root, rev="HEAD", offline=True, cache_dir=tmp_path / "c", max_file_bytes=10_000
        )
    )
    assert "model.safetensors" in {c.id for c in result.components}  # its header was read
    assert QWEN in {c.id for c in result.components}
    assert (
        Unknown(file="big.py", stage=Stage.READ, reason="file too large: 12000 bytes (limit 10000)")
        in result.unknowns
    )

    with RevisionSource(root, "HEAD", WalkOptions()) as source:
        entries = {e.path: e for e in source.entries}
        reader = source._reader
        assert reader.started == 0  # nothing read yet
        with pytest.raises(ReadError, match=r"^file too large: 12000 bytes \(limit 100\)$"):
            source.read(entries["big.py"], 100)
        assert reader.started == 0  # refused from the size in the tree, git not asked
        # A prefix of a small rest: read and dropped, the same process answers on.
        assert source.read(entries["big.py"], 6, prefix=True) == b"x = 1\n"
        assert source.read(entries["small.py"], 1000).startswith(b"m = AutoModel")
        assert reader.started == 1
        # A prefix of a big blob: the process is stopped instead of streaming the rest.
        weights = entries["model.safetensors"]
        assert source.read(weights, limit, prefix=True) == big_weights[:limit]
        assert source.read(entries["small.py"], 1000).startswith(b"m = AutoModel")
        assert reader.started == 2
        assert source.read(weights, 8, prefix=True) == big_weights[:8]
        assert source.read(entries["big.py"], 20_000) == (root / "big.py").read_bytes()
    with pytest.raises(ReadError, match="closed"):
        source.read(entries["small.py"], 1000)


def test_a_blob_missing_from_the_repository_is_an_unknown(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    (root / "a.py").write_text(f'm = AutoModel.from_pretrained("{QWEN}")\n')
    (root / "b.py").write_text(f'm = AutoModel.from_pretrained("{GEMMA}")\n')
    (root / "c.py").write_text(f'm = AutoModel.from_pretrained("{FLUX}")\n')
    commit_all(root, "three files")
    blob = git(root, "rev-parse", "HEAD:b.py").strip()
    (root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # as in a partial clone
    result = scan(ScanOptions(root=root, rev="HEAD", offline=True, cache_dir=tmp_path / "c"))
    assert {c.id for c in result.components} == {QWEN, FLUX}  # read on after it
    assert result.unknowns == (
        Unknown(
            file="b.py",
            stage=Stage.READ,
            reason="blob missing from the repository (a partial or shallow clone?)",
        ),
    )


def test_the_git_process_is_closed_on_every_path(releases: Releases) -> None:
    def process_of(source: RevisionSource) -> subprocess.Popen[bytes]:
        proc = source._reader._proc
        assert proc is not None
        return proc

    with open_source(releases.root, rev="v1.1.0") as source:
        assert isinstance(source, RevisionSource)
        source.read(source.entries[0], 100)
        proc = process_of(source)
        assert proc.poll() is None
    assert proc.poll() is not None  # ended, and waited for

    with pytest.raises(RuntimeError), open_source(releases.root, rev="v1.1.0") as source:
        assert isinstance(source, RevisionSource)
        source.read(source.entries[0], 100)
        proc = process_of(source)
        raise RuntimeError("a crawler bug")
    assert proc.poll() is not None


def test_engine_errors_for_revisions(releases: Releases, tmp_path: Path) -> None:
    with pytest.raises(RevisionError, match="unknown revision 'nope'"):
        scan(ScanOptions(root=releases.root, rev="nope", offline=True))
    with pytest.raises(UsageError, match="cannot be scanned without git"):
        scan(ScanOptions(root=releases.root, rev="v1.0.0", use_git=False, offline=True))


# -- an untrusted repository runs nothing -----------------------------------------------------


@pytest.fixture
def trapped(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A repository whose configuration names a program for everything git could run."""
    root = init_repo(tmp_path / "repo")
    (root / "app.py").write_text(f'm = AutoModel.from_pretrained("{QWEN}")\n')
    (root / ".gitattributes").write_text("* filter=evil diff=evil\n")
    commit_all(root, "init")
    git(root, "tag", "v1")
    marker = tmp_path / "pwned"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("post-checkout", "post-index-change", "reference-transaction", "pre-commit"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch '{marker}'\n")
        (hooks / hook).chmod(0o755)
    touch = f"sh -c 'touch {marker}; cat'"
    with (root / ".git" / "config").open("a") as config:
        config.write(
            f"[core]\n\tfsmonitor = touch '{marker}'\n\thooksPath = {hooks}\n"
            f"\tpager = touch '{marker}'\n\tsshCommand = touch '{marker}'\n"
            f'[filter "evil"]\n\tclean = {touch}\n\tsmudge = {touch}\n'
            f"\tprocess = touch {marker}\n\trequired = true\n"
            f'[diff "evil"]\n\ttextconv = {touch}\n'
            f"[uploadpack]\n\tpackObjectsHook = touch '{marker}'\n"
        )
    yield root, marker


def test_a_malicious_git_config_runs_nothing_during_a_rev_scan(
    trapped: tuple[Path, Path], tmp_path: Path, modelbom: Run
) -> None:
    root, marker = trapped
    proc = run_cli("scan", str(root), "--rev", "v1", "--offline", "-f", "findings-json")
    assert proc.returncode == 0, proc.stderr
    assert {f["id"] for f in json.loads(proc.stdout)["findings"]} == {QWEN}
    diff = modelbom("diff", "v1", "HEAD", str(root), "--offline")
    assert diff.returncode == 0, diff.stderr
    assert not marker.exists()

    # The trap is live: git reading the same blob with filters runs the smudge command.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run(
        ["git", "-C", str(root), "cat-file", "--filters", "v1:app.py"],
        capture_output=True,
        env=env,
        check=False,
    )
    if not marker.exists():
        pytest.skip("this git does not run the smudge filter for cat-file --filters")


def test_the_callers_git_environment_cannot_redirect_a_rev_scan(
    releases: Releases, tmp_path: Path, modelbom: Run
) -> None:
    other = init_repo(tmp_path / "other")
    (other / "other.py").write_text(f'm = AutoModel.from_pretrained("{GEMMA}")\n')
    commit_all(other, "other")
    git(other, "tag", "v1.0.0")
    marker = tmp_path / "pwned"
    hostile = {
        "GIT_DIR": str(other / ".git"),  # another repository
        "GIT_WORK_TREE": str(other),
        "GIT_OBJECT_DIRECTORY": str(other / ".git" / "objects"),  # its objects, not ours
        "GIT_CONFIG_PARAMETERS": f"'core.pager'='touch {marker}'",
        "GIT_EXTERNAL_DIFF": f"touch {marker}",
        "GIT_PAGER": f"touch {marker}",
    }
    proc = modelbom(
        "scan", str(releases.root), "--rev", "v1.0.0", "--offline", "-f", "findings-json",
        env=hostile,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert {f["id"] for f in json.loads(proc.stdout)["findings"]} == {QWEN}
    assert not marker.exists()
