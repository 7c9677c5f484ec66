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
    group-by = "packages"

A configuration file inside the scanned repository is untrusted: it can only choose how
the scan runs and renders, never where modelbom connects, which token it sends, where it
writes, what it reads outside the repository or which revision is scanned (no
endpoints, tokens, outputs, cache, Python environment or ``--rev``). A file named with
``--config FILE`` (or ``MODELBOM_CONFIG``) is the user's own: it may set every flag
(``output`` as a list of ``FORMAT=FILE``, ``cache-dir``, ``python-env``, ``policy``,
``refresh``, ``quiet``, ``verbose`` too; paths are relative to the file), and when it is
given the repository's settings are not read. Endpoints and tokens are environment
variables only, whatever the file; ``--rev`` is a flag only. The variables:
``MODELBOM_FORMAT``, ``MODELBOM_SPEC_VERSION``, ``MODELBOM_STRICT``,
``MODELBOM_REPRODUCIBLE``, ``MODELBOM_INCLUDE_DOCS``, ``MODELBOM_OFFLINE``,
``MODELBOM_REFRESH``, ``MODELBOM_WORKERS``, ``MODELBOM_CRAWL_WORKERS``,
``MODELBOM_TIMEOUT``, ``MODELBOM_NO_GIT``, ``MODELBOM_GROUP_BY``, ``MODELBOM_POLICY``,
``MODELBOM_PYTHON_ENV``, ``MODELBOM_CONFIG`` (``MODELBOM_CACHE_DIR`` is read by the cache
itself). The network timeout is not a repository's to choose either, nor how many
processes modelbom starts (``crawl-workers`` is not a repository setting). For a scan of
a git revision (``--rev``) the repository's file is read from that revision, not from
the disk.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelbom.errors import UsageError
from modelbom.model.text import display_text
from modelbom.options import GroupBy

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
    "group-by": "group_by",
}
# keys only a file the user names with --config may set (it is trusted: the user's own)
TRUSTED_KEYS: dict[str, str] = {
    "output": "output",
    "cache-dir": "cache_dir",
    "python-env": "python_env",
    "policy": "policy",
    "refresh": "refresh",
    "quiet": "quiet",
    "verbose": "verbose",
    "timeout": "timeout",
    "crawl-workers": "crawl_workers",
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
    "MODELBOM_TIMEOUT": "timeout",
    "MODELBOM_CRAWL_WORKERS": "crawl_workers",
    "MODELBOM_NO_GIT": "no_git",
    "MODELBOM_GROUP_BY": "group_by",
    "MODELBOM_POLICY": "policy",
    "MODELBOM_PYTHON_ENV": "python_env",
}
_BOOLEAN = frozenset(
    {"strict", "reproducible", "include_docs", "offline", "refresh", "no_git", "quiet"}
)
_PATHS = frozenset({"policy", "python_env", "cache_dir"})
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
    if dest == "timeout":
        try:
            seconds = float(str(value))
        except ValueError:
            raise UsageError(f"{where}: expected a number of seconds, got {value!r}") from None
        if not 0.1 <= seconds <= 600:
            raise UsageError(f"{where}: must be between 0.1 and 600 seconds")
        return seconds
    if dest == "verbose":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2:
            raise UsageError(f"{where}: expected 0, 1 or 2, got {value!r}")
        return value
    if dest == "output":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UsageError(f"{where}: expected a list of FORMAT=FILE strings, got {value!r}")
        return list(value)
    if dest in _PATHS:
        if not isinstance(value, str):
            raise UsageError(f"{where}: expected a path, got {value!r}")
        return Path(value)
    if dest == "group_by":
        choices = [g.value for g in GroupBy]
        if value not in choices:
            raise UsageError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")
        return GroupBy(value)
    if not isinstance(value, str):
        raise UsageError(f"{where}: expected a string, got {value!r}")
    return value


# The files a repository's configuration may be in, in order; and how much of one is read
# from a revision.
_CONFIG_FILES = ("modelbom.toml", "pyproject.toml")
_CONFIG_LIMIT = 4 * 1024 * 1024


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


