"""List the files of the scanned repository: the only code that looks at its file system.

Two modes: in a git work tree the file list comes from ``git ls-files`` (tracked plus
untracked-but-not-ignored files); elsewhere, or when git fails, the tree is walked with
an explicit stack, honouring every ``.gitignore``. In both modes each candidate is
``lstat``-ed and classified; nothing is ever opened here except ``.gitignore`` files,
and nothing the walker meets raises: trouble becomes an :class:`Unknown`.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pathspec

from modelbom.errors import UsageError
from modelbom.model.unknown import Stage, Unknown
from modelbom.walk.gitinfo import GitInfo, list_git_files, read_git_info
from modelbom.walk.reader import ReadError, os_error_reason, read_path

logger = logging.getLogger("modelbom.walk")

DEFAULT_SKIP_DIRS: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
    }
)

# Git itself refuses bigger ignore files; this is generous and still bounded.
_GITIGNORE_LIMIT = 4 * 1024 * 1024

REASON_OUTSIDE_ROOT = "symlink target outside scan root"
REASON_CYCLE = "symlink cycle"
REASON_DANGLING = "dangling symlink"
REASON_TOO_DEEP = "symlink chain too deep"


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One regular file to scan."""

    path: str  # relative to the scanned root, POSIX separators, as the OS gave it
    fs_path: Path  # absolute real path to open (a followed in-root symlink: its target)
    size: int  # st_size of the regular file
    # The rest of the stat that listed it: what tells this version of the file from any
    # other without reading it (the per-file result cache keys on it); 0 when unknown.
    mtime_ns: int = 0
    ctime_ns: int = 0
    inode: int = 0
    device: int = 0

    @classmethod
    def of(cls, path: str, fs_path: Path, info: os.stat_result) -> FileEntry:
        """The entry for a regular file at *fs_path* whose ``lstat`` is *info*."""
        return cls(
            path=path,
            fs_path=fs_path,
            size=info.st_size,
            mtime_ns=info.st_mtime_ns,
            ctime_ns=info.st_ctime_ns,
            inode=info.st_ino,
            device=info.st_dev,
        )


@dataclass(frozen=True, slots=True)
class WalkOptions:
    """What the walker leaves out and whether it may ask git."""

    skip_dirs: frozenset[str] = DEFAULT_SKIP_DIRS
    use_git: bool = True


@dataclass(frozen=True, slots=True)
class WalkResult:
    """The files of one scan and what could not be listed."""

    entries: tuple[FileEntry, ...]  # sorted by path; every path at most once
    unknowns: tuple[Unknown, ...]  # sorted by Unknown.sort_key()
    git: GitInfo | None  # None when not in a git work tree or use_git=False
    mode: Literal["git", "filesystem"]


def walk(root: Path, options: WalkOptions = WalkOptions()) -> WalkResult:
    """List the regular files under *root*.

    Raises :class:`~modelbom.errors.UsageError` (a ``ModelbomError``) only when *root*
    is not a directory; every other problem is reported as an :class:`Unknown`.
    """
    try:
        real_root = os.path.realpath(root, strict=True)
    except (OSError, RuntimeError) as exc:
        raise UsageError(f"scan root is not a directory: {os.fspath(root)!r}") from exc
    if not os.path.isdir(real_root):
        raise UsageError(f"scan root is not a directory: {os.fspath(root)!r}")

    collector = _Collector(real_root, options.skip_dirs)
    info: GitInfo | None = None
    mode: Literal["git", "filesystem"] = "filesystem"
    if options.use_git:
        info = read_git_info(Path(real_root))
        if info is not None:
            listed = list_git_files(Path(real_root), info)
            if listed is not None:
                mode = "git"
                collector.add_git_paths(listed)
    if mode == "filesystem":
        collector.walk_tree()
    return collector.result(info, mode)


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "unknown type"


@dataclass(frozen=True, slots=True)
class _Ignore:
    """The patterns of one ``.gitignore``; *base* is its directory relative to the root."""

    base: str
    spec: pathspec.GitIgnoreSpec


