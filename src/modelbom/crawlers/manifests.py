"""Library manifests: the Python and npm packages a repository declares or locks.

Findings are of kind ``library`` only: a package named ``transformers`` or ``bert`` in a
manifest is a library, never a model. Each finding carries the ecosystem (``pypi`` or
``npm``), the version when it is pinned exactly (lock files always), and the properties
``dependency_scope`` (runtime, development or optional) and ``manifest`` (the kind of
file), plus ``specifier``, ``group``, ``extras``, ``marker``, ``source`` (a URL without
its credentials), ``license``, ``peer`` or ``alias`` where they apply.

When findings are emitted: manifests whose meaning is complete on their own
(``pyproject.toml``, ``Pipfile``, the lock files, ``package.json``) are reported by
:meth:`ManifestsCrawler.crawl`. Requirements files are parsed in ``crawl`` but reported
by :meth:`ManifestsCrawler.finish`, once, after every file is seen: the ``-r``/``-c``
includes between them decide which files are reported at all and with which scope.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

from modelbom.crawlers.base import Crawler, CrawlError, FileInput, scope_of_path
from modelbom.crawlers.lines import LineIndex
from modelbom.crawlers.manifests_npm import parse_package_json, parse_package_lock
from modelbom.crawlers.manifests_python import (
    DEVELOPMENT,
    RUNTIME,
    Dep,
    decode_text,
    parse_pipfile,
    parse_pipfile_lock,
    parse_poetry_lock,
    parse_pyproject,
    parse_requirements_file,
    parse_uv_lock,
    requirement_dep,
)
from modelbom.model import Evidence, Finding, Kind, Scope

_PARSERS: dict[str, Callable[[str], list[Dep]]] = {
    "pyproject.toml": parse_pyproject,
    "poetry.lock": parse_poetry_lock,
    "uv.lock": parse_uv_lock,
    "Pipfile": parse_pipfile,
    "Pipfile.lock": parse_pipfile_lock,
    "package.json": parse_package_json,
    "package-lock.json": parse_package_lock,
    "npm-shrinkwrap.json": parse_package_lock,
}

# Words in a requirements file's name (or its folder's) that mark development tooling.
_DEV_WORDS = frozenset(
    {
        "dev", "devel", "develop", "development", "test", "tests", "testing", "lint",
        "linting", "docs", "doc", "documentation", "ci", "typing",
    }
)  # fmt: skip
# ``.in`` files that are build templates, not pip-tools inputs.
_NOT_PIP_TOOLS = frozenset(
    {
        "manifest", "makefile", "gnumakefile", "doxyfile", "configure", "config", "setup",
        "version", "meson_options", "cmakelists", "pkg-info",
    }
)  # fmt: skip
_SKIP_DIRS = frozenset({"node_modules"})


def _requirements_role(path: PurePosixPath) -> str | None:
    """``"primary"`` for a file named as a requirements file, ``"secondary"`` for a text
    file that may be one when another includes it, ``None`` otherwise."""
    name = path.name.lower()
    suffix = path.suffix.lower()
    if suffix not in (".txt", ".in"):
        return None
    parent = path.parent.name.lower()
    if "requirements" in name or "constraint" in name or parent == "requirements":
        return "primary"
    if suffix == ".in":
        stem = name[: -len(".in")]
        return "generic-in" if stem and "." not in stem and stem not in _NOT_PIP_TOOLS else None
    if "req" in name:
        return "secondary"
    return None


def _words(text: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", text.lower()))


def _says_development(path: str) -> bool:
    """Whether the file name, or the folder it is in, names development tooling (or the
    file lives among tests or documentation)."""
    pure = PurePosixPath(path)
    stem = pure.name.rsplit(".", 1)[0]
    if scope_of_path(pure) in (Scope.TEST, Scope.DOCS):
        return True
    return bool(_words(stem) & _DEV_WORDS or _words(pure.parent.name) & _DEV_WORDS)


def _standalone(path: str) -> bool:
    """A file whose own name says it is a requirements file; its scope is its own."""
    name = PurePosixPath(path).name.lower()
    return "requirements" in name or "constraint" in name


def resolve_include(including: str, target: str) -> str | None:
    """The root-relative path an ``-r``/``-c`` *target* names, or ``None`` when it is a URL,
    absolute, uses variables or leaves the scanned root."""
    if "://" in target or target.startswith(("/", "~")) or "$" in target or "\\" in target:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(including), target))
    if joined in (".", "..") or joined.startswith(("../", "/")):
        return None
    return joined


def _config_scope(path: PurePosixPath) -> Scope:
    scope = scope_of_path(path)
    return Scope.CONFIG if scope is Scope.CODE else scope


def _findings(deps: Iterable[Dep], text: str, path: str, crawler: str) -> list[Finding]:
    index = LineIndex(text)
    scope = _config_scope(PurePosixPath(path))
    out: list[Finding] = []
    for dep in deps:
        line, column = index.position(dep.offset)
        properties = dict(dep.properties)
        properties["dependency_scope"] = dep.scope
        properties["manifest"] = dep.manifest
        out.append(
            Finding(
                kind=Kind.LIBRARY,
                id=dep.name,
                version=dep.version,
                ecosystem=dep.ecosystem,
                properties=properties,
                evidence=Evidence(
                    file=path,
                    line=line,
                    column=column,
                    snippet=index.line_text(line),
                    crawler=crawler,
                    confidence=1.0,
                    scope=scope,
                ),
            )
        )
    return sorted(out, key=Finding.sort_key)


class ManifestsCrawler(Crawler):
    """Python and npm package manifests and lock files (kind ``library``)."""

    name = "manifests"
    version = "1"
    max_bytes = 32 * 1024 * 1024  # lock files of large monorepos

    def wants(self, path: PurePosixPath, size: int) -> bool:
        """Known manifest names, and text files that are or may be requirements files."""
        if any(part in _SKIP_DIRS for part in path.parts):
            return False
        return path.name in _PARSERS or _requirements_role(path) is not None

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Report a manifest's dependencies; requirements files are noted for ``finish``.

        The note of a requirements file: whether it is named as one (``primary``), the
        targets of its ``-r``/``-c`` includes, and its findings as if it were a runtime
        file (``finish`` decides which files are reported, and with which scope).
        """
        pure = file.pure_path
        parser = _PARSERS.get(pure.name)
        if parser is not None:
            text = decode_text(file.data)
            return _findings(parser(text), text, file.path, self.name)
        role = _requirements_role(pure)
        if role is None:
            return []
        parsed = parse_requirements_file(decode_text(file.data))
        if role == "generic-in" and (parsed.invalid_lines or not parsed.requirements):
            return []  # an ``.in`` template that is not a pip-tools input
        if (
            role == "primary"
            and parsed.invalid_lines
            and not parsed.requirements
            and not parsed.includes
        ):
            raise CrawlError(
                f"not a requirements file: {parsed.invalid_lines} line(s) are not requirements"
            )
        name = pure.name.lower()
        manifest = "constraints" if "constraint" in name else "requirements"
        deps = [
            requirement_dep(req, scope=RUNTIME, manifest=manifest) for req in parsed.requirements
        ]
        found = _findings(deps, parsed.text, file.path, self.name)
        self.note(
            file.path,
            {
                "primary": role != "secondary",
                "includes": [target for _, target in parsed.includes],
                "findings": [f.model_dump(mode="json") for f in found],
            },
        )
        return []

    def finish(self) -> Iterable[Finding]:
        """Report every requirements file reachable from one named as such.

        Includes are followed only among files this crawler has seen, inside the scanned
        root. A file whose own name does not say it is a requirements file (such as
        ``requirements/base.txt``) takes the development scope when every file including
        it is a development one; files named for development tooling are development;
        the rest are runtime.
        """
        seen = {path: note for path, note in self.notes() if "primary" in note}
        children: dict[str, set[str]] = {path: set() for path in seen}
        parents: dict[str, set[str]] = {path: set() for path in seen}
        for path, note in seen.items():
            for target in note["includes"]:
                resolved = resolve_include(path, target)
                if resolved is not None and resolved in seen and resolved != path:
                    children[path].add(resolved)
                    parents[resolved].add(path)
        # Reported: files named as requirements files and what they include (visited set).
        reported: set[str] = set()
        stack = sorted(p for p, note in seen.items() if note["primary"])
        while stack:
            path = stack.pop()
            if path not in reported:
                reported.add(path)
                stack.extend(sorted(children[path] - reported))
        development = self._development(reported, children, parents)
        findings: list[Finding] = []
        for path in sorted(reported):
            for data in seen[path]["findings"]:
                if path in development:
                    properties = {**data["properties"], "dependency_scope": DEVELOPMENT}
                    data = {**data, "properties": properties}
                findings.append(Finding.model_validate(data))
        return findings

    @staticmethod
    def _development(
        reported: set[str], children: dict[str, set[str]], parents: dict[str, set[str]]
    ) -> set[str]:
        """Files of development scope: named so, or included only by such files."""
        development = {p for p in reported if _says_development(p)}
        # Files that inherit: not standalone, and included by at least one reported file.
        waiting = {
            p: len(parents[p] & reported)
            for p in reported
            if p not in development and not _standalone(p) and parents[p] & reported
        }
        queue = sorted(development)
        while queue:
            path = queue.pop()
            for child in sorted(children[path] & waiting.keys()):
                if child in development:
                    continue
                waiting[child] -= 1
                if waiting[child] == 0:
                    development.add(child)
                    queue.append(child)
        return development
