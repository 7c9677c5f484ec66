"""Read a git revision straight from the object database: no checkout, nothing run.

``modelbom scan --rev v1.2.0 PATH`` scans a tag, branch or commit of the repository at
PATH without touching its work tree, index or HEAD. Git runs under the same rules as
``ls-files`` in :mod:`modelbom.walk.gitinfo` (a neutral working directory and ``-C
<root>``, ``GIT_DIR`` pinned to the repository modelbom found, fsmonitor and hooks
disabled on the command line, no system configuration), and more: the caller's ``GIT_*``
variables are dropped, every transport is refused (a partial clone cannot fetch a
missing blob) and replace refs are ignored (a commit id means its own tree). Three
commands are run:

- ``git rev-parse --verify --end-of-options REV^{commit}`` resolves the revision; a
  revision that starts with ``-`` is never taken as an option;
- ``git ls-tree -r -z -l --full-tree COMMIT`` lists its files (mode, type, id, size);
- one long-lived ``git cat-file --batch`` reads blobs by id (:class:`BlobReader`),
  without filters or textconv, so nothing ``.gitattributes`` or the configuration names
  (clean/smudge filters, Git LFS) ever runs: a file is read as it is stored.

The tree is classified like a work tree (:func:`list_revision`): the default skip
directories are left out, a symlink (mode 120000) is followed only to a regular file
inside the scan root, and a submodule (mode 160000) is an :class:`Unknown`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

from modelbom.errors import UsageError
from modelbom.model.text import display_text
from modelbom.model.unknown import Stage, Unknown
from modelbom.walk.gitinfo import (
    _GIT_ENV,
    _NEUTRAL_CWD,
    _SAFE_CONFIG,
    GitInfo,
    _import_git,
    read_git_info,
)
from modelbom.walk.reader import ReadError
from modelbom.walk.walker import REASON_CYCLE, REASON_DANGLING, REASON_OUTSIDE_ROOT

logger = logging.getLogger("modelbom.walk")

# Configuration on the command line for reading a revision: what ls-files gets, and no
# transport at all, so a missing object in a partial clone is never fetched.
_REVISION_CONFIG: tuple[str, ...] = (*_SAFE_CONFIG, "-c", "protocol.allow=never")

REASON_SUBMODULE = "submodule not scanned"
_MODE_LINK = "120000"
_MODE_GITLINK = "160000"
# As the kernel: at most 40 symlinks on one path, and a target of at most PATH_MAX.
_MAX_LINK_HOPS = 40
_MAX_LINK_BYTES = 4096
_MAX_HEADER = 256  # "<id> blob <size>\n"
# After a prefix read, a rest up to this size is read and dropped to keep the batch
# stream in step; a bigger rest stops the process instead (the next read starts a new
# one), so time and memory never depend on the size of a blob.
_MAX_DISCARD = 1024 * 1024
_CHUNK = 1024 * 1024
_HEX = frozenset("0123456789abcdef")


class RevisionError(UsageError):
    """A revision cannot be read (no git, not a repository, unknown revision, git failed);
    ``str(error)`` is the reason, one line."""


@dataclass(frozen=True, slots=True)
class BlobEntry:
    """One regular file of a git revision: its content is a blob in the object database."""

    path: str  # relative to the scanned root, POSIX separators, as git stores it
    blob: str  # the blob's object id (hex); the same content has the same id
    size: int  # the blob's size in bytes


@dataclass(frozen=True, slots=True)
class Revision:
    """A revision of the repository around a scan root, resolved to a commit."""

    name: str  # as the user gave it: "v1.2.0", "main", "HEAD~3", a commit id
    commit: str  # the full commit id
    prefix: str  # the scan root relative to the top of the repository; "" at the top
    info: GitInfo = field(repr=False)  # where the repository is; its remote

    def label(self, path: str) -> str:
        """``<name>:<path>``, git's notation for a file of the revision (*path* relative
        to the scan root)."""
        full = f"{self.prefix}/{path}" if self.prefix else path
        return f"{self.name}:{full}"


@dataclass(frozen=True, slots=True)
class _Git:
    """How to run git on one repository, under the rules for an untrusted one."""

    executable: str
    root: str  # the real scan root; git runs with -C root
    env: dict[str, str]

    @classmethod
    def for_repository(cls, root: str, info: GitInfo) -> _Git:
        import git

        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(_GIT_ENV)
        env.update(
            GIT_DIR=info.git_dir,
            GIT_NO_REPLACE_OBJECTS="1",
            GIT_NO_LAZY_FETCH="1",
            GIT_LITERAL_PATHSPECS="1",
            LC_ALL="C",
            LANGUAGE="C",
        )
        if info.work_tree:
            env["GIT_WORK_TREE"] = info.work_tree
        executable = git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git"
        return cls(executable=executable, root=root, env=env)

    def argv(self, *args: str) -> list[str]:
        return [self.executable, "-C", self.root, *_REVISION_CONFIG, *args]

    def run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        try:
            # An argument list (no shell), a neutral cwd, a scrubbed environment.
            return subprocess.run(  # noqa: S603
                self.argv(*args),
                cwd=_NEUTRAL_CWD,
                env=self.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                check=False,
            )
        except OSError as exc:
            raise RevisionError(f"cannot run git: {exc.strerror or exc}") from None

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603  (as in run)
            self.argv(*args),
            cwd=_NEUTRAL_CWD,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )


def _first_line(data: bytes) -> str:
    lines = data.decode("utf-8", "replace").strip().splitlines()
    text = lines[0] if lines else "no message"
    return display_text(text.removeprefix("fatal: ").removeprefix("error: "))[:300]


def _shown(value: str) -> str:
    return repr(display_text(value))


def _is_object_id(text: str) -> bool:
    return len(text) in (40, 64) and set(text) <= _HEX


def resolve_revision(root: Path, rev: str) -> tuple[Revision, _Git]:
    """Resolve *rev* to a commit of the repository around *root* (a directory).

    Raises :class:`RevisionError` when git is missing, *root* is in no git repository,
    the revision names no commit or git fails (the message says which).
    """
    if not rev:
        raise RevisionError("the revision is empty")
    if "\0" in rev or "\n" in rev:
        raise RevisionError(f"{_shown(rev)} is not a revision (it holds a control character)")
    real_root = os.path.realpath(root)
    if not os.path.isdir(real_root):
        raise RevisionError(f"{display_text(os.fspath(root))}: not a directory")
    if not _import_git():
        raise RevisionError("reading a revision needs git, and no git executable was found")
    info = read_git_info(Path(real_root), allow_bare=True)
    if info is None:
        raise RevisionError(f"{display_text(os.fspath(root))}: not in a git repository")
    prefix = ""
    if info.work_tree:
        prefix = Path(real_root).relative_to(info.work_tree).as_posix()
        prefix = "" if prefix == "." else prefix
    runner = _Git.for_repository(real_root, info)
    proc = runner.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    commit = proc.stdout.decode("ascii", "replace").strip()
    if proc.returncode == 1 and not proc.stderr.strip():
        raise RevisionError(
            f"unknown revision {_shown(rev)}: no branch, tag or commit of that name in the "
            f"git repository at {display_text(os.fspath(root))}"
        )
    if proc.returncode != 0:
        raise RevisionError(f"git cannot read revision {_shown(rev)}: {_first_line(proc.stderr)}")
    if not _is_object_id(commit):
        raise RevisionError(f"git gave no commit id for revision {_shown(rev)}")
    return Revision(name=rev, commit=commit, prefix=prefix, info=info), runner


# ------------------------------------------------------------------------------ blobs


class _StreamBroken(Exception):
    """The batch stream is out of step or gone; the process must be replaced."""


def _too_large(size: int, limit: int) -> ReadError:
    return ReadError(f"file too large: {size} bytes (limit {limit})")


class BlobReader:
    """Blobs by id through one long-lived ``git cat-file --batch`` process.

    The process starts at the first read and is stopped by :meth:`close` (use the reader
    as a context manager, so that it is closed on every path). Reads are bounded like
    :func:`~modelbom.walk.reader.read_bytes`: never more than the limit is kept in
    memory. Safe to share between threads: one request at a time.
    """

    def __init__(self, runner: _Git) -> None:
        self._git = runner
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.started = 0  # processes started so far (one, unless big blobs were cut short)

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def read(self, blob: str, size: int, limit: int, *, prefix: bool = False) -> bytes:
        """The content of blob *blob* (*size* bytes, as listed), at most *limit* bytes.

        In whole mode a blob larger than *limit* raises :class:`ReadError` ("file too
        large: ...") without asking git; with ``prefix=True`` the first *limit* bytes are
        returned. Every failure is a :class:`ReadError` whose message is the reason.
        """
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        if not _is_object_id(blob):
            raise ValueError(f"not an object id: {blob!r}")
        if not prefix and size > limit:
            raise _too_large(size, limit)
        with self._lock:
            if self._closed:
                raise ReadError("the revision reader is closed")
            try:
                return self._request(blob, size, min(size, limit))
            except ReadError:
                raise  # a missing blob: nothing followed, the stream is still in step
            except _StreamBroken as exc:
                self._stop(kill=True)
                raise ReadError(f"git cat-file failed: {exc}") from None
            except OSError as exc:
                self._stop(kill=True)
                raise ReadError(f"git cat-file failed: {exc.strerror or exc}") from None
            except BaseException:  # interrupted mid-answer: the stream is out of step
                self._stop(kill=True)
                raise

    def close(self) -> None:
        """Stop the process (if one runs); later reads fail. Idempotent."""
        with self._lock:
            self._closed = True
            self._stop(kill=False)

    # -- the batch protocol ----------------------------------------------------------

    def _process(self) -> tuple[IO[bytes], IO[bytes]]:
        if self._proc is None:
            try:
                self._proc = self._git.start("cat-file", "--batch")
            except OSError as exc:
                raise ReadError(f"cannot start git: {exc.strerror or exc}") from None
            self.started += 1
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None and stdout is not None
        return stdin, stdout

    def _request(self, blob: str, size: int, wanted: int) -> bytes:
        stdin, stdout = self._process()
        stdin.write(blob.encode("ascii") + b"\n")
        stdin.flush()
        header = stdout.readline(_MAX_HEADER)
        if not header.endswith(b"\n"):
            raise _StreamBroken("the process ended" if not header else "unexpected answer")
        fields = header.split()
        if fields == [blob.encode("ascii"), b"missing"]:
            # Nothing follows: the stream is still in step.
            raise ReadError("blob missing from the repository (a partial or shallow clone?)")
        if len(fields) != 3 or fields[0] != blob.encode("ascii") or fields[1] != b"blob":
            raise _StreamBroken("unexpected answer")
        try:
            actual = int(fields[2])
        except ValueError:
            raise _StreamBroken("unexpected answer") from None
        if actual != size:
            raise _StreamBroken(f"the blob has {actual} bytes, not {size}")
        data = _read_exactly(stdout, wanted)
        rest = actual - wanted + 1  # what is left of the content, and the newline
        if rest > _MAX_DISCARD:
            self._stop(kill=True)  # the next read starts a fresh process
            return data
        tail = b""
        while rest:
            tail = stdout.read(min(rest, _CHUNK))
            if not tail:
                raise _StreamBroken("the process ended")
            rest -= len(tail)
        if not tail.endswith(b"\n"):
            raise _StreamBroken("unexpected answer")
        return data

    def _stop(self, *, kill: bool) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if kill:
            proc.kill()
        elif proc.stdin is not None:
            try:
                proc.stdin.close()  # end of input: git exits
            except OSError:
                proc.kill()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _read_exactly(stream: IO[bytes], count: int) -> bytes:
    chunks: list[bytes] = []
    left = count
    while left:
        chunk = stream.read(min(left, _CHUNK))
        if not chunk:
            raise _StreamBroken("the process ended")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------------------- listing


@dataclass(frozen=True, slots=True)
class _Item:
    """One line of ``git ls-tree -r -l``."""

    mode: str
    kind: str  # "blob" or "commit" (a submodule)
    oid: str
    size: int  # -1 when git gives none (a submodule)


def _list_tree(runner: _Git, revision: Revision, paths: Sequence[str] = ()) -> dict[str, _Item]:
    """The files of the revision's whole tree, or only *paths* (from the top) if given."""
    proc = runner.run("ls-tree", "-r", "-z", "-l", "--full-tree", revision.commit, "--", *paths)
    if proc.returncode != 0:
        raise RevisionError(
            f"git cannot list revision {_shown(revision.name)}: {_first_line(proc.stderr)}"
        )
    items: dict[str, _Item] = {}
    for record in proc.stdout.split(b"\0"):
        if not record:
            continue
        meta, tab, raw_path = record.partition(b"\t")
        fields = meta.decode("ascii", "replace").split()
        if not tab or len(fields) != 4 or not raw_path:
            logger.warning("unexpected line from git ls-tree: %r", record[:200])
            continue
        mode, kind, oid, size = fields
        items[os.fsdecode(raw_path)] = _Item(
            mode=mode, kind=kind, oid=oid, size=int(size) if size.isdigit() else -1
        )
    return items


def _parents(paths: Iterable[str]) -> set[str]:
    dirs = {""}
    for path in paths:
        parts = path.split("/")[:-1]
        for end in range(len(parts), 0, -1):
            parent = "/".join(parts[:end])
            if parent in dirs:
                break
            dirs.add(parent)
    return dirs


class _Tree:
    """A listed revision and the rules that turn it into entries and unknowns."""

    def __init__(
        self,
        items: dict[str, _Item],
        prefix: str,
        skip_dirs: frozenset[str],
        reader: BlobReader,
    ) -> None:
        self.items = items
        self.dirs = _parents(items)
        self.prefix = prefix
        self.skip_dirs = skip_dirs
        self.reader = reader
        self.entries: dict[str, BlobEntry] = {}
        self.unknowns: set[tuple[str, Stage, str]] = set()
        self._targets: dict[str, str] = {}

    def inside(self, path: str) -> str | None:
        """*path* (from the top) relative to the scan root, or None when outside it."""
        if not self.prefix:
            return path
        if path == self.prefix:
            return ""
        if path.startswith(self.prefix + "/"):
            return path[len(self.prefix) + 1 :]
        return None

    def skipped(self, rel: str) -> bool:
        return any(part in self.skip_dirs for part in rel.split("/"))

    def unknown(self, rel: str, reason: str, stage: Stage = Stage.WALK) -> None:
        self.unknowns.add((rel or ".", stage, reason))

    def collect(self) -> None:
        for path, item in self.items.items():
            rel = self.inside(path)
            if rel is None or self.skipped(rel):
                continue
            if item.mode == _MODE_LINK:
                self._add_link(rel, path)
            elif item.mode == _MODE_GITLINK or item.kind == "commit":
                self.unknown(rel, REASON_SUBMODULE)
            elif item.kind == "blob" and item.mode.startswith("100"):
                self.entries[rel] = BlobEntry(path=rel, blob=item.oid, size=item.size)
            else:
                self.unknown(rel, f"not a regular file (git mode {item.mode})")

    # -- symlinks --------------------------------------------------------------------

    def _add_link(self, rel: str, path: str) -> None:
        try:
            target, reason = self._resolve(path)
        except ReadError as exc:
            self.unknown(rel, f"cannot read the symlink: {exc}", Stage.READ)
            return
        if target is None:
            self.unknown(rel, reason or REASON_DANGLING)
            return
        target_rel = self.inside(target)
        if target_rel is None:
            self.unknown(rel, REASON_OUTSIDE_ROOT)
            return
        if target_rel and self.skipped(target_rel):
            return  # pointing into .git, node_modules...: not part of the scan
        item = self.items.get(target)
        if item is None or item.mode == _MODE_GITLINK or item.kind == "commit":
            return  # a folder (or a submodule): its files are reached by their own path
        if item.kind == "blob" and item.mode.startswith("100"):
            self.entries[rel] = BlobEntry(path=rel, blob=item.oid, size=item.size)
        else:
            self.unknown(rel, f"not a regular file (git mode {item.mode})")

    def _resolve(self, path: str) -> tuple[str | None, str | None]:
        """Like ``realpath``: (the real path from the top that *path* leads to, None), or
        (None, the walker's reason: a dangling link, a cycle, a way out of the tree)."""
        resolved: list[str] = []
        pending = list(reversed(path.split("/")))
        hops = 0
        while pending:
            name = pending.pop()
            if name in ("", "."):
                continue
            if name == "..":
                if not resolved:
                    return None, REASON_OUTSIDE_ROOT  # above the top of the repository
                resolved.pop()
                continue
            current = "/".join([*resolved, name])
            item = self.items.get(current)
            if item is not None and item.mode == _MODE_LINK:
                hops += 1
                if hops > _MAX_LINK_HOPS:
                    return None, REASON_CYCLE
                target = self._target(current, item)
                if target.startswith("/"):
                    return None, REASON_OUTSIDE_ROOT  # absolute: wherever it is checked out
                pending.extend(reversed(target.split("/")))
                continue
            if item is None and current not in self.dirs:
                return None, REASON_DANGLING
            if item is not None and any(p not in ("", ".") for p in pending):
                return None, REASON_DANGLING  # a file used as a folder
            resolved.append(name)
        return "/".join(resolved), None

    def _target(self, path: str, item: _Item) -> str:
        known = self._targets.get(path)
        if known is None:
            if item.size > _MAX_LINK_BYTES:
                raise ReadError("file name too long")
            data = self.reader.read(item.oid, item.size, _MAX_LINK_BYTES)
            known = self._targets[path] = os.fsdecode(data)
        return known


def list_revision(
    revision: Revision,
    runner: _Git,
    reader: BlobReader,
    skip_dirs: frozenset[str],
    only: Collection[str] | None = None,
) -> tuple[tuple[BlobEntry, ...], tuple[Unknown, ...]]:
    """The files of *revision* under its scan root, sorted by path, and the unknowns.

    Symlink targets are read through *reader*. With *only* (paths relative to the scan
    root), just those paths are listed, and the whole tree only when one of them is a
    symlink. Raises :class:`RevisionError` when git cannot list the tree or the scan
    root is not a folder at that revision (not checked with *only*).
    """
    items: dict[str, _Item] | None = None
    if only is not None:
        top = [f"{revision.prefix}/{p}" if revision.prefix else p for p in sorted(only)]
        items = _list_tree(runner, revision, top) if top else {}
        if any(item.mode == _MODE_LINK for item in items.values()):
            items = None  # a link is resolved in the whole tree
    full = items is None
    if items is None:
        items = _list_tree(runner, revision)
    tree = _Tree(items, revision.prefix, skip_dirs, reader)
    if full and revision.prefix and revision.prefix not in tree.dirs:
        raise RevisionError(
            f"{display_text(revision.prefix)}: not a folder at revision {_shown(revision.name)}"
        )
    tree.collect()
    wanted = frozenset(only) if only is not None else None
    unknowns = sorted(
        (
            Unknown(file=f, stage=s, reason=r)
            for f, s, r in tree.unknowns
            if wanted is None or f in wanted
        ),
        key=Unknown.sort_key,
    )
    paths = sorted(p for p in tree.entries if wanted is None or p in wanted)
    return tuple(tree.entries[p] for p in paths), tuple(unknowns)
