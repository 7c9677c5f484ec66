"""The adversarial input set: every item of the hostile-input checklist, with its variants.

Each test id is ``item<N>-<variant>``, N being the row of the checklist in
``docs/security.md``. Static inputs live in ``fixtures/hostile/item<N>-*/`` (binary ones
written by ``scripts/make_hostile_fixtures.py``); what git cannot hold (FIFOs, sockets,
mode-000 files, symlink loops, sparse 50 GiB files, deep trees, names that are not
UTF-8, a malicious ``.git/config``) is built here in temporary folders. The last tests
scan the whole set at once, in process, under an audit hook (PEP 578), and assert that
nothing was unpickled, executed, imported from the repository, started inside it or sent
over the network, and that planted canary secrets reach no output, log or cache.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import shutil
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

import git
import pytest
from _pytest.mark.structures import ParameterSet

from modelbom.cli import main
from modelbom.crawlers import Crawler, FileInput, default_crawlers
from modelbom.emit import EmitOptions, OutputFormat, emitter_for
from modelbom.engine import scan
from modelbom.model import Finding, Kind, ScanResult
from modelbom.options import ScanOptions
from tests.audit import NETWORK, AuditLog, code_file, inside
from tests.fakehub import FakeHub
from tests.support import FIXTURES, REPO

HOSTILE = FIXTURES / "hostile"
COVERED: set[int] = set()  # checklist items with at least one test id below
_NOBODY = 65534
_CONTROL_OR_BIDI = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def item(
    number: int, variant: str, *values: object, marks: pytest.MarkDecorator | None = None
) -> ParameterSet:
    """One test id, ``item<number>-<variant>``; *values* are the test's parameters."""
    COVERED.add(number)
    return pytest.param(*(values or (variant,)), id=f"item{number}-{variant}", marks=marks or ())


# ------------------------------------------------------------------------------ helpers


def copy_item(name: str, dest: Path) -> Path:
    """fixtures/hostile/<name> copied to dest/<name> (outside any git work tree)."""
    target = dest / name
    shutil.copytree(HOSTILE / name, target, symlinks=True)
    return target


def scan_offline(root: Path, **options: Any) -> ScanResult:
    return scan(ScanOptions(root=root, offline=True, **options))


def unknowns(result: ScanResult) -> dict[str, str]:
    return {u.file: u.reason for u in result.unknowns}


def model_files(result: ScanResult) -> dict[str, dict[str, str]]:
    """Model-file components by path, with their properties."""
    return {c.id: dict(c.properties) for c in result.components if c.kind is Kind.MODEL_FILE}


def component_ids(result: ScanResult) -> set[str]:
    return {c.id for c in result.components}


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def reference(model: str) -> str:
    """A Python file that loads *model* from the Hub."""
    return f'from transformers import AutoModel\n\nmodel = AutoModel.from_pretrained("{model}")\n'


def walk_files(root: Path) -> Iterator[os.DirEntry[str]]:
    """The regular files under *root*, found iteratively (``rglob`` recurses, and the whole
    set holds a tree 1,200 levels deep); unreadable folders are passed over."""
    stack = [os.fspath(root)]
    while stack:
        try:
            with os.scandir(stack.pop()) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    yield entry
            except OSError:
                continue


def pwned(root: Path) -> list[str]:
    """Files the fixtures create when something executes them (see their source)."""
    return sorted(e.path for e in walk_files(root) if e.name.startswith("PWNED"))


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., tuple[int, str]]]:
    """Run ``modelbom`` in process: ``code, stderr = cli("scan", ...)``.

    ``main`` takes over the ``modelbom`` logger (its own handler, no propagation); it
    is handed back afterwards so later tests' ``caplog`` still sees the records.
    """
    logger = logging.getLogger("modelbom")
    saved = (list(logger.handlers), logger.level, logger.propagate)

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(list(args))
        return code, capsys.readouterr().err

    try:
        yield run
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved


def output_args(out: Path) -> list[str]:
    """``-o FORMAT=FILE`` for every output format modelbom has."""
    args: list[str] = []
    for fmt in OutputFormat:
        args += ["-o", f"{fmt.value}={out / f'out.{fmt.value}'}"]
    return args


def read_outputs(out: Path) -> dict[str, str]:
    """Every output file written by :func:`output_args`, decoded (so valid UTF-8)."""
    texts = {p.name: p.read_bytes().decode("utf-8") for p in sorted(out.glob("out.*"))}
    assert len(texts) == len(OutputFormat), sorted(texts)
    for name, text in texts.items():
        if name.endswith(("json", "sarif")):
            json.loads(text)
    return texts


def run_threaded(target: Callable[[], ScanResult], timeout: float = 60) -> ScanResult:
    """Run a scan in a thread so that a hang fails the test instead of blocking it."""
    holder: list[ScanResult] = []
    errors: list[BaseException] = []

    def body() -> None:
        try:
            holder.append(target())
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=body, daemon=True)
    worker.start()
    worker.join(timeout)
    assert not worker.is_alive(), "the scan hung"
    if errors:
        raise errors[0]
    return holder[0]


# --------------------------------------------------------- 1-6: the file system fights back


@pytest.mark.parametrize(
    "variant",
    [item(1, "directory-cycle"), item(1, "link-to-own-parent"), item(1, "file-link-loop")],
)
def test_symlink_cycles_terminate_and_each_directory_is_read_once(
    variant: str, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    write(root / "a" / "train.py", reference("acme/cycle-model"))
    write(root / "b" / "serve.py", reference("acme/cycle-model"))
    if variant == "directory-cycle":
        (root / "a" / "to_b").symlink_to("../b", target_is_directory=True)
        (root / "b" / "to_a").symlink_to("../a", target_is_directory=True)
        expected = {"a/to_b": "symlink cycle", "b/to_a": "symlink cycle"}
    elif variant == "link-to-own-parent":
        (root / "a" / "again").symlink_to(".", target_is_directory=True)
        (root / "b" / "up").symlink_to("..", target_is_directory=True)
        expected = {"a/again": "symlink cycle", "b/up": "symlink cycle"}
    else:
        (root / "ping.py").symlink_to("pong.py")
        (root / "pong.py").symlink_to("ping.py")
        expected = {"ping.py": "symlink cycle", "pong.py": "symlink cycle"}
    result = run_threaded(lambda: scan_offline(root))
    assert unknowns(result) == expected
    assert all(u.stage.value == "walk" for u in result.unknowns)
    assert result.stats.files_listed == 2  # each real file once
    (component,) = result.components
    assert [e.file for e in component.evidence] == ["a/train.py", "b/serve.py"]


@pytest.mark.parametrize(
    "variant",
    [item(2, "file-to-outside"), item(2, "directory-to-outside"), item(2, "absolute-etc-passwd")],
)
def test_links_out_of_the_root_are_never_opened(
    variant: str, tmp_path: Path, audit: AuditLog
) -> None:
    outside = tmp_path / "home"
    secret = write(outside / ".ssh" / "id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n")
    pickle_outside = write(outside / "evil.bin", b"\x80\x02cposix\nsystem\nX\x01\x00\x00\x00xR.")
    root = tmp_path / "repo"
    write(root / "app.py", reference("acme/inside"))
    if variant == "file-to-outside":
        (root / "pytorch_model.bin").symlink_to(pickle_outside)
        link, target = "pytorch_model.bin", pickle_outside
    elif variant == "directory-to-outside":
        (root / "keys").symlink_to("../home/.ssh", target_is_directory=True)
        link, target = "keys", secret
    else:
        (root / "model.bin").symlink_to("/etc/passwd")
        link, target = "model.bin", Path("/etc/passwd")
    with audit.recording():
        result = scan_offline(root)
    assert unknowns(result) == {link: "symlink target outside scan root"}
    assert component_ids(result) == {"acme/inside"}
    opened = {os.path.realpath(o.path) for o in audit.opened()}
    assert str(target.resolve()) not in opened
    assert not any(inside(path, outside) for path in opened)


@pytest.mark.parametrize("variant", [item(3, "dangling"), item(3, "chain-of-45-links")])
def test_dangling_links_and_long_chains_are_unknowns(variant: str, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(root / "app.py", reference("acme/still-found"))
    if variant == "dangling":
        (root / "model.safetensors").symlink_to("weights/gone.safetensors")
        expected = {"model.safetensors": "dangling symlink"}
    else:
        write(root / "real.py", reference("acme/chained"))
        previous = "real.py"
        for number in range(1, 46):
            (root / f"link{number:02d}.py").symlink_to(previous)
            previous = f"link{number:02d}.py"
        expected = {f"link{n:02d}.py": "symlink chain too deep" for n in range(41, 46)}
    result = scan_offline(root)
    assert unknowns(result) == expected
    assert "acme/still-found" in component_ids(result)


def _make_special(kind: str, path: Path) -> socket.socket | None:
    if kind == "fifo":
        os.mkfifo(path)
        return None
    if kind == "socket":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(os.fspath(path))
        sock.listen(1)
        return sock
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # what /dev/null is
    except OSError as exc:
        pytest.skip(f"cannot make a device node here: {exc.strerror}")
    return None


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        item(4, "fifo", "fifo", "not a regular file (fifo)"),
        item(4, "socket", "socket", "not a regular file (socket)"),
        item(4, "device", "device", "not a regular file (device)"),
    ],
)
def test_special_files_named_like_models_are_never_opened(
    kind: str, reason: str, tmp_path: Path, audit: AuditLog
) -> None:
    root = tmp_path / "repo"
    write(root / "app.py", reference("acme/next-to-a-pipe"))
    special = root / "model.safetensors"
    held = _make_special(kind, special)
    try:
        with audit.recording():
            result = run_threaded(lambda: scan_offline(root), timeout=60)
    finally:
        if held is not None:
            held.close()
    assert unknowns(result) == {"model.safetensors": reason}
    assert component_ids(result) == {"acme/next-to-a-pipe"}
    assert str(special) not in {o.path for o in audit.opened()}  # lstat only


