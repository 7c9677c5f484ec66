"""Everything modelbom asks git, under the rules for an untrusted repository.

The scanned repository is untrusted: its ``.git/config`` may name programs (an
fsmonitor, hooks, filters, a pager) that git would run. So metadata (commit, branch,
remote) is read in pure Python through GitPython from refs and configuration only: no
object is ever looked up, since GitPython's object database would start ``git
cat-file`` inside the repository. The only git process started here is ``git
ls-files``, run from a neutral working directory with ``-C <root>``, fsmonitor and
hooks disabled on the command line and the system configuration ignored; reading a
revision (:mod:`modelbom.walk.gitrev`) runs git under the same rules.

GitPython is imported lazily: it refuses to import when no git binary is installed, and
the walker must still work (in file-system mode) without git.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from modelbom.redact import redact_url

if TYPE_CHECKING:
    import git

logger = logging.getLogger("modelbom.walk")

# Command-line configuration that wins over anything in the scanned repository.
_SAFE_CONFIG: tuple[str, ...] = (
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
)
_GIT_ENV: dict[str, str] = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
}
# Where git runs from: never the scanned repository.
_NEUTRAL_CWD = "/"


@dataclass(frozen=True, slots=True)
class GitInfo:
    """What git says about the scanned work tree."""

    commit: str | None  # HEAD commit hex sha, None for a repository without commits
    branch: str | None  # active branch name, None when HEAD is detached
    remote_url: str | None  # "origin" (else the first remote) URL, credentials removed
    # Where git keeps the repository and its work tree; passed to ``ls-files`` so that a
    # GIT_DIR or GIT_WORK_TREE in the caller's environment cannot redirect it.
    git_dir: str = field(default="", repr=False, compare=False)
    work_tree: str = field(default="", repr=False, compare=False)


def _import_git() -> bool:
    try:
        import git  # noqa: F401
    except ImportError as exc:
        logger.warning("GitPython is unavailable (%s); git metadata is not read", exc)
        return False
    return True


def read_git_info(root: Path, *, allow_bare: bool = False) -> GitInfo | None:
    """Return the git metadata of the work tree holding *root*, or None.

    *root* must be a real (resolved) directory. None means *root* is not inside a git
    work tree (or is inside a ``.git`` directory). With *allow_bare*, *root* may also be
    a bare repository itself (``work_tree`` is then empty): reading a revision needs no
    work tree. Nothing here starts a process.
    """
    if not _import_git():
        return None
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    except Exception as exc:  # a malformed repository must not stop the scan
        logger.warning("cannot open the git repository around %s: %s", root, exc)
        return None
    with repo:
        git_dir = os.path.realpath(repo.git_dir)
        if allow_bare and repo.bare and os.path.realpath(root) == git_dir:
            work_tree = ""
        elif _is_in_work_tree(repo, root):
            work_tree = os.path.realpath(repo.working_tree_dir or root)
        else:
            return None
        return GitInfo(
            commit=_commit(repo),
            branch=_branch(repo),
            remote_url=_remote_url(repo),
            git_dir=git_dir,
            work_tree=work_tree,
        )


def _is_in_work_tree(repo: git.Repo, root: Path) -> bool:
    if repo.bare or repo.working_tree_dir is None:
        return False
    work_tree = Path(os.path.realpath(repo.working_tree_dir))
    if not root.is_relative_to(work_tree):
        return False
    return ".git" not in root.relative_to(work_tree).parts


def _commit(repo: git.Repo) -> str | None:
    import git

    # The sha of ``repo.head.commit`` without the object lookup (which runs git).
    try:
        sha = git.SymbolicReference.dereference_recursive(repo, "HEAD")
    except ValueError:  # no commit yet: HEAD names a branch that does not exist
        return None
    except Exception as exc:  # unreadable refs
        logger.warning("cannot read the HEAD commit: %s", exc)
        return None
    sha = str(sha)
    if len(sha) not in (40, 64) or any(c not in "0123456789abcdef" for c in sha):
        logger.warning("HEAD does not hold a commit id: %r", sha[:80])
        return None
    return sha


def _branch(repo: git.Repo) -> str | None:
    try:
        return str(repo.active_branch.name)
    except TypeError:  # detached HEAD
        return None
    except Exception as exc:
        logger.warning("cannot read the active branch: %s", exc)
        return None


def _remote_url(repo: git.Repo) -> str | None:
    try:
        remotes = list(repo.remotes)
        if not remotes:
            return None
        chosen = next((r for r in remotes if r.name == "origin"), remotes[0])
        # Read from the configuration; Remote.urls would run ``git remote``.
        reader = chosen.config_reader
        if not reader.has_option("url"):
            return None
        url = reader.get("url")
    except Exception as exc:
        logger.warning("cannot read the git remotes: %s", exc)
        return None
    return redact_url(str(url)) if url else None


def list_git_files(root: Path, info: GitInfo | None = None) -> list[str] | None:
    """Return the files git lists under *root* (relative to it), or None if git failed.

    Tracked plus untracked-but-not-ignored files, as git prints them (a nested
    repository may come with a trailing slash). None means the caller must fall back to
    walking the file system; the reason has been logged.
    """
    if not _import_git():
        return None
    import git

    executable = git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git"
    command: Sequence[str] = (
        executable,
        "-C",
        os.fspath(root),
        *_SAFE_CONFIG,
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    )
    env = dict(_GIT_ENV)
    if info is not None and info.git_dir and info.work_tree:
        env["GIT_DIR"] = info.git_dir
        env["GIT_WORK_TREE"] = info.work_tree
    try:
        output = git.Git(_NEUTRAL_CWD).execute(
            command,
            stdout_as_string=False,
            env=env,
            strip_newline_in_stdout=False,
        )
    except (git.GitError, OSError) as exc:
        logger.warning("git ls-files failed in %s, walking the file system instead: %s", root, exc)
        return None
    return [os.fsdecode(item) for item in output.split(b"\0") if item]