def revision_table(root: Path, rev: str) -> tuple[str, Mapping[str, Any]] | None:
    """Like :func:`repository_table`, as the files were at git revision *rev*; the first
    item names the file as ``<revision>:<path>``. Reads through the walker (nothing is
    checked out); :class:`UsageError` when the revision cannot be read."""
    from modelbom.walk import read_revision_files

    files = read_revision_files(root, rev, _CONFIG_FILES, _CONFIG_LIMIT)
    for name in _CONFIG_FILES:
        file = files.get(name)
        if file is None:
            continue
        shown = display_text(file.label)
        try:
            table = tomllib.loads(file.data.decode("utf-8"))
        except UnicodeDecodeError:
            raise UsageError(f"{shown}: not valid TOML: not UTF-8 text") from None
        except (tomllib.TOMLDecodeError, RecursionError) as exc:
            raise UsageError(f"{shown}: not valid TOML: {exc}") from None
        if name == "modelbom.toml":
            return file.label, table
        tool = table.get("tool")
        section = tool.get("modelbom") if isinstance(tool, dict) else None
        return (file.label, section) if isinstance(section, dict) else None
    return None


def file_settings(root: Path, *, rev: str | None = None) -> dict[str, object]:
    """Settings from the scanned repository's ``modelbom.toml`` or ``[tool.modelbom]``
    (as it was at git revision *rev*, when one is given)."""
    found = repository_table(root) if rev is None else revision_table(root, rev)
    if found is None:
        return {}
    source, table = found
    return _table_settings(
        table,
        FILE_KEYS,
        display_text(str(source)),
        "not a setting a repository may choose (allowed: {allowed}; endpoints, tokens, "
        "outputs, the cache, --python-env and --rev come from the command line or the "
        "environment only)",
    )


def _table_settings(
    table: Mapping[str, Any], keys: Mapping[str, str], shown: str, refusal: str
) -> dict[str, object]:
    """The settings of *table* (its policy keys left out), by argparse destination; a key
    not in *keys* is a usage error saying *refusal* (``{allowed}`` lists the keys)."""
    out: dict[str, object] = {}
    for key, value in table.items():
        if key in _POLICY_KEYS:
            continue
        dest = keys.get(key)
        if dest is None:
            allowed = ", ".join(sorted(keys))
            raise UsageError(f"{shown}: {key}: " + refusal.format(allowed=allowed))
        out[dest] = _convert(dest, value, f"{shown}: {key}")
    return out


def _relative_to(base: Path, dest: str, value: object) -> object:
    """Paths in the user's own file are relative to the file's folder (``-`` is stdout)."""
    if isinstance(value, Path) and not value.is_absolute():
        return base / value
    if dest == "output" and isinstance(value, list):
        out: list[str] = []
        for item in value:
            fmt, sep, target = item.rpartition("=")
            if target != "-" and not Path(target).is_absolute():
                target = str(base / target)
            out.append(f"{fmt}{sep}{target}")
        return out
    return value


def explicit_settings(path: Path) -> dict[str, object]:
    """Every setting of a configuration file the user names with ``--config``.

    ``path`` is a ``modelbom.toml`` (top-level keys) or a ``pyproject.toml`` whose
    ``[tool.modelbom]`` table holds them; the policy keys in it are left to the policy.
    """
    shown = display_text(str(path))
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise UsageError(f"--config {shown}: cannot read it: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise UsageError(f"--config {shown}: not valid TOML: {exc}") from None
    table: object = document
    if path.name == "pyproject.toml":
        table = document.get("tool", {}).get("modelbom", {})
    if not isinstance(table, dict):
        raise UsageError(f"--config {shown}: [tool.modelbom] is not a table")
    settings = _table_settings(
        table,
        {**FILE_KEYS, **TRUSTED_KEYS},
        shown,
        "not a setting (allowed: {allowed}; endpoints and tokens come from the environment only)",
    )
    return {dest: _relative_to(path.parent, dest, v) for dest, v in settings.items()}


def env_settings(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """Settings from ``MODELBOM_*`` environment variables."""
    environ = os.environ if environ is None else environ
    return {
        dest: _convert(dest, environ[name], name)
        for name, dest in sorted(ENV_KEYS.items())
        if name in environ
    }