class _Saboteur:
    """A progress observer that runs *action* when the engine reports file number *victim*."""

    def __init__(self, victim: int, action: Callable[[], None]) -> None:
        self.victim = victim
        self.action = action

    def files(self, done: int, total: int) -> None:
        if done == self.victim:
            self.action()

    def components(self, done: int, total: int) -> None:
        """Nothing."""

    def finish(self) -> None:
        """Nothing."""


@pytest.mark.parametrize(
    ("variant", "reason"),
    [
        item(6, "deleted", "deleted", "file disappeared during the scan"),
        item(6, "replaced-by-fifo", "replaced-by-fifo", "not a regular file"),
        item(6, "replaced-by-symlink", "replaced-by-symlink", "symlink appeared during the scan"),
    ],
)
def test_files_that_change_between_walk_and_read(variant: str, reason: str, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(root / "a_first.py", reference("acme/first"))
    victim = write(root / "b_model.safetensors", b"\x00" * 16)
    write(root / "c_last.py", reference("acme/last"))
    outside = write(tmp_path / "outside.safetensors", b"\x00" * 16)

    def sabotage() -> None:
        victim.unlink()
        if variant == "replaced-by-fifo":
            os.mkfifo(victim)
        elif variant == "replaced-by-symlink":
            victim.symlink_to(outside)

    # Every crawler is asked whether it wants each file before any file is read: a
    # crawler asked about the last file changes the second one before it is read.
    class Saboteur(Crawler):
        name = "saboteur"

        def wants(self, path: PurePosixPath, size: int) -> bool:
            if path.name == "c_last.py" and victim.is_file() and not victim.is_symlink():
                sabotage()
            return False

        def crawl(self, file: FileInput) -> list[Finding]:
            return []

    crawlers = [*default_crawlers(), Saboteur()]
    result = run_threaded(
        lambda: scan(ScanOptions(root=root, offline=True, crawl_workers=1), crawlers=crawlers)
    )
    assert unknowns(result) == {"b_model.safetensors": reason}
    assert [(u.stage.value) for u in result.unknowns] == ["read"]
    assert component_ids(result) == {"acme/first", "acme/last"}


@pytest.mark.parametrize("variant", [item(7, "skipped-directories")])
def test_vendored_and_tool_directories_are_not_scanned(variant: str, tmp_path: Path) -> None:
    """The 100,000-file figures are the benchmark's (scripts/bench.py); this is the rule."""
    root = tmp_path / "repo"
    write(root / "app.py", reference("acme/app-model"))
    deep = root / "node_modules" / "/".join(f"dep{i}/node_modules" for i in range(30))
    write(deep / "index.js", 'pipeline("text-generation", "acme/from-node-modules")\n')
    for skipped in (".git", ".venv", "venv", "__pycache__", ".tox", "site-packages"):
        write(root / skipped / "x" / "load.py", reference(f"acme/from-{skipped.strip('.')}"))
    seen: list[tuple[int, int]] = []

    class Recorder(_Saboteur):
        def files(self, done: int, total: int) -> None:
            seen.append((done, total))

    result = scan(ScanOptions(root=root, offline=True), progress=Recorder(0, lambda: None))
    assert component_ids(result) == {"acme/app-model"}
    assert result.stats.files_listed == 1
    assert seen[-1] == (1, 1)  # progress counts only the one listed file
    assert {total for _, total in seen} == {1}


@pytest.mark.parametrize("variant", [item(8, "depth-1200"), item(8, "longer-than-path-max")])
def test_deep_trees_and_long_paths(variant: str, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(root / "top.py", reference("acme/top"))
    name = "d" if variant == "depth-1200" else "n" * 200
    depth = 1200 if variant == "depth-1200" else 30
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
        leaf = os.open("leaf.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, reference("acme/leaf").encode())
        os.close(leaf)
    finally:
        os.close(fd)
    try:
        result = scan_offline(root)
        if variant == "depth-1200":
            assert component_ids(result) == {"acme/top", "acme/leaf"}
            assert not result.unknowns
        else:
            assert component_ids(result) == {"acme/top"}
            assert list(unknowns(result).values()) == ["file name too long"]
    finally:
        _remove_deep(root, name, depth)


def _remove_deep(root: Path, name: str, depth: int) -> None:
    """Take a deep tree down bottom-up (rmtree recurses, and pytest cleans with it)."""
    fds = [os.open(root, os.O_RDONLY | os.O_DIRECTORY)]
    for _ in range(depth):
        fds.append(os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1]))
    os.unlink("leaf.py", dir_fd=fds[-1])
    for level in range(depth, 0, -1):
        os.close(fds[level])
        os.rmdir(name, dir_fd=fds[level - 1])
    os.close(fds[0])


_NAMES = {
    "invalid-utf8": b"weights\xff\xfe",
    "newline": b"model\nmodelbom: could not parse nothing",
    "control-characters": b"esc\x1b[2J\x1b]0;title\x07bell",
    "rtl-override": "report\u202egnp.safetensors".encode(),
    "ci-command": b"::error file=app.py::forged",
}


@pytest.mark.parametrize("variant", [item(9, variant) for variant in _NAMES])
def test_hostile_file_names_are_escaped_in_every_output(
    variant: str, tmp_path: Path, cli: Callable[..., tuple[int, str]]
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    stem = _NAMES[variant]
    broken = os.fsencode(root) + b"/" + stem + b".safetensors"
    with open(broken, "wb") as handle:  # a lying header: listed as an Unknown
        handle.write(struct.pack("<Q", 0))
    code_file_name = os.fsencode(root) + b"/" + stem + b".py"
    with open(code_file_name, "wb") as handle:  # a reference: listed as evidence
        handle.write(reference("acme/named-model").encode())
    out = tmp_path / "out"
    out.mkdir()
    code, stderr = cli("scan", str(root), "--offline", "--include-docs", *output_args(out))
    assert code == 0, stderr
    texts = read_outputs(out)
    for name, text in {**texts, "stderr": stderr}.items():
        assert not _CONTROL_OR_BIDI.search(text.replace("\n", "").replace("\t", "")), name
    # The name is there, escaped: in the findings and in the one summary line about it.
    findings = json.loads(texts["out.findings-json"])
    files = {f["file"] for f in findings["findings"]} | {u["file"] for u in findings["unknowns"]}
    assert len(files) == 2
    assert all(not _CONTROL_OR_BIDI.search(f) for f in files)
    (line,) = [line for line in stderr.splitlines() if "could not parse" in line]
    assert line.endswith(": weights: declared header length 0")


@pytest.mark.parametrize(
    "variant", [item(10, "sparse-50gib-header-read"), item(10, "sparse-50gib-lying-header")]
)
def test_a_50_gib_sparse_model_costs_its_header_only(variant: str, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    path = root / "model.safetensors"
    if variant == "sparse-50gib-header-read":
        header = json.dumps(
            {
                "__metadata__": {"format": "pt"},
                "w": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 8]},
            }
        ).encode()
    else:
        header = b'{"__metadata__": {"format": "pt"}'  # declares 90 MB, holds 33 bytes
    with path.open("wb") as handle:
        declared = len(header) if variant == "sparse-50gib-header-read" else 90_000_000
        handle.write(struct.pack("<Q", declared) + header)
        handle.truncate(50 * 1024**3)
    if path.stat().st_blocks * 512 > 1024 * 1024:
        pytest.skip("this file system does not make sparse files")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = scan_offline(root)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert elapsed < 30
    if variant == "sparse-50gib-header-read":
        assert model_files(result)["model.safetensors"]["tensor_count"] == "1"
        assert peak < 32 * 1024 * 1024  # the 64 KiB first read, and the scan's own data
        assert not result.unknowns
    else:
        assert unknowns(result) == {
            "model.safetensors": "weights: header larger than the 16 MiB read cap "
            "(90000000 bytes declared)"
        }
        assert peak < 80 * 1024 * 1024  # the 16 MiB cap, copied a few times at most
    # No hash of the whole file is ever computed: the BOM carries none.
    bom = json.loads(emitter_for(OutputFormat.CYCLONEDX_JSON).emit(result, EmitOptions()))
    assert all("hashes" not in component for component in bom.get("components", []))


# ------------------------------------------------------------- 11-19: model files that lie


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        item(11, "zero-byte-safetensors", "empty.safetensors", "safetensors"),
        item(11, "truncated-safetensors", "cut.safetensors", "safetensors"),
        item(11, "truncated-gguf", "cut.gguf", "gguf"),
        item(11, "zero-byte-pytorch-bin", "pytorch_model.bin", "pytorch"),
    ],
)
def test_zero_byte_and_truncated_model_files_are_still_listed(
    name: str, fmt: str, tmp_path: Path
) -> None:
    result = scan_offline(copy_item("item11-truncated", tmp_path))
    props = model_files(result)[name]
    assert props["format"] == fmt  # guessed from the name
    assert props["header"] == "truncated"


