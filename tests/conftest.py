"""Test isolation: no test reads or writes the user's caches or sends their tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelbom.config import ENV_KEYS
from tests.audit import AuditLog, install

_SECRET_VARS = (
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "HF_TOKEN_PATH",
    "HF_OIDC_RESOURCE",
    "CIVITAI_API_TOKEN",
    "HF_HUB_CACHE",
    "HF_HUB_OFFLINE",
)
_NOWHERE = "http://127.0.0.1:9"


def _isolate(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*_SECRET_VARS, *ENV_KEYS):  # tokens, and a developer's own settings
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MODELBOM_CACHE_DIR", str(home / "modelbom-cache"))
    monkeypatch.setenv("HF_HOME", str(home / "hf-home"))
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("XDG_CACHE_HOME", str(Path(home) / "xdg-cache"))
    # A test that forgets --offline or a fake server fails at once, on this machine:
    # port 9 (discard) on the loopback address refuses connections.
    for name in ("HF_ENDPOINT", "CIVITAI_API_BASE", "MODELBOM_PYPI_URL", "MODELBOM_NPM_REGISTRY"):
        monkeypatch.setenv(name, _NOWHERE)


@pytest.fixture(scope="session", autouse=True)
def _isolated_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Isolation for session- and module-scoped fixtures, which run before any test's."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _isolate(tmp_path_factory.mktemp("session-env"), monkeypatch)
        yield


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """A fresh cache and HF home for every test."""
    _isolate(tmp_path_factory.mktemp("env"), monkeypatch)
    yield


@pytest.fixture(scope="session")
def audit() -> AuditLog:
    """The process's audit hook (PEP 578), added once: ``with audit.recording(): ...``."""
    return install()
