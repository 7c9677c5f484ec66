"""Library licenses: an installed Python environment, the PyPI JSON API, an npm registry.

* :class:`InstalledPackagesResolver` (``python-env``) reads the metadata of the
  distributions installed in a virtual environment or site-packages directory
  (``--python-env PATH``): ``*.dist-info/METADATA`` and ``*.egg-info/PKG-INFO``. Files
  are read through :func:`~modelbom.walk.reader.read_path` (bounded, never through a
  symlink) and only their headers are parsed; nothing from that environment is imported
  or run.
* :class:`PyPIResolver` (``pypi``) asks ``GET {index}/pypi/{name}[/{version}]/json``.
* :class:`NpmResolver` (``npm``) asks ``GET {registry}/{name}`` (scoped names as
  ``@scope%2Fname``) and reads the license of the version asked for.

For Python the license is taken, in this order, from the PEP 639 ``License-Expression``,
else a short ``License`` field (a whole license text pasted there is skipped), else the
``License ::`` classifiers, mapped to SPDX ids by a small table. For npm, from the
version's ``license`` (a string, or the legacy ``{type, url}`` object or ``licenses``
array), else the package's. Each license becomes one claim, normalised by the shared
license normaliser (classifiers by the table here).

Remote answers are cached per name and version; offline, only the cache answers.
"""

from __future__ import annotations

import email.parser
import email.policy
import logging
import os
import re
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from modelbom.model import Component, Kind, LicenseClaim
from modelbom.redact import redact_url
from modelbom.resolvers.base import ResolveContext, Resolved, Resolver, ResolverError
from modelbom.resolvers.http import (
    HttpNotFound,
    JsonClient,
    cached_lookup,
    clean_text,
    license_terms,
)
from modelbom.resolvers.ratelimit import RateLimiter
from modelbom.walk.reader import ReadError, read_path

__all__ = [
    "InstalledPackagesResolver",
    "NpmResolver",
    "PyPIResolver",
    "classifier_license",
    "normalize_pypi_name",
]

log = logging.getLogger("modelbom.resolvers.packages")

METADATA_LIMIT = 1024 * 1024
_MAX_DISTRIBUTIONS = 50_000
_LICENSE_FIELD_MAX = 100
_MAX_EXPRESSION = 2000

_PYPI_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,198}[A-Za-z0-9])?$")
_PYPI_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!+._-]{0,99}$")
_NPM_NAME = re.compile(r"^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$", re.IGNORECASE)
_NPM_VERSION = re.compile(r"^v?[0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z.+-]{1,80})?$")
_NOT_A_LICENSE = frozenset({"", "unknown", "none", "null", "n/a", "undefined"})

# ``License ::`` trove classifiers and the SPDX id each one names. ``None``: the
# classifier does not name one license (which BSD? which GPL version?), so the claim
# goes to review instead of guessing.
_CLASSIFIERS: dict[str, str | None] = {
    "OSI Approved :: MIT License": "MIT",
    "OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "OSI Approved :: Apache Software License": "Apache-2.0",
    "OSI Approved :: BSD License": None,
    "OSI Approved :: ISC License (ISCL)": "ISC",
    "OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
    "OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "OSI Approved :: GNU General Public License (GPL)": None,
    "OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "OSI Approved :: GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "OSI Approved :: GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": (
        "LGPL-2.0-or-later"
    ),
    "OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": (
        "LGPL-3.0-or-later"
    ),
    "OSI Approved :: GNU Library or Lesser General Public License (LGPL)": None,
    "OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": (
        "AGPL-3.0-or-later"
    ),
    "OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "OSI Approved :: Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)": "EPL-1.0",
    "OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
    "OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
    "OSI Approved :: Universal Permissive License (UPL)": "UPL-1.0",
    "OSI Approved :: zlib/libpng License": "Zlib",
    "OSI Approved :: Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "OSI Approved :: Artistic License": None,
    "OSI Approved :: Academic Free License (AFL)": None,
    "OSI Approved :: Zope Public License": None,
    "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
    "Public Domain": None,
    "Other/Proprietary License": None,
    "Freeware": None,
    "Freely Distributable": None,
}


