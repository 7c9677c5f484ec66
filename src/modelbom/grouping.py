"""Sub-projects of a monorepo (``--group-by``): which components each part of the tree brings.

Two ways to cut a repository into groups:

- ``folders``: each top-level folder of the scanned root is a group; files directly at
  the root belong to ``.``.
- ``packages``: each folder holding a package manifest is a group (``pyproject.toml``
  with a ``[project]`` or ``[tool.poetry]`` table, ``setup.py``, ``setup.cfg`` with a
  ``[metadata]`` or ``[options]`` section, ``package.json`` with a ``name`` or a
  dependency section). A file belongs to the innermost such folder that contains it;
  files outside every package belong to ``.``, which a manifest at the root names.
  Requirements files are not packages: they name no project, and often sit next to
  docs or tooling.

A group is named after its package (read statically from the manifest, never by running
it) or, failing that, its folder. A component belongs to every group from whose files it
has evidence, and every group that brings a component also brings its lineage: the base
models and training datasets it names, however far, so a component known only from a
model card sits with the components that brought it.

:func:`build_groups` is a pure function of the components, the listed paths and the
package folders. The engine calls :func:`find_packages` while the scanned files are open
(it reads each manifest through the scan's :class:`~modelbom.walk.Source`, a work tree or
a git revision, at most :data:`MANIFEST_MAX_BYTES` of it) and :func:`group_components`
once the components are known. A manifest that cannot be read or
parsed still marks its folder as a package (named after the folder); the manifests
crawler reports the file as an Unknown.
"""

from __future__ import annotations

import ast
import configparser
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from modelbom.crawlers.base import CrawlError
from modelbom.crawlers.manifests_python import decode_text, load_json, load_toml
from modelbom.model import Component, Group, Kind
from modelbom.model.text import display_text
from modelbom.model.verdict import ChainReport, Verdict, worst
from modelbom.options import GroupBy
from modelbom.walk import Entry, ReadError, Source

log = logging.getLogger("modelbom.grouping")

ROOT = "."
# More than any real manifest; a larger file gets its folder's name.
MANIFEST_MAX_BYTES = 512 * 1024
_MAX_NAME = 200
# The manifests that make a folder a package, in the order their names are preferred.
PACKAGE_MANIFESTS = ("pyproject.toml", "setup.cfg", "setup.py", "package.json")
_NPM_DEPENDENCY_SECTIONS = (
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
)


class _NotAPackage(Exception):
    """The manifest parses and does not describe a package (tool settings only)."""


# -- package manifests ------------------------------------------------------------------------


