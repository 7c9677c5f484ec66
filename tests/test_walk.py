"""Tests of the walker: real files, real git repositories, no mocks."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import git
import pytest

from modelbom.errors import ModelbomError
from modelbom.model.unknown import Stage
from modelbom.walk import (
    DEFAULT_SKIP_DIRS,
    FileEntry,
    ReadError,
    WalkOptions,
    WalkResult,
    read_bytes,
    walk,
)

AUTHOR = git.Actor("Test Author", "author@example.com")
SECRET_REMOTE = "https://user:s3cr3t-token@example.com/org/repo.git"  # noqa: S105
NO_GIT = WalkOptions(use_git=False)


# -- helpers ---------------------------------------------------------------------------


def write(path: Path, text: str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def paths(result: WalkResult) -> list[str]:
    return [entry.path for entry in result.entries]


def unknowns(result: WalkResult) -> dict[str, str]:
    return {u.file: u.reason for u in result.unknowns}


def init_repo(path: Path) -> git.Repo:
    path.mkdir(parents=True, exist_ok=True)
    return git.Repo.init(path, initial_branch="main")


def commit(repo: git.Repo, files: list[str], message: str = "commit") -> str:
    repo.index.add(files)
    return repo.index.commit(message, author=AUTHOR, committer=AUTHOR).hexsha


def assert_well_formed(result: WalkResult) -> None:
    listed = paths(result)
    assert listed == sorted(listed)
    assert len(listed) == len(set(listed))
    keys = [u.sort_key() for u in result.unknowns]
    assert keys == sorted(keys)
    for entry in result.entries:
        assert entry.fs_path.is_absolute()
        assert not set(entry.path.split("/")) & DEFAULT_SKIP_DIRS


@pytest.fixture
def repo_tree(tmp_path: Path) -> tuple[Path, git.Repo, str]:
    """A work tree with tracked, untracked, ignored and skipped files."""
    root = tmp_path / "repo"
    repo = init_repo(root)
    write(root / ".gitignore", "*.log\nbuild/\n")
    write(root / "train.py")
    write(root / "sub" / "model.py")
    write(root / "sub" / "deep" / "conf.yaml", "a: 1\n")
    write(root / "gone.py")
    write(root / "node_modules" / "pkg" / "index.js", "module.exports = 1\n")
    tracked = [".gitignore", "train.py", "sub/model.py", "sub/deep/conf.yaml", "gone.py"]
    sha = commit(repo, [*tracked, "node_modules/pkg/index.js"])
    (root / "gone.py").unlink()  # tracked, deleted from the work tree
    write(root / "untracked.py")
    write(root / "sub" / "new.py")
    write(root / "debug.log", "noise\n")
    write(root / "build" / "out.py")
    return root, repo, sha


# -- git mode --------------------------------------------------------------------------


def test_git_mode_lists_tracked_and_untracked(repo_tree: tuple[Path, git.Repo, str]) -> None:
    root, _, sha = repo_tree
    result = walk(root)
    assert result.mode == "git"
    assert paths(result) == [
        ".gitignore",
        "sub/deep/conf.yaml",
        "sub/model.py",
        "sub/new.py",
        "train.py",
        "untracked.py",
    ]
    assert result.unknowns == ()
    assert result.git is not None
    assert result.git.commit == sha
    assert result.git.branch == "main"
    assert result.git.remote_url is None
    assert_well_formed(result)
    entry = result.entries[-1]
    assert entry.fs_path == root.resolve() / "untracked.py"
    assert entry.size == len("x = 1\n")


def test_git_mode_root_is_a_subdirectory(repo_tree: tuple[Path, git.Repo, str]) -> None:
    root, _, sha = repo_tree
    result = walk(root / "sub")
    assert result.mode == "git"
    assert paths(result) == ["deep/conf.yaml", "model.py", "new.py"]
    assert result.git is not None
    assert result.git.commit == sha
    assert result.entries[0].fs_path == root.resolve() / "sub" / "deep" / "conf.yaml"


def test_git_info_remote_is_redacted_and_detached_head(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = init_repo(root)
    write(root / "a.py")
    sha = commit(repo, ["a.py"])
    repo.create_remote("origin", SECRET_REMOTE)
    result = walk(root)
    assert result.git is not None
    assert result.git.remote_url == "https://example.com/org/repo.git"
    assert result.git.commit == sha
    assert "s3cr3t" not in repr(result)

    repo.git.pack_refs("--all")  # refs read from packed-refs as well
    packed = walk(root)
    assert packed.git is not None
    assert packed.git.commit == sha
    assert packed.git.branch == "main"

    repo.head.reference = repo.head.commit  # detach HEAD
    detached = walk(root)
    assert detached.git is not None
    assert detached.git.branch is None
    assert detached.git.commit == sha


def test_git_info_first_remote_without_origin(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = init_repo(root)
    repo.create_remote("upstream", "git@example.com:org/up.git")
    result = walk(root)
    assert result.git is not None
    assert result.git.remote_url == "example.com:org/up.git"


def test_empty_repository(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    init_repo(root)
    write(root / "first.py")
    result = walk(root)
    assert result.mode == "git"
    assert paths(result) == ["first.py"]
    assert result.git is not None
    assert result.git.commit is None
    assert result.git.branch == "main"
    assert result.git.remote_url is None


def test_use_git_false_walks_the_file_system(repo_tree: tuple[Path, git.Repo, str]) -> None:
    root, _, _ = repo_tree
    result = walk(root, NO_GIT)
    assert result.mode == "filesystem"
    assert result.git is None
    assert paths(result) == [
        ".gitignore",
        "sub/deep/conf.yaml",
        "sub/model.py",
        "sub/new.py",
        "train.py",
        "untracked.py",
    ]


def test_git_failure_falls_back_to_file_system(
    repo_tree: tuple[Path, git.Repo, str], caplog: pytest.LogCaptureFixture
) -> None:
    root, _, sha = repo_tree
    (root / ".git" / "index").write_bytes(b"this is not an index")
    with caplog.at_level(logging.WARNING, logger="modelbom.walk"):
        result = walk(root)
    assert result.mode == "filesystem"
    assert result.git is not None
    assert result.git.commit == sha
    assert "train.py" in paths(result)
    assert "debug.log" not in paths(result)
    assert any(r.name == "modelbom.walk" and "ls-files" in r.getMessage() for r in caplog.records)


def test_git_mode_does_not_follow_a_directory_replaced_by_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside / "x.py", "stolen = 1\n")
    root = tmp_path / "repo"
    repo = init_repo(root)
    write(root / "lib" / "x.py")
    write(root / "keep.py")
    commit(repo, ["lib/x.py", "keep.py"])
    shutil.rmtree(root / "lib")
    (root / "lib").symlink_to(outside, target_is_directory=True)
    result = walk(root)
    assert result.mode == "git"
    assert paths(result) == ["keep.py"]
    assert set(unknowns(result).values()) == {"symlink target outside scan root"}
    assert all(str(outside) not in str(e.fs_path) for e in result.entries)


def test_malicious_git_config_runs_nothing(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = init_repo(root)
    write(root / "a.py")
    commit(repo, ["a.py"])
    marker = tmp_path / "pwned"
    hook_marker = tmp_path / "hook-pwned"
    hooks = tmp_path / "evil-hooks"
    hooks.mkdir()
    for name in ("post-index-change", "reference-transaction", "pre-commit", "post-checkout"):
        hook = hooks / name
        hook.write_text(f"#!/bin/sh\ntouch '{hook_marker}'\n")
        hook.chmod(0o755)
    with (root / ".git" / "config").open("a") as config:
        config.write(f"[core]\n\tfsmonitor = touch '{marker}'\n\thooksPath = {hooks}\n")

    result = walk(root)
    assert result.mode == "git"
    assert paths(result) == ["a.py"]
    assert not marker.exists()
    assert not hook_marker.exists()

    # The trap is live: plain git in the repository does run the fsmonitor command.
    subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, check=False)
    if not marker.exists():
        pytest.skip("this git does not run core.fsmonitor for ls-files")


# -- file-system mode ------------------------------------------------------------------


def test_not_a_git_work_tree(tmp_path: Path) -> None:
    write(tmp_path / "a.py")
    result = walk(tmp_path)
    assert result.mode == "filesystem"
    assert result.git is None
    assert paths(result) == ["a.py"]


def test_nested_gitignore_and_skip_dirs(tmp_path: Path) -> None:
    write(tmp_path / ".gitignore", "*.log\n/top_only.txt\nbuild/\n")
    write(tmp_path / "sub" / ".gitignore", "!keep.log\nlocal.txt\ngen/\n")
    for name in [
        "a.py",
        "a.log",
        "top_only.txt",
        "local.txt",
        "build/out.py",
        "sub/keep.log",
        "sub/other.log",
        "sub/top_only.txt",
        "sub/local.txt",
        "sub/gen/g.py",
        "sub/build/b.py",
        "sub/deeper/local.txt",
        "node_modules/pkg/index.js",
        "sub/node_modules/x.js",
        "venv/lib/site.py",
        ".git/config",
        "pkg/__pycache__/m.cpython-311.pyc",
    ]:
        write(tmp_path / name)
    result = walk(tmp_path, NO_GIT)
    assert paths(result) == [
        ".gitignore",
        "a.py",
        "local.txt",
        "sub/.gitignore",
        "sub/keep.log",
        "sub/top_only.txt",
    ]
    assert result.unknowns == ()
    assert_well_formed(result)


def test_custom_skip_dirs(tmp_path: Path) -> None:
    write(tmp_path / "vendor" / "a.py")
    write(tmp_path / "node_modules" / "b.js")
    result = walk(tmp_path, WalkOptions(skip_dirs=frozenset({"vendor"}), use_git=False))
    assert paths(result) == ["node_modules/b.js"]


def test_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelbomError):
        walk(write(tmp_path / "file.py"))
    with pytest.raises(ModelbomError):
        walk(tmp_path / "missing")


# -- symlinks and special files (both modes) -------------------------------------------


@pytest.fixture(params=["filesystem", "git"])
def scan_root(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """An empty scan root, once a plain directory and once a git work tree."""
    root = tmp_path / "root"
    root.mkdir()
    if request.param == "git":
        init_repo(root)
    yield root


def test_symlink_out_of_root(scan_root: Path) -> None:
    outside = scan_root.parent / "outside"
    write(outside / "secret.txt", "token\n")
    write(scan_root / "a.py")
    (scan_root / "link.txt").symlink_to(outside / "secret.txt")
    (scan_root / "dirlink").symlink_to(outside, target_is_directory=True)
    (scan_root / "relative.txt").symlink_to("../outside/secret.txt")
    result = walk(scan_root)
    assert paths(result) == ["a.py"]
    assert unknowns(result) == {
        "dirlink": "symlink target outside scan root",
        "link.txt": "symlink target outside scan root",
        "relative.txt": "symlink target outside scan root",
    }
    assert all(u.stage is Stage.WALK for u in result.unknowns)


def test_symlink_cycle_between_directories(scan_root: Path) -> None:
    write(scan_root / "a" / "f.py")
    write(scan_root / "b" / "g.py")
    (scan_root / "a" / "to_b").symlink_to("../b", target_is_directory=True)
    (scan_root / "b" / "to_a").symlink_to("../a", target_is_directory=True)
    (scan_root / "self").symlink_to("self")
    (scan_root / "ping").symlink_to("pong")
    (scan_root / "pong").symlink_to("ping")
    result = walk(scan_root)
    assert paths(result) == ["a/f.py", "b/g.py"]
    assert unknowns(result) == {
        "a/to_b": "symlink cycle",
        "b/to_a": "symlink cycle",
        "ping": "symlink cycle",
        "pong": "symlink cycle",
        "self": "symlink cycle",
    }
    assert_well_formed(result)


def test_directory_links_off_a_cycle_are_not_unknowns(scan_root: Path) -> None:
    write(scan_root / "loop" / "a" / "f.py")
    (scan_root / "loop" / "b").mkdir()
    (scan_root / "loop" / "a" / "to_b").symlink_to("../b", target_is_directory=True)
    (scan_root / "loop" / "b" / "to_a").symlink_to("../a", target_is_directory=True)
    (scan_root / "entry").symlink_to("loop/a", target_is_directory=True)
    (scan_root / "models").symlink_to("loop", target_is_directory=True)
    result = walk(scan_root)
    assert paths(result) == ["loop/a/f.py"]
    # "entry" and "models" lead into the loop but are not on it.
    assert unknowns(result) == {"loop/a/to_b": "symlink cycle", "loop/b/to_a": "symlink cycle"}


def test_symlink_chain_longer_than_the_system_follows(scan_root: Path) -> None:
    write(scan_root / "real.py")
    previous = "real.py"
    for number in range(1, 46):
        (scan_root / f"l{number}.py").symlink_to(previous)
        previous = f"l{number}.py"
    result = walk(scan_root)
    # Linux follows 40 links; what it cannot open is not listed either.
    assert paths(result) == sorted(["real.py", *(f"l{n}.py" for n in range(1, 41))])
    assert unknowns(result) == {f"l{n}.py": "symlink chain too deep" for n in range(41, 46)}


def test_dangling_symlink(scan_root: Path) -> None:
    (scan_root / "dead.py").symlink_to("nowhere.py")
    result = walk(scan_root)
    assert result.entries == ()
    assert unknowns(result) == {"dead.py": "dangling symlink"}


def test_in_root_file_symlink_is_followed(scan_root: Path) -> None:
    target = write(scan_root / "real" / "model.py", "weights = 'w'\n")
    (scan_root / "alias.py").symlink_to("real/model.py")
    (scan_root / "skipped.js").symlink_to("node_modules/dep.js")
    write(scan_root / "node_modules" / "dep.js")
    result = walk(scan_root)
    assert paths(result) == ["alias.py", "real/model.py"]
    alias = result.entries[0]
    assert alias.fs_path == target.resolve()
    assert alias.size == target.stat().st_size
    assert read_bytes(alias, 100) == b"weights = 'w'\n"
    assert result.unknowns == ()


def test_special_files_are_never_opened(scan_root: Path) -> None:
    if (scan_root / ".git").is_dir():
        # git lists no untracked FIFO or socket: make them tracked files replaced since.
        with git.Repo(scan_root) as repo:
            write(scan_root / "pipe")
            write(scan_root / "sock")
            commit(repo, ["pipe", "sock"])
        (scan_root / "pipe").unlink()
        (scan_root / "sock").unlink()
    os.mkfifo(scan_root / "pipe")
    write(scan_root / "a.py")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(os.fspath(scan_root / "sock"))
        holder: list[WalkResult] = []
        worker = threading.Thread(target=lambda: holder.append(walk(scan_root)), daemon=True)
        worker.start()
        worker.join(timeout=30)
        assert not worker.is_alive(), "walk hung on a FIFO"
    finally:
        sock.close()
    (result,) = holder
    assert paths(result) == ["a.py"]
    assert unknowns(result) == {
        "pipe": "not a regular file (fifo)",
        "sock": "not a regular file (socket)",
    }


def test_invalid_utf8_file_name(scan_root: Path) -> None:
    raw = os.fsencode(scan_root) + b"/bad\xff.py"
    fd = os.open(raw, os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        os.write(fd, b"import torch\n")
    finally:
        os.close(fd)
    result = walk(scan_root)
    name = os.fsdecode(b"bad\xff.py")
    assert paths(result) == [name]
    assert read_bytes(result.entries[0], 100) == b"import torch\n"


# -- depth -----------------------------------------------------------------------------


def test_deep_nesting_does_not_recurse(tmp_path: Path) -> None:
    depth = 1200
    current = os.fspath(tmp_path)
    try:
        for _ in range(depth):
            deeper = os.path.join(current, "d")
            os.mkdir(deeper)
            current = deeper
        write(Path(current) / "leaf.py")
        result = walk(tmp_path, NO_GIT)
        assert paths(result) == ["d/" * depth + "leaf.py"]
    finally:
        # shutil.rmtree recurses (and pytest removes old temporary directories with
        # it): take the tree down bottom-up here.
        leaf = Path(current) / "leaf.py"
        leaf.unlink(missing_ok=True)
        while current != os.fspath(tmp_path):
            os.rmdir(current)
            current = os.path.dirname(current)


def test_path_longer_than_path_max_becomes_unknown(tmp_path: Path) -> None:
    name = "n" * 200
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(30):  # 30 * 201 characters: well beyond PATH_MAX (4096)
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
    finally:
        os.close(fd)
    write(tmp_path / "short.py")
    result = walk(tmp_path, NO_GIT)
    assert paths(result) == ["short.py"]
    assert [u.reason for u in result.unknowns] == ["file name too long"]


# -- read_bytes ------------------------------------------------------------------------


def entry_for(path: Path) -> FileEntry:
    return FileEntry(path=path.name, fs_path=path, size=path.lstat().st_size)


def test_read_bytes_whole_prefix_and_too_large(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"0123456789")
    entry = entry_for(path)
    assert read_bytes(entry, 10) == b"0123456789"
    assert read_bytes(entry, 1000) == b"0123456789"
    assert read_bytes(entry, 4, prefix=True) == b"0123"
    assert read_bytes(entry, 100, prefix=True) == b"0123456789"
    with pytest.raises(ReadError) as excinfo:
        read_bytes(entry, 9)
    assert str(excinfo.value) == "file too large: 10 bytes (limit 9)"
    assert isinstance(excinfo.value, ModelbomError)
    (tmp_path / "empty").write_bytes(b"")
    assert read_bytes(entry_for(tmp_path / "empty"), 0) == b""


def test_read_bytes_refuses_what_changed_under_it(tmp_path: Path) -> None:
    path = write(tmp_path / "a.py")
    entry = entry_for(path)
    path.unlink()
    with pytest.raises(ReadError, match=r"^file disappeared during the scan$"):
        read_bytes(entry, 100)
    path.symlink_to(write(tmp_path / "b.py"))
    with pytest.raises(ReadError, match=r"^symlink appeared during the scan$"):
        read_bytes(entry, 100)
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(ReadError, match=r"^not a regular file$"):
        read_bytes(entry, 100)
    path.unlink()
    path.mkdir()
    with pytest.raises(ReadError, match=r"^not a regular file$"):
        read_bytes(entry, 100)


# -- permissions -----------------------------------------------------------------------

_NOBODY = 65534

# Run as root; the interpreter may live where uid 65534 cannot reach it (pyenv under
# /root), so the child imports everything first, then drops to uid/gid 65534 itself
# before it looks at the tree.
_PERMISSION_PROBE = f"""
import json, os, sys
from pathlib import Path
from modelbom.model.unknown import Stage, Unknown
from modelbom.walk import ReadError, WalkOptions, read_bytes, walk