def normalize_pypi_name(name: str) -> str:
    """The PEP 503 normal form of a Python distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def classifier_license(classifier: str) -> tuple[bool, str | None]:
    """Whether *classifier* names a license, and its SPDX id where it names exactly one."""
    text = " ".join(classifier.split())
    if not text.startswith("License :: "):
        return False, None
    rest = text[len("License :: ") :]
    if rest == "OSI Approved":
        return False, None  # says nothing about which license
    return True, _CLASSIFIERS.get(rest)


@dataclass(frozen=True, slots=True)
class Declared:
    """One license statement as a package declares it."""

    raw: str
    origin: str  # License-Expression, License, Classifier, license, licenses
    spdx: str | None = None  # known SPDX id (classifier table)
    ambiguous: bool = False  # a classifier that names no single license
    link: str | None = None


def _claim(declared: Declared, source: str, location: str, fetched_at: str | None) -> LicenseClaim:
    if declared.spdx is not None:
        expression: str | None = declared.spdx
        review = False
    elif declared.ambiguous:
        expression, review = None, True
    else:
        expression, review = license_terms(declared.raw, link=declared.link)
    return LicenseClaim(
        raw=declared.raw,
        link=declared.link,
        expression=expression,
        source=source,
        location=location,
        fetched_at=fetched_at,
        needs_review=review,
    )


def _short_license(value: str | None) -> str | None:
    """A ``License`` field worth using: not empty, not UNKNOWN, not a whole license text."""
    if value is None:
        return None
    text = value.strip()
    if text.lower() in _NOT_A_LICENSE or len(text) > _LICENSE_FIELD_MAX or "\n" in text:
        return None
    return text


def python_licenses(
    expression: str | None, license_field: str | None, classifiers: list[str]
) -> list[Declared]:
    """The license statements of Python metadata, in the order of precedence."""
    text = (expression or "").strip()
    if text and text.lower() not in _NOT_A_LICENSE and len(text) <= _MAX_EXPRESSION:
        return [Declared(raw=" ".join(text.split()), origin="License-Expression")]
    short = _short_license(license_field)
    if short is not None:
        return [Declared(raw=short, origin="License")]
    found: list[Declared] = []
    for classifier in sorted(set(classifiers)):
        is_license, spdx = classifier_license(classifier)
        if is_license:
            raw = " ".join(classifier.split())
            found.append(Declared(raw=raw, origin="Classifier", spdx=spdx, ambiguous=spdx is None))
    return found


# -- installed environment -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Installed:
    """One installed distribution."""

    name: str
    version: str
    location: str  # the metadata file, relative to the environment
    licenses: tuple[Declared, ...]


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _entries(directory: Path) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as it:
            yield from it
    except OSError as exc:
        log.debug("cannot list %s: %s", directory, exc.strerror)


def site_packages_dirs(env: Path) -> list[Path]:
    """The site-packages directories of a virtualenv, or *env* itself if it is one.

    Symlinked directories inside the environment (``lib64 -> lib``) are not followed.
    """
    if any(
        e.name.endswith((".dist-info", ".egg-info")) for e in _entries(env) if not e.is_symlink()
    ):
        return [env]
    found: list[Path] = []
    for lib in ("lib", "lib64"):
        if not _is_dir(env / lib):
            continue
        for entry in sorted(_entries(env / lib), key=lambda e: e.name):
            if entry.name.startswith("python3") and entry.is_dir(follow_symlinks=False):
                candidate = Path(entry.path) / "site-packages"
                if _is_dir(candidate):
                    found.append(candidate)
    windows = env / "Lib" / "site-packages"
    if _is_dir(env / "Lib") and _is_dir(windows) and windows not in found:
        found.append(windows)
    return found


def _metadata_files(site: Path) -> Iterator[Path]:
    for entry in sorted(_entries(site), key=lambda e: e.name):
        if entry.is_symlink():
            continue
        if entry.name.endswith(".dist-info") and entry.is_dir(follow_symlinks=False):
            yield Path(entry.path) / "METADATA"
        elif entry.name.endswith(".egg-info"):
            if entry.is_dir(follow_symlinks=False):
                yield Path(entry.path) / "PKG-INFO"
            elif entry.is_file(follow_symlinks=False):
                yield Path(entry.path)  # a single-file egg-info (distutils)


def read_metadata(path: Path) -> tuple[str, str, list[Declared]] | None:
    """Name, version and licenses from a METADATA / PKG-INFO file (headers only)."""
    try:
        data = read_path(path, METADATA_LIMIT, prefix=True)
    except ReadError as exc:
        log.debug("skipping %s: %s", path.name, exc)
        return None
    text = data.decode("utf-8", "replace")
    headers = email.parser.Parser(policy=email.policy.compat32).parsestr(text, headersonly=True)
    name = headers.get("Name")
    version = headers.get("Version")
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    classifiers = [str(c) for c in headers.get_all("Classifier") or []]
    expression = headers.get("License-Expression")
    license_field = headers.get("License")
    declared = python_licenses(
        str(expression) if expression is not None else None,
        str(license_field) if license_field is not None else None,
        classifiers,
    )
    return name.strip(), version.strip(), declared


class InstalledPackagesResolver(Resolver):
    """Licenses of PyPI libraries from the metadata installed in a Python environment."""

    name = "python-env"
    requires_network = False

    def __init__(self, env_path: Path) -> None:
        self.env_path = Path(env_path)
        self._lock = threading.Lock()
        self._index: dict[str, list[Installed]] | None = None

    def prepare(self, context: ResolveContext) -> None:
        """Read the environment's metadata once, before the workers start."""
        self.index()

    def index(self) -> dict[str, list[Installed]]:
        """Installed distributions by normalised name (read once, thread-safe)."""
        with self._lock:
            if self._index is None:
                self._index = self._build_index()
            return self._index

    def _build_index(self) -> dict[str, list[Installed]]:
        root = self.env_path.resolve()
        index: dict[str, list[Installed]] = {}
        count = 0
        for site in site_packages_dirs(root):
            for path in _metadata_files(site):
                count += 1
                if count > _MAX_DISTRIBUTIONS:
                    log.warning("python-env: more than %d distributions; rest skipped", count)
                    return index
                parsed = read_metadata(path)
                if parsed is None:
                    continue
                name, version, declared = parsed
                location = path.relative_to(root).as_posix()
                index.setdefault(normalize_pypi_name(name), []).append(
                    Installed(name, version, location, tuple(declared))
                )
        return index

    def resolve(self, component: Component) -> Resolved | None:
        """The installed distribution's license, when its version is the component's."""
        if component.kind is not Kind.LIBRARY or component.ecosystem != "pypi":
            return None
        candidates = self.index().get(normalize_pypi_name(component.id), [])
        if component.version:
            wanted = component.version.strip().lower().removeprefix("v")
            candidates = [c for c in candidates if c.version.lower() == wanted]
        if not candidates:
            return None
        dist = candidates[0]
        if not dist.licenses:
            return None
        props = {"python:license_from": dist.licenses[0].origin}
        if not component.version:
            props["python:installed_version"] = ",".join(sorted({c.version for c in candidates}))
        claims = tuple(_claim(d, self.name, dist.location, None) for d in dist.licenses)
        return Resolved(source=self.name, licenses=claims, properties=tuple(sorted(props.items())))