def _clean_name(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    name = " ".join(value.split())
    return name[:_MAX_NAME] if name else None


def _pyproject_name(text: str) -> str | None:
    data = load_toml(text)
    tool = data.get("tool")
    candidates = [data.get("project"), tool.get("poetry") if isinstance(tool, dict) else None]
    tables = [t for t in candidates if isinstance(t, dict)]
    if not tables:
        raise _NotAPackage
    return next((n for n in (_clean_name(t.get("name")) for t in tables) if n), None)


def _setup_cfg_name(text: str) -> str | None:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except (configparser.Error, RecursionError) as exc:
        raise CrawlError(f"not a valid setup.cfg: {exc}") from None
    if not (parser.has_section("metadata") or parser.has_section("options")):
        raise _NotAPackage
    name = _clean_name(parser.get("metadata", "name", fallback=None))
    if name is None or name.startswith(("attr:", "file:")):
        return None  # computed when the package is built: not readable statically
    return name


def _setup_py_name(text: str) -> str | None:
    """``name="..."`` of a ``setup(...)`` call, when it is a literal string."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise CrawlError(f"not valid Python: {exc}") from None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if called != "setup":
            continue
        for keyword in node.keywords:
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                return _clean_name(keyword.value.value)
    return None


def _package_json_name(text: str) -> str | None:
    data: Any = load_json(text)
    if not isinstance(data, dict):
        raise _NotAPackage
    name = _clean_name(data.get("name"))
    if name is None and not any(isinstance(data.get(s), dict) for s in _NPM_DEPENDENCY_SECTIONS):
        raise _NotAPackage
    return name


_NAME_READERS = {
    "pyproject.toml": _pyproject_name,
    "setup.cfg": _setup_cfg_name,
    "setup.py": _setup_py_name,
    "package.json": _package_json_name,
}


def manifest_package(filename: str, data: bytes) -> tuple[bool, str | None]:
    """Whether the manifest *filename* with content *data* makes its folder a package,
    and the package's name when the manifest states it plainly.

    A manifest that cannot be decoded or parsed counts as a package without a name.
    """
    reader = _NAME_READERS.get(filename)
    if reader is None:
        return False, None
    try:
        return True, reader(decode_text(data))
    except _NotAPackage:
        return False, None
    except CrawlError:
        return True, None
    except Exception:  # the guard: a bug in reading a name must not end the scan
        log.debug("could not read the package name of a %s", filename, exc_info=True)
        return True, None


def find_packages(entries: Iterable[Entry], source: Source) -> dict[str, str | None]:
    """Package folders among the walked files (``.`` for the root) and their names.

    Each manifest is read through the walker, at most :data:`MANIFEST_MAX_BYTES`; a
    folder with several manifests takes the name of the first in
    :data:`PACKAGE_MANIFESTS` order that states one.
    """
    found: dict[str, dict[str, tuple[bool, str | None]]] = {}
    for entry in entries:
        pure = PurePosixPath(entry.path)
        if pure.name not in _NAME_READERS:
            continue
        try:
            data = source.read(entry, MANIFEST_MAX_BYTES)
        except ReadError:
            verdict: tuple[bool, str | None] = (True, None)
        else:
            verdict = manifest_package(pure.name, data)
        folder = display_text(str(pure.parent))
        found.setdefault(folder, {})[pure.name] = verdict
    packages: dict[str, str | None] = {}
    for folder, manifests in sorted(found.items()):
        ordered = [manifests[m] for m in PACKAGE_MANIFESTS if m in manifests]
        if any(is_package for is_package, _ in ordered):
            packages[folder] = next((name for is_package, name in ordered if name), None)
    return packages


# -- assignment -------------------------------------------------------------------------------


def _innermost(path: str, folders: frozenset[str]) -> str:
    """The innermost folder of *folders* that contains the file *path*; ``.`` if none."""
    for parent in PurePosixPath(path).parents:
        folder = str(parent)
        if folder in folders:
            return folder
    return ROOT


def _top_level(path: str) -> str:
    parts = PurePosixPath(path).parts
    return parts[0] if len(parts) > 1 else ROOT


class _Lineage:
    """The bases and datasets each component names, among the scan's components.

    The same edges as the license chain: a base model is a model or an adapter, a
    training dataset a dataset, matched by id (ecosystem-less Hub repositories).
    """

    def __init__(self, components: Sequence[Component]) -> None:
        self.by_identity: dict[tuple[Kind, str], Component] = {}
        for c in sorted(components, key=lambda c: c.key):
            if c.kind in (Kind.MODEL, Kind.ADAPTER, Kind.DATASET) and c.ecosystem is None:
                self.by_identity.setdefault((c.kind, c.id), c)

    def parents(self, component: Component) -> list[Component]:
        bases = [ref.id for ref in component.base_models]
        if not bases:
            bases = [v for k, v in component.properties if k == "base_model"]
        found = [
            self.by_identity.get((Kind.MODEL, b)) or self.by_identity.get((Kind.ADAPTER, b))
            for b in bases
        ]
        found.extend(self.by_identity.get((Kind.DATASET, d)) for d in component.datasets)
        return [p for p in found if p is not None]

    def closure(self, start: Iterable[Component]) -> dict[str, Component]:
        """*start* and everything it derives from, by bom-ref (cycles cut)."""
        seen: dict[str, Component] = {}
        stack = list(start)
        while stack:
            current = stack.pop()
            if current.bom_ref in seen:
                continue
            seen[current.bom_ref] = current
            stack.extend(self.parents(current))
        return seen


def build_groups(
    mode: GroupBy,
    components: Sequence[Component],
    paths: Iterable[str],
    packages: Mapping[str, str | None] | None = None,
) -> tuple[Group, ...]:
    """The groups of a scan: the root first, then by path.

    *paths* are the listed files (relative, as the model shows them); every group with a
    listed file is a group, with or without components. *packages* maps each package
    folder to its name (or None) for ``packages`` mode.
    """
    if mode is GroupBy.NONE:
        return ()
    packages = dict(packages or {})
    folders = frozenset(packages)

    def group_of(path: str) -> str:
        return _top_level(path) if mode is GroupBy.FOLDERS else _innermost(path, folders)

    present = {group_of(p) for p in paths}
    if mode is GroupBy.PACKAGES:
        present |= folders
    direct: dict[str, list[Component]] = {g: [] for g in present}
    for component in components:
        for group in sorted({group_of(ev.file) for ev in component.evidence}):
            direct.setdefault(group, []).append(component)
    lineage = _Lineage(components)
    groups = []
    for path in sorted(direct, key=lambda p: (p != ROOT, p)):
        members = lineage.closure(direct[path])
        name = packages.get(path) if mode is GroupBy.PACKAGES else None
        groups.append(
            Group(
                name=name or (path if path == ROOT else PurePosixPath(path).name),
                path=path,
                components=tuple(sorted(members)),
            )
        )
    return tuple(groups)


def group_components(
    mode: GroupBy,
    components: Sequence[Component],
    paths: Iterable[str],
    packages: Mapping[str, str | None],
) -> tuple[Group, ...]:
    """The groups of a scan from the listed paths and the package folders found in them."""
    if mode is GroupBy.NONE:
        return ()
    return build_groups(mode, components, (display_text(p) for p in paths), packages)


def group_verdict(group: Group, chain: ChainReport | None) -> Verdict | None:
    """The worst verdict of the group's components that govern the artifact (allowed
    when none does); None when the license chain was not computed."""
    if chain is None:
        return None
    members = set(group.components)
    return worst([v.verdict for v in chain.components if v.bom_ref in members and v.in_artifact])
