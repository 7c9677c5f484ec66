"""Invariants of the code base, checked statically.

Crawlers turn bytes into findings: they must not open files, start processes, load
pickles, construct YAML objects, import scanned code or talk to the network. The walker
is the only code that reads the scanned repository.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "modelbom"
CRAWLERS = sorted((SRC / "crawlers").glob("*.py"))

BANNED_IMPORTS_IN_CRAWLERS = {
    "pickle", "dill", "joblib", "torch", "subprocess", "socket", "tempfile", "importlib",
    "urllib.request", "http.client", "requests", "httpx", "shutil", "ctypes", "marshal",
    "runpy", "multiprocessing",
}  # fmt: skip
BANNED_CALLS_EVERYWHERE = {
    "pickle.load", "pickle.loads", "yaml.load", "yaml.load_all", "yaml.unsafe_load",
    "yaml.full_load", "torch.load", "eval", "exec", "marshal.loads", "os.system",
    "os.popen",
}  # fmt: skip
BANNED_CALLS_IN_CRAWLERS = {
    "open", "os.open", "os.read", "os.walk", "os.scandir", "os.listdir", "os.stat",
    "os.lstat", "io.open", "Path", "pathlib.Path", "compile", "__import__",
}  # fmt: skip


def dotted(node: ast.expr) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def calls_and_imports(path: Path) -> tuple[set[str], set[str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    called: set[str] = set()
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called.add(dotted(node.func))
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    return called, imported


@pytest.mark.parametrize("path", CRAWLERS, ids=lambda p: p.name)
def test_crawlers_never_touch_files_processes_or_the_network(path: Path) -> None:
    called, imported = calls_and_imports(path)
    assert not imported & BANNED_IMPORTS_IN_CRAWLERS
    assert not called & (BANNED_CALLS_IN_CRAWLERS | BANNED_CALLS_EVERYWHERE)


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_nothing_deserialises_or_evaluates_untrusted_input(path: Path) -> None:
    called, imported = calls_and_imports(path)
    assert not called & BANNED_CALLS_EVERYWHERE
    assert "pickle" not in imported


# Each output library is used by its emitter alone (the model stays format-neutral).
FORMAT_LIBRARIES = {"cyclonedx": "emit/cyclonedx.py", "spdx_python_model": "emit/spdx.py"}


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_each_format_library_is_imported_by_its_emitter_only(path: Path) -> None:
    _, imported = calls_and_imports(path)
    for library, owner in FORMAT_LIBRARIES.items():
        if any(name == library or name.startswith(f"{library}.") for name in imported):
            assert path.relative_to(SRC).as_posix() == owner, library


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import pickle\nfrom subprocess import run\nopen('x')\npickle.loads(b'')\n")
    called, imported = calls_and_imports(bad)
    assert imported & BANNED_IMPORTS_IN_CRAWLERS == {"pickle", "subprocess"}
    assert called & BANNED_CALLS_IN_CRAWLERS == {"open"}
    assert called & BANNED_CALLS_EVERYWHERE == {"pickle.loads"}
    other = tmp_path / "other.py"
    other.write_text("from spdx_python_model import v3_0_1 as spdx\n")
    assert "spdx_python_model" in calls_and_imports(other)[1]
