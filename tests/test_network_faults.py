"""Network faults: a Hub (and package indexes) that hang, never accept, rate-limit or send
a gigabyte; the scan still ends on time, says why components are unresolved, and writes
its BOM.

Everything is local: the black holes are sockets on 127.0.0.1 (one that accepts and
never answers, one whose listen backlog is full so connections are never accepted),
the rate limiter is the fake Hub, and the gigabyte is generated lazily by a small server
that counts what it managed to send. Timings are measured with generous bounds: each
test compares against what the scan would take without the protection it checks (a
timeout per component, a retry storm, reading the whole body), not against a stopwatch.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from modelbom.engine import scan
from modelbom.model import ResolutionStatus, ScanResult
from modelbom.model.finding import Kind
from modelbom.options import ScanOptions
from tests.fakehub import FakeHub, Fault
from tests.fakeservers import FakeServer, Reply
from tests.support import run_cli

MODELS = [f"acme/model-{i:02d}" for i in range(40)]
LIBRARIES = ["torch", "requests", "numpy"]
TIMEOUT = 1.0
ENDPOINTS = ("HF_ENDPOINT", "MODELBOM_PYPI_URL", "MODELBOM_NPM_REGISTRY", "CIVITAI_API_BASE")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """40 Hub models and 3 PyPI libraries."""
    root = tmp_path / "svc"
    root.mkdir()
    lines = ["from transformers import AutoModel"]
    lines += [f'm{i} = AutoModel.from_pretrained("{m}")' for i, m in enumerate(MODELS)]
    (root / "app.py").write_text("\n".join(lines) + "\n")
    (root / "requirements.txt").write_text("".join(f"{name}\n" for name in LIBRARIES))
    return root


def point_everything_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    for name in ENDPOINTS:
        monkeypatch.setenv(name, url)


def run_scan(repo: Path, tmp_path: Path, **options: Any) -> tuple[ScanResult, float]:
    started = time.monotonic()
    result = scan(
        ScanOptions(root=repo, cache_dir=tmp_path / "cache", workers=2, analyse=False, **options)
    )
    return result, time.monotonic() - started


def reasons(result: ScanResult, kind: Kind) -> dict[str, str]:
    return {
        c.id: c.resolution.reason or ""
        for c in result.components
        if c.kind is kind and c.resolution.status is ResolutionStatus.UNRESOLVED
    }


# -- black holes ------------------------------------------------------------------------


@pytest.fixture(params=["silent", "never-accepts"])
def black_hole(request: pytest.FixtureRequest) -> Iterator[str]:
    """A local endpoint that never answers: it accepts and stays silent, or never accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    held: list[socket.socket] = []
    if request.param == "silent":
        server.listen(64)
        stop = threading.Event()

        def accept() -> None:
            server.settimeout(0.1)
            while not stop.is_set():
                try:
                    held.append(server.accept()[0])
                except OSError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
    else:
        # A backlog of 0, filled by one connection nobody accepts: new SYNs are dropped.
        server.listen(0)
        filler = socket.create_connection(server.getsockname())
        held.append(filler)
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        if request.param == "silent":
            stop.set()
            thread.join(timeout=5)
        for sock in held:
            sock.close()
        server.close()


