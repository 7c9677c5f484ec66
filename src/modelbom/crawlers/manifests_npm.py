"""npm manifests: ``package.json`` and ``package-lock.json`` / ``npm-shrinkwrap.json``.

Package names are reported as written, scope included (``@org/name``). Git and tarball
URLs lose their credentials (:func:`modelbom.redact.redact_url`) before they become a
``source`` property.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from modelbom.crawlers.base import CrawlError
from modelbom.crawlers.manifests_python import (
    DEVELOPMENT,
    OPTIONAL,
    RUNTIME,
    Dep,
    json_key_offsets,
    load_json,
)
from modelbom.redact import redact_url

_SECTIONS = (
    ("dependencies", RUNTIME),
    ("devDependencies", DEVELOPMENT),
    ("optionalDependencies", OPTIONAL),
    ("peerDependencies", RUNTIME),
)
_NPM_NAME = re.compile(r"^(?:@[A-Za-z0-9][\w.~\-]*/)?[A-Za-z0-9_][\w.~\-]*$")
_EXACT = re.compile(r"^[=v]*(\d+\.\d+\.\d+(?:-[0-9A-Za-z.\-]+)?(?:\+[0-9A-Za-z.\-]+)?)$")
_LOCAL_PROTOCOLS = ("workspace:", "file:", "link:", "portal:", "patch:")
_REMOTE_PREFIXES = (
    "git+", "git:", "git@", "http://", "https://", "github:", "gitlab:", "bitbucket:", "gist:",
)  # fmt: skip
_GITHUB_SHORTHAND = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+(?:#\S*)?$")
_MAX_V1_DEPTH = 64
_MAX_V1_ENTRIES = 500_000


def _classify(spec: str) -> tuple[str | None, dict[str, str]]:
    """``(version, properties)`` of an npm version specification."""
    text = spec.strip()
    if text.startswith(_LOCAL_PROTOCOLS):
        return None, {"source": text}
    if text.startswith(_REMOTE_PREFIXES):
        return None, {"source": redact_url(text)}
    if _GITHUB_SHORTHAND.match(text):
        return None, {"source": f"github:{text}"}
    exact = _EXACT.match(text)
    if exact:
        return exact.group(1), {}
    if text in ("", "*"):
        return None, {}
    return None, {"specifier": " ".join(text.split())}


def _alias(name: str, spec: str) -> tuple[str, str, dict[str, str]]:
    """``"foo": "npm:bar@^1"`` installs ``bar`` under the name ``foo``."""
    if not spec.startswith("npm:"):
        return name, spec, {}
    target = spec[len("npm:") :]
    at = target.find("@", 1)
    real, rest = (target, "") if at < 0 else (target[:at], target[at + 1 :])
    if not _NPM_NAME.match(real):
        return name, spec, {}
    return real, rest, {"alias": name}


def parse_package_json(text: str) -> list[Dep]:
    """Dependencies declared in a ``package.json``."""
    data = load_json(text)
    if not isinstance(data, dict):
        raise CrawlError("package.json is not a JSON object")
    wanted = {s for s, _ in _SECTIONS}
    offsets = json_key_offsets(text, lambda parent: len(parent) == 1 and parent[0] in wanted)
    deps: list[Dep] = []
    for section, scope in _SECTIONS:
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        for key, spec in table.items():
            if not isinstance(spec, str) or not _NPM_NAME.match(key):
                continue
            name, rest, props = _alias(key, spec)
            version, more = _classify(rest)
            props.update(more)
            if section == "peerDependencies":
                props["peer"] = "true"
            deps.append(
                Dep(
                    name=name,
                    ecosystem="npm",
                    offset=offsets.get((section, key), 0),
                    scope=scope,
                    manifest="package-json",
                    version=version,
                    properties=tuple(sorted(props.items())),
                )
            )
    return deps


def _license(entry: dict[str, Any]) -> str | None:
    value = entry.get("license")
    if isinstance(value, dict):
        value = value.get("type")
    return value.strip() or None if isinstance(value, str) else None


def _lock_scope(entry: dict[str, Any]) -> str:
    if entry.get("dev") is True or entry.get("devOptional") is True:
        return DEVELOPMENT
    if entry.get("optional") is True:
        return OPTIONAL
    return RUNTIME


def parse_package_lock(text: str) -> list[Dep]:
    """Locked packages in a ``package-lock.json`` (lockfileVersion 1, 2 or 3)."""
    data = load_json(text)
    if not isinstance(data, dict):
        raise CrawlError("package-lock.json is not a JSON object")
    packages = data.get("packages")
    if isinstance(packages, dict):
        return list(_packages_map(text, packages))
    dependencies = data.get("dependencies")
    if isinstance(dependencies, dict):
        return _dependencies_tree(text, dependencies)
    return []


# In lockfileVersion 2 and 3 only the keys of the ``packages`` map look like this: a string
# followed by a colon is always a key, and the v1-style ``dependencies`` section of a v2
# lock uses bare names. One regex pass is much faster than a full walk of a large lock.
_PACKAGE_KEY = re.compile(r'"(node_modules/(?:[^"\\]|\\.)*)"\s*:')


def _package_key_offsets(text: str) -> dict[tuple[str, ...], int]:
    offsets: dict[tuple[str, ...], int] = {}
    for match in _PACKAGE_KEY.finditer(text):
        raw = match.group(1)
        try:
            key = json.loads(f'"{raw}"') if "\\" in raw else raw
        except ValueError:
            continue  # not a key after all (a match inside some escaped string)
        offsets.setdefault(("packages", key), match.start(1))
    return offsets


def _packages_map(text: str, packages: dict[str, Any]) -> Iterator[Dep]:
    """lockfileVersion 2 and 3: ``"node_modules/a/node_modules/@s/b": {...}``."""
    offsets = _package_key_offsets(text)
    for key, entry in packages.items():
        if not key or not isinstance(entry, dict) or "node_modules/" not in key:
            continue  # "" is the project itself; "packages/x" a workspace folder
        if entry.get("link") is True:
            continue  # a symlink to a workspace package
        name = key.rsplit("node_modules/", 1)[1]
        props: dict[str, str] = {}
        real = entry.get("name")
        if isinstance(real, str) and real != name and _NPM_NAME.match(real):
            props["alias"] = name
            name = real
        if not _NPM_NAME.match(name):
            continue
        version = entry.get("version")
        license_ = _license(entry)
        if license_:
            props["license"] = license_
        if entry.get("peer") is True:
            props["peer"] = "true"
        found = offsets.get(("packages", key))
        yield Dep(
            name=name,
            ecosystem="npm",
            # The line of the key; the column of its last "node_modules/" segment.
            offset=0 if found is None else found + key.rfind("node_modules/") + 13,
            scope=_lock_scope(entry),
            manifest="package-lock",
            version=version if isinstance(version, str) else None,
            properties=tuple(sorted(props.items())),
        )


def _v1_parent(parent: tuple[str, ...]) -> bool:
    return len(parent) % 2 == 1 and all(
        parent[i] == "dependencies" for i in range(0, len(parent), 2)
    )


def _dependencies_tree(text: str, dependencies: dict[str, Any]) -> list[Dep]:
    """lockfileVersion 1: nested ``dependencies`` maps, walked iteratively and bounded."""
    offsets = json_key_offsets(text, _v1_parent)
    deps: list[Dep] = []
    stack: list[tuple[tuple[str, ...], dict[str, Any], int]] = [
        (("dependencies",), dependencies, 1)
    ]
    while stack and len(deps) < _MAX_V1_ENTRIES:
        path, table, depth = stack.pop()
        for name, entry in table.items():
            if not isinstance(entry, dict) or not _NPM_NAME.match(name):
                continue
            props: dict[str, str] = {}
            raw = entry.get("version")
            version: str | None = None
            reported = name
            if isinstance(raw, str) and raw.startswith("npm:"):
                reported, rest, props = _alias(name, raw)
                version = rest or None
            elif isinstance(raw, str):
                version, props = _classify(raw)
            license_ = _license(entry)
            if license_:
                props["license"] = license_
            deps.append(
                Dep(
                    name=reported,
                    ecosystem="npm",
                    offset=offsets.get((*path, name), 0),
                    scope=_lock_scope(entry),
                    manifest="package-lock",
                    version=version,
                    properties=tuple(sorted(props.items())),
                )
            )
            nested = entry.get("dependencies")
            if isinstance(nested, dict) and depth < _MAX_V1_DEPTH:
                stack.append(((*path, name, "dependencies"), nested, depth + 1))
    return deps