# -- remote registries ---------------------------------------------------------------------


class _RemoteResolver(Resolver):
    """The client and cache rules shared by the registry resolvers."""

    url_variable: ClassVar[str]  # the environment variable that points elsewhere
    default_url: ClassVar[str]
    label: ClassVar[str]
    default_max_bytes: ClassVar[int]

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = 10.0,
        max_bytes: int | None = None,
        max_retries: int = 3,
        backoff: float = 1.0,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._context = ResolveContext()
        url = base_url or os.environ.get(self.url_variable) or self.default_url
        self.client = JsonClient(
            url,
            label=self.label,
            timeout=timeout,
            max_bytes=max_bytes if max_bytes is not None else self.default_max_bytes,
            max_retries=max_retries,
            backoff=backoff,
            limiter=limiter if limiter is not None else RateLimiter(rate=10.0, burst=10),
        )

    def prepare(self, context: ResolveContext) -> None:
        """Keep the scan's context (offline mode, cache, clock)."""
        self._context = context

    def _facts(
        self, payload: dict[str, Any], fetched_at: str, cached: bool, props: dict[str, str]
    ) -> Resolved | None:
        declared = [
            Declared(
                raw=str(item["raw"]),
                origin=str(item["origin"]),
                spdx=item.get("spdx"),
                ambiguous=bool(item.get("ambiguous")),
                link=item.get("link"),
            )
            for item in payload.get("licenses", [])
        ]
        if not declared:
            return None
        location = str(payload["url"])
        claims = tuple(_claim(d, self.name, location, fetched_at) for d in declared)
        return Resolved(
            source=f"{self.name} (cache)" if cached else self.name,
            licenses=claims,
            properties=tuple(sorted(props.items())),
            fetched_at=fetched_at,
        )