def test_a_black_holed_network_costs_about_one_timeout_not_one_per_component(
    black_hole: str, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_everything_at(monkeypatch, black_hole)
    result, elapsed = run_scan(repo, tmp_path, timeout=TIMEOUT)
    # Without the circuit breakers, 40 Hub models on 2 threads would take 20 timeouts;
    # with them, two or three (the breakers open on the first failures of each source).
    assert elapsed < 3 * TIMEOUT + 10, elapsed
    hub = reasons(result, Kind.MODEL)
    assert sorted(hub) == MODELS  # every Hub component, each with the network named
    for reason in hub.values():
        assert reason.startswith("hub: ") and ("unreachable" in reason or "timed out" in reason)
    assert sum("Hub unreachable" in r for r in hub.values()) >= len(MODELS) - 4
    libraries = reasons(result, Kind.LIBRARY)
    assert sorted(libraries) == sorted(LIBRARIES)
    for reason in libraries.values():
        assert reason.startswith("pypi: PyPI") and (
            "unreachable" in reason or "timed out" in reason
        )


def test_the_command_line_writes_the_bom_and_points_at_offline(
    black_hole: str, repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bom.json"
    env = dict.fromkeys(ENDPOINTS, black_hole)
    started = time.monotonic()
    proc = run_cli(
        "scan", str(repo), "--timeout", str(TIMEOUT), "--cache-dir", str(tmp_path / "c"),
        "-o", str(out), env=env,
    )  # fmt: skip
    assert time.monotonic() - started < 60  # start-up of a loaded machine included
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "WARNING" in line]
    assert any("Hub unreachable" in w and "--offline" in w for w in warnings), proc.stderr
    assert any("PyPI unreachable" in w and "--offline" in w for w in warnings), proc.stderr
    bom = json.loads(out.read_text())
    unresolved = {
        c["name"]: p["value"]
        for c in bom["components"]
        for p in c.get("properties", [])
        if p["name"] == "modelbom:resolution:reason"
    }
    assert set(MODELS) | set(LIBRARIES) <= set(unresolved)


def test_timeout_comes_from_the_environment_and_is_checked(repo: Path) -> None:
    proc = run_cli("scan", str(repo), "--offline", env={"MODELBOM_TIMEOUT": "0"})
    assert proc.returncode == 2
    assert "MODELBOM_TIMEOUT: must be between 0.1 and 600 seconds" in proc.stderr
    proc = run_cli("scan", str(repo), "--offline", "--timeout", "nan")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


# -- rate limiting ----------------------------------------------------------------------


def test_persistent_429_gives_up_after_the_documented_retries(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pypi = FakeServer(
        {
            f"/pypi/{name}/json": Reply(status=429, headers={"Retry-After": "0"})
            for name in LIBRARIES
        }
    )
    with FakeHub() as hub, pypi:
        for repo_id in MODELS[:6]:
            hub.add_model(repo_id, card_data={"license": "mit"})
        hub.inject("*", Fault(status=429, rate_limit_reset=0))
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("MODELBOM_PYPI_URL", pypi.url)
        (repo / "app.py").write_text(
            "from transformers import AutoModel\n"
            + "".join(f'AutoModel.from_pretrained("{m}")\n' for m in MODELS[:6])
        )
        result, elapsed = run_scan(repo, tmp_path, timeout=5.0)
        hub_requests = {m: len(hub.requests_for(m)) for m in MODELS[:6]}
        pypi_paths = pypi.paths()
    # The Hub: one request and at most 2 retries per component (docs/resolution.md).
    assert all(1 <= n <= 3 for n in hub_requests.values()), hub_requests
    for reason in reasons(result, Kind.MODEL).values():
        assert reason.endswith("rate limited by the Hub (HTTP 429)"), reason
    # The package indexes: one request and at most 3 retries.
    for name in LIBRARIES:
        assert 1 <= pypi_paths.count(f"/pypi/{name}/json") <= 4, pypi_paths
    for reason in reasons(result, Kind.LIBRARY).values():
        assert "rate limited (HTTP 429)" in reason, reason
    assert elapsed < 30  # retries pause together; no storm of retries, no endless wait


# -- a gigabyte -------------------------------------------------------------------------

GIB = 1 << 30


class _Gigabyte(ThreadingHTTPServer):
    """Answers every GET with a 1 GiB JSON body, generated as it is sent, and counts."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, *, declare_length: bool) -> None:
        super().__init__(("127.0.0.1", 0), _GigabyteHandler)
        self.declare_length = declare_length
        self.sent = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _GigabyteHandler(BaseHTTPRequestHandler):
    server: _Gigabyte
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        chunk = b"a" * (1 << 16)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.server.declare_length:
            self.send_header("Content-Length", str(GIB))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        try:
            self.wfile.write(b'{"id": "acme/model", "pad": "')
            for _ in range(GIB // len(chunk)):
                self.wfile.write(chunk)
                with self.server.lock:
                    self.server.sent += len(chunk)
        except OSError:
            self.close_connection = True  # the client hung up: what the test wants


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "until-close"])
def test_a_one_gigabyte_answer_is_cut_off_at_the_size_cap(
    declare_length: bool, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = _Gigabyte(declare_length=declare_length)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        point_everything_at(monkeypatch, server.url)
        (repo / "app.py").write_text(
            'from transformers import AutoModel\nAutoModel.from_pretrained("acme/giant-lm")\n'
        )
        (repo / "requirements.txt").write_text("torch\n")
        result, elapsed = run_scan(repo, tmp_path, timeout=10.0)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert reasons(result, Kind.MODEL) == {
        "acme/giant-lm": "hub: model acme/giant-lm: answer larger than 5242880 bytes"
    }
    assert reasons(result, Kind.LIBRARY) == {
        "torch": "pypi: PyPI: answer larger than 16777216 bytes"
    }
    # Far less than the gigabyte left the server: the clients stopped reading at their cap
    # (what is counted includes what the kernel buffered before the connection closed).
    assert server.sent < 64 * 1024 * 1024, server.sent
    assert elapsed < 30