@pytest.fixture(scope="module")
def static_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScanResult]:
    """Each static fixture folder of items 12-19, scanned once (offline)."""
    base = tmp_path_factory.mktemp("hostile-static")
    results: dict[str, ScanResult] = {}
    for folder in sorted(HOSTILE.glob("item1[2-9]-*")):
        results[folder.name.split("-", 1)[0]] = scan_offline(copy_item(folder.name, base))
    return results


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        item(12, "length-zero", "zero.safetensors", "declared header length 0"),
        item(
            12,
            "length-2-to-the-63",
            "two-to-the-63.safetensors",
            "declared header length 9223372036854775808 exceeds the 100,000,000-byte limit",
        ),
        item(
            12,
            "length-beyond-the-file",
            "beyond-the-file.safetensors",
            "declared header length 4096 exceeds the file size (27 bytes)",
        ),
        item(
            12,
            "length-over-100mib",
            "over-100mib.safetensors",
            "declared header length 209715200 exceeds the 100,000,000-byte limit",
        ),
    ],
)
def test_safetensors_header_lengths_are_checked_before_reading(
    name: str, reason: str, static_results: dict[str, ScanResult]
) -> None:
    assert unknowns(static_results["item12"])[name] == f"weights: {reason}"


def test_a_huge_declared_length_allocates_nothing(tmp_path: Path) -> None:
    root = copy_item("item12-safetensors-length", tmp_path)
    tracemalloc.start()
    try:
        scan(ScanOptions(root=root, offline=True, analyse=False), resolvers=[])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        item(13, "invalid-json", "invalid.safetensors", "weights: invalid header JSON: "),
        item(
            13, "not-an-object", "not-an-object.safetensors", "weights: header is not a JSON object"
        ),
        item(
            13, "nested-100k-deep", "deep.safetensors", "weights: header JSON is nested too deeply"
        ),
    ],
)
def test_safetensors_header_json_that_is_not_a_header(
    name: str, expected: str, static_results: dict[str, ScanResult]
) -> None:
    assert unknowns(static_results["item13"])[name].startswith(expected)


@pytest.mark.parametrize("variant", [item(13, "duplicate-keys"), item(13, "60-kb-metadata-value")])
def test_safetensors_metadata_is_deterministic_and_clipped(
    variant: str, static_results: dict[str, ScanResult]
) -> None:
    files = model_files(static_results["item13"])
    if variant == "duplicate-keys":
        assert files["duplicate-keys.safetensors"]["framework"] == "tf"  # the last one wins
    else:
        title = files["long-metadata.safetensors"]["modelspec.title"]
        assert len(title) == 200 and title.endswith("\u2026")


@pytest.mark.parametrize("variant", [item(13, "50-mb-metadata-string")])
def test_a_header_larger_than_the_read_cap_is_an_unknown(variant: str, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    header = json.dumps({"__metadata__": {"notes": "x" * 50_000_000}}).encode()
    write(root / "model.safetensors", struct.pack("<Q", len(header)) + header)
    result = scan_offline(root)
    assert unknowns(result) == {
        "model.safetensors": "weights: header larger than the 16 MiB read cap "
        f"({len(header)} bytes declared)"
    }


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        item(14, "bad-magic", "bad-magic.gguf", "bad GGUF magic"),
        item(14, "unknown-version", "unknown-version.gguf", "unsupported GGUF version 99"),
        item(
            14,
            "kv-count-2-to-the-64",
            "kv-count-max.gguf",
            "key/value count 18446744073709551615 exceeds the 100,000 limit",
        ),
        item(
            14,
            "string-beyond-eof",
            "string-beyond-eof.gguf",
            "truncated header: string runs past the end of the file",
        ),
        item(14, "nested-arrays", "nested-arrays.gguf", "GGUF arrays nested deeper than 2"),
        item(
            14,
            "array-length-2-to-the-64",
            "array-count-huge.gguf",
            "array length 18446744073709551615 exceeds the 100,000,000 limit",
        ),
    ],
)
def test_gguf_headers_are_bound_checked(
    name: str, reason: str, static_results: dict[str, ScanResult]
) -> None:
    assert unknowns(static_results["item14"])[name] == f"weights: {reason}"


PICKLE_RISK = "pickle: loading this file can execute arbitrary code"


def assert_reported_as_pickle(props: dict[str, str], fmt: str, dangerous: str) -> None:
    """The reporting of checklist item 15: risk, static globals, never a safe verdict."""
    assert props["format"] == fmt
    assert props["risk"] == PICKLE_RISK
    assert dangerous in props["pickle_globals"].split(",")
    assert dangerous in props["risk_globals"].split(",")
    assert not {"safe", "clean", "scanned: safe"} & {v.lower() for v in props.values()}


@pytest.mark.parametrize(
    ("name", "fmt", "dangerous"),
    [
        item(15, "pytorch-bin", "pytorch_model.bin", "pickle", "posix.system"),
        item(15, "pytorch-zip-pt", "model.pt", "pytorch-zip", "posix.system"),
        item(15, "lightning-ckpt", "last.ckpt", "pickle", "posix.system"),
        item(15, "stack-global-through-memo-pkl", "classifier.pkl", "pickle", "os.system"),
    ],
)
def test_pickles_are_reported_and_never_unpickled(
    name: str, fmt: str, dangerous: str, tmp_path: Path, audit: AuditLog
) -> None:
    root = copy_item("item15-pickle", tmp_path)
    with audit.recording():
        result = scan_offline(root)
    assert_reported_as_pickle(model_files(result)[name], fmt, dangerous)
    assert audit.named("pickle.find_class") == []
    assert pwned(root) == []


@pytest.mark.parametrize(
    ("name", "fmt", "dangerous", "mismatch"),
    [
        item(16, "pickle-as-txt", "notes.txt", "pickle", "posix.system", "named .txt"),
        item(16, "pickle-as-png", "logo.png", "pickle", "builtins.exec", "named .png"),
        item(
            16, "pickle-without-extension", "weights", "pickle", "os.system",
            "named without an extension",
        ),
        item(16, "pytorch-zip-as-png", "diagram.png", "pytorch-zip", "posix.system", "named .png"),
    ],
)  # fmt: skip
def test_pickles_behind_other_names_are_found_by_their_bytes(
    name: str, fmt: str, dangerous: str, mismatch: str, static_results: dict[str, ScanResult]
) -> None:
    props = model_files(static_results["item16"])[name]
    assert_reported_as_pickle(props, fmt, dangerous)
    assert props["extension_mismatch"] == f"{mismatch} but holds {fmt}"


@pytest.mark.parametrize(
    "name",
    [item(16, "7z-archive", "release.7z"), item(16, "7z-named-pytorch-bin", "pytorch_model.bin")],
)
def test_7z_archives_are_unknowns_that_may_hide_a_pickle(
    name: str, static_results: dict[str, ScanResult]
) -> None:
    assert unknowns(static_results["item16"])[name] == (
        "weights: unsupported archive: 7z, may hide a pickle"
    )


@pytest.mark.parametrize(
    "name",
    [item(16, "real-png-left-alone", "real.png"), item(16, "plain-zip-left-alone", "docs.zip")],
)
def test_ordinary_files_are_not_taken_for_models(
    name: str, static_results: dict[str, ScanResult]
) -> None:
    result = static_results["item16"]
    assert name not in model_files(result)
    assert name not in unknowns(result)


