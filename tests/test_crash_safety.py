"""Crash safety: a scan killed, interrupted or out of disk never leaves a partial output,
a broken cache or its temporary files behind.

The command line runs in its own process, resolving against a fake Hub that answers
slowly, so that there is time to kill it while it scans and while it resolves. What a
user would find afterwards is checked: the output path holds the previous document or
a complete new one, never a partial one; the next run starts without complaint, cleans
up what the killed run left, and uses the cache the killed runs filled.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelbom.emit.cyclonedx import validate
from modelbom.output import TEMP_SUFFIX, remove_stale_temporaries, temporary_name_parts
from modelbom.resolvers.cache import ResolverCache
from tests.fakehub import FakeHub, Fault

MODELS = [f"acme/model-{i:02d}" for i in range(12)]
PREVIOUS = '{"previous": "the BOM of an earlier run"}\n'


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub() as server:
        for repo_id in MODELS:
            server.add_model(repo_id, card_data={"license": "apache-2.0"})
        yield server


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    root.mkdir()
    lines = ["from transformers import AutoModel"]
    lines += [f'm{i} = AutoModel.from_pretrained("{m}")' for i, m in enumerate(MODELS)]
    (root / "app.py").write_text("\n".join(lines) + "\n")
    return root


def cli_env(hub: FakeHub | None, cache: Path) -> dict[str, str]:
    env = dict(os.environ)  # isolated by tests/conftest.py: other endpoints refuse at once
    if hub is not None:
        env["HF_ENDPOINT"] = hub.url
    env["MODELBOM_CACHE_DIR"] = str(cache)
    return env


def start(
    args: list[str], env: dict[str, str], *, code: str | None = None
) -> subprocess.Popen[str]:
    command = (
        [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "modelbom", *args]
    )
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def temporaries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(TEMP_SUFFIX))


def scan_args(repo: Path, out: Path, *extra: str) -> list[str]:
    return [
        "scan", str(repo), "--workers", "2", "-o", f"cyclonedx-json={out / 'bom.json'}",
        "-o", f"sarif={out / 'scan.sarif'}", *extra,
    ]  # fmt: skip


def check_outputs(out: Path) -> None:
    """Each output is the previous document or a complete new one; nothing else is there."""
    bom = (out / "bom.json").read_text()
    assert bom == PREVIOUS or validate(bom, "1.6") is None, bom[:200]
    sarif = out / "scan.sarif"
    if sarif.exists():
        assert json.loads(sarif.read_text())["version"] == "2.1.0"
    others = {p.name for p in out.iterdir()} - {"bom.json", "scan.sarif"}
    assert all(name.endswith(TEMP_SUFFIX) for name in others), others


# -- kill -9 ----------------------------------------------------------------------------


def test_kill_9_at_random_points_never_leaves_a_partial_output_or_a_broken_cache(
    hub: FakeHub, repo: Path, tmp_path: Path
) -> None:
    hub.inject("*", Fault(delay=0.15, on="api"))  # time to be killed while resolving
    out, cache = tmp_path / "out", tmp_path / "cache"
    out.mkdir()
    (out / "bom.json").write_text(PREVIOUS)
    env = cli_env(hub, cache)
    rng = random.Random(20240611)  # noqa: S311  # kill times, not secrets
    stderrs: list[str] = []
    for attempt in range(6):
        asked = len(hub.requests)
        proc = start(scan_args(repo, out, "--refresh"), env)
        if attempt % 2:
            # While resolving: once the first request of this run has reached the Hub.
            deadline = time.monotonic() + 60
            while len(hub.requests) == asked and proc.poll() is None:
                assert time.monotonic() < deadline, "the scan never reached the Hub"
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.6))
        else:
            time.sleep(rng.uniform(0.05, 3.0))  # anywhere: start-up, walking, crawling
        proc.kill()
        code, err = finish(proc)
        assert code in (-signal.SIGKILL, 0), err
        stderrs.append(err)
        check_outputs(out)
    assert len(hub.requests) > 0

    # The next run starts cleanly, leaves no temporary file, and writes complete outputs.
    code, err = finish(start(scan_args(repo, out), env))
    assert code == 0, err
    stderrs.append(err)
    assert validate((out / "bom.json").read_text(), "1.6") is None
    assert temporaries(out) == []
    for text in stderrs:
        assert "Traceback" not in text
        assert "WARNING: cache" not in text, text
    # The cache the killed runs wrote loads and answers: a second run asks the Hub nothing.
    asked = len(hub.requests)
    code, err = finish(start(scan_args(repo, out), env))
    assert code == 0, err
    assert len(hub.requests) == asked
    with sqlite3.connect(cache / "cache.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


# A run stopped for good right before it renames its temporary file over the target: the
# moment a kill -9 can leave something behind. Test code wrapped around modelbom's main.
PAUSE_BEFORE_RENAME = """
import os, sys, time