def _is_ignored(rel: str, is_dir: bool, ignores: tuple[_Ignore, ...]) -> bool:
    # The deepest .gitignore with a matching pattern decides, as in git.
    for ignore in reversed(ignores):
        sub = rel[len(ignore.base) + 1 :] if ignore.base else rel
        result = ignore.spec.check_file(sub + "/" if is_dir else sub)
        if result.include is not None:
            return result.include
    return False


@dataclass(slots=True)
class _Collector:
    root: str  # real absolute path of the scan root
    skip_dirs: frozenset[str]
    entries: dict[str, FileEntry] = field(default_factory=dict)
    unknowns: set[tuple[str, Stage, str]] = field(default_factory=set)
    _parents: dict[str, bool] = field(default_factory=dict)
    # Symlinks to directories inside the root (never followed): link -> target, relative.
    _dir_links: dict[str, str] = field(default_factory=dict)

    # -- results ---------------------------------------------------------------------

    def result(self, info: GitInfo | None, mode: Literal["git", "filesystem"]) -> WalkResult:
        for rel in _links_on_cycles(self._dir_links):
            self.unknown(rel, REASON_CYCLE)
        unknowns = sorted(
            (Unknown(file=f, stage=s, reason=r) for f, s, r in self.unknowns),
            key=Unknown.sort_key,
        )
        return WalkResult(
            entries=tuple(self.entries[p] for p in sorted(self.entries)),
            unknowns=tuple(unknowns),
            git=info,
            mode=mode,
        )

    def unknown(self, rel: str, reason: str, stage: Stage = Stage.WALK) -> None:
        self.unknowns.add((rel or ".", stage, reason))

    def abs(self, rel: str) -> str:
        return os.path.join(self.root, rel) if rel else self.root

    def skipped(self, parts: Iterable[str]) -> bool:
        return any(part in self.skip_dirs for part in parts)

    # -- git mode --------------------------------------------------------------------

    def add_git_paths(self, paths: Iterable[str]) -> None:
        for listed in paths:
            rel = listed.rstrip("/")  # a nested repository is listed as "dir/"
            parts = rel.split("/")
            if not rel or any(p in ("", ".", "..") for p in parts) or self.skipped(parts):
                continue
            parent = rel.rpartition("/")[0]
            if parent and not self._parent_is_real(rel, parent):
                continue
            info = self._lstat(rel)
            if info is not None and not stat.S_ISDIR(info.st_mode):
                # Directories here are gitlinks (submodules) or nested repositories.
                self._add(rel, info)

    def _parent_is_real(self, rel: str, parent: str) -> bool:
        """True if no component of *parent* is a symlink (git lists a path, not a link)."""
        known = self._parents.get(parent)
        if known is None:
            expected = self.abs(parent)
            known = os.path.realpath(expected) == expected
            self._parents[parent] = known
        if not known and not self._inside(os.path.realpath(self.abs(parent))):
            self.unknown(rel, REASON_OUTSIDE_ROOT)
        return known

    # -- file-system mode ------------------------------------------------------------

    def walk_tree(self) -> None:
        stack: list[tuple[str, tuple[_Ignore, ...]]] = [("", ())]
        while stack:
            rel_dir, ignores = stack.pop()
            ignores = self._load_gitignore(rel_dir, ignores)
            try:
                with os.scandir(self.abs(rel_dir)) as listing:
                    children = [(d.name, _dirent_is_dir(d)) for d in listing]
            except OSError as exc:
                self.unknown(rel_dir, os_error_reason(exc))
                continue
            for name, is_dir in children:
                if name in self.skip_dirs:
                    continue
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if _is_ignored(rel, is_dir, ignores):
                    continue
                info = self._lstat(rel)
                if info is None:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    if is_dir or not _is_ignored(rel, True, ignores):
                        stack.append((rel, ignores))
                else:
                    self._add(rel, info)

    def _load_gitignore(self, rel_dir: str, ignores: tuple[_Ignore, ...]) -> tuple[_Ignore, ...]:
        rel = f"{rel_dir}/.gitignore" if rel_dir else ".gitignore"
        path = self.abs(rel)
        try:
            info = os.lstat(path)
        except OSError:
            return ignores  # absent (or the directory itself is unreadable: reported later)
        if not stat.S_ISREG(info.st_mode):
            return ignores  # like git, a symlinked .gitignore is not followed
        try:
            data = read_path(path, _GITIGNORE_LIMIT)
        except ReadError as exc:
            self.unknown(rel, f"cannot read .gitignore: {exc}", Stage.READ)
            return ignores
        lines = data.decode("utf-8", "surrogateescape").splitlines()
        try:
            spec = pathspec.GitIgnoreSpec.from_lines(lines)
        except Exception as exc:  # a pattern pathspec cannot compile
            self.unknown(rel, f"invalid .gitignore: {exc}", Stage.READ)
            return ignores
        return (*ignores, _Ignore(rel_dir, spec))

    # -- classification (both modes) -------------------------------------------------

    def _lstat(self, rel: str) -> os.stat_result | None:
        try:
            return os.lstat(self.abs(rel))
        except (FileNotFoundError, NotADirectoryError):
            return None  # deleted since it was listed (or a tracked file deleted)
        except OSError as exc:
            self.unknown(rel, os_error_reason(exc))
            return None

    def _add(self, rel: str, info: os.stat_result) -> None:
        mode = info.st_mode
        if stat.S_ISREG(mode):
            self.entries[rel] = FileEntry.of(rel, Path(self.abs(rel)), info)
        elif stat.S_ISLNK(mode):
            self._add_symlink(rel)
        elif not stat.S_ISDIR(mode):
            self.unknown(rel, f"not a regular file ({_special_kind(mode)})")

    def _inside(self, real: str) -> bool:
        return Path(real).is_relative_to(self.root)

    def _add_symlink(self, rel: str) -> None:
        try:
            target = os.path.realpath(self.abs(rel), strict=True)
        except RuntimeError:
            self.unknown(rel, REASON_CYCLE)
            return
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self.unknown(rel, REASON_CYCLE)
            elif exc.errno in (errno.ENOENT, errno.ENOTDIR):
                self.unknown(rel, REASON_DANGLING)
            else:
                self.unknown(rel, os_error_reason(exc))
            return
        if not self._inside(target):
            self.unknown(rel, REASON_OUTSIDE_ROOT)
            return
        try:
            os.stat(self.abs(rel))  # what a program opening the link gets from the kernel
        except OSError as exc:
            # Python resolved a chain longer than the system follows (40 links on Linux).
            self.unknown(rel, REASON_TOO_DEEP if exc.errno == errno.ELOOP else os_error_reason(exc))
            return
        if self.skipped(Path(target).relative_to(self.root).parts):
            return  # pointing into .git, node_modules...: not part of the scan
        try:
            info = os.lstat(target)
        except OSError as exc:
            self.unknown(rel, os_error_reason(exc))
            return
        mode = info.st_mode
        if stat.S_ISREG(mode):
            self.entries[rel] = FileEntry.of(rel, Path(target), info)
        elif stat.S_ISDIR(mode):
            # A directory target is not followed: its files are reached by their real path.
            self._dir_links[rel] = Path(target).relative_to(self.root).as_posix().strip(".")
        else:
            self.unknown(rel, f"not a regular file ({_special_kind(mode)})")