@pytest.mark.parametrize(
    ("name", "member"),
    [
        item(17, "bomb-1000-to-1", "bomb.pt", "archive/data.pkl"),
        item(17, "overlapping-entries", "overlap.pt", "archive/data.pkl"),
        item(17, "zip-slip-member-name", "slip.pt", "../../../../tmp/modelbom-slip/data.pkl"),
    ],
)
def test_hostile_zips_are_listed_never_extracted(
    name: str, member: str, tmp_path: Path, audit: AuditLog
) -> None:
    root = copy_item("item17-zip", tmp_path)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with audit.recording():
            result = scan_offline(root)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    props = model_files(result)[name]
    assert_reported_as_pickle(props, "pytorch-zip", "posix.system")
    assert props["pickle_member"] == member  # a label, nothing more
    assert time.perf_counter() - started < 30
    assert peak < 80 * 1024 * 1024  # a 48 MiB member is never inflated past the 16 MiB cap
    assert not Path("/tmp/modelbom-slip").exists()
    assert [o.path for o in audit.opened() if o.writes] == []


@pytest.mark.parametrize("variant", [item(17, "12000-members")])
def test_the_member_listing_is_capped(variant: str, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    with zipfile.ZipFile(root / "features.npz", "w") as archive:
        for number in range(12_000):
            archive.writestr(f"a{number}.txt", b"")
    started = time.perf_counter()
    result = scan_offline(root)
    assert time.perf_counter() - started < 30
    assert model_files(result)["features.npz"]["arrays"] == "10000"


@pytest.mark.parametrize(
    "name",
    [
        item(18, "encrypted-flag-bit", "encrypted-flag.pt"),
        item(18, "local-and-directory-names-differ", "name-mismatch.pt"),
        item(18, "no-central-directory", "no-directory.pt"),
    ],
)
def test_zips_zipfile_rejects_are_never_reported_clean(
    name: str, static_results: dict[str, ScanResult]
) -> None:
    # Python's zipfile refuses each of them; PyTorch's reader takes the first two.
    rejected = zipfile.BadZipFile if name != "encrypted-flag.pt" else RuntimeError
    with pytest.raises(rejected), zipfile.ZipFile(HOSTILE / "item18-lenient-zip" / name) as zf:
        zf.read("archive/data.pkl")
    assert_reported_as_pickle(
        model_files(static_results["item18"])[name], "pytorch-zip", "posix.system"
    )


@pytest.mark.parametrize(
    ("name", "fmt", "layers"),
    [
        item(19, "keras-lambda", "lambda.keras", "keras", "Lambda"),
        item(19, "keras-foreign-module", "custom-layer.keras", "keras", "evil.layers.Backdoor"),
        item(19, "h5-lambda", "legacy_model.h5", "keras-h5", "Lambda"),
    ],
)
def test_keras_models_that_run_code_are_flagged_from_their_config(
    name: str, fmt: str, layers: str, static_results: dict[str, ScanResult]
) -> None:
    props = model_files(static_results["item19"])[name]
    assert props["format"] == fmt
    assert props["risk"] == "keras: loading may execute custom/Lambda layers"
    assert props["risk_layers"] == layers
    assert not {"keras", "tensorflow", "torch", "h5py"} & set(sys.modules)


# ---------------------------------------------------- 20-25: text that wants to be run


REMOTE_CODE_FROM_CALL = (
    "requires remote code (trust_remote_code=True): loading runs code from the model repository"
)


@pytest.mark.parametrize(
    "variant",
    [
        item(20, "config-auto-map"),
        item(20, "readme-trust-remote-code"),
        item(20, "code-trust-remote-code"),
    ],
)
def test_models_that_need_remote_code_are_flagged_and_never_loaded(
    variant: str, tmp_path: Path, audit: AuditLog
) -> None:
    root = copy_item("item20-remote-code", tmp_path)
    with audit.recording():
        result = scan(ScanOptions(root=root, offline=True, include_docs=True))
    props = {c.id: dict(c.properties) for c in result.components}
    if variant == "config-auto-map":
        assert props["config.json"]["risk"] == (
            "requires remote code (auto_map): loading executes code from the repository"
        )
    elif variant == "readme-trust-remote-code":
        assert props["acme/chat-custom"]["risk"] == REMOTE_CODE_FROM_CALL
    else:
        assert props["acme/encoder-custom"]["risk"] == REMOTE_CODE_FROM_CALL
    assert not {"transformers", "configuration_acme"} & set(sys.modules)
    assert not [e for e in audit.named("import") if e.args[0] == "configuration_acme"]
    assert pwned(root) == []


@pytest.mark.parametrize("variant", [item(21, "python-object-apply-tag")])
def test_unsafe_yaml_tags_in_a_card_are_an_unknown(variant: str, tmp_path: Path) -> None:
    root = copy_item("item21-yaml-object", tmp_path)
    result = scan_offline(root)
    assert unknowns(result) == {
        "README.md": "hf-files: unsafe YAML tag !!python/object/apply:os.system in model card "
        "(not executed)"
    }
    # The license comes from the LICENSE file next to the model instead.
    assert ("license", "mit") in dict.fromkeys(
        next(c for c in result.components if c.id == "config.json").properties
    )
    assert "acme/intent-base" in component_ids(result)
    assert pwned(root) == []


@pytest.mark.parametrize(
    "variant",
    [
        item(22, "alias-bomb-in-a-card"),
        item(22, "alias-bomb-in-a-config"),
        item(22, "10-mb-front-matter"),
    ],
)
def test_yaml_that_expands_or_sprawls_is_bounded(variant: str, tmp_path: Path) -> None:
    root = copy_item("item22-yaml-bomb", tmp_path)
    if variant == "10-mb-front-matter":
        shutil.rmtree(root)
        lines = "".join(f"tag{n}: {'x' * 90}\n" for n in range(100_000))
        write(root / "README.md", f"---\nlicense: mit\n{lines}---\n# Card\n")
        write(root / "config.json", '{"architectures": ["BertModel"], "model_type": "bert"}\n')
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = scan_offline(root)
        data = emitter_for(OutputFormat.CYCLONEDX_JSON).emit(result, EmitOptions())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 60
    assert peak < 200 * 1024 * 1024
    assert len(data) < 1024 * 1024  # nothing was expanded into the BOM
    if variant == "alias-bomb-in-a-config":
        assert unknowns(result)["config.yaml"] == (
            "config: YAML aliases expand to more than 100000 nodes (alias bomb?)"
        )
    elif variant == "alias-bomb-in-a-card":
        assert model_files(result)["README.md"]["license"] == "apache-2.0"
        assert "lol" not in data.decode()
    else:  # refused before any YAML is parsed
        assert unknowns(result)["README.md"].startswith("file too large: ")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        item(
            23,
            "json-100k-brackets",
            "config.json",
            '{"architectures": ["BertModel"], "model_type": "bert", "x": ' + "[" * 100_000,
        ),
        item(23, "toml-100k-arrays", "pyproject.toml", "a = " + "[" * 100_000),
        item(23, "yaml-100k-brackets", "config.yaml", "model: " + "[" * 100_000),
        item(23, "notebook-100k-brackets", "nested.ipynb", '{"cells": ' + "[" * 100_000),
    ],
)
def test_deep_nesting_is_an_unknown_and_the_scan_goes_on(
    name: str, data: str, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    write(root / name, data)
    write(root / "app.py", reference("acme/after-the-bomb"))
    result = run_threaded(lambda: scan_offline(root), timeout=120)
    assert list(unknowns(result)) == [name]
    assert "acme/after-the-bomb" in component_ids(result)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        item(
            24, "minified-10-mb", "bundle.py", "x=1;" * 2_600_000, "file too large"
        ),
        item(
            24, "unary-minus-100k", "minus.py", "x = " + "-" * 100_000 + "1\n", "python: "
        ),
        item(
            24, "attribute-chain-100k", "chain.py", "x = a" + ".b" * 100_000 + "\n", "python: "
        ),
        item(24, "nested-parentheses-100k", "parens.py", "x = " + "(" * 100_000 + "\n", "python: "),
    ],
)  # fmt: skip
def test_python_that_breaks_the_parser_is_an_unknown(
    name: str, data: str, reason: str, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    write(root / name, data)
    write(root / "app.py", reference("acme/next-to-the-bomb"))
    result = run_threaded(lambda: scan_offline(root), timeout=120)
    assert reason in unknowns(result)[name]
    assert component_ids(result) == {"acme/next-to-the-bomb"}


@pytest.mark.parametrize(
    ("name", "model"),
    [
        item(24, "latin-1-with-coding-cookie", "cookie.py", "acme/camembert-tiny"),
        item(24, "latin-1-without-cookie", "no_cookie.py", "acme/latin1-model"),
    ],
)
def test_python_that_is_not_utf8_is_still_read(name: str, model: str, tmp_path: Path) -> None:
    result = scan_offline(copy_item("item24-python", tmp_path))
    (component,) = [c for c in result.components if c.id == model]
    assert [e.file for e in component.evidence] == [name]


@pytest.mark.parametrize("variant", [item(24, "nul-bytes")])
def test_python_with_nul_bytes_is_an_unknown(variant: str, tmp_path: Path) -> None:
    result = scan_offline(copy_item("item24-python", tmp_path))
    assert unknowns(result)["nul_bytes.py"].startswith("python: not valid Python")


@pytest.mark.parametrize(
    "variant",
    [
        item(25, "outputs-never-copied"),
        item(25, "invalid-json"),
        item(25, "invalid-nbformat"),
        item(25, "200-mb-of-outputs"),
    ],
)
def test_notebooks_give_code_cells_only(variant: str, tmp_path: Path) -> None:
    root = copy_item("item25-notebook", tmp_path)
    if variant == "200-mb-of-outputs":
        big = root / "plots.ipynb"
        with big.open("wb") as handle:
            handle.write(b'{"cells": [{"cell_type": "code", "source": "x", "outputs": [')
            handle.truncate(200 * 1024 * 1024)  # the rest: 200 MB of output bytes
    started = time.perf_counter()
    result = scan_offline(root)
    assert time.perf_counter() - started < 60
    found = unknowns(result)
    if variant == "outputs-never-copied":
        assert component_ids(result) == {"acme/notebook-classifier"}
        text = emitter_for(OutputFormat.CYCLONEDX_JSON).emit(result, EmitOptions()).decode()
        for leaked in (
            "hf_CANARYnotebookOUTPUTtoken",
            "acme/output-only-model",
            "iVBOR",
            "AAECAwQF",
        ):
            assert leaked not in text
    elif variant == "invalid-json":
        assert found["invalid.ipynb"].startswith("notebook: not a valid notebook: ")
    elif variant == "invalid-nbformat":
        assert found["bad-nbformat.ipynb"] == (
            "notebook: not a valid notebook: unsupported nbformat 'four'"
        )
    else:
        assert found["plots.ipynb"].startswith("file too large")


# ------------------------------------------------ 26-30: includes, configs, ids, licenses


CREDENTIALS = ("CANARYindexPASSWORD42", "glpat-CANARYgitlabTOKEN0123456789", "ci-user")


@pytest.mark.parametrize(
    "variant",
    [
        item(26, "include-loop"),
        item(26, "include-outside-the-root"),
        item(26, "index-url-credentials"),
    ],
)
def test_requirements_includes_stay_inside_and_credentials_never_leave(
    variant: str, tmp_path: Path, audit: AuditLog, cli: Callable[..., tuple[int, str]]
) -> None:
    root = copy_item("item26-requirements", tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    with audit.recording():
        code, stderr = cli("scan", str(root), "--offline", *output_args(out))
    assert code == 0, stderr
    findings = json.loads((out / "out.findings-json").read_text())
    libraries = {(f["id"], f["file"]) for f in findings["findings"]}
    if variant == "include-loop":
        assert libraries == {
            ("numpy", "constraints.txt"),
            ("pytest", "requirements-dev.txt"),
            ("torch", "requirements.txt"),
            ("transformers", "requirements.txt"),
        }
    elif variant == "include-outside-the-root":
        opened = [o.path for o in audit.opened()]
        assert not [p for p in opened if p.endswith(("/etc/passwd", "/etc/shadow"))]
        # Outside the root, only the outputs were written (git looked for a HEAD above it).
        outside = [p for p in opened if os.path.exists(p) and not inside(p, root)]
        assert [p for p in outside if inside(p, tmp_path) and not inside(p, out)] == []
    else:
        for text in (*read_outputs(out).values(), stderr):
            for secret in CREDENTIALS:
                assert secret not in text
    assert audit.processes() == []  # never handed to pip (or anything else)


@pytest.mark.parametrize(
    "variant",
    [
        item(27, "in-process"),
        item(27, "python-m-modelbom-inside-the-repository"),
    ],
)
def test_repository_code_is_never_run_or_imported(
    variant: str, tmp_path: Path, audit: AuditLog
) -> None:
    root = copy_item("item27-code", tmp_path)
    if variant == "in-process":
        with audit.recording():
            result = scan_offline(root)
        assert component_ids(result) == {"acme/app-model"}
        assert audit.processes() == []
        assert not [e for e in audit.named("exec") if inside(code_file(e), root)]
        assert not [
            m for m in sys.modules.values() if inside(getattr(m, "__file__", None) or "/", root)
        ]
    else:
        # The README's `python -m modelbom`, started inside the repository: its yaml.py,
        # git/ and __future__.py would shadow modelbom's own imports from the working
        # directory.
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "modelbom",
                "scan",
                ".",
                "--offline",
                "-q",
                "-o",
                str(tmp_path / "bom.json"),
            ],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        assert json.loads((tmp_path / "bom.json").read_text())["bomFormat"] == "CycloneDX"
    assert pwned(root) == []


def connected_to(log: AuditLog) -> set[object]:
    """The addresses the process connected to while recording."""
    return {e.args[1] for e in log.named("socket.connect") if len(e.args) > 1}


@pytest.mark.parametrize(
    "variant",
    [item(28, "modelbom-toml-sets-endpoint-and-token"), item(28, "dotenv-sets-endpoint-and-token")],
)
def test_repository_configuration_cannot_redirect_the_scanner(
    variant: str,
    tmp_path: Path,
    audit: AuditLog,
    cli: Callable[..., tuple[int, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_item("item28-config", tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    if variant == "modelbom-toml-sets-endpoint-and-token":
        with audit.recording():
            code, stderr = cli("scan", str(root), "-o", str(out / "bom.json"))
        # Refused, by name: a scanned repository chooses no endpoint, token or path.
        assert code == 2
        assert "hf-endpoint: not a setting a repository may choose" in stderr
        assert "hf_CANARYrepoCONFIGtoken" not in stderr
        assert audit.named(*NETWORK) == []
        assert not list(out.iterdir())
        assert not Path("/tmp/modelbom-hijacked-cache").exists()
        assert not Path("/tmp/modelbom-hijacked-bom.json").exists()
        return
    (root / "modelbom.toml").unlink()
    with FakeHub() as hub:
        hub.add_model("acme/config-model", card_data={"license": "apache-2.0"})
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        with audit.recording():
            code, stderr = cli(
                "scan", str(root), "--cache-dir", str(tmp_path / "cache"), *output_args(out)
            )
        seen = hub.requests
        host, port = hub.url.removeprefix("http://").split(":")
    assert code == 0, stderr
    assert seen and {r.repo_id for r in seen} == {"acme/config-model"}
    assert all(r.authorization is None for r in seen)  # the .env token was not picked up
    assert connected_to(audit) == {(host, int(port))}
    for text in (*read_outputs(out).values(), stderr):
        assert "hf_CANARYdotenvTOKEN" not in text
        assert "127.0.0.1:1/" not in text


@pytest.mark.parametrize(
    "license_line",
    [
        item(29, "100k-open-parentheses", "(" * 100_000 + "mit"),
        item(29, "100k-spaces", "mit" + " " * 100_000 + "or apache-2.0"),
        item(29, "3000-term-expression", " AND ".join(["(MIT"] * 3000) + ")" * 3000),
        item(29, "3000-unknown-ids", " OR ".join(f"acme-license-{n}" for n in range(3000))),
    ],
)
def test_license_strings_built_for_redos_are_handled_in_linear_time(
    license_line: str, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    write(root / "README.md", f"---\nlicense: {license_line}\n---\n# Card\n")
    write(root / "LICENSE", f"SPDX-License-Identifier: {license_line}\n")
    write(root / "config.json", '{"architectures": ["BertModel"], "model_type": "bert"}\n')
    started = time.perf_counter()
    result = run_threaded(lambda: scan_offline(root), timeout=120)
    assert time.perf_counter() - started < 20
    claims = [claim for c in result.components for claim in c.licenses]
    assert claims
    # Whatever is not recognised is a LicenseRef- id flagged for review, never dropped.
    unrecognised = [c for c in claims if "LicenseRef-modelbom-unknown" in (c.expression or "")]
    assert unrecognised
    assert all(claim.needs_review for claim in unrecognised)
    assert all(claim.expression for claim in claims)


@pytest.mark.parametrize("variant", [item(29, "package-and-pyproject-licenses")])
def test_manifest_licenses_built_for_redos(variant: str, tmp_path: Path) -> None:
    started = time.perf_counter()
    result = scan_offline(copy_item("item29-licenses", tmp_path))
    assert time.perf_counter() - started < 20
    assert {"@huggingface/transformers", "transformers"} <= component_ids(result)


_HOSTILE_IDS = (
    "169.254.169.254",
    "etc/passwd",
    "file:",
    "rm -rf",
    "whoami",
    "evil.example.com",
    "admin",
    "user-data",
)


@pytest.mark.parametrize(
    "variant",
    [
        item(30, "metadata-address-file-url-traversal"),
        item(30, "path-and-revision-injection"),
    ],
)
def test_model_ids_from_code_never_make_a_request_of_their_own(
    variant: str, tmp_path: Path, audit: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_item("item30-ids", tmp_path)
    with FakeHub() as hub:
        hub.add_model("acme/real-model", card_data={"license": "mit"})
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        with audit.recording():
            result = scan(ScanOptions(root=root, cache_dir=tmp_path / "cache"))
        seen = hub.requests
        host, port = hub.url.removeprefix("http://").split(":")
    assert connected_to(audit) == {(host, int(port))}
    assert [r for r in seen if r.repo_id != "acme/real-model"] == []
    if variant == "metadata-address-file-url-traversal":
        assert component_ids(result) == {"acme/real-model"}
        assert all(not any(bad in r.path for bad in _HOSTILE_IDS) for r in seen)
    else:
        # The filename and revision are labels: the Hub is asked for the repository only.
        assert all(r.filename is None for r in seen)
        assert {r.revision for r in seen} <= {None, "main"}
        assert all("curl" not in r.path and "passwd" not in r.path for r in seen)


# ----------------------------------------------- 31-33: the network (see the note below)
#
# Faults of the Hub are covered in depth by tests/test_network_faults.py; these are the
# cheap checks of the same rows.


@pytest.mark.parametrize("variant", [item(31, "hub-unreachable")])
def test_an_unreachable_hub_leaves_components_unresolved(variant: str, tmp_path: Path) -> None:
    # conftest points HF_ENDPOINT at a closed local port.
    root = tmp_path / "repo"
    write(root / "app.py", reference("acme/needs-the-hub"))
    result = scan(ScanOptions(root=root, cache_dir=tmp_path / "cache"))
    (component,) = result.components
    assert component.resolution.status.value == "unresolved"
    assert "unreachable" in (component.resolution.reason or "")
    assert emitter_for(OutputFormat.CYCLONEDX_JSON).emit(result, EmitOptions())


@pytest.mark.parametrize("variant", [item(32, "hub-404")])
def test_a_missing_repository_is_a_recorded_reason(
    variant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    write(root / "app.py", reference("acme/not-on-the-hub"))
    with FakeHub() as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        result = scan(ScanOptions(root=root, cache_dir=tmp_path / "cache"))
        asked = len(hub.requests_for("acme/not-on-the-hub"))
    (component,) = result.components
    assert "not found" in (component.resolution.reason or "")
    assert 1 <= asked <= 3  # no retry storm on a 404


@pytest.mark.parametrize("variant", [item(33, "offline-opens-no-socket")])
def test_offline_opens_no_socket(variant: str, tmp_path: Path, audit: AuditLog) -> None:
    root = tmp_path / "repo"
    write(root / "app.py", reference("acme/needs-the-hub"))
    write(root / "package.json", '{"dependencies": {"left-pad": "1.3.0"}}\n')
    write(root / "requirements.txt", "torch==2.3.0\n")
    with audit.recording():
        result = scan(ScanOptions(root=root, offline=True, cache_dir=tmp_path / "cache"))
    assert audit.named(*NETWORK) == []
    assert all("offline" in (c.resolution.reason or "") for c in result.components if c.resolution)


# ---------------------------------------------- 34: secrets never leave, in any channel

CANARIES = {
    "env": "hf_CANARYenvTOKENabcdefghijklmnop",
    "env-civitai": "CANARYcivitaiTOKENabcdefghijklmnop",
    "env-openai": "sk-CANARYopenaiKEYabcdefghijklmnop",
    "index-url": "CANARYindexPASSWORDabcdefghijk",
    "direct-url": "glpat-CANARYdirectURLabcdefghijk",
    "git-remote": "glpat-CANARYremoteTOKENabcdefghijk",
    "git-remote-user": "CANARYremoteUSERabcdefghijk",
    "notebook-output": "hf_CANARYnotebookOUTPUTabcdefghijk",
    "notebook-source": "hf_CANARYnotebookSOURCEabcdefghijk",
    "dotenv": "hf_CANARYdotenvTOKENabcdefghijklmnop",
    "dotenv-database": "CANARYdatabasePASSWORDabcdefghijk",
    "code-token": "hf_CANARYinlineTOKENabcdefghijklmnop",
    "code-url": "CANARYurlPASSWORDabcdefghijk",
}


def _canary_repository(root: Path) -> None:
    c = CANARIES
    repo = git.Repo.init(root, initial_branch="main")
    write(
        root / "requirements.txt",
        f"--index-url https://ci:{c['index-url']}@pypi.internal.example.com/simple\n"
        f"acme-tools @ git+https://oauth2:{c['direct-url']}@gitlab.example.com/acme/tools.git\n"
        "transformers==4.44.2\n",
    )
    write(
        root / "app.py",
        "from transformers import AutoModel\n\n"
        f'HUB = "https://admin:{c["code-url"]}@huggingface.co"\n'
        f'model = AutoModel.from_pretrained("acme/canary-model", token="{c["code-token"]}")\n',
    )
    write(
        root / ".env",
        f"HF_TOKEN={c['dotenv']}\nMODEL_ID=acme/canary-model\n"
        f"DATABASE_URL=postgres://app:{c['dotenv-database']}@db.internal:5432/app\n",
    )
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "metadata": {},
                "source": [
                    "from huggingface_hub import login\n",
                    f'login(token="{c["notebook-source"]}")\n',
                    "from transformers import pipeline\n",
                    "clf = pipeline('text-classification', model='acme/canary-model')\n",
                ],
                "outputs": [
                    {"name": "stdout", "output_type": "stream", "text": [c["notebook-output"]]}
                ],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    write(root / "explore.ipynb", json.dumps(notebook))
    repo.index.add(["requirements.txt", "app.py", "explore.ipynb"])
    actor = git.Actor("CI", "ci@example.com")
    repo.index.commit("initial", author=actor, committer=actor)
    repo.create_remote(
        "origin",
        f"https://{c['git-remote-user']}:{c['git-remote']}@gitlab.example.com/acme/app.git",
    )
    repo.close()


def assert_no_canary(texts: dict[str, str | bytes]) -> None:
    for where, text in texts.items():
        data = text.encode() if isinstance(text, str) else text
        leaked = [name for name, secret in CANARIES.items() if secret.encode() in data]
        assert not leaked, f"{leaked} in {where}"


@pytest.mark.parametrize(
    "variant",
    [item(34, "online-every-output-log-and-cache"), item(34, "offline-engine-log-records")],
)
def test_planted_canaries_reach_no_output_log_or_cache(
    variant: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Callable[..., tuple[int, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = tmp_path / "repo"
    _canary_repository(root)
    monkeypatch.setenv("HF_TOKEN", CANARIES["env"])
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", CANARIES["env"])
    monkeypatch.setenv("CIVITAI_API_TOKEN", CANARIES["env-civitai"])
    monkeypatch.setenv("OPENAI_API_KEY", CANARIES["env-openai"])
    cache = tmp_path / "cache"
    texts: dict[str, str | bytes] = {}
    if variant == "offline-engine-log-records":
        caplog.set_level(logging.DEBUG, logger="modelbom")
        result = scan(ScanOptions(root=root, offline=True, cache_dir=cache))
        for fmt in OutputFormat:
            texts[fmt.value] = emitter_for(fmt).emit(result, EmitOptions()).decode()
        texts["log records"] = "\n".join(
            f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records
        )
        assert result.source.remote_url == "https://gitlab.example.com/acme/app.git"
    else:
        out = tmp_path / "out"
        out.mkdir()
        with FakeHub() as hub:
            hub.add_model("acme/canary-model", card_data={"license": "apache-2.0"})
            monkeypatch.setenv("HF_ENDPOINT", hub.url)
            code, stderr = cli(
                "scan", str(root), "-vv", "--cache-dir", str(cache), "--include-docs",
                *output_args(out),
            )  # fmt: skip
            asked = hub.requests_for("acme/canary-model")
        assert code == 0, stderr
        assert asked  # the scan did go online, and wrote its cache
        texts.update(read_outputs(out))
        texts["stderr -vv"] = stderr
        assert "DEBUG" in stderr
        bom = json.loads(texts["out.cyclonedx-json"])
        assert "acme/canary-model" in {c["name"] for c in bom["components"]}
    cache_files = [p for p in cache.rglob("*") if p.is_file()]
    if variant == "online-every-output-log-and-cache":
        assert cache_files
    for path in cache_files:
        texts[f"cache {path.name}"] = path.read_bytes()
    for path in Path(os.environ["HF_HOME"]).rglob("*"):
        if path.is_file():
            texts[f"HF_HOME {path.name}"] = path.read_bytes()
    assert_no_canary(texts)
    assert "<redacted>" in "".join(t for t in texts.values() if isinstance(t, str))


# ------------------------------------------------------- 35: the repository's git config


def _booby_trapped_git(root: Path) -> None:
    """A work tree whose .git/config names programs git would run."""
    repo = git.Repo.init(root, initial_branch="main")
    write(root / "app.py", reference("acme/git-model"))
    write(root / ".gitattributes", "* filter=evil diff=evil\n")
    repo.index.add(["app.py", ".gitattributes"])
    actor = git.Actor("CI", "ci@example.com")
    repo.index.commit("initial", author=actor, committer=actor)
    repo.close()
    _arm_git_config(root)
    write(root / "untracked.py", reference("acme/untracked-model"))


def _arm_git_config(root: Path) -> None:
    """Hooks, an fsmonitor, a pager, filters and a textconv that leave PWNED-* files."""
    hooks = root / ".git" / "evil-hooks"
    hooks.mkdir()
    for name in ("post-index-change", "reference-transaction", "post-checkout", "pre-commit"):
        hook = write(hooks / name, f"#!/bin/sh\ntouch '{root}/PWNED-hook-{name}'\n")
        hook.chmod(0o755)
    with (root / ".git" / "config").open("a") as config:
        config.write(
            textwrap.dedent(
                f"""\
                [core]
                \tfsmonitor = touch '{root}/PWNED-fsmonitor'
                \thooksPath = {hooks}
                \tpager = touch '{root}/PWNED-pager'
                \tsshCommand = touch '{root}/PWNED-ssh'
                \teditor = touch '{root}/PWNED-editor'
                [filter "evil"]
                \tclean = touch '{root}/PWNED-clean'
                \tsmudge = touch '{root}/PWNED-smudge'
                \tprocess = touch '{root}/PWNED-process'
                [diff "evil"]
                \ttextconv = touch '{root}/PWNED-textconv'
                [remote "origin"]
                \turl = https://gitlab.example.com/acme/app.git
                """
            )
        )


def assert_git_is_hardened(log: AuditLog, root: Path) -> None:
    """Every git process started outside *root*, with the repository's programs off."""
    for argv, cwd, env in log.processes():
        assert Path(argv[0]).name == "git", argv
        assert not inside(cwd or os.getcwd(), root), (argv, cwd)
        if argv[1:] == ["version"]:
            continue  # GitPython's probe when first imported: it reads no repository
        joined = " ".join(argv)
        assert "-c core.fsmonitor=false" in joined, argv
        assert "-c core.hooksPath=/dev/null" in joined, argv
        assert env is not None and env.get("GIT_CONFIG_NOSYSTEM") == "1", argv


@pytest.mark.parametrize(
    "variant",
    [
        item(35, "in-process"),
        item(35, "python-m-modelbom-inside-the-repository"),
        item(35, "gitpython-is-patched"),
    ],
)
def test_the_repository_git_configuration_runs_nothing(
    variant: str, tmp_path: Path, audit: AuditLog
) -> None:
    if variant == "gitpython-is-patched":
        version = tuple(int(p) for p in importlib.metadata.version("GitPython").split(".")[:3])
        assert version >= (3, 1, 41)  # CVE-2024-22190 and the earlier advisories
        return
    root = tmp_path / "repo"
    _booby_trapped_git(root)
    if variant == "in-process":
        with audit.recording():
            result = scan_offline(root)
        assert [argv[3:] for argv, _, _ in audit.processes() if argv[1:] != ["version"]] == [
            ["-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "ls-files", "-z",
             "--cached", "--others", "--exclude-standard"]
        ]  # fmt: skip
        assert_git_is_hardened(audit, root)
        assert component_ids(result) == {"acme/git-model", "acme/untracked-model"}
        assert result.source.remote_url == "https://gitlab.example.com/acme/app.git"
    else:
        run = subprocess.run(
            [sys.executable, "-m", "modelbom", "scan", ".", "--offline", "-q", "-o", "-"],
            cwd=root, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert "acme/untracked-model" in run.stdout
    assert pwned(root) == []
    # The trap is live: git itself, run the ordinary way, does run the repository's programs.
    subprocess.run(["git", "status"], cwd=root, capture_output=True, check=False, timeout=60)
    if not pwned(root):
        pytest.skip("this git runs none of the configured programs for `git status`")


# ---------------------------------------------- 5 and 36: permissions, read-only output

_AS_NOBODY = f"""
import contextlib, io, json, os, sys
from modelbom.cli import main

root, out, readonly = sys.argv[1:4]
# Everything imported lazily is loaded while still root: the interpreter may live where
# uid {_NOBODY} cannot read.
assert main(["scan", root, "--offline", "-q", "-o", os.path.join(out, "warm.json")]) == 0
os.remove(os.path.join(out, "warm.json"))
try:
    os.setgroups([])
    os.setgid({_NOBODY})
    os.setuid({_NOBODY})
except OSError as exc:
    print(json.dumps({{"skip": str(exc)}}))
    sys.exit(0)
results = {{}}
for name, target in (("unreadable", out), ("read-only", readonly)):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["scan", root, "--offline", "-o", os.path.join(target, "bom.json")])
    results[name] = {{"code": code, "stderr": err.getvalue(), "files": sorted(os.listdir(target))}}
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def permission_runs() -> Iterator[dict[str, dict[str, Any]]]:
    """Scans of a tree with mode-000 entries, and a scan into a read-only folder, as a user
    who is not root (root reads and writes everything)."""
    base = Path(tempfile.mkdtemp(prefix="modelbom-hostile-perm-"))
    root, out, readonly = base / "repo", base / "out", base / "readonly"
    try:
        base.chmod(0o755)
        write(root / "app.py", reference("acme/readable"))
        write(root / "pytorch_model.bin", b"\x80\x02N.").chmod(0)
        write(root / "locked" / "inner.py", reference("acme/locked"))
        (root / "locked").chmod(0)
        for folder in (root, out, readonly, base / "cache"):
            folder.mkdir(exist_ok=True)
        root.chmod(0o755)
        out.chmod(0o777)
        (base / "cache").chmod(0o777)
        readonly.chmod(0o555)
        env = {**os.environ, "MODELBOM_CACHE_DIR": str(base / "cache")}
        if os.geteuid() == 0:
            run = subprocess.run(
                [sys.executable, "-c", _AS_NOBODY, str(root), str(out), str(readonly)],
                cwd="/", env=env, capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            assert run.returncode == 0, run.stderr
            data: dict[str, dict[str, Any]] = json.loads(run.stdout)
            if "skip" in data:
                pytest.skip(f"cannot drop privileges to uid {_NOBODY}: {data['skip']}")
        else:
            data = {}
            for name, target in (("unreadable", out), ("read-only", readonly)):
                err = subprocess.run(
                    [sys.executable, "-m", "modelbom", "scan", str(root), "--offline", "-o",
                     str(target / "bom.json")],
                    cwd="/", env=env, capture_output=True, text=True, timeout=300, check=False,
                )  # fmt: skip
                data[name] = {
                    "code": err.returncode,
                    "stderr": err.stderr,
                    "files": sorted(os.listdir(target)),
                }
        yield data
    finally:
        for path in (root / "locked", root / "pytorch_model.bin", readonly):
            if path.exists():
                path.chmod(stat.S_IRWXU)
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("variant", [item(5, "mode-000-file-and-directory")])
def test_unreadable_entries_are_counted_and_the_scan_completes(
    variant: str, permission_runs: dict[str, dict[str, Any]]
) -> None:
    run = permission_runs["unreadable"]
    assert run["code"] == 0, run["stderr"]
    assert run["files"] == ["bom.json"]
    assert "2 unknowns" in run["stderr"]
    assert "modelbom: could not list locked: permission denied" in run["stderr"]
    assert "modelbom: could not read pytorch_model.bin: permission denied" in run["stderr"]


@pytest.mark.parametrize(
    "variant",
    [item(36, "read-only-output-directory"), item(36, "disk-full"), item(36, "missing-directory")],
)
def test_an_output_that_cannot_be_written_is_a_clear_error_and_no_file(
    variant: str,
    tmp_path: Path,
    permission_runs: dict[str, dict[str, Any]],
    cli: Callable[..., tuple[int, str]],
) -> None:
    if variant == "read-only-output-directory":
        run = permission_runs["read-only"]
        code, stderr, files = run["code"], run["stderr"], run["files"]
        assert "bom.json: Permission denied" in stderr
    elif variant == "disk-full":
        if not Path("/dev/full").exists():
            pytest.skip("no /dev/full here")
        root = write(tmp_path / "repo" / "app.py", reference("acme/full")).parent
        code, stderr = cli("scan", str(root), "--offline", "-o", "/dev/full")
        files = []
        assert "modelbom: error: cannot write /dev/full: No space left on device" in stderr
    else:
        root = write(tmp_path / "repo" / "app.py", reference("acme/nowhere")).parent
        code, stderr = cli("scan", str(root), "--offline", "-o", str(tmp_path / "gone" / "b.json"))
        files = sorted(os.listdir(tmp_path))
        assert files == ["repo"]
        assert "does not exist" in stderr
    assert code == 2
    assert files == [] or variant == "missing-directory"  # no partial or temporary file
    assert "Traceback" not in stderr


# ------------------------------------------------------------- the whole set, audited


def _files_under(root: Path, limit: int = 1024 * 1024) -> list[bytes]:
    """The contents of the regular files under *root* up to *limit* bytes each."""
    contents: list[bytes] = []
    for entry in walk_files(root):
        try:
            if entry.stat(follow_symlinks=False).st_size <= limit:
                contents.append(Path(entry.path).read_bytes())
        except OSError:
            continue
    return contents


def _build_the_rest(built: Path, outside: Path) -> None:
    """What git cannot hold: links, special files, huge and deep and badly named files."""
    write(built / "cycle" / "a" / "train.py", reference("acme/cycle-model"))
    (built / "cycle" / "b").mkdir()
    (built / "cycle" / "a" / "to_b").symlink_to("../b", target_is_directory=True)
    (built / "cycle" / "b" / "to_a").symlink_to("../a", target_is_directory=True)
    (built / "loop.py").symlink_to("loop.py")
    (built / "steal.bin").symlink_to(outside / "secret.bin")
    (built / "keys").symlink_to(outside, target_is_directory=True)
    (built / "passwd.bin").symlink_to("/etc/passwd")
    (built / "dead.safetensors").symlink_to("nowhere.safetensors")
    previous = "cycle/a/train.py"
    for number in range(1, 46):
        (built / f"chain{number:02d}.py").symlink_to(previous)
        previous = f"chain{number:02d}.py"
    os.mkfifo(built / "model.safetensors")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(os.fspath(built / "adapter_model.safetensors"))
    sock.close()  # the socket file stays
    with contextlib.suppress(OSError):  # else the FIFO and the socket stand for devices
        os.mknod(built / "model.gguf", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    write(built / "unreadable.pt", b"\x80\x02cposix\nsystem\nq\x00.").chmod(0)
    with (built / "huge.safetensors").open("wb") as handle:
        handle.write(struct.pack("<Q", 90_000_000) + b'{"__metadata__": {}}')
        handle.truncate(50 * 1024**3)
    with (built / "plots.ipynb").open("wb") as handle:
        handle.write(b'{"cells": [')
        handle.truncate(200 * 1024 * 1024)
    write(
        built / "config.json", '{"architectures": ["X"], "model_type": "b", "x": ' + "[" * 100_000
    )
    write(built / "pyproject.toml", "a = " + "[" * 100_000)
    write(built / "config.yaml", "model: " + "[" * 100_000)
    write(built / "minus.py", "x = " + "-" * 100_000 + "1\n")
    write(built / "bundle.py", "x=1;" * 2_600_000)
    for stem in _NAMES.values():
        with open(os.fsencode(built) + b"/" + stem + b".py", "wb") as handle:
            handle.write(reference("acme/named-model").encode())
    fd = os.open(built, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(1200):
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
        leaf = os.open("leaf.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, reference("acme/leaf").encode())
        os.close(leaf)
    finally:
        os.close(fd)


@pytest.fixture(scope="module")
def whole_set(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """Every static fixture, the things built in temporary folders and a booby-trapped
    git configuration, in one work tree; and a secret outside it. Yields (root, secret)."""
    base = tmp_path_factory.mktemp("hostile-whole-set")
    root = base / "repo"
    shutil.copytree(HOSTILE, root, symlinks=True)
    outside = base / "outside"
    secret = write(outside / "secret.bin", b"\x80\x02cposix\nsystem\nq\x00.")
    git.Repo.init(root, initial_branch="main").close()
    _arm_git_config(root)
    _build_the_rest(root / "built", outside)
    try:
        yield root, secret
    finally:
        (root / "built" / "unreadable.pt").chmod(stat.S_IRUSR | stat.S_IWUSR)
        _remove_deep(root / "built", "d", 1200)


def assert_ran_nothing(log: AuditLog, root: Path, secret: Path, writable: list[Path]) -> None:
    """What the audit hook saw: nothing unpickled, executed, imported from *root*, started
    inside it or sent anywhere; no file written but in *writable*, *secret* never opened."""
    assert log.named("pickle.find_class") == []
    assert log.named("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork") == []
    assert log.named("os.forkpty", "ctypes.dlopen") == []
    for event in log.named("exec"):  # only modules of modelbom's own dependencies
        where = code_file(event)
        assert os.path.isfile(where) and not inside(where, root), where
    scanned = _files_under(root)
    for event in log.named("marshal.loads", "marshal.load"):
        data = event.args[0] if event.args else None
        assert not (isinstance(data, bytes) and any(data in content for content in scanned))
    assert log.named(*NETWORK) == []
    assert_git_is_hardened(log, root)
    assert not [entry for entry in sys.path if entry and inside(entry, root)]
    assert not [
        name
        for name, module in list(sys.modules.items())
        if inside(getattr(module, "__file__", None) or "/", root)
    ]
    opened = [o for o in log.opened() if o.path != os.devnull]  # subprocess's stdin
    assert not [o.path for o in opened if o.writes and not any(inside(o.path, w) for w in writable)]
    assert not [o.path for o in opened if inside(o.path, secret.parent)]
    assert pwned(root) == []


@pytest.mark.parametrize("mode", ["engine-git", "engine-no-git", "cli-every-format"])
def test_the_whole_set_unpickles_executes_imports_and_sends_nothing(
    mode: str,
    whole_set: tuple[Path, Path],
    tmp_path: Path,
    audit: AuditLog,
    cli: Callable[..., tuple[int, str]],
) -> None:
    root, secret = whole_set
    cache = tmp_path / "cache"
    out = tmp_path / "out"
    out.mkdir()

    def run() -> ScanResult | None:
        if mode == "cli-every-format":
            code, stderr = cli(
                "scan", str(root), "--offline", "--cache-dir", str(cache), *output_args(out)
            )
            assert code == 0, stderr
            code, stderr = cli(
                "scan", str(root), "--offline", "--cache-dir", str(cache), "--spec-version",
                "1.7", "-o", str(out / "bom-1.7.json"),
            )  # fmt: skip
            assert code == 0, stderr
            return None
        return scan(
            ScanOptions(root=root, offline=True, use_git=mode == "engine-git", cache_dir=cache)
        )

    run()  # first, unrecorded: modelbom's own lazy imports happen here
    with audit.recording():
        started = time.perf_counter()
        result = run()
        elapsed = time.perf_counter() - started
    assert elapsed < 120
    assert_ran_nothing(audit, root, secret, writable=[out, cache])
    if result is not None:
        found = unknowns(result)
        assert found["built/steal.bin"] == "symlink target outside scan root"
        assert found["built/huge.safetensors"].startswith("weights: header larger than")
        assert model_files(result)["item15-pickle/pytorch_model.bin"]["risk"] == PICKLE_RISK
        assert "acme/leaf" in component_ids(result)
        assert (result.source.remote_url is not None) == (mode == "engine-git")
    else:
        texts = read_outputs(out)
        assert "item16-disguised/logo.png" in texts["out.findings-json"]
        assert json.loads((out / "bom-1.7.json").read_text())["specVersion"] == "1.7"


def test_every_checklist_item_has_a_test() -> None:
    assert set(range(1, 37)) - COVERED == set()


def _fixture_script() -> ModuleType:
    path = REPO / "scripts" / "make_hostile_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_hostile_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_binary_fixtures_match_their_generator() -> None:
    main_: Callable[[list[str]], int] = _fixture_script().main
    assert main_(["--check"]) == 0


@pytest.mark.parametrize("variant", [item(17, "no-archive-library-reads-scanned-data")])
def test_scanned_archives_are_never_opened_with_zipfile_or_tarfile(variant: str) -> None:
    """Archives are read from their local headers within the prefix, never extracted, so
    the zipfile checks that need Python 3.11.8 or newer are never relied on."""
    source = REPO / "src" / "modelbom"
    imports = {
        path.relative_to(source).as_posix(): re.findall(
            r"^\s*(?:import|from)\s+(zipfile|tarfile)\b|(unpack_archive)", path.read_text(), re.M
        )
        for path in source.rglob("*.py")
    }
    assert {name: found for name, found in imports.items() if found} == {}


def test_the_security_page_maps_every_item_to_its_tests() -> None:
    text = (REPO / "docs" / "security.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| .+ \| (.+) \|$", text, re.MULTILINE)
    assert [int(number) for number, _ in rows] == list(range(1, 37))
    for number, proof in rows:
        assert f"item{number}-" in proof, number