def _declared_payload(declared: list[Declared]) -> list[dict[str, Any]]:
    return [
        {
            "raw": d.raw,
            "origin": d.origin,
            "spdx": d.spdx,
            "ambiguous": d.ambiguous,
            "link": d.link,
        }
        for d in declared
    ]


class PyPIResolver(_RemoteResolver):
    """Licenses of PyPI libraries from the PyPI JSON API."""

    name = "pypi"
    requires_network = True
    url_variable = "MODELBOM_PYPI_URL"
    default_url = "https://pypi.org"
    label = "PyPI"
    default_max_bytes = 16 * 1024 * 1024

    def resolve(self, component: Component) -> Resolved | None:
        """The license PyPI records for the library (at its version, when pinned)."""
        if component.kind is not Kind.LIBRARY or component.ecosystem != "pypi":
            return None
        if not _PYPI_NAME.match(component.id):
            return None
        name = normalize_pypi_name(component.id)
        version = component.version
        if version is not None and not _PYPI_VERSION.match(version):
            version = None
        path = ("pypi", name, version, "json") if version else ("pypi", name, "json")
        url = redact_url(self.client.url(*path))

        def fetch() -> dict[str, Any]:
            try:
                data = self.client.get_json(*path)
            except HttpNotFound:
                return {"found": False}
            return _pypi_payload(data, url)

        answer = cached_lookup(self._context, self.name, f"{name}@{version or ''}", fetch)
        if answer is None or not answer.payload.get("found"):
            return None
        props: dict[str, str] = {}
        if answer.payload.get("version") and not component.version:
            props["pypi:version"] = str(answer.payload["version"])
        if answer.payload.get("origin"):
            props["pypi:license_from"] = str(answer.payload["origin"])
        return self._facts(answer.payload, answer.fetched_at, answer.cached, props)


def _pypi_payload(data: object, url: str) -> dict[str, Any]:
    info = data.get("info") if isinstance(data, dict) else None
    if not isinstance(info, dict):
        raise ResolverError("PyPI: unexpected answer (no info)")
    raw_classifiers = info.get("classifiers")
    classifiers = [
        c
        for c in (raw_classifiers if isinstance(raw_classifiers, list) else [])
        if isinstance(c, str)
    ]
    expression = info.get("license_expression")
    license_field = info.get("license")
    declared = python_licenses(
        expression if isinstance(expression, str) else None,
        license_field if isinstance(license_field, str) else None,
        classifiers,
    )
    return {
        "found": True,
        "name": clean_text(info.get("name"), 200),
        "version": clean_text(info.get("version"), 100),
        "url": url,
        "origin": declared[0].origin if declared else None,
        "licenses": _declared_payload(_cleaned(declared)),
    }