root = Path(sys.argv[1])
warm = walk(root, WalkOptions(use_git=False))  # loads every lazy import while still root
read_bytes(next(e for e in warm.entries if e.path == "ok.py"), 1000)
Unknown(file="warm-up", stage=Stage.WALK, reason="warm-up").sort_key()
try:
    os.setgroups([])
    os.setgid({_NOBODY})
    os.setuid({_NOBODY})
except OSError as exc:
    print(json.dumps({{"skip": str(exc)}}))
    sys.exit(0)
assert os.geteuid() == {_NOBODY} and os.getegid() == {_NOBODY}

result = walk(root, WalkOptions(use_git=False))
out = {{
    "entries": [e.path for e in result.entries],
    "unknowns": [[u.file, u.stage.value, u.reason] for u in result.unknowns],
}}
secret = next(e for e in result.entries if e.path == "secret.txt")
try:
    read_bytes(secret, 1000)
    out["read"] = "ok"
except ReadError as exc:
    out["read"] = str(exc)
print(json.dumps(out))
"""


def _build_unreadable_tree(root: Path) -> None:
    write(root / "ok.py")
    write(root / "secret.txt", "hidden\n").chmod(0)
    write(root / "locked" / "inner.py")
    (root / "locked").chmod(0)


def _permission_check_as_nobody() -> dict[str, object]:
    # pytest's tmp_path is not traversable by uid 65534: use a 0755 directory instead.
    base = Path(tempfile.mkdtemp(prefix="modelbom-perm-"))
    try:
        base.chmod(0o755)
        root = base / "root"
        root.mkdir()
        root.chmod(0o755)
        _build_unreadable_tree(root)
        run = subprocess.run(
            [sys.executable, "-c", _PERMISSION_PROBE, os.fspath(root)],
            cwd="/",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        data: dict[str, object] = json.loads(run.stdout)
    finally:
        for path in (base / "root" / "locked", base / "root" / "secret.txt"):
            if path.exists():
                path.chmod(stat.S_IRWXU)
        shutil.rmtree(base, ignore_errors=True)
    if "skip" in data:
        pytest.skip(f"cannot drop privileges to uid {_NOBODY}: {data['skip']}")
    return data


def test_permission_denied(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        data = _permission_check_as_nobody()
        entries, found, read = data["entries"], data["unknowns"], data["read"]
    else:
        root = tmp_path / "root"
        _build_unreadable_tree(root)
        try:
            result = walk(root, NO_GIT)
            entries = paths(result)
            found = [[u.file, u.stage.value, u.reason] for u in result.unknowns]
            secret = next(e for e in result.entries if e.path == "secret.txt")
            with pytest.raises(ReadError) as excinfo:
                read_bytes(secret, 1000)
            read = str(excinfo.value)
        finally:
            (root / "locked").chmod(stat.S_IRWXU)
            (root / "secret.txt").chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert entries == ["ok.py", "secret.txt"]
    assert found == [["locked", "walk", "permission denied"]]
    assert read == "permission denied"