real_replace = os.replace


def replace(src, dst, *args, **kwargs):
    if os.fspath(dst).endswith(os.environ["PAUSE_TARGET"]):
        open(os.environ["PAUSE_MARKER"], "w").close()
        time.sleep(300)
    return real_replace(src, dst, *args, **kwargs)


os.replace = replace
from modelbom.__main__ import run

sys.argv = ["modelbom", *sys.argv[1:]]
run()
"""


def test_a_run_killed_while_writing_leaves_the_old_file_and_the_next_run_cleans_up(
    repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "bom.json").write_text(PREVIOUS)
    marker = tmp_path / "paused"
    env = cli_env(None, tmp_path / "cache")
    env.update(PAUSE_TARGET="bom.json", PAUSE_MARKER=str(marker))
    args = ["scan", str(repo), "--offline", "-o", str(out / "bom.json")]
    proc = start(args, env, code=PAUSE_BEFORE_RENAME)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.kill()
    finish(proc)

    assert (out / "bom.json").read_text() == PREVIOUS  # untouched
    (left,) = temporaries(out)  # the killed run's complete document, under our name
    assert left.startswith(".bom.json.") and f"-{proc.pid}{TEMP_SUFFIX}" in left
    assert validate((out / left).read_text(), "1.6") is None
    # Files the next run must not touch: a live process's temporary (this test's own pid),
    # a name that only looks similar, and a dead process's temporary in another directory.
    prefix, suffix = temporary_name_parts(out / "bom.json")
    live = out / f"{prefix}abcdefgh{suffix}"
    live.write_text("in progress")
    lookalike = out / ".bom.json.abcdefgh.tmp"
    lookalike.write_text("not ours")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / left).write_text("another directory")

    code, err = finish(start(args, env))
    assert code == 0, err
    assert validate((out / "bom.json").read_text(), "1.6") is None
    assert not (out / left).exists()
    assert live.exists() and lookalike.exists() and (elsewhere / left).exists()


def test_stale_temporaries_are_removed_only_when_their_process_is_gone(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("the current report")
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(gone.stdout)  # that process has exited and been reaped
    prefix, suffix = temporary_name_parts(target)
    host = suffix[1:].split("-")[0]
    other = "ffffffff" if host == "00000000" else "00000000"
    dead = tmp_path / f"{prefix}k2j4h5g6.{host}-{dead_pid}{TEMP_SUFFIX}"
    dead.write_text("left by a killed run")
    mine = tmp_path / f"{prefix}z9y8x7w6{suffix}"
    mine.write_text("being written by this process")
    other_host = tmp_path / f"{prefix}k2j4h5g6.{other}-{dead_pid}{TEMP_SUFFIX}"
    other_host.write_text("written on another machine sharing the directory")
    link = tmp_path / f"{prefix}q1w2e3r4.{host}-{dead_pid}{TEMP_SUFFIX}"
    link.symlink_to(target)
    assert remove_stale_temporaries(target) == [dead.name]
    assert not dead.exists()
    assert mine.exists() and other_host.exists() and link.is_symlink()
    assert target.read_text() == "the current report"


# -- Ctrl-C -----------------------------------------------------------------------------


def _wait_until(predicate: object, proc: subprocess.Popen[str], limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not predicate():  # type: ignore[operator]
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "timed out waiting for the process"
        time.sleep(0.005)


def _maps(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/maps").read_text()
    return ""


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
def test_ctrl_c_while_starting_exits_130_without_a_traceback(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    proc = start(["scan", str(repo), "--offline", "-o", str(out)], cli_env(None, tmp_path / "c"))
    # pydantic's compiled core is loaded while the command line is still being imported.
    _wait_until(lambda: "pydantic_core" in _maps(proc.pid), proc)
    proc.send_signal(signal.SIGINT)
    code, err = finish(proc)
    assert code == 130, err
    assert err.strip().endswith("modelbom: interrupted")
    assert "Traceback" not in err
    assert not out.exists()


def test_ctrl_c_while_resolving_exits_130_at_once_with_no_output(
    hub: FakeHub, repo: Path, tmp_path: Path
) -> None:
    hub.inject("*", Fault(delay=30.0))  # requests in flight would take 30 s to come back
    out = tmp_path / "out"
    out.mkdir()
    proc = start(scan_args(repo, out), cli_env(hub, tmp_path / "cache"))
    _wait_until(lambda: len(hub.requests) > 0, proc)
    time.sleep(0.2)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    code, err = finish(proc)
    assert code == 130, err
    assert time.monotonic() - started < 10  # not waiting for the 30 s answers
    assert "modelbom: interrupted" in err
    assert "Traceback" not in err
    assert list(out.iterdir()) == []


# -- the cache --------------------------------------------------------------------------


def _filled_cache(path: Path) -> None:
    cache = ResolverCache(path)
    for i in range(200):
        cache.put("hub", f"model:acme/m{i}", {"payload": "x" * 300}, "2024-01-01T00:00:00+00:00")
    cache.close()


def _garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 40)


def _truncated(path: Path) -> None:
    _filled_cache(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _damaged_pages(path: Path) -> None:
    _filled_cache(path)
    data = bytearray(path.read_bytes())
    data[4096:] = bytes(len(data) - 4096)  # the header survives, the b-tree pages do not
    path.write_bytes(bytes(data))


def _a_directory(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        pytest.param(_garbage, "moved aside", id="not-a-database"),
        pytest.param(_truncated, "moved aside", id="truncated"),
        pytest.param(_damaged_pages, "moved aside", id="damaged-pages"),
        pytest.param(_a_directory, "keeps its cache in memory", id="a-directory"),
    ],
)
def test_a_broken_cache_is_set_aside_with_a_warning_and_the_scan_goes_on(
    hub: FakeHub, repo: Path, tmp_path: Path, damage: object, expected: str
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    damage(cache / "cache.sqlite3")  # type: ignore[operator]
    out = tmp_path / "out"
    out.mkdir()
    env = cli_env(hub, cache)
    code, err = finish(start(scan_args(repo, out), env))
    assert code == 0, err
    assert "Traceback" not in err
    assert "WARNING: cache" in err and expected in err, err
    bom = json.loads((out / "bom.json").read_text())
    assert {c["name"] for c in bom["components"]} >= set(MODELS)
    if expected == "moved aside":
        assert (cache / "cache.sqlite3.corrupt").exists()
        # The fresh cache works: the next run is answered from it, without a warning.
        asked = len(hub.requests)
        code, err = finish(start(scan_args(repo, out), env))
        assert code == 0 and "WARNING" not in err, err
        assert len(hub.requests) == asked


def test_a_cache_folder_that_cannot_be_created_falls_back_to_memory(
    repo: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    out = tmp_path / "out"
    out.mkdir()
    code, err = finish(start(scan_args(repo, out), cli_env(None, blocker / "cache")))
    assert code == 0, err
    assert "keeps its cache in memory" in err and "Traceback" not in err
    assert validate((out / "bom.json").read_text(), "1.6") is None


# -- where the output cannot go ---------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at *path* (needs root); the test is skipped when it cannot be."""
    path.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_full_disk_is_a_clear_error_with_no_partial_file(repo: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "full", "size=4k") as full:
        (full / "filler").write_bytes(b"")
        target = full / "bom.json"
        code, err = finish(
            start(
                ["scan", str(repo), "--offline", "-o", str(target)], cli_env(None, tmp_path / "c")
            )
        )
        assert code == 2, err
        assert f"modelbom: error: cannot write {target}: No space left on device" in err
        assert "Traceback" not in err
        assert sorted(p.name for p in full.iterdir()) == ["filler"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_writing_to_a_device_that_is_full_is_a_clear_error(repo: Path, tmp_path: Path) -> None:
    code, err = finish(
        start(["scan", str(repo), "--offline", "-o", "/dev/full"], cli_env(None, tmp_path / "c"))
    )
    assert code == 2, err
    assert "cannot write /dev/full: No space left on device" in err
    assert "Traceback" not in err


def test_a_read_only_output_directory_is_a_clear_error(repo: Path, tmp_path: Path) -> None:
    context: contextlib.AbstractContextManager[Path]
    if os.geteuid() == 0:
        context = tmpfs(tmp_path / "ro", "ro,size=64k")  # root writes through file modes
    else:
        readonly = tmp_path / "ro"
        readonly.mkdir()
        readonly.chmod(0o555)
        context = contextlib.nullcontext(readonly)
    with context as directory:
        target = directory / "bom.json"
        code, err = finish(
            start(
                ["scan", str(repo), "--offline", "-o", str(target)], cli_env(None, tmp_path / "c")
            )
        )
        assert code == 2, err
        assert f"modelbom: error: cannot write {target}:" in err
        assert ("Read-only file system" in err) or ("Permission denied" in err), err
        assert "Traceback" not in err
        assert list(directory.iterdir()) == []


def test_temporary_names_fit_the_file_system_for_long_target_names(tmp_path: Path) -> None:
    from modelbom.output import write_atomic

    target = tmp_path / ("r" * 240 + ".json")
    write_atomic(target, b"{}")
    assert target.read_bytes() == b"{}"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