def _cleaned(declared: list[Declared]) -> list[Declared]:
    """Remote strings made safe to carry (one line, redacted, clipped)."""
    out: list[Declared] = []
    for d in declared:
        raw = clean_text(d.raw, 500)
        if raw:
            link = clean_text(d.link, 500) if d.link else None
            out.append(Declared(raw, d.origin, d.spdx, d.ambiguous, link))
    return out


class NpmResolver(_RemoteResolver):
    """Licenses of npm libraries from an npm registry."""

    name = "npm"
    requires_network = True
    url_variable = "MODELBOM_NPM_REGISTRY"
    default_url = "https://registry.npmjs.org"
    label = "npm registry"
    # Whole package documents of popular packages exceed 5 MiB, and the registry has no
    # per-version endpoint for scoped packages.
    default_max_bytes = 32 * 1024 * 1024

    def resolve(self, component: Component) -> Resolved | None:
        """The license of the package version (or of the package) in the registry."""
        if component.kind is not Kind.LIBRARY or component.ecosystem != "npm":
            return None
        name = component.id
        if len(name) > 214 or not _NPM_NAME.match(name):
            return None
        version = component.version
        if version is not None and not _NPM_VERSION.match(version):
            version = None  # a range, a tag or a URL: not one version
        version = version.removeprefix("v") if version else None
        url = redact_url(self.client.url(name))

        def fetch() -> dict[str, Any]:
            try:
                data = self.client.get_json(name)
            except HttpNotFound:
                return {"found": False}
            return _npm_payload(data, version, url)

        answer = cached_lookup(self._context, self.name, f"{name}@{version or ''}", fetch)
        if answer is None or not answer.payload.get("found"):
            return None
        payload = answer.payload
        props: dict[str, str] = {}
        if payload.get("version") and not version:
            props["npm:version"] = str(payload["version"])
        if payload.get("origin"):
            props["npm:license_from"] = str(payload["origin"])
        return self._facts(payload, answer.fetched_at, answer.cached, props)


def npm_licenses(manifest: object) -> list[Declared]:
    """The license statements of a package.json-like object (modern and legacy forms)."""
    if not isinstance(manifest, dict):
        return []
    found: list[Declared] = []
    for key in ("license", "licenses"):
        value = manifest.get(key)
        items = value if isinstance(value, list) else [value]
        for item in items[:20]:
            if isinstance(item, str) and item.strip():
                found.append(Declared(raw=item.strip(), origin=key))
            elif isinstance(item, dict) and isinstance(item.get("type"), str):
                link = item.get("url")
                found.append(
                    Declared(
                        raw=item["type"].strip(),
                        origin=key,
                        link=link if isinstance(link, str) else None,
                    )
                )
        if found:
            return found
    return found


def _npm_payload(data: object, version: str | None, url: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ResolverError("npm registry: unexpected answer")
    versions = data.get("versions")
    versions = versions if isinstance(versions, dict) else {}
    chosen = version
    if chosen is None:
        tags = data.get("dist-tags")
        latest = tags.get("latest") if isinstance(tags, dict) else None
        chosen = latest if isinstance(latest, str) else None
    manifest = versions.get(chosen) if chosen else None
    if version is not None and manifest is None:
        return {"found": False}  # that version was never published (or was removed)
    declared = npm_licenses(manifest)
    origin = "version"
    if not declared:
        declared = npm_licenses(data)
        origin = "package"
    return {
        "found": True,
        "version": clean_text(chosen, 100) if chosen else None,
        "url": url,
        "origin": origin if declared else None,
        "licenses": _declared_payload(_cleaned(declared)),
    }
