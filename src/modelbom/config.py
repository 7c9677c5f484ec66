"""Settings for the command line from a configuration file and the environment.

Precedence: a flag on the command line beats an environment variable, which beats the
configuration file. The file is ``modelbom.toml`` (top-level keys) or ``[tool.modelbom]``
in ``pyproject.toml`` of the scanned repository. Keys use the flags' names::

    [tool.modelbom]
    format = "cyclonedx-json"
    spec-version = "1.7"
    strict = true
    reproducible = true
    include-docs = false
    offline = false
    workers = 4
    no-git = false

A configuration file inside the scanned repository is untrusted: it can only choose how
the scan runs and renders, never where modelbom connects, which token it sends, where it
writes or what it reads outside the repository (no endpoints, tokens, outputs, cache or
Python environment). Those come from flags and the environment only:
``MODELBOM_FORMAT``, ``MODELBOM_SPEC_VERSION``, ``MODELBOM_STRICT``,
``MODELBOM_REPRODUCIBLE``, ``MODELBOM_INCLUDE_DOCS``, ``MODELBOM_OFFLINE``,
``MODELBOM_REFRESH``, ``MODELBOM_WORKERS``, ``MODELBOM_CRAWL_WORKERS``,
``MODELBOM_NO_GIT``, ``MODELBOM_POLICY``, ``MODELBOM_PYTHON_ENV`` (``MODELBOM_CACHE_DIR``
is read by the cache itself). How many processes modelbom starts is the machine's
business, not the repository's: ``crawl-workers`` is not a file setting.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelbom.errors import UsageError
from modelbom.model.text import display_text

# key in the file (flag name) -> argparse destination
FILE_KEYS: dict[str, str] = {
    "format": "format",
    "spec-version": "spec_version",
    "strict": "strict",
    "reproducible": "reproducible",
    "include-docs": "include_docs",
    "offline": "offline",
    "workers": "workers",
    "no-git": "no_git",
}
# environment variable -> argparse destination
ENV_KEYS: dict[str, str] = {
    "MODELBOM_FORMAT": "format",
    "MODELBOM_SPEC_VERSION": "spec_version",
    "MODELBOM_STRICT": "strict",
    "MODELBOM_REPRODUCIBLE": "reproducible",
    "MODELBOM_INCLUDE_DOCS": "include_docs",
    "MODELBOM_OFFLINE": "offline",
    "MODELBOM_REFRESH": "refresh",
    "MODELBOM_WORKERS": "workers",
    "MODELBOM_CRAWL_WORKERS": "crawl_workers",
    "MODELBOM_NO_GIT": "no_git",
    "MODELBOM_POLICY": "policy",
    "MODELBOM_PYTHON_ENV": "python_env",
}
_BOOLEAN = frozenset({"strict", "reproducible", "include_docs", "offline", "refresh", "no_git"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
# Keys of [tool.modelbom] that belong to the policy, read elsewhere.
_POLICY_KEYS = frozenset({"use", "policy", "waivers"})


def _convert(dest: str, value: object, where: str) -> object:
    if dest in _BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise UsageError(f"{where}: expected true or false, got {value!r}")
    if dest in ("workers", "crawl_workers"):
        try:
            number = int(str(value))
        except ValueError:
            raise UsageError(f"{where}: expected a number, got {value!r}") from None
        low = 0 if dest == "crawl_workers" else 1
        if not low <= number <= 64:
            raise UsageError(f"{where}: must be between {low} and 64")
        return number
    if dest in ("policy", "python_env"):
        return Path(str(value))
    if not isinstance(value, str):
        raise UsageError(f"{where}: expected a string, got {value!r}")
    return value


def repository_table(root: Path) -> tuple[Path, Mapping[str, Any]] | None:
    """The scanned repository's modelbom table and the file it is in: ``modelbom.toml``
    (top level), else ``[tool.modelbom]`` of ``pyproject.toml``; None when neither has one.
    The one place both the settings and the policy are read from."""
    source = root / "modelbom.toml"
    try:
        if source.is_file():
            with source.open("rb") as handle:
                return source, tomllib.load(handle)
        source = root / "pyproject.toml"
        if source.is_file():
            with source.open("rb") as handle:
                section = tomllib.load(handle).get("tool", {}).get("modelbom")
            return (source, section) if isinstance(section, dict) else None
    except OSError as exc:
        shown = display_text(str(source))
        raise UsageError(f"{shown}: cannot read the configuration: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise UsageError(f"{display_text(str(source))}: not valid TOML: {exc}") from None
    return None


def file_settings(root: Path) -> dict[str, object]:
    """Settings from the scanned repository's ``modelbom.toml`` or ``[tool.modelbom]``."""
    found = repository_table(root)
    if found is None:
        return {}
    source, table = found
    shown = display_text(str(source))
    out: dict[str, object] = {}
    for key, value in table.items():
        if key in _POLICY_KEYS:
            continue
        dest = FILE_KEYS.get(key)
        if dest is None:
            allowed = ", ".join(sorted(FILE_KEYS))
            raise UsageError(
                f"{shown}: {key}: not a setting a repository may choose (allowed: {allowed}; "
                "endpoints, tokens, outputs, the cache and --python-env come from flags or "
                "the environment only)"
            )
        out[dest] = _convert(dest, value, f"{shown}: {key}")
    return out


def env_settings(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """Settings from ``MODELBOM_*`` environment variables."""
    environ = os.environ if environ is None else environ
    return {
        dest: _convert(dest, environ[name], name)
        for name, dest in sorted(ENV_KEYS.items())
        if name in environ
    }