def _links_on_cycles(links: dict[str, str]) -> list[str]:
    """The directory symlinks that, followed, would lead back to themselves (``a/x -> ../b``
    with ``b/y -> ../a``, or a link to its own parent): a walker following links would
    never stop there. *links* maps each link to its target, both relative to the root.

    The graph has a node per link and per directory on the way to a link; a directory
    points at what it holds, a link at its target. Links in a strongly connected
    component (Tarjan's algorithm, iterative) are on a cycle.
    """
    edges: dict[str, list[str]] = {}
    for rel, target in sorted(links.items()):
        node = "L" + rel
        edges.setdefault(node, []).append("D" + target)
        parent = rel.rpartition("/")[0]
        while True:
            edges.setdefault("D" + parent, []).append(node)
            if not parent or len(edges["D" + parent]) > 1:
                break  # the rest of the way up is already in the graph
            node, parent = "D" + parent, parent.rpartition("/")[0]
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cyclic: list[str] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            successors = edges.get(node, [])
            if child < len(successors):
                work.append((node, child + 1))
                nxt = successors[child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                parent_node = work[-1][0]
                low[parent_node] = min(low[parent_node], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cyclic.extend(m[1:] for m in component if m.startswith("L"))
    return sorted(cyclic)


def _dirent_is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False
